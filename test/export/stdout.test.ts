import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dropCauseName } from '../../src/capture/index.js';
import { formatJsonLines, formatTable } from '../../src/export/stdout.js';
import {
  DrainedFlows,
  EXTRAS_OFFSETS,
  EXTRAS_SIZE,
  FIELD_OFFSETS,
  OBSERVED_SLOTS,
  OBSERVED_SLOT_SIZE,
  RECORD_SIZE,
  dnsResponseCodeName,
  formatAddress,
  formatMac,
  offsetOf,
  tcpStateName,
  type FlowBatch,
} from '../../src/model/index.js';
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

/** The JSON lines as the decoded flow objects make them (what formatJsonLines writes field by field). */
function jsonLinesOfObjects(batch: FlowBatch): string {
  let text = '';
  for (const flow of batch.flows.decode()) {
    text +=
      JSON.stringify({
        agentName: batch.agentName,
        sequence: batch.sequence,
        ...flow,
        srcMac: formatMac(flow.srcMac),
        dstMac: formatMac(flow.dstMac),
        srcAddr: formatAddress(flow.srcAddr),
        dstAddr: formatAddress(flow.dstAddr),
        firstSeen: new Date(flow.firstSeen / 1000).toISOString(),
        lastSeen: new Date(flow.lastSeen / 1000).toISOString(),
        ...(flow.drops && {
          drops: { ...flow.drops, latestDropCauseName: dropCauseName(flow.drops.latestDropCause), latestStateName: tcpStateName(flow.drops.latestState) },
        }),
        ...(flow.dns && { dns: { ...flow.dns, responseCode: dnsResponseCodeName(flow.dns.flags) } }),
      }) + '\n';
  }
  return text;
}

test('JSON lines written from the drained structs are the JSON of the decoded flow objects, byte for byte (random flows, extras, names)', () => {
  let seed = 12;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const randomInt = (below: number) => Math.floor(random() * below);
  const names = new Map<number, string>([
    [1, 'lo'],
    [2, 'eth"0\\'],
    [3, 'vethé☃'],
  ]); // 4 and up have no name: if4
  for (const withExtras of [false, true]) {
    const count = 500;
    const records = Buffer.alloc(count * RECORD_SIZE);
    for (let i = 0; i < records.length; i++) records[i] = randomInt(256);
    const extras = withExtras ? Buffer.alloc(count * EXTRAS_SIZE) : undefined;
    for (let flow = 0; flow < count; flow++) {
      const base = flow * RECORD_SIZE;
      const kind = randomInt(3); // IPv4-mapped, IPv6, or zero (not IP)
      for (const field of ['key.src_ip', 'key.dst_ip'] as const) {
        const at = base + offsetOf(field);
        if (kind === 0) records.fill(0, at, at + 10).fill(0xff, at + 10, at + 12);
        if (kind === 2) records.fill(0, at, at + 16);
      }
      for (const field of ['metrics.first_seen', 'metrics.last_seen'] as const) {
        // 1970 to about 2100, in ns, any digit of the milliseconds
        records.writeBigUInt64LE(BigInt(randomInt(4_100_000_000)) * 1_000_000_000n + BigInt(randomInt(1e9)), base + offsetOf(field));
      }
      records.writeUInt32LE(1 + randomInt(5), base + offsetOf('metrics.if_index'));
      const observed = randomInt(OBSERVED_SLOTS + 1);
      for (let slot = 0; slot < OBSERVED_SLOTS; slot++) {
        const at = base + offsetOf('metrics.observed') + slot * OBSERVED_SLOT_SIZE;
        records.fill(0, at, at + OBSERVED_SLOT_SIZE);
        if (slot >= observed) continue;
        records.writeUInt32LE(1 + randomInt(5), at);
        records[at + 4] = 1 + randomInt(3);
      }
      if (extras) {
        const at = (field: keyof typeof EXTRAS_OFFSETS) => flow * EXTRAS_SIZE + EXTRAS_OFFSETS[field][0];
        for (let i = flow * EXTRAS_SIZE; i < (flow + 1) * EXTRAS_SIZE; i++) extras[i] = randomInt(256);
        extras[at('has_drops')] = randomInt(2);
        extras[at('has_dns')] = randomInt(2);
        // the addon hands over printable ASCII, NUL-terminated unless all 32 bytes are used
        const name = Array.from({ length: randomInt(33) }, () => String.fromCharCode(32 + randomInt(95))).join('');
        extras.fill(0, at('dns_name'), at('dns_name') + 32).write(name, at('dns_name'), 'latin1');
      }
    }
    const batch: FlowBatch = { ...sampleBatch(0), agentName: 'node "a"', sequence: 7, flows: new DrainedFlows(records, names, extras) };
    assert.equal(formatJsonLines(batch, dropCauseName), jsonLinesOfObjects(batch));
  }
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
