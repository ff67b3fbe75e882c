import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import protobuf from 'protobufjs';

import { FLOW_PROTO_PATH, encodeRecords, type PbflowRecord } from '../../src/encode/pbflow.js';
import { GrpcExporter } from '../../src/export/grpc.js';
import { startGrpcCollector } from '../../src/collector/index.js';
import { FIELD_OFFSETS, RECORD_SIZE } from '../../src/model/index.js';
import { AgentProcess } from '../helpers/agent.js';
import { sampleBatch, withObserved } from '../helpers/batches.js';
import { PROJECT_ROOT, TestNet, exec, exitOf, spawnIn } from '../helpers/netns.js';
import { makeCertificates } from '../helpers/certs.js';

test('a decoder built from proto/flow.proto at run time reads every field the exporter wrote', () => {
  const Records = protobuf.loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');
  const batch = withObserved(sampleBatch(3));
  batch.flows.records.writeUInt32LE(0x03100013, RECORD_SIZE + FIELD_OFFSETS['metrics.tcp_flags'][0]); // header bits below, NetObserv's above
  const flows = batch.flows.decode();
  flows[2].etherType = 0x86dd;
  flows[2].srcAddr = Buffer.from('fd00fc00000000000000000000000001', 'hex');
  const decoded = Records.toObject(Records.decode(encodeRecords(flows, '198.18.0.9')), { longs: Number, enums: String, bytes: Buffer, defaults: true });
  const [first, second, third] = decoded.entries;
  const written = [
    'ethProtocol',
    'direction',
    'timeFlowStart',
    'timeFlowEnd',
    'dataLink',
    'network',
    'transport',
    'bytes',
    'packets',
    'interface',
    'agentIp',
    'flags',
    'icmpType',
    'icmpCode',
    'dupList',
    'sampling',
  ];
  assert.deepEqual(Object.fromEntries(written.map((key) => [key, first[key]])), {
    ethProtocol: 0x0800,
    direction: 'INGRESS',
    timeFlowStart: { seconds: 1_790_000_000, nanos: 0 },
    timeFlowEnd: { seconds: 1_790_000_000, nanos: 1_000_000 },
    dataLink: { srcMac: 0x020000000102, dstMac: 0x020000000203 },
    network: { srcAddr: { ipv4: 0xc6120001 }, dstAddr: { ipv4: 0xc6120002 }, dscp: 0 },
    transport: { srcPort: 40000, dstPort: 5000, protocol: 17 },
    bytes: 60,
    packets: 1,
    interface: 'eth2',
    agentIp: { ipv4: 0xc6120009 },
    flags: 0,
    icmpType: 0,
    icmpCode: 0,
    // The counted interface, then the others the flow crossed (sampleBatch lists two on flow 0): both is NetObserv's 3.
    dupList: [
      { interface: 'eth2', direction: 'INGRESS', udn: '' },
      { interface: 'eth3', direction: 'EGRESS', udn: '' },
      { interface: 'eth4', direction: 3, udn: '' },
    ],
    sampling: 1,
  });
  // Nothing else: the NetObserv features flowcast does not measure stay at their defaults.
  const unset = Records.toObject(Records.decode(Records.encode({ entries: [{}] }).finish()), { longs: Number, enums: String, bytes: Buffer, defaults: true })
    .entries[0];
  for (const key of Object.keys(unset).filter((key) => !written.includes(key))) assert.deepEqual(first[key], unset[key], key);
  assert.equal(second.direction, 'EGRESS');
  assert.deepEqual(second.dupList, [{ interface: 'eth3', direction: 'EGRESS', udn: '' }]);
  assert.equal(second.flags, 0x310, "pbflow flags is NetObserv's value, not the header's bits");
  assert.deepEqual(third.network.srcAddr, { ipv6: Buffer.from('fd00fc00000000000000000000000001', 'hex') });
});

test('an ARP flow carries Network (zero IPv4 addresses) and Transport, as NetObserv sends them, and its dup_list', () => {
  const Records = protobuf.loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');
  const [flow] = withObserved(sampleBatch(1)).flows.decode();
  Object.assign(flow, { etherType: 0x0806, srcAddr: Buffer.alloc(16), dstAddr: Buffer.alloc(16), protocol: 0, srcPort: 0, dstPort: 0 });
  const encoded = encodeRecords([flow], '');
  const [entry] = Records.toObject(Records.decode(encoded), { longs: Number, enums: String, oneofs: true }).entries;
  assert.deepEqual(entry.network, { srcAddr: { ipv4: 0, ipFamily: 'ipv4' }, dstAddr: { ipv4: 0, ipFamily: 'ipv4' } });
  assert.deepEqual(entry.transport, {});
  assert.deepEqual(entry.dupList, [{ interface: 'eth2' }, { interface: 'eth3', direction: 'EGRESS' }, { interface: 'eth4', direction: 3 }]);
});

