// Collectors sharing the work on NATS itself: a core NATS queue group, and a JetStream durable
// (pull) consumer read by two collectors; every event handled by exactly one of them, counted by
// the handlers (dedupe off, so a redelivery would count twice). Also: an existing durable is used as
// it was created, close() gives back what it fetched and did not handle, a failing pull is reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';

import { startNatsCollector, type CollectorError, type NatsCollectorOptions, type RunningNatsCollector } from '../../src/collector/index.js';
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

/** Asserts events 0 to `events` - 1 were each handled exactly once across the members; returns each member's share. */
function assertEachHandledOnce(handled: number[][], events: number): number[] {
  const { counts, sizes } = shares(handled);
  assert.deepEqual(
    [...counts.keys()].sort((x, y) => x - y),
    Array.from({ length: events }, (_, i) => i),
    'every event handled',
  );
  assert.ok(
    [...counts.values()].every((count) => count === 1),
    `no event handled twice: ${[...counts].filter(([, count]) => count > 1)}`,
  );
  return sizes;
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
    const sizes = assertEachHandledOnce(handled, EVENTS);
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
    const sizes = assertEachHandledOnce(handled, EVENTS);
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

/** The ack wait of the durables created below: short, so that a handler can run past it quickly. */
const ACK_WAIT_MS = 3000;
/** Three ack waits: a scenario's length (how long a handler runs), not a wait for an event. */
const SLOW_HANDLER_MS = 3 * ACK_WAIT_MS;

/** A JetStream server with stream `name` on subject `name.js` and durable `workers` created as the operator would, with `ackWaitMs`. */
async function serverWithDurable(name: string, ackWaitMs: number) {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  const manager = await jetstreamManager(nc);
  await manager.streams.add({ name, subjects: [`${name}.js`] });
  const created = await manager.consumers.add(name, {
    durable_name: 'workers',
    ack_policy: AckPolicy.Explicit,
    ack_wait: ackWaitMs * 1e6,
    max_ack_pending: 50,
    description: 'created before the collectors',
  });
  const durable = (): NatsCollectorOptions => ({
    nats: { servers: [nats.url], subject: `${name}.js` },
    durable: { stream: name, name: 'workers' },
    dedupe: false,
  });
  /** Nothing left to deliver, nothing unacknowledged: no handler can be called again. */
  const settled = async () => {
    const info = await manager.consumers.info(name, 'workers');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };
  return { nats, nc, manager, created, durable, settled };
}

test('JetStream: an existing durable keeps its settings, and a handler past its ack wait keeps its message', { timeout: 120_000 }, async () => {
  const { nats, nc, manager, created, durable, settled } = await serverWithDurable('KEEP', ACK_WAIT_MS);
  const calls: number[] = [];
  const collectors: RunningNatsCollector[] = [];
  try {
    for (const member of [0, 1]) {
      collectors.push(
        await startNatsCollector({
          ...durable(),
          onBatch: async () => {
            calls.push(member);
            if (calls.length === 1) await new Promise((resolve) => setTimeout(resolve, SLOW_HANDLER_MS));
          },
        }),
      );
    }
    const { config } = await manager.consumers.info('KEEP', 'workers');
    assert.deepEqual(config, created.config, 'the durable as it was created');
    await publishEvents(nc, 'KEEP.js', 1, true);
    await waitUntil(
      async () => calls.length > 0 && (await settled()),
      () => `the event acknowledged (handler calls: ${calls})`,
      60_000,
      200,
    );
    assert.equal(calls.length, 1, `one handler call, not a redelivery to the other member: ${calls}`);
  } finally {
    for (const collector of collectors) await collector.close();
    await nc.close();
    await nats.stop();
  }
});

test('JetStream: messages fetched behind a slow handler keep their claim; every event handled once', { timeout: 120_000 }, async () => {
  const { nats, nc, durable, settled } = await serverWithDurable('BEHIND', ACK_WAIT_MS);
  const EVENTS_BEHIND = 5;
  const handled: number[][] = [[], []];
  const collectors: RunningNatsCollector[] = [];
  try {
    // Stored before the first member starts: its first fetch takes them all.
    await publishEvents(nc, 'BEHIND.js', EVENTS_BEHIND, true);
    for (const member of [0, 1]) {
      collectors.push(
        await startNatsCollector({
          ...durable(),
          onBatch: async (batch) => {
            handled[member].push(batch.sequence);
            if (member === 0 && handled[0].length === 1) await new Promise((resolve) => setTimeout(resolve, SLOW_HANDLER_MS));
          },
        }),
      );
      // The second member pulls only once the first holds every event.
      if (member === 0) await waitUntil(() => handled[0].length === 1, 'the first member to handle its first event');
    }
    await waitUntil(
      async () => handled[0].length + handled[1].length >= EVENTS_BEHIND && (await settled()),
      () => `every event acknowledged (handled: ${JSON.stringify(handled)})`,
      60_000,
      200,
    );
    const { counts } = shares(handled);
    assert.deepEqual(
      [...counts].sort(([x], [y]) => x - y),
      Array.from({ length: EVENTS_BEHIND }, (_, sequence) => [sequence, 1]),
      `each event handled once: ${JSON.stringify(handled)}`,
    );
  } finally {
    for (const collector of collectors) await collector.close();
    await nc.close();
    await nats.stop();
  }
});

test('JetStream: close() gives the fetched, unhandled messages back at once and handles none of them', { timeout: 120_000 }, async () => {
  // An ack wait longer than the test waits: the other member gets the messages only if they are given back.
  const { nats, nc, durable, settled } = await serverWithDurable('GIVEBACK', 120_000);
  const handled: number[][] = [[], []];
  let release = () => undefined as void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const collectors: RunningNatsCollector[] = [];
  try {
    await publishEvents(nc, 'GIVEBACK.js', 3, true);
    collectors.push(
      await startNatsCollector({
        ...durable(),
        onBatch: async (batch) => {
          handled[0].push(batch.sequence);
          await released;
        },
      }),
    );
    await waitUntil(() => handled[0].length === 1, 'the first member to handle its first event');
    collectors.push(await startNatsCollector({ ...durable(), onBatch: (batch) => void handled[1].push(batch.sequence) }));
    const closing = collectors[0].close();
    release();
    await closing;
    await waitUntil(
      async () => handled[1].length >= 2 && (await settled()),
      () => `the given-back events handled by the other member (handled: ${JSON.stringify(handled)})`,
    );
    assert.deepEqual(handled, [[0], [1, 2]]);
  } finally {
    for (const collector of collectors.slice(1)) await collector.close();
    await nc.close();
    await nats.stop();
  }
});

test('JetStream: a failing pull is reported to onError, and the collector pulls again', { timeout: 120_000 }, async () => {
  const { nats, nc, manager, created, durable } = await serverWithDurable('FAILING', 30_000);
  const errors: CollectorError[] = [];
  const handled: number[] = [];
  const collector = await startNatsCollector({
    ...durable(),
    onBatch: (batch) => void handled.push(batch.sequence),
    onError: (error) => void errors.push(error),
  });
  try {
    await manager.consumers.delete('FAILING', 'workers');
    await waitUntil(() => errors.length > 0, 'a pull error reported');
    assert.equal(errors[0].kind, 'pull');
    assert.match(errors[0].message, /durable workers of stream FAILING/);
    await manager.consumers.add('FAILING', created.config);
    await publishEvents(nc, 'FAILING.js', 1, true);
    await waitUntil(() => handled.length > 0, 'the event handled once the durable is back');
    assert.deepEqual(handled, [0]);
  } finally {
    await collector.close();
    await nc.close();
    await nats.stop();
  }
});
