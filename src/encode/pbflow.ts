// NetObserv's pbflow protocol (proto/flow.proto): flowcast flows to Records, and Records back.
// Writing is hand-written (below), from flow objects or columns; protobufjs, loading
// proto/flow.proto, is the object decoder, src/encode/pbflow-reader.ts the fast one (into columns).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import ipaddr from 'ipaddr.js';
import type protobuf from 'protobufjs';

import { ADDRESS_BYTES, DUP_LIST_OTHER, FlowColumns, MAC_BYTES } from '../model/flow-columns.js';
import { isColumns, type FlowRecord } from '../model/index.js';
import { Scratch, writeVarint, writeVarintHalves } from './scratch.js';

export const FLOW_PROTO_PATH = fileURLToPath(new URL('../../proto/flow.proto', import.meta.url));
let recordsType: protobuf.Type | undefined;
/**
 * protobufjs and the parsed proto, loaded on the first object decode: the agent only writes
 * (about 9 MB of RSS it would never use, docs/benchmarks.md "Cost in every export mode").
 */
function recordsMessageType(): protobuf.Type {
  if (!recordsType) {
    const { loadSync } = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
    recordsType = loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');
  }
  return recordsType;
}

const ETH_IPV6 = 0x86dd;
const IPV4_MAPPED = Buffer.from('00000000000000000000ffff', 'hex');

/** NetObserv's per-packet TCP flag values past the header's eight, and what each stands for. */
const SYN_ACK = 0x100;
const FIN_ACK = 0x200;
const RST_ACK = 0x400;
const [FIN, SYN, RST, ACK] = [0x01, 0x02, 0x04, 0x10];

/** A pbflow Record as the decoder returns it (proto3 defaults filled in, 64-bit values as numbers). */
export interface PbflowRecord {
  ethProtocol: number;
  direction: PbflowDirection;
  timeFlowStart?: PbflowTime | null;
  timeFlowEnd?: PbflowTime | null;
  dataLink?: { srcMac: number; dstMac: number } | null;
  network?: { srcAddr?: PbflowIp | null; dstAddr?: PbflowIp | null; dscp: number } | null;
  transport?: { srcPort: number; dstPort: number; protocol: number } | null;
  bytes: number;
  packets: number;
  interface: string;
  duplicate: boolean;
  agentIp?: PbflowIp | null;
  /** NetObserv's TCP flags: one value per packet (SYN_ACK 0x100, FIN_ACK 0x200, RST_ACK 0x400, ...), OR'ed. */
  flags: number;
  icmpType: number;
  icmpCode: number;
  pktDropBytes: number;
  pktDropPackets: number;
  pktDropLatestFlags: number;
  pktDropLatestState: number;
  pktDropLatestDropCause: number;
  dnsId: number;
  dnsFlags: number;
  dnsLatency?: PbflowTime | null;
  timeFlowRtt?: PbflowTime | null;
  dnsErrno: number;
  /** The interfaces seen, the first the one counted; direction 3 (a number) is NetObserv's "both". */
  dupList: { interface: string; direction: PbflowDirection | number; udn: string }[];
  networkEventsMetadata: { events: Record<string, string> }[];
  xlat?: { srcAddr?: PbflowIp | null; dstAddr?: PbflowIp | null; srcPort: number; dstPort: number; zoneId: number } | null;
  sampling: number;
  ipsecEncrypted: number;
  ipsecEncryptedRet: number;
  dnsName: string;
  sslVersion: number;
  sslMismatch: boolean;
  tlsTypes: number;
  tlsCipherSuite: number;
  tlsKeyShare: number;
  quic?: { version: number; seenLongHdr: number; seenShortHdr: number } | null;
}

export type PbflowDirection = 'INGRESS' | 'EGRESS';

/** google.protobuf.Timestamp or Duration. */
export interface PbflowTime {
  seconds: number;
  nanos: number;
}

export interface PbflowIp {
  ipv4?: number;
  ipv6?: Buffer;
}

// The Records writer is hand-written over a reused Buffer: protobufjs's Writer queues one object
// per write (about 40 a record) and spent 59% of the export in garbage collection (see
// docs/benchmarks.md). A nested message's length gets one byte, written after its body, and
// the body is moved along in the rare case it needs more; a Record's gets two, compacted the same
// way. test/collector/pbflow.test.ts decodes the output with protobufjs loading proto/flow.proto.
const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;
const DIRECTION_VALUES: Record<string, number> = { ingress: 0, egress: 1, both: 3 };

const scratch = new Scratch();

