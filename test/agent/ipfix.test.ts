// The agent with EXPORT=ipfix+udp, real traffic, and nfcapd (Debian's nfdump) as the collector.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { AgentProcess } from '../helpers/agent.js';
import { TestNet, exec, exitOf, sendUdp, sh, spawnIn } from '../helpers/netns.js';

const PORT = 4739; // IPFIX's port, free in the test's own namespace

/** Waits, a bounded time, until `done()` resolves to true. */
async function until(what: string, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('agent with EXPORT=ipfix+udp: nfcapd/nfdump read the captured traffic with exact counts', async () => {
  const net = await TestNet.create();
  const dir = mkdtempSync(join(tmpdir(), 'flowcast-nfcapd-'));
  const nfcapd = spawnIn(net.a.ns, 'nfcapd', ['-b', '127.0.0.1', '-p', String(PORT), '-w', dir, '-t', '3600']);
  let output = '';
  nfcapd.stdout!.on('data', (chunk) => (output += chunk));
  nfcapd.stderr!.on('data', (chunk) => (output += chunk));
  try {
    await until('nfcapd to start', async () => output.includes('Startup nfcapd.'));
    const agent = AgentProcess.start(net.a.ns, {
      EXPORT: 'ipfix+udp', TARGET_HOST: '127.0.0.1', TARGET_PORT: String(PORT), INTERFACES: 'fca', CACHE_ACTIVE_TIMEOUT: '500ms',
    });
    await agent.waitForLog('capturing');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 5, packets: 5000, payload: 100, srcPort: 32000 });
    assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);

    // nfcapd has read every datagram once its socket's receive queue (rx_queue in /proc/net/udp) is empty.
    const local = `0100007F:${PORT.toString(16).toUpperCase().padStart(4, '0')}`;
    await until('nfcapd to read its socket', async () => {
      const row = (await exec(net.a.ns, 'cat', '/proc/net/udp')).split('\n').map((line) => line.trim().split(/\s+/)).find((fields) => fields[1] === local);
      return row !== undefined && Number.parseInt(row[4].split(':')[1], 16) === 0;
    });
    const exited = exitOf(nfcapd);
    nfcapd.kill('SIGTERM');
    assert.equal(await exited, 0, output);

    const flows = JSON.parse(await sh('nfdump', '-R', dir, '-o', 'json')) as {
      src4_addr?: string; dst4_addr?: string; src_port: number; dst_port: number; proto: number; in_packets: number; in_bytes: number;
      direction: number; in_src_mac: string; in_dst_mac: string;
    }[];
    const ours = flows.filter((flow) => flow.src_port === 32000);
    const perPort = new Map<number, number>();
    for (const flow of ours) perPort.set(flow.dst_port, (perPort.get(flow.dst_port) ?? 0) + flow.in_packets);
    assert.deepEqual([...perPort.entries()].sort(), [0, 1, 2, 3, 4].map((i) => [40000 + i, 1000]));
    assert.equal(ours.reduce((sum, flow) => sum + flow.in_bytes, 0), 5000 * (14 + 20 + 8 + 100));
    for (const flow of ours) {
      assert.equal(flow.src4_addr, '198.18.0.1');
      assert.equal(flow.dst4_addr, '198.18.0.2');
      assert.equal(flow.proto, 17);
      assert.equal(flow.direction, 1, 'egress');
      assert.equal(flow.in_src_mac, net.a.mac);
      assert.equal(flow.in_dst_mac, net.b.mac);
    }
    assert.match(await sh('nfdump', '-R', dir, '-I'), /^Sequence failures: 0$/m);
  } finally {
    nfcapd.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await net.destroy();
  }
});
