import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dropCauseName } from '../../src/capture/index.js';
import { formatJsonLines, formatTable } from '../../src/export/stdout.js';
import { FIELD_OFFSETS, RECORD_SIZE } from '../../src/model/index.js';
import { AgentProcess } from '../helpers/agent.js';
import { sampleBatch, withObserved } from '../helpers/batches.js';
import { TestNet, sendUdp } from '../helpers/netns.js';

test('the table shows the interval totals and the top flows by bytes', () => {
  const batch = sampleBatch(30);
  const lines = formatTable(batch, 5, dropCauseName).trimEnd().split('\n');
  const packets = batch.flows.decode().reduce((sum, flow) => sum + flow.packets, 0);
  assert.match(lines[0], new RegExp(`node-a #0 .* 30 flows  ${packets} packets`));
  assert.match(lines[1], /^IFACE\s+DIR\s+PROTO\s+SOURCE\s+DESTINATION\s+PACKETS\s+BYTES\s+DETAIL$/);
  const shown = lines.slice(2, 7);
  assert.equal(shown.length, 5);
  const largest = batch.flows.decode().sort((x, y) => y.bytes - x.bytes)[0];
  assert.match(shown[0], new RegExp(`UDP\\s+198\\.18\\.0\\.1:${largest.srcPort}\\s+198\\.18\\.0\\.2:${largest.dstPort}\\s+${largest.packets}\\s`));
  assert.equal(lines[7], '… 25 more flows');
});

test('the table names TCP flags as NetObserv does (SYN_ACK, FIN_ACK, RST_ACK)', () => {
  const batch = sampleBatch(2);
  for (const [i, flags] of [0x0212001b, 0x04000014].entries()) {
    batch.flows.records[i * RECORD_SIZE + FIELD_OFFSETS['key.protocol'][0]] = 6;
    batch.flows.records.writeUInt32LE(flags, i * RECORD_SIZE + FIELD_OFFSETS['metrics.tcp_flags'][0]);
  }
  const rows = formatTable(batch, 5, dropCauseName).trimEnd().split('\n').slice(2);
  assert.deepEqual(rows.map((row) => row.split(/\s+/).at(-1)).sort(), ['RST_ACK', 'SYN,ACK,FIN_ACK']);
});

test('the table and JSON lines name the other interfaces a flow crossed (DEDUPER=firstCome)', () => {
  const batch = withObserved(sampleBatch(2)); // flow 0 (eth2) crossed eth3 and eth4 too, flow 1 (eth3) nothing else
  const rows = formatTable(batch, 5, dropCauseName).trimEnd().split('\n').slice(2);
  assert.match(
    rows.find((row) => row.startsWith('eth2'))!,
    /\salso eth3\/out,eth4\/both$/,
  );
  assert.doesNotMatch(
    rows.find((row) => row.startsWith('eth3'))!,
    /also/,
  );
  const [first] = formatJsonLines(batch, dropCauseName)
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(first.dupList, [
    { interface: 'eth2', direction: 'ingress', udn: '' },
    { interface: 'eth3', direction: 'egress', udn: '' },
    { interface: 'eth4', direction: 'both', udn: '' },
  ]);
});

test('JSON lines: one readable object per flow', () => {
  const lines = formatJsonLines(sampleBatch(3), dropCauseName)
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.equal(lines.length, 3);
  assert.equal(lines[0].srcAddr, '198.18.0.1');
  assert.equal(lines[0].srcMac, '02:00:00:00:01:02');
  assert.equal(lines[0].firstSeen, new Date(1_790_000_000_000).toISOString());
  assert.deepEqual(lines[1].dupList, [{ interface: 'eth3', direction: 'egress', udn: '' }]);
  assert.equal(lines[1].netobservTcpFlags, 0);
});

test('stdout mode: a long interval is still emitted, exactly, when SIGTERM arrives', async () => {
  const net = await TestNet.create();
  try {
    const agent = AgentProcess.start(net.a.ns, { INTERFACES: 'fca', STDOUT_FORMAT: 'json', CACHE_ACTIVE_TIMEOUT: '1h' });
    await agent.waitForLog('capturing');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 5, packets: 2500, payload: 40, srcPort: 31100 });
    assert.equal(await agent.stop('SIGTERM'), 0);
    const flows = agent.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((flow) => flow.srcPort === 31100);
    assert.deepEqual(
      flows.map((flow) => flow.sequence),
      [0, 0, 0, 0, 0],
      'one batch: the last, partial interval',
    );
    assert.equal(
      flows.reduce((sum, flow) => sum + flow.packets, 0),
      2500,
    );
    assert.ok(flows.every((flow) => flow.bytes === 500 * (14 + 20 + 8 + 40) && flow.interface === 'fca'));
  } finally {
    await net.destroy();
  }
});
