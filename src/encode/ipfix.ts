// IPFIX (RFC 7011) messages as NetObserv's agent exports them (EXPORT=ipfix+udp|tcp): one template
// for IPv4 flows (id 256) and one for IPv6 (id 257), with the IANA information elements and order
// of NetObserv's pkg/exporter/ipfix.go, observation domain 1, no enterprise-specific elements.
// Written by hand into Buffers: npm has no maintained IPFIX writer (the packages there are
// collectors/parsers or unmaintained), and the format is a handful of fixed-width fields. Records
// are written straight from the drained flow_record structs (no per-flow objects), at the offsets
// src/encode/flow-fields.ts gives for the same FlowRecord fields.
import { FIELD_OFFSETS, RECORD_SIZE, readNsAsUs, type DrainedFlows } from '../model/index.js';
import { FLOW_FIELD_SOURCES, type FieldSource } from './flow-fields.js';

const IPFIX_VERSION = 10;
const TEMPLATE_SET_ID = 2;
const TEMPLATE_IPV4 = 256;
const TEMPLATE_IPV6 = 257;
const OBSERVATION_DOMAIN = 1;
const MESSAGE_HEADER_BYTES = 16;
const SET_HEADER_BYTES = 4;
/** RFC 7011 §7: a field length of 65535 in a template means variable length. */
const VARIABLE_LENGTH = 0xffff;
const ETH_IPV6 = 0x86dd;
/** RFC 7011's 16-bit message length. */
export const MAX_MESSAGE_BYTES = 0xffff;

/** [information element id, length] in template order. */
type FieldSpec = readonly [number, number];

const BEFORE_ADDRESSES: FieldSpec[] = [
  [256, 2], // ethernetType
  [61, 1], // flowDirection: 0 ingress, 1 egress
  [56, 6], // sourceMacAddress
  [80, 6], // destinationMacAddress
];
const AFTER_ICMP: FieldSpec[] = [
  [1, 8], // octetDeltaCount
  [6, 2], // tcpControlBits (16 bits since RFC 7125; NetObserv puts its 0x100-0x400 values there)
  [150, 4], // flowStartSeconds
  [152, 8], // flowStartMilliseconds
  [151, 4], // flowEndSeconds
  [153, 8], // flowEndMilliseconds
  [2, 8], // packetDeltaCount
  [82, VARIABLE_LENGTH], // interfaceName
];

const IPV4_FIELDS: readonly FieldSpec[] = [
  ...BEFORE_ADDRESSES,
  [8, 4], // sourceIPv4Address
  [12, 4], // destinationIPv4Address
  [4, 1], // protocolIdentifier
  [7, 2], // sourceTransportPort
  [11, 2], // destinationTransportPort
  [176, 1], // icmpTypeIPv4
  [177, 1], // icmpCodeIPv4
  ...AFTER_ICMP,
];

const IPV6_FIELDS: readonly FieldSpec[] = [
  ...BEFORE_ADDRESSES,
  [27, 16], // sourceIPv6Address
  [28, 16], // destinationIPv6Address
  [193, 1], // nextHeaderIPv6
  [7, 2], // sourceTransportPort
  [11, 2], // destinationTransportPort
  [178, 1], // icmpTypeIPv6
  [179, 1], // icmpCodeIPv6
  ...AFTER_ICMP,
];

/** Bytes of a data record before its variable-length interface name. */
const fixedBytes = (fields: readonly FieldSpec[]) => fields.reduce((sum, [, length]) => sum + (length === VARIABLE_LENGTH ? 0 : length), 0);
const IPV4_FIXED = fixedBytes(IPV4_FIELDS);
const IPV6_FIXED = fixedBytes(IPV6_FIELDS);

/** The template set announcing both templates (RFC 7011 §3.4.1). */
function templateSet(): Buffer {
  const templates = [
    [TEMPLATE_IPV4, IPV4_FIELDS],
    [TEMPLATE_IPV6, IPV6_FIELDS],
  ] as const;
  const length = SET_HEADER_BYTES + templates.reduce((sum, [, fields]) => sum + 4 + 4 * fields.length, 0);
  const set = Buffer.alloc(length);
  set.writeUInt16BE(TEMPLATE_SET_ID, 0);
  set.writeUInt16BE(length, 2);
  let pos = SET_HEADER_BYTES;
  for (const [id, fields] of templates) {
    pos = set.writeUInt16BE(id, pos);
    pos = set.writeUInt16BE(fields.length, pos);
    for (const [element, size] of fields) {
      pos = set.writeUInt16BE(element, pos);
      pos = set.writeUInt16BE(size, pos);
    }
  }
  return set;
}

