// IPFIX (RFC 7011) messages as NetObserv's agent exports them (EXPORT=ipfix+udp|tcp): one template
// for IPv4 flows (id 256) and one for IPv6 (id 257), with the IANA information elements and order
// of NetObserv's pkg/exporter/ipfix.go, observation domain 1, no enterprise-specific elements.
// Written by hand into Buffers: npm has no maintained IPFIX writer (the packages there are
// collectors/parsers or unmaintained), and the format is a handful of fixed-width fields.
import type { FlowRecord } from '../capture/decode.js';

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
  const templates = [[TEMPLATE_IPV4, IPV4_FIELDS], [TEMPLATE_IPV6, IPV6_FIELDS]] as const;
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

const TWO_32 = 2 ** 32;

function writeUint64(out: Buffer, pos: number, value: number): number {
  const high = Math.floor(value / TWO_32);
  out.writeUInt32BE(high, pos);
  out.writeUInt32BE(value - high * TWO_32, pos + 4);
  return pos + 8;
}

const isIpv6 = (flow: FlowRecord): boolean => flow.etherType === ETH_IPV6;

/** Flows reordered IPv4 (and non-IP, on the IPv4 template as NetObserv does) first, then IPv6: at most two data sets a message. */
export function byTemplate(flows: readonly FlowRecord[]): FlowRecord[] {
  return [...flows.filter((flow) => !isIpv6(flow)), ...flows.filter(isIpv6)];
}

/** Linux names are at most 15 bytes; the cap keeps the name's length prefix to one byte (RFC 7011 §7). */
const NAME_MAX_BYTES = 64;

/** A flow's interface name as UTF-8, memoised per name. */
const names = new Map<string, Buffer>();
function nameOf(flow: FlowRecord): Buffer {
  let name = names.get(flow.interface);
  if (!name) {
    name = Buffer.from(flow.interface, 'utf8').subarray(0, NAME_MAX_BYTES);
    if (names.size > 4096) names.clear();
    names.set(flow.interface, name);
  }
  return name;
}

function recordBytes(flow: FlowRecord, name: Buffer): number {
  return (isIpv6(flow) ? IPV6_FIXED : IPV4_FIXED) + 1 + name.length;
}

function writeRecord(out: Buffer, pos: number, flow: FlowRecord, name: Buffer): number {
  const v6 = isIpv6(flow);
  pos = out.writeUInt16BE(flow.etherType, pos);
  out[pos++] = flow.direction === 'egress' ? 1 : 0;
  pos += flow.srcMac.copy(out, pos, 0, 6);
  pos += flow.dstMac.copy(out, pos, 0, 6);
  // Addresses are 16 bytes, IPv4 mapped (::ffff:a.b.c.d): IPv4 takes the last four.
  pos += flow.srcAddr.copy(out, pos, v6 ? 0 : 12, 16);
  pos += flow.dstAddr.copy(out, pos, v6 ? 0 : 12, 16);
  out[pos++] = flow.protocol;
  pos = out.writeUInt16BE(flow.srcPort, pos);
  pos = out.writeUInt16BE(flow.dstPort, pos);
  out[pos++] = flow.icmpType;
  out[pos++] = flow.icmpCode;
  pos = writeUint64(out, pos, flow.bytes);
  pos = out.writeUInt16BE(flow.netobservTcpFlags, pos); // NetObserv's value (SYN+ACK 0x100, ...), as its IPFIX has it
  pos = out.writeUInt32BE(Math.floor(flow.firstSeen / 1e6), pos);
  pos = writeUint64(out, pos, Math.floor(flow.firstSeen / 1e3));
  pos = out.writeUInt32BE(Math.floor(flow.lastSeen / 1e6), pos);
  pos = writeUint64(out, pos, Math.floor(flow.lastSeen / 1e3));
  pos = writeUint64(out, pos, flow.packets);
  out[pos++] = name.length;
  return pos + name.copy(out, pos);
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
   * One message holding `flows[from...]` as far as they fit (flows ordered by `byTemplate`), with
   * the template set first when `templates`. `exportSeconds` is the header's export time.
   */
  message(flows: readonly FlowRecord[], from: number, sequence: number, exportSeconds: number, templates: boolean): IpfixMessage {
    const out = this.scratch;
    let pos = MESSAGE_HEADER_BYTES;
    if (templates) pos += TEMPLATE_SET.copy(out, pos);
    let setAt = -1;
    let setV6 = false;
    let index = from;
    for (; index < flows.length; index++) {
      const flow = flows[index];
      const name = nameOf(flow);
      const v6 = isIpv6(flow);
      const opensSet = setAt < 0 || v6 !== setV6;
      if (pos + (opensSet ? SET_HEADER_BYTES : 0) + recordBytes(flow, name) > this.maxBytes) break;
      if (opensSet) {
        if (setAt >= 0) out.writeUInt16BE(pos - setAt, setAt + 2);
        setAt = pos;
        setV6 = v6;
        pos = out.writeUInt16BE(v6 ? TEMPLATE_IPV6 : TEMPLATE_IPV4, pos);
        pos += 2; // the set's length, written when it closes
      }
      pos = writeRecord(out, pos, flow, name);
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
