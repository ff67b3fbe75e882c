// Reads an Avro FlowBatch straight from the Buffer into FlowColumns (src/model/flow-columns.ts).
//
// Hand-written next to avsc on purpose: avsc decodes into one object per flow and one per
// field that is not a number (four Buffers, the dupList, its entry), which measured 4.5 µs per
// flow (docs/benchmarks.md, "Collector"); a consumer at the agents' speed needs under 1 µs. The
// fields every flow has are read here; the rare ones (NetObserv's optional features, a dupList
// other than the flow's own entry) are read by avsc's own type for that field, from where they
// start, so their rules stay avsc's. It is exactly as strict as avsc's fromBuffer: truncated data,
// trailing data, a long past 2^53, an enum or union index out of range, a block count that cannot
// fit are errors (AvroDecodeError); an int of more than 32 bits is read as avsc reads it.
// test/collector/fast-decoders.test.ts compares its output with avsc's, both schema revisions.
import * as model from '../model/flow-columns.js';
import { FlowColumns, type FlowColumnsPool, type FlowFeatures } from '../model/flow-columns.js';
import { AvroDecodeError, EARLIER_WRITERS, flowBatchBody, flowBatchType, minimumBytes } from './avro.js';
import { FLOW_FIELDS, flowFieldsOf, HEADER_FIELDS, isAvroLong, shape, type ColumnarFlowBatch, type FieldType } from './avro-columns-writer.js';

export type { ColumnarFlowBatch } from './avro-columns-writer.js';

// Local copies: the hot loop reads them per flow.
const { ADDRESS_BYTES, DUP_LIST_NONE, DUP_LIST_OTHER, DUP_LIST_OWN, MAC_BYTES } = model;

const current = flowFieldsOf(flowBatchType);
if (shape(current.flow).join() !== FLOW_FIELDS.join() || current.header.join() !== HEADER_FIELDS.join()) {
  throw new Error(`the Avro reader does not match schemas/flow-batch.avsc: ${current.header.join()} / ${shape(current.flow).join()}`);
}
const { DUP_LIST, NETWORK_EVENTS, UNIONS } = current;
const SMALLEST_FLOW = minimumBytes(current.flowType as never);
/** How many Flow fields each earlier revision wrote: each is a prefix of this one's (checked here). */
const EARLIER_FIELD_COUNTS = new Map(
  [...EARLIER_WRITERS].map(([fingerprint, writer]) => {
    const earlier = flowFieldsOf(writer);
    if (earlier.header.join() !== HEADER_FIELDS.join() || shape(earlier.flow).join() !== FLOW_FIELDS.slice(0, earlier.flow.length).join()) {
      throw new Error(`schema revision ${fingerprint} is not a prefix of schemas/flow-batch.avsc: the Avro reader cannot read it`);
    }
    return [fingerprint, earlier.flow.length] as const;
  }),
);
const SAMPLING_FIELDS = FLOW_FIELDS.indexOf('sampling:int') + 1;
if ([...EARLIER_FIELD_COUNTS.values()].some((count) => count !== SAMPLING_FIELDS))
  throw new Error('an earlier schema revision ends elsewhere than after sampling');

// The reading position; module state, as the decode is synchronous.
let buf: Buffer = Buffer.alloc(0);
let pos = 0;

const fail = (what: string): never => {
  throw new AvroDecodeError(`not a FlowBatch in Avro: ${what}`);
};

/** avsc's Tap.readLong: zigzag varint, exact past 32 bits through float arithmetic. */
function readLongSlow(): number {
  let n = 0;
  let k = 0;
  let b: number;
  let h: number;
  do {
    b = buf[pos++];
    h = b & 0x80;
    n |= (b & 0x7f) << k;
    k += 7;
  } while (h && k < 28);
  if (!h) return (n >> 1) ^ -(n & 1);
  let f = n;
  let fk = 268435456;
  do {
    b = buf[pos++];
    f += (b & 0x7f) * fk;
    fk *= 128;
  } while (b & 0x80);
  return (f % 2 ? -(f + 1) : f) / 2;
}

