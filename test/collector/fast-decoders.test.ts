// The fast decoders (src/encode/avro-reader.ts, src/encode/pbflow-reader.ts) and the column
// writers against the libraries they stand in for: avsc and protobufjs (with toFlowRecord) must
// read the same flows from the same bytes, for every field, both schema revisions, many records.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import protobuf from 'protobufjs';

import type { FlowRecord } from '../../src/model/index.js';
import { decodeFlowBatch, encodeFlowBatch, FIRST_SCHEMA_FINGERPRINT, flowBatchType } from '../../src/encode/avro.js';
import { readFlowBatch } from '../../src/encode/avro-reader.js';
import { decodeRecords, encodeRecords, FLOW_PROTO_PATH, headerFlagsOf, toFlowRecord } from '../../src/encode/pbflow.js';
import { readRecords } from '../../src/encode/pbflow-reader.js';
import { FlowColumns } from '../../src/model/flow-columns.js';
import { plain, sampleBatch } from '../helpers/batches.js';
import { random } from '../helpers/random.js';

const next = random(1311);
const int = (max: number) => Math.floor(next() * max);
/** Small, medium and large values: one-byte varints, several bytes, past 32 bits, avsc's largest long. */
const long = () => [int(64), int(100_000), int(2 ** 32) * 2 ** 21 + int(2 ** 21), 9007199254740990][int(4)];
const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(256)));
const maybe = <T>(value: () => T): T | null => (next() < 0.3 ? value() : null);
const name = () => ['eth0', 'ens5', 'br-ex', 'genev_sys_6081', 'a-very-long-interface-name-of-more-than-sixty-four-bytes-to-test-lengths', 'é0'][int(6)];

/** A flow with every field of the current schema set, at random. */
function anyFlow(): FlowRecord {
  const ipv6 = next() < 0.3;
  const address = () => (ipv6 ? bytes(16) : Buffer.concat([Buffer.from('00000000000000000000ffff', 'hex'), bytes(4)]));
  const iface = name();
  const direction = next() < 0.5 ? 'ingress' : 'egress';
  const dupList: FlowRecord['dupList'] = [
    [],
    [{ interface: iface, direction, udn: '' }],
    [{ interface: iface, direction: 'both', udn: '' }],
    [
      { interface: iface, direction, udn: 'udn-1' },
      { interface: name(), direction: 'egress', udn: '' },
    ],
  ][int(4)] as FlowRecord['dupList'];
  return {
    interface: iface,
    ifIndex: int(2 ** 31),
    direction,
    etherType: ipv6 ? 0x86dd : [0x0800, 0x0806][int(2)],
    srcMac: bytes(6),
    dstMac: bytes(6),
    srcAddr: address(),
    dstAddr: address(),
    protocol: int(256),
    srcPort: int(65536),
    dstPort: int(65536),
    icmpType: int(256),
    icmpCode: int(256),
    packets: long(),
    bytes: long(),
    firstSeen: 1_790_000_000_000_000 + int(1e9),
    lastSeen: 1_790_000_001_000_000 + int(1e9),
    tcpFlags: int(512),
    dscp: int(64),
    sampling: 1 + int(1000),
    netobservTcpFlags: int(0x800),
    dupList,
    drops: maybe(() => ({ bytes: long(), packets: long(), latestFlags: int(0x800), latestState: int(12), latestDropCause: int(2 ** 32) })),
    dns: maybe(() => ({ id: int(65536), flags: int(65536), latency: long(), errno: int(256), name: ['', 'example.org'][int(2)] })),
    rtt: next() < 0.5 ? 0 : long(),
    networkEvents: next() < 0.7 ? [] : ([{ Action: 'drop', Name: 'policy' }, {}] as Record<string, string>[]).slice(0, 1 + int(2)),
    xlat: maybe(() => ({ srcAddr: address(), dstAddr: address(), srcPort: int(65536), dstPort: int(65536), zoneId: int(65536) })),
    ipsec: maybe(() => ({ encrypted: next() < 0.5, encryptedRet: int(2 ** 31) - 2 ** 30 })),
    tls: maybe(() => ({ sslVersion: 0x0304, sslMismatch: next() < 0.5, types: long(), cipherSuite: int(65536), keyShare: int(65536) })),
    quic: maybe(() => ({ version: int(2 ** 32), seenLongHeader: int(2), seenShortHeader: int(2) })),
  };
}

const header = {
  agentName: 'node-a',
  agentIp: '198.18.0.1',
  sequence: 2 ** 40,
  part: 1,
  parts: 3,
  intervalStart: 1_790_000_000_000_000,
  intervalEnd: 1_790_000_005_000_000,
  ringBufferPackets: 7,
  lostPackets: 2 ** 35,
};
const FLOWS = 5000;
const flows = Array.from({ length: FLOWS }, anyFlow);

