// The flow record, and how the Buffer a drain returns decodes into records (fixed offsets from layout.ts).
// A FlowRecord is the Avro Flow record of schemas/flow-batch.avsc as it is: same names, same types
// (test/encode/avro.test.ts checks), so encoding needs no per-flow conversion. The fields of
// NetObserv's optional features are optional here: a drained flow leaves them out, and Avro
// writes their defaults.
import ipaddr from 'ipaddr.js';

import { DIRECTION_EGRESS, EXTRAS_OFFSETS, EXTRAS_SIZE, OBSERVED_SLOTS, OBSERVED_SLOT_SIZE, RECORD_SIZE, offsetOf } from './layout.js';

/** The hook a flow was counted at. */
export type Direction = 'ingress' | 'egress';

export interface FlowRecord {
  /** Interface index in the agent's network namespace, and its name at drain time. */
  ifIndex: number;
  interface: string;
  direction: Direction;
  etherType: number;
  /** 6 bytes each. Views into the drained Buffer. */
  srcMac: Buffer;
  dstMac: Buffer;
  /** 16 bytes each; IPv4 is IPv4-mapped (::ffff:a.b.c.d). Zero for non-IP. Views into the drained Buffer. */
  srcAddr: Buffer;
  dstAddr: Buffer;
  protocol: number;
  srcPort: number;
  dstPort: number;
  icmpType: number;
  icmpCode: number;
  packets: number;
  /** Frame bytes: the L2 header included, FCS excluded. */
  bytes: number;
  /** Microseconds since the Unix epoch. */
  firstSeen: number;
  lastSeen: number;
  /** Raw TCP header flags, OR'ed over the packets (FIN 0x01 ... CWR 0x80, NS 0x100). */
  tcpFlags: number;
  dscp: number;
  /** 1 in `sampling` packets was counted. */
  sampling: number;
  /** TCP flags as NetObserv counts them (pbflow `flags`): one value per packet, SYN+ACK 0x100, FIN+ACK 0x200, RST+ACK 0x400, ..., OR'ed. */
  netobservTcpFlags: number;
  /** The interfaces the flow was seen on (NetObserv's dup_list); the first is the one counted (interface, direction), then the others the same packets crossed (DEDUPER=firstCome). */
  dupList: InterfaceDirection[];
  /** NetObserv's optional features, carried from NetObserv agents (absent or null: not tracked). */
  drops?: FlowDrops | null;
  dns?: FlowDns | null;
  /** Smoothed TCP RTT in nanoseconds; 0: not measured. */
  rtt?: number;
  networkEvents?: Record<string, string>[];
  xlat?: FlowXlat | null;
  ipsec?: FlowIpsec | null;
  tls?: FlowTls | null;
  quic?: FlowQuic | null;
}

export interface InterfaceDirection {
  interface: string;
  /** both: seen each way on this interface (NetObserv's direction 3). */
  direction: Direction | 'both';
  /** User-defined network; '' if none. */
  udn: string;
}

export interface FlowDrops {
  bytes: number;
  packets: number;
  /** The last dropped packet's flags, valued as netobservTcpFlags. */
  latestFlags: number;
  latestState: number;
  latestDropCause: number;
}

export interface FlowDns {
  id: number;
  flags: number;
  /** Nanoseconds. */
  latency: number;
  errno: number;
  name: string;
}

export interface FlowXlat {
  /** 16 bytes each, IPv4 mapped. */
  srcAddr: Buffer;
  dstAddr: Buffer;
  srcPort: number;
  dstPort: number;
  zoneId: number;
}

export interface FlowIpsec {
  encrypted: boolean;
  encryptedRet: number;
}

export interface FlowTls {
  sslVersion: number;
  sslMismatch: boolean;
  types: number;
  cipherSuite: number;
  keyShare: number;
}

export interface FlowQuic {
  version: number;
  seenLongHeader: number;
  seenShortHeader: number;
}

// Exported for the writers that read the same fields from the drained structs (drained-columns.ts,
// src/export/stdout.ts).
export const SRC_MAC = offsetOf('metrics.src_mac');
export const DST_MAC = offsetOf('metrics.dst_mac');
export const SRC_IP = offsetOf('key.src_ip');
export const DST_IP = offsetOf('key.dst_ip');
export const IF_INDEX = offsetOf('metrics.if_index');
export const ETH_PROTOCOL = offsetOf('key.eth_protocol');
export const SRC_PORT = offsetOf('key.src_port');
export const DST_PORT = offsetOf('key.dst_port');
export const DIRECTION = offsetOf('metrics.direction');
export const OBSERVED = offsetOf('metrics.observed');
export const PROTOCOL = offsetOf('key.protocol');
export const ICMP_TYPE = offsetOf('key.icmp_type');
export const ICMP_CODE = offsetOf('key.icmp_code');
export const PACKETS = offsetOf('metrics.packets');
export const BYTES = offsetOf('metrics.bytes');
export const FIRST_SEEN = offsetOf('metrics.first_seen');
export const LAST_SEEN = offsetOf('metrics.last_seen');
export const TCP_FLAGS = offsetOf('metrics.tcp_flags');
export const DSCP = offsetOf('metrics.dscp');
export const SAMPLING = offsetOf('metrics.sampling');
/** tcp_flags packs the header's bits below and NetObserv's value above (FLOWCAST_TCP_* in bpf/flow.h). */
export const TCP_HEADER_FLAGS = TCP_FLAGS;
export const NETOBSERV_TCP_FLAGS = TCP_FLAGS + 2;

