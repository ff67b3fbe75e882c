import assert from 'node:assert/strict';
import { test } from 'node:test';

import { filterMaps } from '../../src/capture/filter.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { AgentProcess } from '../helpers/agent.js';
import { TestNet, exec, flowcastFilters } from '../helpers/netns.js';

/** loadConfig's error lines for FLOW_FILTER_RULES=`rules` (none when it loads). */
function errors(rules: unknown): string[] {
  try {
    loadConfig({ FLOW_FILTER_RULES: typeof rules === 'string' ? rules : JSON.stringify(rules) });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message.split('\n');
  }
}

test('every NetObserv field is read, with its defaults (action Accept, any direction and protocol)', () => {
  const rules = loadConfig({
    FLOW_FILTER_RULES: JSON.stringify([
      {
        ip_cidr: '10.0.0.0/8',
        action: 'Reject',
        direction: 'Ingress',
        protocol: 'TCP',
        source_port: 80,
        destination_port_range: '8000-8080',
        ports: '443,8443',
      },
      { ip_cidr: 'fd00::/64', protocol: 'ICMPv6', icmp_type: 128, icmp_code: 0, peer_ip: 'fd00::1', sample: 10 },
      { ip_cidr: '172.16.0.0/12', protocol: 'TCP', tcp_flags: 'SYN-ACK', peer_cidr: '192.168.0.0/16', drops: true, direction: 'Egress' },
      { ip_cidr: '', port_range: '1-1024', source_ports: '53,5353' },
    ]),
  }).capture.filterRules;
  assert.deepEqual(rules, [
    {
      index: 0,
      cidr: '10.0.0.0/8',
      action: 'Reject',
      direction: 'Ingress',
      protocol: 'TCP',
      sourcePort: { port: 80 },
      destinationPort: { start: 8000, end: 8080 },
      port: { ports: [443, 8443] },
      icmpType: undefined,
      icmpCode: undefined,
      drops: false,
      sample: 0,
    },
    {
      index: 1,
      cidr: 'fd00::/64',
      action: 'Accept',
      direction: undefined,
      protocol: 'ICMPv6',
      icmpType: 128,
      icmpCode: 0,
      peer: 'fd00::1/128',
      drops: false,
      sample: 10,
    },
    {
      index: 2,
      cidr: '172.16.0.0/12',
      action: 'Accept',
      direction: 'Egress',
      protocol: 'TCP',
      icmpType: undefined,
      icmpCode: undefined,
      peer: '192.168.0.0/16',
      tcpFlags: 0x100,
      drops: true,
      sample: 0,
    },
    {
      index: 3,
      cidr: '0.0.0.0/0',
      action: 'Accept',
      direction: undefined,
      protocol: undefined,
      sourcePort: { ports: [53, 5353] },
      port: { start: 1, end: 1024 },
      icmpType: undefined,
      icmpCode: undefined,
      drops: false,
      sample: 0,
    },
  ]);
  assert.deepEqual(loadConfig({ FLOW_FILTER_RULES: '[]' }).capture.filterRules, []);
  assert.deepEqual(loadConfig({}).capture.filterRules, []);
});

test('a drops rule without ENABLE_PKT_DROPS is a warning: it would match nothing', () => {
  const rules = JSON.stringify([{ ip_cidr: '10.0.0.0/8' }, { ip_cidr: '10.1.0.0/16', drops: true }]);
  const warned = loadConfig({ FLOW_FILTER_RULES: rules }).warnings.map((warning) => `${warning.variable}: ${warning.problem}`);
  assert.deepEqual(warned, ['FLOW_FILTER_RULES[1].drops: without ENABLE_PKT_DROPS=true no packet is seen dropped, so this rule matches nothing']);
  assert.deepEqual(loadConfig({ FLOW_FILTER_RULES: rules, ENABLE_PKT_DROPS: 'true' }).warnings, []);
});