function varint(value: number): void {
  scratch.pos = writeVarint(scratch.buffer, scratch.pos, value);
}

function tag(field: number, wireType: number): void {
  if (field < 16) scratch.buffer[scratch.pos++] = (field << 3) | wireType;
  else varint((field << 3) | wireType);
}

/** A varint field of a non-negative value; proto3 leaves zero out. */
function uint(field: number, value: number): void {
  if (!value) return;
  tag(field, VARINT);
  varint(value);
}

/** An int32 field: a negative value is the varint of its 64-bit two's complement. */
function int32(field: number, value: number): void {
  if (!value) return;
  tag(field, VARINT);
  scratch.pos = value < 0 ? writeVarintHalves(scratch.buffer, scratch.pos, 0xffffffff, value >>> 0) : writeVarint(scratch.buffer, scratch.pos, value);
}

function bytes(field: number, value: Uint8Array): void {
  scratch.ensure(value.length + 8);
  tag(field, LENGTH_DELIMITED);
  varint(value.length);
  scratch.buffer.set(value, scratch.pos);
  scratch.pos += value.length;
}

function string(field: number, text: string): void {
  if (text) bytes(field, Buffer.from(text, 'utf8'));
}

/** Opens a nested message: returns where its one-byte length goes. */
function open(field: number): number {
  tag(field, LENGTH_DELIMITED);
  return scratch.pos++;
}

/** Writes the length of the message opened at `at` with `reserved` bytes for it, moving the body if it needs other than that. */
function close(at: number, reserved = 1): void {
  const length = scratch.pos - at - reserved;
  const needed = length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : length < 0x10000000 ? 4 : 5;
  if (needed !== reserved) {
    scratch.ensure(needed);
    scratch.buffer.copyWithin(at + needed, at + reserved, scratch.pos);
    scratch.pos += needed - reserved;
  }
  writeVarint(scratch.buffer, at, length);
}

/** An IP message from address[at, at + 16): IPv6 when the flow is IPv6, else IPv4 from the last four bytes (as NetObserv's FlowToPB). */
function writeIp(field: number, address: Uint8Array, ipv6: boolean, at = 0): void {
  const ip = open(field);
  if (!ipv6) {
    scratch.buffer[scratch.pos++] = (1 << 3) | FIXED32; // the address as an integer, fixed32 is little-endian on the wire
    scratch.buffer[scratch.pos++] = address[at + 15];
    scratch.buffer[scratch.pos++] = address[at + 14];
    scratch.buffer[scratch.pos++] = address[at + 13];
    scratch.buffer[scratch.pos++] = address[at + 12];
  } else {
    scratch.buffer[scratch.pos++] = (2 << 3) | LENGTH_DELIMITED;
    scratch.buffer[scratch.pos++] = 16;
    for (let i = 0; i < 16; i++) scratch.buffer[scratch.pos++] = address[at + i];
  }
  close(ip);
}

const isMapped = (address: Uint8Array) => Buffer.from(address.buffer, address.byteOffset, 12).equals(IPV4_MAPPED);

function writeTime(field: number, seconds: number, nanos: number): void {
  const at = open(field);
  uint(1, seconds); // int64 and int32 of non-negative values encode as these varints
  uint(2, nanos);
  close(at);
}

function writeTimestamp(field: number, microseconds: number): void {
  const seconds = Math.floor(microseconds / 1e6);
  writeTime(field, seconds, (microseconds - seconds * 1e6) * 1000);
}

function writeDuration(field: number, nanoseconds: number): void {
  const seconds = Math.floor(nanoseconds / 1e9);
  writeTime(field, seconds, nanoseconds - seconds * 1e9);
}

/**
 * One pbflow Records message holding `flows` (objects, or columns: the bridge's Avro decoded fast,
 * written without an object per flow); `agentIp` (text) goes into every record. A copy of its own,
 * or with `into` a view of that scratch (valid until it is written again: no copy).
 */
export function encodeRecords(flows: readonly FlowRecord[] | FlowColumns, agentIp: string, into?: Scratch): Buffer {
  if (into) return scratch.writeInto(into, () => writeRecords(flows, agentIp));
  writeRecords(flows, agentIp);
  return scratch.copy();
}