test(`Avro: ${FLOWS.toLocaleString('en')} flows with every field read as avsc reads them, and written back byte for byte`, () => {
  const written = flowBatchType.toBuffer({ ...header, flows });
  for (const singleObject of [false, true]) {
    const data = singleObject ? encodeFlowBatch({ ...header, flows }, true) : written;
    const fast = readFlowBatch(data);
    const { flows: fastFlows, ...fastHeader } = fast;
    const { flows: avscFlows, ...avscHeader } = decodeFlowBatch(data);
    assert.deepEqual(fastHeader, plain(avscHeader));
    assert.deepEqual(plain(fastFlows.decode()), plain(avscFlows));
    assert.ok(encodeFlowBatch(fast, false).equals(written), 'the column writer writes what avsc writes');
  }
});

test("Avro: a drained batch (the agent's writer) reads as avsc reads it, columns and each flow", () => {
  const data = encodeFlowBatch(sampleBatch(3000), false);
  const fast = readFlowBatch(data).flows;
  const avsc = decodeFlowBatch(data).flows;
  assert.equal(fast.length, 3000);
  assert.deepEqual(fast.names, ['eth2', 'eth3', 'eth4']);
  for (let index = 0; index < fast.length; index += 97) assert.deepEqual(plain(fast.flow(index)), plain(avsc[index]));
  assert.deepEqual(plain(fast.decode()), plain(avsc));
});

test('Avro: flows written in several blocks (negative counts with sizes too) read as avsc reads them', () => {
  const type = flowBatchType as unknown as { fields: { name: string; type: avro.Type & { itemsType: avro.Type } }[] };
  const flowType = type.fields.find((field) => field.name === 'flows')!.type.itemsType;
  const headerBytes = flowBatchType.toBuffer({ ...header, flows: [] }).subarray(0, -1);
  const long = (value: number) => avro.Type.forSchema('long').toBuffer(value);
  const items = flows.slice(0, 5).map((flow) => flowType.toBuffer(flow));
  const data = Buffer.concat([
    headerBytes,
    long(2),
    ...items.slice(0, 2),
    long(-3),
    long(items.slice(2).reduce((sum, item) => sum + item.length, 0)),
    ...items.slice(2),
    long(0),
  ]);
  assert.deepEqual(plain(readFlowBatch(data).flows.decode()), plain(decodeFlowBatch(data).flows));
});

test('Avro: the first schema revision (schemas/history) reads as avsc resolves it, new fields at their defaults', () => {
  const firstRevision = avro.Type.forSchema(JSON.parse(readFileSync(new URL('../../schemas/history/flow-batch-1.avsc', import.meta.url), 'utf8')));
  const data = firstRevision.toBuffer({ ...header, flows: flows.slice(0, 1000) });
  const fast = readFlowBatch(data, FIRST_SCHEMA_FINGERPRINT);
  assert.deepEqual(plain(fast.flows.decode()), plain(decodeFlowBatch(data, FIRST_SCHEMA_FINGERPRINT).flows));
  assert.deepEqual(fast.flows.flow(0).dupList, []);
});

// pbflow: messages built by protobufjs from proto/flow.proto with every field, as NetObserv agents send them.
const Records = protobuf.loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');
const ip = () => [null, {}, { ipv4: int(2 ** 32) }, { ipv6: bytes(16) }, { ipv4: 0 }, { ipv6: bytes(4) }][int(6)];
const time = () => (next() < 0.2 ? null : { seconds: 1_790_000_000 + int(1000), nanos: int(1e9) });
const u32 = () => [0, int(100), int(2 ** 32)][int(3)];
function anyRecord(): Record<string, unknown> {
  const record: Record<string, unknown> = {
    ethProtocol: u32(),
    direction: [0, 1, 3, 7][int(4)],
    timeFlowStart: time(),
    timeFlowEnd: time(),
    dataLink: next() < 0.2 ? null : { srcMac: int(2 ** 48), dstMac: int(2 ** 48) },
    network: next() < 0.2 ? null : { srcAddr: ip(), dstAddr: ip(), dscp: u32() },
    transport: next() < 0.2 ? null : { srcPort: u32(), dstPort: u32(), protocol: u32() },
    bytes: long(),
    packets: long(),
    interface: name(),
    duplicate: next() < 0.5,
    agentIp: ip(),
    flags: u32(),
    icmpType: u32(),
    icmpCode: u32(),
    pktDropBytes: next() < 0.5 ? 0 : long(),
    pktDropPackets: next() < 0.5 ? 0 : long(),
    pktDropLatestFlags: u32(),
    pktDropLatestState: u32(),
    pktDropLatestDropCause: u32(),
    dnsId: u32(),
    dnsFlags: u32(),
    dnsLatency: next() < 0.5 ? null : { seconds: int(100), nanos: int(1e9) },
    timeFlowRtt: next() < 0.5 ? null : { seconds: int(100), nanos: int(1e9) },
    dnsErrno: u32(),
    dupList: Array.from({ length: int(4) }, () => ({ interface: name(), direction: [0, 1, 3][int(3)], udn: ['', 'udn-2'][int(2)] })),
    networkEventsMetadata: Array.from({ length: int(3) }, () => ({ events: { Action: 'drop', [`k${int(9)}`]: 'v' } })),
    xlat: next() < 0.5 ? null : { srcAddr: ip(), dstAddr: ip(), srcPort: u32(), dstPort: u32(), zoneId: u32() },
    sampling: u32(),
    ipsecEncrypted: u32(),
    ipsecEncryptedRet: int(2 ** 32) - 2 ** 31,
    dnsName: ['', 'example.org'][int(2)],
    sslVersion: u32(),
    sslMismatch: next() < 0.5,
    tlsTypes: u32(),
    tlsCipherSuite: u32(),
    tlsKeyShare: u32(),
    quic: next() < 0.5 ? null : { version: u32(), seenLongHdr: u32(), seenShortHdr: u32() },
  };
  for (const key of Object.keys(record)) if (record[key] === null) delete record[key];
  return record;
}

