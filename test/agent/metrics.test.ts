import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AgentProcess } from '../helpers/agent.js';
import { TestNet, exec, sendUdp } from '../helpers/netns.js';

/** GET inside the namespace (where the agent's loopback is): status and body. */
async function get(ns: string, url: string): Promise<{ status: number; body: string }> {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(r.status + '\\n' + await r.text()))`;
  const [status, ...body] = (await exec(ns, process.execPath, '-e', script)).split('\n');
  return { status: Number(status), body: body.join('\n') };
}

function value(metrics: string, name: string): number {
  const line = metrics.split('\n').find((entry) => entry.startsWith(`${name} `) || entry.startsWith(`${name}{`));
  assert.ok(line, `${name} is exported`);
  return Number(line.split(' ').at(-1));
}

test('metrics move with the traffic; health and readiness answer', async () => {
  const net = await TestNet.create();
  try {
    const agent = AgentProcess.start(net.a.ns, {
      INTERFACES: 'fca', DIRECTION: 'egress', STDOUT_FORMAT: 'json', CACHE_ACTIVE_TIMEOUT: '300ms',
      METRICS_PORT: '9400', METRICS_ADDRESS: '127.0.0.1',
    });
    await agent.waitForLog('serving /metrics');
    const url = 'http://127.0.0.1:9400';
    await new Promise((resolve) => setTimeout(resolve, 700));
    const before = (await get(net.a.ns, `${url}/metrics`)).body;
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 10, packets: 3000, payload: 20, srcPort: 34000 });
    await new Promise((resolve) => setTimeout(resolve, 900));
    const after = await get(net.a.ns, `${url}/metrics`);
    assert.equal(after.status, 200);

    const grew = (name: string) => value(after.body, name) - value(before, name);
    // The UDP traffic, and at most a little else (ARP, neighbour discovery) on the same interface.
    assert.ok(grew('flowcast_packets_total') >= 3000 && grew('flowcast_packets_total') < 3100, `packets grew by ${grew('flowcast_packets_total')}`);
    assert.ok(grew('flowcast_bytes_total') >= 3000 * (14 + 20 + 8 + 20));
    assert.ok(grew('flowcast_flows_total') >= 10);
    assert.ok(grew('flowcast_batches_total') >= 2);
    assert.ok(grew('flowcast_export_sent_total') >= 2);
    assert.ok(value(after.body, 'flowcast_drain_duration_seconds_count') >= 2);
    assert.equal(value(after.body, 'flowcast_interfaces_attached'), 1);
    assert.equal(value(after.body, 'flowcast_lost_packets_total'), 0);
    assert.equal(value(after.body, 'flowcast_export_queue_length'), 0);
    assert.match(after.body, /flowcast_process_cpu_seconds_total/);
    assert.deepEqual(await get(net.a.ns, `${url}/healthz`), { status: 200, body: 'ok\n' });
    assert.deepEqual(await get(net.a.ns, `${url}/readyz`), { status: 200, body: 'ok\n' });
    assert.equal(await agent.stop('SIGTERM'), 0);
  } finally {
    await net.destroy();
  }
});
