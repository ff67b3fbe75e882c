import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';

import { canonicalForm, decodeFlowBatch, encodeFlowBatch, FLOW_BATCH_FINGERPRINT, flowBatchType, AvroDecodeError } from '../../src/encode/avro.js';
import { crc64Avro } from '../../src/encode/crc64-avro.js';
import { FLOW_FIELD_SOURCES, type FieldSource } from '../../src/encode/flow-fields.js';
import { FIELD_OFFSETS, RECORD_SIZE } from '../../src/model/index.js';
import { plain, sampleBatch, withObserved } from '../helpers/batches.js';
import { NETOBSERV_FEATURES, withDefaults } from './netobserv-features.js';

// From the Avro specification's test data (share/test/data/schema-tests.txt): input schema,
// its Parsing Canonical Form, and the CRC-64-AVRO fingerprint as a signed 64-bit number.
const SPEC_VECTORS: [input: string, canonical: string, fingerprint: bigint][] = [
  ['"null"', '"null"', 7195948357588979594n],
  ['"boolean"', '"boolean"', -6970731678124411036n],
  ['"int"', '"int"', 8247732601305521295n],
  ['"long"', '"long"', -3434872931120570953n],
  ['"float"', '"float"', 5583340709985441680n],
  ['"double"', '"double"', -8181574048448539266n],
  ['"bytes"', '"bytes"', 5746618253357095269n],
  ['"string"', '"string"', -8142146995180207161n],
  ['["int"]', '["int"]', -5232228896498058493n],
  ['["int", {"type":"boolean"}]', '["int","boolean"]', 5392556393470105090n],
  ['{"fields":[], "type":"record", "name":"foo"}', '{"name":"foo","type":"record","fields":[]}', -4824392279771201922n],
  ['{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}', '{"name":"x.y.foo","type":"record","fields":[]}', 5916914534497305771n],
  ['{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}', '{"name":"a.b.foo","type":"record","fields":[]}', -4616218487480524110n],
  ['{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}', '{"name":"foo","type":"record","fields":[]}', -4824392279771201922n],
  [
    '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
    7843277075252814651n,
  ],
  [
    '{"fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":true},{"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    -4860222112080293046n,
  ],
  ['{"type":"enum", "name":"foo", "symbols":["A1"]}', '{"name":"foo","type":"enum","symbols":["A1"]}', -6342190197741309591n],
  [
    '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    -4448647247586288245n,
  ],
  ['{"name":"foo","type":"fixed","size":15}', '{"name":"foo","type":"fixed","size":15}', 1756455273707447556n],
  ['{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}', '{"name":"x.y.z.foo","type":"fixed","size":32}', -3064184465700546786n],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}', -589620603366471059n],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', -8732877298790414990n],
  [
    '{"name":"PigValue","type":"record","fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    -1759257747318642341n,
  ],
];

test('CRC-64-AVRO and the canonical form match the Avro specification test vectors', () => {
  for (const [input, canonical, fingerprint] of SPEC_VECTORS) {
    const form = canonicalForm(avro.Type.forSchema(JSON.parse(input)));
    assert.equal(form, canonical, `canonical form of ${input}`);
    assert.equal(BigInt.asIntN(64, crc64Avro(Buffer.from(canonical))), fingerprint, `fingerprint of ${canonical}`);
  }
});

test('a flow batch survives Avro, plain and single-object', () => {
  const batch = sampleBatch(3);
  for (const singleObject of [false, true]) {
    const encoded = encodeFlowBatch(batch, singleObject);
    assert.equal(encoded.subarray(0, 2).equals(Buffer.from([0xc3, 0x01])), singleObject);
    if (singleObject) assert.deepEqual(encoded.subarray(2, 10), FLOW_BATCH_FINGERPRINT);
    assert.deepEqual(plain(decodeFlowBatch(encoded)), plain({ ...batch, flows: batch.flows.decode().map(withDefaults) }));
  }
});

test('the Buffer writer produces exactly what avsc writes for the decoded flows', () => {
  for (const count of [0, 1, 7, 5000]) {
    const batch = { ...sampleBatch(count, count * 1_000_000_007), lostPackets: 2 ** 40 + count, ringBufferPackets: count };
    const fromObjects = flowBatchType.toBuffer({ ...batch, flows: batch.flows.decode() });
    assert.ok(encodeFlowBatch(batch, false).equals(fromObjects), `${count} flows`);
  }
});

test('bad Avro is a typed error naming what is wrong', () => {
  const encoded = encodeFlowBatch(sampleBatch(2), true);
  assert.throws(() => decodeFlowBatch(encoded.subarray(0, 6)), /shorter than its 10-byte header/);
  const unknown = Buffer.from(encoded);
  unknown[5] ^= 0xff;
  assert.throws(
    () => decodeFlowBatch(unknown),
    (error: Error) => error instanceof AvroDecodeError && /unknown schema fingerprint/.test(error.message),
  );
  assert.throws(() => decodeFlowBatch(encoded.subarray(10, encoded.length - 7)), /not a FlowBatch in Avro: truncated/);
});

