// Avro binary encoding of a FlowBatch straight from the drained flow_record structs.
//
// Hand-written next to avsc on purpose: avsc encodes JavaScript objects, so it would need one
// object (and four Buffer views) per flow, which measured 6 µs per flow, mostly allocation, GC and
// 64-bit varints; this writer reads the kernel's bytes and writes Avro bytes (see
// docs/benchmarks.md). It is planned from the schema at load time, so the field order cannot
// drift, then compiled into straight-line code as avsc compiles its own writers, and
// test/encode/avro.test.ts checks its output is byte for byte what avsc writes.
import type avro from 'avsc';

import { EXTRAS_OFFSETS, EXTRAS_SIZE, FIELD_OFFSETS, OBSERVED_SLOTS, OBSERVED_SLOT_SIZE, RECORD_SIZE, type FlowBatch } from '../model/index.js';
import {
  DIRECTION_SYMBOLS,
  DNS_FIELDS,
  DROPS_FIELDS,
  DUP_DIRECTION_SYMBOLS,
  EXTRA_FIELD_SOURCES,
  FLOW_FIELD_SOURCES,
  type FieldSource,
} from './flow-fields.js';
import { Scratch, writeLongAt } from './scratch.js';

/** What avsc's parsed types expose that the plan needs. */
interface ParsedType {
  typeName: string;
  size?: number;
  symbols?: string[];
  itemsType?: ParsedType;
  fields?: ParsedField[];
  /** A union's branches. */
  types?: ParsedType[];
  toBuffer(value: unknown): Buffer;
}
interface ParsedField {
  name: string;
  type: ParsedType;
  defaultValue(): unknown;
}

const enum Kind {
  Int8,
  Int16,
  Int32,
  Long,
  TimeUs,
  Fixed,
  Enum,
  InterfaceName,
  High16,
  DupList,
  Constant,
  Drops,
  Dns,
  Rtt,
}

interface Step {
  kind: Kind;
  offset: number;
  size: number;
  /** Kind.Constant: the bytes of the schema's default. */
  bytes?: Buffer;
}

const DIRECTION_OFFSET = FIELD_OFFSETS['metrics.direction'][0];
const IF_INDEX_OFFSET = FIELD_OFFSETS['metrics.if_index'][0];
const OBSERVED_OFFSET = FIELD_OFFSETS['metrics.observed'][0];

/** The step of a field fed by flow_extras (drops, dns, rtt), after checking its Avro type. */
function planExtra(name: string, type: ParsedType, extra: 'drops' | 'dns' | 'rtt'): Step {
  if (extra === 'rtt') {
    if (type.typeName !== 'long') throw new Error(`Avro Flow field ${name} is ${type.typeName}, but rtt needs long`);
    return { kind: Kind.Rtt, offset: EXTRAS_OFFSETS.rtt_ns[0], size: 8 };
  }
  const wanted = extra === 'drops' ? DROPS_FIELDS : DNS_FIELDS;
  const record = type.types?.[1];
  const shape = record?.fields?.map((field) => `${field.name}:${field.type.typeName}`).join();
  if (!type.typeName.startsWith('union') || type.types?.[0].typeName !== 'null' || shape !== wanted.join()) {
    throw new Error(`Avro Flow field ${name} must be a union of null and a record {${wanted.join(', ')}}`);
  }
  return { kind: extra === 'drops' ? Kind.Drops : Kind.Dns, offset: 0, size: EXTRAS_SIZE };
}

/**
 * Checks each Flow field's Avro type against its conversion and returns the per-record steps;
 * `withExtras`: for drains that carry flow_extras (drops, rtt), read from them.
 */
