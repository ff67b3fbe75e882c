// EXPORT=nats: each batch as a CloudEvent on a NATS subject, core NATS or JetStream.
import { connect, credsAuthenticator, headers, nanos, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import { readFileSync } from 'node:fs';

import { splitBatch, type AnyFlowBatch } from '../aggregate/index.js';
import type { Config } from '../config/index.js';
import type { EventEncoder, EventMessage } from '../encode/cloudevent.js';
import type { Logger } from 'pino';
import type { Exporter } from './queue.js';

const REQUEST_TIMEOUT_MS = 5000;
const DUPLICATE_WINDOW_MS = 120_000;

export interface NatsExportOptions {
  nats: Config['nats'];
  encode: EventEncoder;
}

/** What a NATS connection needs of the settings (the agent's exporter, the collector, the bridge). */
export type NatsConnectionSettings = Pick<Config['nats'], 'servers' | 'user' | 'password' | 'token' | 'credsFile' | 'tls'>;

export function connectionOptions(nats: NatsConnectionSettings, name: string): ConnectionOptions {
  return {
    servers: nats.servers,
    name,
    timeout: REQUEST_TIMEOUT_MS,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    user: nats.user,
    pass: nats.password,
    token: nats.token,
    authenticator: nats.credsFile ? credsAuthenticator(readFileSync(nats.credsFile)) : undefined,
    tls: nats.tls ? { caFile: nats.tls.caFile, certFile: nats.tls.certFile, keyFile: nats.tls.keyFile } : undefined,
  };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class NatsExporter implements Exporter {
  readonly name = 'nats';
  /** Encoded bytes per flow, learned from each batch: how many parts the next one needs. */
  private bytesPerFlow = 128;
  private connection: Promise<{ nc: NatsConnection; js?: JetStreamClient }> | undefined;

  constructor(
    private readonly options: NatsExportOptions,
    private readonly log: Logger,
  ) {}

  /** Connects now (in the background), so that a bad URL or credentials show in the log at start. */
  start(): void {
    this.connect().catch((error) => this.log.warn({ err: error }, 'cannot reach NATS yet; batches wait in the queue'));
  }

  async send(batch: AnyFlowBatch): Promise<void> {
    const { nc, js } = await this.connect();
    for (const message of this.messages(batch, nc.info?.max_payload ?? 1 << 20)) {
      const natsHeaders = headers();
      for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
      if (js) {
        // Nats-Msg-Id = event id: the server stores a retried event once.
        const ack = await js.publish(this.options.nats.subject, message.body, { msgID: message.id, headers: natsHeaders, timeout: REQUEST_TIMEOUT_MS });
        if (ack.duplicate) this.log.debug({ id: message.id, seq: ack.seq }, 'JetStream already had this event');
      } else {
        nc.publish(this.options.nats.subject, message.body, { headers: natsHeaders });
        await withTimeout(nc.flush(), 'NATS flush'); // the server has processed the publish
      }
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await (await connection.catch(() => undefined))?.nc.drain().catch(() => undefined);
  }

  /**
   * Encodes the batch, in as many parts as it takes to fit the server's max_payload (1 MiB by
   * default). The number of parts comes from the size of the last batches, so a batch is encoded
   * once; only a misjudged part is split again.
   */
  private messages(batch: AnyFlowBatch, maxPayload: number): EventMessage[] {
    const budget = maxPayload * 0.9; // headers and framing take some room too
    let parts = Math.max(1, Math.min(batch.flows.length, Math.ceil((batch.flows.length * this.bytesPerFlow) / budget)));
    for (;;) {
      const messages = (parts === 1 ? [batch] : splitBatch(batch, parts)).map(this.options.encode);
      const bytes = messages.reduce((sum, message) => sum + message.body.length, 0);
      if (batch.flows.length > 0) this.bytesPerFlow = bytes / batch.flows.length;
      if (parts >= batch.flows.length || messages.every((message) => message.body.length <= maxPayload)) return messages;
      parts = Math.min(batch.flows.length, parts * 2);
    }
  }

  private connect(): Promise<{ nc: NatsConnection; js?: JetStreamClient }> {
    this.connection ??= this.open().catch((error) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  private async open(): Promise<{ nc: NatsConnection; js?: JetStreamClient }> {
    const nc = await connect(connectionOptions(this.options.nats, 'flowcast-agent'));
    this.log.info({ server: nc.getServer() }, 'connected to NATS');
    void (async () => {
      for await (const status of nc.status()) this.log.info({ status: status.type }, 'NATS connection status');
    })();
    void nc.closed().then(() => (this.connection = undefined));
    if (!this.options.nats.jetstream) return { nc };
    await this.ensureStream(nc);
    return { nc, js: jetstream(nc, { timeout: REQUEST_TIMEOUT_MS }) };
  }

  private async ensureStream(nc: NatsConnection): Promise<void> {
    const { stream, subject, streamMaxAgeMs } = this.options.nats;
    const manager = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS });
    try {
      const info = await manager.streams.info(stream);
      if (!info.config.subjects?.includes(subject)) {
        throw new Error(`JetStream stream ${stream} exists but does not capture subject ${subject} (it has: ${info.config.subjects?.join(', ')})`);
      }
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
      await manager.streams.add({
        name: stream,
        subjects: [subject],
        storage: StorageType.File,
        max_age: nanos(streamMaxAgeMs),
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      });
      this.log.info({ stream, subject }, 'created JetStream stream');
    }
  }
}
