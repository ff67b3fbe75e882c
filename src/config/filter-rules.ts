// FLOW_FILTER_RULES: NetObserv's JSON filter rules, parsed and checked at start. The kernel side is
// bpf/filter.h; src/capture/filter.ts turns these rules into its maps' entries.
//
// NetObserv's parser takes an unknown action, direction or protocol as "unset" (any) without a
// word; here every value that NetObserv would not apply as written is an error naming the rule and
// the field, so a typo cannot silently widen or narrow what is exported.
import ipaddr from 'ipaddr.js';

export const MAX_FILTER_RULES = 16; // NetObserv's MAX_FILTER_ENTRIES: its tries hold 16 entries

export const FILTER_PROTOCOLS = { TCP: 6, UDP: 17, SCTP: 132, ICMP: 1, ICMPv6: 58 } as const;
export type FilterProtocol = keyof typeof FILTER_PROTOCOLS;

/** NetObserv's per-packet TCP flags values (bpf/flow.h); PUSH as its code spells it, PSH as its docs. */
export const FILTER_TCP_FLAGS: Record<string, number> = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PUSH: 0x08,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  'SYN-ACK': 0x100,
  'FIN-ACK': 0x200,
  'RST-ACK': 0x400,
};

/** One port, a range "a-b" or two ports "a,b". */
export type PortMatch = { port: number } | { start: number; end: number } | { ports: [number, number] };

export interface FilterRule {
  /** Its position in FLOW_FILTER_RULES (metrics and errors name it). */
  index: number;
  /** An address range (filterRange); every address when ip_cidr is empty, absent or 0.0.0.0/0. */
  cidr: string;
  action: 'Accept' | 'Reject';
  direction?: 'Ingress' | 'Egress';
  protocol?: FilterProtocol;
  sourcePort?: PortMatch;
  destinationPort?: PortMatch;
  /** Either port. */
  port?: PortMatch;
  icmpType?: number;
  icmpCode?: number;
  /** peer_cidr, or peer_ip as a /32 or /128: the other address must be in it. */
  peer?: string;
  /** NetObserv's per-packet value (FILTER_TCP_FLAGS). */
  tcpFlags?: number;
  drops: boolean;
  /** 0: the global SAMPLING. */
  sample: number;
}

/** A bad value: `FLOW_FILTER_RULES[2].protocol`, the value, what is allowed. */
export interface FilterRuleIssue {
  field: string;
  value: unknown;
  problem: string;
}

const KNOWN_FIELDS = new Set([
  'ip_cidr',
  'action',
  'direction',
  'protocol',
  'source_port',
  'destination_port',
  'port',
  'source_port_range',
  'destination_port_range',
  'port_range',
  'source_ports',
  'destination_ports',
  'ports',
  'icmp_type',
  'icmp_code',
  'peer_ip',
  'peer_cidr',
  'tcp_flags',
  'drops',
  'sample',
]);

const PORT_FAMILIES = [
  ['source_port', 'source_port_range', 'source_ports', 'sourcePort'],
  ['destination_port', 'destination_port_range', 'destination_ports', 'destinationPort'],
  ['port', 'port_range', 'ports', 'port'],
] as const;

const isPort = (value: number) => Number.isInteger(value) && value >= 1 && value <= 65535;

/**
 * An address range as the kernel tries hold it: 16 bytes, IPv4 mapped (::ffff:a.b.c.d, prefix
 * 96 + n), host bits cleared. 0.0.0.0/0 is every address of both families, as NetObserv's
 * prefix-0 key is.
 */
export function filterRange(text: string): { address: Uint8Array; prefixLen: number } | undefined {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    return undefined;
  }
  const [address, bits] = parsed;
  const prefixLen = address.kind() === 'ipv4' ? (bits === 0 ? 0 : 96 + bits) : bits;
  const bytes = Uint8Array.from(address.kind() === 'ipv4' ? (address as ipaddr.IPv4).toIPv4MappedAddress().toByteArray() : address.toByteArray());
  for (let bit = prefixLen; bit < 128; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { address: bytes, prefixLen };
}

/** peer_ip as a range of one address. */
function singleAddress(text: string): string | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  const address = ipaddr.parse(text);
  return `${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`;
}

