// make bench: the pipeline without the kernel. Synthetic drained Buffers of 100,000 flows go
// through aggregation, Avro (from the Buffer), CloudEvent and publish to a local nats-server (core NATS,
// flushed), as the agent does each interval. Reports records per second per core and CPU
// microseconds per record (process CPU time, all threads).
import { pino } from 'pino';

import { Aggregator } from '../src/aggregate/index.js';
import { loadConfig } from '../src/config/index.js';
import { createEventEncoder, newIdentity } from '../src/encode/cloudevent.js';
import { NatsExporter } from '../src/export/nats.js';
import { DrainedFlows, type FlowBatch } from '../src/model/index.js';
import { drainedBuffer } from '../test/helpers/batches.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { machineLine, median, writeSection } from './report.js';

const FLOWS = 100_000;
const WARMUP_ROUNDS = 3;
const ROUNDS = 10;

async function measure(exporter: NatsExporter, drained: Buffer): Promise<{ seconds: number; cpuSeconds: number }> {
  const batches: FlowBatch[] = [];
  // A source whose every drain (and its last, at close) is the same synthetic kernel drain.
  const names = new Map([
    [2, 'eth2'],
    [3, 'eth3'],
    [4, 'eth4'],
  ]);
  const drain = async () => new DrainedFlows(drained, names);
  const source = {
    drain,
    close: drain,
    counters: () => ({ ringBufferPackets: 0, lostPackets: 0, observedInterfacesMissed: 0, attachments: 1, idleDrains: 0 }),
  };
  const aggregator = new Aggregator(source, {
    intervalMs: 3_600_000,
    agentName: 'bench',
    agentIp: '198.18.0.1',
    onBatch: (batch) => batches.push(batch),
    onError: (error) => {
      throw error;
    },
  });
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  await aggregator.stop(); // one flush: decode + aggregate
  if (batches[0]?.flows.length !== FLOWS) throw new Error('the batch does not hold the drained flows');
  await exporter.send(batches[0]); // Avro, CloudEvent, publish, flush
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

async function main(): Promise<void> {
  const server = await NatsServer.start();
  const config = loadConfig({ EXPORT: 'nats', NATS_URL: server.url });
  const exporter = new NatsExporter({ nats: config.nats, encode: await createEventEncoder('binary', newIdentity('bench'), false) }, pino({ level: 'warn' }));
  try {
    const drained = drainedBuffer(FLOWS);
    for (let round = 0; round < WARMUP_ROUNDS; round++) await measure(exporter, drained);
    const runs = [];
    for (let round = 0; round < ROUNDS; round++) runs.push(await measure(exporter, drained));
    const cpuPerRecordUs = (median(runs.map((run) => run.cpuSeconds)) / FLOWS) * 1e6;
    const wallPerRecordUs = (median(runs.map((run) => run.seconds)) / FLOWS) * 1e6;
    const markdown = [
      `Machine: ${machineLine()}. ${FLOWS.toLocaleString('en')} flows per drained Buffer, median of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up rounds.`,
      '',
      '| stage | CPU µs per record | records per second per core | wall µs per record |',
      '| --- | --- | --- | --- |',
      `| drained Buffer → aggregate → Avro → CloudEvent → NATS publish | ${cpuPerRecordUs.toFixed(3)} | ${Math.round(1e6 / cpuPerRecordUs).toLocaleString('en')} | ${wallPerRecordUs.toFixed(3)} |`,
    ].join('\n');
    console.log(markdown);
    if (!process.argv.includes('--no-write')) writeSection('pipeline', markdown);
  } finally {
    await exporter.close();
    await server.stop();
  }
}

await main();
