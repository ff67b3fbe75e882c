import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { pino, type Logger } from 'pino';

import type { Config } from '../../src/config/index.js';
import { decodeFlowBatch, FIRST_SCHEMA_FINGERPRINT, FLOW_BATCH_FINGERPRINT } from '../../src/encode/avro.js';
import { createEventEncoder, DATA_SCHEMA, newIdentity } from '../../src/encode/cloudevent.js';
import { crc64Avro } from '../../src/encode/crc64-avro.js';
import { SCHEMA_BUCKET } from '../../src/encode/schema-store.js';
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
  assert.ok(
    stored.every(({ batch }) => batch.parts === parts && batch.sequence === 7),
    'one split: every part says the same number of parts',
  );
  assert.deepEqual(
    stored.map(({ batch }) => batch.part).sort((x, y) => x - y),
    [...Array(parts).keys()],
    'each part stored once',
  );
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
  assert.deepEqual(
    stored.map(({ batch }) => batch.part).sort((x, y) => x - y),
    [...Array(parts).keys()],
  );
  assert.equal(
    stored.reduce((sum, { batch }) => sum + batch.flows.length, 0),
    3000,
  );
});

/** A logger whose lines the test reads. */
function recordingLogger(): { log: Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

test('the Avro schemas go into the KV bucket flowcast-schemas at connect, each key written once for a fleet; the document checks itself', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  servers.push(nats);
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const agents = [recordingLogger(), recordingLogger()];
  for (const { log } of agents) {
    const exporter = new NatsExporter({ nats: natsSettings(nats.url, 'schema.flows', 'SCHEMA'), encode }, log);
    try {
      await exporter.send(sampleBatch(2));
    } finally {
      await exporter.close();
    }
  }
  const current = FLOW_BATCH_FINGERPRINT.toString('hex');
  const stored = agents.map(({ lines }) => lines.find((line) => line.bucket === SCHEMA_BUCKET)?.stored);
  assert.deepEqual(stored, [[current, FIRST_SCHEMA_FINGERPRINT], []], 'the first agent wrote both revisions, the second found them');

  const nc = await connect({ servers: nats.url });
  try {
    const kv = await new Kvm(nc).open(SCHEMA_BUCKET);
    const entry = await kv.get(current);
    assert.equal(entry?.revision, 1, 'written once');
    const document = entry!.json<{ fingerprint: string; canonicalForm: string; dataschema: string; schema: object }>();
    assert.equal(document.dataschema, DATA_SCHEMA, "the event's dataschema names this key");
    assert.deepEqual(document.schema, JSON.parse(readFileSync(new URL('../../schemas/flow-batch.avsc', import.meta.url), 'utf8')));
    const fingerprint = Buffer.alloc(8);
    fingerprint.writeBigUInt64LE(crc64Avro(Buffer.from(document.canonicalForm)));
    assert.equal(fingerprint.toString('hex'), current);
    assert.equal((await kv.get(FIRST_SCHEMA_FINGERPRINT))?.json<{ fingerprint: string }>().fingerprint, FIRST_SCHEMA_FINGERPRINT);
  } finally {
    await nc.close();
  }
});

test('core NATS without JetStream: one warning that the schema cannot be stored, no retries, and the events flow', async () => {
  const nats = await NatsServer.start({ jetstream: false });
  servers.push(nats);
  const nc = await connect({ servers: nats.url });
  const received: DecodedFlowBatch[] = [];
  const subscription = nc.subscribe('core.flows', { callback: (_error, message) => void received.push(decodeFlowBatch(message.data)) });
  await nc.flush();
  const { log, lines } = recordingLogger();
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const exporter = new NatsExporter({ nats: { ...natsSettings(nats.url, 'core.flows', 'unused'), jetstream: false }, encode }, log);
  try {
    await exporter.send(sampleBatch(3));
    await waitUntil(() => received.length === 1, 'the event');
    assert.equal(received[0].flows.length, 3);
    await waitUntil(() => lines.some((line) => line.bucket === SCHEMA_BUCKET), 'the warning');
    const warning = lines.find((line) => line.bucket === SCHEMA_BUCKET);
    assert.equal(warning?.level, 40);
    assert.match(warning!.msg, /cannot store the Avro schema in the JetStream KV bucket flowcast-schemas \(no JetStream\)/);
    assert.equal(warning!.attempts, 1, 'given up at once: nothing answers the JetStream API');
  } finally {
    subscription.unsubscribe();
    await exporter.close();
    await nc.close();
  }
});

