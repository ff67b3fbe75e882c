// A JetStream collector with `concurrency`: several handlers at once, each message acknowledged as
// its handler finishes (out of the stream's order), a second copy of an event waiting for the
// first's outcome instead of reaching a second handler, and the delivery count and
// onAcknowledged the bridge builds on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import { startNatsCollector, type Delivery } from '../../src/collector/index.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { sampleBatch } from '../helpers/batches.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitUntil } from '../helpers/wait.js';

test('JetStream with concurrency 3: handlers overlap and finish out of order, a copy of an event waits for the first, every event handled once', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  const manager = await jetstreamManager(nc);
  await manager.streams.add({ name: 'CONC', subjects: ['conc.flows'] });
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  // Stream: event 0, event 0 again (another stream message, no Nats-Msg-Id), events 1 to 4.
  for (const sequence of [0, 0, 1, 2, 3, 4]) {
    const message = encode(sampleBatch(1, sequence));
    const natsHeaders = headers();
    for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
    await jetstream(nc).publish('conc.flows', message.body, { headers: natsHeaders });
  }
  /** Running handlers by event sequence; release(sequence) lets one finish. */
  const running = new Map<number, () => void>();
  const handled: number[] = [];
  const deliveries: Delivery[] = [];
  const acknowledged: string[] = [];
  const collector = await startNatsCollector({
    nats: { servers: [nats.url], subject: 'conc.flows' },
    durable: { stream: 'CONC', name: 'conc' },
    concurrency: 3,
    onColumns: async (batch, _event, delivery) => {
      handled.push(batch.sequence);
      deliveries.push(delivery);
      await new Promise<void>((resolve) => running.set(batch.sequence, resolve));
      running.delete(batch.sequence);
    },
    onAcknowledged: (event) => void acknowledged.push(event.id),
  });
  const release = async (sequence: number) => {
    await waitUntil(() => running.has(sequence), `event ${sequence} in its handler (running: ${[...running.keys()]})`, 20_000);
    running.get(sequence)!();
  };
  try {
    // Three slots: event 0, its copy (waiting for event 0's outcome, not in a handler) and event 1.
    await waitUntil(() => running.size === 2, `two handlers running (handled: ${handled})`, 20_000);
    assert.deepEqual([...running.keys()].sort(), [0, 1]);
    // Event 1 finishes first: acknowledged while event 0 still runs, and event 2 takes its slot.
    await release(1);
    await waitUntil(() => running.has(2), 'event 2 started after event 1 finished', 20_000);
    assert.equal(acknowledged.length, 1);
    assert.ok(running.has(0), 'event 0 still in its handler');
    await release(0);
    for (const sequence of [2, 3, 4]) await release(sequence);
    await waitUntil(
      async () => (await manager.consumers.info('CONC', 'conc')).num_ack_pending === 0 && acknowledged.length === 6,
      () => `every message acknowledged (${acknowledged.length})`,
      20_000,
    );
    assert.deepEqual([...handled].sort(), [0, 1, 2, 3, 4], 'each event in one handler, the copy of event 0 acknowledged without one');
    assert.ok(
      deliveries.every(({ count }) => count === 1),
      'first deliveries',
    );
  } finally {
    for (const resolve of running.values()) resolve();
    await collector.close();
    await nc.close();
    await nats.stop();
  }
});