test('a corrupted map count (networkEvents) is an error at once, not a loop of billions', () => {
  const batch = sampleBatch(1);
  const encoded = encodeFlowBatch({ ...batch, flows: [{ ...batch.flows.decode()[0], networkEvents: [{ Action: 'drop' }] }] }, false);
  const entry = Buffer.concat([Buffer.from([2, 12]), Buffer.from('Action')]); // one entry, then the 6-byte key
  const at = encoded.indexOf(entry);
  assert.ok(at > 0);
  const corrupted = Buffer.concat([encoded.subarray(0, at), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]), encoded.subarray(at + 1)]); // 2^31 - 1 entries
  assert.throws(() => decodeFlowBatch(corrupted), /a block of 2147483647 map entries cannot fit/);
});

test('every Avro Flow field has a C source or a default, every C field feeds an Avro field, decoded records are Avro Flows', () => {
  const fields = flowFields();
  assert.deepEqual(Object.keys(FLOW_FIELD_SOURCES).sort(), fields.map((field) => field.name).sort());
  const sources = Object.values(FLOW_FIELD_SOURCES) as FieldSource[];
  assert.deepEqual([...new Set(sources.map((source) => source.from).filter(Boolean))].sort(), Object.keys(FIELD_OFFSETS).sort());
  const measured = Object.entries(FLOW_FIELD_SOURCES as Record<string, FieldSource>)
    .filter(([, source]) => source.as !== 'default')
    .map(([name]) => name);
  assert.deepEqual(Object.keys(sampleBatch(1).flows.decode()[0]).sort(), measured.sort());
  for (const field of fields) {
    if (!measured.includes(field.name)) assert.notEqual(field.default, undefined, `${field.name} has a default`);
  }
});

test('new fields have a default and a doc, so readers of the previous schema still decode new events', () => {
  const previous = JSON.parse(readFileSync(new URL('../../schemas/history/flow-batch-1.avsc', import.meta.url), 'utf8'));
  const previousFields = new Set(flowFields(avro.Type.forSchema(previous)).map((field) => field.name));
  const added = flowFields().filter((field) => !previousFields.has(field.name));
  assert.deepEqual(
    added.map((field) => field.name),
    ['netobservTcpFlags', 'dupList', 'drops', 'dns', 'rtt', 'networkEvents', 'xlat', 'ipsec', 'tls', 'quic'],
  );
  const docs = (
    flowBatchType.schema({ exportAttrs: true }) as unknown as { fields: { name: string; type: { items: { fields: { name: string; doc?: string }[] } } }[] }
  ).fields.find((field) => field.name === 'flows')!.type.items.fields;
  for (const field of added) {
    assert.notEqual(field.default, undefined, `${field.name} has a default`);
    assert.ok(docs.find((doc) => doc.name === field.name)?.doc, `${field.name} has a doc`);
  }

  const reader = avro.Type.forSchema(previous);
  const resolver = reader.createResolver(flowBatchType);
  // From the agent's Buffer writer: flags in both halves, the one-entry dupList, the defaults.
  const batch = sampleBatch(4);
  const records = batch.flows.records;
  records.writeUInt32LE(0x0212001b, FIELD_OFFSETS['metrics.tcp_flags'][0]);
  const old = reader.fromBuffer(encodeFlowBatch(batch, false), resolver) as { flows: Record<string, unknown>[] };
  assert.deepEqual(plain(old.flows), plain(batch.flows.decode().map(({ netobservTcpFlags, dupList, ...before }) => before)));
  assert.equal(old.flows[0].tcpFlags, 0x1b, 'tcpFlags keeps its meaning: the raw header bits');
  // From avsc, a flow with every NetObserv feature set (what flowcast-bridge republishes).
  const full = { ...batch, flows: [{ ...batch.flows.decode()[0], ...NETOBSERV_FEATURES }] };
  const fromObjects = reader.fromBuffer(flowBatchType.toBuffer(full), resolver) as { flows: Record<string, unknown>[] };
  assert.deepEqual(
    plain(fromObjects.flows),
    plain(
      batch.flows
        .decode()
        .slice(0, 1)
        .map(({ netobservTcpFlags, dupList, ...before }) => before),
    ),
  );
});

test('single-object events of agents with the previous schema are read, the new fields at their defaults', () => {
  const previous = avro.Type.forSchema(JSON.parse(readFileSync(new URL('../../schemas/history/flow-batch-1.avsc', import.meta.url), 'utf8')));
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeBigUInt64LE(crc64Avro(Buffer.from(canonicalForm(previous), 'utf8')));
  const batch = sampleBatch(3);
  const flows = batch.flows.decode().map(({ netobservTcpFlags, dupList, ...before }) => before);
  const event = Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprint, previous.toBuffer({ ...batch, flows })]);
  const decoded = decodeFlowBatch(event);
  assert.deepEqual(plain(decoded.flows), plain(flows.map((flow) => withDefaults({ ...flow, netobservTcpFlags: 0, dupList: [] }))));
});