/** Parses FLOW_FILTER_RULES; every bad value is one issue (an empty list: no issue, no rule). */
export function parseFilterRules(text: string): { rules: FilterRule[]; issues: FilterRuleIssue[] } {
  const issues: FilterRuleIssue[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { rules: [], issues: [{ field: '', value: undefined, problem: `is not JSON (${(error as Error).message})` }] };
  }
  if (!Array.isArray(parsed)) return { rules: [], issues: [{ field: '', value: undefined, problem: 'must be a JSON array of rule objects' }] };
  if (parsed.length > MAX_FILTER_RULES) {
    return { rules: [], issues: [{ field: '', value: undefined, problem: `has ${parsed.length} rules: at most ${MAX_FILTER_RULES} (NetObserv's limit too)` }] };
  }
  const rules: FilterRule[] = [];
  const cidrOwners = new Map<string, number>();
  parsed.forEach((entry: unknown, index) => {
    const bad = (field: string, value: unknown, problem: string) => issues.push({ field: `[${index}].${field}`, value, problem });
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      issues.push({ field: `[${index}]`, value: entry, problem: 'must be an object such as {"ip_cidr": "10.0.0.0/8", "action": "Accept"}' });
      return;
    }
    const fields = entry as Record<string, unknown>;
    const before = issues.length;
    for (const name of Object.keys(fields)) {
      if (!KNOWN_FIELDS.has(name)) bad(name, fields[name], `is not a rule field: one of ${[...KNOWN_FIELDS].join(', ')}`);
    }
    const oneOf = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
      const value = fields[name];
      if (value === undefined) return undefined;
      if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
      bad(name, value, `must be one of ${allowed.join(', ')} (case as written)`);
      return undefined;
    };
    const integer = (name: string, minimum: number, maximum: number): number | undefined => {
      const value = fields[name];
      if (value === undefined) return undefined;
      if (typeof value === 'number' && Number.isInteger(value) && value >= minimum && value <= maximum) return value;
      bad(name, value, `must be an integer from ${minimum} to ${maximum}`);
      return undefined;
    };

    const cidrText = fields.ip_cidr ?? '';
    const cidr = typeof cidrText === 'string' && cidrText !== '' ? cidrText : '0.0.0.0/0';
    const range = filterRange(cidr);
    if (!range) bad('ip_cidr', cidrText, 'must be an address range such as 10.0.0.0/8 or fd00::/64');
    const cidrKey = range ? `${Buffer.from(range.address).toString('hex')}/${range.prefixLen}` : cidr;
    const owner = cidrOwners.get(cidrKey);
    if (owner !== undefined) {
      bad('ip_cidr', cidrText, `is the ip_cidr of rule ${owner} too: the kernel holds one rule per range (NetObserv keeps the last silently); merge them`);
    } else {
      cidrOwners.set(cidrKey, index);
    }
    const action = oneOf('action', ['Accept', 'Reject'] as const) ?? 'Accept';
    const direction = oneOf('direction', ['Ingress', 'Egress'] as const);
    const protocol = oneOf('protocol', Object.keys(FILTER_PROTOCOLS) as FilterProtocol[]);

    const rule: FilterRule = { index, cidr, action, direction, protocol, drops: false, sample: 0 };
    for (const [single, range, pair, key] of PORT_FAMILIES) {
      const set = [single, range, pair].filter((name) => fields[name] !== undefined);
      if (set.length > 1) {
        bad(set[1], fields[set[1]], `set only one of ${single}, ${range}, ${pair} (NetObserv uses one and ignores the others)`);
        continue;
      }
      if (fields[single] !== undefined) {
        const port = integer(single, 1, 65535);
        if (port !== undefined) rule[key] = { port };
      } else if (fields[range] !== undefined) {
        const value = fields[range];
        const match = typeof value === 'string' ? /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(value) : null;
        const [start, end] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
        if (match && isPort(start) && isPort(end) && start < end) rule[key] = { start, end };
        else bad(range, value, 'must be "first-last", two ports from 1 to 65535 with first < last, such as "8000-8080"');
      } else if (fields[pair] !== undefined) {
        const value = fields[pair];
        const match = typeof value === 'string' ? /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value) : null;
        const [one, two] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
        if (match && isPort(one) && isPort(two) && one !== two) rule[key] = { ports: [one, two] };
        else bad(pair, value, 'must be two different ports from 1 to 65535, "a,b", such as "80,443"');
      }
    }
    const hasPorts = PORT_FAMILIES.some(([single, range, pair]) => [single, range, pair].some((name) => fields[name] !== undefined));
    if (hasPorts && protocol && !['TCP', 'UDP', 'SCTP'].includes(protocol))
      bad('protocol', protocol, 'has no ports: a port criterion needs TCP, UDP, SCTP or no protocol');

    rule.icmpType = integer('icmp_type', 0, 255);
    rule.icmpCode = integer('icmp_code', 0, 255);
    if ((fields.icmp_type !== undefined || fields.icmp_code !== undefined) && protocol !== 'ICMP' && protocol !== 'ICMPv6') {
      bad(fields.icmp_type !== undefined ? 'icmp_type' : 'icmp_code', fields.icmp_type ?? fields.icmp_code, 'needs "protocol": "ICMP" or "ICMPv6"');
    }
    if (fields.icmp_code !== undefined && fields.icmp_type === undefined) bad('icmp_code', fields.icmp_code, 'needs icmp_type');

    if (fields.peer_ip !== undefined && fields.peer_cidr !== undefined) {
      bad('peer_ip', fields.peer_ip, 'set peer_ip or peer_cidr, not both (NetObserv uses peer_cidr and ignores peer_ip)');
    } else if (fields.peer_cidr !== undefined) {
      rule.peer = typeof fields.peer_cidr === 'string' && filterRange(fields.peer_cidr) ? fields.peer_cidr : undefined;
      if (!rule.peer) bad('peer_cidr', fields.peer_cidr, 'must be an address range such as 10.0.0.0/8 or fd00::/64');
    } else if (fields.peer_ip !== undefined) {
      rule.peer = typeof fields.peer_ip === 'string' ? singleAddress(fields.peer_ip) : undefined;
      if (!rule.peer) bad('peer_ip', fields.peer_ip, 'must be an IPv4 or IPv6 address');
    }

    if (fields.tcp_flags !== undefined) {
      const flags = typeof fields.tcp_flags === 'string' ? FILTER_TCP_FLAGS[fields.tcp_flags] : undefined;
      if (flags === undefined) bad('tcp_flags', fields.tcp_flags, `must be one of ${Object.keys(FILTER_TCP_FLAGS).join(', ')}`);
      else if (protocol && protocol !== 'TCP') bad('protocol', protocol, 'tcp_flags needs "protocol": "TCP" or no protocol');
      rule.tcpFlags = flags;
    }
    if (fields.drops !== undefined) {
      if (typeof fields.drops === 'boolean') rule.drops = fields.drops;
      else bad('drops', fields.drops, 'must be true or false');
    }
    rule.sample = integer('sample', 0, 2 ** 32 - 1) ?? 0;
    if (issues.length === before) rules.push(rule);
  });
  return { rules: issues.length > 0 ? [] : rules, issues };
}
