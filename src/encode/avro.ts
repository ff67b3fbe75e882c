// Avro encoding of flow batches with the schema in schemas/flow-batch.avsc.
import { readFileSync } from 'node:fs';
import avro from 'avsc';

import type { FlowBatch } from '../aggregate/index.js';
import type { FlowRecord } from '../capture/decode.js';
import { crc64Avro } from './crc64-avro.js';
import { createFlowBatchWriter } from './flow-batch-writer.js';

/** A FlowBatch as a consumer decodes it: the flows as objects. */
export type DecodedFlowBatch = Omit<FlowBatch, 'flows'> & { flows: FlowRecord[] };

export const FLOW_BATCH_SCHEMA_PATH = new URL('../../schemas/flow-batch.avsc', import.meta.url);
export const flowBatchType = avro.Type.forSchema(JSON.parse(readFileSync(FLOW_BATCH_SCHEMA_PATH, 'utf8')));

/** The schema's Parsing Canonical Form (avsc's schema() without extra attributes is exactly that). */
export function canonicalForm(type: avro.Type): string {
  return JSON.stringify(type.schema());
}

/** Single-object encoding: C3 01, the 8-byte little-endian CRC-64-AVRO of the canonical form, the body. */
export const SINGLE_OBJECT_MARKER = Buffer.from([0xc3, 0x01]);
export const FLOW_BATCH_FINGERPRINT = (() => {
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeBigUInt64LE(crc64Avro(Buffer.from(canonicalForm(flowBatchType), 'utf8')));
  return fingerprint;
})();
const SINGLE_OBJECT_HEADER = Buffer.concat([SINGLE_OBJECT_MARKER, FLOW_BATCH_FINGERPRINT]);

const writeFlowBatch = createFlowBatchWriter(flowBatchType);

export function encodeFlowBatch(batch: FlowBatch, singleObject: boolean): Buffer {
  const body = writeFlowBatch(batch);
  return singleObject ? Buffer.concat([SINGLE_OBJECT_HEADER, body]) : body;
}

export class AvroDecodeError extends Error {
  override name = 'AvroDecodeError';
}

/** Decodes plain or single-object Avro; throws AvroDecodeError saying what is wrong. */
export function decodeFlowBatch(data: Uint8Array): DecodedFlowBatch {
  let body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (body.subarray(0, 2).equals(SINGLE_OBJECT_MARKER)) {
    if (body.length < 10) throw new AvroDecodeError('single-object Avro shorter than its 10-byte header');
    const fingerprint = body.subarray(2, 10);
    if (!fingerprint.equals(FLOW_BATCH_FINGERPRINT)) {
      throw new AvroDecodeError(`unknown schema fingerprint ${fingerprint.toString('hex')} (expected ${FLOW_BATCH_FINGERPRINT.toString('hex')})`);
    }
    body = body.subarray(10);
  }
  try {
    return flowBatchType.fromBuffer(body) as DecodedFlowBatch;
  } catch (error) {
    throw new AvroDecodeError(`not a FlowBatch in Avro: ${(error as Error).message}`);
  }
}
