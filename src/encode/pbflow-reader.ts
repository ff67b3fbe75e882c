// Reads a pbflow Records message straight from the Buffer into FlowColumns, converting each
// Record as toFlowRecord (src/encode/pbflow.ts) does: the flow a consumer or the bridge wants.
//
// Hand-written next to protobufjs on purpose: protobufjs decodes into one object per Record and
// per nested message (timestamps, data link, network, each IP, transport, each dup_list entry),
// then toObject copies each again; that measured 9-11 µs per record (docs/benchmarks.md,
// "Collector"), this well under 1. Malformed input is an error (PbflowDecodeError) as with
// protobufjs: truncation, a varint over 10 bytes, a wire type that does not exist; a known field
// with another wire type than proto/flow.proto's is one too (protobufjs would misread it).
// test/collector/fast-decoders.test.ts compares the output with protobufjs and toFlowRecord.
import ipaddr from 'ipaddr.js';

import * as model from '../model/flow-columns.js';
import { FlowColumns, type FlowColumnsPool, type FlowFeatures } from '../model/flow-columns.js';
import { isAvroLong } from './avro-columns-writer.js';
import { headerFlagsOf, PbflowDecodeError } from './pbflow.js';

export interface ColumnarRecords {
  flows: FlowColumns;
  /** The first record's agent_ip as text ('' when absent). */
  agentIp: string;
  /** Why a record is not a flow (a time out of range), as the gRPC collector refuses it; undefined when all are. */
  invalid?: string;
  /**
   * Why a record cannot be a flowcast flow in Avro (a MAC over 48 bits, a count, time or duration
   * past 2^53); undefined when all can, and then writeFlowBatchColumns takes every flow.
   */
  unrepresentable?: string;
}

// Local copies: the hot loop reads them per record.
const { ADDRESS_BYTES, DUP_LIST_OTHER, DUP_LIST_OWN, MAC_BYTES } = model;
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;
const TWO_32 = 2 ** 32;
/** Flow times from 1970 up to what microseconds hold as safe integers (year 2255). */
const MAX_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1e6);
const U8 = 0xff;
const U16 = 0xffff;
const INT_MAX = 2 ** 31 - 1;
const IPV4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

let buf: Uint8Array = new Uint8Array(0);
let pos = 0;
/** The high 32 bits of the last varint read (readVarint returns the low 32). */
let high = 0;

const fail = (what: string): never => {
  throw new PbflowDecodeError(`not a pbflow Records message: ${what}`);
};

/** A varint's low 32 bits (unsigned); its high 32 bits in `high`. */
function readVarint(): number {
  let b = buf[pos++];
  if (b < 0x80) {
    high = 0;
    return b;
  }
  let low = b & 0x7f;
  for (let shift = 7; shift < 28; shift += 7) {
    b = buf[pos++];
    low |= (b & 0x7f) << shift;
    if (b < 0x80) {
      high = 0;
      return low >>> 0;
    }
  }
  b = buf[pos++]; // bits 28-34
  low = (low | ((b & 0x0f) << 28)) >>> 0;
  high = (b & 0x7f) >> 4;
  if (b < 0x80) return low;
  for (let shift = 3; shift < 32; shift += 7) {
    b = buf[pos++];
    high = (high | ((b & 0x7f) << shift)) >>> 0;
    if (b < 0x80) return low;
  }
  if (pos > buf.length) fail('index out of range');
  return fail('invalid varint encoding');
}

/** A uint64 as a number (inexact past 2^53, as protobufjs's longs: Number). */
function readUint64(): number {
  const low = readVarint();
  return low + high * TWO_32;
}

/** An int64 (two's complement) as a number. */
function readInt64(): number {
  const low = readVarint();
  return (high | 0) * TWO_32 + low;
}

/** The end of the length-delimited field starting at pos. */
function delimitedEnd(): number {
  const length = readVarint();
  if (high !== 0 || pos + length > buf.length) fail('index out of range');
  return pos + length;
}

/** Skips a field of an unknown number. */
function skip(wireType: number): void {
  if (wireType === VARINT) readVarint();
  else if (wireType === FIXED64) pos += 8;
  else if (wireType === LENGTH_DELIMITED) pos = delimitedEnd();
  else if (wireType === FIXED32) pos += 4;
  else fail(`invalid wire type ${wireType} at offset ${pos}`);
  if (pos > buf.length) fail('index out of range');
}