const TEMPLATE_SET = templateSet();

/** Where a FlowRecord field lives in a flow_record (the NetObserv flags are tcp_flags' high half). */
function offsetOf(field: keyof typeof FLOW_FIELD_SOURCES): number {
  const source: FieldSource = FLOW_FIELD_SOURCES[field];
  if (!source.from) throw new Error(`${field} is not in the drained flow_record`);
  return FIELD_OFFSETS[source.from][0] + (source.as === 'high16' ? 2 : 0);
}

const ETHER_TYPE = offsetOf('etherType');
const DIRECTION = offsetOf('direction');
const SRC_MAC = offsetOf('srcMac');
const DST_MAC = offsetOf('dstMac');
const SRC_ADDR = offsetOf('srcAddr');
const DST_ADDR = offsetOf('dstAddr');
const PROTOCOL = offsetOf('protocol');
const SRC_PORT = offsetOf('srcPort');
const DST_PORT = offsetOf('dstPort');
const ICMP_TYPE = offsetOf('icmpType');
const ICMP_CODE = offsetOf('icmpCode');
const BYTES = offsetOf('bytes');
const PACKETS = offsetOf('packets');
const FIRST_SEEN = offsetOf('firstSeen');
const LAST_SEEN = offsetOf('lastSeen');
const NETOBSERV_TCP_FLAGS = offsetOf('netobservTcpFlags');
const IF_INDEX = offsetOf('ifIndex');

const isIpv6 = (records: Buffer, base: number): boolean => records.readUInt16LE(base + ETHER_TYPE) === ETH_IPV6;

/**
 * The flows' indexes, IPv4 (and non-IP, on the IPv4 template as NetObserv does) first, then IPv6:
 * at most two data sets a message.
 */
export function byTemplate(flows: DrainedFlows): Uint32Array {
  const order = new Uint32Array(flows.length);
  let v4 = 0;
  let v6 = flows.length;
  for (let index = 0; index < flows.length; index++) {
    if (isIpv6(flows.records, index * RECORD_SIZE)) order[--v6] = index;
    else order[v4++] = index;
  }
  order.subarray(v6).reverse(); // IPv6 flows in drain order too
  return order;
}

/** Linux names are at most 15 bytes; the cap keeps the name's length prefix to one byte (RFC 7011 §7). */
const NAME_MAX_BYTES = 64;

/** An interface's name as UTF-8, memoised per name. */
const names = new Map<string, Buffer>();
function nameOf(flows: DrainedFlows, base: number): Buffer {
  const text = flows.interfaceName(flows.records.readUInt32LE(base + IF_INDEX));
  let name = names.get(text);
  if (!name) {
    name = Buffer.from(text, 'utf8').subarray(0, NAME_MAX_BYTES);
    if (names.size > 4096) names.clear();
    names.set(text, name);
  }
  return name;
}

/** A few bytes as they are: a loop beats Buffer.copy at these sizes (6 to 16 bytes). */
function copyBytes(from: Uint8Array, at: number, length: number, out: Buffer, pos: number): number {
  for (let i = 0; i < length; i++) out[pos + i] = from[at + i];
  return pos + length;
}

/** A little-endian counter of the struct, big-endian on the wire: the bytes reversed, exact at any size. */
function copyUint64(records: Buffer, at: number, out: Buffer, pos: number): number {
  for (let i = 0; i < 8; i++) out[pos + i] = records[at + 7 - i];
  return pos + 8;
}

function writeTime(records: Buffer, at: number, out: Buffer, pos: number): number {
  const microseconds = readNsAsUs(records, at);
  pos = out.writeUInt32BE(Math.floor(microseconds / 1e6), pos); // flowStart/EndSeconds
  const milliseconds = Math.floor(microseconds / 1e3);
  const high = Math.floor(milliseconds / 2 ** 32);
  pos = out.writeUInt32BE(high, pos); // flowStart/EndMilliseconds, 64 bits
  return out.writeUInt32BE(milliseconds - high * 2 ** 32, pos);
}

