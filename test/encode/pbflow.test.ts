import assert from 'node:assert/strict';
import { test } from 'node:test';
import protobuf from 'protobufjs';

import { decodeFlowBatch, encodeFlowBatch } from '../../src/encode/avro.js';
import { FLOW_PROTO_PATH, decodeRecords, encodeRecords, headerFlagsOf, ipText, toFlowRecord } from '../../src/encode/pbflow.js';
import type { DecodedFlowBatch } from '../../src/model/index.js';

const Records = protobuf.loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');
const OBJECT_OPTIONS = { longs: Number, enums: String, bytes: Buffer, defaults: true };

/** What a NetObserv agent with every feature on could send: every field of Record 1-38 set (see below for 11). */
const NETOBSERV_RECORD = {
  ethProtocol: 0x0800,
  direction: 'EGRESS',
  timeFlowStart: { seconds: 1_790_000_000, nanos: 123_456_000 }, // Avro keeps microseconds
  timeFlowEnd: { seconds: 1_790_000_004, nanos: 999_999_000 },
  dataLink: { srcMac: 0x0a5800000001, dstMac: 0x0a5800000002 },
  network: { srcAddr: { ipv4: 0x0a800001 }, dstAddr: { ipv4: 0xac1e0002 }, dscp: 46 },
  transport: { srcPort: 43210, dstPort: 443, protocol: 6 },
  bytes: 2 ** 40 + 5,
  packets: 1234,
  interface: 'eth0', // NetObserv leaves it empty; flowcast writes dup_list's first interface here too
  agentIp: { ipv4: 0xc6120007 },
  flags: 0x212,
  icmpType: 0,
  icmpCode: 0,
  pktDropBytes: 3000,
  pktDropPackets: 2,
  pktDropLatestFlags: 0x10,
  pktDropLatestState: 1,
  pktDropLatestDropCause: (3 << 16) + 2,
  dnsId: 4242,
  dnsFlags: 0x8183,
  dnsLatency: { seconds: 0, nanos: 1_234_567 },
  timeFlowRtt: { seconds: 2, nanos: 5 },
  dnsErrno: 2,
  dupList: [
    { interface: 'eth0', direction: 'EGRESS', udn: '' },
    { interface: 'br-ex', direction: 3, udn: 'tenant-blue' }, // NetObserv's "both"
    { interface: 'genev_sys_6081', direction: 'INGRESS', udn: '' },
  ],
  networkEventsMetadata: [
    { events: { Action: 'drop', Type: 'NetworkPolicy', Name: 'deny-all', Namespace: 'shop' } },
    { events: { Action: 'allow', Message: 'x'.repeat(300) } }, // a nested message past 127 bytes
  ],
  xlat: { srcAddr: { ipv4: 0x0a800009 }, dstAddr: { ipv4: 0xac1e0009 }, srcPort: 1234, dstPort: 8443, zoneId: 7 },
  sampling: 50,
  ipsecEncrypted: 1,
  ipsecEncryptedRet: -22,
  dnsName: 'www.example.com',
  sslVersion: 0x0304,
  sslMismatch: true,
  tlsTypes: 0x8000_0016,
  tlsCipherSuite: 0x1301,
  tlsKeyShare: 0x001d,
  quic: { version: 0xff00001d, seenLongHdr: 1, seenShortHdr: 1 },
};

/** The same features on IPv6, with one event so long the record's length needs three bytes. */
const NETOBSERV_RECORD_V6 = {
  ...NETOBSERV_RECORD,
  ethProtocol: 0x86dd,
  direction: 'INGRESS',
  interface: 'ens5',
  network: {
    srcAddr: { ipv6: Buffer.from('fd00fc00000000000000000000000001', 'hex') },
    dstAddr: { ipv6: Buffer.from('fd00fc00000000000000000000000002', 'hex') },
    dscp: 0,
  },
  xlat: {
    srcAddr: { ipv6: Buffer.from('fd00fc00000000000000000000000009', 'hex') },
    dstAddr: { ipv6: Buffer.from('fd00fc0000000000000000000000000a', 'hex') },
    srcPort: 0,
    dstPort: 0,
    zoneId: 0,
  },
  dupList: [{ interface: 'ens5', direction: 'INGRESS', udn: '' }],
  networkEventsMetadata: [{ events: { Message: 'y'.repeat(20_000) } }],
};

test('every current pbflow field survives pbflow -> toFlowRecord -> Avro -> encodeRecords -> pbflow', () => {
  const sent = Records.encode(Records.fromObject({ entries: [NETOBSERV_RECORD, NETOBSERV_RECORD_V6] })).finish();
  const records = decodeRecords(sent);
  const flows = records.map(toFlowRecord);
  const batch: DecodedFlowBatch = {
    agentName: 'netobserv',
    agentIp: ipText(records[0].agentIp),
    sequence: 0,
    part: 0,
    parts: 1,
    intervalStart: flows[0].firstSeen,
    intervalEnd: flows[0].lastSeen,
    ringBufferPackets: 0,
    lostPackets: 0,
    flows,
  };
  const throughAvro = decodeFlowBatch(encodeFlowBatch(batch, true));
  const again = encodeRecords(throughAvro.flows, throughAvro.agentIp);
  const expected = Records.toObject(Records.decode(sent), OBJECT_OPTIONS);
  const actual = Records.toObject(Records.decode(again), OBJECT_OPTIONS);
  assert.ok(again.length > 20_000 && again.length < 22_000);
  // Field 11 (duplicate) is deprecated and never set by NetObserv: not carried.
  assert.deepEqual(actual, expected);
});