test('each bad value is one line naming the rule index and the field', () => {
  const cases: [unknown, (string | RegExp)[]][] = [
    ['{"ip_cidr": ', ['FLOW_FILTER_RULES: is not JSON (Unexpected end of JSON input)']],
    [{ ip_cidr: '10.0.0.0/8' }, ['FLOW_FILTER_RULES: must be a JSON array of rule objects']],
    [Array.from({ length: 17 }, (_, i) => ({ ip_cidr: `10.${i}.0.0/16` })), ["FLOW_FILTER_RULES: has 17 rules: at most 16 (NetObserv's limit too)"]],
    [['10.0.0.0/8'], ['FLOW_FILTER_RULES[0]="10.0.0.0/8": must be an object such as {"ip_cidr": "10.0.0.0/8", "action": "Accept"}']],
    [[{ ip_cidr: '10.0.0.0/33' }], ['FLOW_FILTER_RULES[0].ip_cidr="10.0.0.0/33": must be an address range such as 10.0.0.0/8 or fd00::/64']],
    [[{ action: 'accept' }], ['FLOW_FILTER_RULES[0].action="accept": must be one of Accept, Reject (case as written)']],
    [
      [{ ip_cidr: '10.0.0.0/8' }, { direction: 'Both', protocol: 'HTTP' }],
      [
        'FLOW_FILTER_RULES[1].direction="Both": must be one of Ingress, Egress (case as written)',
        'FLOW_FILTER_RULES[1].protocol="HTTP": must be one of TCP, UDP, SCTP, ICMP, ICMPv6 (case as written)',
      ],
    ],
    [[{ port: 0 }], ['FLOW_FILTER_RULES[0].port="0": must be an integer from 1 to 65535']],
    [[{ source_port: '80' }], ['FLOW_FILTER_RULES[0].source_port="80": must be an integer from 1 to 65535']],
    [
      [{ destination_port_range: '9000-8000' }],
      ['FLOW_FILTER_RULES[0].destination_port_range="9000-8000": must be "first-last", two ports from 1 to 65535 with first < last, such as "8000-8080"'],
    ],
    [[{ ports: '80,80' }], ['FLOW_FILTER_RULES[0].ports="80,80": must be two different ports from 1 to 65535, "a,b", such as "80,443"']],
    [[{ ports: '80,443,8080' }], ['FLOW_FILTER_RULES[0].ports="80,443,8080": must be two different ports from 1 to 65535, "a,b", such as "80,443"']],
    [
      [{ port: 80, port_range: '80-90' }],
      ['FLOW_FILTER_RULES[0].port_range="80-90": set only one of port, port_range, ports (NetObserv uses one and ignores the others)'],
    ],
    [[{ protocol: 'ICMP', port: 80 }], ['FLOW_FILTER_RULES[0].protocol="ICMP": has no ports: a port criterion needs TCP, UDP, SCTP or no protocol']],
    [[{ icmp_type: 8 }], ['FLOW_FILTER_RULES[0].icmp_type="8": needs "protocol": "ICMP" or "ICMPv6"']],
    [[{ protocol: 'ICMP', icmp_code: 1 }], ['FLOW_FILTER_RULES[0].icmp_code="1": needs icmp_type']],
    [[{ protocol: 'ICMP', icmp_type: 256 }], ['FLOW_FILTER_RULES[0].icmp_type="256": must be an integer from 0 to 255']],
    [[{ peer_ip: '10.0.0.300' }], ['FLOW_FILTER_RULES[0].peer_ip="10.0.0.300": must be an IPv4 or IPv6 address']],
    [[{ peer_cidr: 'fd00::/129' }], ['FLOW_FILTER_RULES[0].peer_cidr="fd00::/129": must be an address range such as 10.0.0.0/8 or fd00::/64']],
    [
      [{ peer_ip: '10.0.0.1', peer_cidr: '10.0.0.0/8' }],
      ['FLOW_FILTER_RULES[0].peer_ip="10.0.0.1": set peer_ip or peer_cidr, not both (NetObserv uses peer_cidr and ignores peer_ip)'],
    ],
    [
      [{ tcp_flags: 'SYNACK' }],
      ['FLOW_FILTER_RULES[0].tcp_flags="SYNACK": must be one of FIN, SYN, RST, PUSH, PSH, ACK, URG, ECE, CWR, SYN-ACK, FIN-ACK, RST-ACK'],
    ],
    [[{ protocol: 'UDP', tcp_flags: 'SYN' }], ['FLOW_FILTER_RULES[0].protocol="UDP": tcp_flags needs "protocol": "TCP" or no protocol']],
    [[{ drops: 'yes' }], ['FLOW_FILTER_RULES[0].drops="yes": must be true or false']],
    [[{ sample: -1 }], ['FLOW_FILTER_RULES[0].sample="-1": must be an integer from 0 to 4294967295']],
    [
      [{ ip_cidr: '10.0.0.0/8' }, { ip_cidr: '10.1.2.3/8', action: 'Reject' }],
      [
        'FLOW_FILTER_RULES[1].ip_cidr="10.1.2.3/8": is the ip_cidr of rule 0 too: the kernel holds one rule per range (NetObserv keeps the last silently); merge them',
      ],
    ],
    [[{ ip_cidr: '' }, { ip_cidr: '0.0.0.0/0' }], [/^FLOW_FILTER_RULES\[1\]\.ip_cidr="0\.0\.0\.0\/0": is the ip_cidr of rule 0 too/]],
    [[{ ip_cidrs: '10.0.0.0/8' }], [/^FLOW_FILTER_RULES\[0\]\.ip_cidrs="10\.0\.0\.0\/8": is not a rule field: one of ip_cidr, action, /]],
  ];
  for (const [rules, expected] of cases) {
    const lines = errors(rules);
    assert.equal(lines.length, expected.length, `${JSON.stringify(rules)}: ${lines.join(' | ')}`);
    lines.forEach((line, i) => {
      const wanted = expected[i];
      if (typeof wanted === 'string') assert.equal(line, wanted);
      else assert.match(line, wanted);
    });
  }
});

