// A kernel without what an optional feature needs: the agent says which feature is unavailable
// and why, and captures flows without it, exactly. The kernel here has BTF, so the test takes it
// away from the agent as a kernel built without CONFIG_DEBUG_INFO_BTF would: `ip netns exec` gives
// the agent its own mount namespace, where /sys/kernel/btf is covered by an empty tmpfs.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AgentProcess } from '../helpers/agent.js';
import { TestNet, sendUdp } from '../helpers/netns.js';
import { udpFrameBytes } from '../helpers/constants.js';

const WITHOUT_KERNEL_BTF = ['sh', '-c', 'mount -t tmpfs none /sys/kernel/btf && exec "$@"', 'without-btf'];

test('without kernel BTF, drops and RTT are said to be unavailable at start and flows are still counted exactly', async () => {
  const net = await TestNet.create();
  try {
    const agent = AgentProcess.start(
      net.a.ns,
      { INTERFACES: 'fca', STDOUT_FORMAT: 'json', CACHE_ACTIVE_TIMEOUT: '1h', ENABLE_PKT_DROPS: 'true', ENABLE_RTT: 'true' },
      false,
      WITHOUT_KERNEL_BTF,
    );
    await agent.waitForLog('capturing');
    const warnings = agent.stderr
      .split('\n')
      .filter((line) => line.includes('running without it'))
      .map((line) => JSON.parse(line).msg);
    assert.deepEqual(warnings, [
      'packet drops (ENABLE_PKT_DROPS) need kernel BTF and the reason of the skb:kfree_skb tracepoint (Linux 5.17+): running without it',
      'TCP RTT (ENABLE_RTT) needs kernel BTF and fentry on tcp_rcv_established (Linux 5.5+): running without it',
    ]);
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 4, packets: 1000, payload: 40, srcPort: 31200 });
    assert.equal(await agent.stop('SIGTERM'), 0);
    const flows = agent.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((flow) => flow.srcPort === 31200);
    assert.equal(flows.length, 4);
    assert.equal(
      flows.reduce((sum, flow) => sum + flow.packets, 0),
      1000,
    );
    assert.ok(flows.every((flow) => flow.bytes === 250 * udpFrameBytes(40) && !flow.drops && !flow.rtt));
  } finally {
    await net.destroy();
  }
});