function writeRecords(flows: readonly FlowRecord[] | FlowColumns, agentIp: string): void {
  const columns = isColumns(flows) ? flows : FlowColumns.fromRecords(flows as readonly FlowRecord[]);
  const agentAddress = agentIp ? ipToMapped(agentIp) : undefined;
  const agentIpv6 = agentAddress ? !isMapped(agentAddress) : false;
  const nameBuffers = columns.names.map((name) => Buffer.from(name, 'utf8'));
  const names = new Map<string, Buffer>(columns.names.map((name, index) => [name, nameBuffers[index]]));
  const encoded = (text: string) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = Buffer.from(text, 'utf8')));
    return name;
  };
  const { macs, addresses, features, dupListKind } = columns;
  scratch.pos = 0;
  for (let index = 0; index < columns.length; index++) {
    const name = nameBuffers[columns.interfaceIndex[index]];
    const direction = columns.direction[index];
    // Every field but the lists and the DNS name, each at its largest, takes 378 bytes and the name.
    scratch.ensure(512 + name.length);
    tag(1, LENGTH_DELIMITED); // Records.entries
    const recordAt = scratch.pos;
    scratch.pos += 2; // room for a two-byte length
    const etherType = columns.etherType[index];
    uint(1, etherType);
    uint(2, direction);
    writeTimestamp(3, columns.firstSeen[index]);
    writeTimestamp(4, columns.lastSeen[index]);
    const link = open(5);
    uint(1, macs.readUIntBE(index * MAC_BYTES, 6));
    uint(2, macs.readUIntBE(index * MAC_BYTES + 6, 6));
    close(link);
    // Network and Transport for every flow, non-IP too (zero addresses as IPv4), as NetObserv.
    const ipv6 = etherType === ETH_IPV6;
    const network = open(6);
    writeIp(1, addresses, ipv6, index * ADDRESS_BYTES);
    writeIp(2, addresses, ipv6, index * ADDRESS_BYTES + 16);
    uint(3, columns.dscp[index]);
    close(network);
    const transport = open(7);
    uint(1, columns.srcPort[index]);
    uint(2, columns.dstPort[index]);
    uint(3, columns.protocol[index]);
    close(transport);
    uint(8, columns.bytes[index]);
    uint(9, columns.packets[index]);
    bytes(10, name);
    if (agentAddress) writeIp(12, agentAddress, agentIpv6);
    uint(13, columns.netobservTcpFlags[index]);
    uint(14, columns.icmpType[index]);
    uint(15, columns.icmpCode[index]);
    const flow = features.get(index);
    if (flow?.drops) {
      uint(16, flow.drops.bytes);
      uint(17, flow.drops.packets);
      uint(18, flow.drops.latestFlags);
      uint(19, flow.drops.latestState);
      uint(20, flow.drops.latestDropCause);
    }
    if (flow?.dns) {
      uint(21, flow.dns.id);
      uint(22, flow.dns.flags);
      if (flow.dns.latency) writeDuration(23, flow.dns.latency);
    }
    const rtt = columns.rtt[index];
    if (rtt) writeDuration(24, rtt);
    if (flow?.dns) uint(25, flow.dns.errno);
    // Current Flowlogs Pipeline takes interfaces and directions only from dup_list.
    if (dupListKind[index] !== DUP_LIST_OTHER) writeDupEntry(name, direction, '');
    else for (const entry of flow!.dupList!) writeDupEntry(encoded(entry.interface), DIRECTION_VALUES[entry.direction], entry.udn);
    if (flow?.networkEvents) for (const event of flow.networkEvents) writeNetworkEvent(event);
    if (flow?.xlat) {
      const xlat = open(28);
      writeIp(1, flow.xlat.srcAddr, ipv6);
      writeIp(2, flow.xlat.dstAddr, ipv6);
      uint(3, flow.xlat.srcPort);
      uint(4, flow.xlat.dstPort);
      uint(5, flow.xlat.zoneId);
      close(xlat);
    }
    uint(29, columns.sampling[index]);
    if (flow?.ipsec) {
      uint(30, flow.ipsec.encrypted ? 1 : 0);
      int32(31, flow.ipsec.encryptedRet);
    }
    if (flow?.dns) string(32, flow.dns.name);
    if (flow?.tls) {
      scratch.ensure(64);
      uint(33, flow.tls.sslVersion);
      uint(34, flow.tls.sslMismatch ? 1 : 0);
      uint(35, flow.tls.types);
      uint(36, flow.tls.cipherSuite);
      uint(37, flow.tls.keyShare);
    }
    if (flow?.quic) {
      scratch.ensure(32);
      const quic = open(38);
      uint(1, flow.quic.version);
      uint(2, flow.quic.seenLongHeader);
      uint(3, flow.quic.seenShortHeader);
      close(quic);
    }
    close(recordAt, 2);
  }
}

