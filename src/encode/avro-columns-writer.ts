// Writes a FlowBatch of FlowColumns (src/model/flow-columns.ts) in Avro straight into a Buffer,
// byte for byte what avsc's toBuffer writes for the same flows (test/collector/fast-decoders.test.ts
// checks): the reverse bridge has NetObserv's pbflow records as columns, and avsc would need an
// object per flow and per field. The fields every flow has are written here; the rare ones
// (NetObserv's optional features, a dupList other than the flow's own entry) by avsc's type for
// that field. Also the Flow record's field list that this writer and src/encode/avro-reader.ts
// follow, checked against the schema when loaded.
import type avro from 'avsc';

import * as model from '../model/flow-columns.js';
import type { ColumnarFlowBatch } from '../model/index.js';
import { Scratch, writeLongAt } from './scratch.js';

// Local copies: the hot loop reads them per flow.
const { ADDRESS_BYTES, DUP_LIST_OTHER, DUP_LIST_OWN, MAC_BYTES } = model;

export type { ColumnarFlowBatch } from '../model/index.js';

export interface FieldType {
  typeName: string;
  name?: string;
  fields?: { name: string; type: FieldType }[];
  decode(buffer: Buffer, pos: number): { value: unknown; offset: number };
  toBuffer(value: unknown): Buffer;
}

/** The Flow record's fields (name:avsc type), in the schema's order. */
export const FLOW_FIELDS = [
  'interface:string',
  'ifIndex:int',
  'direction:enum',
  'etherType:int',
  'srcMac:fixed',
  'dstMac:fixed',
  'srcAddr:fixed',
  'dstAddr:fixed',
  'protocol:int',
  'srcPort:int',
  'dstPort:int',
  'icmpType:int',
  'icmpCode:int',
  'packets:long',
  'bytes:long',
  'firstSeen:long',
  'lastSeen:long',
  'tcpFlags:int',
  'dscp:int',
  'sampling:int',
  'netobservTcpFlags:int',
  'dupList:array',
  'drops:union',
  'dns:union',
  'rtt:long',
  'networkEvents:array',
  'xlat:union',
  'ipsec:union',
  'tls:union',
  'quic:union',
];
export const HEADER_FIELDS = [
  'agentName:string',
  'agentIp:string',
  'sequence:long',
  'part:int',
  'parts:int',
  'intervalStart:long',
  'intervalEnd:long',
  'ringBufferPackets:long',
  'lostPackets:long',
  'flows:array',
];

/** A long avsc reads and writes: within ±(2^53 - 2) (avsc leaves one off each bound for rounding). */
export const isAvroLong = (value: number) => Number.isInteger(value) && value >= -9007199254740990 && value <= 9007199254740990;

export const shape = (fields: { name: string; type: FieldType }[]) =>
  fields.map((field) => `${field.name}:${field.type.typeName.replace(/^union:.*/, 'union')}`);

/** A parsed FlowBatch schema's header and Flow fields, and the Flow types the rare fields are read and written with. */
export function flowFieldsOf(type: avro.Type) {
  const batch = type as unknown as FieldType;
  const flows = batch.fields!.find((field) => field.name === 'flows')!.type as unknown as { itemsType: FieldType };
  const flow = flows.itemsType.fields!;
  const fieldType = (name: string) => flow.find((field) => field.name === name)?.type as FieldType;
  return {
    header: shape(batch.fields!),
    flow,
    flowType: flows.itemsType,
    DUP_LIST: fieldType('dupList'),
    NETWORK_EVENTS: fieldType('networkEvents'),
    UNIONS: (['drops', 'dns', 'xlat', 'ipsec', 'tls', 'quic'] as const).map((name) => [name, fieldType(name)] as const),
  };
}

const scratch = new Scratch();

function writeLong(value: number, what: string): void {
  if (value >= 0 && value < 0x40000000 && value === Math.floor(value)) writeSmall(value);
  else if (isAvroLong(value)) scratch.pos = writeLongAt(scratch.buffer, scratch.pos, value);
  else throw new Error(`${what} ${value} is not an Avro long (an integer within ±(2^53 - 2))`);
}

/** An Avro int: 32 bits, as avsc's writer requires. */
function writeInt(value: number): void {
  if (value >= 0 && value < 0x40000000 && value === Math.floor(value)) writeSmall(value);
  else if (value === (value | 0)) scratch.pos = writeLongAt(scratch.buffer, scratch.pos, value);
  else throw new Error(`${value} is not an Avro int (32 bits)`);
}

/** The zigzag varint of an integer from 0 to 2^30 (the common case, without 64-bit halves). */
function writeSmall(value: number): void {
  const out = scratch.buffer;
  let z = value * 2;
  while (z > 127) {
    out[scratch.pos++] = (z & 127) | 128;
    z >>>= 7;
  }
  out[scratch.pos++] = z;
}

function writeBytes(bytes: Uint8Array): void {
  scratch.ensure(bytes.length + 10);
  writeInt(bytes.length);
  scratch.buffer.set(bytes, scratch.pos);
  scratch.pos += bytes.length;
}