test('NetObserv flags and dupList from the drained struct: the Buffer writer still writes what avsc writes', () => {
  const batch = withObserved(sampleBatch(6));
  const offset = FIELD_OFFSETS['metrics.tcp_flags'][0];
  const values = [0x0212001b, 0x03100013, 0x00020002, 0x04000014, 0x07ff01ff, 0];
  values.forEach((value, i) => batch.flows.records.writeUInt32LE(value, i * RECORD_SIZE + offset));
  const flows = batch.flows.decode();
  assert.deepEqual(
    flows.map((flow) => [flow.tcpFlags, flow.netobservTcpFlags]),
    values.map((value) => [value & 0xffff, value >>> 16]),
  );
  // The counted interface first, then the ones sampleBatch lists in metrics.observed (every fifth flow).
  const name = (ifIndex: number) => `eth${ifIndex}`;
  assert.deepEqual(
    flows.map((flow) => flow.dupList),
    flows.map((flow, i) => [
      { interface: flow.interface, direction: flow.direction, udn: '' },
      ...(i % 5 === 0
        ? [
            { interface: name(2 + ((i + 1) % 3)), direction: 'egress', udn: '' },
            { interface: name(2 + ((i + 2) % 3)), direction: 'both', udn: '' },
          ]
        : []),
    ]),
  );
  const encoded = encodeFlowBatch(batch, false);
  assert.ok(encoded.equals(flowBatchType.toBuffer({ ...batch, flows })));
  const decoded = decodeFlowBatch(encoded).flows;
  assert.deepEqual(plain(decoded), plain(flows.map(withDefaults)));
});

test('flows with every NetObserv feature set survive Avro', () => {
  const batch = sampleBatch(1);
  const flow = { ...batch.flows.decode()[0], ...NETOBSERV_FEATURES };
  const decoded = decodeFlowBatch(encodeFlowBatch({ ...batch, flows: [flow] }, true));
  assert.deepEqual(plain(decoded.flows), plain([flow]));
});

interface FieldOf {
  name: string;
  default?: unknown;
}

/** The Flow record's fields of a FlowBatch type (this schema's by default). */
function flowFields(type: avro.Type = flowBatchType): FieldOf[] {
  return (type.schema({ exportAttrs: true }) as unknown as { fields: { name: string; type: { items: { fields: FieldOf[] } } }[] }).fields.find(
    (field) => field.name === 'flows',
  )!.type.items.fields;
}

/** Every named type and field of a schema in JSON, with where it is. */
function* schemaNodes(node: unknown, path: string): Generator<[path: string, node: Record<string, any>]> {
  if (Array.isArray(node)) {
    for (const branch of node) yield* schemaNodes(branch, path);
  } else if (node && typeof node === 'object') {
    const type = node as Record<string, any>;
    if (['record', 'enum', 'fixed'].includes(type.type)) yield [`${path} (${type.name})`, type];
    for (const field of type.fields ?? []) {
      yield [`${path}.${field.name}`, field];
      yield* schemaNodes(field.type, `${path}.${field.name}`);
    }
    if (type.items) yield* schemaNodes(type.items, `${path}[]`);
    if (type.values) yield* schemaNodes(type.values, `${path}{}`);
  }
}

test('every field and named type of the schema has a doc, every enum a default; neither changes the fingerprint', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/flow-batch.avsc', import.meta.url), 'utf8'));
  const nodes = [...schemaNodes(schema, 'FlowBatch')];
  assert.ok(nodes.length > 60, `${nodes.length} fields and types`);
  for (const [path, node] of nodes) assert.ok(typeof node.doc === 'string' && node.doc.length > 10, `${path} has a doc`);
  const enums = nodes.filter(([, node]) => node.type === 'enum');
  assert.deepEqual(
    enums.map(([, node]) => [node.name, node.default]),
    [
      ['Direction', 'ingress'],
      ['DupDirection', 'both'],
    ],
  );
  // Parsing Canonical Form strips docs and defaults: the revision (and dataschema) stays the one
  // published before they were written. A change here is a new revision: it belongs in schemas/history.
  assert.doesNotMatch(canonicalForm(flowBatchType), /"doc"|"default"/);
  assert.equal(FLOW_BATCH_FINGERPRINT.toString('hex'), '898aedb2dcecaffe');
  // A symbol a later revision adds reads as the default here.
  const later = JSON.parse(JSON.stringify(schema).replace('"symbols":["ingress","egress"]', '"symbols":["ingress","egress","unknown"]'));
  const batch = sampleBatch(1);
  const laterType = avro.Type.forSchema(later);
  const flow = { ...batch.flows.decode()[0], direction: 'unknown' };
  const read = flowBatchType.fromBuffer(laterType.toBuffer({ ...batch, flows: [flow] }), flowBatchType.createResolver(laterType)) as {
    flows: { direction: string }[];
  };
  assert.equal(read.flows[0].direction, 'ingress');
});