const TWO_32 = 2 ** 32;

/** An unsigned 64-bit little-endian integer; exact up to 2^53 (counters never get near it). */
export function readUint64(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset) + buffer.readUInt32LE(offset + 4) * TWO_32;
}

/** Nanoseconds since the epoch to whole microseconds, without an inexact 64-bit double of ns. */
export function readNsAsUs(buffer: Buffer, offset: number): number {
  return Math.floor(buffer.readUInt32LE(offset) / 1e3 + buffer.readUInt32LE(offset + 4) * (TWO_32 / 1e3));
}

const DROP_PACKETS = EXTRAS_OFFSETS.drop_packets[0];
const DROP_BYTES = EXTRAS_OFFSETS.drop_bytes[0];
const RTT_NS = EXTRAS_OFFSETS.rtt_ns[0];
const DROP_CAUSE = EXTRAS_OFFSETS.drop_cause[0];
const DROP_FLAGS = EXTRAS_OFFSETS.drop_flags[0];
const DROP_STATE = EXTRAS_OFFSETS.drop_state[0];
const HAS_DROPS = EXTRAS_OFFSETS.has_drops[0];
const [DNS_NAME, DNS_NAME_SIZE] = EXTRAS_OFFSETS.dns_name;

/** dup_list directions of an observed slot's direction bits (1 ingress, 2 egress, 3 both). */
const OBSERVED_DIRECTIONS: readonly (InterfaceDirection['direction'] | undefined)[] = [undefined, 'ingress', 'egress', 'both'];

/** Whether the flow_record at `base` lists other interfaces (slots are taken in order: the first tells). */
export function hasObserved(records: Buffer, base: number): boolean {
  return records.readUInt32LE(base + OBSERVED) !== 0;
}

/**
 * The other interfaces of the flow_record at `base` (metrics.observed, DEDUPER=firstCome): the
 * index and directions of each used slot, in the order the kernel listed them; `visit` is called
 * for each, so that writers need no array.
 */
export function forEachObserved(records: Buffer, base: number, visit: (ifIndex: number, direction: InterfaceDirection['direction']) => void): void {
  for (let slot = base + OBSERVED, end = slot + OBSERVED_SLOTS * OBSERVED_SLOT_SIZE; slot < end; slot += OBSERVED_SLOT_SIZE) {
    const ifIndex = records.readUInt32LE(slot);
    if (ifIndex === 0) return; // slots are taken in order
    visit(ifIndex, OBSERVED_DIRECTIONS[records[slot + 4] & 3] ?? 'both');
  }
}

/** flow_extras.dns_name: dotted printable ASCII (the addon made it so), NUL-terminated. */
export function readDnsName(extras: Buffer, base: number): string {
  const start = base + DNS_NAME;
  const end = extras.indexOf(0, start);
  return extras.toString('latin1', start, end < 0 || end > start + DNS_NAME_SIZE ? start + DNS_NAME_SIZE : end);
}

/** The drops, DNS and RTT of one flow_extras struct, as the Avro Flow's fields. */
export function decodeExtras(extras: Buffer, base: number): Pick<FlowRecord, 'drops' | 'dns' | 'rtt'> {
  return {
    dns: extras[base + EXTRAS_OFFSETS.has_dns[0]]
      ? {
          id: extras.readUInt16LE(base + EXTRAS_OFFSETS.dns_id[0]),
          flags: extras.readUInt16LE(base + EXTRAS_OFFSETS.dns_flags[0]),
          latency: readUint64(extras, base + EXTRAS_OFFSETS.dns_latency_ns[0]),
          errno: extras[base + EXTRAS_OFFSETS.dns_errno[0]],
          name: readDnsName(extras, base),
        }
      : null,
    drops: extras[base + HAS_DROPS]
      ? {
          bytes: readUint64(extras, base + DROP_BYTES),
          packets: readUint64(extras, base + DROP_PACKETS),
          latestFlags: extras.readUInt16LE(base + DROP_FLAGS),
          latestState: extras[base + DROP_STATE],
          latestDropCause: extras.readUInt32LE(base + DROP_CAUSE),
        }
      : null,
    rtt: readUint64(extras, base + RTT_NS),
  };
}

/**
 * Per-flow objects from packed flow_record structs (a whole number of them: see DrainedFlows),
 * with drops, DNS and rtt when the drain tracked them (`extras`: one flow_extras per record).
 */
