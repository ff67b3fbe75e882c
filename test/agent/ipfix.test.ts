// The agent with EXPORT=ipfix+udp, real traffic, and nfcapd (Debian's nfdump) as the collector.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { AgentProcess } from '../helpers/agent.js';
import { PROJECT_ROOT, TestNet, exec, exitOf, sendUdp, sh, spawnIn } from '../helpers/netns.js';

const PORT = 4739; // IPFIX's port, free in the test's own namespace

interface NfdumpFlow {
  src4_addr?: string;
  dst4_addr?: string;
  src_port: number;
  dst_port: number;
  proto: number;
  in_packets: number;
  in_bytes: number;
  direction: number;
  tcp_flags: string;
  in_src_mac: string;
  in_dst_mac: string;
}

/** Waits, a bounded time, until `done()` resolves to true. */
async function until(what: string, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Runs `traffic` with nfcapd on 127.0.0.1:PORT and the agent (EXPORT=ipfix+udp, `env` besides) in
 * namespace a; returns what nfdump reads once the agent stopped and nfcapd read every datagram.
 */
async function capture(net: TestNet, env: Record<string, string>, traffic: () => Promise<void>): Promise<{ flows: NfdumpFlow[]; stats: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'flowcast-nfcapd-'));
  const nfcapd = spawnIn(net.a.ns, 'nfcapd', ['-b', '127.0.0.1', '-p', String(PORT), '-w', dir, '-t', '3600']);
  let output = '';
  nfcapd.stdout!.on('data', (chunk) => (output += chunk));
  nfcapd.stderr!.on('data', (chunk) => (output += chunk));
  try {
    await until('nfcapd to start', async () => output.includes('Startup nfcapd.'));
    const agent = AgentProcess.start(net.a.ns, { EXPORT: 'ipfix+udp', TARGET_HOST: '127.0.0.1', TARGET_PORT: String(PORT), INTERFACES: 'fca', ...env });
    await agent.waitForLog('capturing');
    await traffic();
    assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);

    // nfcapd has read every datagram once its socket's receive queue (rx_queue in /proc/net/udp) is empty.
    const local = `0100007F:${PORT.toString(16).toUpperCase().padStart(4, '0')}`;
    await until('nfcapd to read its socket', async () => {
      const row = (await exec(net.a.ns, 'cat', '/proc/net/udp'))
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .find((fields) => fields[1] === local);
      return row !== undefined && Number.parseInt(row[4].split(':')[1], 16) === 0;
    });
    const exited = exitOf(nfcapd);
    nfcapd.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    return { flows: JSON.parse(await sh('nfdump', '-R', dir, '-o', 'json')) as NfdumpFlow[], stats: await sh('nfdump', '-R', dir, '-I') };
  } finally {
    nfcapd.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

test('agent with EXPORT=ipfix+udp: nfcapd/nfdump read the captured traffic with exact counts', async () => {
  const net = await TestNet.create();
  try {
    const { flows, stats } = await capture(net, { CACHE_ACTIVE_TIMEOUT: '500ms' }, () =>
      sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 5, packets: 5000, payload: 100, srcPort: 32000 }),
    );
    const ours = flows.filter((flow) => flow.src_port === 32000);
    const perPort = new Map<number, number>();
    for (const flow of ours) perPort.set(flow.dst_port, (perPort.get(flow.dst_port) ?? 0) + flow.in_packets);
    assert.deepEqual(
      [...perPort.entries()].sort(),
      [0, 1, 2, 3, 4].map((i) => [40000 + i, 1000]),
    );
    assert.equal(
      ours.reduce((sum, flow) => sum + flow.in_bytes, 0),
      5000 * (14 + 20 + 8 + 100),
    );
    for (const flow of ours) {
      assert.equal(flow.src4_addr, '198.18.0.1');
      assert.equal(flow.dst4_addr, '198.18.0.2');
      assert.equal(flow.proto, 17);
      assert.equal(flow.direction, 1, 'egress');
      assert.equal(flow.in_src_mac, net.a.mac);
      assert.equal(flow.in_dst_mac, net.b.mac);
    }
    assert.match(stats, /^Sequence failures: 0$/m);
  } finally {
    await net.destroy();
  }
});

test("agent with EXPORT=ipfix+udp, real TCP: tcpControlBits is NetObserv's flags value, as nfdump shows its low byte", async () => {
  const net = await TestNet.create();
  const tool = `${PROJECT_ROOT}test/tools/tcp-exchange.mjs`;
  try {
    const { flows } = await capture(net, { CACHE_ACTIVE_TIMEOUT: '1h' }, async () => {
      const server = spawnIn(net.b.ns, process.execPath, [tool, 'server', '5201']);
      const serverExit = exitOf(server);
      await new Promise((resolve) => server.stdout!.once('data', resolve));
      await exec(net.a.ns, process.execPath, tool, 'client', net.b.ipv4, '5201', '10000');
      assert.equal(await serverExit, 0);
      await exec(net.a.ns, process.execPath, tool, 'refused', net.b.ipv4, '5202');
    });
    const tcp = flows.filter((flow) => flow.proto === 6);
    const flags = (direction: number, port: number) =>
      tcp.filter((flow) => flow.direction === direction && (direction === 1 ? flow.dst_port : flow.src_port) === port).map((flow) => flow.tcp_flags);
    // NetObserv's values (see test/collector/pbflow.test.ts): out 0x212, back 0x310; the raw header
    // bits would be 0x1b ("...AP.SF") and 0x13 ("...A..SF"). nfdump keeps the low byte.
    assert.deepEqual(flags(1, 5201), ['...A..S.']); // 0x212
    assert.deepEqual(flags(0, 5201), ['...A....']); // 0x310
    // A closed port: SYN, then RST-ACK, NetObserv's 0x400 (no low bits; raw would be "...A.R..").
    assert.deepEqual(flags(1, 5202), ['......S.']);
    assert.deepEqual(flags(0, 5202), ['........']);
  } finally {
    await net.destroy();
  }
});
