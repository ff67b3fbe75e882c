// ENABLE_PKT_DROPS: packets the kernel drops on purpose in a test namespace, counted exactly and
// added to their flow; then the same fields through the Avro writer, pbflow and stdout.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfigError, loadConfig } from '../../src/config/index.js';
import { dropCauseName } from '../../src/capture/index.js';
import { decodeFlowBatch, encodeFlowBatch, flowBatchType } from '../../src/encode/avro.js';
import { decodeRecords, encodeRecords, toFlowRecord } from '../../src/encode/pbflow.js';
import { formatJsonLines, formatTable } from '../../src/export/stdout.js';
import { DrainedFlows, EXTRAS_OFFSETS, EXTRAS_SIZE } from '../../src/model/index.js';
import { loadAddon } from '../../src/native/index.js';
import { drainedBuffer, plain, sampleBatch } from '../helpers/batches.js';
import { UDP, udpFrameBytes } from '../helpers/constants.js';
import { Probe, type Drained } from '../helpers/probe-client.js';
import { exec, sendUdp } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';

/** The running kernel's values: the enum's numbering changes between kernel versions. */
const reasons = Object.entries(loadAddon().dropReasonNames());
const reason = (name: string) => Number(reasons.find(([, value]) => value === name)![0]);

const net = sharedTestNet({
  // b drops UDP to port 41000 at its input hook; nothing listens on 41001.
  setUp: async ({ b }) => {
    await exec(b.ns, 'nft', 'add', 'table', 'inet', 'fct');
    await exec(b.ns, 'nft', 'add', 'chain', 'inet', 'fct', 'input', '{ type filter hook input priority 0; }');
    await exec(b.ns, 'nft', 'add', 'rule', 'inet', 'fct', 'input', 'udp', 'dport', '41000', 'drop');
  },
});

/** Drains until the drops of UDP from `srcPort` reach `expected` (bounded), then closes. */
async function drainDrops(probe: Probe, srcPort: number, expected: number): Promise<Drained[]> {
  return probe.closeOnceCounted(expected, (flows) =>
    flows.filter((flow) => flow.protocol === UDP && flow.srcPort === srcPort).reduce((sum, flow) => sum + (flow.drops?.packets ?? 0), 0),
  );
}

const ofSource = (drains: Drained[], srcPort: number) =>
  drains.flatMap((drain) => drain.flows).filter((flow) => flow.protocol === UDP && flow.srcPort === srcPort);

test('the drop layout in TypeScript is struct flow_extras as compiled', () => {
  const native = loadAddon().layout();
  assert.equal(EXTRAS_SIZE, native.extrasSize);
  assert.deepEqual(EXTRAS_OFFSETS, native.extrasFields);
});

test('packets an nftables rule drops: exact packets and frame bytes on their flow, cause NETFILTER_DROP', async () => {
  const probe = await Probe.start(net.b, { interfaces: ['fcb'], direction: 'ingress', packetDrops: true });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 41000, flows: 1, packets: 300, payload: 30, srcPort: 31000 });
  const flows = ofSource(await drainDrops(probe, 31000, 300), 31000);
  const packets = flows.reduce((sum, flow) => sum + flow.packets, 0);
  const dropped = flows.filter((flow) => flow.drops);
  assert.equal(packets, 300);
  assert.equal(dropped.length >= 1, true);
  assert.deepEqual(
    dropped.map((flow) => [flow.interface, flow.direction, flow.dstPort, flow.drops!.latestDropCause, flow.drops!.latestState, flow.drops!.latestFlags]),
    dropped.map(() => ['fcb', 'ingress', 41000, reason('SKB_DROP_REASON_NETFILTER_DROP'), 0, 0]),
  );
  assert.equal(
    dropped.reduce((sum, flow) => sum + flow.drops!.packets, 0),
    300,
  );
  assert.equal(
    dropped.reduce((sum, flow) => sum + flow.drops!.bytes, 0),
    300 * udpFrameBytes(30),
  );
  assert.equal(dropCauseName(dropped[0].drops!.latestDropCause), 'SKB_DROP_REASON_NETFILTER_DROP');
});

test('UDP to a port nobody listens on: dropped with cause NO_SOCKET', async () => {
  const probe = await Probe.start(net.b, { interfaces: ['fcb'], direction: 'ingress', packetDrops: true });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 41001, flows: 1, packets: 50, payload: 10, srcPort: 31001 });
  const flows = ofSource(await drainDrops(probe, 31001, 50), 31001);
  const dropped = flows.filter((flow) => flow.drops);
  assert.equal(
    flows.reduce((sum, flow) => sum + flow.packets, 0),
    50,
  );
  assert.deepEqual(new Set(dropped.map((flow) => flow.drops!.latestDropCause)), new Set([reason('SKB_DROP_REASON_NO_SOCKET')]));
  assert.equal(
    dropped.reduce((sum, flow) => sum + flow.drops!.packets, 0),
    50,
  );
  assert.equal(
    dropped.reduce((sum, flow) => sum + flow.drops!.bytes, 0),
    50 * udpFrameBytes(10),
  );
});

