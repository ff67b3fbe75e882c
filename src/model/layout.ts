// Byte layout of struct flow_record (bpf/flow.h), the unit a drain returns. The key's if_index and
// direction (set only with DEDUPER=none, where metrics holds them too) are not read here.
// test/capture/layout.test.ts fails if this table and the compiled C struct disagree.
export const RECORD_SIZE = 160;

export const FIELD_OFFSETS = {
  'key.src_ip': [0, 16],
  'key.dst_ip': [16, 16],
  'key.eth_protocol': [36, 2],
  'key.src_port': [38, 2],
  'key.dst_port': [40, 2],
  'key.protocol': [43, 1],
  'key.icmp_type': [44, 1],
  'key.icmp_code': [45, 1],
  'metrics.packets': [48, 8],
  'metrics.bytes': [56, 8],
  'metrics.first_seen': [64, 8],
  'metrics.last_seen': [72, 8],
  'metrics.tcp_flags': [80, 4],
  'metrics.sampling': [84, 4],
  'metrics.if_index': [88, 4],
  'metrics.direction': [92, 1],
  'metrics.dscp': [93, 1],
  'metrics.src_mac': [94, 6],
  'metrics.dst_mac': [100, 6],
  'metrics.observed': [112, 48],
} as const satisfies Record<string, readonly [number, number]>;

/** The byte offset of a flow_record field. */
export const offsetOf = (field: keyof typeof FIELD_OFFSETS): number => FIELD_OFFSETS[field][0];

/** metrics.direction of egress (FLOWCAST_DIRECTION_EGRESS in bpf/flow.h; ingress is 0). */
export const DIRECTION_EGRESS = 1;

/**
 * metrics.observed: FLOWCAST_MAX_OBSERVED slots of 8 bytes, each the interface index (low 4 bytes,
 * 0: a free slot) and one bit per direction seen there (high 4 bytes: 1 ingress, 2 egress, 3 both).
 */
export const OBSERVED_SLOTS = 6;
export const OBSERVED_SLOT_SIZE = 8;

/** struct flow_extras (bpf/flow.h): one per flow in a drain when drops, RTT or DNS are tracked. */
export const EXTRAS_SIZE = 80;

export const EXTRAS_OFFSETS = {
  drop_packets: [0, 8],
  drop_bytes: [8, 8],
  rtt_ns: [16, 8],
  drop_cause: [24, 4],
  drop_flags: [28, 2],
  drop_state: [30, 1],
  has_drops: [31, 1],
  dns_latency_ns: [32, 8],
  dns_id: [40, 2],
  dns_flags: [42, 2],
  dns_errno: [44, 1],
  has_dns: [45, 1],
  dns_name: [48, 32],
} as const satisfies Record<string, readonly [number, number]>;
