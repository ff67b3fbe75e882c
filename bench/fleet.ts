// make bench: a fleet in one process. 200 simulated agents (distinct sources and addresses, the
// real Avro encoder and NATS exporter, drained Buffers in the kernel's record layout, no kernel)
// publish one batch each per interval, staggered over the interval, to a three-node JetStream
// cluster on loopback ports; N flowcast-bridge processes sharing one durable forward them to a
// gRPC sink. Per N: records per second at the sink, the p99 latency from a batch's interval end to
// its arrival, every record once, and the CPU each part spent per record.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';

import { DrainedFlows, FIELD_OFFSETS, RECORD_SIZE } from '../src/model/index.js';
import { startGrpcCollector } from '../src/collector/index.js';
import { loadConfig } from '../src/config/index.js';
import { createEventEncoder, newIdentity } from '../src/encode/cloudevent.js';
import { NatsExporter } from '../src/export/nats.js';
import { drainedBuffer } from '../test/helpers/batches.js';
import { NatsCluster } from '../test/helpers/nats-server.js';
import { machineLine, writeSection } from './report.js';

const AGENTS = 200;
const FLOWS = Number(process.env.FLEET_FLOWS ?? 1000); // per agent and interval
const INTERVAL_MS = 5000;
const INTERVALS = 3;
const BRIDGE_COUNTS = [1, 2, 4];
const PROJECT_ROOT = new URL('..', import.meta.url).pathname;
const at = (field: keyof typeof FIELD_OFFSETS) => FIELD_OFFSETS[field][0];
/** first_seen of interval k is BASE_NS + k ms: the sink tells the intervals apart by it. */
const BASE_NS = 1_790_000_000_000_000_000n;
const BASE_US = Number(BASE_NS / 1000n);

/** Agent `agent`'s drain: the helper's UDP flows from 10.<agent / 256>.<agent % 256>.1, flow i from port 5000 + i. */
function agentDrain(agent: number): Buffer {
  const buffer = drainedBuffer(FLOWS);
  for (let base = 0; base < buffer.length; base += RECORD_SIZE) {
    buffer.set([10, agent >> 8, agent & 0xff, 1], base + at('key.src_ip') + 12);
  }
  return buffer;
}

/** Stamps interval `k` ending now (ns) on every record: first_seen names the interval, last_seen is its end. */
function stamp(buffer: Buffer, k: number, endNs: bigint): void {
  for (let base = 0; base < buffer.length; base += RECORD_SIZE) {
    buffer.writeBigUInt64LE(BASE_NS + BigInt(k) * 1_000_000n, base + at('metrics.first_seen'));
    buffer.writeBigUInt64LE(endNs, base + at('metrics.last_seen'));
  }
}

