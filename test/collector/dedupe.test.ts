import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, headers } from '@nats-io/transport-node';

import { startNatsCollector, type DecodedFlowBatch } from '../../src/collector/index.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { sampleBatch } from '../helpers/batches.js';
import { NatsServer } from '../helpers/nats-server.js';
import { until } from '../bridge/helpers.js';

for (const dedupe of [undefined, false] as const) {
  test(`NATS collector, ${dedupe === false ? 'dedupe: false: a republished event reaches the handler again' : 'by default: a republished event (same source and id) reaches the handler once'}`, async () => {
    const nats = await NatsServer.start();
    const batches: DecodedFlowBatch[] = [];
    const collector = await startNatsCollector({ nats: { servers: [nats.url], subject: 'dup.flows' }, dedupe, onBatch: (batch) => void batches.push(batch) });
    const nc = await connect({ servers: nats.url });
    const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
    const publish = (sequence: number) => {
      const message = encode(sampleBatch(2, sequence));
      const natsHeaders = headers();
      for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
      nc.publish('dup.flows', message.body, { headers: natsHeaders });
    };
    try {
      // Event 0 twice (a redelivery), then event 1: once event 1 is in, event 0's second copy was handled.
      publish(0);
      publish(0);
      publish(1);
      await nc.flush();
      await until(
        () => batches.some((batch) => batch.sequence === 1),
        () => `event 1 (have ${batches.map((batch) => batch.sequence)})`,
      );
      assert.deepEqual(
        batches.map((batch) => batch.sequence),
        dedupe === false ? [0, 0, 1] : [0, 1],
      );
    } finally {
      await collector.close();
      await nc.close();
      await nats.stop();
    }
  });
}

test('NATS collector: an event whose handler failed is not remembered (JetStream redelivers it to the handler)', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
  await (await jetstreamManager(nc)).streams.add({ name: 'DUP', subjects: ['dup.js'] });
  const calls: number[] = [];
  const collector = await startNatsCollector({
    nats: { servers: [nats.url], subject: 'dup.js' },
    durable: { stream: 'DUP', name: 'dedupe-test' },
    onBatch: (batch) => {
      calls.push(batch.sequence);
      if (calls.length === 1) throw new Error('not now');
    },
  });
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  try {
    const message = encode(sampleBatch(2, 7));
    const natsHeaders = headers();
    for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
    await jetstream(nc).publish('dup.js', message.body, { headers: natsHeaders });
    await until(
      () => calls.length === 2,
      () => `the redelivery (calls: ${calls})`,
    );
    assert.deepEqual(calls, [7, 7]);
  } finally {
    await collector.close();
    await nc.close();
    await nats.stop();
  }
});