/** A rare field: its default's one byte (null, or an empty array), or avsc's encoding of the value. */
function writeRare(type: FieldType, value: unknown): void {
  if (value === undefined || value === null) {
    scratch.buffer[scratch.pos++] = 0;
    return;
  }
  const bytes = type.toBuffer(value);
  scratch.ensure(bytes.length + 64);
  scratch.buffer.set(bytes, scratch.pos);
  scratch.pos += bytes.length;
}

/** The most bytes a flow takes besides its name and rare fields: 10 per varint, 44 fixed. */
const FLOW_BOUND = 44 + 30 * 10;

/** The batch in Avro (this revision of the schema), as avsc's toBuffer writes it; throws for a value the schema cannot hold. */

/**
 * The writer for this revision of the schema (`batchType`); throws when its fields are not
 * FLOW_FIELDS. It returns a copy of its own, or with `into` a view of that scratch (no copy).
 */
export function createColumnsWriter(batchType: avro.Type): (batch: ColumnarFlowBatch, into?: Scratch) => Buffer {
  const { header, flow, DUP_LIST, NETWORK_EVENTS, UNIONS } = flowFieldsOf(batchType);
  if (shape(flow).join() !== FLOW_FIELDS.join() || header.join() !== HEADER_FIELDS.join()) {
    throw new Error(`the Avro columns reader and writer do not match schemas/flow-batch.avsc: ${header.join()} / ${shape(flow).join()}`);
  }
  return (batch, into) => {
    if (into) return scratch.writeInto(into, () => writeFlowBatchColumns(batch));
    writeFlowBatchColumns(batch);
    return scratch.copy();
  };

  function writeFlowBatchColumns(batch: ColumnarFlowBatch): void {
    const { flows } = batch;
    const names = flows.names.map((name) => Buffer.from(name, 'utf8'));
    scratch.pos = 0;
    writeBytes(Buffer.from(batch.agentName, 'utf8'));
    writeBytes(Buffer.from(batch.agentIp, 'utf8'));
    scratch.ensure(100);
    writeLong(batch.sequence, 'sequence');
    writeLong(batch.part, 'part');
    writeLong(batch.parts, 'parts');
    writeLong(batch.intervalStart, 'intervalStart');
    writeLong(batch.intervalEnd, 'intervalEnd');
    writeLong(batch.ringBufferPackets, 'ringBufferPackets');
    writeLong(batch.lostPackets, 'lostPackets');
    if (flows.length > 0) writeInt(flows.length); // one block holding every flow
    const { macs, addresses } = flows;
    for (let index = 0; index < flows.length; index++) {
      const name = names[flows.interfaceIndex[index]];
      scratch.ensure(FLOW_BOUND + 2 * name.length + 20);
      const out = scratch.buffer;
      writeInt(name.length);
      for (let i = 0; i < name.length; i++) out[scratch.pos++] = name[i];
      writeInt(flows.ifIndex[index]);
      const direction = flows.direction[index];
      out[scratch.pos++] = direction * 2;
      writeInt(flows.etherType[index]);
      for (let i = 0, from = index * MAC_BYTES; i < 12; i++) out[scratch.pos++] = macs[from + i];
      for (let i = 0, from = index * ADDRESS_BYTES; i < 32; i++) out[scratch.pos++] = addresses[from + i];
      writeInt(flows.protocol[index]);
      writeInt(flows.srcPort[index]);
      writeInt(flows.dstPort[index]);
      writeInt(flows.icmpType[index]);
      writeInt(flows.icmpCode[index]);
      writeLong(flows.packets[index], 'packets');
      writeLong(flows.bytes[index], 'bytes');
      writeLong(flows.firstSeen[index], 'firstSeen');
      writeLong(flows.lastSeen[index], 'lastSeen');
      writeInt(flows.tcpFlags[index]);
      writeInt(flows.dscp[index]);
      writeInt(flows.sampling[index]);
      writeInt(flows.netobservTcpFlags[index]);
      const features = flows.features.get(index);
      const kind = flows.dupListKind[index];
      if (kind === DUP_LIST_OWN) {
        // A block of one entry: the name, the direction's symbol index, an empty UDN; the end.
        out[scratch.pos++] = 2;
        writeInt(name.length);
        for (let i = 0; i < name.length; i++) out[scratch.pos++] = name[i];
        out[scratch.pos++] = direction * 2;
        out[scratch.pos++] = 0;
        out[scratch.pos++] = 0;
      } else {
        writeRare(DUP_LIST, kind === DUP_LIST_OTHER && features!.dupList!.length > 0 ? features!.dupList : undefined);
      }
      writeRare(UNIONS[0][1], features?.drops);
      writeRare(UNIONS[1][1], features?.dns);
      scratch.ensure(10);
      writeLong(flows.rtt[index], 'rtt');
      writeRare(NETWORK_EVENTS, features?.networkEvents?.length ? features.networkEvents : undefined);
      for (let u = 2; u < UNIONS.length; u++) writeRare(UNIONS[u][1], features?.[UNIONS[u][0]]);
    }
    scratch.ensure(1);
    scratch.buffer[scratch.pos++] = 0; // end of the flows array
  }
}
