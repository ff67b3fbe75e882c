import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

import { startNatsCollector, type DecodedFlowBatch } from '../../src/collector/index.js';
import { FLOW_PROTO_PATH, encodeRecords } from '../../src/encode/pbflow.js';
import { sampleBatch } from '../helpers/batches.js';
import { makeCertificates } from '../helpers/certs.js';
import { NatsServer, freePort } from '../helpers/nats-server.js';
import { OneShotSender, startBridge, until, waitForLog } from './helpers.js';

const Records = protobuf.loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');

/** Peak resident memory of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmHWM:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

/** The local address a TCP port listens on, from /proc/net/tcp and tcp6 (hex, as the kernel writes it). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A')
      .map((fields) => fields[1].split(':')[0]),
  );
}

test('grpc-to-nats: hostile and invalid Sends are refused for good, memory stays bounded, and the next valid Send is served', async () => {
  const nats = await NatsServer.start();
  const batches: DecodedFlowBatch[] = [];
  const subscriber = await startNatsCollector({ nats: { servers: [nats.url], subject: 'limits.flows' }, onBatch: (batch) => void batches.push(batch) });
  const port = await freePort();
  const bridge = startBridge({ BRIDGE_MODE: 'grpc-to-nats', BRIDGE_LISTEN_PORT: String(port), NATS_URL: nats.url, NATS_SUBJECT: 'limits.flows' });
  const sender = new OneShotSender(`127.0.0.1:${port}`);
  try {
    await waitForLog(bridge, 'bridging pbflow to NATS');
    assert.deepEqual(listeningAddresses(port), ['0100007F'], 'listens on 127.0.0.1 only by default');

    // 2 MB: a million empty records (tag 0x0a, length 0), which would decode to about 1.4 GB.
    const million = Buffer.alloc(2_000_000);
    for (let i = 0; i < million.length; i += 2) million[i] = 0x0a;
    assert.equal(await sender.send(million), grpc.status.RESOURCE_EXHAUSTED);
    // Over the 4 MiB message limit.
    assert.equal(
      await sender.send(Buffer.concat([encodeRecords(sampleBatch(1).flows.decode(), ''), Buffer.alloc(5 << 20, 0x0a).fill(0, 1, 2)])),
      grpc.status.RESOURCE_EXHAUSTED,
    );
    // A flow time past what microseconds hold, and nanos out of range.
    const late = Records.encode(Records.fromObject({ entries: [{ timeFlowStart: { seconds: 9_000_000_000_000, nanos: 0 }, packets: 1 }] })).finish();
    assert.equal(await sender.send(late), grpc.status.INVALID_ARGUMENT);
    const nanos = Records.encode(Records.fromObject({ entries: [{ timeFlowEnd: { seconds: 1, nanos: 1_000_000_000 }, packets: 1 }] })).finish();
    assert.equal(await sender.send(nanos), grpc.status.INVALID_ARGUMENT);
    // An empty Send: nothing to do.
    assert.equal(await sender.send(new Uint8Array(0)), grpc.status.OK);

    assert.ok(peakRss(bridge.process.pid!) < 400 << 20, `peak RSS ${peakRss(bridge.process.pid!) >> 20} MiB`);
    assert.equal(await sender.send(encodeRecords(sampleBatch(4).flows.decode(), '198.18.0.7')), grpc.status.OK);
    await until(
      () => batches.length === 1,
      () => 'the valid Send on NATS',
    );
    assert.equal(batches[0].flows.length, 4);
    assert.match(bridge.log(), /more than 50000 records in one message/);
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null]);
    assert.equal(batches.length, 1, 'nothing but the valid Send was published');
  } finally {
    sender.close();
    bridge.process.kill('SIGKILL');
    await subscriber.close();
    await nats.stop();
  }
});

test('grpc-to-nats with mutual TLS: an agent with a client certificate is served; without one, or in plaintext, it is not', async () => {
  const certs = makeCertificates();
  const nats = await NatsServer.start();
  const batches: DecodedFlowBatch[] = [];
  const subscriber = await startNatsCollector({ nats: { servers: [nats.url], subject: 'tls.flows' }, onBatch: (batch) => void batches.push(batch) });
  const port = await freePort();
  const bridge = startBridge({
    BRIDGE_MODE: 'grpc-to-nats',
    BRIDGE_LISTEN_PORT: String(port),
    BRIDGE_LISTEN_ADDRESS: '127.0.0.1',
    NATS_URL: nats.url,
    NATS_SUBJECT: 'tls.flows',
    BRIDGE_TLS_CERT: certs.serverCert,
    BRIDGE_TLS_KEY: certs.serverKey,
    BRIDGE_TLS_CLIENT_CA: certs.ca,
  });
  const ca = readFileSync(certs.ca);
  const mutual = new OneShotSender(`localhost:${port}`, grpc.credentials.createSsl(ca, readFileSync(certs.clientKey), readFileSync(certs.clientCert)));
  const noClientCert = new OneShotSender(`localhost:${port}`, grpc.credentials.createSsl(ca));
  const plaintext = new OneShotSender(`127.0.0.1:${port}`);
  const message = encodeRecords(sampleBatch(3).flows.decode(), '198.18.0.7');
  try {
    await waitForLog(bridge, '"tls":"mutual"');
    assert.equal(await noClientCert.send(message), grpc.status.UNAVAILABLE);
    assert.equal(await plaintext.send(message), grpc.status.UNAVAILABLE);
    assert.equal(await mutual.send(message), grpc.status.OK);
    await until(
      () => batches.length === 1,
      () => 'the batch on NATS',
    );
    assert.equal(batches[0].flows.length, 3);
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null]);
    assert.equal(batches.length, 1);
  } finally {
    for (const sender of [mutual, noClientCert, plaintext]) sender.close();
    bridge.process.kill('SIGKILL');
    await subscriber.close();
    await nats.stop();
  }
});

test('flowcast-bridge: a client CA without a server certificate is a configuration error naming the variables', async () => {
  const certs = makeCertificates();
  const bridge = startBridge({ BRIDGE_MODE: 'grpc-to-nats', BRIDGE_TLS_CLIENT_CA: certs.ca });
  assert.deepEqual(await bridge.exited, [2, null]);
  assert.match(bridge.log(), /BRIDGE_TLS_CERT: required when BRIDGE_TLS_CLIENT_CA is set/);
});
