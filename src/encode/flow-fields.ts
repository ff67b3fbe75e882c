// Where each field of the Avro Flow record (schemas/flow-batch.avsc) comes from in the C struct
// flow_record (bpf/flow.h, src/model/layout.ts), and how it is converted. The Avro encoder is
// planned from this table and the schema; test/encode/avro.test.ts checks it covers both exactly.
import type { FIELD_OFFSETS } from '../model/index.js';

export type FieldConversion =
  | 'int' // unsigned little-endian integer of the C field's size, as Avro int
  | 'long' // unsigned 64-bit little-endian, as Avro long
  | 'timeUs' // CLOCK_REALTIME ns, as Avro long of microseconds (timestamp-micros)
  | 'fixed' // bytes as they are, as Avro fixed of the same size
  | 'enum' // FLOWCAST_DIRECTION_* as the index of the Avro enum symbol
  | 'interfaceName' // the interface index, as the interface's name (Avro string)
  | 'low16' // the low 16 bits of a 32-bit field, as Avro int (tcp_flags: the header's bits)
  | 'high16' // the high 16 bits of a 32-bit field, as Avro int (tcp_flags: NetObserv's value)
  | 'dupList' // the counted interface (metrics.if_index's name, metrics.direction, no UDN), then each used slot of metrics.observed
  | 'default'; // nothing the kernel measures: the schema's default value

export interface FieldSource {
  from?: keyof typeof FIELD_OFFSETS;
  as: FieldConversion;
}

export const FLOW_FIELD_SOURCES = {
  interface: { from: 'metrics.if_index', as: 'interfaceName' },
  ifIndex: { from: 'metrics.if_index', as: 'int' },
  direction: { from: 'metrics.direction', as: 'enum' },
  etherType: { from: 'key.eth_protocol', as: 'int' },
  srcMac: { from: 'metrics.src_mac', as: 'fixed' },
  dstMac: { from: 'metrics.dst_mac', as: 'fixed' },
  srcAddr: { from: 'key.src_ip', as: 'fixed' },
  dstAddr: { from: 'key.dst_ip', as: 'fixed' },
  protocol: { from: 'key.protocol', as: 'int' },
  srcPort: { from: 'key.src_port', as: 'int' },
  dstPort: { from: 'key.dst_port', as: 'int' },
  icmpType: { from: 'key.icmp_type', as: 'int' },
  icmpCode: { from: 'key.icmp_code', as: 'int' },
  packets: { from: 'metrics.packets', as: 'long' },
  bytes: { from: 'metrics.bytes', as: 'long' },
  firstSeen: { from: 'metrics.first_seen', as: 'timeUs' },
  lastSeen: { from: 'metrics.last_seen', as: 'timeUs' },
  tcpFlags: { from: 'metrics.tcp_flags', as: 'low16' },
  dscp: { from: 'metrics.dscp', as: 'int' },
  sampling: { from: 'metrics.sampling', as: 'int' },
  netobservTcpFlags: { from: 'metrics.tcp_flags', as: 'high16' },
  dupList: { from: 'metrics.observed', as: 'dupList' },
  // NetObserv's optional features (pbflow fields 16-38): carried for NetObserv agents through
  // flowcast-bridge. drops, dns and rtt are measured when enabled (EXTRA_FIELD_SOURCES); without
  // them a drain has no extras and these are written as the defaults.
  drops: { as: 'default' },
  dns: { as: 'default' },
  rtt: { as: 'default' },
  networkEvents: { as: 'default' },
  xlat: { as: 'default' },
  ipsec: { as: 'default' },
  tls: { as: 'default' },
  quic: { as: 'default' },
} as const satisfies Record<string, FieldSource>;

/**
 * The fields a drain's flow_extras feed (ENABLE_PKT_DROPS, ENABLE_DNS_TRACKING, ENABLE_RTT), by
 * Avro field name: what the Avro writer uses instead of the default when a drain carries extras.
 */
export const EXTRA_FIELD_SOURCES = {
  drops: 'drops', // has_drops ? { drop_bytes, drop_packets, drop_flags, drop_state, drop_cause } : null
  dns: 'dns', // has_dns ? { dns_id, dns_flags, dns_latency_ns, dns_errno, dns_name } : null
  rtt: 'rtt', // rtt_ns as Avro long
} as const;
/** The Avro Dns record's fields, in the order the writer writes them. */
export const DNS_FIELDS = ['id:int', 'flags:int', 'latency:long', 'errno:int', 'name:string'];
/** The Avro Drops record's fields, in the order the writer writes them. */
export const DROPS_FIELDS = ['bytes:long', 'packets:long', 'latestFlags:int', 'latestState:int', 'latestDropCause:long'];

/** The Avro Direction enum's symbols, in the order of FLOWCAST_DIRECTION_* (0 ingress, 1 egress). */
export const DIRECTION_SYMBOLS = ['ingress', 'egress'];
/** The Avro DupDirection enum's symbols: the two above, then NetObserv's "both" (pbflow value 3). */
export const DUP_DIRECTION_SYMBOLS = ['ingress', 'egress', 'both'];
