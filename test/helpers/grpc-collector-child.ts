// A gRPC collector (the collector library) inside a test namespace, answering over IPC:
//   argv[2]: port     parent -> 'collect'     child -> { type: 'records', records } | { type: 'ready' }
import { startGrpcCollector } from '../../src/collector/index.js';
import type { PbflowRecord } from '../../src/encode/pbflow.js';

const records: PbflowRecord[] = [];
await startGrpcCollector({ port: Number(process.argv[2]), host: '127.0.0.1', onRecords: (batch) => void records.push(...batch) });
process.send!({ type: 'ready' });
process.on('message', () => process.send!({ type: 'records', records: JSON.parse(JSON.stringify(records)) }));