function expect(wireType: number, wanted: number, field: number): void {
  if (wireType !== wanted) fail(`field ${field} has wire type ${wireType}, expected ${wanted}`);
}

function readString(): string {
  const end = delimitedEnd();
  const start = pos;
  pos = end;
  return text(start, end - start);
}

const text = (start: number, length: number) => Buffer.from(buf.buffer, buf.byteOffset + start, length).toString('utf8');

/** A Timestamp or Duration: [seconds, nanos]; nanos as int32. */
const time = [0, 0];
function readTime(): void {
  const end = delimitedEnd();
  time[0] = 0;
  time[1] = 0;
  while (pos < end) {
    const tag = readVarint();
    const field = tag >>> 3;
    if (field === 1) {
      expect(tag & 7, VARINT, 1);
      time[0] = readInt64();
    } else if (field === 2) {
      expect(tag & 7, VARINT, 2);
      time[1] = readVarint() | 0;
    } else skip(tag & 7);
  }
  if (pos !== end) fail('index out of range');
}

/**
 * An IP message into out[at, at + 16) as 16 bytes, IPv4 mapped (as mappedAddress in pbflow.ts: the
 * IPv6 bytes when 16 of them, else the IPv4 integer when not 0, else zero).
 */
let ipKind: 'none' | 'ipv4' | 'ipv6' = 'none';
function readIp(out: Uint8Array, at: number): void {
  const end = delimitedEnd();
  let ipv4 = 0;
  let ipv6At = -1;
  while (pos < end) {
    const tag = readVarint();
    const field = tag >>> 3;
    if (field === 1) {
      expect(tag & 7, FIXED32, 1);
      ipv4 = (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)) + buf[pos + 3] * 16777216;
      pos += 4;
    } else if (field === 2) {
      expect(tag & 7, LENGTH_DELIMITED, 2);
      const bytesEnd = delimitedEnd();
      ipv6At = bytesEnd - pos === 16 ? pos : -1;
      pos = bytesEnd;
    } else skip(tag & 7);
  }
  if (pos !== end) fail('index out of range');
  ipKind = ipv6At >= 0 ? 'ipv6' : ipv4 !== 0 ? 'ipv4' : 'none';
  if (ipv6At >= 0) {
    for (let i = 0; i < 16; i++) out[at + i] = buf[ipv6At + i];
  } else if (ipv4 !== 0) {
    for (let i = 0; i < 12; i++) out[at + i] = IPV4_MAPPED[i];
    out[at + 12] = ipv4 >>> 24;
    out[at + 13] = (ipv4 >>> 16) & 0xff;
    out[at + 14] = (ipv4 >>> 8) & 0xff;
    out[at + 15] = ipv4 & 0xff;
  } else {
    for (let i = 0; i < 16; i++) out[at + i] = 0;
  }
}

/** A pbflow direction (0 INGRESS, 1 EGRESS, NetObserv's 3 both, anything else ingress) as flowcast's. */
const directionOf = (value: number): 'ingress' | 'egress' | 'both' => (value === 1 ? 'egress' : value === 3 ? 'both' : 'ingress');

/** Scratch for the fields of one Record that are not columns. */
const ipScratch = new Uint8Array(16);

