// A consumer in another language, with no flowcast code: Debian's python3-avro (test/tools/avro_consumer.py)
// resolves each event's dataschema in the KV bucket the agent's exporter filled, checks the
// fingerprint against the published canonical form, and decodes the events.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { pino } from 'pino';

import { FLOW_BATCH_FINGERPRINT } from '../../src/encode/avro.js';
import { createEventEncoder, newIdentity, type ContentMode } from '../../src/encode/cloudevent.js';
import { NatsExporter } from '../../src/export/nats.js';
import { sampleBatch } from '../helpers/batches.js';
import { NatsServer } from '../helpers/nats-server.js';
import { PROJECT_ROOT, exitOf, tracked } from '../helpers/netns.js';
import { waitUntil } from '../helpers/wait.js';

// Debian's interpreter, where python3-avro is installed (a python3 earlier on PATH may be another).
const PYTHON = '/usr/bin/python3';

test('python3-avro fetches the schema by the fingerprint in dataschema and decodes binary, structured and single-object events', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const consumer = tracked(
    spawn(PYTHON, [`${PROJECT_ROOT}test/tools/avro_consumer.py`, '127.0.0.1', String(nats.port), 'flowcast.flows', '3'], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let stdout = '';
  let stderr = '';
  consumer.stdout!.on('data', (chunk) => (stdout += chunk));
  consumer.stderr!.on('data', (chunk) => (stderr += chunk));
  try {
    await waitUntil(() => stdout.includes('subscribed\n') || consumer.exitCode !== null, 'the consumer to subscribe');
    assert.equal(consumer.exitCode, null, stderr);
    // Three agents' ways of writing: each exporter stores the schema in the background once
    // connected (an event may come first: the consumer retries a missing key); the first publishes
    // with core NATS (NATS_JETSTREAM=false), and stores it all the same.
    const sent = [
      { mode: 'binary', singleObject: false, jetstream: false, batch: sampleBatch(5, 0) },
      { mode: 'structured', singleObject: false, jetstream: true, batch: sampleBatch(7, 1) },
      { mode: 'binary', singleObject: true, jetstream: true, batch: sampleBatch(11, 2) },
    ] as const;
    for (const { mode, singleObject, jetstream, batch } of sent) {
      const encode = await createEventEncoder(mode as ContentMode, newIdentity('node-a'), singleObject);
      const settings = { servers: [nats.url], subject: 'flowcast.flows', jetstream, stream: 'FLOWCAST', streamMaxAgeMs: 3_600_000, bridgeDurable: 'unused' };
      const exporter = new NatsExporter({ nats: settings, encode }, pino({ level: 'silent' }));
      try {
        await exporter.send(batch);
      } finally {
        await exporter.close();
      }
    }
    assert.equal(await exitOf(consumer), 0, stderr);
    const totals = JSON.parse(stdout.split('\n')[1]);
    const flows = sent.flatMap(({ batch }) => batch.flows.decode());
    assert.deepEqual(totals, {
      events: 3,
      flows: flows.length,
      packets: flows.reduce((sum, flow) => sum + flow.packets, 0),
      bytes: flows.reduce((sum, flow) => sum + flow.bytes, 0),
      directions: { ingress: flows.filter((flow) => flow.direction === 'ingress').length, egress: flows.filter((flow) => flow.direction === 'egress').length },
      singleObject: 1,
      structured: 1,
      fingerprints: [FLOW_BATCH_FINGERPRINT.toString('hex')],
      // Why the store carries the canonical form: python3-avro's own gives another fingerprint.
      pythonCanonicalFormAgrees: [false],
    });
  } finally {
    consumer.kill();
    await exitOf(consumer);
    await nats.stop();
  }
});
