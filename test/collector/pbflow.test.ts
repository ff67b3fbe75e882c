import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import protobuf from 'protobufjs';

import { FLOW_PROTO_PATH, encodeRecords } from '../../src/encode/pbflow.js';
import { GrpcExporter } from '../../src/export/grpc.js';
import { startGrpcCollector } from '../../src/collector/index.js';
import { sampleBatch } from '../helpers/batches.js';
import { makeCertificates } from '../helpers/certs.js';

test('a decoder built from proto/flow.proto at run time reads every field the exporter wrote', () => {
  const Records = protobuf.loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');
  const flows = sampleBatch(3).flows.decode();
  flows[2].etherType = 0x86dd;
  flows[2].srcAddr = Buffer.from('fd00fc00000000000000000000000001', 'hex');
  const decoded = Records.toObject(Records.decode(encodeRecords(flows, '198.18.0.9')), { longs: Number, enums: String, bytes: Buffer, defaults: true });
  const [first, , third] = decoded.entries;
  assert.deepEqual(
    { ...first, timeFlowStart: first.timeFlowStart, dataLink: first.dataLink },
    {
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
      sampling: 1,
    },
  );
  assert.equal(decoded.entries[1].direction, 'EGRESS');
  assert.equal(decoded.entries[1].flags, 0x12);
  assert.deepEqual(third.network.srcAddr, { ipv6: Buffer.from('fd00fc00000000000000000000000001', 'hex') });
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
    port: 0, host: '127.0.0.1',
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
    port: 0, host: '127.0.0.1',
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca },
    onRecords: (records) => void received.push(records.length),
  });
  const target = { host: 'localhost', port: collector.port };
  const withCertificate = new GrpcExporter({ target, grpc: { maxFlows: 100, tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey } } }, '');
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