/** utime + stime of a process, seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Run {
  bridges: number;
  records: number;
  duplicates: number;
  seconds: number;
  p99Ms: number;
  agentsCpuUs: number;
  bridgesCpuUs: number;
  natsCpuUs: number;
}

async function run(bridgeCount: number): Promise<Run> {
  const cluster = await NatsCluster.start();
  const env = { NATS_URL: cluster.urls.join(','), NATS_JETSTREAM: 'true', NATS_STREAM: 'FLEET', NATS_SUBJECT: 'fleet.flows', NATS_STREAM_REPLICAS: '3' };
  const config = loadConfig({ EXPORT: 'nats', ...env });
  const log = pino({ level: 'silent' });
  const nc = await connect({ servers: cluster.urls });
  const total = AGENTS * FLOWS * INTERVALS;
  const seen = new Uint8Array(total);
  const latenciesMs = new Float64Array(total);
  let received = 0;
  let duplicates = 0;
  let lastArrival = 0;
  const sink = await startGrpcCollector({
    port: 0,
    onFlows: ({ flows }) => {
      const nowUs = Date.now() * 1000;
      for (let index = 0; index < flows.length; index++) {
        const agent = flows.addresses[index * 32 + 13] * 256 + flows.addresses[index * 32 + 14];
        const k = Math.round((flows.firstSeen[index] - BASE_US) / 1000);
        const key = (agent * INTERVALS + k) * FLOWS + (flows.dstPort[index] - 5000);
        if (seen[key]++) {
          duplicates++;
          continue;
        }
        latenciesMs[received++] = (nowUs - flows.lastSeen[index]) / 1000;
      }
      lastArrival = Date.now();
    },
  });
  const bridges: ChildProcess[] = [];
  const agents = Array.from({ length: AGENTS }, () => undefined as unknown as { exporter: NatsExporter; drain: Buffer });
  try {
    // The stream (three replicas), created once the cluster has elected its JetStream meta leader.
    for (let attempt = 0; ; attempt++) {
      try {
        await (await jetstreamManager(nc)).streams.add({ name: 'FLEET', subjects: ['fleet.flows'], num_replicas: 3 });
        break;
      } catch (error) {
        if (attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    for (let index = 0; index < bridgeCount; index++) {
      const child = spawn(process.execPath, [`${PROJECT_ROOT}bin/flowcast-bridge.js`], {
        env: { PATH: process.env.PATH, ...env, BRIDGE_DURABLE: 'fleet-bridge', TARGET_HOST: '127.0.0.1', TARGET_PORT: String(sink.port), LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      bridges.push(child);
    }
    for (let agent = 0; agent < AGENTS; agent++) {
      agents[agent] = {
        exporter: new NatsExporter({ nats: config.nats, encode: await createEventEncoder('binary', newIdentity(`node-${agent}`), false) }, log),
        drain: agentDrain(agent),
      };
    }
    const names = new Map([
      [2, 'eth0'],
      [3, 'eth0'],
      [4, 'eth0'],
    ]);
    const natsCpuBefore = cluster.processes.reduce((sum, child) => sum + cpuSeconds(child.pid!), 0);
    const cpuBefore = process.cpuUsage();
    const start = Date.now();
    const sends: Promise<void>[] = [];
    // Each agent's intervals end at its own phase of the interval, as agents started at different times do.
    await Promise.all(
      agents.map(async ({ exporter, drain }, agent) => {
        for (let k = 0; k < INTERVALS; k++) {
          const due = start + (agent / AGENTS) * INTERVAL_MS + k * INTERVAL_MS;
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
          const endNs = BigInt(Date.now()) * 1_000_000n;
          const records = Buffer.from(drain);
          stamp(records, k, endNs);
          const endUs = Number(endNs / 1000n);
          sends.push(
            exporter.send({
              agentName: `node-${agent}`,
              agentIp: `10.${agent >> 8}.${agent & 0xff}.1`,
              sequence: k,
              part: 0,
              parts: 1,
              intervalStart: endUs - INTERVAL_MS * 1000,
              intervalEnd: endUs,
              ringBufferPackets: 0,
              lostPackets: 0,
              flows: new DrainedFlows(records, names),
            }),
          );
        }
      }),
    );
    await Promise.all(sends);
    const agentsCpu = process.cpuUsage(cpuBefore);
    for (const deadline = Date.now() + 60_000; received < total && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 50));
    if (received < total) throw new Error(`the sink received ${received} of ${total} records with ${bridgeCount} bridges`);
    const bridgesCpu = bridges.reduce((sum, child) => sum + cpuSeconds(child.pid!), 0);
    const natsCpu = cluster.processes.reduce((sum, child) => sum + cpuSeconds(child.pid!), 0) - natsCpuBefore;
    latenciesMs.sort();
    return {
      bridges: bridgeCount,
      records: received,
      duplicates,
      seconds: (lastArrival - start) / 1000,
      p99Ms: latenciesMs[Math.floor(total * 0.99)],
      agentsCpuUs: (agentsCpu.user + agentsCpu.system) / total,
      bridgesCpuUs: (bridgesCpu * 1e6) / total,
      natsCpuUs: (natsCpu * 1e6) / total,
    };
  } finally {
    for (const child of bridges) {
      if (child.exitCode !== null) continue;
      const closed = once(child, 'close');
      child.kill('SIGTERM');
      await closed;
    }
    await Promise.all(agents.filter(Boolean).map(({ exporter }) => exporter.close()));
    await sink.close();
    await nc.close();
    await cluster.stop();
  }
}

const runs: Run[] = [];
for (const count of BRIDGE_COUNTS) {
  runs.push(await run(count));
  console.log(runs.at(-1));
}
const format = (value: number) => Math.round(value).toLocaleString('en');
const markdown = [
  `Machine: ${machineLine()}. ${AGENTS} agents × ${FLOWS.toLocaleString('en')} flows per ${INTERVAL_MS / 1000} s interval (${format((AGENTS * FLOWS * 1000) / INTERVAL_MS)} records/s offered), ` +
    `${INTERVALS} intervals; a three-node JetStream cluster (stream with 3 replicas), N flowcast-bridge processes on one durable, a gRPC sink; all on this machine.`,
  '',
  '| bridges | records at the sink | duplicates | records/s (first interval to last arrival) | p99 interval end → arrival | this process (agents and sink) CPU µs/record | bridges CPU µs/record (from their start) | nats-servers CPU µs/record |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...runs.map(
    (run) =>
      `| ${run.bridges} | ${format(run.records)} | ${run.duplicates} | ${format(run.records / run.seconds)} | ${(run.p99Ms / 1000).toFixed(2)} s | ${run.agentsCpuUs.toFixed(2)} | ${run.bridgesCpuUs.toFixed(2)} | ${run.natsCpuUs.toFixed(2)} |`,
  ),
].join('\n');
console.log(markdown);
if (!process.argv.includes('--no-write')) writeSection('fleet', markdown);
