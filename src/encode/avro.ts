// Avro encoding of flow batches with the schema in schemas/flow-batch.avsc.
import { readFileSync } from 'node:fs';
import avro from 'avsc';

import { isColumnarBatch, isDrainedBatch, type AnyFlowBatch, type DecodedFlowBatch } from '../model/index.js';
import { crc64Avro } from './crc64-avro.js';
import { createColumnsWriter } from './avro-columns-writer.js';
import { createFlowBatchWriter } from './flow-batch-writer.js';
import type { Scratch } from './scratch.js';

const FLOW_BATCH_SCHEMA_PATH = new URL('../../schemas/flow-batch.avsc', import.meta.url);
/** What avsc's parsed types and its reading cursor expose that the guard below needs. */
interface ReadableType {
  typeName: string;
  size?: number;
  fields?: { type: ReadableType }[];
  itemsType?: ReadableType;
  valuesType?: ReadableType;
  _read(tap: AvscTap): unknown;
}
interface AvscTap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
}

/** The fewest bytes a value of the type takes (fixed: its size; records: their fields'; else one). */
export const minimumBytes = (type: ReadableType): number =>
  type.typeName === 'fixed' ? type.size! : type.fields ? type.fields.reduce((sum, field) => sum + minimumBytes(field.type), 0) : 1;

/** An array's or map's next block count, checked against the bytes left (each item takes at least `smallest`). */
function blockCount(tap: AvscTap, smallest: number, what: string): number {
  let count = tap.readLong();
  if (count < 0) {
    count = -count;
    tap.skipLong(); // the block's size in bytes
  }
  const left = tap.buf.length - tap.pos;
  if (count > 0 && count * smallest > left) throw new Error(`a block of ${count} ${what} cannot fit in the ${left} bytes left`);
  return count;
}

/**
 * avsc trusts an array's or a map's block count: a corrupted count would make it allocate and
 * loop that many times (a hung collector). These are avsc's ArrayType._read and MapType._read with
 * every block checked against the bytes left first (each item takes at least its fixed fields'
 * bytes); avsc's typeHook puts them in place of every array and map type of the schema.
 */
class BoundedArrayType extends (avro.types.ArrayType as unknown as new (schema: object, options: object) => ReadableType) {
  _read(tap: AvscTap): unknown[] {
    const items = this.itemsType!;
    const smallest = minimumBytes(items);
    const values: unknown[] = [];
    let count: number;
    while ((count = blockCount(tap, smallest, 'array items'))) {
      while (count--) values.push(items._read(tap));
    }
    return values;
  }
}

class BoundedMapType extends (avro.types.MapType as unknown as new (schema: object, options: object) => ReadableType) {
  _read(tap: AvscTap): Record<string, unknown> {
    const values = this.valuesType!;
    const smallest = 1 + minimumBytes(values); // the key's length, then the value
    const map: Record<string, unknown> = {};
    let count: number;
    while ((count = blockCount(tap, smallest, 'map entries'))) {
      while (count--) {
        const key = (tap as AvscTap & { readString(): string }).readString();
        map[key] = values._read(tap);
      }
    }
    return map;
  }
}

const parseSchema = (schema: object) =>
  avro.Type.forSchema(schema as avro.schema.AvroSchema, {
    typeHook: (schema, options) => {
      const type = typeof schema === 'object' ? (schema as { type?: string }).type : undefined;
      if (type === 'array') return new BoundedArrayType(schema as object, options) as unknown as avro.Type;
      if (type === 'map') return new BoundedMapType(schema as object, options) as unknown as avro.Type;
      return undefined;
    },
  });

/** The schema's Parsing Canonical Form (avsc's schema() without extra attributes is exactly that). */
export function canonicalForm(type: avro.Type): string {
  return JSON.stringify(type.schema());
}

/** Single-object encoding: C3 01, the 8-byte little-endian CRC-64-AVRO of the canonical form, the body. */
export const SINGLE_OBJECT_MARKER = Buffer.from([0xc3, 0x01]);

/** One revision of the schema, as the agent publishes it (src/encode/schema-store.ts). */
export interface SchemaRevision {
  /** The .avsc file's JSON, docs included. */
  schema: object;
  type: avro.Type;
  canonicalForm: string;
  /** CRC-64-AVRO of the canonical form: the 8 bytes as single-object encoding writes them (little-endian). */
  fingerprint: Buffer;
}

function readRevision(path: URL): SchemaRevision {
  const schema = JSON.parse(readFileSync(path, 'utf8')) as object;
  const type = parseSchema(schema);
  const form = canonicalForm(type);
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeBigUInt64LE(crc64Avro(Buffer.from(form, 'utf8')));
  return { schema, type, canonicalForm: form, fingerprint };
}

