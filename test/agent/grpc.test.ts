import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';

import { AgentProcess } from '../helpers/agent.js';
import { PROJECT_ROOT, TestNet, sendUdp, spawnIn } from '../helpers/netns.js';
import type { PbflowRecord } from '../../src/encode/pbflow.js';

test('agent to a gRPC collector over a real connection: exact counts of captured traffic, pbflow fields', async () => {
  const net = await TestNet.create();
  const collector = spawnIn(net.a.ns, process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}test/helpers/grpc-collector-child.ts`, '9999']);
  try {
    await once(collector, 'message');
    const agent = AgentProcess.start(net.a.ns, {
      EXPORT: 'grpc',
      TARGET_HOST: '127.0.0.1',
      TARGET_PORT: '9999',
      INTERFACES: 'fca',
      CACHE_ACTIVE_TIMEOUT: '500ms',
      AGENT_IP: '198.18.0.1',
      GRPC_MESSAGE_MAX_FLOWS: '2',
    });
    await agent.waitForLog('capturing');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 5, packets: 5000, payload: 100, srcPort: 32000 });
    assert.equal(await agent.stop('SIGTERM'), 0);
    const reply = once(collector, 'message');
    collector.send('collect');
    const [{ records }] = (await reply) as [{ records: PbflowRecord[] }];
    const ours = records.filter((record) => record.transport?.srcPort === 32000);
    const perPort = new Map<number, number>();
    for (const record of ours) perPort.set(record.transport!.dstPort, (perPort.get(record.transport!.dstPort) ?? 0) + record.packets);
    assert.deepEqual(
      [...perPort.entries()].sort(),
      [0, 1, 2, 3, 4].map((i) => [40000 + i, 1000]),
    );
    assert.equal(
      ours.reduce((sum, record) => sum + record.bytes, 0),
      5000 * (14 + 20 + 8 + 100),
    );
    for (const record of ours) {
      assert.equal(record.ethProtocol, 0x0800);
      assert.equal(record.direction, 'EGRESS');
      assert.equal(record.interface, 'fca');
      assert.deepEqual(record.network?.srcAddr, { ipv4: 0xc6120001 });
      assert.deepEqual(record.network?.dstAddr, { ipv4: 0xc6120002 });
      assert.deepEqual(record.agentIp, { ipv4: 0xc6120001 });
      assert.equal(record.transport?.protocol, 17);
      assert.equal(record.sampling, 1);
      assert.equal(record.dataLink?.srcMac, Number.parseInt(net.a.mac.replace(/:/g, ''), 16));
      assert.ok(record.timeFlowStart!.seconds <= record.timeFlowEnd!.seconds);
    }
  } finally {
    collector.kill();
    await net.destroy();
  }
});
