import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headers as natsHeaders } from '@nats-io/transport-node';

import { CollectorError, decodeEvent } from '../../src/collector/index.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { decodeRecords, encodeRecords, PbflowDecodeError } from '../../src/encode/pbflow.js';
import { sampleBatch } from '../helpers/batches.js';

const MUTATIONS = 100_000;

/** A small deterministic generator (xorshift32): the same mutations every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

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

test(`${MUTATIONS.toLocaleString('en')} mutated messages: only typed errors or clean decodes, never a crash or a hang`, async () => {
  const identity = newIdentity('fuzz');
  const binary = (await createEventEncoder('binary', identity, true))(sampleBatch(20));
  const structured = (await createEventEncoder('structured', identity, false))(sampleBatch(20));
  const pbflow = Buffer.from(encodeRecords(sampleBatch(20).flows.decode(), '198.18.0.1'));
  const next = random(20261124);
  const outcomes = { rejected: new Map<string, number>() };
  const count = (kind: string) => outcomes.rejected.set(kind, (outcomes.rejected.get(kind) ?? 0) + 1);
  for (let i = 0; i < MUTATIONS; i++) {
    const which = i % 4;
    const message = which === 2 ? structured : binary;
    const headers = natsHeaders();
    for (const [name, value] of Object.entries(message.headers)) {
      // Every fourth message, now and then a header is the damaged part.
      const damaged = which === 1 && next() < 0.1 ? mutate(Buffer.from(value), next).toString('latin1').replace(/[\r\n]/g, '') : value;
      headers.set(name, damaged);
    }
    const body = which === 3 ? mutate(pbflow, next) : which === 1 ? message.body : mutate(message.body, next);
    try {
      if (which === 3) decodeRecords(body);
      else decodeEvent(body, headers);
    } catch (error) {
      assert.ok(error instanceof CollectorError || error instanceof PbflowDecodeError, `untyped ${(error as Error).stack}`);
      count(error instanceof CollectorError ? error.kind : 'protobuf');
    }
  }
  for (const kind of ['avro', 'cloudevent', 'protobuf']) assert.ok((outcomes.rejected.get(kind) ?? 0) > 100, `${kind} errors were exercised`);
});
