// NetObserv's pbflow protocol (proto/flow.proto): flowcast flows to Records, and Records back.
// protobufjs provides the wire primitives (Writer) and, loading proto/flow.proto, the decoder.
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import ipaddr from 'ipaddr.js';
import protobuf from 'protobufjs';

import type { FlowRecord } from '../capture/decode.js';

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

const tag = (field: number, wireType: number) => (field << 3) | wireType;
const VARINT = 0;
const FIXED32 = 5;
const BYTES = 2;

function writeIp(writer: protobuf.Writer, field: number, address: Uint8Array): void {
  writer.uint32(tag(field, BYTES)).fork();
  if (Buffer.from(address.buffer, address.byteOffset, 12).equals(IPV4_MAPPED)) {
    writer.uint32(tag(1, FIXED32)).fixed32(((address[12] << 24) | (address[13] << 16) | (address[14] << 8) | address[15]) >>> 0);
  } else {
    writer.uint32(tag(2, BYTES)).bytes(address);
  }
  writer.ldelim();
}

/** A non-negative varint; below 2^32 through uint32, which skips protobufjs's 64-bit conversion. */
const uint = (writer: protobuf.Writer, field: number, value: number) => {
  if (!value) return;
  writer.uint32(tag(field, VARINT));
  if (value <= 0xffffffff) writer.uint32(value);
  else writer.uint64(value);
};

function writeTimestamp(writer: protobuf.Writer, field: number, microseconds: number): void {
  const seconds = Math.floor(microseconds / 1e6);
  writer.uint32(tag(field, BYTES)).fork();
  uint(writer, 1, seconds); // int64 and int32 of non-negative values encode as these varints
  uint(writer, 2, (microseconds - seconds * 1e6) * 1000);
  writer.ldelim();
}

/** One pbflow Records message holding `flows`; `agentIp` (text) goes into every record. */
export function encodeRecords(flows: readonly FlowRecord[], agentIp: string): Uint8Array {
  const agentAddress = agentIp ? ipToMapped(agentIp) : undefined;
  const writer = protobuf.Writer.create();
  for (const flow of flows) {
    writer.uint32(tag(1, BYTES)).fork();
    uint(writer, 1, flow.etherType);
    uint(writer, 2, flow.direction === 'egress' ? 1 : 0);
    writeTimestamp(writer, 3, flow.firstSeen);
    writeTimestamp(writer, 4, flow.lastSeen);
    writer.uint32(tag(5, BYTES)).fork();
    uint(writer, 1, flow.srcMac.readUIntBE(0, 6));
    uint(writer, 2, flow.dstMac.readUIntBE(0, 6));
    writer.ldelim();
    if (flow.etherType === ETH_IPV4 || flow.etherType === ETH_IPV6) {
      writer.uint32(tag(6, BYTES)).fork();
      writeIp(writer, 1, flow.srcAddr);
      writeIp(writer, 2, flow.dstAddr);
      uint(writer, 3, flow.dscp);
      writer.ldelim();
      writer.uint32(tag(7, BYTES)).fork();
      uint(writer, 1, flow.srcPort);
      uint(writer, 2, flow.dstPort);
      uint(writer, 3, flow.protocol);
      writer.ldelim();
    }
    uint(writer, 8, flow.bytes);
    uint(writer, 9, flow.packets);
    writer.uint32(tag(10, BYTES)).string(flow.interface);
    if (agentAddress) writeIp(writer, 12, agentAddress);
    uint(writer, 13, flow.tcpFlags & PBFLOW_TCP_FLAGS);
    uint(writer, 14, flow.icmpType);
    uint(writer, 15, flow.icmpCode);
    uint(writer, 29, flow.sampling);
    writer.ldelim();
  }
  return writer.finish();
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
