// make bench: the agent's cost in every export mode side by side (issue 12), and how it grows with
// the flows per interval. Same traffic as bench/capture.ts (build/udpgen across a veth pair); the
// agent as shipped (bin/flowcast-agent.js) at default settings but for the export; its sink a real
// server in the agent's namespace (bench/sink.ts): nats-server and a subscriber, a gRPC collector,
// an HTTP server; stdout JSON lines are read from the agent's stdout.
import { readFileSync, readdirSync } from 'node:fs';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';

import { AgentProcess } from '../test/helpers/agent.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { PROJECT_ROOT, TestNet, UDPGEN, exec, spawnIn } from '../test/helpers/netns.js';
import { waitUntil } from '../test/helpers/wait.js';
import { machineLine, median, writeSection } from './report.js';
import type { SinkTotals } from './sink.js';

const PACKETS = 1_000_000;
const FLOWS = 10_000;
/** BENCH_COST_RUNS: fewer runs while working on it; the docs' numbers are from 3. */
const RUNS = Number(process.env.BENCH_COST_RUNS ?? 3);
/** The Node flags deploy/Containerfile and the systemd unit give the agent (NODE_OPTIONS); BENCH_NODE_OPTIONS to compare others. */
const AGENT_NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? '--max-semi-space-size=4 --v8-pool-size=1';
/** Their environment with it: one malloc arena (BENCH_MALLOC_ARENA_MAX to compare others; empty: glibc's default). */
const MALLOC_ARENA_MAX = process.env.BENCH_MALLOC_ARENA_MAX ?? '1';
const NODE_OPTIONS: Record<string, string> = { NODE_OPTIONS: AGENT_NODE_OPTIONS, ...(MALLOC_ARENA_MAX && { MALLOC_ARENA_MAX }) };
const INTERVAL_MS = 5000; // the default CACHE_ACTIVE_TIMEOUT
/** Idle CPU right after the bursts (V8's memory reducer collects then), and steady: from STEADY_AFTER_MS after the bursts on. */
const IDLE_MS = 30_000;
const STEADY_AFTER_MS = 90_000;
/** Two minutes: a whole period of the NATS client's keepalive ping, which a shorter window catches or misses by chance. */
const STEADY_MS = 120_000;
const SINK_PORT = 9600;
const METRICS_PORT = 9601;
/** udpgen sends to at most this many destination ports; more flows take more source ports. */
const FLOWS_PER_SOURCE = 50_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * CPU seconds of every thread of the process, from the scheduler's nanosecond counters
 * (/proc/PID/task/TID/schedstat): utime and stime tick at 10 ms, too coarse for idle CPU. Threads
 * that already ended are not counted; the agent's threads (libuv's pool, V8's) live as long as it.
 */
function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e9;
}

