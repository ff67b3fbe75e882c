// Flow batches built from real drained bytes: synthetic flow_record Buffers run through the decoder.
import { DrainedFlows, EXTRAS_OFFSETS, EXTRAS_SIZE, RECORD_SIZE, offsetOf, type DecodedFlowBatch, type FlowBatch } from '../../src/model/index.js';

/** `count` flow_record structs as a drain returns them: UDP 198.18.0.1:40000+i -> 198.18.0.2:5000+i. */
export function drainedBuffer(count: number, startNs = 1_790_000_000_000_000_000n): Buffer {
  const buffer = Buffer.alloc(count * RECORD_SIZE);
  for (let i = 0; i < count; i++) {
    const base = i * RECORD_SIZE;
    buffer.write('020000000102020000000203', base + offsetOf('metrics.src_mac'), 'hex'); // src then dst MAC
    for (const [field, last] of [
      ['key.src_ip', 1],
      ['key.dst_ip', 2],
    ] as const) {
      buffer.writeUInt16BE(0xffff, base + offsetOf(field) + 10);
      buffer.write('c612000' + last, base + offsetOf(field) + 12, 'hex');
    }
    buffer.writeUInt32LE(2 + (i % 3), base + offsetOf('metrics.if_index'));
    buffer.writeUInt16LE(0x0800, base + offsetOf('key.eth_protocol'));
    buffer.writeUInt16LE(40000 + (i % 20000), base + offsetOf('key.src_port'));
    buffer.writeUInt16LE(5000 + (i % 60000), base + offsetOf('key.dst_port'));
    buffer[base + offsetOf('metrics.direction')] = i % 2;
    buffer[base + offsetOf('key.protocol')] = 17;
    buffer.writeBigUInt64LE(BigInt(1 + (i % 1000)), base + offsetOf('metrics.packets'));
    buffer.writeBigUInt64LE(BigInt(60 * (1 + (i % 1000))), base + offsetOf('metrics.bytes'));
    buffer.writeBigUInt64LE(startNs, base + offsetOf('metrics.first_seen'));
    buffer.writeBigUInt64LE(startNs + 1_000_000n, base + offsetOf('metrics.last_seen'));
    buffer.writeUInt32LE(i % 2 ? 0x12 : 0, base + offsetOf('metrics.tcp_flags'));
    buffer[base + offsetOf('metrics.dscp')] = i % 64;
    buffer.writeUInt32LE(1, base + offsetOf('metrics.sampling'));
  }
  return buffer;
}

/**
 * DEDUPER=firstCome: every fifth flow of a drained batch crossed two more interfaces (egress on the
 * next index, each way on the one after). Kept out of sampleBatch, whose shape the benchmarks use.
 */
export function withObserved(batch: FlowBatch): FlowBatch {
  const { records } = batch.flows;
  for (let i = 0; i < batch.flows.length; i += 5) {
    const observed = i * RECORD_SIZE + offsetOf('metrics.observed');
    const ifIndex = records.readUInt32LE(i * RECORD_SIZE + offsetOf('metrics.if_index'));
    records.writeUInt32LE(2 + ((ifIndex - 1) % 3), observed);
    records.writeUInt32LE(2, observed + 4); // 1 << FLOWCAST_DIRECTION_EGRESS
    records.writeUInt32LE(2 + (ifIndex % 3), observed + 8);
    records.writeUInt32LE(3, observed + 12); // both
  }
  return batch;
}

const INTERFACE_NAMES = new Map([
  [2, 'eth2'],
  [3, 'eth3'],
  [4, 'eth4'],
]);

export function sampleBatch(count: number, sequence = 0): FlowBatch {
  return {
    agentName: 'node-a',
    agentIp: '198.18.0.1',
    sequence,
    part: 0,
    parts: 1,
    intervalStart: 1_790_000_000_000_000,
    intervalEnd: 1_790_000_005_000_000,
    ringBufferPackets: 0,
    lostPackets: 0,
    flows: new DrainedFlows(drainedBuffer(count), INTERFACE_NAMES),
  };
}

/**
 * `count` flow objects, flow i with source port i % 65536 and destination port i / 65536 (so each
 * is recognisable after a round trip), and `packets` packets each when given.
 */
export function uniqueFlowsBatch(count: number, sequence = 0, packets?: number): DecodedFlowBatch {
  const { flows, ...rest } = sampleBatch(count, sequence);
  return {
    ...rest,
    flows: flows.decode().map((flow, i) => ({ ...flow, srcPort: i % 65536, dstPort: Math.floor(i / 65536), packets: packets ?? flow.packets })),
  };
}

/** Plain values (avsc decodes into record classes): for deep comparisons. */
export function plain<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Three flows with ENABLE_DNS_TRACKING's extras: a response, an unmatched response (errno 2), none. */
export function batchWithDns(): FlowBatch {
  const extras = Buffer.alloc(3 * EXTRAS_SIZE);
  const at = (flow: number, field: keyof typeof EXTRAS_OFFSETS) => flow * EXTRAS_SIZE + EXTRAS_OFFSETS[field][0];
  extras[at(0, 'has_dns')] = 1;
  extras.writeUInt16LE(0xbeef, at(0, 'dns_id'));
  extras.writeUInt16LE(0x8183, at(0, 'dns_flags'));
  extras.writeBigUInt64LE(5_000_000_123n, at(0, 'dns_latency_ns')); // past 2^32: a multi-byte varint
  extras.write('missing.example.org\0', at(0, 'dns_name'), 'latin1');
  extras[at(1, 'has_dns')] = 1;
  extras.writeUInt16LE(7, at(1, 'dns_id'));
  extras.writeUInt16LE(0x8180, at(1, 'dns_flags'));
  extras[at(1, 'dns_errno')] = 2;
  extras.write('a.b', at(1, 'dns_name'), 'latin1');
  extras.writeBigUInt64LE(1_000n, at(2, 'rtt_ns'));
  return { ...sampleBatch(0), flows: new DrainedFlows(drainedBuffer(3), new Map([[2, 'eth2']]), extras) };
}
