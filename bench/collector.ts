// make bench: the consuming side. CPU per record of the collector's decoders, the object ones
// (avsc, protobufjs) and the fast ones (columns, straight from the Buffer), and of the bridge's
// transcoding; then flowcast-bridge as a process, each direction end to end on loopback: a
// JetStream stream of events → bridge → a gRPC sink, and pbflow Sends → bridge → NATS.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import { decodeEvent, decodeEventColumns, startGrpcCollector } from '../src/collector/index.js';
import { encodeFlowBatch } from '../src/encode/avro.js';
import { readFlowBatch } from '../src/encode/avro-reader.js';
import { createEventEncoder, newIdentity, type EventMessage } from '../src/encode/cloudevent.js';
import { decodeRecords, encodeRecords, toFlowRecord } from '../src/encode/pbflow.js';
import { readRecords } from '../src/encode/pbflow-reader.js';
import { PbflowClient } from '../src/export/grpc.js';
import { sampleBatch } from '../test/helpers/batches.js';
import { NatsServer, freePort } from '../test/helpers/nats-server.js';
import { cpuPerRecord as cpuPerRecordOf, machineLine, writeSection } from './report.js';

/** Flows per message: an agent's interval (5,000 fits NATS's default 1 MiB max_payload in one event). */
const FLOWS = 5_000;
const MESSAGES = 20;
const ROUNDS = 5;
/** End to end: this many messages of FLOWS records through the bridge. */
const BRIDGE_MESSAGES = Number(process.env.BENCH_BRIDGE_MESSAGES ?? 200);
/** Median CPU µs per record of `task`, which handles MESSAGES × FLOWS records. */
const cpuPerRecord = (task: () => unknown) => cpuPerRecordOf(task, MESSAGES * FLOWS, ROUNDS);
const PROJECT_ROOT = new URL('..', import.meta.url).pathname;

const natsHeadersOf = (message: EventMessage) => {
  const result = natsHeaders();
  for (const [name, value] of Object.entries(message.headers)) result.set(name, value);
  return result;
};

const encode = await createEventEncoder('binary', newIdentity('bench'), false);
const events = Array.from({ length: MESSAGES }, (_, sequence) => encode(sampleBatch(FLOWS, sequence)));
const eventHeaders = events.map(natsHeadersOf);
const records = Array.from({ length: MESSAGES }, (_, sequence) => encodeRecords(sampleBatch(FLOWS, sequence).flows.decode(), '198.18.0.1'));
const forEachEvent = (decode: (body: Buffer, index: number) => unknown) => () => events.forEach((event, index) => decode(event.body, index));
const forEachSend = (decode: (message: Uint8Array) => unknown) => () => records.forEach((message) => decode(message));

const rows: [string, number][] = process.argv.includes('--bridge-only')
  ? []
  : [
      ['NATS event → flow objects (decodeEvent: CloudEvents SDK, avsc)', cpuPerRecord(forEachEvent((body, index) => decodeEvent(body, eventHeaders[index])))],
      ['NATS event → columns (decodeEventColumns, onColumns)', cpuPerRecord(forEachEvent((body, index) => decodeEventColumns(body, eventHeaders[index])))],
      ['pbflow Records → protobufjs records (onRecords)', cpuPerRecord(forEachSend(decodeRecords))],
      [
        'pbflow Records → protobufjs records → flowcast flow objects (toFlowRecord)',
        cpuPerRecord(forEachSend((message) => decodeRecords(message).map(toFlowRecord))),
      ],
      ['pbflow Records → flowcast flows in columns (readRecords, onFlows)', cpuPerRecord(forEachSend(readRecords))],
      [
        'bridge nats-to-grpc, before: Avro → avsc objects → pbflow Records',
        cpuPerRecord(forEachEvent((body, index) => encodeRecords(decodeEvent(body, eventHeaders[index]).batch.flows, ''))),
      ],
      [
        'bridge nats-to-grpc: Avro → columns → pbflow Records',
        cpuPerRecord(forEachEvent((body, index) => encodeRecords(decodeEventColumns(body, eventHeaders[index]).batch.flows, ''))),
      ],
      [
        'bridge grpc-to-nats, before: pbflow → protobufjs → flow objects → avsc',
        cpuPerRecord(forEachSend((message) => encodeFlowBatch({ ...sampleBatch(0), flows: decodeRecords(message).map(toFlowRecord) }, false))),
      ],
      [
        'bridge grpc-to-nats: pbflow → columns → Avro',
        cpuPerRecord(forEachSend((message) => encodeFlowBatch({ ...sampleBatch(0), flows: readRecords(message).flows }, false))),
      ],
    ];