export function decodeFlows(drained: Buffer, interfaceName: (ifIndex: number) => string, extras?: Buffer): FlowRecord[] {
  const flows: FlowRecord[] = new Array(drained.length / RECORD_SIZE);
  for (let index = 0, base = 0; base < drained.length; index++, base += RECORD_SIZE) {
    const ifIndex = drained.readUInt32LE(base + IF_INDEX);
    const name = interfaceName(ifIndex);
    const direction = drained[base + DIRECTION] === DIRECTION_EGRESS ? 'egress' : 'ingress';
    flows[index] = {
      ifIndex,
      interface: name,
      direction,
      etherType: drained.readUInt16LE(base + ETH_PROTOCOL),
      srcMac: drained.subarray(base + SRC_MAC, base + SRC_MAC + 6),
      dstMac: drained.subarray(base + DST_MAC, base + DST_MAC + 6),
      srcAddr: drained.subarray(base + SRC_IP, base + SRC_IP + 16),
      dstAddr: drained.subarray(base + DST_IP, base + DST_IP + 16),
      protocol: drained[base + PROTOCOL],
      srcPort: drained.readUInt16LE(base + SRC_PORT),
      dstPort: drained.readUInt16LE(base + DST_PORT),
      icmpType: drained[base + ICMP_TYPE],
      icmpCode: drained[base + ICMP_CODE],
      packets: readUint64(drained, base + PACKETS),
      bytes: readUint64(drained, base + BYTES),
      firstSeen: readNsAsUs(drained, base + FIRST_SEEN),
      lastSeen: readNsAsUs(drained, base + LAST_SEEN),
      tcpFlags: drained.readUInt16LE(base + TCP_HEADER_FLAGS),
      dscp: drained[base + DSCP],
      sampling: drained.readUInt32LE(base + SAMPLING),
      netobservTcpFlags: drained.readUInt16LE(base + NETOBSERV_TCP_FLAGS),
      dupList: [{ interface: name, direction, udn: '' }],
    };
    forEachObserved(drained, base, (other, seen) => flows[index].dupList.push({ interface: interfaceName(other), direction: seen, udn: '' }));
    if (extras) Object.assign(flows[index], decodeExtras(extras, index * EXTRAS_SIZE));
  }
  return flows;
}

/** "10.0.0.1" for an IPv4-mapped address, RFC 5952 text ("fd00::1") otherwise. */
export function formatAddress(address: Uint8Array): string {
  return formatAddressAt(address, 0);
}

/** formatAddress of the 16 bytes at `at` (a drained Buffer's field, without a view of it). */
export function formatAddressAt(bytes: Uint8Array, at: number): string {
  // IPv4 (mapped) by hand: ipaddr's parse of 16 bytes cost 4 µs, a third of a JSON line (EXPORT=stdout).
  if (isIpv4Mapped(bytes, at)) return `${bytes[at + 12]}.${bytes[at + 13]}.${bytes[at + 14]}.${bytes[at + 15]}`;
  const parsed = ipaddr.fromByteArray(Array.from(bytes.subarray(at, at + 16)));
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address().toString() : parsed.toString();
}

function isIpv4Mapped(bytes: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 10; i++) if (bytes[i] !== 0) return false;
  return bytes[at + 10] === 0xff && bytes[at + 11] === 0xff;
}

const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

export function formatMac(mac: Uint8Array): string {
  return formatMacAt(mac, 0);
}

/** formatMac of the 6 bytes at `at`. */
export function formatMacAt(bytes: Uint8Array, at: number): string {
  return `${HEX_BYTES[bytes[at]]}:${HEX_BYTES[bytes[at + 1]]}:${HEX_BYTES[bytes[at + 2]]}:${HEX_BYTES[bytes[at + 3]]}:${HEX_BYTES[bytes[at + 4]]}:${HEX_BYTES[bytes[at + 5]]}`;
}

const TCP_STATES = [
  '',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
];

/** NetObserv's name of a TCP state (Drops.latestState): TCP_ESTABLISHED ...; 0 is no socket. */
export function tcpStateName(state: number): string {
  if (state === 0) return 'NONE';
  return state < TCP_STATES.length ? `TCP_${TCP_STATES[state]}` : 'TCP_INVALID_STATE';
}

/**
 * NetObserv's names of the DNS response codes (Flowlogs Pipeline's DnsFlagsResponseCode). Its
 * table goes on with the extended codes 16-21 (BADVERS ...), which 4 bits of the header never hold.
 */
const DNS_RCODES: Record<number, string> = {
  0: 'NoError',
  1: 'FormErr',
  2: 'ServFail',
  3: 'NXDomain',
  4: 'NotImp',
  5: 'Refused',
  6: 'YXDomain',
  7: 'YXRRSet',
  8: 'NXRRSet',
  9: 'NotAuth',
  10: 'NotZone',
};

/** The name of the response code in a DNS header's flags word (its low 4 bits), as NetObserv. */
export function dnsResponseCodeName(flags: number): string {
  return DNS_RCODES[flags & 0xf] ?? 'UnDefined';
}
