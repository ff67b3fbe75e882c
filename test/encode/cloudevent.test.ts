import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloudEvent, HTTP } from 'cloudevents';

import { decodeFlowBatch, encodeFlowBatch } from '../../src/encode/avro.js';
import { createEventEncoder, eventAttributes, newIdentity } from '../../src/encode/cloudevent.js';
import { splitBatch } from '../../src/model/index.js';
import { plain, sampleBatch } from '../helpers/batches.js';
import { withDefaults } from './netobserv-features.js';

const identity = { ...newIdentity('node-a'), extensions: { cluster: 'east', tier: 'gold' } };

test('binary mode writes exactly the headers and body the SDK binary mode would', async () => {
  const batch = sampleBatch(5, 42);
  const message = (await createEventEncoder('binary', identity, false))(batch);
  const sdk = HTTP.binary(new CloudEvent<Buffer>({ ...eventAttributes(batch, identity), data: encodeFlowBatch(batch, false) }));
  assert.deepEqual(message.headers, Object.fromEntries(Object.entries(sdk.headers).map(([name, value]) => [name, String(value)])));
  assert.ok(message.body.equals(sdk.body as Buffer));
  assert.equal(message.headers['ce-cluster'], 'east');
  assert.equal(message.id, `${identity.runId}-42`);
});

test('structured mode is a JSON envelope the SDK reads back, data in data_base64', async () => {
  const batch = sampleBatch(3, 7);
  const message = (await createEventEncoder('structured', identity, true))(batch);
  assert.match(message.headers['content-type'], /^application\/cloudevents\+json/);
  const event = HTTP.toEvent({ headers: message.headers, body: message.body.toString('utf8') }) as CloudEvent<unknown>;
  assert.equal(event.id, `${identity.runId}-7`);
  assert.equal(event.type, 'dev.flowcast.flow.batch.v1');
  assert.equal(event.source, '/flowcast/node-a');
  assert.equal(event.cluster, 'east');
  const decoded = decodeFlowBatch(Buffer.from(event.data_base64 as string, 'base64'));
  assert.deepEqual(plain(decoded), plain({ ...batch, flows: batch.flows.decode().map(withDefaults) }));
});

test('ids: stable for the same batch, distinct per part and per agent run', async () => {
  const batch = sampleBatch(10, 3);
  const encode = await createEventEncoder('binary', identity, false);
  // An equal batch built anew (as a resend after a restart would) gets the same id: run and sequence.
  assert.equal(encode(batch).id, `${identity.runId}-3`);
  assert.equal(encode(sampleBatch(10, 3)).id, `${identity.runId}-3`);
  const parts = splitBatch(batch, 3).map((part) => encode(part));
  assert.deepEqual(
    parts.map((part) => part.id),
    [0, 1, 2].map((part) => `${identity.runId}-3.${part}`),
  );
  assert.deepEqual(
    parts.map((part) => decodeFlowBatch(part.body).flows.length),
    [4, 4, 2],
  );
  const other = await createEventEncoder('binary', newIdentity('node-a'), false);
  assert.notEqual(other(batch).id, encode(batch).id);
});