function writeDupEntry(name: Buffer, direction: number, udn: string): void {
  scratch.ensure(name.length + 16);
  const at = open(26);
  bytes(1, name);
  uint(2, direction);
  string(3, udn);
  close(at);
}

function writeNetworkEvent(events: Record<string, string>): void {
  scratch.ensure(8);
  const at = open(27);
  for (const [key, value] of Object.entries(events)) {
    scratch.ensure(8);
    const entry = open(1);
    bytes(1, Buffer.from(key, 'utf8'));
    bytes(2, Buffer.from(value, 'utf8'));
    close(entry);
  }
  close(at);
}

/** "10.0.0.1" or "fd00::1" as 16 bytes, IPv4 mapped (::ffff:a.b.c.d) as the flows carry it. */
function ipToMapped(text: string): Uint8Array {
  const address = ipaddr.parse(text);
  return Uint8Array.from(address.kind() === 'ipv4' ? (address as ipaddr.IPv4).toIPv4MappedAddress().toByteArray() : address.toByteArray());
}

export class PbflowDecodeError extends Error {
  override name = 'PbflowDecodeError';
}

/** Decodes a Records message; throws PbflowDecodeError saying what is wrong. */
export function decodeRecords(data: Uint8Array): PbflowRecord[] {
  try {
    const type = recordsMessageType();
    const message = type.decode(data);
    const records = type.toObject(message, { longs: Number, enums: String, bytes: Buffer, defaults: true, oneofs: false });
    return records.entries as PbflowRecord[];
  } catch (error) {
    throw new PbflowDecodeError(`not a pbflow Records message: ${(error as Error).message}`);
  }
}

/**
 * pbflow.Collector for @grpc/grpc-js, carrying the encoded message as it is: the exporter encodes
 * with encodeRecords, the collector decodes with decodeRecords (and reports what it cannot decode).
 */
export const COLLECTOR_SERVICE: ServiceDefinition = {
  Send: {
    path: '/pbflow.Collector/Send',
    requestStream: false,
    responseStream: false,
    requestSerialize: (message: Uint8Array) => Buffer.from(message.buffer, message.byteOffset, message.byteLength),
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: () => Buffer.alloc(0), // CollectorReply has no fields
    responseDeserialize: () => ({}),
  },
};

const microseconds = (time?: PbflowTime | null) => (time ? time.seconds * 1e6 + Math.floor(time.nanos / 1000) : 0);
const nanoseconds = (time?: PbflowTime | null) => (time ? time.seconds * 1e9 + time.nanos : 0);

function mac(value = 0): Buffer {
  const bytes = Buffer.alloc(6);
  bytes.writeUIntBE(value, 0, 6);
  return bytes;
}

/** 16 bytes, IPv4 mapped, from a pbflow IP (zero when absent). */
function mappedAddress(ip?: PbflowIp | null): Buffer {
  if (ip?.ipv6?.length === 16) return Buffer.from(ip.ipv6);
  const address = Buffer.alloc(16);
  if (ip?.ipv4) {
    IPV4_MAPPED.copy(address);
    address.writeUInt32BE(ip.ipv4 >>> 0, 12);
  }
  return address;
}

/** A pbflow IP as text ("" when absent). */
export function ipText(ip?: PbflowIp | null): string {
  if (ip?.ipv6?.length === 16) return ipaddr.fromByteArray(Array.from(ip.ipv6)).toString();
  return ip?.ipv4 ? ipaddr.fromByteArray(Array.from(mappedAddress(ip).subarray(12))).toString() : '';
}

/** A pbflow direction (enum name, or NetObserv's 3 as a number) as flowcast's. */
function direction(value: PbflowDirection | number): 'ingress' | 'egress' | 'both' {
  return value === 'EGRESS' || value === 1 ? 'egress' : value === 3 ? 'both' : 'ingress';
}

/**
 * The raw TCP header flags NetObserv's value implies: its eight low bits mean the header's bits,
 * and SYN_ACK, FIN_ACK, RST_ACK stand for both their flags. (What NetObserv's rule hid, a PSH
 * beside an ACK say, cannot be recovered.)
 */
export function headerFlagsOf(netobservFlags: number): number {
  return (
    (netobservFlags & 0xff) |
    (netobservFlags & SYN_ACK ? SYN | ACK : 0) |
    (netobservFlags & FIN_ACK ? FIN | ACK : 0) |
    (netobservFlags & RST_ACK ? RST | ACK : 0)
  );
}

