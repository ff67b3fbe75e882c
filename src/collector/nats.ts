// A NATS subscriber for flowcast's CloudEvents: binary or structured, Avro plain or single-object.
// Core NATS, or a JetStream durable consumer that acknowledges a message only after the handler
// succeeded (a handler failure has it redelivered; a malformed message is terminated, not retried).
import { connect, NoRespondersError, TimeoutError, type Msg, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';

import type { ColumnarFlowBatch, DecodedFlowBatch, FlowColumnsPool } from '../model/index.js';
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
  /**
   * With `durable`: how many messages are handled at once (default 1: one after the other). Above
   * 1, handlers overlap and messages are acknowledged as their handler finishes, so events are
   * handled out of the stream's order.
   */
  concurrency?: number;
  /** The batch with flow objects. Give this or onColumns. */
  onBatch?: (batch: DecodedFlowBatch, event: EventAttributes, delivery: Delivery) => void | Promise<void>;
  /** The batch with its flows as columns, decoded without an object per flow (docs/collector.md, "Fast"). */
  onColumns?: (batch: ColumnarFlowBatch, event: EventAttributes, delivery: Delivery) => void | Promise<void>;
  /**
   * With onColumns: read each message into columns lent by this pool, given back once its handler
   * settled, so the handler must not keep them (nor a slice of them) past that.
   */
  columnsPool?: FlowColumnsPool;
  /** With `durable`: the server confirmed the acknowledgement of this event's message (its handler resolved). */
  onAcknowledged?: (event: EventAttributes) => void;
  onError?: (error: CollectorError) => void;
}

