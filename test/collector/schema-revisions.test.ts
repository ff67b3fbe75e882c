// Plain Avro needs the writer's schema to decode: the event's dataschema names the revision
// (schema name, then its fingerprint), and the collector reads events of agents still on the first
// revision, whose dataschema was the name alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { headers as natsHeaders } from '@nats-io/transport-node';

import { CollectorError, decodeEvent } from '../../src/collector/index.js';
import { FLOW_BATCH_FINGERPRINT, encodeFlowBatch, flowBatchType } from '../../src/encode/avro.js';
import { DATA_SCHEMA, DATA_SCHEMA_NAME, createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { batchWithDns, plain, sampleBatch } from '../helpers/batches.js';

const firstRevision = avro.Type.forSchema(JSON.parse(readFileSync(new URL('../../schemas/history/flow-batch-1.avsc', import.meta.url), 'utf8')));

function binaryEvent(body: Buffer, dataschema: string) {
  const headers = natsHeaders();
  for (const [name, value] of Object.entries({
    'ce-specversion': '1.0',
    'ce-id': 'run-1',
    'ce-source': '/flowcast/old-node',
    'ce-type': 'dev.flowcast.flow.batch.v1',
    'ce-time': new Date().toISOString(),
    'ce-dataschema': dataschema,
    'content-type': 'application/avro',
  }))
    headers.set(name, value);
  return { body, headers };
}

test('dataschema names the schema and its fingerprint', async () => {
  assert.equal(DATA_SCHEMA, `${DATA_SCHEMA_NAME}:${FLOW_BATCH_FINGERPRINT.toString('hex')}`);
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const { body, headers } = encode(sampleBatch(2));
  assert.equal(headers['ce-dataschema'], DATA_SCHEMA);
  const nats = natsHeaders();
  for (const [name, value] of Object.entries(headers)) nats.set(name, value);
  assert.equal(decodeEvent(body, nats).event.dataschema, DATA_SCHEMA);
});

test('a plain Avro event of an agent on the first schema revision decodes, new fields at their defaults', () => {
  const batch = sampleBatch(3);
  const oldFlows = batch.flows.decode().map(({ netobservTcpFlags, dupList, ...before }) => before);
  const { body, headers } = binaryEvent(firstRevision.toBuffer({ ...batch, flows: oldFlows }), DATA_SCHEMA_NAME);
  const decoded = decodeEvent(body, headers).batch;
  assert.equal(decoded.flows.length, 3);
  assert.deepEqual(
    plain(decoded.flows.map(({ netobservTcpFlags, dupList, drops, dns, rtt, networkEvents, xlat, ipsec, tls, quic, ...before }) => before)),
    plain(oldFlows),
  );
  assert.deepEqual(
    decoded.flows.map((flow) => [flow.netobservTcpFlags, flow.dupList.length, flow.drops, flow.rtt]),
    oldFlows.map(() => [0, 0, null, 0]),
  );
  // Read as the current revision instead, the same bytes do not decode: the fingerprint matters.
  assert.throws(() => decodeEvent(body, binaryEvent(body, DATA_SCHEMA).headers));
});

test('a reader on the first revision decodes events of the current one with DNS set: resolution skips the fields it does not know', () => {
  const batch = batchWithDns();
  const old = firstRevision.fromBuffer(encodeFlowBatch(batch, false), firstRevision.createResolver(flowBatchType)) as { flows: unknown[] };
  assert.deepEqual(plain(old.flows), plain(batch.flows.decode().map(({ netobservTcpFlags, dupList, drops, dns, rtt, ...before }) => before)));
});

test('an unknown schema fingerprint is a typed error', () => {
  const { body, headers } = binaryEvent(Buffer.from(sampleBatch(1).flows.records), `${DATA_SCHEMA_NAME}:0123456789abcdef`);
  assert.throws(
    () => decodeEvent(body, headers),
    (error: unknown) => error instanceof CollectorError && error.kind === 'avro' && /unknown schema fingerprint 0123456789abcdef/.test(error.message),
  );
});
