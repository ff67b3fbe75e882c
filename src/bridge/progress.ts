// How much of each event the gRPC target already took, kept in a JetStream KV bucket so that a
// bridge restarted after a crash resumes where the last one stopped instead of resending. The
// bucket is laid out as the KV clients lay it (stream KV_<bucket>, subject $KV.<bucket>.<key>, one
// value per key, entries expire after the TTL), so `nats kv` can inspect it.
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';

const REQUEST_TIMEOUT_MS = 5000;

export class ProgressStore {
  private constructor(
    private readonly manager: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
  ) {}

  /** Opens the bucket, creating it (file storage, entries kept `ttlMs`) if missing. */
  static async open(nc: NatsConnection, bucket: string, ttlMs: number): Promise<ProgressStore> {
    const manager = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS });
    const stream = `KV_${bucket}`;
    try {
      await manager.streams.info(stream);
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
      await manager.streams.add({
        name: stream,
        subjects: [`$KV.${bucket}.>`],
        max_msgs_per_subject: 1,
        max_age: nanos(ttlMs),
        storage: StorageType.File,
        discard: DiscardPolicy.New,
        allow_rollup_hdrs: true,
        deny_delete: true,
        allow_direct: true,
      });
    }
    return new ProgressStore(manager, jetstream(nc, { timeout: REQUEST_TIMEOUT_MS }), bucket);
  }

  /** Any string (a CloudEvent's source and id) as a valid key: base64url's alphabet is allowed. */
  private subject(key: string): string {
    return `$KV.${this.bucket}.${Buffer.from(key).toString('base64url') || '_'}`;
  }

  /** Flows of the event the target took; 0 when none is recorded. */
  async get(key: string): Promise<number> {
    const stored = await this.manager.streams.getMessage(`KV_${this.bucket}`, { last_by_subj: this.subject(key) });
    return stored ? Number(stored.string()) || 0 : 0;
  }

  async put(key: string, flows: number): Promise<void> {
    await this.js.publish(this.subject(key), String(flows));
  }

  async delete(key: string): Promise<void> {
    await this.manager.streams.purge(`KV_${this.bucket}`, { filter: this.subject(key) });
  }
}
