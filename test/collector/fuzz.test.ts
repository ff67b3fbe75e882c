import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headers as natsHeaders } from '@nats-io/transport-node';
import protobuf from 'protobufjs';

import { CollectorError, decodeEvent, decodeEventColumns } from '../../src/collector/index.js';
import { encodeFlowBatch } from '../../src/encode/avro.js';
import { readRecords } from '../../src/encode/pbflow-reader.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { decodeRecords, encodeRecords, FLOW_PROTO_PATH, PbflowDecodeError, toFlowRecord, type PbflowRecord } from '../../src/encode/pbflow.js';
import type { ColumnarRecords } from '../../src/encode/pbflow-reader.js';
import { plain, sampleBatch } from '../helpers/batches.js';
import { random } from '../helpers/random.js';

const MUTATIONS = 100_000;
const Records = protobuf.loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');

function mutate(original: Buffer, next: () => number): Buffer {
  const bytes = Buffer.from(original);
  const at = () => Math.floor(next() * bytes.length);
  switch (Math.floor(next() * 5)) {
    case 0: // flip bits
      for (let i = 0; i < 1 + next() * 4; i++) bytes[at()] ^= 1 << Math.floor(next() * 8);
      return bytes;
    case 1: // truncate
      return bytes.subarray(0, at());
    case 2: // overwrite a run with random bytes
      for (let i = at(), end = i + next() * 16; i < end && i < bytes.length; i++) bytes[i] = next() * 256;
      return bytes;
    case 3: // insert random bytes
      return Buffer.concat([bytes.subarray(0, at()), Buffer.from(Array.from({ length: 1 + next() * 8 }, () => next() * 256)), bytes]);
    default: // a large varint where a count or length stands
      if (bytes.length >= 5) bytes.set([0xff, 0xff, 0xff, 0xff, 0x0f], Math.min(at(), bytes.length - 5));
      return bytes;
  }
}

test(`${MUTATIONS.toLocaleString('en')} mutated messages: only typed errors or clean decodes, never a crash or a hang, the fast decoders as the others`, async () => {
  const identity = newIdentity('fuzz');
  const binary = (await createEventEncoder('binary', identity, true))(sampleBatch(20));
  const structured = (await createEventEncoder('structured', identity, false))(sampleBatch(20));
  const pbflow = Buffer.from(encodeRecords(sampleBatch(20).flows.decode(), '198.18.0.1'));
  const next = random(20261124);
  const outcomes = { rejected: new Map<string, number>(), fast: new Map<string, number>() };
  const count = (kind: string) => outcomes.rejected.set(kind, (outcomes.rejected.get(kind) ?? 0) + 1);
  const fastCount = (kind: string) => outcomes.fast.set(kind, (outcomes.fast.get(kind) ?? 0) + 1);
  for (let i = 0; i < MUTATIONS; i++) {
    const which = i % 4;
    const message = which === 2 ? structured : binary;
    const headers = natsHeaders();
    for (const [name, value] of Object.entries(message.headers)) {
      // Every fourth message, now and then a header is the damaged part.
      const damaged =
        which === 1 && next() < 0.1
          ? mutate(Buffer.from(value), next)
              .toString('latin1')
              .replace(/[\r\n]/g, '')
          : value;
      headers.set(name, damaged);
    }
    const body = which === 3 ? mutate(pbflow, next) : which === 1 ? message.body : mutate(message.body, next);
    // The object decoders (avsc, protobufjs) and the fast ones (columns): each decodes cleanly or
    // throws a typed error. The Avro ones refuse the same messages and agree on the rest. protobufjs
    // reads a known field by its declared type whatever the wire type says (a misread the fast
    // reader refuses), so pbflow is compared on what is well formed: what protobufjs writes back
    // byte for byte.
    const outcome = (decode: () => unknown): { value?: unknown; error?: string } => {
      try {
        return { value: decode() };
      } catch (error) {
        assert.ok(error instanceof CollectorError || error instanceof PbflowDecodeError, `untyped ${(error as Error).stack}`);
        return { error: error instanceof CollectorError ? error.kind : 'protobuf' };
      }
    };
    if (which === 3) {
      const objects = outcome(() => decodeRecords(body));
      const fast = outcome(() => readRecords(body));
      if (objects.error) count(objects.error);
      const records = fast.value as ColumnarRecords | undefined;
      const wellFormed = !objects.error && i % 10 === 3 && Buffer.from(Records.encode(Records.decode(body)).finish()).equals(body);
      if (wellFormed) assert.ok(records, `the fast reader refused a well-formed message: ${fast.error}`);
      if (wellFormed && records && !records.unrepresentable) {
        assert.deepEqual(plain(records.flows.decode()), plain((objects.value as PbflowRecord[]).map(toFlowRecord)));
        // What the reader says Avro can hold, the Avro writer writes.
        encodeFlowBatch({ ...sampleBatch(0), flows: records.flows }, false);
      }
    } else {
      const objects = outcome(() => decodeEvent(body, headers));
      const fast = outcome(() => decodeEventColumns(body, headers));
      if (objects.error) count(objects.error);
      if (fast.error) fastCount(fast.error);
      if (objects.value && fast.value && i % 10 === 0) {
        // every tenth: comparing takes longer than decoding
        // (id and time aside: the SDK makes them up, at each decode, for an event without them)
        const {
          batch: { flows, ...header },
          event: { id: _id, time: _time, ...event },
        } = fast.value as ReturnType<typeof decodeEventColumns>;
        const {
          batch,
          event: { id: _expectedId, time: _expectedTime, ...expectedEvent },
        } = objects.value as ReturnType<typeof decodeEvent>;
        assert.deepEqual(plain({ ...header, flows: flows.decode(), event }), plain({ ...batch, event: expectedEvent }));
      }
    }
  }
  // Exactly as strict: the same events are refused, for the same reasons.
  outcomes.fast.set('protobuf', outcomes.rejected.get('protobuf') ?? 0);
  assert.deepEqual(outcomes.fast, outcomes.rejected);
  for (const kind of ['avro', 'cloudevent', 'protobuf']) assert.ok((outcomes.rejected.get(kind) ?? 0) > 100, `${kind} errors were exercised`);
});