test(`pbflow: ${FLOWS.toLocaleString('en')} records with every field read as protobufjs and toFlowRecord read them`, () => {
  const entries = Array.from({ length: FLOWS }, anyRecord);
  const message = Records.encode(Records.fromObject({ entries })).finish();
  const fast = readRecords(message);
  const objects = decodeRecords(message);
  assert.equal(fast.invalid, undefined);
  assert.equal(fast.unrepresentable, undefined);
  assert.deepEqual(plain(fast.flows.decode()), plain(objects.map(toFlowRecord)));
  // The Records writer writes the same bytes from the columns as from the objects.
  assert.ok(Buffer.from(encodeRecords(fast.flows, '198.18.0.3')).equals(Buffer.from(encodeRecords(objects.map(toFlowRecord), '198.18.0.3'))));
  // The Avro writer takes every flow the reader said it can, as avsc takes their objects.
  const batch = { ...header, flows: fast.flows };
  assert.ok(encodeFlowBatch(batch, false).equals(flowBatchType.toBuffer({ ...header, flows: fast.flows.decode() })));
});

test("pbflow: the agent IP is the first record's, as text; flowcast's own Records read back into the same flows (pbflow has no ifIndex, tcpFlags is what NetObserv's flags imply)", () => {
  for (const [agentIp, text] of [
    [{ ipv4: 0xc6120009 }, '198.18.0.9'],
    [{ ipv6: Buffer.from('fd00fc00000000000000000000000009', 'hex') }, 'fd00:fc00::9'],
    [undefined, ''],
  ] as const) {
    const message = Records.encode(Records.fromObject({ entries: [{ agentIp }, { agentIp: { ipv4: 1 } }] })).finish();
    assert.equal(readRecords(message).agentIp, text);
  }
  const drained = sampleBatch(2000).flows.decode();
  const fast = readRecords(encodeRecords(drained, '198.18.0.1'));
  assert.equal(fast.agentIp, '198.18.0.1');
  assert.deepEqual(
    plain(fast.flows.decode()),
    plain(
      drained.map((flow) => ({
        ...flow,
        ifIndex: 0,
        tcpFlags: headerFlagsOf(flow.netobservTcpFlags),
        drops: null,
        dns: null,
        rtt: 0,
        networkEvents: [],
        xlat: null,
        ipsec: null,
        tls: null,
        quic: null,
      })),
    ),
  );
});

test('pbflow: an out-of-range time is reported as the gRPC collector refuses it; a value past 2^53 as not representable', () => {
  const invalid = Records.encode(Records.fromObject({ entries: [{}, { timeFlowEnd: { seconds: -1, nanos: 0 } }] })).finish();
  assert.equal(readRecords(invalid).invalid, 'time_flow_end {seconds: -1, nanos: 0} is out of range (1970 to 2255, nanos 0 to 999999999)');
  const huge = Records.encode(Records.fromObject({ entries: [{ bytes: 2 ** 60 }] })).finish();
  assert.match(readRecords(huge).unrepresentable!, /past 2\^53/);
  const wideMac = Records.encode(Records.fromObject({ entries: [{ dataLink: { srcMac: 2 ** 50 } }] })).finish();
  assert.match(readRecords(wideMac).unrepresentable!, /more than 48 bits/);
});

test('columns: slice shares the memory and keeps each flow, features included', () => {
  const columns = FlowColumns.fromRecords(flows.slice(0, 100));
  const part = columns.slice(40, 60);
  assert.equal(part.length, 20);
  assert.deepEqual(plain(part.decode()), plain(columns.decode().slice(40, 60)));
});
