// Collectors sharing the work on NATS itself: a core NATS queue group, and a JetStream durable
// (pull) consumer read by two collectors; every event handled by exactly one of them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import { startNatsCollector, type NatsCollectorOptions, type RunningNatsCollector } from '../../src/collector/index.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { sampleBatch } from '../helpers/batches.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitUntil } from '../helpers/wait.js';

const EVENTS = 200;

/** Publishes events 0..count-1 (one flow each), through JetStream when `js` (each with its Nats-Msg-Id). */
async function publishEvents(nc: NatsConnection, subject: string, count: number, js = false): Promise<void> {
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  for (let sequence = 0; sequence < count; sequence++) {
    const message = encode(sampleBatch(1, sequence));
    const natsHeaders = headers();
    for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
    if (js) await jetstream(nc).publish(subject, message.body, { msgID: message.id, headers: natsHeaders });
    else nc.publish(subject, message.body, { headers: natsHeaders });
  }
  await nc.flush();
}

/** Each of the two collectors' handled sequences, and their union counted per sequence. */
function shares(handled: number[][]): { counts: Map<number, number>; sizes: number[] } {
  const counts = new Map<number, number>();
  for (const sequences of handled) for (const sequence of sequences) counts.set(sequence, (counts.get(sequence) ?? 0) + 1);
  return { counts, sizes: handled.map((sequences) => sequences.length) };
}

test('core NATS queue group: two collectors each get a share, every event reaches exactly one', async () => {
  const nats = await NatsServer.start();
  const nc = await connect({ servers: nats.url });
  const handled: number[][] = [[], []];
  const outsider: number[] = [];
  const collectors: RunningNatsCollector[] = [];
  try {
    for (const member of [0, 1]) {
      collectors.push(
        await startNatsCollector({
          nats: { servers: [nats.url], subject: 'shared.flows' },
          queue: 'workers',
          onBatch: (batch) => void handled[member].push(batch.sequence),
        }),
      );
    }
    // Not in the group: it gets every event.
    collectors.push(
      await startNatsCollector({ nats: { servers: [nats.url], subject: 'shared.flows' }, onBatch: (batch) => void outsider.push(batch.sequence) }),
    );
    await publishEvents(nc, 'shared.flows', EVENTS);
    await waitUntil(
      () => handled[0].length + handled[1].length >= EVENTS && outsider.length >= EVENTS,
      () => `${EVENTS} events handled (have ${shares(handled).sizes}, outside the group ${outsider.length})`,
    );
    assert.deepEqual(
      outsider,
      Array.from({ length: EVENTS }, (_, i) => i),
      'a collector outside the group got every event',
    );
    const { counts, sizes } = shares(handled);
    assert.deepEqual(
      [...counts.keys()].sort((x, y) => x - y),
      Array.from({ length: EVENTS }, (_, i) => i),
      'every event handled',
    );
    assert.ok(
      [...counts.values()].every((count) => count === 1),
      'no event handled twice',
    );
    // The server picks a member at random per message: both empty-handed has odds of 2^-199.
    assert.ok(
      sizes.every((size) => size > 0),
      `both members got a share: ${sizes}`,
    );
  } finally {
    for (const collector of collectors) await collector.close();
    await nc.close();
    await nats.stop();
  }
});

test('JetStream: two collectors given the same durable share the work, every event handled exactly once', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  const manager = await jetstreamManager(nc);
  await manager.streams.add({ name: 'SHARED', subjects: ['shared.js'] });
  const handled: number[][] = [[], []];
  const collectors: RunningNatsCollector[] = [];
  const options = (member: number): NatsCollectorOptions => ({
    nats: { servers: [nats.url], subject: 'shared.js' },
    durable: { stream: 'SHARED', name: 'workers' },
    // Every delivery reaches the handler: a redelivery to the other member would show as a count of 2.
    dedupe: false,
    onBatch: async (batch) => {
      // The first member holds its first event until the second handled one: the second member
      // gets a share only if the first does not pull everything while it is busy.
      if (member === 0) await waitUntil(() => handled[1].length > 0, 'the second member to handle an event');
      handled[member].push(batch.sequence);
    },
  });
  try {
    for (const member of [0, 1]) collectors.push(await startNatsCollector(options(member)));
    await publishEvents(nc, 'shared.js', EVENTS, true);
    // Done when the consumer has nothing left to deliver and nothing unacknowledged (nothing can
    // be redelivered any more).
    await waitUntil(
      async () => {
        const info = await manager.consumers.info('SHARED', 'workers');
        return info.num_pending === 0 && info.num_ack_pending === 0 && handled[0].length + handled[1].length >= EVENTS;
      },
      () => `every event acknowledged (handled: ${shares(handled).sizes})`,
    );
    const { counts, sizes } = shares(handled);
    assert.deepEqual(
      [...counts.keys()].sort((x, y) => x - y),
      Array.from({ length: EVENTS }, (_, i) => i),
      'every event handled',
    );
    assert.ok(
      [...counts.values()].every((count) => count === 1),
      `no event handled twice: ${[...counts].filter(([, count]) => count > 1)}`,
    );
    assert.ok(
      sizes.every((size) => size > 0),
      `both members got a share: ${sizes}`,
    );
    const info = await manager.consumers.info('SHARED', 'workers');
    assert.equal(info.num_redelivered, 0, 'no message was redelivered');
  } finally {
    for (const collector of collectors) await collector.close();
    await nc.close();
    await nats.stop();
  }
});

/** Longer than the consumer's ack wait (30 s, the server's default): a scenario's length, not a wait for an event. */
const SLOW_HANDLER_MS = 40_000;

test('JetStream: a handler that runs past the ack wait keeps its message; the other collector never gets it', { timeout: 120_000 }, async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  const manager = await jetstreamManager(nc);
  await manager.streams.add({ name: 'SLOW', subjects: ['slow.js'] });
  const calls: number[] = [];
  const collectors: RunningNatsCollector[] = [];
  try {
    for (const member of [0, 1]) {
      collectors.push(
        await startNatsCollector({
          nats: { servers: [nats.url], subject: 'slow.js' },
          durable: { stream: 'SLOW', name: 'workers' },
          dedupe: false,
          onBatch: async () => {
            calls.push(member);
            if (calls.length === 1) await new Promise((resolve) => setTimeout(resolve, SLOW_HANDLER_MS));
          },
        }),
      );
    }
    const { config } = await manager.consumers.info('SLOW', 'workers');
    assert.ok(config.ack_wait! < SLOW_HANDLER_MS * 1e6, `the ack wait (${config.ack_wait} ns) is shorter than the handler`);
    await publishEvents(nc, 'slow.js', 1, true);
    await waitUntil(
      async () => {
        const info = await manager.consumers.info('SLOW', 'workers');
        return calls.length > 0 && info.num_pending === 0 && info.num_ack_pending === 0;
      },
      () => `the event acknowledged (handler calls: ${calls})`,
      90_000,
      200,
    );
    assert.equal(calls.length, 1, `one handler call, not a redelivery to the other member: ${calls}`);
    assert.equal((await manager.consumers.info('SLOW', 'workers')).num_redelivered, 0);
  } finally {
    for (const collector of collectors) await collector.close();
    await nc.close();
    await nats.stop();
  }
});