/** With `pool`, the columns are taken from it (the caller gives them back; on an error they are given back here). */
export function readRecords(data: Uint8Array, pool?: FlowColumnsPool): ColumnarRecords {
  buf = data;
  pos = 0;
  let flows: FlowColumns | undefined;
  try {
    // First pass: where each Record is (and the top level is well formed).
    const starts: number[] = [];
    const ends: number[] = [];
    while (pos < buf.length) {
      const tag = readVarint();
      if (tag >>> 3 === 1) {
        expect(tag & 7, LENGTH_DELIMITED, 1);
        const end = delimitedEnd();
        starts.push(pos);
        ends.push(end);
        pos = end;
      } else skip(tag & 7);
    }
    flows = pool ? pool.take(starts.length) : new FlowColumns(starts.length);
    const result: ColumnarRecords = { flows, agentIp: '' };
    for (let index = 0; index < starts.length; index++) {
      pos = starts[index];
      readRecord(flows, index, ends[index], result);
    }
    return result;
  } catch (error) {
    if (flows) pool?.give(flows);
    if (error instanceof PbflowDecodeError) throw error;
    throw new PbflowDecodeError(`not a pbflow Records message: ${(error as Error).message}`);
  } finally {
    buf = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);

function checkTime(result: ColumnarRecords, name: string, seconds: number, nanos: number): void {
  if (result.invalid === undefined && (seconds < 0 || seconds > MAX_SECONDS || nanos < 0 || nanos > 999_999_999)) {
    result.invalid = `${name} {seconds: ${seconds}, nanos: ${nanos}} is out of range (1970 to 2255, nanos 0 to 999999999)`;
  }
}

function unrepresentable(result: ColumnarRecords, what: string): void {
  result.unrepresentable ??= what;
}

function readRecord(flows: FlowColumns, index: number, end: number, result: ColumnarRecords): void {
  let ethProtocol = 0;
  let direction = 0;
  let interfaceStart = -1;
  let interfaceLength = 0;
  let flags = 0;
  let sampling = 0;
  // Scalars, not arrays: a record allocates nothing unless it has a rare field.
  let hasStart = false,
    startSeconds = 0,
    startNanos = 0;
  let hasEnd = false,
    endSeconds = 0,
    endNanos = 0;
  let rtt = 0;
  let dropBytes = 0,
    dropPackets = 0,
    dropFlags = 0,
    dropState = 0,
    dropCause = 0;
  let dnsId = 0,
    dnsFlags = 0,
    dnsLatency = 0,
    dnsErrno = 0,
    dnsName = '';
  let ipsecEncrypted = 0,
    ipsecRet = 0;
  let sslVersion = 0,
    sslMismatch = false,
    tlsTypes = 0,
    tlsCipher = 0,
    tlsKeyShare = 0;
  let dupCount = 0;
  let firstNameStart = 0,
    firstNameLength = 0;
  let firstDirection: 'ingress' | 'egress' | 'both' = 'both';
  let firstUdnStart = 0,
    firstUdnLength = 0;
  let dupRest: { interface: string; direction: 'ingress' | 'egress' | 'both'; udn: string }[] | undefined;
  let networkEvents: Record<string, string>[] | undefined;
  let xlat: FlowFeatures['xlat'];
  let quic: FlowFeatures['quic'];
  let protocol = 0,
    srcPort = 0,
    dstPort = 0,
    dscp = 0;
  let networkSeen = false;
  const macAt = index * MAC_BYTES;
  const addressAt = index * ADDRESS_BYTES;
  const { macs, addresses } = flows;
  // Absent messages are zero: the columns start zeroed, and a repeated message replaces the last.
  while (pos < end) {
    const tag = readVarint();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        expect(wireType, VARINT, field);
        ethProtocol = readVarint();
        break;
      case 2:
        expect(wireType, VARINT, field);
        direction = readVarint() | 0;
        break;
      case 3:
      case 4:
        expect(wireType, LENGTH_DELIMITED, field);
        readTime();
        if (field === 3) {
          hasStart = true;
          startSeconds = time[0];
          startNanos = time[1];
        } else {
          hasEnd = true;
          endSeconds = time[0];
          endNanos = time[1];
        }
        break;
      case 5: {
        expect(wireType, LENGTH_DELIMITED, field);
        const linkEnd = delimitedEnd();
        let src = 0,
          dst = 0;
        while (pos < linkEnd) {
          const inner = readVarint();
          if (inner >>> 3 === 1 || inner >>> 3 === 2) {
            expect(inner & 7, VARINT, inner >>> 3);
            const value = readUint64();
            if (value > 0xffffffffffff) unrepresentable(result, `a MAC of ${value} (more than 48 bits)`);
            if (inner >>> 3 === 1) src = value;
            else dst = value;
          } else skip(inner & 7);
        }
        if (pos !== linkEnd) fail('index out of range');
        writeMac(macs, macAt, src);
        writeMac(macs, macAt + 6, dst);
        break;
      }
      case 6: {
        expect(wireType, LENGTH_DELIMITED, field);
        const networkEnd = delimitedEnd();
        if (networkSeen) addresses.fill(0, addressAt, addressAt + 32); // a repeated Network replaces the last
        networkSeen = true;
        dscp = 0;
        while (pos < networkEnd) {
          const inner = readVarint();
          const innerField = inner >>> 3;
          if (innerField === 1 || innerField === 2) {
            expect(inner & 7, LENGTH_DELIMITED, innerField);
            readIp(addresses, addressAt + (innerField - 1) * 16);
          } else if (innerField === 3) {
            expect(inner & 7, VARINT, 3);
            dscp = readVarint();
          } else skip(inner & 7);
        }
        if (pos !== networkEnd) fail('index out of range');
        break;
      }
      case 7: {
        expect(wireType, LENGTH_DELIMITED, field);
        const transportEnd = delimitedEnd();
        srcPort = dstPort = protocol = 0;
        while (pos < transportEnd) {
          const inner = readVarint();
          const innerField = inner >>> 3;
          if (innerField >= 1 && innerField <= 3) {
            expect(inner & 7, VARINT, innerField);
            const value = readVarint();
            if (innerField === 1) srcPort = value;
            else if (innerField === 2) dstPort = value;
            else protocol = value;
          } else skip(inner & 7);
        }
        if (pos !== transportEnd) fail('index out of range');
        break;
      }
      case 8:
      case 9: {
        expect(wireType, VARINT, field);
        const value = readUint64();
        if (!isAvroLong(value)) unrepresentable(result, `a count of ${value} (past 2^53)`);
        if (field === 8) flows.bytes[index] = value;
        else flows.packets[index] = value;
        break;
      }
      case 10: {
        expect(wireType, LENGTH_DELIMITED, field);
        const stringEnd = delimitedEnd();
        interfaceStart = pos;
        interfaceLength = stringEnd - pos;
        pos = stringEnd;
        break;
      }
      case 12:
        expect(wireType, LENGTH_DELIMITED, field);
        readIp(ipScratch, 0);
        if (index === 0)
          result.agentIp = ipKind === 'none' ? '' : ipaddr.fromByteArray(Array.from(ipKind === 'ipv4' ? ipScratch.subarray(12) : ipScratch)).toString();
        break;
      case 13:
        expect(wireType, VARINT, field);
        flags = readVarint();
        break;
      case 14:
        expect(wireType, VARINT, field);
        flows.icmpType[index] = readVarint() & U8;
        break;
      case 15:
        expect(wireType, VARINT, field);
        flows.icmpCode[index] = readVarint() & U8;
        break;
      case 16:
      case 17: {
        expect(wireType, VARINT, field);
        const value = readUint64();
        if (!isAvroLong(value)) unrepresentable(result, `a count of ${value} (past 2^53)`);
        if (field === 16) dropBytes = value;
        else dropPackets = value;
        break;
      }
      case 18:
        expect(wireType, VARINT, field);
        dropFlags = readVarint();
        break;
      case 19:
        expect(wireType, VARINT, field);
        dropState = readVarint();
        break;
      case 20:
        expect(wireType, VARINT, field);
        dropCause = readVarint();
        break;
      case 21:
        expect(wireType, VARINT, field);
        dnsId = readVarint();
        break;
      case 22:
        expect(wireType, VARINT, field);
        dnsFlags = readVarint();
        break;
      case 23:
      case 24:
        expect(wireType, LENGTH_DELIMITED, field);
        readTime();
        if (field === 23) dnsLatency = time[0] * 1e9 + time[1];
        else rtt = time[0] * 1e9 + time[1];
        if (!isAvroLong(time[0] * 1e9 + time[1])) unrepresentable(result, `a duration of ${time[0]} s ${time[1]} ns (past 2^53 ns)`);
        break;
      case 25:
        expect(wireType, VARINT, field);
        dnsErrno = readVarint();
        break;
      case 26: {
        // The first entry is kept as positions: materialised only when the list is not the flow's own entry.
        expect(wireType, LENGTH_DELIMITED, field);
        const entryEnd = delimitedEnd();
        let nameStart = 0,
          nameLength = 0,
          entryDirection = 0,
          udnStart = 0,
          udnLength = 0;
        while (pos < entryEnd) {
          const inner = readVarint();
          const innerField = inner >>> 3;
          if (innerField === 1 || innerField === 3) {
            expect(inner & 7, LENGTH_DELIMITED, innerField);
            const stringEnd = delimitedEnd();
            if (innerField === 1) {
              nameStart = pos;
              nameLength = stringEnd - pos;
            } else {
              udnStart = pos;
              udnLength = stringEnd - pos;
            }
            pos = stringEnd;
          } else if (innerField === 2) {
            expect(inner & 7, VARINT, 2);
            entryDirection = readVarint() | 0;
          } else skip(inner & 7);
        }
        if (pos !== entryEnd) fail('index out of range');
        if (dupCount++ === 0) {
          firstNameStart = nameStart;
          firstNameLength = nameLength;
          firstDirection = directionOf(entryDirection);
          firstUdnStart = udnStart;
          firstUdnLength = udnLength;
        } else {
          (dupRest ??= []).push({ interface: text(nameStart, nameLength), direction: directionOf(entryDirection), udn: text(udnStart, udnLength) });
        }
        break;
      }
      case 27: {
        expect(wireType, LENGTH_DELIMITED, field);
        const eventEnd = delimitedEnd();
        const events: Record<string, string> = {};
        while (pos < eventEnd) {
          const inner = readVarint();
          if (inner >>> 3 === 1) {
            expect(inner & 7, LENGTH_DELIMITED, 1);
            const entryEnd = delimitedEnd();
            let key = '',
              value = '';
            while (pos < entryEnd) {
              const entryTag = readVarint();
              if (entryTag >>> 3 === 1) {
                expect(entryTag & 7, LENGTH_DELIMITED, 1);
                key = readString();
              } else if (entryTag >>> 3 === 2) {
                expect(entryTag & 7, LENGTH_DELIMITED, 2);
                value = readString();
              } else skip(entryTag & 7);
            }
            if (pos !== entryEnd) fail('index out of range');
            events[key] = value;
          } else skip(inner & 7);
        }
        if (pos !== eventEnd) fail('index out of range');
        (networkEvents ??= []).push(events);
        break;
      }
      case 28: {
        expect(wireType, LENGTH_DELIMITED, field);
        const xlatEnd = delimitedEnd();
        const value = { srcAddr: Buffer.alloc(16), dstAddr: Buffer.alloc(16), srcPort: 0, dstPort: 0, zoneId: 0 };
        while (pos < xlatEnd) {
          const inner = readVarint();
          const innerField = inner >>> 3;
          if (innerField === 1 || innerField === 2) {
            expect(inner & 7, LENGTH_DELIMITED, innerField);
            readIp(innerField === 1 ? value.srcAddr : value.dstAddr, 0);
          } else if (innerField >= 3 && innerField <= 5) {
            expect(inner & 7, VARINT, innerField);
            const number = readVarint() & U16;
            if (innerField === 3) value.srcPort = number;
            else if (innerField === 4) value.dstPort = number;
            else value.zoneId = number;
          } else skip(inner & 7);
        }
        if (pos !== xlatEnd) fail('index out of range');
        xlat = value;
        break;
      }
      case 29:
        expect(wireType, VARINT, field);
        sampling = readVarint();
        break;
      case 30:
        expect(wireType, VARINT, field);
        ipsecEncrypted = readVarint();
        break;
      case 31:
        expect(wireType, VARINT, field);
        ipsecRet = readVarint() | 0;
        break;
      case 32:
        expect(wireType, LENGTH_DELIMITED, field);
        dnsName = readString();
        break;
      case 33:
        expect(wireType, VARINT, field);
        sslVersion = readVarint();
        break;
      case 34:
        expect(wireType, VARINT, field);
        sslMismatch = readVarint() !== 0;
        break;
      case 35:
        expect(wireType, VARINT, field);
        tlsTypes = readVarint();
        break;
      case 36:
        expect(wireType, VARINT, field);
        tlsCipher = readVarint();
        break;
      case 37:
        expect(wireType, VARINT, field);
        tlsKeyShare = readVarint();
        break;
      case 38: {
        expect(wireType, LENGTH_DELIMITED, field);
        const quicEnd = delimitedEnd();
        const value = { version: 0, seenLongHeader: 0, seenShortHeader: 0 };
        while (pos < quicEnd) {
          const inner = readVarint();
          const innerField = inner >>> 3;
          if (innerField >= 1 && innerField <= 3) {
            expect(inner & 7, VARINT, innerField);
            const number = readVarint();
            if (innerField === 1) value.version = number;
            else if (innerField === 2) value.seenLongHeader = number & U8;
            else value.seenShortHeader = number & U8;
          } else skip(inner & 7);
        }
        if (pos !== quicEnd) fail('index out of range');
        quic = value;
        break;
      }
      default:
        skip(wireType); // 11 (duplicate, deprecated) and fields of later revisions
    }
  }
  if (pos !== end) fail('index out of range');
  if (hasStart) checkTime(result, 'time_flow_start', startSeconds, startNanos);
  if (hasEnd) checkTime(result, 'time_flow_end', endSeconds, endNanos);

  // As toFlowRecord: interface and direction from dup_list's first entry, else fields 10 and 2.
  const flowDirection = firstDirection !== 'both' ? firstDirection : direction === 1 ? 'egress' : 'ingress';
  const directionIndex = flowDirection === 'egress' ? 1 : 0;
  const nameIndex =
    dupCount > 0
      ? flows.nameAt(buf, firstNameStart, firstNameLength)
      : interfaceStart >= 0
        ? flows.nameAt(buf, interfaceStart, interfaceLength)
        : flows.nameIndex('');
  flows.interfaceIndex[index] = nameIndex;
  flows.direction[index] = directionIndex;
  flows.etherType[index] = ethProtocol & U16;
  flows.protocol[index] = protocol & U8;
  flows.srcPort[index] = srcPort & U16;
  flows.dstPort[index] = dstPort & U16;
  const firstSeen = hasStart ? startSeconds * 1e6 + Math.floor(startNanos / 1000) : 0;
  const lastSeen = hasEnd ? endSeconds * 1e6 + Math.floor(endNanos / 1000) : 0;
  if (!isAvroLong(firstSeen) || !isAvroLong(lastSeen)) unrepresentable(result, `a time of ${Math.max(firstSeen, lastSeen)} µs (past 2^53)`);
  flows.firstSeen[index] = firstSeen;
  flows.lastSeen[index] = lastSeen;
  flows.tcpFlags[index] = headerFlagsOf(flags & U16);
  flows.netobservTcpFlags[index] = flags & U16;
  flows.dscp[index] = dscp & U8;
  flows.sampling[index] = Math.min(sampling, INT_MAX) || 1;
  flows.rtt[index] = rtt;
  let features: FlowFeatures | undefined;
  if (dupCount > 0 && (dupCount > 1 || firstUdnLength > 0 || firstDirection !== flowDirection)) {
    const dupList = [{ interface: flows.names[nameIndex], direction: firstDirection, udn: text(firstUdnStart, firstUdnLength) }, ...(dupRest ?? [])];
    features = { dupList };
    flows.dupListKind[index] = DUP_LIST_OTHER;
  } else {
    flows.dupListKind[index] = DUP_LIST_OWN;
  }
  if (dropBytes || dropPackets || dropFlags || dropState || dropCause) {
    (features ??= {}).drops = { bytes: dropBytes, packets: dropPackets, latestFlags: dropFlags & U16, latestState: dropState & U8, latestDropCause: dropCause };
  }
  if (dnsId || dnsFlags || dnsLatency || dnsErrno || dnsName) {
    (features ??= {}).dns = { id: dnsId & U16, flags: dnsFlags & U16, latency: dnsLatency, errno: dnsErrno & U8, name: dnsName };
  }
  if (networkEvents) (features ??= {}).networkEvents = networkEvents;
  if (xlat) (features ??= {}).xlat = xlat;
  if (ipsecEncrypted || ipsecRet) (features ??= {}).ipsec = { encrypted: ipsecEncrypted !== 0, encryptedRet: ipsecRet };
  if (sslVersion || sslMismatch || tlsTypes || tlsCipher || tlsKeyShare) {
    (features ??= {}).tls = { sslVersion: sslVersion & U16, sslMismatch, types: tlsTypes, cipherSuite: tlsCipher & U16, keyShare: tlsKeyShare & U16 };
  }
  if (quic) (features ??= {}).quic = quic;
  if (features) flows.features.set(index, features);
}

/** A 48-bit MAC (a uint64, most significant byte first) as 6 bytes. */
function writeMac(out: Uint8Array, at: number, value: number): void {
  const top = Math.floor(value / TWO_32);
  const low = value - top * TWO_32;
  out[at] = (top >>> 8) & 0xff;
  out[at + 1] = top & 0xff;
  out[at + 2] = low >>> 24;
  out[at + 3] = (low >>> 16) & 0xff;
  out[at + 4] = (low >>> 8) & 0xff;
  out[at + 5] = low & 0xff;
}