function peakRssMb(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** The agent's node process: `ip netns exec` execs it, so the spawned pid is the agent's. */
async function send(net: TestNet, flows: number, packetsPerFlow: number, srcPort: number): Promise<number[]> {
  const sources: number[] = [];
  for (let first = 0; first < flows; first += FLOWS_PER_SOURCE) {
    const count = Math.min(FLOWS_PER_SOURCE, flows - first);
    const source = srcPort + sources.length;
    await exec(net.a.ns, UDPGEN, net.b.ipv4, '10000', String(count), String(count * packetsPerFlow), '18', String(source));
    sources.push(source);
  }
  return sources;
}

type Mode = 'stdout json' | 'nats' | 'grpc' | 'http';

/** A mode's sink and the agent settings that export to it. */
class Sink {
  private constructor(
    private readonly child: ChildProcess | undefined,
    private readonly nats: NatsServer | undefined,
    readonly env: Record<string, string>,
  ) {}

  static async start(net: TestNet, mode: Mode): Promise<Sink> {
    if (mode === 'stdout json') return new Sink(undefined, undefined, { EXPORT: 'stdout', STDOUT_FORMAT: 'json' });
    const nats = mode === 'nats' ? await NatsServer.start({ ns: net.a.ns }) : undefined;
    const options = { mode, port: SINK_PORT, natsUrl: nats?.url, subject: 'bench.flows' };
    const child = spawnIn(net.a.ns, process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}bench/sink.ts`, JSON.stringify(options)]);
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const [reply] = (await Promise.race([once(child, 'message'), once(child, 'close').then(() => [{ type: 'exit' }])])) as [{ type: string }];
    if (reply.type !== 'ready') throw new Error(`the ${mode} sink did not start: ${stderr}`);
    const env: Record<string, string> =
      mode === 'nats'
        ? { EXPORT: 'nats', NATS_URL: nats!.url, NATS_SUBJECT: 'bench.flows' }
        : mode === 'grpc'
          ? { EXPORT: 'grpc', TARGET_HOST: '127.0.0.1', TARGET_PORT: String(SINK_PORT) }
          : { EXPORT: 'http', HTTP_TARGET_URL: `http://127.0.0.1:${SINK_PORT}/` };
    return new Sink(child, nats, env);
  }

  private async ask<T>(message: object, type: string): Promise<T> {
    const reply = once(this.child!, 'message');
    this.child!.send(message);
    const [answer] = (await reply) as [Record<string, T>];
    return answer[type];
  }

  /** What arrived; for stdout, read from the agent's JSON lines. */
  async totals(agent: AgentProcess): Promise<SinkTotals> {
    if (this.child) return this.ask<SinkTotals>({ type: 'totals' }, 'totals');
    const totals: SinkTotals = { packets: {}, flows: 0, bytes: Buffer.byteLength(agent.stdout) };
    for (const line of agent.stdout.split('\n')) {
      if (!line) continue;
      const flow = JSON.parse(line) as { protocol: number; direction: string; srcPort: number; packets: number };
      totals.flows++;
      if (flow.protocol === 17 && flow.direction === 'egress') totals.packets[flow.srcPort] = (totals.packets[flow.srcPort] ?? 0) + flow.packets;
    }
    return totals;
  }

  /** The agent's drain_duration_seconds sum and count (METRICS_PORT, read from inside the namespace). */
  async drains(): Promise<{ seconds: number; count: number }> {
    const text = await this.ask<string>({ type: 'metrics', port: METRICS_PORT }, 'text');
    const value = (name: string) => Number(new RegExp(`^\\w*drain_duration_seconds_${name} (\\S+)$`, 'm').exec(text)![1]);
    return { seconds: value('sum'), count: value('count') };
  }

  async stop(): Promise<void> {
    this.child?.kill();
    await this.nats?.stop();
  }
}

const packetsOf = (totals: SinkTotals, sources: number[]) => sources.reduce((sum, source) => sum + (totals.packets[source] ?? 0), 0);

interface ModeRun {
  accounted: number;
  cpu: number;
  warmCpu: number;
  idleMsPerMinute?: number;
  steadyIdleMsPerMinute?: number;
  rssMb: number;
  bytesPerFlow: number;
}

async function modeRun(net: TestNet, mode: Mode, srcPort: number, measureIdle: boolean): Promise<ModeRun> {
  const sink = await Sink.start(net, mode);
  const agent = AgentProcess.start(net.a.ns, { ...sink.env, ...NODE_OPTIONS, INTERFACES: 'fca' }, true);
  try {
    await agent.waitForLog('capturing');
    const burst = async (port: number) => {
      const before = cpuSeconds(agent.pid);
      await send(net, FLOWS, PACKETS / FLOWS, port);
      // Until the drain after the traffic: one whole interval and a little.
      await sleep(INTERVAL_MS + 500);
      return cpuSeconds(agent.pid) - before;
    };
    const cpu = await burst(srcPort);
    const warmCpu = await burst(srcPort + 1000);
    let idleMsPerMinute: number | undefined;
    let steadyIdleMsPerMinute: number | undefined;
    if (measureIdle) {
      const idlePerMinute = async (ms: number) => {
        const before = cpuSeconds(agent.pid);
        await sleep(ms);
        return ((cpuSeconds(agent.pid) - before) * 1000 * 60_000) / ms;
      };
      idleMsPerMinute = await idlePerMinute(IDLE_MS);
      await sleep(STEADY_AFTER_MS - IDLE_MS);
      steadyIdleMsPerMinute = await idlePerMinute(STEADY_MS);
    }
    const rssMb = peakRssMb(agent.pid);
    const totals = await sink.totals(agent);
    const accounted = Math.min(packetsOf(totals, [srcPort]), packetsOf(totals, [srcPort + 1000])) / PACKETS;
    return { accounted, cpu, warmCpu, idleMsPerMinute, steadyIdleMsPerMinute, rssMb, bytesPerFlow: totals.bytes / totals.flows };
  } finally {
    await agent.stop('SIGTERM');
    await sink.stop();
  }
}

const ALL_MODES: Mode[] = ['stdout json', 'nats', 'grpc', 'http'];
/** BENCH_COST_MODES="grpc,http": only these (while working on one); printed, not written to the docs. */
const SOME_MODES = process.env.BENCH_COST_MODES?.split(',') as Mode[] | undefined;

async function modes(net: TestNet): Promise<string> {
  const rows: string[] = [];
  for (const [index, mode] of ALL_MODES.entries()) {
    if (SOME_MODES && !SOME_MODES.includes(mode)) continue;
    const runs: ModeRun[] = [];
    for (let run = 0; run < RUNS; run++) runs.push(await modeRun(net, mode, 31500 + index * 10 + run, run === 0));
    rows.push(
      `| ${mode} | ${(median(runs.map((r) => r.accounted)) * 100).toFixed(3)}% | ${median(runs.map((r) => r.cpu)).toFixed(3)} s | ` +
        `${median(runs.map((r) => r.warmCpu)).toFixed(3)} s | ${runs[0].idleMsPerMinute!.toFixed(1)} ms | ${runs[0].steadyIdleMsPerMinute!.toFixed(1)} ms | ` +
        `${median(runs.map((r) => r.rssMb)).toFixed(1)} MB | ` +
        `${median(runs.map((r) => r.bytesPerFlow)).toFixed(0)} |`,
    );
    console.log(rows.at(-1));
  }
  return [
    `Machine: ${machineLine()}. ${PACKETS.toLocaleString('en')} UDP packets over ${FLOWS.toLocaleString('en')} flows, unpaced; default settings (CACHE_MAX_FLOWS=100000, 5 s interval) but the export, NODE_OPTIONS="${AGENT_NODE_OPTIONS}"${MALLOC_ARENA_MAX ? ` MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX}` : ''}; median of ${RUNS} runs (idle: the first run; after the bursts over ${IDLE_MS / 1000} s, and steady over ${STEADY_MS / 1000} s from ${STEADY_AFTER_MS / 1000} s after them).`,
    '',
    '| export | packets accounted | agent CPU, first burst (send → last drain) | same burst again | idle CPU per minute, after the bursts | idle CPU per minute, steady | peak RSS | exported bytes per flow |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

const SCALE_MODES = (process.env.BENCH_SCALE_MODES?.split(',') ?? ['nats', 'grpc']) as Mode[];
const SCALE_FLOWS = [1_000, 10_000, 100_000, 1_000_000];
const SCALE_PACKETS_PER_FLOW = 1;
/** Long enough that the whole burst lands in the first interval, drained once. */
const SCALE_INTERVAL_MS = 30_000;

async function scaleRun(net: TestNet, mode: Mode, flows: number, srcPort: number): Promise<string> {
  const sink = await Sink.start(net, mode);
  // The map holds the burst's flows and the few the receiver's ICMP answers make.
  const settings = { CACHE_MAX_FLOWS: String(flows + 1000), CACHE_ACTIVE_TIMEOUT: `${SCALE_INTERVAL_MS}ms`, METRICS_PORT: String(METRICS_PORT) };
  const agent = AgentProcess.start(net.a.ns, { ...sink.env, ...settings, ...NODE_OPTIONS, INTERFACES: 'fca' }, true);
  try {
    await agent.waitForLog('capturing');
    const firstDrainAt = Date.now() + SCALE_INTERVAL_MS; // the interval starts as the agent logs 'capturing'
    const sources = await send(net, flows, SCALE_PACKETS_PER_FLOW, srcPort);
    const sent = flows * SCALE_PACKETS_PER_FLOW;
    // CPU from a second before the drain: the drain, encoding and export of the burst, not the
    // idle intervals before it (which would weigh on the small rows only).
    if (Date.now() > firstDrainAt - 2000) throw new Error(`sending ${flows} flows took too long to measure the first drain alone`);
    await sleep(firstDrainAt - 1000 - Date.now());
    const before = cpuSeconds(agent.pid);
    let totals = await sink.totals(agent);
    await waitUntil(
      async () => packetsOf((totals = await sink.totals(agent)), sources) >= sent,
      () => `${sent} packets at the ${mode} sink (${packetsOf(totals, sources)} so far)`,
      60_000,
      200,
    );
    const cpu = cpuSeconds(agent.pid) - before;
    const drains = await sink.drains();
    if (drains.count !== 1) throw new Error(`expected the burst in one drain, the agent drained ${drains.count} times`);
    const row =
      `| ${mode} | ${flows.toLocaleString('en')} | ${(drains.seconds * 1000).toFixed(1)} ms | ${((cpu * 1e6) / flows).toFixed(2)} µs | ` +
      `${peakRssMb(agent.pid).toFixed(1)} MB | ${(totals.bytes / totals.flows).toFixed(0)} | ${((packetsOf(totals, sources) / sent) * 100).toFixed(3)}% |`;
    console.log(row);
    return row;
  } finally {
    await agent.stop('SIGTERM');
    await sink.stop();
  }
}

async function scaling(net: TestNet): Promise<string> {
  const rows: string[] = [];
  for (const [index, mode] of SCALE_MODES.entries()) {
    for (const flows of SCALE_FLOWS) rows.push(await scaleRun(net, mode, flows, 40000 + index * 100));
  }
  return [
    `Machine: ${machineLine()}. ${SCALE_PACKETS_PER_FLOW} UDP packet per flow, CACHE_MAX_FLOWS = flows + 1000, CACHE_ACTIVE_TIMEOUT=${SCALE_INTERVAL_MS / 1000}s so that the burst is drained once (the agent's CPU counted from a second before that drain until the sink has every packet); one run per row.`,
    '',
    '| export | flows in the interval | drain (switch + read the map, wall) | agent CPU per flow (drain → all at the sink) | peak RSS | exported bytes per flow | packets accounted |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

const only = process.env.BENCH_COST_ONLY; // "modes" or "scaling": one section (while working on it)
const net = await TestNet.create();
try {
  if (only !== 'scaling') {
    const table = await modes(net);
    if (!SOME_MODES) writeSection('cost-modes', table);
  }
  if (only !== 'modes') writeSection('cost-scaling', await scaling(net));
} finally {
  await net.destroy();
}
