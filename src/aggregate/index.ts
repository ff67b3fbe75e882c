// Turns kernel drains into per-interval flow batches (the Avro FlowBatch of schemas/flow-batch.avsc).
import { readUint64 } from '../capture/decode.js';
import type { DrainedFlows } from '../capture/drained.js';
import type { FlowColumns } from '../model/flow-columns.js';
import { FIELD_OFFSETS, RECORD_SIZE } from '../capture/layout.js';
import type { FlowRecord, KernelCounters } from '../capture/index.js';

/** One interval's flows from one agent: the Avro FlowBatch of schemas/flow-batch.avsc. */
export interface FlowBatchOf<Flows> {
  agentName: string;
  agentIp: string;
  sequence: number;
  /** Set by an exporter that splits an interval into several messages; 0 of 1 otherwise. */
  part: number;
  parts: number;
  /** Microseconds since the Unix epoch. */
  intervalStart: number;
  intervalEnd: number;
  ringBufferPackets: number;
  lostPackets: number;
  flows: Flows;
}

/** As the agent makes it: the drained flow_record structs, which encoders read as they are. */
export type FlowBatch = FlowBatchOf<DrainedFlows>;
/** As a consumer (or the reverse bridge) has it: flow objects. */
export type DecodedFlowBatch = FlowBatchOf<FlowRecord[]>;
/** As a fast consumer (and the bridge) reads it: the flows as columns (src/model/flow-columns.ts). */
export type ColumnarFlowBatch = FlowBatchOf<FlowColumns>;
/** Any of these: what the encoders and the NATS exporter accept. */
export type AnyFlowBatch = FlowBatch | DecodedFlowBatch | ColumnarFlowBatch;

/** What the aggregator drains: FlowCapture, or anything shaped like it. */
export interface FlowSource {
  drain(): Promise<DrainedFlows>;
  /** The last flows, after which the source is detached. */
  close(): Promise<DrainedFlows>;
  counters(): KernelCounters;
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
}

export interface AggregateTotals {
  batches: number;
  flows: number;
  packets: number;
  bytes: number;
  ringBufferPackets: number;
  lostPackets: number;
  /** Drains that failed (each reported to onError). */
  drainFailures: number;
}

/** Unhealthy after this many drains failed in a row. */
const FAILURES_UNHEALTHY = 3;

const nowUs = () => Date.now() * 1000;
const PACKETS = FIELD_OFFSETS['metrics.packets'][0];
const BYTES = FIELD_OFFSETS['metrics.bytes'][0];
/** The ring buffer absorbs overflow meanwhile; flushing more often would only multiply batches. */
const DEFAULT_MIN_FLUSH_GAP_MS = 1000;

export class Aggregator {
  readonly totals: AggregateTotals = { batches: 0, flows: 0, packets: 0, bytes: 0, ringBufferPackets: 0, lostPackets: 0, drainFailures: 0 };
  private sequence = 0;
  private intervalStart = nowUs();
  private lastCounters: KernelCounters = { ringBufferPackets: 0, lostPackets: 0, attachments: 0 };
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** When the last flush started (epoch ms): the next one is timed from it. */
  private lastFlushMs = 0;
  /** When the last drain succeeded (epoch ms), or the aggregator started. */
  lastDrainMs = 0;
  /** Drains failed since the last one that succeeded. */
  consecutiveFailures = 0;
  private stopped = false;

  constructor(
    private readonly source: FlowSource,
    private readonly options: AggregatorOptions,
  ) {}

  start(): void {
    this.intervalStart = nowUs();
    this.lastDrainMs = Date.now();
    this.schedule(this.options.intervalMs);
  }

  /** Healthy: the last drain succeeded (or fewer than three in a row failed) within three intervals. */
  healthy(now = Date.now()): boolean {
    return this.consecutiveFailures < FAILURES_UNHEALTHY && now - this.lastDrainMs < FAILURES_UNHEALTHY * this.options.intervalMs + 1000;
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
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.enqueueFlush(() => this.source.drain()).then(() => {
        if (!this.stopped) this.schedule(Math.max(0, this.lastFlushMs + this.options.intervalMs - Date.now()));
      });
    }, delayMs);
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
    this.lastCounters = counters;
    this.intervalStart = intervalEnd;
    this.count(batch);
    this.options.onBatch(batch);
  }

  private count(batch: FlowBatch): void {
    this.totals.batches++;
    this.totals.flows += batch.flows.length;
    const { records } = batch.flows;
    for (let base = 0; base < records.length; base += RECORD_SIZE) {
      this.totals.packets += readUint64(records, base + PACKETS);
      this.totals.bytes += readUint64(records, base + BYTES);
    }
    this.totals.ringBufferPackets += batch.ringBufferPackets;
    this.totals.lostPackets += batch.lostPackets;
  }
}

/** The batch's flows in `parts` pieces of (nearly) equal size, each a batch of its own. */
export function splitBatch<Batch extends AnyFlowBatch>(batch: Batch, parts: number): Batch[] {
  const size = Math.ceil(batch.flows.length / parts);
  return Array.from({ length: parts }, (_, part) => ({
    ...batch,
    part,
    parts,
    flows: batch.flows.slice(part * size, Math.min((part + 1) * size, batch.flows.length)),
  }));
}