/** One data record in template order (IPV4_FIELDS or IPV6_FIELDS). */
function writeRecord(out: Buffer, pos: number, records: Buffer, base: number, v6: boolean, name: Buffer): number {
  pos = out.writeUInt16BE(records.readUInt16LE(base + ETHER_TYPE), pos);
  out[pos++] = records[base + DIRECTION]; // FLOWCAST_DIRECTION_*: 0 ingress, 1 egress, as flowDirection
  pos = copyBytes(records, base + SRC_MAC, 6, out, pos);
  pos = copyBytes(records, base + DST_MAC, 6, out, pos);
  // Addresses are 16 bytes, IPv4 mapped (::ffff:a.b.c.d): IPv4 takes the last four.
  const skip = v6 ? 0 : 12;
  pos = copyBytes(records, base + SRC_ADDR + skip, 16 - skip, out, pos);
  pos = copyBytes(records, base + DST_ADDR + skip, 16 - skip, out, pos);
  out[pos++] = records[base + PROTOCOL];
  pos = out.writeUInt16BE(records.readUInt16LE(base + SRC_PORT), pos);
  pos = out.writeUInt16BE(records.readUInt16LE(base + DST_PORT), pos);
  out[pos++] = records[base + ICMP_TYPE];
  out[pos++] = records[base + ICMP_CODE];
  pos = copyUint64(records, base + BYTES, out, pos);
  // NetObserv's value (SYN+ACK 0x100, ...), as its IPFIX has it
  pos = out.writeUInt16BE(records.readUInt16LE(base + NETOBSERV_TCP_FLAGS), pos);
  pos = writeTime(records, base + FIRST_SEEN, out, pos);
  pos = writeTime(records, base + LAST_SEEN, out, pos);
  pos = copyUint64(records, base + PACKETS, out, pos);
  out[pos++] = name.length;
  return copyBytes(name, 0, name.length, out, pos);
}

export interface IpfixMessage {
  /** The whole message, its own Buffer. */
  bytes: Buffer;
  /** Data records in it: what the sequence number counts. */
  records: number;
}

/**
 * Writes IPFIX messages of at most `maxBytes` each. The caller keeps the stream's sequence number
 * (data records sent before the message, RFC 7011 §3.1) and decides when templates go along.
 */
export class IpfixWriter {
  private readonly scratch: Buffer;

  constructor(readonly maxBytes: number) {
    // Room for the header, the templates and one record with the longest name we write.
    const least = MESSAGE_HEADER_BYTES + TEMPLATE_SET.length + SET_HEADER_BYTES + IPV6_FIXED + 1 + NAME_MAX_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < least || maxBytes > MAX_MESSAGE_BYTES) {
      throw new RangeError(`IPFIX message size ${maxBytes} must be an integer from ${least} to ${MAX_MESSAGE_BYTES}`);
    }
    this.scratch = Buffer.allocUnsafe(maxBytes);
  }

  /**
   * One message holding the flows `order[from...]` as far as they fit (`order` from byTemplate),
   * with the template set first when `templates`. `exportSeconds` is the header's export time.
   */
  message(flows: DrainedFlows, order: Uint32Array, from: number, sequence: number, exportSeconds: number, templates: boolean): IpfixMessage {
    const out = this.scratch;
    const records = flows.records;
    let pos = MESSAGE_HEADER_BYTES;
    if (templates) pos += TEMPLATE_SET.copy(out, pos);
    let setAt = -1;
    let setV6 = false;
    let index = from;
    for (; index < order.length; index++) {
      const base = order[index] * RECORD_SIZE;
      const name = nameOf(flows, base);
      const v6 = isIpv6(records, base);
      const opensSet = setAt < 0 || v6 !== setV6;
      if (pos + (opensSet ? SET_HEADER_BYTES : 0) + (v6 ? IPV6_FIXED : IPV4_FIXED) + 1 + name.length > this.maxBytes) break;
      if (opensSet) {
        if (setAt >= 0) out.writeUInt16BE(pos - setAt, setAt + 2);
        setAt = pos;
        setV6 = v6;
        pos = out.writeUInt16BE(v6 ? TEMPLATE_IPV6 : TEMPLATE_IPV4, pos);
        pos += 2; // the set's length, written when it closes
      }
      pos = writeRecord(out, pos, records, base, v6, name);
    }
    if (setAt >= 0) out.writeUInt16BE(pos - setAt, setAt + 2);
    out.writeUInt16BE(IPFIX_VERSION, 0);
    out.writeUInt16BE(pos, 2);
    out.writeUInt32BE(exportSeconds >>> 0, 4);
    out.writeUInt32BE(sequence >>> 0, 8);
    out.writeUInt32BE(OBSERVATION_DOMAIN, 12);
    return { bytes: Buffer.from(out.subarray(0, pos)), records: index - from };
  }
}
