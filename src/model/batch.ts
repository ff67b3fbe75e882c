// One interval's flows from one agent (the Avro FlowBatch of schemas/flow-batch.avsc), and its split into parts.
import { isDrained, type DrainedFlows } from './drained.js';
import type { FlowColumns } from './flow-columns.js';
import type { FlowRecord } from './record.js';

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
/** As a fast consumer (and the bridge) reads it: the flows as columns (flow-columns.ts). */
export type ColumnarFlowBatch = FlowBatchOf<FlowColumns>;
/** Any of these: what the encoders and the exporters accept. */
export type AnyFlowBatch = FlowBatch | DecodedFlowBatch | ColumnarFlowBatch;

/** The agent's batch (drained structs) rather than one of flow objects. */
export function isDrainedBatch(batch: AnyFlowBatch): batch is FlowBatch {
  return isDrained(batch.flows);
}

/** Flows as columns, told by their `kind` (see isDrained for why not `instanceof`). */
export function isColumns(flows: DrainedFlows | FlowColumns | readonly FlowRecord[]): flows is FlowColumns {
  return !Array.isArray(flows) && (flows as { readonly kind?: string }).kind === 'columns';
}

/** A batch of columns (a fast consumer's, the bridge's). */
export function isColumnarBatch(batch: AnyFlowBatch): batch is ColumnarFlowBatch {
  return isColumns(batch.flows);
}

/** The batch's flows as objects: decoded from a drain, or as they are. */
export function flowRecordsOf(batch: AnyFlowBatch): FlowRecord[] {
  return Array.isArray(batch.flows) ? batch.flows : (batch.flows as DrainedFlows | FlowColumns).decode();
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