function planFlow(fields: ParsedField[], withExtras: boolean): Step[] {
  return fields.map((field) => {
    const { name, type } = field;
    const extra = (EXTRA_FIELD_SOURCES as Record<string, 'drops' | 'dns' | 'rtt'>)[name];
    if (withExtras && extra) return planExtra(name, type, extra);
    const source = (FLOW_FIELD_SOURCES as Record<string, FieldSource>)[name];
    if (!source) throw new Error(`Avro Flow field ${name} has no source in FLOW_FIELD_SOURCES`);
    if (source.as === 'default') {
      const value = field.defaultValue();
      if (value === undefined) throw new Error(`Avro Flow field ${name} has no default, and no C field feeds it`);
      const bytes = type.toBuffer(value);
      return { kind: Kind.Constant, offset: 0, size: bytes.length, bytes };
    }
    const [offset, size] = FIELD_OFFSETS[source.from!];
    const expect = (wanted: string) => {
      if (type.typeName !== wanted) throw new Error(`Avro Flow field ${name} is ${type.typeName}, but ${source.as} needs ${wanted}`);
    };
    switch (source.as) {
      case 'low16':
      case 'high16':
        expect('int');
        if (size !== 4) throw new Error(`Avro Flow field ${name}: ${source.as} needs a 32-bit C field`);
        return { kind: source.as === 'low16' ? Kind.Int16 : Kind.High16, offset, size };
      case 'dupList': {
        expect('array');
        const entry = type.itemsType?.fields?.map((item) => `${item.name}:${item.type.typeName}`).join();
        if (entry !== 'interface:string,direction:enum,udn:string' || type.itemsType!.fields![1].type.symbols?.join() !== DUP_DIRECTION_SYMBOLS.join()) {
          throw new Error(`Avro Flow field ${name} must be an array of {interface, direction (${DUP_DIRECTION_SYMBOLS.join(', ')}), udn}`);
        }
        return { kind: Kind.DupList, offset, size };
      }
      case 'int':
        expect('int');
        return { kind: size === 1 ? Kind.Int8 : size === 2 ? Kind.Int16 : Kind.Int32, offset, size };
      case 'long':
        expect('long');
        return { kind: Kind.Long, offset, size };
      case 'timeUs':
        expect('long');
        return { kind: Kind.TimeUs, offset, size };
      case 'fixed':
        expect('fixed');
        if (type.size !== size) throw new Error(`Avro Flow field ${name} is fixed(${type.size}), the C field has ${size} bytes`);
        return { kind: Kind.Fixed, offset, size };
      case 'enum':
        expect('enum');
        if (type.symbols?.join() !== DIRECTION_SYMBOLS.join()) throw new Error(`Avro enum ${name} must list ${DIRECTION_SYMBOLS.join(', ')}`);
        return { kind: Kind.Enum, offset, size };
      case 'interfaceName':
        expect('string');
        return { kind: Kind.InterfaceName, offset, size };
    }
  });
}

/** Kernel interface names are under 16 bytes; 63 keeps the name's length a one-byte varint. */
const NAME_MAX_BYTES = 63;
/** The most a dupList entry takes: the name's length and bytes, the direction, the empty UDN. */
const DUP_ENTRY_BOUND = 3 + NAME_MAX_BYTES;

/**
 * The used observed slots of all the records (dupList entries besides the counted one): bounding
 * the output by them rather than by six a flow keeps the scratch buffer near what is written.
 */
function observedEntries(records: Buffer): number {
  let entries = 0;
  for (let base = OBSERVED_OFFSET; base < records.length; base += RECORD_SIZE) {
    const end = base + OBSERVED_SLOTS * OBSERVED_SLOT_SIZE;
    for (let slot = base; slot < end && records.readUInt32LE(slot) !== 0; slot += OBSERVED_SLOT_SIZE) entries++;
  }
  return entries;
}

/** Source of a varint of the unsigned integer expression `value`, known to be below 2^31. */
const smallVarint = (value: string) => `z = (${value}) * 2; while (z > 127) { out[pos++] = (z & 127) | 128; z >>>= 7; } out[pos++] = z;`;

/** Source of the unsigned little-endian integers at `buffer[index + offset]`. */
const u32At = (buffer: string, index: string, offset: number) => {
  const at = (delta: number) => `${buffer}[${index} + ${offset + delta}]`;
  return `(${at(0)} | (${at(1)} << 8) | (${at(2)} << 16)) + ${at(3)} * 16777216`;
};
const u64At = (buffer: string, index: string, offset: number) => `${u32At(buffer, index, offset)} + (${u32At(buffer, index, offset + 4)}) * 4294967296`;
/** Source writing the unsigned integer expression `value` as an Avro long. */
const longOf = (value: string) => `z = ${value}; if (z < 1073741824) { ${smallVarint('z')} } else { pos = writeLongAt(out, pos, z); }`;

const DROPS = (offset: keyof typeof EXTRAS_OFFSETS) => EXTRAS_OFFSETS[offset][0];
const [DNS_NAME, DNS_NAME_SIZE] = EXTRAS_OFFSETS.dns_name;

type RecordsWriter = (records: Buffer, out: Buffer, pos: number, name: (ifIndex: number) => Buffer, extras?: Buffer) => number;