test("real TCP in namespaces: pbflow flags per direction is NetObserv's rule, every record has dup_list", async () => {
  const net = await TestNet.create();
  const collector = spawnIn(net.a.ns, process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}test/helpers/grpc-collector-child.ts`, '9999']);
  try {
    await once(collector, 'message');
    const agent = AgentProcess.start(net.a.ns, {
      EXPORT: 'grpc',
      TARGET_HOST: '127.0.0.1',
      TARGET_PORT: '9999',
      INTERFACES: 'fca',
      CACHE_ACTIVE_TIMEOUT: '1h',
    });
    await agent.waitForLog('capturing');
    const tool = `${PROJECT_ROOT}test/tools/tcp-exchange.mjs`;
    const server = spawnIn(net.b.ns, process.execPath, [tool, 'server', '5201']);
    const serverExit = exitOf(server);
    await once(server.stdout!, 'data');
    await exec(net.a.ns, process.execPath, tool, 'client', net.b.ipv4, '5201', '10000');
    assert.equal(await serverExit, 0);
    await exec(net.a.ns, process.execPath, tool, 'refused', net.b.ipv4, '5202');
    assert.equal(await agent.stop('SIGTERM'), 0);
    const reply = once(collector, 'message');
    collector.send('collect');
    const [{ records }] = (await reply) as [{ records: PbflowRecord[] }];

    for (const record of records) assert.deepEqual(record.dupList, [{ interface: 'fca', direction: record.direction, udn: '' }]);
    const tcp = records.filter((record) => record.transport?.protocol === 6);
    const flags = (direction: string, port: number) =>
      tcp
        .filter((record) => record.direction === direction && (direction === 'EGRESS' ? record.transport!.dstPort : record.transport!.srcPort) === port)
        .map((record) => record.flags);
    // Out: SYN 0x02, ACK 0x10, PSH-ACK 0x10, FIN-ACK 0x200. Back: SYN-ACK 0x100, ACK 0x10, FIN-ACK 0x200.
    assert.deepEqual(flags('EGRESS', 5201), [0x212]);
    assert.deepEqual(flags('INGRESS', 5201), [0x310]);
    // A closed port: SYN, then RST-ACK 0x400.
    assert.deepEqual(flags('EGRESS', 5202), [0x002]);
    assert.deepEqual(flags('INGRESS', 5202), [0x400]);
  } finally {
    collector.kill();
    await net.destroy();
  }
});

test('a record longer than 127 bytes (IPv6 everywhere) keeps its two-byte length', () => {
  const Records = protobuf.loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');
  const flows = sampleBatch(2).flows.decode();
  for (const flow of flows) {
    flow.etherType = 0x86dd;
    flow.srcAddr = Buffer.from('fd00fc00000000000000000000000001', 'hex');
    flow.dstAddr = Buffer.from('fd00fc00000000000000000000000002', 'hex');
    flow.bytes = 2 ** 40; // a varint past 32 bits
    flow.interface = 'a-long-name-015';
  }
  const encoded = encodeRecords(flows, 'fd00:fc00::9');
  assert.ok(encoded.length / 2 > 130, `${encoded.length / 2} bytes per record`);
  const decoded = Records.toObject(Records.decode(encoded), { longs: Number, bytes: Buffer, defaults: true });
  assert.equal(decoded.entries.length, 2);
  for (const entry of decoded.entries) {
    assert.equal(entry.bytes, 2 ** 40);
    assert.equal(entry.interface, 'a-long-name-015');
    assert.deepEqual(entry.agentIp, { ipv6: Buffer.from('fd00fc00000000000000000000000009', 'hex') });
    assert.deepEqual(entry.network.dstAddr, { ipv6: Buffer.from('fd00fc00000000000000000000000002', 'hex') });
    assert.equal(entry.sampling, 1);
  }
});

test('batches larger than GRPC_MESSAGE_MAX_FLOWS go in several Sends, each record once', async () => {
  const received: number[] = [];
  const collector = await startGrpcCollector({ port: 0, host: '127.0.0.1', onRecords: (records) => void received.push(records.length) });
  const exporter = new GrpcExporter({ target: { host: '127.0.0.1', port: collector.port }, grpc: { maxFlows: 4 } }, '198.18.0.1');
  try {
    await exporter.send(sampleBatch(10));
    assert.deepEqual(received, [4, 4, 2]);
  } finally {
    await exporter.close();
    await collector.close();
  }
});

test('a Send the collector refused is retried without resending what it took', async () => {
  const received: number[] = [];
  let refuse = 1;
  const collector = await startGrpcCollector({
    port: 0,
    host: '127.0.0.1',
    onRecords: (records) => {
      if (received.length === 1 && refuse-- > 0) throw new Error('disk full');
      received.push(records.length);
    },
  });
  const exporter = new GrpcExporter({ target: { host: '127.0.0.1', port: collector.port }, grpc: { maxFlows: 4 } }, '');
  try {
    const batch = sampleBatch(10);
    await assert.rejects(exporter.send(batch), /could not take the records/);
    await exporter.send(batch);
    assert.deepEqual(received, [4, 4, 2]);
  } finally {
    await exporter.close();
    await collector.close();
  }
});

test('mutual TLS: the agent with its certificate gets through, a client without one does not', async () => {
  const certs = makeCertificates();
  const received: number[] = [];
  const collector = await startGrpcCollector({
    port: 0,
    host: '127.0.0.1',
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca },
    onRecords: (records) => void received.push(records.length),
  });
  const target = { host: 'localhost', port: collector.port };
  const withCertificate = new GrpcExporter(
    { target, grpc: { maxFlows: 100, tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey } } },
    '',
  );
  const withoutCertificate = new GrpcExporter({ target, grpc: { maxFlows: 100, tls: { caFile: certs.ca } } }, '');
  try {
    await withCertificate.send(sampleBatch(5));
    assert.deepEqual(received, [5]);
    await assert.rejects(withoutCertificate.send(sampleBatch(5)), /pbflow.Collector\/Send/);
    assert.deepEqual(received, [5]);
  } finally {
    await withCertificate.close();
    await withoutCertificate.close();
    await collector.close();
    rmSync(certs.dir, { recursive: true, force: true });
  }
});
