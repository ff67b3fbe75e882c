// EXPORT=nats: each batch as a CloudEvent on a NATS subject, core NATS or JetStream.
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { Logger } from 'pino';

import type { Config } from '../config/index.js';
import type { EventEncoder, EventMessage } from '../encode/cloudevent.js';
import { PUBLISHED_SCHEMAS, SCHEMA_BUCKET } from '../encode/schema-store.js';
import { splitBatch, type AnyFlowBatch } from '../model/index.js';
import { NATS_REQUEST_TIMEOUT_MS as REQUEST_TIMEOUT_MS, connectionOptions } from '../runtime/nats.js';
import { ExportError } from './failure.js';
import type { Exporter } from './queue.js';

const DUPLICATE_WINDOW_MS = 120_000;
/** At close, how long to wait for a connection being opened, then for it to drain. */
const CLOSE_MS = 1000;
/** The schema store is tried again after 1 s, then twice as long each time, at most a minute apart. */
const SCHEMA_RETRY_FIRST_MS = 1000;
const SCHEMA_RETRY_MAX_MS = 60_000;

export interface NatsExportOptions {
  nats: Config['nats'];
  encode: EventEncoder;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What max_payload counts: the body and the headers (NATS/1.0 line, ours and Nats-Msg-Id). */
function wireSize(message: EventMessage): number {
  let size = message.body.length + 'NATS/1.0\r\n\r\n'.length + `Nats-Msg-Id: ${message.id}\r\n`.length;
  for (const [name, value] of Object.entries(message.headers)) size += Buffer.byteLength(name) + Buffer.byteLength(value) + 4;
  return size;
}

/** The promise's value, or undefined if it takes longer than `ms`. */
async function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export class NatsExporter implements Exporter {
  readonly name = 'nats';
  private connection: Promise<{ nc: NatsConnection; js?: JetStreamClient }> | undefined;
  /** How each batch was split, and how many of its parts the server acknowledged. */
  private readonly plans = new WeakMap<AnyFlowBatch, { pieces: AnyFlowBatch[]; acked: number }>();
  private closing = false;
  /** Per connection: the schema store running in the background, and what stops its waits. */
  private readonly schemaStores = new Map<NatsConnection, { done: Promise<void>; stop: AbortController }>();
  /** A server without JetStream is said once per exporter, not at each reconnect. */
  private noJetStreamWarned = false;

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
    const maxPayload = nc.info?.max_payload ?? 1 << 20;
    let plan = this.plans.get(batch);
    let encoded: EventMessage[] | undefined;
    if (!plan) {
      encoded = this.split(batch, maxPayload);
      plan = { pieces: encoded.length === 1 ? [batch] : splitBatch(batch, encoded.length), acked: 0 };
      this.plans.set(batch, plan);
    }
    for (; plan.acked < plan.pieces.length; plan.acked++) {
      const message = encoded?.[plan.acked] ?? this.options.encode(plan.pieces[plan.acked]);
      if (wireSize(message) > maxPayload) {
        // Split for a server with a larger max_payload; its parts' ids are taken (see split()).
        throw new ExportError(
          `event ${message.id} (${wireSize(message)} bytes with its headers) exceeds this NATS server's max_payload (${maxPayload})`,
          'refused',
          { reason: 'too_large' },
        );
      }
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

  unacknowledged(batch: AnyFlowBatch): number {
    const plan = this.plans.get(batch);
    return plan ? plan.pieces.slice(plan.acked).reduce((sum, piece) => sum + piece.flows.length, 0) : batch.flows.length;
  }

  /**
   * Stops at once: drains the connection if the server is there (bounded), then closes it, which
   * also ends reconnecting; a connection still being opened is closed as soon as it opens. A schema
   * store waiting to retry stops; one in flight gets CLOSE_MS to finish (a short-lived exporter
   * still leaves its schemas), then the connection's close ends it.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const { stop } of this.schemaStores.values()) stop.abort();
    await bounded(Promise.all([...this.schemaStores.values()].map(({ done }) => done)), CLOSE_MS);
    const connection = this.connection;
    this.connection = undefined;
    const opened =
      connection &&
      (await bounded(
        connection.catch(() => undefined),
        CLOSE_MS,
      ));
    if (!opened || opened.nc.isClosed()) return;
    await bounded(
      opened.nc.drain().catch(() => undefined),
      CLOSE_MS,
    );
    await opened.nc.close().catch(() => undefined);
  }

  /**
   * Encodes the batch in as many parts as it takes to fit the server's max_payload (1 MiB by
   * default). The split depends only on the batch and max_payload (the whole batch's encoded size
   * gives the first guess), and a batch object keeps its split: its parts (and their ids, which carry
   * the part index) stay the same across retries, even when the same flows come again as another
   * object (the reverse bridge), so JetStream's deduplication recognises a part sent again and no
   * part id ever names other flows.
   */
  private split(batch: AnyFlowBatch, maxPayload: number): EventMessage[] {
    const whole = this.options.encode(batch);
    if (wireSize(whole) <= maxPayload || batch.flows.length <= 1) return [whole];
    const budget = maxPayload * 0.9; // headers and framing take some room too
    let parts = Math.min(batch.flows.length, Math.max(2, Math.ceil(whole.body.length / budget)));
    for (;;) {
      const messages = splitBatch(batch, parts).map((piece) => this.options.encode(piece));
      if (parts >= batch.flows.length || messages.every((message) => wireSize(message) <= maxPayload)) return messages;
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
    if (this.closing) {
      await nc.close();
      throw new Error('the NATS exporter is closed');
    }
    this.log.info({ server: nc.getServer() }, 'connected to NATS');
    void (async () => {
      for await (const status of nc.status()) {
        // The client's keepalive ping every 2 min is no news; logging it cost an idle agent 15 ms each.
        if (status.type === 'ping') continue;
        this.log.info({ status: status.type }, 'NATS connection status');
        // Maybe another cluster, or a server whose store was lost: check the keys again (idempotent).
        if (status.type === 'reconnect') this.storeSchemasInBackground(nc);
      }
    })();
    void nc.closed().then(() => {
      this.connection = undefined;
      this.schemaStores.get(nc)?.stop.abort();
    });
    if (this.options.nats.jetstream) {
      try {
        await this.ensureStream(nc);
      } catch (error) {
        // The next send opens a new connection: this one would otherwise reconnect forever, leaked.
        await nc.close().catch(() => undefined);
        throw error;
      }
    }
    if (this.closing) {
      await nc.close(); // closed while the stream was being checked
      throw new Error('the NATS exporter is closed');
    }
    this.storeSchemasInBackground(nc);
    return { nc, js: this.options.nats.jetstream ? jetstream(nc, { timeout: REQUEST_TIMEOUT_MS }) : undefined };
  }

  /**
   * Stores the schemas for this connection in the background: sends do not wait for it (a consumer
   * that gets an event before its schema retries the key, docs/collector.md). Started once per
   * connection and again after each reconnect, while none runs for it.
   */
  private storeSchemasInBackground(nc: NatsConnection): void {
    if (this.closing || nc.isClosed() || this.schemaStores.has(nc)) return;
    const stop = new AbortController();
    const done = this.keepStoringSchemas(nc, stop.signal).finally(() => this.schemaStores.delete(nc));
    this.schemaStores.set(nc, { done, stop });
  }

  /**
   * Tries until the schemas are stored, with growing waits: a leader election or a slow server
   * passes, a permission may be granted. Without JetStream it warns and stops: nothing to wait for
   * on this connection. A failure warns once, later ones are debug lines; success is one info line.
   */
  private async keepStoringSchemas(nc: NatsConnection, stop: AbortSignal): Promise<void> {
    const keys = [...PUBLISHED_SCHEMAS.keys()];
    for (let attempt = 1; ; attempt++) {
      try {
        const stored = await this.storeSchemas(nc);
        this.log.info({ bucket: SCHEMA_BUCKET, keys, stored, attempts: attempt }, `Avro schemas are in the JetStream KV bucket ${SCHEMA_BUCKET}`);
        return;
      } catch (error) {
        if (stop.aborted || nc.isClosed()) return;
        const fields = { err: error, bucket: SCHEMA_BUCKET, attempts: attempt };
        if (error instanceof Error && error.name === 'JetStreamNotEnabled') {
          // No responder to the JetStream API: the server (or this account) has no JetStream.
          const level = this.noJetStreamWarned ? 'debug' : 'warn';
          this.noJetStreamWarned = true;
          this.log[level](
            fields,
            `cannot store the Avro schema in the JetStream KV bucket ${SCHEMA_BUCKET} (no JetStream): consumers must get it elsewhere (/schemas/ on the metrics port)`,
          );
          return;
        }
        const retryMs = Math.min(SCHEMA_RETRY_FIRST_MS * 2 ** (attempt - 1), SCHEMA_RETRY_MAX_MS);
        this.log[attempt === 1 ? 'warn' : 'debug'](
          { ...fields, retryMs },
          `cannot store the Avro schema in the JetStream KV bucket ${SCHEMA_BUCKET} yet (no permission, or JetStream busy): trying again in the background; meanwhile /schemas/ on the metrics port serves it`,
        );
        // Aborted (the exporter or the connection closed), the wait rejects and clears its timer.
        const stopped = await sleep(retryMs, false, { signal: stop }).catch(() => true);
        if (stopped) return;
      }
    }
  }

  /**
   * Puts the Avro schemas (src/encode/schema-store.ts) into the KV bucket, bounded: a consumer
   * resolves an event's dataschema there. Idempotent: a key is created once and never replaced, so a
   * fleet of agents writes each revision once. Returns the keys this call created.
   */
  private async storeSchemas(nc: NatsConnection): Promise<string[]> {
    const stored: string[] = [];
    await withTimeout(
      (async () => {
        const kv = await new Kvm(jetstream(nc, { timeout: REQUEST_TIMEOUT_MS })).create(SCHEMA_BUCKET, {
          history: 1,
          replicas: this.options.nats.streamReplicas ?? 1,
          storage: StorageType.File,
        });
        for (const [fingerprint, document] of PUBLISHED_SCHEMAS) {
          try {
            await kv.create(fingerprint, document);
            stored.push(fingerprint);
          } catch (error) {
            // The key exists (another agent, or an earlier start): its revision is the same schema.
            if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence)) throw error;
          }
        }
      })(),
      `storing the Avro schema in the KV bucket ${SCHEMA_BUCKET}`,
    );
    return stored;
  }

  private async ensureStream(nc: NatsConnection): Promise<void> {
    const { stream, subject, streamMaxAgeMs, streamReplicas = 1 } = this.options.nats;
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
        num_replicas: streamReplicas,
      });
      this.log.info({ stream, subject, replicas: streamReplicas }, 'created JetStream stream');
    }
  }
}
