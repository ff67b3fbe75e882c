// A drain's flow_record structs as FlowColumns (src/model/flow-columns.ts), for the column writers.
import { ADDRESS_BYTES, DUP_LIST_OTHER, DUP_LIST_OWN, FlowColumns, MAC_BYTES, type FlowFeatures } from './flow-columns.js';
import { DIRECTION_EGRESS, EXTRAS_SIZE, RECORD_SIZE } from './layout.js';
import {
  BYTES,
  DIRECTION,
  DSCP,
  DST_IP,
  DST_MAC,
  DST_PORT,
  ETH_PROTOCOL,
  FIRST_SEEN,
  ICMP_CODE,
  ICMP_TYPE,
  IF_INDEX,
  LAST_SEEN,
  NETOBSERV_TCP_FLAGS,
  PACKETS,
  PROTOCOL,
  SAMPLING,
  SRC_IP,
  SRC_MAC,
  SRC_PORT,
  TCP_HEADER_FLAGS,
  decodeExtras,
  forEachObserved,
  hasObserved,
  readNsAsUs,
  readUint64,
} from './record.js';

/** A few bytes from one buffer to another: Buffer.copy's argument checks cost more than copying 6 or 16 bytes (a quarter of this decode, measured). */
function copyBytes(from: Buffer, fromAt: number, to: Buffer, toAt: number, length: number): void {
  for (let i = 0; i < length; i++) to[toAt + i] = from[fromAt + i];
}

/**
 * Flows as columns, without an object per flow (the pbflow writer reads columns): what
 * decodeFlows reads, field for field (test/encode/pbflow-drained.test.ts compares the two).
 */
export function decodeColumns(drained: Buffer, interfaceName: (ifIndex: number) => string, extras?: Buffer): FlowColumns {
  const columns = new FlowColumns(drained.length / RECORD_SIZE);
  const nameIndexes = new Map<number, number>();
  for (let index = 0, base = 0; base < drained.length; index++, base += RECORD_SIZE) {
    const ifIndex = drained.readUInt32LE(base + IF_INDEX);
    let nameIndex = nameIndexes.get(ifIndex);
    if (nameIndex === undefined) nameIndexes.set(ifIndex, (nameIndex = columns.nameIndex(interfaceName(ifIndex))));
    columns.interfaceIndex[index] = nameIndex;
    columns.ifIndex[index] = ifIndex;
    columns.direction[index] = drained[base + DIRECTION] === DIRECTION_EGRESS ? 1 : 0;
    columns.etherType[index] = drained.readUInt16LE(base + ETH_PROTOCOL);
    copyBytes(drained, base + SRC_MAC, columns.macs, index * MAC_BYTES, 6);
    copyBytes(drained, base + DST_MAC, columns.macs, index * MAC_BYTES + 6, 6);
    copyBytes(drained, base + SRC_IP, columns.addresses, index * ADDRESS_BYTES, 16);
    copyBytes(drained, base + DST_IP, columns.addresses, index * ADDRESS_BYTES + 16, 16);
    columns.protocol[index] = drained[base + PROTOCOL];
    columns.srcPort[index] = drained.readUInt16LE(base + SRC_PORT);
    columns.dstPort[index] = drained.readUInt16LE(base + DST_PORT);
    columns.icmpType[index] = drained[base + ICMP_TYPE];
    columns.icmpCode[index] = drained[base + ICMP_CODE];
    columns.packets[index] = readUint64(drained, base + PACKETS);
    columns.bytes[index] = readUint64(drained, base + BYTES);
    columns.firstSeen[index] = readNsAsUs(drained, base + FIRST_SEEN);
    columns.lastSeen[index] = readNsAsUs(drained, base + LAST_SEEN);
    columns.tcpFlags[index] = drained.readUInt16LE(base + TCP_HEADER_FLAGS);
    columns.dscp[index] = drained[base + DSCP];
    columns.sampling[index] = drained.readUInt32LE(base + SAMPLING);
    columns.netobservTcpFlags[index] = drained.readUInt16LE(base + NETOBSERV_TCP_FLAGS);
    columns.dupListKind[index] = DUP_LIST_OWN;
    // Most flows crossed no other interface and carry no extras: no features object for them.
    const features: FlowFeatures | undefined = hasObserved(drained, base) || extras ? {} : undefined;
    if (features === undefined) continue;
    forEachObserved(drained, base, (other, seen) => {
      features.dupList ??= [{ interface: interfaceName(ifIndex), direction: columns.direction[index] ? 'egress' : 'ingress', udn: '' }];
      features.dupList.push({ interface: interfaceName(other), direction: seen, udn: '' });
    });
    if (features.dupList) columns.dupListKind[index] = DUP_LIST_OTHER;
    if (extras) {
      const { drops, dns, rtt } = decodeExtras(extras, index * EXTRAS_SIZE);
      columns.rtt[index] = rtt ?? 0;
      if (drops) features.drops = drops;
      if (dns) features.dns = dns;
    }
    if (features.dupList || features.drops || features.dns) columns.features.set(index, features);
  }
  return columns;
}
