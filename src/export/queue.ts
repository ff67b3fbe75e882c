// The bounded queue between aggregation and export, and the loop that empties it.
// Enqueueing never waits: capture keeps draining whatever the exporter does. A batch leaves the
// queue once its exporter acknowledged it, or once it is dropped and counted: the queue was full,
// the target refused it for good, it failed EXPORT_MAX_ATTEMPTS times, or the agent stopped first.
import type { Logger } from 'pino';

import type { AnyFlowBatch } from '../model/index.js';
import { ExportError, type DropReason } from './failure.js';

export interface Exporter {
  readonly name: string;
  /**
   * Resolves once the target has the batch; rejects to have it retried (ExportError says how:
   * see failure.ts). May be called again with the same batch object after a failure.
   */
  send(batch: AnyFlowBatch): Promise<void>;
  /** Stops, promptly: abandons a connection that cannot flush rather than wait for it. */
  close(): Promise<void>;
  /** Flows of a batch the target has not acknowledged (when parts of it were): default, all. */
  unacknowledged?(batch: AnyFlowBatch): number;
}

export interface ExportStats {
  sent: number;
  failures: number;
  /** Batches not delivered, for any reason (droppedBy says which). */
  dropped: number;
  /** The flows in them (those not delivered, for a batch delivered in part). */
  droppedFlows: number;
  droppedBy: Record<DropReason, number>;
  queued: number;
}

export interface ExportQueueOptions {
  /** Transient failures the target answered (not outages) a batch may have before it is dropped; 0: no bound. */
  maxAttempts?: number;
}

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 5000;

export class ExportQueue {
  readonly stats: ExportStats = {
    sent: 0,
    failures: 0,
    dropped: 0,
    droppedFlows: 0,
    queued: 0,
    droppedBy: { queue_full: 0, refused: 0, too_large: 0, attempts: 0, shutdown: 0 },
  };
  private readonly batches: AnyFlowBatch[] = [];
  private readonly maxAttempts: number;
  private running: Promise<void> | undefined;
  private inFlight: AnyFlowBatch | undefined;
  private attempts = 0;
  private backoffMs = BACKOFF_START_MS;
  private cancelWait: (() => void) | undefined;
  private closed = false;
  /** Every line names the exporter. */
  private readonly log: Logger;

  constructor(
    private readonly exporter: Exporter,
    private readonly capacity: number,
    log: Logger,
    options: ExportQueueOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 10;
    this.log = log.child({ exporter: exporter.name });
  }

  /** Adds a batch; when full, drops the oldest waiting one (the newest data matters most) and counts it. */
  push(batch: AnyFlowBatch): void {
    if (this.closed) {
      this.drop(batch, 'shutdown');
      return;
    }
    if (this.batches.length >= this.capacity) {
      // The batch being sent stays unless it is the only one (BUFFERS_LENGTH=1).
      const index = this.batches[0] === this.inFlight && this.batches.length > 1 ? 1 : 0;
      const [dropped] = this.batches.splice(index, 1);
      this.drop(dropped, 'queue_full');
      this.log.warn(
        { sequence: dropped.sequence, flows: dropped.flows.length, capacity: this.capacity },
        'export queue full: dropped the oldest batch (raise BUFFERS_LENGTH, or check the export target)',
      );
    }
    this.batches.push(batch);
    this.stats.queued = this.batches.length;
    this.running ??= this.run();
  }

  /** Batches (and flows) not delivered so far, whatever the reason. */
  get undelivered(): { batches: number; flows: number } {
    return { batches: this.stats.dropped, flows: this.stats.droppedFlows };
  }

  /**
   * Keeps sending what is queued until `deadlineMs` (epoch ms), then counts what is left (the batch
   * in flight included: it was not acknowledged) as dropped and closes the exporter.
   */
  async close(deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadlineMs - Date.now()))));
    await Promise.race([this.running ?? Promise.resolve(), deadline]);
    clearTimeout(timer);
    this.closed = true;
    this.cancelWait?.();
    const left = this.batches.splice(0);
    this.stats.queued = 0;
    if (left.length > 0) {
      const before = this.stats.droppedFlows;
      for (const batch of left) this.drop(batch, 'shutdown');
      this.log.error({ batches: left.length, flows: this.stats.droppedFlows - before }, 'exiting with batches the export target did not take');
    }
    await this.exporter.close();
  }

  private drop(batch: AnyFlowBatch, reason: DropReason, flows = this.exporter.unacknowledged?.(batch) ?? batch.flows.length): void {
    this.stats.dropped++;
    this.stats.droppedFlows += flows;
    this.stats.droppedBy[reason]++;
  }

  private async run(): Promise<void> {
    while (this.batches.length > 0 && !this.closed) {
      const batch = this.batches[0];
      if (batch !== this.inFlight) {
        this.inFlight = batch;
        this.attempts = 0;
      }
      let waitMs = 0;
      try {
        await this.exporter.send(batch);
        if (this.closed) break; // counted as not delivered by close()
        this.stats.sent++;
        this.backoffMs = BACKOFF_START_MS;
        this.remove(batch);
      } catch (error) {
        if (this.closed) break;
        waitMs = this.failed(batch, error);
      }
      this.stats.queued = this.batches.length;
      if (waitMs > 0) await this.wait(waitMs);
    }
    this.inFlight = undefined;
    this.running = undefined;
  }

  /** Counts a failed attempt, drops the batch if it cannot succeed; returns how long to wait. */
  private failed(batch: AnyFlowBatch, error: unknown): number {
    const failure = error instanceof ExportError ? error : undefined;
    if (failure?.kind === 'refused') {
      this.remove(batch);
      this.drop(batch, failure.reason);
      this.log.error({ sequence: batch.sequence, flows: batch.flows.length, reason: failure.reason, err: error }, 'export target refused the batch: dropped');
      return 0;
    }
    this.stats.failures++;
    if (failure?.kind === 'retry' && this.maxAttempts > 0 && ++this.attempts >= this.maxAttempts) {
      this.remove(batch);
      this.drop(batch, 'attempts');
      this.log.error(
        { sequence: batch.sequence, flows: batch.flows.length, attempts: this.attempts, err: error },
        'export failed EXPORT_MAX_ATTEMPTS times: dropped the batch',
      );
      return 0;
    }
    const waitMs = failure?.retryAfterMs ?? this.backoffMs;
    if (failure?.retryAfterMs === undefined) this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.log.warn({ sequence: batch.sequence, retryInMs: waitMs, err: error }, 'export failed; will retry');
    return waitMs;
  }

  private remove(batch: AnyFlowBatch): void {
    if (this.batches[0] === batch) this.batches.shift(); // unless dropped as the oldest meanwhile
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.cancelWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