/** Compiles the steps into one function writing every record of `records` (and `extras`) at out[pos]. */
function compileRecords(steps: Step[], withExtras: boolean): RecordsWriter {
  const body = steps.map((step) => {
    const at = (delta = 0) => `records[b + ${step.offset + delta}]`;
    const u32 = `(${at(0)} | (${at(1)} << 8) | (${at(2)} << 16)) + ${at(3)} * 16777216`;
    const u64 = `${u32} + ((${at(4)} | (${at(5)} << 8) | (${at(6)} << 16)) + ${at(7)} * 16777216) * 4294967296`;
    switch (step.kind) {
      case Kind.Drops: // union branch 1 (the record) or 0 (null)
        return (
          `if (extras[e + ${DROPS('has_drops')}]) { out[pos++] = 2; ` +
          `${longOf(u64At('extras', 'e', DROPS('drop_bytes')))} ${longOf(u64At('extras', 'e', DROPS('drop_packets')))} ` +
          `${smallVarint(`extras[e + ${DROPS('drop_flags')}] | (extras[e + ${DROPS('drop_flags') + 1}] << 8)`)} ` +
          `${smallVarint(`extras[e + ${DROPS('drop_state')}]`)} ${longOf(u32At('extras', 'e', DROPS('drop_cause')))} } else { out[pos++] = 0; }`
        );
      case Kind.Dns: // union branch 1 or 0; the name is NUL-terminated printable ASCII (the addon's)
        return (
          `if (extras[e + ${DROPS('has_dns')}]) { out[pos++] = 2; ` +
          `${smallVarint(`extras[e + ${DROPS('dns_id')}] | (extras[e + ${DROPS('dns_id') + 1}] << 8)`)} ` +
          `${smallVarint(`extras[e + ${DROPS('dns_flags')}] | (extras[e + ${DROPS('dns_flags') + 1}] << 8)`)} ` +
          `${longOf(u64At('extras', 'e', DROPS('dns_latency_ns')))} ${smallVarint(`extras[e + ${DROPS('dns_errno')}]`)} ` +
          `k = 0; while (k < ${DNS_NAME_SIZE - 1} && extras[e + ${DNS_NAME} + k] !== 0) k++; out[pos++] = k * 2; ` +
          `for (let i = 0; i < k; i++) out[pos++] = extras[e + ${DNS_NAME} + i]; } else { out[pos++] = 0; }`
        );
      case Kind.Rtt:
        return longOf(u64At('extras', 'e', step.offset));
      case Kind.Int8:
      case Kind.Enum:
        return smallVarint(at());
      case Kind.Int16:
        return smallVarint(`${at()} | (${at(1)} << 8)`);
      case Kind.Int32: // u32 as Avro int: below 2^31 here (index, flags, rate)
        return `z = ${u32}; if (z < 1073741824) { ${smallVarint('z')} } else { pos = writeLongAt(out, pos, z | 0); }`;
      case Kind.Long:
        return `z = ${u64}; if (z < 1073741824) { ${smallVarint('z')} } else { pos = writeLongAt(out, pos, z); }`;
      case Kind.TimeUs: // ns to µs without an inexact double of ns
        return `pos = writeLongAt(out, pos, Math.floor((${u32}) / 1000 + ((${at(4)} | (${at(5)} << 8) | (${at(6)} << 16)) + ${at(7)} * 16777216) * 4294967.296));`;
      case Kind.Fixed:
        return Array.from({ length: step.size }, (_, i) => `out[pos + ${i}] = ${at(i)};`).join(' ') + ` pos += ${step.size};`;
      case Kind.InterfaceName:
        return `n = name(${u32}); out[pos++] = n.length * 2; for (let i = 0; i < n.length; i++) out[pos++] = n[i];`;
      case Kind.High16:
        return smallVarint(`${at(2)} | (${at(3)} << 8)`);
      case Kind.DupList: {
        // One block: the counted interface (name, direction's symbol index, empty UDN), then each
        // used observed slot (its direction bits 1, 2, 3 are the symbols ingress, egress, both
        // less one); slots are taken in order, so the first free one ends the list.
        const slot = (index: string, delta: number) => `records[b + ${step.offset} + ${index} * ${OBSERVED_SLOT_SIZE} + ${delta}]`;
        const counted = (delta: number) => `records[b + ${IF_INDEX_OFFSET + delta}]`;
        const slotIndex = (index: string) => `(${slot(index, 0)} | (${slot(index, 1)} << 8) | (${slot(index, 2)} << 16)) + ${slot(index, 3)} * 16777216`;
        return (
          `c = 0; while (c < ${OBSERVED_SLOTS} && ${slotIndex('c')} !== 0) c++; ` +
          `out[pos++] = (c + 1) * 2; n = name((${counted(0)} | (${counted(1)} << 8) | (${counted(2)} << 16)) + ${counted(3)} * 16777216); out[pos++] = n.length * 2; for (let i = 0; i < n.length; i++) out[pos++] = n[i]; ` +
          `out[pos++] = records[b + ${DIRECTION_OFFSET}] * 2; out[pos++] = 0; ` +
          `for (let s = 0; s < c; s++) { n = name(${slotIndex('s')}); out[pos++] = n.length * 2; for (let i = 0; i < n.length; i++) out[pos++] = n[i]; ` +
          `out[pos++] = ((${slot('s', 4)} & 3) - 1) * 2; out[pos++] = 0; } out[pos++] = 0;`
        );
      }
      case Kind.Constant:
        return Array.from(step.bytes!, (byte) => `out[pos++] = ${byte};`).join(' ');
    }
  });
  const loop = withExtras
    ? `for (let b = 0, e = 0; b < records.length; b += ${RECORD_SIZE}, e += ${EXTRAS_SIZE})`
    : `for (let b = 0; b < records.length; b += ${RECORD_SIZE})`;
  const source = `let z, n, k, c; ${loop} {\n${body.join('\n')}\n} return pos;`;
  return new Function('writeLongAt', `return (records, out, pos, name, extras) => { ${source} };`)(writeLongAt);
}

