// FLOW_FILTER_RULES (src/config/filter-rules.ts) as the entries of bpf/filter.h's maps.
import { FILTER_PROTOCOLS, filterRange, type FilterRule, type PortMatch } from '../config/filter-rules.js';
import { FILTER_DIRECTION_ANY, type NativeFilterPeer, type NativeFilterRule } from '../native/index.js';

function range(text: string): { prefixLen: number; ip: Buffer } {
  const parsed = filterRange(text);
  if (!parsed) throw new Error(`FLOW_FILTER_RULES: "${text}" is not an address range`);
  return { prefixLen: parsed.prefixLen, ip: Buffer.from(parsed.address) };
}

/** start/end, or one/two (a single port is the pair of itself). */
function ports(match: PortMatch | undefined): [start: number, end: number, one: number, two: number] {
  if (!match) return [0, 0, 0, 0];
  if ('start' in match) return [match.start, match.end, 0, 0];
  if ('ports' in match) return [0, 0, ...match.ports];
  return [0, 0, match.port, match.port];
}

/** Whether every address of `inner` is in `outer` (both filterRange ranges). */
function contains(outer: { prefixLen: number; ip: Buffer }, inner: { prefixLen: number; ip: Buffer }): boolean {
  if (outer.prefixLen > inner.prefixLen) return false;
  for (let bit = 0; bit < outer.prefixLen; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((outer.ip[bit >> 3] & mask) !== (inner.ip[bit >> 3] & mask)) return false;
  }
  return true;
}

export function filterMaps(rules: readonly FilterRule[]): { filterRules: NativeFilterRule[]; filterPeers: NativeFilterPeer[] } {
  const filterRules = rules.map((rule): NativeFilterRule => {
    const [srcPortStart, srcPortEnd, srcPort1, srcPort2] = ports(rule.sourcePort);
    const [dstPortStart, dstPortEnd, dstPort1, dstPort2] = ports(rule.destinationPort);
    const [portStart, portEnd, port1, port2] = ports(rule.port);
    return {
      range: range(rule.cidr),
      index: rule.index,
      sample: rule.sample,
      ...{ srcPortStart, srcPortEnd, srcPort1, srcPort2, dstPortStart, dstPortEnd, dstPort1, dstPort2, portStart, portEnd, port1, port2 },
      tcpFlags: rule.tcpFlags ?? 0,
      protocol: rule.protocol ? FILTER_PROTOCOLS[rule.protocol] : 0,
      icmpType: rule.icmpType ?? 0,
      icmpCode: rule.icmpCode ?? 0,
      hasIcmpType: rule.icmpType === undefined ? 0 : 1,
      hasIcmpCode: rule.icmpCode === undefined ? 0 : 1,
      direction: rule.direction === 'Ingress' ? 0 : rule.direction === 'Egress' ? 1 : FILTER_DIRECTION_ANY,
      action: rule.action === 'Reject' ? 1 : 0,
      drops: rule.drops ? 1 : 0,
      hasPeer: rule.peer ? 1 : 0,
    };
  });
  // One trie entry per distinct peer range, holding the bit of every rule whose peer range
  // contains it: the longest match then answers for all rules at once.
  const peers = rules.filter((rule) => rule.peer).map((rule) => ({ index: rule.index, range: range(rule.peer!) }));
  const distinct = new Map<string, { prefixLen: number; ip: Buffer }>();
  for (const { range: peer } of peers) distinct.set(`${peer.ip.toString('hex')}/${peer.prefixLen}`, peer);
  const filterPeers = [...distinct.values()].map((peer) => ({
    range: peer,
    rules: peers.filter((other) => contains(other.range, peer)).reduce((bits, other) => bits | (1 << other.index), 0) >>> 0,
  }));
  return { filterRules, filterPeers };
}
