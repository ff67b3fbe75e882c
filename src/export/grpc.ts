// EXPORT=grpc: NetObserv's pbflow.Collector/Send, so Flowlogs Pipeline takes flowcast's flows as
// it takes NetObserv agents'. grpc-js reconnects by itself (with backoff); a failed Send fails the
// batch, which the export queue retries.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

import type { FlowBatch } from '../aggregate/index.js';
import type { FlowRecord } from '../capture/decode.js';
import type { Config } from '../config/index.js';
import { COLLECTOR_SERVICE, encodeRecords } from '../encode/pbflow.js';
import type { Exporter } from './queue.js';

const SEND_DEADLINE_MS = 10_000;

export function channelCredentials(tls: Config['grpc']['tls']): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(
    readFileSync(tls.caFile),
    tls.keyFile ? readFileSync(tls.keyFile) : null,
    tls.certFile ? readFileSync(tls.certFile) : null,
  );
}

/** A pbflow.Collector client: sends Records messages of at most `maxFlows` records. */
export class PbflowClient {
  private readonly client: grpc.Client;

  constructor(host: string, port: number, grpcConfig: Config['grpc']) {
    const Client = grpc.makeGenericClientConstructor(COLLECTOR_SERVICE, 'Collector');
    const options: grpc.ChannelOptions = grpcConfig.tls?.serverName ? { 'grpc.ssl_target_name_override': grpcConfig.tls.serverName } : {};
    this.client = new Client(`${host}:${port}`, channelCredentials(grpcConfig.tls), options);
  }

  send(message: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        COLLECTOR_SERVICE.Send.path,
        COLLECTOR_SERVICE.Send.requestSerialize,
        COLLECTOR_SERVICE.Send.responseDeserialize,
        message,
        { deadline: Date.now() + SEND_DEADLINE_MS },
        (error) => (error ? reject(new Error(`pbflow.Collector/Send: ${error.details || error.message}`)) : resolve()),
      );
    });
  }

  /**
   * Sends `flows` as Records messages of at most `maxFlows`, starting at message `from`; calls
   * `taken(n)` once the collector took the first n, so that a retry resumes after them.
   */
  async sendFlows(flows: readonly FlowRecord[], agentIp: string, maxFlows: number, from: number, taken: (messages: number) => void): Promise<void> {
    for (let message = from; message * maxFlows < flows.length; message++) {
      await this.send(encodeRecords(flows.slice(message * maxFlows, (message + 1) * maxFlows), agentIp));
      taken(message + 1);
    }
  }

  close(): void {
    this.client.close();
  }
}

export class GrpcExporter implements Exporter {
  readonly name = 'grpc';
  private readonly client: PbflowClient;
  private readonly maxFlows: number;
  /** Messages of a batch the collector already took: a retry sends only the rest. */
  private readonly acknowledged = new WeakMap<FlowBatch, number>();

  constructor(
    config: Pick<Config, 'target' | 'grpc'>,
    private readonly agentIp: string,
  ) {
    this.client = new PbflowClient(config.target.host!, config.target.port!, config.grpc);
    this.maxFlows = config.grpc.maxFlows;
  }

  async send(batch: FlowBatch): Promise<void> {
    await this.client.sendFlows(batch.flows.decode(), this.agentIp, this.maxFlows, this.acknowledged.get(batch) ?? 0,
      (messages) => this.acknowledged.set(batch, messages));
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
