// Several flowcast-bridge processes on one JetStream durable (BRIDGE_DURABLE) share the stream's
// events: each event reaches the target through one of them, once, and the progress bucket they
// share (one entry per event) does not make them resend each other's events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import { startGrpcCollector } from '../../src/collector/index.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { uniqueFlowsBatch } from '../helpers/batches.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitUntil } from '../helpers/wait.js';
import { startBridge, waitForLog, type Bridge } from './helpers.js';

const EVENTS = 60;
const FLOWS = 20;

test('two bridges on one durable: every event forwarded once, by one of them', { timeout: 120_000 }, async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  const manager = await jetstreamManager(nc);
  await manager.streams.add({ name: 'SHARED', subjects: ['shared.flows'] });
  const received: number[] = [];
  // A slow target: each Send takes a while, so both bridges have events in hand at once.
  const collector = await startGrpcCollector({
    port: 0,
    onFlows: async ({ flows }) => {
      for (let index = 0; index < flows.length; index++) received.push(flows.srcPort[index]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
  });
  const env = {
    NATS_URL: nats.url,
    NATS_SUBJECT: 'shared.flows',
    NATS_STREAM: 'SHARED',
    BRIDGE_DURABLE: 'shared',
    TARGET_HOST: '127.0.0.1',
    TARGET_PORT: String(collector.port),
    GRPC_MESSAGE_MAX_FLOWS: '5',
    LOG_LEVEL: 'debug',
  };
  const bridges: Bridge[] = [startBridge(env), startBridge(env)];
  try {
    for (const bridge of bridges) await waitForLog(bridge, 'bridging');
    const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
    const js = jetstream(nc);
    for (let sequence = 0; sequence < EVENTS; sequence++) {
      // Flow i of event `sequence` has source port FLOWS * sequence + i.
      const batch = uniqueFlowsBatch(FLOWS, sequence);
      const message = encode({ ...batch, flows: batch.flows.map((flow, i) => ({ ...flow, srcPort: FLOWS * sequence + i })) });
      const natsHeaders = headers();
      for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
      await js.publish('shared.flows', message.body, { msgID: message.id, headers: natsHeaders });
    }
    await waitUntil(
      async () => {
        const info = await manager.consumers.info('SHARED', 'shared');
        return info.num_pending === 0 && info.num_ack_pending === 0 && received.length >= EVENTS * FLOWS;
      },
      () => `every event acknowledged (${received.length} records)`,
      60_000,
    );
    assert.deepEqual(
      [...received].sort((a, b) => a - b),
      Array.from({ length: EVENTS * FLOWS }, (_, i) => i),
    );
    const forwarded = bridges.map(
      (bridge) =>
        bridge
          .log()
          .split('\n')
          .filter((line) => line.includes('"forwarded"')).length,
    );
    assert.equal(forwarded[0] + forwarded[1], EVENTS, `events forwarded by each bridge: ${forwarded}`);
    assert.ok(
      forwarded.every((count) => count > 0),
      `both bridges forwarded events: ${forwarded}`,
    );
    assert.doesNotMatch(bridges.map((bridge) => bridge.log()).join(''), /resuming an event|forwarding failed/);
  } finally {
    for (const bridge of bridges) bridge.process.kill('SIGTERM');
    await Promise.all(bridges.map((bridge) => bridge.exited));
    await collector.close();
    await nc.close();
    await nats.stop();
  }
});
