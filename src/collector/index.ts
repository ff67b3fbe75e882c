// flowcast/collector: write your own collector of flowcast (and NetObserv) flows. See docs/collector.md.
export { startGrpcCollector, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_RECORDS, type GrpcCollectorOptions, type RunningCollector } from './grpc.js';
export {
  startNatsCollector,
  decodeEvent,
  decodeEventColumns,
  DEFAULT_DEDUPE_WINDOW,
  type NatsCollectorOptions,
  type RunningNatsCollector,
  type EventAttributes,
  type Delivery,
} from './nats.js';
export { CollectorError, type CollectorErrorKind } from './errors.js';
export type { ColumnarFlowBatch, DecodedFlowBatch, FlowRecord } from '../model/index.js';
export { FlowColumns, FlowColumnsPool, type FlowFeatures } from '../model/index.js';
export type { ColumnarRecords } from '../encode/pbflow-reader.js';
export type { PbflowRecord, PbflowIp } from '../encode/pbflow.js';
export { formatAddress, formatMac } from '../model/index.js';
