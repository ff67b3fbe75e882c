// EXPORT=grpc: NetObserv's pbflow.Collector/Send, so Flowlogs Pipeline takes flowcast's flows as
// it takes NetObserv agents'. grpc-js reconnects by itself (with backoff); a failed Send fails the
// batch, which the export queue retries, dropped at once if the collector refused it for good.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

import type { Config } from '../config/index.js';
import { COLLECTOR_SERVICE, encodeRecords } from '../encode/pbflow.js';
import type { Scratch } from '../encode/scratch.js';
import { isDrainedBatch, type AnyFlowBatch, type FlowColumns, type FlowRecord, type ReusePool } from '../model/index.js';
import { ExportError, type FailureKind } from './failure.js';
import type { Exporter } from './queue.js';

const SEND_DEADLINE_MS = 10_000;
/**
 * After this long without a Send the channel lets its connection go (grpc-js's idle state; the next
 * Send connects again). While grpc-js holds a connection, its subchannel pool wakes the process
 * every 10 s: 6 of a parked agent's 8 wakeups a minute. Busy, an agent sends every interval.
 */
const CLIENT_IDLE_TIMEOUT_MS = 60_000;
/** gRPC's default receive limit (4 MiB) less room for framing. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024 - 64 * 1024;

const Status = grpc.status;
/** Answers that will not change however often the same message is sent. */
const REFUSED = new Set([
  Status.INVALID_ARGUMENT,
  Status.PERMISSION_DENIED,
  Status.UNAUTHENTICATED,
  Status.FAILED_PRECONDITION,
  Status.OUT_OF_RANGE,
  Status.UNIMPLEMENTED,
  Status.NOT_FOUND,
  Status.ALREADY_EXISTS,
]);
/** No answer: the collector is down or unreachable (grpc-js says UNAVAILABLE), or too slow. */
const UNREACHABLE = new Set([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.CANCELLED]);

export function grpcFailureKind(code: grpc.status): FailureKind {
  if (REFUSED.has(code)) return 'refused';
  if (UNREACHABLE.has(code)) return 'unreachable';
  return 'retry';
}

export function channelCredentials(tls: Config['grpc']['tls']): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(readFileSync(tls.caFile), tls.keyFile ? readFileSync(tls.keyFile) : null, tls.certFile ? readFileSync(tls.certFile) : null);
}

/** A failed Send: `code` is the gRPC status, `kind` what the export queue does about it. */
export class SendError extends ExportError {
  override name = 'SendError';
  constructor(
    message: string,
    readonly code: grpc.status,
  ) {
    super(message, grpcFailureKind(code));
  }
}

type ClientSettings = Partial<Config['grpc']>;

/** A pbflow.Collector client: sends Records messages that fit the collector's message size. */
export class PbflowClient {
  private client: grpc.Client;
  private readonly connect: () => grpc.Client;
  /** Lowered when the collector answers RESOURCE_EXHAUSTED: its limit is below ours. */
  private maxBytes: number;
  /** Encoded bytes per record, learned from each message: where to cut the next one. */
  private bytesPerRecord = 128;

