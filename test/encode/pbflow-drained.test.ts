// The gRPC exporter writes pbflow from a drain's columns (DrainedFlows.columns(), no object per
// flow): the same Records bytes as from the flow objects it decoded before, drops and RTT included.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodeRecords, encodeRecords } from '../../src/encode/pbflow.js';
import { DrainedFlows, EXTRAS_OFFSETS, EXTRAS_SIZE } from '../../src/model/index.js';
import { batchWithDns, drainedBuffer, sampleBatch, withObserved } from '../helpers/batches.js';

const NAMES = new Map([
  [2, 'eth2'],
  [3, 'eth3'],
  [4, 'veth-with-a-long-name'],
]);

/** flow_extras for `count` flows: drops on every third, an RTT on every other. */
function extrasBuffer(count: number): Buffer {
  const extras = Buffer.alloc(count * EXTRAS_SIZE);
  for (let i = 0; i < count; i++) {
    const base = i * EXTRAS_SIZE;
    if (i % 2) extras.writeBigUInt64LE(BigInt(1_000 + i), base + EXTRAS_OFFSETS.rtt_ns[0]);
    if (i % 3 === 0) {
      extras[base + EXTRAS_OFFSETS.has_drops[0]] = 1;
      extras.writeBigUInt64LE(BigInt(i + 1), base + EXTRAS_OFFSETS.drop_packets[0]);
      extras.writeBigUInt64LE(BigInt(60 * (i + 1)), base + EXTRAS_OFFSETS.drop_bytes[0]);
      extras.writeUInt32LE(2 + i, base + EXTRAS_OFFSETS.drop_cause[0]);
      extras.writeUInt16LE(0x10, base + EXTRAS_OFFSETS.drop_flags[0]);
      extras[base + EXTRAS_OFFSETS.drop_state[0]] = 1;
    }
  }
  return extras;
}

test('pbflow from a drain as columns is byte for byte pbflow from its flow objects', () => {
  const drained = new DrainedFlows(drainedBuffer(3000), NAMES);
  assert.deepEqual(Buffer.from(encodeRecords(drained.columns(), '198.18.0.1')), Buffer.from(encodeRecords(drained.decode(), '198.18.0.1')));
});

test('with drops and RTT (flow_extras), and an IPv6 agent address', () => {
  const drained = new DrainedFlows(drainedBuffer(999), NAMES, extrasBuffer(999));
  const fromColumns = Buffer.from(encodeRecords(drained.columns(), 'fd00:fc::1'));
  assert.deepEqual(fromColumns, Buffer.from(encodeRecords(drained.decode(), 'fd00:fc::1')));
  // And it carries them: not two writers that both drop the same field.
  const records = decodeRecords(fromColumns);
  assert.equal(records[0].pktDropPackets, 1);
  assert.equal(records[1].timeFlowRtt?.nanos, 1001);
});

test('a slice of the columns writes the same records as the slice of the drain', () => {
  const drained = new DrainedFlows(drainedBuffer(100), NAMES);
  assert.deepEqual(Buffer.from(encodeRecords(drained.columns().slice(40, 60), '')), Buffer.from(encodeRecords(drained.slice(40, 60).decode(), '')));
});

test('with other interfaces (dup_list, DEDUPER=firstCome) and DNS: the same records as from the objects, and they carry both', () => {
  const observed = withObserved({ ...sampleBatch(0), flows: new DrainedFlows(drainedBuffer(20), NAMES) }).flows as DrainedFlows;
  const fromColumns = Buffer.from(encodeRecords(observed.columns(), '198.18.0.1'));
  assert.deepEqual(fromColumns, Buffer.from(encodeRecords(observed.decode(), '198.18.0.1')));
  assert.equal(decodeRecords(fromColumns)[0].dupList?.length, 3);
  const dns = batchWithDns().flows as DrainedFlows;
  const withDns = Buffer.from(encodeRecords(dns.columns(), '198.18.0.1'));
  assert.deepEqual(withDns, Buffer.from(encodeRecords(dns.decode(), '198.18.0.1')));
  assert.equal(decodeRecords(withDns)[0].dnsId, 0xbeef);
});