/** NetObserv's kernel widths, to which Flowlogs Pipeline narrows pbflow's uint32 fields too. */
const U8 = 0xff;
const U16 = 0xffff;
const INT_MAX = 2 ** 31 - 1;

/**
 * A pbflow record (from a NetObserv agent, say) as a flowcast flow; pbflow has no interface index.
 * The interface and direction are dup_list's first entry (the one NetObserv counts), or fields 10
 * and 2 from agents that send no dup_list; every other current field is carried. uint32 fields
 * are narrowed to the width NetObserv measures them in (ports, flags, DNS id: 16 bits; protocol,
 * DSCP, TCP state, errno: 8), as Flowlogs Pipeline does, so each fits its Avro int.
 */
export function toFlowRecord(record: PbflowRecord): FlowRecord {
  const first = record.dupList[0];
  const firstDirection = first ? direction(first.direction) : 'both';
  const flowDirection = firstDirection !== 'both' ? firstDirection : record.direction === 'EGRESS' ? 'egress' : 'ingress';
  const flowInterface = first ? first.interface : record.interface;
  const dnsLatency = nanoseconds(record.dnsLatency);
  return {
    interface: flowInterface,
    ifIndex: 0,
    direction: flowDirection,
    etherType: record.ethProtocol & U16,
    srcMac: mac(record.dataLink?.srcMac),
    dstMac: mac(record.dataLink?.dstMac),
    srcAddr: mappedAddress(record.network?.srcAddr),
    dstAddr: mappedAddress(record.network?.dstAddr),
    protocol: (record.transport?.protocol ?? 0) & U8,
    srcPort: (record.transport?.srcPort ?? 0) & U16,
    dstPort: (record.transport?.dstPort ?? 0) & U16,
    icmpType: record.icmpType & U8,
    icmpCode: record.icmpCode & U8,
    packets: record.packets,
    bytes: record.bytes,
    firstSeen: microseconds(record.timeFlowStart),
    lastSeen: microseconds(record.timeFlowEnd),
    tcpFlags: headerFlagsOf(record.flags & U16),
    dscp: (record.network?.dscp ?? 0) & U8,
    sampling: Math.min(record.sampling, INT_MAX) || 1,
    netobservTcpFlags: record.flags & U16,
    dupList: first
      ? record.dupList.map((entry) => ({ interface: entry.interface, direction: direction(entry.direction), udn: entry.udn }))
      : [{ interface: flowInterface, direction: flowDirection, udn: '' }],
    drops:
      record.pktDropBytes || record.pktDropPackets || record.pktDropLatestFlags || record.pktDropLatestState || record.pktDropLatestDropCause
        ? {
            bytes: record.pktDropBytes,
            packets: record.pktDropPackets,
            latestFlags: record.pktDropLatestFlags & U16,
            latestState: record.pktDropLatestState & U8,
            latestDropCause: record.pktDropLatestDropCause,
          }
        : null,
    dns:
      record.dnsId || record.dnsFlags || dnsLatency || record.dnsErrno || record.dnsName
        ? { id: record.dnsId & U16, flags: record.dnsFlags & U16, latency: dnsLatency, errno: record.dnsErrno & U8, name: record.dnsName }
        : null,
    rtt: nanoseconds(record.timeFlowRtt),
    networkEvents: record.networkEventsMetadata.map((event) => ({ ...event.events })),
    xlat: record.xlat
      ? {
          srcAddr: mappedAddress(record.xlat.srcAddr),
          dstAddr: mappedAddress(record.xlat.dstAddr),
          srcPort: record.xlat.srcPort & U16,
          dstPort: record.xlat.dstPort & U16,
          zoneId: record.xlat.zoneId & U16,
        }
      : null,
    ipsec: record.ipsecEncrypted || record.ipsecEncryptedRet ? { encrypted: record.ipsecEncrypted !== 0, encryptedRet: record.ipsecEncryptedRet } : null,
    tls:
      record.sslVersion || record.sslMismatch || record.tlsTypes || record.tlsCipherSuite || record.tlsKeyShare
        ? {
            sslVersion: record.sslVersion & U16,
            sslMismatch: record.sslMismatch,
            types: record.tlsTypes,
            cipherSuite: record.tlsCipherSuite & U16,
            keyShare: record.tlsKeyShare & U16,
          }
        : null,
    quic: record.quic ? { version: record.quic.version, seenLongHeader: record.quic.seenLongHdr & U8, seenShortHeader: record.quic.seenShortHdr & U8 } : null,
  };
}