test('toFlowRecord: interface and direction from the first dup_list entry, every feature carried', () => {
  const [flow] = decodeRecords(Records.encode(Records.fromObject({ entries: [{ ...NETOBSERV_RECORD, interface: '', direction: 'INGRESS' }] })).finish()).map(
    toFlowRecord,
  );
  assert.equal(flow.interface, 'eth0');
  assert.equal(flow.direction, 'egress');
  assert.deepEqual(flow.dupList, [
    { interface: 'eth0', direction: 'egress', udn: '' },
    { interface: 'br-ex', direction: 'both', udn: 'tenant-blue' },
    { interface: 'genev_sys_6081', direction: 'ingress', udn: '' },
  ]);
  assert.equal(flow.netobservTcpFlags, 0x212);
  assert.equal(flow.tcpFlags, 0x13, 'SYN, ACK, FIN');
  assert.deepEqual(flow.drops, { bytes: 3000, packets: 2, latestFlags: 0x10, latestState: 1, latestDropCause: (3 << 16) + 2 });
  assert.deepEqual(flow.dns, { id: 4242, flags: 0x8183, latency: 1_234_567, errno: 2, name: 'www.example.com' });
  assert.equal(flow.rtt, 2_000_000_005);
  assert.deepEqual(flow.ipsec, { encrypted: true, encryptedRet: -22 });
  assert.deepEqual(flow.tls, { sslVersion: 0x0304, sslMismatch: true, types: 0x8000_0016, cipherSuite: 0x1301, keyShare: 0x001d });
  assert.deepEqual(flow.quic, { version: 0xff00001d, seenLongHeader: 1, seenShortHeader: 1 });
  assert.equal(flow.xlat?.srcAddr.toString('hex'), '00000000000000000000ffff0a800009');
  assert.equal(flow.sampling, 50);
});

test('toFlowRecord: an agent without dup_list (older NetObserv) gives fields 10 and 2; no feature is invented', () => {
  const old = {
    ethProtocol: 0x0800,
    direction: 'EGRESS',
    interface: 'eth1',
    bytes: 60,
    packets: 1,
    flags: 0x400,
    transport: { protocol: 6, srcPort: 1, dstPort: 2 },
  };
  const [flow] = decodeRecords(Records.encode(Records.fromObject({ entries: [old] })).finish()).map(toFlowRecord);
  assert.equal(flow.interface, 'eth1');
  assert.equal(flow.direction, 'egress');
  assert.deepEqual(flow.dupList, [{ interface: 'eth1', direction: 'egress', udn: '' }]);
  assert.equal(flow.tcpFlags, 0x14, 'RST_ACK stands for RST and ACK');
  assert.deepEqual(
    [flow.drops, flow.dns, flow.rtt, flow.networkEvents, flow.xlat, flow.ipsec, flow.tls, flow.quic],
    [null, null, 0, [], null, null, null, null],
  );
  // Written back, it gains the dup_list current Flowlogs Pipeline needs.
  const [again] = Records.toObject(Records.decode(encodeRecords([flow], '')), OBJECT_OPTIONS).entries;
  assert.deepEqual(again.dupList, [{ interface: 'eth1', direction: 'EGRESS', udn: '' }]);
});

