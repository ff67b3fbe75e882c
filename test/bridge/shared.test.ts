// Several flowcast-bridge processes with the same BRIDGE_DURABLE share the stream: each event is
// forwarded by one of them, and one that dies in the middle of an event is resumed by another.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import { startGrpcCollector, type PbflowRecord, type RunningCollector } from '../../src/collector/index.js';
import type { AnyFlowBatch } from '../../src/model/index.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { sampleBatch, uniqueFlowsBatch } from '../helpers/batches.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitUntil } from '../helpers/wait.js';
import { startBridge, startSlowCollector, waitForLog, type Bridge } from './helpers.js';

const DURABLE = 'shared-bridge';

const bridgeEnv = (nats: NatsServer, targetPort: number) => ({
  NATS_URL: nats.url,
  NATS_SUBJECT: 'test.flows',
  NATS_STREAM: 'FLOWS',
  BRIDGE_DURABLE: DURABLE,
  TARGET_HOST: '127.0.0.1',
  TARGET_PORT: String(targetPort),
  GRPC_MESSAGE_MAX_FLOWS: '3',
});

const encoder = createEventEncoder('binary', newIdentity('node-a'), false);

async function publish(nc: NatsConnection, batch: AnyFlowBatch): Promise<void> {
  const message = (await encoder)(batch);
  const natsHeaders = headers();
  for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
  await jetstream(nc).publish('test.flows', message.body, { msgID: message.id, headers: natsHeaders });
}

/** Resolves once the durable has nothing left to deliver and nothing unacknowledged. */
async function allAcknowledged(nc: NatsConnection, what: () => string, timeoutMs = 60_000): Promise<void> {
  const manager = await jetstreamManager(nc);
  await waitUntil(
    async () => {
      const info = await manager.consumers.info('FLOWS', DURABLE);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    what,
    timeoutMs,
    200,
  );
}

test('two bridges with the same BRIDGE_DURABLE: each forwards a share, every flow reaches the target once', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.add({ name: 'FLOWS', subjects: ['test.flows'] });
  // One target per bridge, so the records say which bridge forwarded them.
  const received: PbflowRecord[][] = [[], []];
  const targets: RunningCollector[] = [];
  const bridges: Bridge[] = [];
  // Flow i of event `sequence` has source port 100 * sequence + i: each record names its event.
  const EVENTS = 40;
  const batchOf = (sequence: number) => {
    const batch = uniqueFlowsBatch(7, sequence);
    return { ...batch, flows: batch.flows.map((flow, i) => ({ ...flow, srcPort: 100 * sequence + i })) };
  };
  try {
    for (const member of [0, 1]) {
      targets.push(
        await startGrpcCollector({
          port: 0,
          host: '127.0.0.1',
          onRecords: async (records) => {
            // The first bridge's first Send waits until the second bridge forwarded something: the
            // second gets a share only if the first does not take every event while it is busy.
            if (member === 0) await waitUntil(() => received[1].length > 0, 'the second bridge to forward');
            received[member].push(...records);
          },
        }),
      );
      bridges.push(startBridge(bridgeEnv(nats, targets[member].port)));
    }
    for (const bridge of bridges) await waitForLog(bridge, '"msg":"bridging"');
    for (let sequence = 0; sequence < EVENTS; sequence++) await publish(nc, batchOf(sequence));
    await allAcknowledged(
      nc,
      () => `every event acknowledged (records: ${received.map((records) => records.length)})\n${bridges.map((bridge) => bridge.log()).join('\n')}`,
    );

    const ports = received
      .flat()
      .map((record) => record.transport!.srcPort)
      .sort((x, y) => x - y);
    const expected = Array.from({ length: EVENTS }, (_, sequence) => batchOf(sequence).flows.map((flow) => flow.srcPort)).flat();
    assert.deepEqual(ports, expected, 'every flow forwarded once');
    assert.ok(
      received.every((records) => records.length > 0),
      `both bridges forwarded a share: ${received.map((records) => records.length)}`,
    );
    // An event is forwarded whole by one bridge: its seven flows reach one target.
    for (const records of received) assert.equal(records.length % 7, 0);
    for (const bridge of bridges) {
      bridge.process.kill('SIGTERM');
      assert.deepEqual(await bridge.exited, [0, null], bridge.log());
    }
  } finally {
    for (const bridge of bridges) bridge.process.kill('SIGKILL');
    for (const target of targets) await target.close();
    await nc.close();
    await nats.stop();
  }
});

test(
  'two bridges with the same BRIDGE_DURABLE: one SIGKILLed mid-event, the other resumes the event where the target stopped taking',
  { timeout: 120_000 },
  async () => {
    const nats = await NatsServer.start({ jetstream: true });
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'FLOWS', subjects: ['test.flows'] });
    const bridges: (Bridge | undefined)[] = [undefined, undefined];
    let killed: number | undefined;
    // One slow target per bridge. Killed as the fifth Send (flows 12-14) arrives: the first four were
    // answered, and a bridge sends the next only once the progress of the last is stored.
    const targets = await Promise.all(
      [0, 1].map((member) =>
        startSlowCollector((arrivals) => {
          if (arrivals === 5 && killed === undefined) {
            killed = member;
            bridges[member]!.process.kill('SIGKILL');
          }
        }),
      ),
    );
    try {
      for (const member of [0, 1]) bridges[member] = startBridge(bridgeEnv(nats, targets[member].port));
      for (const bridge of bridges) await waitForLog(bridge!, '"msg":"bridging"');
      await publish(nc, sampleBatch(30));
      await waitUntil(() => killed !== undefined, 'a bridge killed at its fifth Send');
      const dead = bridges[killed!]!;
      const survivor = bridges[1 - killed!]!;
      assert.deepEqual(await dead.exited, [null, 'SIGKILL'], dead.log());
      await waitUntil(
        () => targets[killed!].state.settled === 5,
        () => `the fifth Send to be cancelled (taken: ${targets[killed!].taken.length})`,
      );
      assert.equal(targets[killed!].taken.length, 12, 'four Sends of three flows were taken before the kill');

      // JetStream redelivers the event to the surviving bridge once its ack wait (30 s) has passed.
      await allAcknowledged(nc, () => `the event to be acknowledged by the other bridge: ${survivor.log()}`, 90_000);
      const ports = [...targets[0].taken, ...targets[1].taken].map((record) => record.transport!.srcPort).sort((x, y) => x - y);
      assert.deepEqual(
        ports,
        Array.from({ length: 30 }, (_, i) => 40000 + i),
        'every flow once',
      );
      assert.equal(targets[1 - killed!].taken.length, 18, 'the other bridge sent only what the target had not taken');
      assert.match(survivor.log(), /"from":12,"flows":30,"msg":"resuming an event the target took in part"/);
      survivor.process.kill('SIGTERM');
      assert.deepEqual(await survivor.exited, [0, null]);
    } finally {
      for (const bridge of bridges) bridge?.process.kill('SIGKILL');
      for (const target of targets) target.close();
      await nc.close();
      await nats.stop();
    }
  },
);
