// Byte layout of struct flow_record (bpf/flow.h), the unit a drain returns.
// test/capture/layout.test.ts fails if this table and the compiled C struct disagree.
export const RECORD_SIZE = 112;

export const FIELD_OFFSETS = {
  'key.src_mac': [0, 6],
  'key.dst_mac': [6, 6],
  'key.src_ip': [12, 16],
  'key.dst_ip': [28, 16],
  'key.if_index': [44, 4],
  'key.eth_protocol': [48, 2],
  'key.src_port': [50, 2],
  'key.dst_port': [52, 2],
  'key.direction': [54, 1],
  'key.protocol': [55, 1],
  'key.icmp_type': [56, 1],
  'key.icmp_code': [57, 1],
  'metrics.packets': [64, 8],
  'metrics.bytes': [72, 8],
  'metrics.first_seen': [80, 8],
  'metrics.last_seen': [88, 8],
  'metrics.tcp_flags': [96, 4],
  'metrics.sampling': [100, 4],
  'metrics.dscp': [104, 1],
} as const satisfies Record<string, readonly [number, number]>;

/** The byte offset of a flow_record field. */
export const offsetOf = (field: keyof typeof FIELD_OFFSETS): number => FIELD_OFFSETS[field][0];

/** key.direction of egress (FLOWCAST_DIRECTION_EGRESS in bpf/flow.h; ingress is 0). */
export const DIRECTION_EGRESS = 1;

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
