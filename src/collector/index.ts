// flowcast/collector: write your own collector of flowcast (and NetObserv) flows. See docs/collector.md.
export { startGrpcCollector, type GrpcCollectorOptions, type RunningCollector } from './grpc.js';
export { startNatsCollector, decodeEvent, type NatsCollectorOptions, type RunningNatsCollector, type EventAttributes } from './nats.js';
export { CollectorError, type CollectorErrorKind } from './errors.js';
export type { DecodedFlowBatch } from '../encode/avro.js';
export type { FlowRecord } from '../capture/decode.js';
export type { PbflowRecord, PbflowIp } from '../encode/pbflow.js';
export { formatAddress, formatMac } from '../capture/decode.js';
