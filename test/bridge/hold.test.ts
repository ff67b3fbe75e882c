import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

import { startNatsCollector, type FlowRecord } from '../../src/collector/index.js';
import { encodeRecords } from '../../src/encode/pbflow.js';
import { sampleBatch } from '../helpers/batches.js';
import { BROKER_OUTAGE_MS } from '../helpers/constants.js';
import { NatsServer, freePort } from '../helpers/nats-server.js';
import { OneShotSender, metric, startBridge, until, waitForLog, type Bridge } from './helpers.js';

const FLOWS_PER_SEND = 5;
/** Send i carries flows i*5 .. i*5+4 of one sample (source ports 40000 + index). */
const flows = sampleBatch(200).flows.decode();
const send = (i: number, perSend = FLOWS_PER_SEND) => encodeRecords(flows.slice(i * perSend, (i + 1) * perSend), '198.18.0.9');

/** Reads the whole stream; resolves with every flow in it once the stream holds `messages` messages and all were read. */
async function readStream(url: string, stream: string, subject: string, messages: number): Promise<FlowRecord[]> {
  const nc = await connect({ servers: url });
  const manager = await jetstreamManager(nc);
  await until(
    async () => (await manager.streams.info(stream)).state.messages >= messages,
    () => `${messages} messages in ${stream}`,
  );
  const read: FlowRecord[] = [];
  let events = 0;
  const reader = await startNatsCollector({
    nats: { servers: [url], subject },
    durable: { stream, name: `reader-${Date.now()}` },
    dedupe: false,
    onBatch: (batch) => {
      events++;
      read.push(...batch.flows);
    },
  });
  await until(
    () => events === messages,
    () => `${messages} events read (have ${events})`,
  );
  await reader.close();
  assert.equal((await manager.streams.info(stream)).state.messages, messages, 'no more messages than Sends');
  await nc.close();
  return read;
}

const sourcePorts = (records: FlowRecord[]) => records.map((flow) => flow.srcPort).sort((a, b) => a - b);
const range = (count: number) => Array.from({ length: count }, (_, i) => 40000 + i);

function bridgeEnv(nats: NatsServer, port: number, metricsPort: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BRIDGE_MODE: 'grpc-to-nats',
    BRIDGE_LISTEN_PORT: String(port),
    NATS_URL: nats.url,
    NATS_JETSTREAM: 'true',
    NATS_STREAM: 'HOLD',
    NATS_SUBJECT: 'hold.flows',
    METRICS_PORT: String(metricsPort),
    METRICS_ADDRESS: '127.0.0.1',
    ...extra,
  };
}

test('grpc-to-nats: a sender that never retries sends during a 30 s JetStream outage; every record reaches the stream exactly once', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const [port, metricsPort] = [await freePort(), await freePort()];
  const bridge = startBridge(bridgeEnv(nats, port, metricsPort));
  const agent = new OneShotSender(`127.0.0.1:${port}`);
  try {
    await waitForLog(bridge, 'created JetStream stream');
    for (let i = 0; i < 3; i++) assert.equal(await agent.send(send(i)), grpc.status.OK);
    await until(
      async () => (await metric(metricsPort, 'flowcast_bridge_published_records_total')) === 15,
      () => 'the first 15 records published',
    );

    await nats.kill();
    for (let i = 3; i < 6; i++) assert.equal(await agent.send(send(i)), grpc.status.OK, `Send ${i} while NATS is down`);
    // An outage of 30 s, as measured with NetObserv agents (which lost every record of it): the
    // scenario's length, not a wait for an event. The bridge keeps reconnecting and holding.
    await new Promise((resolve) => setTimeout(resolve, BROKER_OUTAGE_MS));
    for (let i = 6; i < 8; i++) assert.equal(await agent.send(send(i)), grpc.status.OK, `Send ${i} after ${BROKER_OUTAGE_MS} ms of NATS down`);
    assert.equal((await metric(metricsPort, 'flowcast_bridge_held_sends')) >= 4, true, 'held while NATS is down');
    assert.ok((await metric(metricsPort, 'flowcast_bridge_buffer_bytes')) > 0);
    assert.equal(await metric(metricsPort, 'flowcast_bridge_buffer_limit_bytes'), 64 << 20);

    await nats.resume();
    await until(
      async () => (await metric(metricsPort, 'flowcast_bridge_held_sends')) === 0,
      () => `the held Sends published: ${bridge.log()}`,
    );
    assert.equal(await metric(metricsPort, 'flowcast_bridge_published_records_total'), 40);
    assert.equal(await metric(metricsPort, 'flowcast_bridge_dropped_records_total'), 0);
    assert.deepEqual(sourcePorts(await readStream(nats.url, 'HOLD', 'hold.flows', 8)), range(40));
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null]);
  } finally {
    agent.close();
    bridge.process.kill('SIGKILL');
    await nats.stop();
  }
});