test('out-of-range uint32 values are narrowed to NetObserv widths, as Flowlogs Pipeline does, and the flow encodes in Avro', () => {
  const huge = 0xfffffff0;
  const [flow] = decodeRecords(
    Records.encode(
      Records.fromObject({
        entries: [
          {
            ...NETOBSERV_RECORD,
            ethProtocol: huge,
            transport: { srcPort: huge, dstPort: huge, protocol: huge },
            icmpType: huge,
            icmpCode: huge,
            flags: huge,
            network: { ...NETOBSERV_RECORD.network, dscp: huge },
            sampling: huge,
            pktDropLatestFlags: huge,
            pktDropLatestState: huge,
            dnsId: huge,
            dnsFlags: huge,
            dnsErrno: huge,
            xlat: { ...NETOBSERV_RECORD.xlat, srcPort: huge, dstPort: huge, zoneId: huge },
            sslVersion: huge,
            tlsCipherSuite: huge,
            tlsKeyShare: huge,
            quic: { version: huge, seenLongHdr: huge, seenShortHdr: huge },
          },
        ],
      }),
    ).finish(),
  ).map(toFlowRecord);
  assert.deepEqual(
    [flow.etherType, flow.srcPort, flow.dstPort, flow.protocol, flow.icmpType, flow.icmpCode, flow.netobservTcpFlags, flow.tcpFlags, flow.dscp, flow.sampling],
    [0xfff0, 0xfff0, 0xfff0, 0xf0, 0xf0, 0xf0, 0xfff0, 0xf7, 0xf0, 2 ** 31 - 1],
  );
  assert.deepEqual([flow.drops!.latestFlags, flow.drops!.latestState, flow.dns!.id, flow.dns!.flags, flow.dns!.errno], [0xfff0, 0xf0, 0xfff0, 0xfff0, 0xf0]);
  assert.deepEqual(
    [flow.xlat!.srcPort, flow.xlat!.zoneId, flow.tls!.sslVersion, flow.tls!.cipherSuite, flow.tls!.keyShare],
    [0xfff0, 0xfff0, 0xfff0, 0xfff0, 0xfff0],
  );
  assert.deepEqual(flow.quic, { version: huge, seenLongHeader: 0xf0, seenShortHeader: 0xf0 });
  const batch: DecodedFlowBatch = {
    agentName: 'a',
    agentIp: '',
    sequence: 0,
    part: 0,
    parts: 1,
    intervalStart: 0,
    intervalEnd: 0,
    ringBufferPackets: 0,
    lostPackets: 0,
    flows: [flow],
  };
  assert.equal(decodeFlowBatch(encodeFlowBatch(batch, false)).flows[0].quic?.version, huge);
});

test("headerFlagsOf: NetObserv's per-packet values back to the TCP header bits they stand for", () => {
  const cases: [number, number][] = [
    [0x000, 0x00],
    [0x002, 0x02],
    [0x010, 0x10],
    [0x008, 0x08],
    [0x0c0, 0xc0],
    [0x100, 0x12],
    [0x200, 0x11],
    [0x400, 0x14],
    [0x212, 0x13],
    [0x310, 0x13],
    [0x7ff, 0xff],
  ];
  assert.deepEqual(
    cases.map(([netobserv]) => [netobserv, headerFlagsOf(netobserv)]),
    cases,
  );
});

test('the reused buffer grows in time whichever record reaches its end, every value at its largest', async () => {
  const max = 2 ** 53 - 1;
  const ipv6 = { ipv6: Buffer.alloc(16, 0xff) };
  const time = { seconds: 2 ** 40, nanos: 999_999_999 };
  const [flow] = decodeRecords(
    Records.encode(
      Records.fromObject({
        entries: [
          {
            ethProtocol: 0x86dd,
            direction: 'EGRESS',
            timeFlowStart: time,
            timeFlowEnd: time,
            dataLink: { srcMac: 0xffffffffffff, dstMac: 0xffffffffffff },
            network: { srcAddr: ipv6, dstAddr: ipv6, dscp: 63 },
            transport: { srcPort: 65535, dstPort: 65535, protocol: 255 },
            bytes: max,
            packets: max,
            flags: 0xffff,
            icmpType: 255,
            icmpCode: 255,
            pktDropBytes: max,
            pktDropPackets: max,
            pktDropLatestFlags: 0xffffffff,
            pktDropLatestState: 0xffffffff,
            pktDropLatestDropCause: 0xffffffff,
            dnsId: 0xffff,
            dnsFlags: 0xffff,
            dnsLatency: time,
            timeFlowRtt: time,
            dnsErrno: 0xff,
            dupList: [{ interface: 'eth0', direction: 'EGRESS' }],
            xlat: { srcAddr: ipv6, dstAddr: ipv6, srcPort: 0xffffffff, dstPort: 0xffffffff, zoneId: 0xffffffff },
            sampling: 0xffffffff,
            ipsecEncrypted: 1,
            ipsecEncryptedRet: -1,
            sslVersion: 0xffff,
            sslMismatch: true,
            tlsTypes: 0xffffffff,
            tlsCipherSuite: 0xffff,
            tlsKeyShare: 0xffff,
            quic: { version: 0xffffffff, seenLongHdr: 0xffffffff, seenShortHdr: 0xffffffff },
          },
        ],
      }),
    ).finish(),
  ).map(toFlowRecord);
  const one = Buffer.from(encodeRecords([flow], 'fd00::1'));
  const count = Math.ceil((1 << 20) / one.length) + 2; // past the buffer's first 1 MiB
  // A first record of every length up to one record's shifts where the 1 MiB boundary falls; each
  // pass loads the module anew, so that its buffer starts at 1 MiB again.
  for (let pad = 0; pad < one.length; pad++) {
    const fresh = (await import(`../../src/encode/pbflow.js?pad=${pad}`)) as { encodeRecords: typeof encodeRecords };
    const first = { ...flow, dns: { ...flow.dns!, name: 'x'.repeat(pad) } };
    const expected = Buffer.concat([encodeRecords([first], 'fd00::1'), ...new Array(count).fill(one)]);
    assert.ok(Buffer.from(fresh.encodeRecords([first, ...new Array(count).fill(flow)], 'fd00::1')).equals(expected), `a first record with a ${pad}-byte name`);
  }
});
