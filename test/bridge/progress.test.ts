import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import { createEventEncoder, newIdentity, type EventMessage } from '../../src/encode/cloudevent.js';
import { sampleBatch } from '../helpers/batches.js';
import { NatsServer } from '../helpers/nats-server.js';
import { startBridge, startManualCollector, startSlowCollector, until, type Bridge } from './helpers.js';

/** The bridge's settings: the stream FLOWS to the collector on `port`, three flows a Send. */
const bridgeEnv = (nats: NatsServer, port: number) => ({
  NATS_URL: nats.url,
  NATS_SUBJECT: 'test.flows',
  NATS_STREAM: 'FLOWS',
  TARGET_HOST: '127.0.0.1',
  TARGET_PORT: String(port),
  GRPC_MESSAGE_MAX_FLOWS: '3',
});

async function publish(nc: NatsConnection, message: EventMessage): Promise<void> {
  const natsHeaders = headers();
  for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
  await jetstream(nc).publish('test.flows', message.body, { msgID: message.id, headers: natsHeaders });
}

test('nats-to-grpc: SIGKILLed mid-event with a slow collector; the restarted bridge resends nothing the collector took', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  const manager = await jetstreamManager(nc);
  await manager.streams.add({ name: 'FLOWS', subjects: ['test.flows'] });
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const message = encode(sampleBatch(30));
  await publish(nc, message);

  let bridge: Bridge | undefined;
  // Killed as the fifth Send (flows 12-14) arrives: the first four were answered, and the bridge
  // sends the next only once the progress of the last is stored.
  const collector = await startSlowCollector((arrivals) => {
    if (arrivals === 5) bridge!.process.kill('SIGKILL');
  });
  const env = bridgeEnv(nats, collector.port);
  try {
    bridge = startBridge(env);
    assert.deepEqual(await bridge.exited, [null, 'SIGKILL'], bridge.log());
    await until(
      () => collector.state.settled === 5,
      () =>
        `the fifth Send to be cancelled (settled: ${collector.state.settled}, arrivals: ${collector.state.arrivals}, taken: ${collector.taken.length}): ${bridge!.log()}`,
    );
    assert.equal(collector.taken.length, 12, 'four Sends of three flows were taken before the kill');

    bridge = startBridge(env);
    // JetStream redelivers the unacknowledged event once its ack wait (30 s) has passed.
    await until(
      async () => {
        const info = await manager.consumers.info('FLOWS', 'flowcast-bridge');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      () => `the event to be acknowledged (taken: ${collector.taken.length}): ${bridge!.log()}`,
      90_000,
    );

    const ports = collector.taken.map((record) => record.transport!.srcPort).sort((a, b) => a - b);
    assert.deepEqual(
      ports,
      Array.from({ length: 30 }, (_, i) => 40000 + i),
      'every flow once',
    );
    assert.match(bridge.log(), /"from":12,"flows":30,"msg":"resuming an event the target took in part"/);
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null]);
    // The finished event's progress is gone from the bucket.
    const bucket = await manager.streams.info('KV_flowcast-bridge-progress');
    assert.equal(bucket.state.messages, 0);
  } finally {
    bridge?.process.kill('SIGKILL');
    collector.close();
    await nc.close();
    await nats.stop();
  }
});

test('nats-to-grpc: several events in flight at once, finished out of order; a SIGKILL then resends none the collector took', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  const manager = await jetstreamManager(nc);
  await manager.streams.add({ name: 'FLOWS', subjects: ['test.flows'] });
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  // Three events of three flows (one Send each); event e has source ports 40000 + 3e .. 40000 + 3e + 2.
  for (let sequence = 0; sequence < 3; sequence++) {
    const batch = sampleBatch(9, sequence)
      .flows.decode()
      .slice(3 * sequence, 3 * sequence + 3);
    const message = encode({ ...sampleBatch(0, sequence), flows: batch });
    await publish(nc, message);
  }
  const collector = await startManualCollector();
  const env = bridgeEnv(nats, collector.port);
  const consumer = () => manager.consumers.info('FLOWS', 'flowcast-bridge');
  let bridge = startBridge(env);
  try {
    // All three Sends wait for an answer at once: the bridge did not wait for the first.
    await until(
      () => collector.pending.length === 3,
      () => `three Sends in flight (have ${collector.pending.length}): ${bridge.log()}`,
    );
    // The last event is answered first, and acknowledged while the other two still wait.
    collector.pending.find(({ records }) => records[0].transport!.srcPort === 40006)!.answer();
    await until(
      async () => (await consumer()).num_ack_pending === 2,
      () => `the answered event acknowledged: ${bridge.log()}`,
    );
    bridge.process.kill('SIGKILL');
    await bridge.exited;

    collector.answerAll();
    bridge = startBridge(env);
    // JetStream redelivers the two unacknowledged events once their ack wait (30 s) has passed.
    await until(
      async () => {
        const info = await consumer();
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      () => `every event acknowledged (taken: ${collector.taken.length}): ${bridge.log()}`,
      90_000,
    );
    const ports = collector.taken.map((record) => record.transport!.srcPort).sort((a, b) => a - b);
    assert.deepEqual(
      ports,
      Array.from({ length: 9 }, (_, i) => 40000 + i),
      'every flow once',
    );
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null]);
  } finally {
    bridge.process.kill('SIGKILL');
    collector.close();
    await nc.close();
    await nats.stop();
  }
});
