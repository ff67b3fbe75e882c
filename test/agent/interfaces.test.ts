import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AgentProcess } from '../helpers/agent.js';
import { TestNet, exec } from '../helpers/netns.js';
import { waitUntil } from '../helpers/wait.js';

/** flowcast_interfaces_attached, scraped inside the agent's namespace. */
async function attachedInterfaces(ns: string): Promise<number> {
  const script = 'fetch("http://127.0.0.1:9401/metrics").then(async (r) => process.stdout.write(await r.text()))';
  const metrics = await exec(ns, process.execPath, '-e', script);
  return Number(/^flowcast_interfaces_attached (\d+)$/m.exec(metrics)![1]);
}

test('the agent attaches to an interface created while it runs, and lets it go', async () => {
  const net = await TestNet.create();
  let agent: AgentProcess | undefined;
  try {
    agent = AgentProcess.start(net.a.ns, { INTERFACES: '/^fc/', METRICS_PORT: '9401', METRICS_ADDRESS: '127.0.0.1', CACHE_ACTIVE_TIMEOUT: '1h' });
    await agent.waitForLog('serving /metrics');
    assert.equal(await attachedInterfaces(net.a.ns), 1);
    await exec(net.a.ns, 'ip', 'link', 'add', 'fcnew0', 'type', 'veth', 'peer', 'name', 'fcnew1');
    await agent.waitForLog('interfaces changed');
    assert.match(agent.stderr, /"attached":\["fcnew[01]"/);
    await waitUntil(async () => (await attachedInterfaces(net.a.ns)) === 3, 'three interfaces attached');
    await exec(net.a.ns, 'ip', 'link', 'del', 'fcnew0');
    await waitUntil(async () => (await attachedInterfaces(net.a.ns)) === 1, 'one interface attached');
    assert.match(agent.stderr, /"detached":\["fcnew/);
    assert.equal(await agent.stop('SIGTERM'), 0);
  } finally {
    await agent?.stop('SIGKILL'); // nothing once stopped; after a failure, no agent left running
    await net.destroy();
  }
});

test('INTERFACES naming an interface that does not exist yet: a warning at start, attached when it appears', async () => {
  const net = await TestNet.create();
  let agent: AgentProcess | undefined;
  try {
    agent = AgentProcess.start(net.a.ns, { INTERFACES: 'fca,fclate0', METRICS_PORT: '9401', METRICS_ADDRESS: '127.0.0.1', CACHE_ACTIVE_TIMEOUT: '1h' });
    await agent.waitForLog('serving /metrics');
    assert.match(agent.stderr, /"level":40,.*"msg":"interface \\"fclate0\\" \(INTERFACES\) does not exist yet: attached when it appears"/);
    assert.equal(await attachedInterfaces(net.a.ns), 1);
    await exec(net.a.ns, 'ip', 'link', 'add', 'fclate0', 'type', 'veth', 'peer', 'name', 'fclate1');
    await agent.waitForLog('interfaces changed');
    assert.match(agent.stderr, /"attached":\["fclate0"\]/);
    assert.equal(await attachedInterfaces(net.a.ns), 2);
    assert.equal(await agent.stop('SIGTERM'), 0);
  } finally {
    await agent?.stop('SIGKILL'); // nothing once stopped; after a failure, no agent left running
    await net.destroy();
  }
});
