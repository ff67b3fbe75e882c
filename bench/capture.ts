// make bench: capture overhead and exactness on a veth pair between two namespaces.
// 1,000,000 UDP packets over 10,000 flows, unpaced, without and with the agent (EXPORT=nats,
// every other setting default); then iperf3 TCP without and with the agent.
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';

import { AgentProcess, Subscriber, udpTotals } from '../test/helpers/agent.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { TestNet, UDPGEN, exec } from '../test/helpers/netns.js';
import { machineLine, median, writeSection } from './report.js';

const PACKETS = 1_000_000;
const FLOWS = 10_000;
const RUNS = 3;
const TICKS_PER_SECOND = 100; // USER_HZ
const INTERVAL_MS = 5000; // the default CACHE_ACTIVE_TIMEOUT

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
}

function peakRssMb(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

async function sendRate(net: TestNet, srcPort: number): Promise<number> {
  const output = await exec(net.a.ns, UDPGEN, net.b.ipv4, '20000', String(FLOWS), String(PACKETS), '18', String(srcPort));
  const [, sent, seconds] = /sent (\d+) packets in ([\d.]+) seconds/.exec(output)!;
  return Number(sent) / Number(seconds);
}

async function iperf(net: TestNet): Promise<number> {
  const server = spawn('ip', ['netns', 'exec', net.b.ns, 'iperf3', '-s', '-1', '-B', net.b.ipv4], { stdio: 'ignore' });
  await sleep(300);
  const report = JSON.parse(await exec(net.a.ns, 'iperf3', '-c', net.b.ipv4, '-t', '3', '-J'));
  server.kill();
  return report.end.sum_received.bits_per_second / 1e9;
}

interface AgentRun {
  accounted: number;
  /** The first burst after the agent started, as the issue measures it (includes V8's warm-up). */
  cpu: number;
  /** The same burst again, same agent: the steady-state cost. */
  warmCpu: number;
  rssMb: number;
  rate: number;
}

async function withAgent(net: TestNet, settings: Record<string, string>, srcPort: number): Promise<AgentRun> {
  const nats = await NatsServer.start({ ns: net.a.ns });
  const subscriber = await Subscriber.start(net.a.ns, { url: nats.url, subject: 'bench.flows' });
  const agent = AgentProcess.start(net.a.ns, { EXPORT: 'nats', NATS_URL: nats.url, NATS_SUBJECT: 'bench.flows', INTERFACES: 'fca', ...settings }, true);
  await agent.waitForLog('capturing');
  const pid = agent.pid;
  const burst = async (port: number) => {
    const cpuBefore = cpuSeconds(pid);
    const rate = await sendRate(net, port);
    // Until the drain after the traffic: one whole interval (5 s by default) and a little.
    await sleep(INTERVAL_MS + 500);
    return { rate, cpu: cpuSeconds(pid) - cpuBefore };
  };
  const first = await burst(srcPort);
  const again = await burst(srcPort + 1000);
  const rssMb = peakRssMb(pid);
  await agent.stop('SIGTERM');
  const events = await subscriber.collect();
  subscriber.close();
  await nats.stop();
  const accounted = Math.min(udpTotals(events, srcPort).packets, udpTotals(events, srcPort + 1000).packets) / PACKETS;
  return { accounted, cpu: first.cpu, warmCpu: again.cpu, rssMb, rate: first.rate };
}

async function main(): Promise<void> {
  const net = await TestNet.create();
  try {
    const baselines: number[] = [];
    const rows: string[] = [];
    for (const [label, settings] of [
      ['defaults (CACHE_MAX_FLOWS=100000)', {}],
      ['CACHE_MAX_FLOWS=5000 (ring buffer path)', { CACHE_MAX_FLOWS: '5000' }],
      [
        'ENABLE_PKT_DROPS=true, ENABLE_RTT=true (nothing listens on the receiver: every packet is a NO_SOCKET drop the hook records)',
        { ENABLE_PKT_DROPS: 'true', ENABLE_RTT: 'true' },
      ],
      ['ENABLE_DNS_TRACKING=true (the traffic is not DNS: what the port check costs every packet)', { ENABLE_DNS_TRACKING: 'true' }],
      ['DEDUPER=none (one flow per interface and direction, as before in-kernel deduplication)', { DEDUPER: 'none' }],
      [
        'FLOW_FILTER_RULES, two rules (every packet looked up in the trie and accepted by a UDP rule, so all are still counted)',
        { FLOW_FILTER_RULES: '[{"ip_cidr":"198.18.0.0/24","protocol":"UDP","action":"Accept"},{"ip_cidr":"10.0.0.0/8","action":"Reject"}]' },
      ],
    ] as [string, Record<string, string>][]) {
      const runs: AgentRun[] = [];
      const ratios: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        // Alternate runs without and with the agent: this VM's sender rate drifts by ±10%.
        const without = await sendRate(net, 30500 + run);
        baselines.push(without);
        runs.push(await withAgent(net, settings, 31500 + run));
        ratios.push(runs.at(-1)!.rate / without);
      }
      rows.push(
        `| ${label} | ${(median(runs.map((r) => r.accounted)) * 100).toFixed(3)}% | ${median(runs.map((r) => r.cpu)).toFixed(2)} s | ${median(runs.map((r) => r.warmCpu)).toFixed(2)} s | ` +
          `${median(runs.map((r) => r.rssMb)).toFixed(0)} MB | ${(median(runs.map((r) => r.rate)) / 1e3).toFixed(0)}k/s (${(median(ratios) * 100).toFixed(1)}%) |`,
      );
      console.log(rows.at(-1));
    }
    const iperfRatios: number[] = [];
    const iperfRates: [number, number][] = [];
    for (let run = 0; run < RUNS; run++) {
      const without = await iperf(net);
      const nats = await NatsServer.start({ ns: net.a.ns });
      const agent = AgentProcess.start(net.a.ns, { EXPORT: 'nats', NATS_URL: nats.url, INTERFACES: 'fca' }, true);
      await agent.waitForLog('capturing');
      const withIt = await iperf(net);
      await agent.stop('SIGTERM');
      await nats.stop();
      iperfRates.push([without, withIt]);
      iperfRatios.push(withIt / without);
    }
    const markdown = [
      `Machine: ${machineLine()}. Median of ${RUNS} runs. Sender without agent: ${(median(baselines) / 1e3).toFixed(0)}k packets/s.`,
      '',
      '| agent settings | packets accounted | agent CPU, first burst (send → last drain) | same burst again | peak RSS | sender rate (vs no agent, same run) |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `iperf3 TCP, 3 s: ${median(iperfRates.map((r) => r[0])).toFixed(2)} Gbit/s without the agent, ` +
        `${median(iperfRates.map((r) => r[1])).toFixed(2)} Gbit/s with it (${(median(iperfRatios) * 100).toFixed(1)}%).`,
    ].join('\n');
    console.log(markdown);
    writeSection('capture', markdown);
  } finally {
    await net.destroy();
  }
}

await main();
