// The bounded queue between aggregation and export, and the loop that empties it.
// Enqueueing never waits: capture keeps draining whatever the exporter does. A batch leaves the
// queue only once its exporter acknowledged it; failures are retried with backoff.
import type { FlowBatch } from '../aggregate/index.js';
import type { Logger } from 'pino';

export interface Exporter {
  readonly name: string;
  /** Resolves once the target has the batch; rejects to have it retried. */
  send(batch: FlowBatch): Promise<void>;
  close(): Promise<void>;
}

export interface ExportStats {
  sent: number;
  failures: number;
  dropped: number;
  queued: number;
}

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 5000;

export class ExportQueue {
  readonly stats: ExportStats = { sent: 0, failures: 0, dropped: 0, queued: 0 };
  private readonly batches: FlowBatch[] = [];
  private running: Promise<void> | undefined;
  private backoffMs = BACKOFF_START_MS;
  private cancelBackoff: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly exporter: Exporter,
    private readonly capacity: number,
    private readonly log: Logger,
  ) {}

  /** Adds a batch; when full, drops the oldest (the newest data matters most) and counts it. */
  push(batch: FlowBatch): void {
    if (this.batches.length >= this.capacity) {
      const dropped = this.batches.shift()!;
      this.stats.dropped++;
      this.log.warn({ exporter: this.exporter.name, sequence: dropped.sequence, flows: dropped.flows.length, capacity: this.capacity },
        'export queue full: dropped the oldest batch (raise BUFFERS_LENGTH, or check the export target)');
    }
    this.batches.push(batch);
    this.stats.queued = this.batches.length;
    this.running ??= this.run();
  }

  /** Keeps sending what is queued until `deadlineMs` (epoch ms), then closes the exporter. */
  async close(deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadlineMs - Date.now()))));
    await Promise.race([this.running ?? Promise.resolve(), deadline]);
    clearTimeout(timer);
    this.closed = true;
    this.cancelBackoff?.();
    if (this.batches.length > 0) {
      this.stats.dropped += this.batches.length;
      this.log.error({ exporter: this.exporter.name, batches: this.batches.length }, 'exiting with batches the export target did not take');
      this.batches.length = 0;
    }
    await this.exporter.close();
  }

  private async run(): Promise<void> {
    while (this.batches.length > 0 && !this.closed) {
      const batch = this.batches[0];
      try {
        await this.exporter.send(batch);
        if (this.batches[0] === batch) this.batches.shift(); // unless dropped as the oldest meanwhile
        this.stats.sent++;
        this.backoffMs = BACKOFF_START_MS;
      } catch (error) {
        this.stats.failures++;
        this.log.warn({ exporter: this.exporter.name, sequence: batch.sequence, retryInMs: this.backoffMs, err: error },
          'export failed; will retry');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.backoffMs);
          this.cancelBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
      }
      this.stats.queued = this.batches.length;
    }
    this.running = undefined;
  }
}
