// NetObserv's pbflow protocol (proto/flow.proto): flowcast flows to Records, and Records back.
// Writing is hand-written (below); protobufjs, loading proto/flow.proto, is the decoder.
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import ipaddr from 'ipaddr.js';
import protobuf from 'protobufjs';

import type { FlowRecord } from '../capture/decode.js';
import { Scratch, writeVarint } from './scratch.js';

export const FLOW_PROTO_PATH = fileURLToPath(new URL('../../proto/flow.proto', import.meta.url));
const root = protobuf.loadSync(FLOW_PROTO_PATH);
const RecordsType = root.lookupType('pbflow.Records');

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
/** pbflow gives bit 0x100 and up NetObserv-specific meanings (SYN_ACK, ...): only the TCP header's 8. */
const PBFLOW_TCP_FLAGS = 0xff;
const IPV4_MAPPED = Buffer.from('00000000000000000000ffff', 'hex');

/** A pbflow Record as the decoder returns it (proto3 defaults filled in, 64-bit values as numbers). */
export interface PbflowRecord {
  ethProtocol: number;
  direction: 'INGRESS' | 'EGRESS';
  timeFlowStart?: { seconds: number; nanos: number };
  timeFlowEnd?: { seconds: number; nanos: number };
  dataLink?: { srcMac: number; dstMac: number };
  network?: { srcAddr?: PbflowIp; dstAddr?: PbflowIp; dscp: number };
  transport?: { srcPort: number; dstPort: number; protocol: number };
  bytes: number;
  packets: number;
  interface: string;
  agentIp?: PbflowIp;
  flags: number;
  icmpType: number;
  icmpCode: number;
  sampling: number;
}

export interface PbflowIp {
  ipv4?: number;
  ipv6?: Buffer;
}

// The Records writer is hand-written over a reused Buffer: protobufjs's Writer queues one object
// per write (about 40 a record) and spent 59% of the export in garbage collection (see
// docs/benchmarks.md). Every nested message here is under 128 bytes, so its length is one byte
// written after its body; a Record can pass 127 and gets two bytes, compacted when it fits.
// test/collector/pbflow.test.ts decodes the output with protobufjs loading proto/flow.proto.
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const scratch = new Scratch();

function varint(value: number): void {
  scratch.pos = writeVarint(scratch.buffer, scratch.pos, value);
}

/** A varint field (field numbers below 16: a one-byte tag); proto3 leaves zero out. */
function uint(field: number, value: number): void {
  if (!value) return;
  scratch.buffer[scratch.pos++] = field << 3;
  varint(value);
}

/** Opens a nested message: returns where its one-byte length goes. */
function open(field: number): number {
  scratch.buffer[scratch.pos++] = (field << 3) | LENGTH_DELIMITED;
  return scratch.pos++;
}

function close(lengthAt: number): void {
  scratch.buffer[lengthAt] = scratch.pos - lengthAt - 1;
}

function writeIp(field: number, address: Uint8Array): void {
  const at = open(field);
  if (Buffer.from(address.buffer, address.byteOffset, 12).equals(IPV4_MAPPED)) {
    scratch.buffer[scratch.pos++] = (1 << 3) | FIXED32; // the address as an integer, fixed32 is little-endian on the wire
    scratch.buffer[scratch.pos++] = address[15];
    scratch.buffer[scratch.pos++] = address[14];
    scratch.buffer[scratch.pos++] = address[13];
    scratch.buffer[scratch.pos++] = address[12];
  } else {
    scratch.buffer[scratch.pos++] = (2 << 3) | LENGTH_DELIMITED;
    scratch.buffer[scratch.pos++] = 16;
    for (let i = 0; i < 16; i++) scratch.buffer[scratch.pos++] = address[i];
  }
  close(at);
}

function writeTimestamp(field: number, microseconds: number): void {
  const seconds = Math.floor(microseconds / 1e6);
  const at = open(field);
  uint(1, seconds); // int64 and int32 of non-negative values encode as these varints
  uint(2, (microseconds - seconds * 1e6) * 1000);
  close(at);
}