// The Avro reader alone, without the CloudEvent around it.
if (rows.length) rows.splice(2, 0, ['Avro FlowBatch → columns (readFlowBatch alone)', cpuPerRecord(forEachEvent((body) => readFlowBatch(body)))]);

/** The bridge's Node flags, the agent's (docs/deploy.md); BENCH_BRIDGE_NODE_OPTIONS replaces them (empty: Node's defaults). */
const BRIDGE_NODE_OPTIONS = process.env.BENCH_BRIDGE_NODE_OPTIONS ?? '--max-semi-space-size=4 --v8-pool-size=1';

function startBridge(env: Record<string, string>): { child: ChildProcess; log: () => string } {
  // BENCH_BRIDGE_PROFILE=<dir>: each bridge writes a CPU profile there (node --cpu-prof) when it stops.
  const profile = process.env.BENCH_BRIDGE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_BRIDGE_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, `${PROJECT_ROOT}bin/flowcast-bridge.js`], {
    env: { PATH: process.env.PATH, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', NODE_OPTIONS: BRIDGE_NODE_OPTIONS, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk) => (log += chunk));
  return { child, log: () => log };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const closed = once(child, 'close');
  child.kill('SIGTERM');
  await closed;
}

async function waitFor(condition: () => boolean, what: () => string, timeoutMs = Number(process.env.BENCH_TIMEOUT_MS ?? 120_000)): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** utime + stime of a process, µs: what the bridge's records cost it, whatever else loads the machine. */
function cpuMicroseconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
}

/** The most resident memory the process had (VmHWM), MB. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB$/m);
  return Number(line![1]) / 1024;
}

/** CPU µs so far of the bridge, of nats-server and of this process (the sink, or the sender and the subscriber). */
function cpuOf(bridge: number, nats: number): [number, number, number] {
  const self = process.cpuUsage();
  return [cpuMicroseconds(bridge), cpuMicroseconds(nats), self.user + self.system];
}

/**
 * Records per second; the CPU µs per record over the same records of the bridge, of nats-server and
 * of this process (the other end); the bridge's peak RSS.
 */
interface EndToEnd {
  rate: number;
  cpuPerRecord: number;
  natsCpuPerRecord: number;
  otherEndCpuPerRecord: number;
  peakRssMb: number;
}

/** The CPU per record between two cpuOf() readings. */
const perRecord = (before: number[], after: number[], records: number) => {
  const [bridge, nats, otherEnd] = after.map((value, index) => (value - before[index]) / records);
  return { cpuPerRecord: bridge, natsCpuPerRecord: nats, otherEndCpuPerRecord: otherEnd };
};

/** JetStream events → bridge → gRPC sink: records per second from the first record at the sink to the last. */
async function natsToGrpc(): Promise<EndToEnd> {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.add({ name: 'BENCH', subjects: ['bench.flows'] });
  const js = jetstream(nc);
  // Distinct events (ids): the bridge's collector skips an event it already handled.
  for (let sequence = 0; sequence < BRIDGE_MESSAGES; sequence++) {
    const message = encode(sampleBatch(FLOWS, sequence));
    await js.publish('bench.flows', message.body, { msgID: message.id, headers: natsHeadersOf(message) });
  }
  let received = 0;
  let first = 0n;
  let last = 0n;
  let [cpuFirst, cpuLast] = [[0], [0]];
  let peakRss: number;
  // The sink reads the records with the fast reader (onFlows): little of the CPU the bridge needs.
  const sink = await startGrpcCollector({
    port: 0,
    onFlows: (batch) => {
      if (!first) {
        first = process.hrtime.bigint();
        cpuFirst = cpuOf(bridge.child.pid!, nats.pid!);
      }
      received += batch.flows.length;
      last = process.hrtime.bigint();
      if (received >= BRIDGE_MESSAGES * FLOWS) cpuLast = cpuOf(bridge.child.pid!, nats.pid!);
    },
  });
  const bridge = startBridge({
    NATS_URL: nats.url,
    NATS_SUBJECT: 'bench.flows',
    NATS_STREAM: 'BENCH',
    TARGET_HOST: '127.0.0.1',
    TARGET_PORT: String(sink.port),
  });
  try {
    await waitFor(
      () => received >= BRIDGE_MESSAGES * FLOWS || bridge.child.exitCode !== null,
      () => `the sink to receive every record (${received}): ${bridge.log()}`,
    );
    if (received !== BRIDGE_MESSAGES * FLOWS) throw new Error(`the sink received ${received} records: ${bridge.log()}`);
    peakRss = peakRssMb(bridge.child.pid!);
  } finally {
    await stop(bridge.child);
    await sink.close();
    await nc.close();
    await nats.stop();
  }
  // The first message's arrival starts the clock.
  return { rate: (received - FLOWS) / (Number(last - first) / 1e9), ...perRecord(cpuFirst, cpuLast, received - FLOWS), peakRssMb: peakRss };
}