function readLong(): number {
  const b = buf[pos];
  if (b < 0x80) {
    pos++;
    return (b >> 1) ^ -(b & 1);
  }
  const value = readLongSlow();
  if (!isAvroLong(value)) fail('potential precision loss');
  return value;
}

/** As avsc: an int is read as a long, of any size (avsc's IntType checks nothing more). */
function readInt(): number {
  const b = buf[pos];
  if (b < 0x80) {
    pos++;
    return (b >> 1) ^ -(b & 1);
  }
  return readLongSlow();
}

/** A string's length, checked against the bytes left. */
function stringLength(): number {
  const length = readLong();
  if (length < 0 || pos + length > buf.length) fail('truncated buffer');
  return length;
}

function readString(): string {
  const length = stringLength();
  pos += length;
  return buf.toString('utf8', pos - length, pos);
}

/** An array's next block count (avsc's rule: negative, then a byte size), checked against the bytes left. */
function blockCount(smallest: number): number {
  let count = readLong();
  if (count < 0) {
    count = -count;
    readLong();
  }
  const left = buf.length - pos;
  if (count > 0 && count * smallest > left) fail(`a block of ${count} items cannot fit in the ${left} bytes left`);
  return count;
}

/** The value of `type` at pos, read by avsc (the rare fields). */
function readByAvsc(type: FieldType): unknown {
  const { value, offset } = type.decode(buf, pos);
  if (offset < 0) fail('truncated buffer');
  pos = offset;
  return value;
}

/** Reads the flows of one message into `columns` from `at`; `fields`: how many Flow fields the writer wrote. */
function readFlows(columns: FlowColumns, at: number, count: number, fields: number): void {
  const full = fields > SAMPLING_FIELDS;
  const { macs, addresses } = columns;
  for (let index = at; index < at + count; index++) {
    const nameLength = stringLength();
    const nameStart = pos;
    pos += nameLength;
    columns.interfaceIndex[index] = columns.nameAt(buf, nameStart, nameLength);
    columns.ifIndex[index] = readInt();
    const direction = readLong();
    if (direction !== 0 && direction !== 1) fail(`invalid Direction enum index: ${direction}`);
    columns.direction[index] = direction;
    columns.etherType[index] = readInt();
    if (pos + 44 > buf.length) fail('truncated buffer');
    // Byte by byte: for 12 and 32 bytes this is faster than a copy() call.
    for (let i = 0, to = index * MAC_BYTES; i < 12; i++) macs[to + i] = buf[pos + i];
    for (let i = 0, to = index * ADDRESS_BYTES; i < 32; i++) addresses[to + i] = buf[pos + 12 + i];
    pos += 44;
    columns.protocol[index] = readInt();
    columns.srcPort[index] = readInt();
    columns.dstPort[index] = readInt();
    columns.icmpType[index] = readInt();
    columns.icmpCode[index] = readInt();
    columns.packets[index] = readLong();
    columns.bytes[index] = readLong();
    columns.firstSeen[index] = readLong();
    columns.lastSeen[index] = readLong();
    columns.tcpFlags[index] = readInt();
    columns.dscp[index] = readInt();
    columns.sampling[index] = readInt();
    if (!full) continue;
    columns.netobservTcpFlags[index] = readInt();
    let features: FlowFeatures | undefined;
    // dupList: empty, the flow's own entry (one block of one: name, direction, no UDN; the end), or read by avsc.
    const dupListStart = pos;
    if (buf[pos] === 0) {
      pos++;
      columns.dupListKind[index] = DUP_LIST_NONE;
    } else {
      let own = buf[pos] === 2 && buf[pos + 1] === nameLength * 2 && nameLength < 64;
      if (own) {
        for (let i = 0; i < nameLength; i++) if (buf[pos + 2 + i] !== buf[nameStart + i]) own = false;
        const after = pos + 2 + nameLength;
        own &&= buf[after] === direction * 2 && buf[after + 1] === 0 && buf[after + 2] === 0 && after + 3 <= buf.length;
      }
      if (own) {
        pos += 5 + nameLength;
        columns.dupListKind[index] = DUP_LIST_OWN;
      } else {
        pos = dupListStart;
        features = { dupList: readByAvsc(DUP_LIST) as FlowFeatures['dupList'] };
        columns.dupListKind[index] = DUP_LIST_OTHER;
      }
    }
    // drops, dns: null unless their union index is 1
    for (let u = 0; u < 2; u++) {
      if (buf[pos] === 0) pos++;
      else (features ??= {})[UNIONS[u][0]] = readByAvsc(UNIONS[u][1]) as never;
    }
    columns.rtt[index] = readLong();
    if (buf[pos] === 0) pos++;
    else (features ??= {}).networkEvents = readByAvsc(NETWORK_EVENTS) as FlowFeatures['networkEvents'];
    for (let u = 2; u < UNIONS.length; u++) {
      if (buf[pos] === 0) pos++;
      else (features ??= {})[UNIONS[u][0]] = readByAvsc(UNIONS[u][1]) as never;
    }
    if (features) columns.features.set(index, features);
  }
  if (pos > buf.length) fail('truncated buffer');
}

