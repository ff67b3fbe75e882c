// make bench: gRPC export and collector decode throughput, 100,000 flows per batch in messages
// of GRPC_MESSAGE_MAX_FLOWS (10,000). CPU per record for each side in isolation, then both ends
// over a real loopback gRPC connection in this process.
import { startGrpcCollector } from '../src/collector/index.js';
import { decodeRecords, encodeRecords } from '../src/encode/pbflow.js';
import { GrpcExporter } from '../src/export/grpc.js';
import { DrainedFlows } from '../src/model/index.js';
import { drainedBuffer, sampleBatch } from '../test/helpers/batches.js';
import { cpuPerRecord as cpuPerRecordOf, machineLine, median, writeSection } from './report.js';

const FLOWS = 100_000;
const MESSAGE_FLOWS = 10_000;
const ROUNDS = 7;
const cpuPerRecord = (task: () => unknown) => cpuPerRecordOf(task, FLOWS, ROUNDS);

const batch = {
  ...sampleBatch(0),
  flows: new DrainedFlows(
    drainedBuffer(FLOWS),
    new Map([
      [2, 'eth2'],
      [3, 'eth3'],
      [4, 'eth4'],
    ]),
  ),
};
/** The export's encoding: the drain as columns (the exporter's path), or as flow objects (its path before issue 12). */
const encodeAll = (asObjects = false) => {
  const flows = asObjects ? batch.flows.decode() : batch.flows.columns();
  const messages: Uint8Array[] = [];
  for (let from = 0; from < flows.length; from += MESSAGE_FLOWS) messages.push(encodeRecords(flows.slice(from, from + MESSAGE_FLOWS), '198.18.0.1'));
  return messages;
};
const objectsUs = cpuPerRecord(() => encodeAll(true));
const exportUs = cpuPerRecord(encodeAll);
const messages = encodeAll();
const decodeUs = cpuPerRecord(() => messages.map(decodeRecords));

let received = 0;
const collector = await startGrpcCollector({ port: 0, host: '127.0.0.1', onRecords: (records) => void (received += records.length) });
const exporter = new GrpcExporter({ target: { host: '127.0.0.1', port: collector.port }, grpc: { maxFlows: MESSAGE_FLOWS } }, '198.18.0.1');
await exporter.send(batch);
const walls: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = process.hrtime.bigint();
  await exporter.send({ ...batch, sequence: round });
  walls.push(Number(process.hrtime.bigint() - start) / 1e9);
}
await exporter.close();
await collector.close();
if (received !== FLOWS * (ROUNDS + 1)) throw new Error(`the collector received ${received} records`);

const rate = (us: number) => Math.round(1e6 / us).toLocaleString('en');
const markdown = [
  `Machine: ${machineLine()}. ${FLOWS.toLocaleString('en')} flows per batch, ${MESSAGE_FLOWS.toLocaleString('en')} per Send, median of ${ROUNDS} rounds.`,
  '',
  '| stage | CPU µs per record | records per second per core |',
  '| --- | --- | --- |',
  `| export before issue 12: drained Buffer → flow objects → pbflow Records | ${objectsUs.toFixed(3)} | ${rate(objectsUs)} |`,
  `| export: drained Buffer → columns → pbflow Records | ${exportUs.toFixed(3)} | ${rate(exportUs)} |`,
  `| collector: pbflow Records → decoded records | ${decodeUs.toFixed(3)} | ${rate(decodeUs)} |`,
  '',
  `Both ends in one process over loopback gRPC: ${Math.round(FLOWS / median(walls)).toLocaleString('en')} records per second (wall clock).`,
].join('\n');
console.log(markdown);
if (!process.argv.includes('--no-write')) writeSection('grpc', markdown);
