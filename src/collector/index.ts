// flowcast/collector: write your own collector of flowcast (and NetObserv) flows. See docs/collector.md.
export { startGrpcCollector, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_RECORDS, type GrpcCollectorOptions, type RunningCollector } from './grpc.js';
export { startNatsCollector, decodeEvent, decodeEventColumns, DEFAULT_DEDUPE_WINDOW, type NatsCollectorOptions, type RunningNatsCollector, type EventAttributes } from './nats.js';
export { CollectorError, type CollectorErrorKind } from './errors.js';
export type { DecodedFlowBatch, ColumnarFlowBatch } from '../aggregate/index.js';
export { FlowColumns, type FlowFeatures } from '../model/flow-columns.js';
export type { ColumnarRecords } from '../encode/pbflow-reader.js';
export type { FlowRecord } from '../capture/decode.js';
export type { PbflowRecord, PbflowIp } from '../encode/pbflow.js';
export { formatAddress, formatMac } from '../capture/decode.js';