test('a JetStream API that does not answer: the first event is published without waiting for the schema store, which warns later', async () => {
  const nats = await NatsServer.start({ jetstream: false });
  servers.push(nats);
  const { log, lines } = recordingLogger();
  const nc = await connect({ servers: nats.url });
  // Stands in for a JetStream busy electing its leader: the API's requests arrive and get no reply.
  const unanswered: string[] = [];
  const api = nc.subscribe('$JS.API.>', { callback: (_error, message) => void unanswered.push(message.subject) });
  const received: DecodedFlowBatch[] = [];
  let warningsWhenReceived = -1;
  const warnings = () => lines.filter((line) => line.bucket === SCHEMA_BUCKET && line.level === 40).length;
  const events = nc.subscribe('hung.flows', {
    callback: (_error, message) => {
      warningsWhenReceived = warnings();
      received.push(decodeFlowBatch(message.data));
    },
  });
  await nc.flush();
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const exporter = new NatsExporter({ nats: { ...natsSettings(nats.url, 'hung.flows', 'unused'), jetstream: false }, encode }, log);
  try {
    await exporter.send(sampleBatch(4));
    await waitUntil(() => received.length === 1, 'the event');
    assert.equal(received[0].flows.length, 4);
    assert.equal(warningsWhenReceived, 0, 'the event came before the schema store gave up its first attempt');
    assert.ok(unanswered.length > 0, 'the schema store had asked the JetStream API');
    await waitUntil(() => warnings() === 1, "the schema store's warning");
    const warning = lines.find((line) => line.bucket === SCHEMA_BUCKET);
    assert.match(warning!.msg, /cannot store the Avro schema in the JetStream KV bucket flowcast-schemas yet .*trying again in the background/);
    assert.match(warning!.err.message, /timeout|timed out/);
  } finally {
    await exporter.close(); // stops the retries: node:test would wait for a timer left running
    api.unsubscribe();
    events.unsubscribe();
    await nc.close();
  }
});

/** nats-server's users: the agent may not create the schema bucket nor write its keys unless `granted`. */
function schemaPermissions(granted: boolean): string {
  const agent = granted
    ? '{ user: agent, password: agent-secret }'
    : '{ user: agent, password: agent-secret, permissions: { publish: { deny: ["$JS.API.STREAM.CREATE.KV_flowcast-schemas", "$KV.flowcast-schemas.>"] } } }';
  return `authorization { users: [ ${agent}, { user: reader, password: reader-secret } ] }`;
}

test('the schema bucket refused at first, then granted (the server reloads its configuration): stored on the same connection', async () => {
  const nats = await NatsServer.start({ jetstream: true, config: schemaPermissions(false) });
  servers.push(nats);
  const { log, lines } = recordingLogger();
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const settings = { ...natsSettings(nats.url, 'granted.flows', 'GRANTED'), user: 'agent', password: 'agent-secret' };
  const exporter = new NatsExporter({ nats: settings, encode }, log);
  const nc = await connect({ servers: nats.url, user: 'reader', pass: 'reader-secret' });
  const current = FLOW_BATCH_FINGERPRINT.toString('hex');
  try {
    await exporter.send(sampleBatch(2)); // acknowledged by the stream while the bucket is refused
    await waitUntil(() => lines.some((line) => line.bucket === SCHEMA_BUCKET), 'the schema store to fail');
    const warning = lines.find((line) => line.bucket === SCHEMA_BUCKET);
    assert.equal(warning?.level, 40);
    assert.match(warning!.msg, /yet .*trying again in the background/);
    assert.match(warning!.err.message, /Permissions Violation/);

    await nats.reload(schemaPermissions(true));
    let found: string | undefined;
    await waitUntil(
      async () => {
        const kv = await new Kvm(nc).open(SCHEMA_BUCKET).catch(() => undefined);
        found = (await kv?.get(current).catch(() => null))?.json<{ fingerprint: string }>().fingerprint;
        return found !== undefined;
      },
      () => `the schema in the bucket (the agent logged: ${JSON.stringify(lines.map((line) => [line.msg, line.err?.message]))})`,
    );
    assert.equal(found, current);
    await waitUntil(() => lines.some((line) => line.stored !== undefined), 'the line saying the schemas are stored');
    const done = lines.find((line) => line.stored !== undefined);
    assert.equal(done!.level, 30);
    assert.ok(done!.attempts > 1, `${done!.attempts} attempts`);
    assert.deepEqual(done!.stored, [current, FIRST_SCHEMA_FINGERPRINT]);
    assert.equal(lines.filter((line) => line.msg === 'connected to NATS').length, 1, 'one connection');
    assert.ok(!lines.some((line) => line.status === 'reconnect'), 'never reconnected');
  } finally {
    await exporter.close();
    await nc.close();
  }
});

test('after a reconnect to a server whose bucket is gone, the schemas are stored again', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  servers.push(nats);
  const { log, lines } = recordingLogger();
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const exporter = new NatsExporter({ nats: natsSettings(nats.url, 'again.schema.flows', 'AGAINSCHEMA'), encode }, log);
  const storedLines = () => lines.filter((line) => line.stored !== undefined);
  try {
    await exporter.send(sampleBatch(2));
    await waitUntil(() => storedLines().length === 1, 'the schemas stored');
    // As if the agent had been moved to another cluster: the server comes back without the bucket.
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.delete(`KV_${SCHEMA_BUCKET}`);
    await nc.close();
    await nats.kill();
    await nats.resume();
    await waitUntil(() => storedLines().length === 2, 'the schemas stored again after the reconnect');
    assert.ok(lines.some((line) => line.status === 'reconnect'));
    assert.deepEqual(storedLines()[1].stored, [FLOW_BATCH_FINGERPRINT.toString('hex'), FIRST_SCHEMA_FINGERPRINT]);
    assert.equal(lines.filter((line) => line.msg === 'connected to NATS').length, 1, 'the same connection');
  } finally {
    await exporter.close();
  }
});