/**
 * Decodes plain or single-object Avro into a FlowBatch with FlowColumns; the same inputs and the
 * same errors as decodeFlowBatch (src/encode/avro.ts), which builds objects. With `pool`, the
 * columns are taken from it (the caller gives them back; on an error they are given back here).
 */
export function readFlowBatch(data: Uint8Array, writerFingerprint?: string, pool?: FlowColumnsPool): ColumnarFlowBatch {
  const { body, writer } = flowBatchBody(data, writerFingerprint);
  const fields = writer === undefined ? FLOW_FIELDS.length : EARLIER_FIELD_COUNTS.get(writer)!;
  buf = body;
  pos = 0;
  let columns: FlowColumns | undefined;
  try {
    const agentName = readString();
    const agentIp = readString();
    const sequence = readLong();
    const part = readInt();
    const parts = readInt();
    const intervalStart = readLong();
    const intervalEnd = readLong();
    const ringBufferPackets = readLong();
    const lostPackets = readLong();
    if (pos > buf.length) fail('truncated buffer');
    // The first block is read into columns of its size (flowcast writes one block); further blocks grow them.
    const first = blockCount(SMALLEST_FLOW);
    columns = pool ? pool.take(first) : new FlowColumns(first);
    if (first > 0) {
      readFlows(columns, 0, first, fields);
      for (let count; (count = blockCount(SMALLEST_FLOW));) {
        const at = columns.length;
        columns = grow(columns, at + count, pool);
        readFlows(columns, at, count, fields);
      }
    }
    if (pos > buf.length) fail('truncated buffer');
    if (pos < buf.length) fail('trailing data');
    return { agentName, agentIp, sequence, part, parts, intervalStart, intervalEnd, ringBufferPackets, lostPackets, flows: columns };
  } catch (error) {
    if (columns) pool?.give(columns);
    if (error instanceof AvroDecodeError) throw error;
    throw new AvroDecodeError(`not a FlowBatch in Avro: ${(error as Error).message}`);
  } finally {
    buf = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

/** `columns` copied into columns of `length` flows (an array written in several blocks); the old ones go back to `pool`. */
function grow(columns: FlowColumns, length: number, pool: FlowColumnsPool | undefined): FlowColumns {
  const grown = pool ? pool.take(length) : new FlowColumns(length);
  grown.names.push(...columns.names);
  const from = columns.arrays();
  grown.arrays().forEach((column, index) => (column as Uint8Array).set(from[index] as Uint8Array));
  for (const [index, features] of columns.features) grown.features.set(index, features);
  pool?.give(columns);
  return grown;
}