/** One pbflow Records message holding `flows`; `agentIp` (text) goes into every record. */
export function encodeRecords(flows: readonly FlowRecord[], agentIp: string): Uint8Array {
  const agentAddress = agentIp ? ipToMapped(agentIp) : undefined;
  const names = new Map<string, Buffer>();
  scratch.pos = 0;
  for (const flow of flows) {
    let name = names.get(flow.interface);
    if (!name) names.set(flow.interface, (name = Buffer.from(flow.interface, 'utf8')));
    scratch.ensure(256 + name.length);
    scratch.buffer[scratch.pos++] = (1 << 3) | LENGTH_DELIMITED; // Records.entries
    const recordAt = scratch.pos;
    scratch.pos += 2; // room for a two-byte length
    uint(1, flow.etherType);
    uint(2, flow.direction === 'egress' ? 1 : 0);
    writeTimestamp(3, flow.firstSeen);
    writeTimestamp(4, flow.lastSeen);
    const link = open(5);
    uint(1, flow.srcMac.readUIntBE(0, 6));
    uint(2, flow.dstMac.readUIntBE(0, 6));
    close(link);
    if (flow.etherType === ETH_IPV4 || flow.etherType === ETH_IPV6) {
      const network = open(6);
      writeIp(1, flow.srcAddr);
      writeIp(2, flow.dstAddr);
      uint(3, flow.dscp);
      close(network);
      const transport = open(7);
      uint(1, flow.srcPort);
      uint(2, flow.dstPort);
      uint(3, flow.protocol);
      close(transport);
    }
    uint(8, flow.bytes);
    uint(9, flow.packets);
    scratch.buffer[scratch.pos++] = (10 << 3) | LENGTH_DELIMITED;
    varint(name.length);
    name.copy(scratch.buffer, scratch.pos);
    scratch.pos += name.length;
    if (agentAddress) writeIp(12, agentAddress);
    uint(13, flow.tcpFlags & PBFLOW_TCP_FLAGS);
    uint(14, flow.icmpType);
    uint(15, flow.icmpCode);
    if (flow.sampling) {
      varint(29 << 3); // field 29's tag takes two bytes
      varint(flow.sampling);
    }
    const length = scratch.pos - recordAt - 2;
    if (length < 0x80) {
      scratch.buffer[recordAt] = length;
      scratch.buffer.copyWithin(recordAt + 1, recordAt + 2, scratch.pos);
      scratch.pos--;
    } else {
      scratch.buffer[recordAt] = (length & 0x7f) | 0x80;
      scratch.buffer[recordAt + 1] = length >>> 7;
    }
  }
  return scratch.copy();
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
    const message = RecordsType.decode(data);
    const records = RecordsType.toObject(message, { longs: Number, enums: String, bytes: Buffer, defaults: true, oneofs: false });
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

const microseconds = (time?: { seconds: number; nanos: number }) => (time ? time.seconds * 1e6 + Math.floor(time.nanos / 1000) : 0);

function mac(value = 0): Buffer {
  const bytes = Buffer.alloc(6);
  bytes.writeUIntBE(value, 0, 6);
  return bytes;
}

/** 16 bytes, IPv4 mapped, from a pbflow IP (zero when absent). */
function mappedAddress(ip?: PbflowIp): Buffer {
  if (ip?.ipv6?.length === 16) return Buffer.from(ip.ipv6);
  const address = Buffer.alloc(16);
  if (ip?.ipv4) {
    IPV4_MAPPED.copy(address);
    address.writeUInt32BE(ip.ipv4 >>> 0, 12);
  }
  return address;
}

/** A pbflow IP as text ("" when absent). */
export function ipText(ip?: PbflowIp): string {
  if (ip?.ipv6?.length === 16) return ipaddr.fromByteArray(Array.from(ip.ipv6)).toString();
  return ip?.ipv4 ? ipaddr.fromByteArray(Array.from(mappedAddress(ip).subarray(12))).toString() : '';
}

/** A pbflow record (from a NetObserv agent, say) as a flowcast flow; pbflow has no interface index. */
export function toFlowRecord(record: PbflowRecord): FlowRecord {
  return {
    interface: record.interface,
    ifIndex: 0,
    direction: record.direction === 'EGRESS' ? 'egress' : 'ingress',
    etherType: record.ethProtocol,
    srcMac: mac(record.dataLink?.srcMac),
    dstMac: mac(record.dataLink?.dstMac),
    srcAddr: mappedAddress(record.network?.srcAddr),
    dstAddr: mappedAddress(record.network?.dstAddr),
    protocol: record.transport?.protocol ?? 0,
    srcPort: record.transport?.srcPort ?? 0,
    dstPort: record.transport?.dstPort ?? 0,
    icmpType: record.icmpType,
    icmpCode: record.icmpCode,
    packets: record.packets,
    bytes: record.bytes,
    firstSeen: microseconds(record.timeFlowStart),
    lastSeen: microseconds(record.timeFlowEnd),
    tcpFlags: record.flags,
    dscp: record.network?.dscp ?? 0,
    sampling: record.sampling || 1,
  };
}