/** How the message reached the handler. */
export interface Delivery {
  /** How many times JetStream delivered this message: 1 the first time (always 1 on core NATS). */
  count: number;
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
/** JetStream messages pulled at once, handled before the next pull (with concurrency n: max(10, 2n), pulled again below n). */
const PULL_AHEAD = 10;
/** How long a pull waits for messages on the server. */
const PULL_EXPIRES_MS = 5000;
/** How long after a failed pull the next one is tried. */
const PULL_RETRY_MS = 1000;

/** How long a JetStream set-up request is tried again while the cluster does not answer. */
const SETUP_RETRY_MS = 30_000;

/**
 * A JetStream API request, tried again while nothing answers it in time: a cluster that just lost
 * a node answers no API request until it elected new leaders (seen: a consumer created right after
 * a node was killed timed out). Other errors, and a cluster silent for SETUP_RETRY_MS, are thrown.
 */
async function untilAnswered<T>(request: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + SETUP_RETRY_MS;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof NoRespondersError) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

export async function startNatsCollector(options: NatsCollectorOptions): Promise<RunningNatsCollector> {
  const report = options.onError ?? (() => undefined);
  const { onBatch, onColumns } = options;
  if (!onBatch === !onColumns) throw new TypeError('startNatsCollector needs onBatch or onColumns (one of them)');
  const nc: NatsConnection = await connect(connectionOptions(options.nats, 'flowcast-collector'));
  const seen = options.dedupe === false ? undefined : new RecentIds(options.dedupe ?? DEFAULT_DEDUPE_WINDOW);
  // Events whose handler runs (with concurrency above 1): another copy waits for its outcome
  // instead of reaching a second handler at the same time.
  const running = new Map<string, Promise<boolean>>();

  const handle = async (message: Msg | JsMsg): Promise<{ outcome: 'ack' | 'term' | 'nak'; event?: EventAttributes }> => {
    let decoded: { batch: DecodedFlowBatch | ColumnarFlowBatch; event: EventAttributes };
    try {
      decoded = onColumns ? decodeEventColumns(message.data, message.headers, options.columnsPool) : decodeEvent(message.data, message.headers);
    } catch (error) {
      report(error as CollectorError);
      return { outcome: 'term' };
    }
    try {
      return await handleDecoded(message, decoded);
    } finally {
      if (onColumns) options.columnsPool?.give((decoded.batch as ColumnarFlowBatch).flows);
    }
  };

  const handleDecoded = async (
    message: Msg | JsMsg,
    decoded: { batch: DecodedFlowBatch | ColumnarFlowBatch; event: EventAttributes },
  ): Promise<{ outcome: 'ack' | 'nak'; event: EventAttributes }> => {
    const { event } = decoded;
    // CloudEvents ids are unique per source; flowcast's are stable across retries.
    const key = `${event.source} ${event.id}`;
    if (seen) for (let other = running.get(key); other; other = running.get(key)) if (await other) return { outcome: 'ack', event };
    if (seen?.has(key)) return { outcome: 'ack', event };
    const delivery: Delivery = { count: 'info' in message ? message.info.deliveryCount : 1 };
    const handled = (async () => {
      if (onColumns) await onColumns(decoded.batch as ColumnarFlowBatch, event, delivery);
      else await onBatch!(decoded.batch as DecodedFlowBatch, event, delivery);
    })();
    if (seen)
      running.set(
        key,
        handled.then(
          () => true,
          () => false,
        ),
      );
    try {
      await handled;
      seen?.add(key);
      return { outcome: 'ack', event };
    } catch (error) {
      report(new CollectorError('handler', `the batch handler failed: ${(error as Error).message}`, { cause: error }));
      return { outcome: 'nak', event };
    } finally {
      running.delete(key);
    }
  };

  let stop: () => Promise<void>;
  if (options.durable) {
    const { stream, name } = options.durable;
    const manager = await untilAnswered(() => jetstreamManager(nc));
    // An existing durable is used as it is: `add` would update it back to these few settings (an
    // operator's ack wait or max_ack_pending lost).
    const info = await untilAnswered(() =>
      manager.consumers.info(stream, name).catch((error: unknown) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
        throw error;
      }),
    );
    const { config } =
      info ??
      (await untilAnswered(() =>
        manager.consumers.add(stream, {
          durable_name: name,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          filter_subject: options.nats.subject,
        }),
      ));
    const consumer = await untilAnswered(() => jetstream(nc).consumers.get(stream, name));
    const ackWaitMs = (config.ack_wait ?? 30e9) / 1e6; // the server's default when it names none
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    const pullSize = Math.max(PULL_AHEAD, 2 * concurrency);
    let stopping = false;
    let pull: ConsumerMessages | undefined;
    // Delivered to this process and neither acknowledged nor given back. JetStream runs the ack
    // wait of every one of them from its delivery, so all are kept claimed, not only the one being
    // handled: a slow handler would otherwise hand the messages fetched behind it to another member
    // while this one still handles them afterwards.
    const held = new Set<JsMsg>();
    const heartbeat = setInterval(() => {
      if (nc.isClosed()) return; // working() would throw; the server gives these messages to others
      for (const message of held) message.working();
    }, ackWaitMs / 3);
    const settle = async (message: JsMsg): Promise<void> => {
      try {
        if (stopping) {
          // Given back at once: another member need not wait for the ack wait.
          message.nak();
        } else {
          const { outcome, event } = await handle(message);
          if (outcome === 'ack') {
            const confirmed = await message.ackAck().catch(() => (message.ack(), false));
            if (confirmed && event) options.onAcknowledged?.(event);
          } else if (outcome === 'term') message.term();
          else message.nak(1000);
        }
      } finally {
        held.delete(message);
      }
    };
    // Delivered, waiting for one of the `concurrency` handler slots, in delivery order.
    const waiting: JsMsg[] = [];
    let handling = 0;
    let wakeLoop = () => undefined as void;
    /** Until a handler finishes, or the collector stops. */
    const handlerFinished = () => new Promise<void>((resolve) => (wakeLoop = resolve));
    const startHandlers = () => {
      while (handling < concurrency && waiting.length > 0) {
        handling++;
        void settle(waiting.shift()!).finally(() => {
          handling--;
          startHandlers();
          wakeLoop();
        });
      }
    };
    const done = (async () => {
      while (!stopping) {
        try {
          // Pulled a few at a time, the next pull once fewer than `concurrency` are held (with 1:
          // once all are handled; consume() would keep pulling while handlers run): a busy member
          // does not take what the others could handle.
          while (held.size >= concurrency && !stopping) await handlerFinished();
          if (stopping) break;
          pull = await consumer.fetch({ max_messages: pullSize - held.size, expires: PULL_EXPIRES_MS });
          // A stop while the pull was being set up found the previous one to close. Not awaited:
          // it resolves once the loop below has read what the pull got.
          if (stopping) void pull.close();
          // Read as they arrive: a message is held (and claimed) from its delivery, handled as soon
          // as a handler slot is free and those before it have started.
          for await (const message of pull) {
            held.add(message);
            waiting.push(message);
            startHandlers();
          }
        } catch (error) {
          // The messages delivered before the failure are still this member's, handled as they are.
          if (stopping) break;
          // No consumer leader (a server of the cluster gone), missed heartbeats, the consumer
          // deleted: reported, and the next pull goes to wherever the consumer is now.
          report(new CollectorError('pull', `pulling from durable ${name} of stream ${stream} failed: ${(error as Error).message}`, { cause: error }));
          await new Promise((resolve) => setTimeout(resolve, PULL_RETRY_MS));
        }
      }
      // The running handlers finish; those waiting are given back (settle).
      while (held.size > 0) await handlerFinished();
    })();
    stop = async () => {
      stopping = true;
      wakeLoop();
      await pull?.close();
      await done;
      clearInterval(heartbeat);
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
