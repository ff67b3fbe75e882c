// A NATS subscriber for flowcast's CloudEvents: binary or structured, Avro plain or single-object.
// Core NATS, or a JetStream durable consumer that acknowledges a message only after the handler
// succeeded (a handler failure has it redelivered; a malformed message is terminated, not retried).
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';

import type { ColumnarFlowBatch, DecodedFlowBatch } from '../model/index.js';
import { connectionOptions, type NatsConnectionSettings } from '../runtime/nats.js';
import { CollectorError } from './errors.js';
import { decodeEvent, decodeEventColumns, type EventAttributes } from './event.js';

export { decodeEvent, decodeEventColumns, type EventAttributes } from './event.js';

export interface NatsCollectorOptions {
  nats: NatsConnectionSettings & { subject: string };
  /**
   * Read a JetStream stream through this durable (pull) consumer instead of subscribing (core
   * NATS). Collectors given the same durable share the work: each message goes to one of them.
   */
  durable?: { stream: string; name: string };
  /**
   * Core NATS queue group (without `durable`): collectors subscribed with the same group share the
   * work, each message to one of them.
   */
  queue?: string;
  /**
   * How many recent events (source and id) are remembered to skip a redelivered or republished
   * one; default 10,000. `false`: every message reaches the handler.
   */
  dedupe?: number | false;
  /** The batch with flow objects. Give this or onColumns. */
  onBatch?: (batch: DecodedFlowBatch, event: EventAttributes) => void | Promise<void>;
  /** The batch with its flows as columns, decoded without an object per flow (docs/collector.md, "Fast"). */
  onColumns?: (batch: ColumnarFlowBatch, event: EventAttributes) => void | Promise<void>;
  onError?: (error: CollectorError) => void;
}

export interface RunningNatsCollector {
  close(): Promise<void>;
}

/** The last `size` keys seen, oldest dropped first. */
class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly size: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.size) this.ids.delete(this.ids.values().next().value!);
  }
}

export const DEFAULT_DEDUPE_WINDOW = 10_000;
/** JetStream messages pulled at once, handled before the next pull. */
const PULL_AHEAD = 10;
/** How long a pull waits for messages on the server. */
const PULL_EXPIRES_MS = 5000;

export async function startNatsCollector(options: NatsCollectorOptions): Promise<RunningNatsCollector> {
  const report = options.onError ?? (() => undefined);
  const { onBatch, onColumns } = options;
  if (!onBatch === !onColumns) throw new TypeError('startNatsCollector needs onBatch or onColumns (one of them)');
  const nc: NatsConnection = await connect(connectionOptions(options.nats, 'flowcast-collector'));
  const seen = options.dedupe === false ? undefined : new RecentIds(options.dedupe ?? DEFAULT_DEDUPE_WINDOW);

  const handle = async (message: Msg | JsMsg): Promise<'ack' | 'term' | 'nak'> => {
    let decoded: { batch: DecodedFlowBatch | ColumnarFlowBatch; event: EventAttributes };
    try {
      decoded = onColumns ? decodeEventColumns(message.data, message.headers) : decodeEvent(message.data, message.headers);
    } catch (error) {
      report(error as CollectorError);
      return 'term';
    }
    // CloudEvents ids are unique per source; flowcast's are stable across retries.
    const key = `${decoded.event.source} ${decoded.event.id}`;
    if (seen?.has(key)) return 'ack';
    try {
      if (onColumns) await onColumns(decoded.batch as ColumnarFlowBatch, decoded.event);
      else await onBatch!(decoded.batch as DecodedFlowBatch, decoded.event);
      seen?.add(key);
      return 'ack';
    } catch (error) {
      report(new CollectorError('handler', `the batch handler failed: ${(error as Error).message}`, { cause: error }));
      return 'nak';
    }
  };

  let stop: () => Promise<void>;
  if (options.durable) {
    const { stream, name } = options.durable;
    const manager = await jetstreamManager(nc);
    const { config } = await manager.consumers.add(stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: options.nats.subject,
    });
    const consumer = await jetstream(nc).consumers.get(stream, name);
    const ackWaitMs = (config.ack_wait ?? 30e9) / 1e6; // the server's default when it names none
    let stopping = false;
    let pull: ConsumerMessages | undefined;
    const done = (async () => {
      while (!stopping) {
        try {
          // Pulled a few at a time and handled before the next pull (consume() would keep pulling
          // while a handler runs): a message waits in this process at most for the few before it,
          // so its ack wait does not pass there and hand it to another member as well.
          pull = await consumer.fetch({ max_messages: PULL_AHEAD, expires: PULL_EXPIRES_MS });
          for await (const message of pull) {
            // The ack wait starts again now and while the handler runs: a live member keeps its
            // message; only a dead one's goes to another member (the bridge resumes it there).
            message.working();
            const heartbeat = setInterval(() => message.working(), ackWaitMs / 3);
            const outcome = await handle(message).finally(() => clearInterval(heartbeat));
            if (outcome === 'ack') await message.ackAck().catch(() => message.ack());
            else if (outcome === 'term') message.term();
            else message.nak(1000);
          }
        } catch {
          // No consumer leader (a server of the cluster gone), missed heartbeats, reconnecting:
          // the next pull goes to wherever the consumer is now.
          if (!stopping) await new Promise((resolve) => setTimeout(resolve, PULL_EXPIRES_MS / 5));
        }
      }
    })();
    stop = async () => {
      stopping = true;
      await pull?.close();
      await done;
    };
  } else {
    const subscription = nc.subscribe(options.nats.subject, { queue: options.queue });
    const done = (async () => {
      for await (const message of subscription) await handle(message);
    })();
    // Resolve only once the server has the subscription: a message published right after would
    // otherwise be missed.
    await nc.flush();
    stop = async () => {
      subscription.unsubscribe();
      await done;
    };
  }
  return {
    close: async () => {
      await stop();
      await nc.drain();
    },
  };
}