/** The most bytes a step writes: 10 per varint, fixed and constant bytes as they are, the name. */
function bound(step: Step): number {
  switch (step.kind) {
    case Kind.Fixed:
    case Kind.Constant:
      return step.size;
    case Kind.InterfaceName:
      return 1 + NAME_MAX_BYTES;
    case Kind.DupList: // the count, the end, the counted interface's entry (the others: observedEntries)
      return 2 + DUP_ENTRY_BOUND;
    case Kind.Drops:
      return 1 + 5 * 10;
    case Kind.Dns:
      return 1 + 4 * 10 + 1 + DNS_NAME_SIZE;
    default:
      return 10;
  }
}

const scratch = new Scratch();

function writeInt(value: number): void {
  scratch.pos = writeLongAt(scratch.buffer, scratch.pos, value);
}

function writeString(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  scratch.ensure(bytes.length + 10);
  writeInt(bytes.length);
  bytes.copy(scratch.buffer, scratch.pos);
  scratch.pos += bytes.length;
}

export function createFlowBatchWriter(batchType: avro.Type): (batch: FlowBatch) => Buffer {
  const fields = (batchType as unknown as ParsedType).fields ?? [];
  const flowFields = fields.find((field) => field.name === 'flows')?.type.itemsType?.fields;
  if (!flowFields) throw new Error('the FlowBatch schema has no flows array of records');
  // Two writers: drains without extras (drops, DNS and RTT off, the default) keep the straight-line code
  // of the kernel's flow records alone.
  const steps = planFlow(flowFields, false);
  const writeRecords = compileRecords(steps, false);
  const extraSteps = planFlow(flowFields, true);
  const writeRecordsWithExtras = compileRecords(extraSteps, true);
  // The most one record can take: 10 bytes per varint, fixed fields as they are, the name.
  const recordBound = Math.max(
    steps.reduce((sum, step) => sum + bound(step), 0),
    extraSteps.reduce((sum, step) => sum + bound(step), 0),
  );
  const header = fields.filter((field) => field.name !== 'flows').map((field) => ({ name: field.name, type: field.type.typeName }));

  return (batch: FlowBatch): Buffer => {
    scratch.pos = 0;
    for (const { name, type } of header) {
      const value = (batch as unknown as Record<string, string | number>)[name];
      scratch.ensure(10);
      if (type === 'string') writeString(value as string);
      else writeInt(value as number);
    }
    const count = batch.flows.length;
    scratch.ensure(count * recordBound + observedEntries(batch.flows.records) * DUP_ENTRY_BOUND + 20);
    if (count > 0) writeInt(count); // one block holding every flow
    const names = new Map<number, Buffer>();
    const name = (ifIndex: number) => {
      let encoded = names.get(ifIndex);
      if (!encoded) names.set(ifIndex, (encoded = Buffer.from(batch.flows.interfaceName(ifIndex), 'utf8').subarray(0, NAME_MAX_BYTES)));
      return encoded;
    };
    const { records, extras } = batch.flows;
    scratch.pos = extras
      ? writeRecordsWithExtras(records, scratch.buffer, scratch.pos, name, extras)
      : writeRecords(records, scratch.buffer, scratch.pos, name);
    scratch.buffer[scratch.pos++] = 0; // end of the flows array
    return scratch.copy();
  };
}