/** pbflow Sends (4 in flight) → bridge → core NATS: records per second from the first Send to the last event received. */
async function grpcToNats(): Promise<EndToEnd> {
  const nats = await NatsServer.start();
  const nc = await connect({ servers: nats.url });
  let received = 0;
  const subscription = nc.subscribe('bench.mixed', { callback: () => void (received += FLOWS) });
  await nc.flush();
  const port = await freePort();
  const bridge = startBridge({
    BRIDGE_MODE: 'grpc-to-nats',
    BRIDGE_LISTEN_PORT: String(port),
    NATS_URL: nats.url,
    NATS_SUBJECT: 'bench.mixed',
    NODE_NAME: 'bench',
  });
  const client = new PbflowClient('127.0.0.1', port, { maxFlows: FLOWS });
  try {
    await waitFor(
      () => bridge.log().includes('bridging pbflow') || bridge.child.exitCode !== null,
      () => 'the bridge to listen',
    );
    await client.send(records[0]); // connected and warm
    await waitFor(
      () => received === FLOWS,
      () => 'the first event',
    );
    received = 0;
    const start = process.hrtime.bigint();
    const cpuStart = cpuOf(bridge.child.pid!, nats.pid!);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < BRIDGE_MESSAGES) await client.send(records[next++ % MESSAGES]);
      }),
    );
    await waitFor(
      () => received >= BRIDGE_MESSAGES * FLOWS || bridge.child.exitCode !== null,
      () => `every event on NATS (${received}): ${bridge.log()}`,
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { rate: received / seconds, ...perRecord(cpuStart, cpuOf(bridge.child.pid!, nats.pid!), received), peakRssMb: peakRssMb(bridge.child.pid!) };
  } finally {
    client.close();
    await stop(bridge.child);
    subscription.unsubscribe();
    await nc.close();
    await nats.stop();
  }
}

const loadAverage = loadavg()[0].toFixed(1);
const endToEnd = { natsToGrpc: await natsToGrpc(), grpcToNats: await grpcToNats() };
const rate = (value: number) => Math.round(value).toLocaleString('en');
const markdown = [
  `Machine: ${machineLine()}. ${FLOWS.toLocaleString('en')} flows per message, ${MESSAGES} messages, median of ${ROUNDS} rounds (CPU time of this process).`,
  '',
  '| stage | CPU µs per record | records per second per core |',
  '| --- | --- | --- |',
  ...rows.map(([stage, us]) => `| ${stage} | ${us.toFixed(3)} | ${rate(1e6 / us)} |`),
  '',
  `flowcast-bridge as a process (NODE_OPTIONS=${JSON.stringify(BRIDGE_NODE_OPTIONS)}), ${(BRIDGE_MESSAGES * FLOWS).toLocaleString('en')} records each way, ` +
    `on this machine's cores with nats-server and the other end (this process; load average ${loadAverage} at the start). ` +
    "CPU is each process's own (utime + stime, all its threads) over the same records:",
  '',
  '| direction | records/s (wall clock) | bridge CPU µs/record | bridge peak RSS | nats-server µs/record | other end µs/record | the three µs/record | cores the three need for 500,000/s |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...(
    [
      ['nats-to-grpc: JetStream durable → bridge → gRPC sink (fast reader)', endToEnd.natsToGrpc],
      ['grpc-to-nats: pbflow Sends, 4 in flight → bridge → core NATS subscriber', endToEnd.grpcToNats],
    ] as const
  ).map(([direction, run]) => {
    const all = run.cpuPerRecord + run.natsCpuPerRecord + run.otherEndCpuPerRecord;
    return (
      `| ${direction} | ${rate(run.rate)} | ${run.cpuPerRecord.toFixed(2)} | ${Math.round(run.peakRssMb)} MB | ${run.natsCpuPerRecord.toFixed(2)} | ` +
      `${run.otherEndCpuPerRecord.toFixed(2)} | ${all.toFixed(2)} | ${((all * 500_000) / 1e6).toFixed(2)} |`
    );
  }),
].join('\n');
console.log(markdown);
if (!process.argv.includes('--no-write')) writeSection('collector', markdown);