test('the kernel entries: IPv4 mapped, host bits cleared, each peer range with the bits of the rules containing it', () => {
  const { rules } = {
    rules: loadConfig({
      FLOW_FILTER_RULES: JSON.stringify([
        { ip_cidr: '10.1.2.3/8', peer_cidr: '192.168.0.0/16', destination_ports: '80,443' },
        { ip_cidr: 'fd00::/64', peer_cidr: '192.168.1.0/24', action: 'Reject', direction: 'Egress' },
        { peer_ip: '192.168.1.7', port: 53 },
      ]),
    }).capture.filterRules,
  };
  const { filterRules, filterPeers } = filterMaps(rules);
  const hex = (range: { prefixLen: number; ip: Buffer }) => `${range.ip.toString('hex')}/${range.prefixLen}`;
  assert.deepEqual(
    filterRules.map((rule) => hex(rule.range)),
    ['00000000000000000000ffff0a000000/104', 'fd000000000000000000000000000000/64', '00000000000000000000000000000000/0'],
  );
  assert.deepEqual(
    filterRules.map((rule) => [rule.action, rule.direction, rule.hasPeer, rule.dstPort1, rule.dstPort2, rule.port1, rule.port2]),
    [
      [0, 2, 1, 80, 443, 0, 0],
      [1, 1, 1, 0, 0, 0, 0],
      [0, 2, 1, 0, 0, 53, 53],
    ],
  );
  assert.deepEqual(
    filterPeers.map((peer) => [hex(peer.range), peer.rules]),
    [
      ['00000000000000000000ffffc0a80000/112', 0b001],
      ['00000000000000000000ffffc0a80100/120', 0b011],
      ['00000000000000000000ffffc0a80107/128', 0b111],
    ],
  );
});

test('the agent exits 2 on bad rules, one line each, before attaching anything', async () => {
  const net = await TestNet.create();
  try {
    const agent = AgentProcess.start(net.a.ns, {
      INTERFACES: 'fca',
      FLOW_FILTER_RULES: '[{"ip_cidr":"10.0.0.0/8","action":"Drop"},{"protocol":"TCP","port_range":"90-80"}]',
    });
    assert.equal(await agent.exited(), 2);
    assert.equal(
      agent.stderr,
      [
        'flowcast-agent: invalid configuration (see --help):',
        'FLOW_FILTER_RULES[0].action="Drop": must be one of Accept, Reject (case as written)',
        'FLOW_FILTER_RULES[1].port_range="90-80": must be "first-last", two ports from 1 to 65535 with first < last, such as "8000-8080"',
        '',
      ].join('\n'),
    );
    assert.deepEqual(await flowcastFilters(net.a), []);
    assert.doesNotMatch(await exec(net.a.ns, 'tc', 'qdisc', 'show', 'dev', net.a.ifname), /clsact/);
  } finally {
    await net.destroy();
  }
});