/** The revision this agent writes, then the earlier ones (schemas/history) it still reads. */
export const SCHEMA_REVISIONS: readonly SchemaRevision[] = [
  readRevision(FLOW_BATCH_SCHEMA_PATH),
  ...['flow-batch-1.avsc'].map((name) => readRevision(new URL(`../../schemas/history/${name}`, import.meta.url))),
];
export const flowBatchType = SCHEMA_REVISIONS[0].type;
export const FLOW_BATCH_FINGERPRINT = SCHEMA_REVISIONS[0].fingerprint;

/**
 * Earlier revisions of the schema, by single-object fingerprint: events of agents not yet upgraded
 * are read through Avro schema resolution, new fields taking their defaults.
 */
/** The earlier revisions' writer types, by single-object fingerprint (hex). */
export const EARLIER_WRITERS = new Map(SCHEMA_REVISIONS.slice(1).map((writer) => [writer.fingerprint.toString('hex'), writer.type] as const));
const EARLIER_SCHEMAS = new Map([...EARLIER_WRITERS].map(([fingerprint, writer]) => [fingerprint, flowBatchType.createResolver(writer)] as const));
/** The first revision, whose events' dataschema carried no fingerprint. */
export const FIRST_SCHEMA_FINGERPRINT = [...EARLIER_SCHEMAS.keys()][0];
const SINGLE_OBJECT_HEADER = Buffer.concat([SINGLE_OBJECT_MARKER, FLOW_BATCH_FINGERPRINT]);

const writeFlowBatch = createFlowBatchWriter(flowBatchType);
const writeColumns = createColumnsWriter(flowBatchType);

/**
 * A batch of drained structs or of columns through a Buffer writer; one of flow objects through
 * avsc. A new Buffer; but plain Avro of columns given `into` is written there, and the result is a
 * view of it (valid until it is written again: see src/bridge/main.ts).
 */
export function encodeFlowBatch(batch: AnyFlowBatch, singleObject: boolean, into?: Scratch): Buffer {
  const body = isDrainedBatch(batch)
    ? writeFlowBatch(batch)
    : isColumnarBatch(batch)
      ? writeColumns(batch, singleObject ? undefined : into)
      : flowBatchType.toBuffer(batch);
  return singleObject ? Buffer.concat([SINGLE_OBJECT_HEADER, body]) : body;
}

export class AvroDecodeError extends Error {
  override name = 'AvroDecodeError';
}

/**
 * Decodes plain or single-object Avro; throws AvroDecodeError saying what is wrong. Data written
 * with an earlier revision of the schema is resolved to this one: single-object data names its
 * writer's fingerprint itself, plain data through `writerFingerprint` (hex, from the event's
 * dataschema); plain data without it is read as written with this revision.
 */
export function decodeFlowBatch(data: Uint8Array, writerFingerprint?: string): DecodedFlowBatch {
  const { body, writer } = flowBatchBody(data, writerFingerprint);
  try {
    return flowBatchType.fromBuffer(body, writer === undefined ? undefined : EARLIER_SCHEMAS.get(writer)) as DecodedFlowBatch;
  } catch (error) {
    throw new AvroDecodeError(`not a FlowBatch in Avro: ${(error as Error).message}`);
  }
}

/**
 * The Avro body of plain or single-object data, and the fingerprint of the earlier revision that
 * wrote it (undefined: this revision); throws AvroDecodeError for an unknown fingerprint.
 */
export function flowBatchBody(data: Uint8Array, writerFingerprint?: string): { body: Buffer; writer?: string } {
  let body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let writer: string | undefined;
  if (writerFingerprint !== undefined && writerFingerprint !== FLOW_BATCH_FINGERPRINT.toString('hex')) {
    if (!EARLIER_SCHEMAS.has(writerFingerprint))
      throw new AvroDecodeError(`unknown schema fingerprint ${writerFingerprint} (expected ${FLOW_BATCH_FINGERPRINT.toString('hex')})`);
    writer = writerFingerprint;
  }
  if (body.subarray(0, 2).equals(SINGLE_OBJECT_MARKER)) {
    if (body.length < 10) throw new AvroDecodeError('single-object Avro shorter than its 10-byte header');
    const fingerprint = body.subarray(2, 10);
    writer = fingerprint.toString('hex');
    if (!EARLIER_SCHEMAS.has(writer)) {
      if (!fingerprint.equals(FLOW_BATCH_FINGERPRINT))
        throw new AvroDecodeError(`unknown schema fingerprint ${writer} (expected ${FLOW_BATCH_FINGERPRINT.toString('hex')})`);
      writer = undefined;
    }
    body = body.subarray(10);
  }
  return { body, writer };
}
