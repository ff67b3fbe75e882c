// Turns kernel drains into per-interval flow batches (the Avro FlowBatch of schemas/flow-batch.avsc).
import type { KernelCounters } from '../capture/index.js';
import type { DrainedFlows, FlowBatch } from '../model/index.js';

/** What the aggregator drains: FlowCapture, or anything shaped like it. */
export interface FlowSource {
  drain(): Promise<DrainedFlows>;
  /** The last flows, after which the source is detached. */
  close(): Promise<DrainedFlows>;
  counters(): KernelCounters;
  /** Optional: stop draining until `onWake` (see FlowCapture.park); false: drain on as usual. */
  park?(onWake: () => void): boolean;
}

export interface AggregatorOptions {
  intervalMs: number;
  agentName: string;
  agentIp: string;
  onBatch: (batch: FlowBatch) => void;
  onError: (error: Error) => void;
  /** How long each drain of the kernel took, in seconds. */
  onDrainTime?: (seconds: number) => void;
  /** Early flushes come at most this often (a full map keeps signalling while traffic lasts). */
  minFlushGapMs?: number;
  /**
   * After an empty interval (no flows, nothing lost or through the ring buffer), park the source:
   * no drain until it has something. Off when every interval is exported (EXPORT_EMPTY_BATCHES).
   */
  parkWhenIdle?: boolean;
}

export interface AggregateTotals {
  batches: number;
  flows: number;
  packets: number;
  bytes: number;
  ringBufferPackets: number;
  lostPackets: number;
  /** Interfaces not listed in a flow's dupList (its six other-interface slots were taken). */
  observedInterfacesMissed: number;
  /** Drains that failed (each reported to onError). */
  drainFailures: number;
}

/** Unhealthy after this many drains failed in a row. */
const FAILURES_UNHEALTHY = 3;

const nowUs = () => Date.now() * 1000;
/** The ring buffer absorbs overflow meanwhile; flushing more often would only multiply batches. */
const DEFAULT_MIN_FLUSH_GAP_MS = 1000;

export class Aggregator {
  readonly totals: AggregateTotals = {
    batches: 0,
    flows: 0,
    packets: 0,
    bytes: 0,
    ringBufferPackets: 0,
    lostPackets: 0,
    observedInterfacesMissed: 0,
    drainFailures: 0,
  };
  private sequence = 0;
  private intervalStart = nowUs();
  private lastCounters: KernelCounters = { ringBufferPackets: 0, lostPackets: 0, observedInterfacesMissed: 0, attachments: 0, idleDrains: 0 };
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** When the last flush started (epoch ms): the next one is timed from it. */
  private lastFlushMs = 0;
  /** When the last drain succeeded (epoch ms), or the aggregator started or woke. */
  private lastDrainMs = 0;
  /** Drains failed since the last one that succeeded. */
  consecutiveFailures = 0;
  private stopped = false;
  /** The source is parked: no drain is scheduled until it wakes us. */
  parked = false;

  constructor(
    private readonly source: FlowSource,
    private readonly options: AggregatorOptions,
  ) {}

  start(): void {
    this.intervalStart = nowUs();
    this.lastDrainMs = Date.now();
    this.schedule(this.options.intervalMs);
  }

  /**
   * Healthy: the last drain succeeded (or fewer than three in a row failed) within three
   * intervals, or it found nothing and the source is parked until it has something.
   */
  healthy(now = Date.now()): boolean {
    return this.consecutiveFailures < FAILURES_UNHEALTHY && (this.parked || now - this.lastDrainMs < FAILURES_UNHEALTHY * this.options.intervalMs + 1000);
  }

  /** A flow map is full: flush now (so the kernel switches to the empty map), rate-limited. */
  flushSoon(): void {
    if (this.stopped) return;
    const wait = Math.max(0, this.lastFlushMs + (this.options.minFlushGapMs ?? DEFAULT_MIN_FLUSH_GAP_MS) - Date.now());
    this.schedule(wait);
  }

  /** Emits the last, partial batch (what the source still held) and stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.enqueueFlush(() => this.source.close());
  }

  private schedule(delayMs: number): void {
    this.parked = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.parked = false; // the drain ends the source's parking too
      void this.enqueueFlush(() => this.source.drain()).then(() => {
        if (!this.stopped && !this.parked) this.schedule(Math.max(0, this.lastFlushMs + this.options.intervalMs - Date.now()));
      });
    }, delayMs);
  }

  /** The parked source has something: its first interval starts now (nothing happened while parked). */
  private wake(): void {
    if (!this.parked || this.stopped) return;
    this.intervalStart = nowUs();
    this.lastDrainMs = Date.now(); // health counts the intervals from here, as from the start
    this.schedule(this.options.intervalMs);
  }

  /** Flushes run one after another, never two drains at once. */
  private enqueueFlush(drain: () => Promise<DrainedFlows>): Promise<void> {
    this.flushing = this.flushing.then(() => this.flush(drain));
    return this.flushing;
  }

  private async flush(drain: () => Promise<DrainedFlows>): Promise<void> {
    this.lastFlushMs = Date.now();
    let flows: DrainedFlows;
    let counters: KernelCounters;
    const started = process.hrtime.bigint();
    try {
      flows = await drain();
      // After the drain: what the ring buffer and the losses took while draining is in this batch.
      counters = this.source.counters();
      this.options.onDrainTime?.(Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      this.totals.drainFailures++;
      this.consecutiveFailures++;
      this.options.onError(error as Error);
      return;
    }
    this.lastDrainMs = Date.now();
    this.consecutiveFailures = 0;
    const intervalEnd = nowUs();
    const batch: FlowBatch = {
      agentName: this.options.agentName,
      agentIp: this.options.agentIp,
      sequence: this.sequence++,
      part: 0,
      parts: 1,
      intervalStart: this.intervalStart,
      intervalEnd,
      ringBufferPackets: counters.ringBufferPackets - this.lastCounters.ringBufferPackets,
      lostPackets: counters.lostPackets - this.lastCounters.lostPackets,
      flows,
    };
    this.totals.observedInterfacesMissed += counters.observedInterfacesMissed - this.lastCounters.observedInterfacesMissed;
    this.lastCounters = counters;
    this.intervalStart = intervalEnd;
    this.count(batch);
    this.options.onBatch(batch);
    const empty = flows.length === 0 && batch.lostPackets === 0 && batch.ringBufferPackets === 0;
    if (empty && this.options.parkWhenIdle && !this.stopped && this.source.park?.(() => this.wake())) {
      this.parked = true;
      clearTimeout(this.timer); // an early flush asked for meanwhile: nothing is left for it
    }
  }

  private count(batch: FlowBatch): void {
    this.totals.batches++;
    this.totals.flows += batch.flows.length;
    const { packets, bytes } = batch.flows.totals();
    this.totals.packets += packets;
    this.totals.bytes += bytes;
    this.totals.ringBufferPackets += batch.ringBufferPackets;
    this.totals.lostPackets += batch.lostPackets;
  }
}