  /**
   * `buffers`: messages are encoded into buffers lent by this pool and handed to grpc-js as they
   * are, instead of into a copy each (flowcast-bridge, sending one large message after another).
   */
  constructor(
    host: string,
    port: number,
    grpcConfig: ClientSettings,
    private readonly buffers?: ReusePool<Scratch>,
  ) {
    const Client = grpc.makeGenericClientConstructor(COLLECTOR_SERVICE, 'Collector');
    const options: grpc.ChannelOptions = {
      'grpc.client_idle_timeout_ms': CLIENT_IDLE_TIMEOUT_MS,
      ...(grpcConfig.tls?.serverName && { 'grpc.ssl_target_name_override': grpcConfig.tls.serverName }),
    };
    const credentials = channelCredentials(grpcConfig.tls);
    this.connect = () => new Client(`${host}:${port}`, credentials, options);
    this.client = this.connect();
    this.maxBytes = grpcConfig.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  send(message: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        COLLECTOR_SERVICE.Send.path,
        COLLECTOR_SERVICE.Send.requestSerialize,
        COLLECTOR_SERVICE.Send.responseDeserialize,
        message,
        { deadline: Date.now() + SEND_DEADLINE_MS },
        (error) =>
          error ? reject(new SendError(`pbflow.Collector/Send: ${grpc.status[error.code]}: ${error.details || error.message}`, error.code)) : resolve(),
      );
    });
  }

  /**
   * Sends flows[from..] as Records messages of at most `maxFlows` records and at most the message
   * size (GRPC_MESSAGE_MAX_BYTES), cut by encoded bytes; a RESOURCE_EXHAUSTED answer halves the
   * size and sends the same flows again. Calls `taken(n)` once the collector took the first n
   * flows, so that a retry resumes after them (whatever the next messages' sizes).
   */
  async sendFlows(
    flows: readonly FlowRecord[] | FlowColumns,
    agentIp: string,
    maxFlows: number,
    from: number,
    taken: (flows: number) => void | Promise<void>,
  ): Promise<void> {
    let start = from;
    // Each message is written over the last one once its Send was answered: grpc-js copies a
    // message into its own framed buffer before the call can be answered (the compression filter's
    // writeMessage) and holds ours no longer once the call ended. After a failed Send the buffer is
    // left to the GC instead: a call that ended early (deadline, no connection) may still hold it.
    let out = this.buffers?.take();
    try {
      while (start < flows.length) {
        let count = Math.max(1, Math.min(maxFlows, flows.length - start, Math.floor((this.maxBytes * 0.95) / this.bytesPerRecord)));
        let message = this.encode(flows, start, count, agentIp, out);
        while (message.length > this.maxBytes && count > 1) {
          count = Math.max(1, Math.min(count - 1, Math.floor((count * this.maxBytes * 0.95) / message.length)));
          message = this.encode(flows, start, count, agentIp, out);
        }
        try {
          await this.send(message);
        } catch (error) {
          out = this.buffers?.take();
          if (error instanceof SendError && error.code === Status.RESOURCE_EXHAUSTED && count > 1) {
            this.maxBytes = Math.floor(message.length / 2);
            continue;
          }
          throw error;
        }
        start += count;
        await taken(start); // stored before the next Send: a resume never skips what was not taken
      }
    } finally {
      if (out) this.buffers!.give(out);
    }
  }

  /** A new channel (a new connection, maybe to another pod behind the collector's Service). */
  reconnect(): void {
    this.client.close();
    this.client = this.connect();
  }

  close(): void {
    this.client.close();
  }

  private encode(flows: readonly FlowRecord[] | FlowColumns, start: number, count: number, agentIp: string, into?: Scratch): Uint8Array {
    const message = encodeRecords(flows.slice(start, start + count), agentIp, into);
    this.bytesPerRecord = Math.max(1, message.length / count);
    return message;
  }
}

export class GrpcExporter implements Exporter {
  readonly name = 'grpc';
  private readonly client: PbflowClient;
  private readonly maxFlows: number;
  /** Flows of a batch the collector already took: a retry sends only the rest. */
  private readonly acknowledged = new WeakMap<AnyFlowBatch, number>();
  private readonly reconnect: Config['grpc']['reconnect'];
  private reconnectAt = Infinity;

  constructor(
    config: Pick<Config, 'target' | 'grpc'>,
    private readonly agentIp: string,
  ) {
    this.client = new PbflowClient(config.target.host!, config.target.port!, config.grpc);
    this.maxFlows = config.grpc.maxFlows;
    this.reconnect = config.grpc.reconnect;
    this.scheduleReconnect();
  }

  /** GRPC_RECONNECT_TIMER ± GRPC_RECONNECT_TIMER_RANDOMIZATION from now, as NetObserv's agent. */
  private scheduleReconnect(): void {
    if (!this.reconnect) return;
    const { periodMs, randomizationMs } = this.reconnect;
    this.reconnectAt = Date.now() + periodMs + (Math.random() * 2 - 1) * randomizationMs;
  }

  async send(batch: AnyFlowBatch): Promise<void> {
    // Between batches only: a batch's Sends stay on one connection.
    if (Date.now() >= this.reconnectAt && !this.acknowledged.has(batch)) {
      this.client.reconnect();
      this.scheduleReconnect();
    }
    const from = this.acknowledged.get(batch) ?? 0;
    // The agent's drain becomes columns (no object per flow); the bridge's columns or objects go as they are.
    const flows = isDrainedBatch(batch) ? batch.flows.columns() : (batch.flows as FlowRecord[] | FlowColumns);
    try {
      await this.client.sendFlows(flows, this.agentIp, this.maxFlows, from, (flows) => void this.acknowledged.set(batch, flows));
    } catch (error) {
      if (error instanceof SendError && error.kind === 'refused') throw new ExportError(error.message, 'refused');
      throw error;
    }
  }

  unacknowledged(batch: AnyFlowBatch): number {
    return batch.flows.length - (this.acknowledged.get(batch) ?? 0);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