test('grpc-to-nats with BRIDGE_SPOOL_DIR: Sends held during an outage survive a SIGKILL of the bridge and reach the stream exactly once', async () => {
  const spool = mkdtempSync(join(tmpdir(), 'flowcast-spool-'));
  const nats = await NatsServer.start({ jetstream: true });
  const [port, metricsPort] = [await freePort(), await freePort()];
  let bridge: Bridge = startBridge(bridgeEnv(nats, port, metricsPort, { BRIDGE_SPOOL_DIR: spool }));
  const agent = new OneShotSender(`127.0.0.1:${port}`);
  try {
    await waitForLog(bridge, 'created JetStream stream');
    assert.equal(await agent.send(send(0)), grpc.status.OK);
    await until(
      async () => (await metric(metricsPort, 'flowcast_bridge_published_records_total')) === 5,
      () => 'the first Send published',
    );
    assert.equal(statSync(join(spool, 'spool.bin')).size, 0, 'an emptied spool starts over');

    await nats.kill();
    for (let i = 1; i < 7; i++) assert.equal(await agent.send(send(i)), grpc.status.OK);
    assert.ok((await metric(metricsPort, 'flowcast_bridge_spool_bytes')) > 0);
    bridge.process.kill('SIGKILL');
    await bridge.exited;

    await nats.resume();
    bridge = startBridge(bridgeEnv(nats, port, metricsPort, { BRIDGE_SPOOL_DIR: spool }));
    await waitForLog(bridge, '"sends":6,');
    await until(
      async () => {
        try {
          return (await metric(metricsPort, 'flowcast_bridge_held_sends')) === 0;
        } catch (error) {
          // Not listening yet; any other failure (the metric missing) fails the test.
          if (((error as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED') return false;
          throw error;
        }
      },
      () => `the spool replayed: ${bridge.log()}`,
    );
    assert.equal(await metric(metricsPort, 'flowcast_bridge_published_records_total'), 30);
    assert.deepEqual(sourcePorts(await readStream(nats.url, 'HOLD', 'hold.flows', 7)), range(35));
    assert.equal(statSync(join(spool, 'spool.bin')).size, 0);
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null]);
  } finally {
    agent.close();
    bridge.process.kill('SIGKILL');
    await nats.stop();
    rmSync(spool, { recursive: true, force: true });
  }
});

test('grpc-to-nats: past BRIDGE_BUFFER_BYTES a Send is refused (UNAVAILABLE) and its records counted as dropped; what was held arrives', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const [port, metricsPort] = [await freePort(), await freePort()];
  const bridge = startBridge(bridgeEnv(nats, port, metricsPort, { BRIDGE_BUFFER_BYTES: '65536' }));
  const agent = new OneShotSender(`127.0.0.1:${port}`);
  try {
    await waitForLog(bridge, 'created JetStream stream');
    await nats.kill();
    // 50 flows a Send, about 5 KB on the wire and 9 KB as held columns: the buffer holds 7 of them.
    const statuses: grpc.status[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await agent.send(send(i, 50)));
    const big = Buffer.concat(Array.from({ length: 12 }, () => send(0, 50)));
    assert.ok(big.length > 65536 / 2 && big.length < 65536, `${big.length} bytes`);
    assert.deepEqual(statuses, [0, 0, 0, 0]);
    assert.equal(await agent.send(big), grpc.status.UNAVAILABLE, 'no room for 600 more records');
    assert.equal(await metric(metricsPort, 'flowcast_bridge_dropped_records_total'), 600);
    assert.equal(await metric(metricsPort, 'flowcast_bridge_held_sends'), 4);

    await nats.resume();
    await until(
      async () => (await metric(metricsPort, 'flowcast_bridge_held_sends')) === 0,
      () => `the held Sends published: ${bridge.log()}`,
    );
    assert.deepEqual(sourcePorts(await readStream(nats.url, 'HOLD', 'hold.flows', 4)), range(200));
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null]);
  } finally {
    agent.close();
    bridge.process.kill('SIGKILL');
    await nats.stop();
  }
});

test('grpc-to-nats with BRIDGE_SPOOL_DIR: stopped (SIGTERM) while NATS is down, it keeps the held Sends in the spool; the next start publishes each once', async () => {
  const spool = mkdtempSync(join(tmpdir(), 'flowcast-spool-'));
  const nats = await NatsServer.start({ jetstream: true });
  const [port, metricsPort] = [await freePort(), await freePort()];
  let bridge: Bridge = startBridge(bridgeEnv(nats, port, metricsPort, { BRIDGE_SPOOL_DIR: spool }));
  const agent = new OneShotSender(`127.0.0.1:${port}`);
  try {
    await waitForLog(bridge, 'created JetStream stream');
    await nats.kill();
    for (let i = 0; i < 4; i++) assert.equal(await agent.send(send(i)), grpc.status.OK, `Send ${i} while NATS is down`);
    await waitForLog(bridge, 'NATS did not take a held Send');
    // The stop waits its 10 s for NATS, then leaves what it holds where it is.
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null], bridge.log());
    assert.match(bridge.log(), /"held":4,"spooled":true,"msg":"stopped; held Sends stay in the spool"/);

    await nats.resume();
    bridge = startBridge(bridgeEnv(nats, port, metricsPort, { BRIDGE_SPOOL_DIR: spool }));
    await waitForLog(bridge, '"sends":4,');
    assert.deepEqual(sourcePorts(await readStream(nats.url, 'HOLD', 'hold.flows', 4)), range(20));
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null]);
  } finally {
    agent.close();
    bridge.process.kill('SIGKILL');
    await nats.stop();
    rmSync(spool, { recursive: true, force: true });
  }
});
