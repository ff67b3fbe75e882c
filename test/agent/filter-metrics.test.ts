// FLOW_FILTER_RULES through the agent: its kernel counters as Prometheus metrics, and the flows it
// exports (stdout JSON lines).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AgentProcess } from '../helpers/agent.js';
import { UDP } from '../helpers/constants.js';
import { TestNet, exec, sendUdp } from '../helpers/netns.js';
import { waitUntil } from '../helpers/wait.js';

async function scrape(ns: string, url: string): Promise<string> {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(await r.text()))`;
  return exec(ns, process.execPath, '-e', script);
}

/** Every sample of `name`: its labels as text, its value. */
function samples(metrics: string, name: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const match = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`).exec(line);
    if (match) found[match[1]] = Number(match[2]);
  }
  return found;
}

test('filter_packets_total counts each rule’s packets as sent; rejected flows are not exported', async () => {
  const net = await TestNet.create();
  let agent: AgentProcess | undefined;
  try {
    agent = AgentProcess.start(net.a.ns, {
      INTERFACES: 'fca',
      DIRECTION: 'egress',
      STDOUT_FORMAT: 'json',
      CACHE_ACTIVE_TIMEOUT: '300ms',
      METRICS_PORT: '9401',
      FLOW_FILTER_RULES: JSON.stringify([
        { ip_cidr: `${net.b.ipv4}/32`, action: 'Reject', destination_port: 40001 },
        { ip_cidr: '198.18.0.3/32', action: 'Accept' },
      ]),
    });
    await agent.waitForLog('serving /metrics');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 300, payload: 20, srcPort: 34100 });
    const expected = {
      'rule="0",outcome="accepted"': 0,
      'rule="0",outcome="rejected"': 100,
      'rule="0",outcome="no_match"': 200,
      'rule="1",outcome="accepted"': 0,
      'rule="1",outcome="rejected"': 0,
      'rule="1",outcome="no_match"': 0,
      'rule="none",outcome="no_match"': 0,
    };
    let metrics = '';
    await waitUntil(
      async () => {
        metrics = await scrape(net.a.ns, 'http://127.0.0.1:9401/metrics');
        return samples(metrics, 'flowcast_filter_packets_total')['rule="0",outcome="no_match"'] === 200;
      },
      () => `the counters: ${JSON.stringify(samples(metrics, 'flowcast_filter_packets_total'))}`,
    );
    assert.deepEqual(samples(metrics, 'flowcast_filter_packets_total'), expected);
    // The exported flows: ports 40000 and 40002, not the rejected 40001.
    const ports = () =>
      agent!.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { protocol: number; srcPort: number; dstPort: number; packets: number })
        .filter((flow) => flow.protocol === UDP && flow.srcPort === 34100);
    await waitUntil(
      async () => ports().reduce((sum, flow) => sum + flow.packets, 0) >= 200,
      () => `200 packets exported (${JSON.stringify(ports())})`,
    );
    assert.deepEqual([...new Set(ports().map((flow) => flow.dstPort))].sort(), [40000, 40002]);
    assert.equal(await agent.stop(), 0);
  } finally {
    if (agent) await agent.stop();
    await net.destroy();
  }
});
