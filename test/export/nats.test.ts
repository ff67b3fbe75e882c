import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';

import type { Config } from '../../src/config/index.js';
import { decodeFlowBatch } from '../../src/encode/avro.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { NatsExporter } from '../../src/export/nats.js';
import { ExportQueue } from '../../src/export/queue.js';
import type { DecodedFlowBatch } from '../../src/model/index.js';
import { sampleBatch } from '../helpers/batches.js';
import { silentLog } from '../helpers/constants.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitUntil } from '../helpers/wait.js';

const servers: NatsServer[] = [];
after(async () => {
  for (const server of servers) await server.stop();
});

function natsSettings(url: string, subject: string, stream: string): Config['nats'] {
  return { servers: [url], subject, jetstream: true, stream, streamMaxAgeMs: 3_600_000, bridgeDurable: 'unused' };
}

/** Every message the stream holds, with its Nats-Msg-Id, decoded. */
async function readStream(url: string, stream: string): Promise<{ id: string; batch: DecodedFlowBatch }[]> {
  const nc = await connect({ servers: url });
  try {
    const manager = await jetstreamManager(nc);
    const total = (await manager.streams.info(stream)).state.messages;
    await manager.consumers.add(stream, { name: 'reader', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
    const consumer = await jetstream(nc).consumers.get(stream, 'reader');
    const stored: { id: string; batch: DecodedFlowBatch }[] = [];
    while (stored.length < total) {
      const messages = await consumer.fetch({ max_messages: Math.min(500, total - stored.length), expires: 2000 });
      for await (const message of messages) stored.push({ id: message.headers!.get('Nats-Msg-Id'), batch: decodeFlowBatch(message.data) });
    }
    return stored;
  } finally {
    await nc.close();
  }
}

/** Resolves once the stream holds at least `count` messages (bounded). */
async function waitForStored(url: string, stream: string, count: number): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const manager = await jetstreamManager(nc);
    let held = 0;
    await waitUntil(
      async () => {
        const info = await manager.streams.info(stream).catch(() => undefined);
        held = info?.state.messages ?? held;
        return held >= count;
      },
      () => `the stream to hold ${count} messages (it holds ${held})`,
      30_000,
      0, // the crash must come while parts are still being sent
    );
  } finally {
    await nc.close();
  }
}

test('a many-part batch across a JetStream crash: split once, resumed, every flow stored exactly once', async () => {
  const nats = await NatsServer.start({ jetstream: true, maxPayload: 4096 });
  servers.push(nats);
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const exporter = new NatsExporter({ nats: natsSettings(nats.url, 'split.flows', 'SPLIT'), encode }, silentLog);
  const queue = new ExportQueue(exporter, 10, silentLog);
  const flows = 20_000;
  queue.push(sampleBatch(flows, 7));

  await waitForStored(nats.url, 'SPLIT', 60);
  await nats.kill();
  await nats.resume();
  await queue.close(Date.now() + 120_000);
  assert.equal(queue.stats.sent, 1);
  assert.equal(queue.stats.dropped, 0);
  assert.ok(queue.stats.failures >= 1, 'the crash interrupted the batch');

  const stored = await readStream(nats.url, 'SPLIT');
  const parts = stored[0].batch.parts;
  assert.ok(parts > 60, `${parts} parts`);
  assert.ok(stored.every(({ batch }) => batch.parts === parts && batch.sequence === 7), 'one split: every part says the same number of parts');
  assert.deepEqual(stored.map(({ batch }) => batch.part).sort((x, y) => x - y), [...Array(parts).keys()], 'each part stored once');
  assert.ok(stored.every(({ id, batch }) => id.endsWith(`-7.${batch.part}`)));
  // drainedBuffer's flows have distinct source ports below 20,000 flows.
  const ports = stored.flatMap(({ batch }) => batch.flows.map((flow) => flow.srcPort));
  assert.equal(ports.length, flows, 'every flow stored once');
  assert.equal(new Set(ports).size, flows);
});

test('stopped in the middle of a many-part batch: the flows counted as not delivered are exactly those not stored', async () => {
  const nats = await NatsServer.start({ jetstream: true, maxPayload: 4096 });
  servers.push(nats);
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const queue = new ExportQueue(new NatsExporter({ nats: natsSettings(nats.url, 'stop.flows', 'STOP'), encode }, silentLog), 10, silentLog);
  queue.push(sampleBatch(20_000, 3));
  await waitForStored(nats.url, 'STOP', 60);
  await nats.kill({ freeze: true }); // what it acknowledged is what it stored
  await queue.close(Date.now());
  await nats.resume();

  const stored = await readStream(nats.url, 'STOP');
  const storedFlows = stored.reduce((sum, { batch }) => sum + batch.flows.length, 0);
  assert.ok(storedFlows > 0 && storedFlows < 20_000);
  assert.deepEqual(queue.undelivered, { batches: 1, flows: 20_000 - storedFlows });
  assert.equal(queue.stats.droppedBy.shutdown, 1);
});

test('the same flows sent again as another batch object (as the reverse bridge retries) are split the same way: stored once', async () => {
  const nats = await NatsServer.start({ jetstream: true, maxPayload: 4096 });
  servers.push(nats);
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const exporter = new NatsExporter({ nats: natsSettings(nats.url, 'again.flows', 'AGAIN'), encode }, silentLog);
  try {
    await exporter.send(sampleBatch(100, 0)); // a small batch first: what an estimate from history would learn from
    await exporter.send(sampleBatch(3000, 1));
    await exporter.send(sampleBatch(3000, 1));
  } finally {
    await exporter.close();
  }
  const stored = (await readStream(nats.url, 'AGAIN')).filter(({ batch }) => batch.sequence === 1);
  const parts = stored[0].batch.parts;
  assert.ok(parts > 1);
  assert.deepEqual(stored.map(({ batch }) => batch.part).sort((x, y) => x - y), [...Array(parts).keys()]);
  assert.equal(stored.reduce((sum, { batch }) => sum + batch.flows.length, 0), 3000);
});
