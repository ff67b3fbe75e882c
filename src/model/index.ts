// The flow model every stage stands on (docs/architecture.md): the kernel's record layout, the
// FlowRecord, the drained Buffer view and the batch. It imports nothing else of flowcast.
export { DIRECTION_EGRESS, EXTRAS_OFFSETS, EXTRAS_SIZE, FIELD_OFFSETS, OBSERVED_SLOTS, OBSERVED_SLOT_SIZE, RECORD_SIZE, offsetOf } from './layout.js';
export {
  decodeExtras,
  decodeFlows,
  forEachObserved,
  hasObserved,
  formatAddress,
  formatAddressAt,
  formatMac,
  formatMacAt,
  readNsAsUs,
  readUint64,
  tcpStateName,
  dnsResponseCodeName,
  type Direction,
  type FlowDns,
  type FlowDrops,
  type FlowIpsec,
  type FlowQuic,
  type FlowRecord,
  type FlowTls,
  type FlowXlat,
  type InterfaceDirection,
} from './record.js';
export { DrainedFlows, isDrained } from './drained.js';
export {
  flowRecordsOf,
  isColumnarBatch,
  isColumns,
  isDrainedBatch,
  splitBatch,
  type AnyFlowBatch,
  type ColumnarFlowBatch,
  type DecodedFlowBatch,
  type FlowBatch,
  type FlowBatchOf,
} from './batch.js';
export { FlowColumns, FlowColumnsPool, type FlowFeatures } from './flow-columns.js';
export { ReusePool, type ReusePoolOptions } from './pool.js';