test('drops of packets no captured hook saw: a flow of their own, with no packets, on interface 0', async () => {
  // Egress only: the dropped packets come in, so no flow of theirs is counted.
  const probe = await Probe.start(net.b, { interfaces: ['fcb'], direction: 'egress', packetDrops: true });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 41000, flows: 1, packets: 20, payload: 30, srcPort: 31002 });
  const flows = ofSource(await drainDrops(probe, 31002, 20), 31002);
  assert.deepEqual(
    flows.map((flow) => [flow.ifIndex, flow.direction, flow.packets, flow.bytes, flow.srcAddr, flow.dstAddr, flow.dstPort, flow.etherType]),
    flows.map(() => [0, 'ingress', 0, 0, net.a.ipv4, net.b.ipv4, 41000, 0x0800]),
  );
  assert.equal(
    flows.reduce((sum, flow) => sum + flow.drops!.packets, 0),
    20,
  );
});

test('with drops off, flows carry no drop fields, though packets are dropped', async () => {
  const probe = await Probe.start(net.b, { interfaces: ['fcb'], direction: 'ingress' });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 41000, flows: 1, packets: 10, payload: 30, srcPort: 31003 });
  const drains = await probe.closeOnceCounted(10, (flows) => flows.filter((flow) => flow.srcPort === 31003).reduce((sum, flow) => sum + flow.packets, 0));
  const flows = ofSource(drains, 31003);
  assert.deepEqual(
    flows.map((flow) => [flow.packets, 'drops' in flow, 'rtt' in flow]),
    [[10, false, false]],
  );
});

/** Three flows: the first with drops, the second with only an RTT, the third with neither. */
function batchWithExtras() {
  const extras = Buffer.alloc(3 * EXTRAS_SIZE);
  const at = (flow: number, field: keyof typeof EXTRAS_OFFSETS) => flow * EXTRAS_SIZE + EXTRAS_OFFSETS[field][0];
  extras.writeBigUInt64LE(7n, at(0, 'drop_packets'));
  extras.writeBigUInt64LE(5_000_000_000n, at(0, 'drop_bytes')); // past 2^32: a multi-byte varint
  extras.writeUInt32LE(reason('SKB_DROP_REASON_NETFILTER_DROP'), at(0, 'drop_cause'));
  extras.writeUInt16LE(0x100, at(0, 'drop_flags'));
  extras[at(0, 'drop_state')] = 3;
  extras[at(0, 'has_drops')] = 1;
  extras.writeBigUInt64LE(20_123_000n, at(1, 'rtt_ns'));
  return {
    ...sampleBatch(0),
    flows: new DrainedFlows(
      drainedBuffer(3),
      new Map([
        [2, 'eth2'],
        [3, 'eth3'],
        [4, 'eth4'],
      ]),
      extras,
    ),
  };
}

test('drops and RTT through the Avro Buffer writer (byte for byte as avsc), pbflow and stdout', () => {
  const batch = batchWithExtras();
  const flows = batch.flows.decode();
  const drops = { bytes: 5_000_000_000, packets: 7, latestFlags: 0x100, latestState: 3, latestDropCause: reason('SKB_DROP_REASON_NETFILTER_DROP') };
  assert.deepEqual(
    flows.map((flow) => [flow.drops, flow.rtt]),
    [
      [drops, 0],
      [null, 20_123_000],
      [null, 0],
    ],
  );

  const written = encodeFlowBatch(batch, false);
  assert.deepEqual(written, flowBatchType.toBuffer({ ...batch, flows }));
  assert.deepEqual(plain(decodeFlowBatch(written).flows.map((flow) => [flow.drops, flow.rtt])), [
    [drops, 0],
    [null, 20_123_000],
    [null, 0],
  ]);
  // Two more slices of the same drain keep their extras.
  assert.deepEqual(
    batch.flows
      .slice(1)
      .decode()
      .map((flow) => flow.rtt),
    [20_123_000, 0],
  );

  const pb = decodeRecords(encodeRecords(flows, '198.18.0.1')).map(toFlowRecord);
  assert.deepEqual(
    pb.map((flow) => [flow.drops, flow.rtt]),
    [
      [drops, 0],
      [null, 20_123_000],
      [null, 0],
    ],
  );

  const table = formatTable(batch, 10, dropCauseName);
  assert.match(table, /dropped 7 \(4\.7 GiB\) SKB_DROP_REASON_NETFILTER_DROP TCP_SYN_RECV/);
  assert.match(table, /rtt 20\.123 ms/);
  const lines = formatJsonLines(batch, dropCauseName)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    lines.map((line) => line.drops?.latestDropCauseName ?? null),
    ['SKB_DROP_REASON_NETFILTER_DROP', null, null],
  );
});

test("ENABLE_PKT_DROPS and ENABLE_RTT turn the capture options on, in NetObserv's spellings; a bad value names the variable", () => {
  const base = { EXPORT: 'stdout' };
  assert.deepEqual([loadConfig(base).capture.packetDrops, loadConfig(base).capture.rtt], [false, false]);
  const on = loadConfig({ ...base, ENABLE_PKT_DROPS: 'true', ENABLE_RTT: 'True' }).capture;
  assert.deepEqual([on.packetDrops, on.rtt], [true, true]);
  const off = loadConfig({ ...base, ENABLE_PKT_DROPS: '0', ENABLE_RTT: 'F' }).capture;
  assert.deepEqual([off.packetDrops, off.rtt], [false, false]);
  assert.throws(
    () => loadConfig({ ...base, ENABLE_PKT_DROPS: 'yes' }),
    (error: Error) => error instanceof ConfigError && error.message === 'ENABLE_PKT_DROPS="yes": must be true or false',
  );
});
