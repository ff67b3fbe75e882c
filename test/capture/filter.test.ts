// FLOW_FILTER_RULES in the kernel (bpf/filter.h): exact traffic from host a, captured on a's egress
// (sendmmsg returns once the egress hook ran, so counts are final when the sender is done).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

import { filterMaps } from '../../src/capture/filter.js';
import { parseFilterRules } from '../../src/config/filter-rules.js';
import { loadAddon } from '../../src/native/index.js';
import type { CaptureOptions } from '../../src/capture/index.js';
import { ICMP, TCP, UDP } from '../helpers/constants.js';
import { ATTACH_MODES, PROJECT_ROOT, bpfIdsOf, exec, sendUdp } from '../helpers/netns.js';
import { Probe, type Drained } from '../helpers/probe-client.js';
import type { ProbeFlow } from '../helpers/probe.js';
import { sharedTestNet } from '../helpers/shared-net.js';

/** A second address of b, outside the rules that name b's first: its neighbour entry pinned too. */
const B_SECOND = '198.18.0.3';

const net = sharedTestNet({
  setUp: async (testNet) => {
    await exec(testNet.b.ns, 'ip', 'addr', 'add', `${B_SECOND}/24`, 'dev', testNet.b.ifname);
    await exec(testNet.a.ns, 'ip', 'neigh', 'replace', B_SECOND, 'lladdr', testNet.b.mac, 'nud', 'permanent', 'dev', testNet.a.ifname);
  },
});

function rules(json: unknown[]): CaptureOptions['filterRules'] {
  const parsed = parseFilterRules(JSON.stringify(json));
  assert.deepEqual(parsed.issues, []);
  return parsed.rules;
}

const SRC_PORT = 35000;
const udp = (drained: Drained): ProbeFlow[] =>
  drained.flows
    .filter((flow) => flow.protocol === UDP && flow.srcPort === SRC_PORT)
    .sort((x, y) => x.dstPort - y.dstPort || x.dstAddr.localeCompare(y.dstAddr));
const summary = (flows: ProbeFlow[]) => flows.map((flow) => `${flow.dstAddr}:${flow.dstPort} ${flow.packets}`);

/** Counters of rule `index` (or the packets of no rule: 'none'). */
function counts(drained: Drained, rule: number | 'none') {
  const filtered = drained.counters.filtered ?? [];
  return filtered[rule === 'none' ? filtered.length - 1 : rule];
}

for (const { mode, skip } of ATTACH_MODES) {
  test(`Accept a CIDR: only its flows are exported, exact; the rest counted as no match [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, {
      attachMode: mode,
      interfaces: ['fca'],
      direction: 'egress',
      filterRules: rules([{ ip_cidr: `${net.b.ipv4}/32`, action: 'Accept' }]),
    });
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 300, payload: 32, srcPort: SRC_PORT });
    await sendUdp(net.a, B_SECOND, { firstPort: 40000, flows: 2, packets: 200, payload: 32, srcPort: SRC_PORT });
    const drained = await probe.close();
    assert.deepEqual(summary(udp(drained)), [`${net.b.ipv4}:40000 100`, `${net.b.ipv4}:40001 100`, `${net.b.ipv4}:40002 100`]);
    assert.deepEqual(
      drained.flows.filter((flow) => flow.dstAddr === B_SECOND),
      [],
      'nothing to the other address',
    );
    assert.deepEqual(counts(drained, 0), { accepted: 300, rejected: 0, noMatch: 0 });
    assert.deepEqual(counts(drained, 'none'), { accepted: 0, rejected: 0, noMatch: 200 });
  });

  test(`Reject a port: its flow is absent, the others exact [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, {
      attachMode: mode,
      interfaces: ['fca'],
      direction: 'egress',
      filterRules: rules([{ action: 'Reject', port: 40001 }]),
    });
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 300, payload: 32, srcPort: SRC_PORT });
    const drained = await probe.close();
    assert.deepEqual(summary(udp(drained)), [`${net.b.ipv4}:40000 100`, `${net.b.ipv4}:40002 100`]);
    // Its range held both addresses: the others are no match of a Reject rule, so kept.
    assert.deepEqual(counts(drained, 0), { accepted: 0, rejected: 100, noMatch: 200 });
  });
}

test('IPv4 and IPv6 ranges stay in their family; ::/0 holds every address', async () => {
  const probe = await Probe.start(net.a, {
    interfaces: ['fca'],
    direction: 'egress',
    filterRules: rules([
      { ip_cidr: '::/0', protocol: 'UDP' },
      { ip_cidr: '198.18.0.0/16', action: 'Reject' },
    ]),
  });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 1, packets: 100, payload: 32, srcPort: SRC_PORT });
  await sendUdp(net.a, net.b.ipv6, { firstPort: 40000, flows: 1, packets: 100, payload: 32, srcPort: SRC_PORT });
  const drained = await probe.close();
  assert.deepEqual(summary(udp(drained)), [`${net.b.ipv6}:40000 100`]);
  assert.deepEqual(counts(drained, 0), { accepted: 100, rejected: 0, noMatch: 0 });
  assert.deepEqual(counts(drained, 1), { accepted: 0, rejected: 100, noMatch: 0 });
});

test('a destination port range, UDP only: ports outside it and other protocols are skipped', async () => {
  const probe = await Probe.start(net.a, {
    interfaces: ['fca'],
    direction: 'egress',
    filterRules: rules([{ ip_cidr: '198.18.0.0/24', protocol: 'UDP', destination_port_range: '40001-40002' }]),
  });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 4, packets: 400, payload: 32, srcPort: SRC_PORT });
  await exec(net.a.ns, 'ping', '-c', '3', '-i', '0.05', net.b.ipv4);
  const drained = await probe.close();
  assert.deepEqual(summary(udp(drained)), [`${net.b.ipv4}:40001 100`, `${net.b.ipv4}:40002 100`]);
  assert.deepEqual(
    drained.flows.filter((flow) => flow.protocol !== UDP),
    [],
    'no ICMP flow',
  );
  assert.deepEqual(counts(drained, 0), { accepted: 200, rejected: 0, noMatch: 203 });
});

test('direction and protocol: ICMP leaving a is kept, the echo replies arriving are not', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], filterRules: rules([{ protocol: 'ICMP', direction: 'Egress' }]) });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 1, packets: 50, payload: 32, srcPort: SRC_PORT });
  await exec(net.a.ns, 'ping', '-c', '5', '-i', '0.05', net.b.ipv4);
  const drained = await probe.close();
  const icmp = drained.flows.filter((flow) => flow.protocol === ICMP);
  assert.deepEqual(
    icmp.map((flow) => [flow.direction, flow.icmpType, flow.packets]),
    [['egress', 8, 5]],
  );
  assert.deepEqual(udp(drained), []);
  // b answers the UDP to a closed port with ICMP port unreachable (rate-limited): ingress, skipped.
  const judged = counts(drained, 0);
  assert.equal(judged.accepted, 5);
  assert.ok(judged.noMatch >= 50 + 5, `the UDP and the replies: ${judged.noMatch}`);
});

test("peer_cidr: a rule holds only its own peer's traffic", async () => {
  const probe = await Probe.start(net.a, {
    interfaces: ['fca'],
    direction: 'egress',
    filterRules: rules([{ ip_cidr: `${net.a.ipv4}/32`, peer_cidr: `${net.b.ipv4}/32`, action: 'Accept' }]),
  });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 2, packets: 200, payload: 32, srcPort: SRC_PORT });
  await sendUdp(net.a, B_SECOND, { firstPort: 40000, flows: 2, packets: 100, payload: 32, srcPort: SRC_PORT });
  const drained = await probe.close();
  assert.deepEqual(summary(udp(drained)), [`${net.b.ipv4}:40000 100`, `${net.b.ipv4}:40001 100`]);
  assert.deepEqual(counts(drained, 0), { accepted: 200, rejected: 0, noMatch: 100 });
});

test('tcp_flags: only the packets with that flag value are counted (SYN: the client’s first)', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], filterRules: rules([{ protocol: 'TCP', tcp_flags: 'SYN' }]) });
  await tcpExchange(5202);
  const drained = await probe.close();
  const tcp = drained.flows.filter((flow) => flow.protocol === TCP);
  assert.deepEqual(
    tcp.map((flow) => [flow.direction, flow.dstPort, flow.packets, flow.netobservTcpFlags]),
    [['egress', 5202, 1, 0x02]],
  );
  assert.equal(counts(drained, 0).accepted, 1);
});

test("a rule's sample overrides SAMPLING: its flows carry it, other rules' flows are exact", async () => {
  const probe = await Probe.start(net.a, {
    interfaces: ['fca'],
    direction: 'egress',
    sampling: 1,
    filterRules: rules([{ ip_cidr: `${net.b.ipv4}/32`, sample: 4 }, { ip_cidr: `${B_SECOND}/32` }]),
  });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 1, packets: 2000, payload: 32, srcPort: SRC_PORT });
  await sendUdp(net.a, B_SECOND, { firstPort: 40000, flows: 1, packets: 300, payload: 32, srcPort: SRC_PORT });
  const drained = await probe.close();
  const [sampled, exact] = [net.b.ipv4, B_SECOND].map((address) => udp(drained).find((flow) => flow.dstAddr === address));
  assert.ok(sampled && exact, summary(udp(drained)).join('; '));
  assert.equal(sampled.sampling, 4);
  // 1 in 4 of 2000 drawn at random: 500 expected; 300..700 is far beyond 8 standard deviations.
  assert.ok(sampled.packets > 300 && sampled.packets < 700, `sampled ${sampled.packets} of 2000`);
  assert.deepEqual([exact.sampling, exact.packets], [1, 300]);
  // The filter judges every packet; sampling comes after it.
  assert.deepEqual(counts(drained, 0), { accepted: 2000, rejected: 0, noMatch: 0 });
  assert.deepEqual(counts(drained, 1), { accepted: 300, rejected: 0, noMatch: 0 });
});

test('without rules the kernel keeps no filter counters and every packet is counted', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], direction: 'egress' });
  await sendUdp(net.a, B_SECOND, { firstPort: 40000, flows: 2, packets: 200, payload: 32, srcPort: SRC_PORT });
  const drained = await probe.close();
  assert.deepEqual(summary(udp(drained)), [`${B_SECOND}:40000 100`, `${B_SECOND}:40001 100`]);
  assert.equal(drained.counters.filtered, undefined);
});

test('icmp_type 0 (echo reply) is filtered on, as NetObserv documents (its code drops icmp_type)', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], filterRules: rules([{ protocol: 'ICMP', icmp_type: 0, icmp_code: 0 }]) });
  await exec(net.a.ns, 'ping', '-c', '4', '-i', '0.05', net.b.ipv4);
  const drained = await probe.close();
  assert.deepEqual(
    drained.flows.map((flow) => [flow.direction, flow.protocol, flow.icmpType, flow.packets]),
    [['ingress', ICMP, 0, 4]],
  );
  assert.deepEqual(counts(drained, 0), { accepted: 4, rejected: 0, noMatch: 4 });
});

test('drops: true keeps only the packets the kernel dropped (the drop hook), none counted at TC', async () => {
  // Port 47113 is closed on b: each datagram is dropped (NO_SOCKET) after b's TC ingress saw it.
  const port = 47113;
  const probe = await Probe.start(net.b, {
    interfaces: ['fcb'],
    packetDrops: true,
    filterRules: rules([{ ip_cidr: `${net.b.ipv4}/32`, protocol: 'UDP', destination_port: port, drops: true }]),
  });
  await sendUdp(net.a, net.b.ipv4, { firstPort: port, flows: 1, packets: 100, payload: 16, srcPort: SRC_PORT });
  const drains = await probe.closeOnceCounted(100, (flows) => udp({ flows } as Drained).reduce((sum, flow) => sum + (flow.drops?.packets ?? 0), 0));
  const flows = drains.flatMap((drained) => udp(drained));
  assert.deepEqual(
    flows.map((flow) => [flow.dstPort, flow.packets, flow.drops?.packets]),
    [[port, 0, 100]],
    'a flow of drops only: its packets at TC were no match of a drops rule',
  );
  const last = drains.at(-1)!;
  assert.equal(counts(last, 0).accepted, 100);
  assert.ok(counts(last, 0).noMatch >= 100, `TC saw the datagrams: ${counts(last, 0).noMatch}`);
});

/** One TCP connection from a to b's `port` (tcp-exchange: 10000 bytes, then both close). */
async function tcpExchange(port: number): Promise<void> {
  const server = spawn('ip', ['netns', 'exec', net.b.ns, process.execPath, `${PROJECT_ROOT}test/tools/tcp-exchange.mjs`, 'server', String(port)]);
  const serverExit = once(server, 'exit');
  await once(server.stdout, 'data');
  await exec(net.a.ns, process.execPath, `${PROJECT_ROOT}test/tools/tcp-exchange.mjs`, 'client', net.b.ipv4, String(port), '10000');
  await serverExit;
}

test('a rejected connection leaves no RTT record either (the RTT hook runs the filter)', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], rtt: true, filterRules: rules([{ action: 'Reject', port: 5204 }]) });
  await tcpExchange(5203);
  await tcpExchange(5204);
  const drained = await probe.close();
  const tcp = drained.flows.filter((flow) => flow.protocol === TCP);
  assert.ok(
    tcp.some((flow) => flow.srcPort === 5203 && flow.rtt! > 0),
    `the kept connection has its RTT: ${JSON.stringify(tcp.map((flow) => [flow.srcPort, flow.dstPort, flow.rtt]))}`,
  );
  assert.deepEqual(
    tcp.filter((flow) => flow.srcPort === 5204 || flow.dstPort === 5204),
    [],
  );
});

test('without rules the verifier removes the filter: the programs reference none of its maps', () => {
  const { Capture } = loadAddon();
  const filterMapIds = () =>
    bpfIdsOf(process.pid, 'map').filter((id) => /"name":"filter_/.test(execFileSync('bpftool', ['map', 'show', 'id', String(id), '--json']).toString()));
  const programs = () =>
    bpfIdsOf(process.pid, 'prog').map((id) => ({
      xlated: execFileSync('bpftool', ['prog', 'dump', 'xlated', 'id', String(id)]).toString(),
      size: (JSON.parse(execFileSync('bpftool', ['prog', 'show', 'id', String(id), '--json']).toString()) as { bytes_xlated: number }).bytes_xlated,
    }));
  const referenced = (xlated: string, ids: number[]) => ids.filter((id) => xlated.includes(`map[id:${id}]`));

  const plain = new Capture({ maxFlows: 64 });
  const [withoutIds, without] = [filterMapIds(), programs()];
  plain.close();
  const filtering = new Capture({ maxFlows: 64, ...filterMaps(rules([{ ip_cidr: '10.0.0.0/8' }])!) });
  const [withIds, withRules] = [filterMapIds(), programs()];
  filtering.close();

  assert.equal(without.length, 2);
  for (const program of without) assert.deepEqual(referenced(program.xlated, withoutIds), []);
  for (const program of withRules) assert.notDeepEqual(referenced(program.xlated, withIds), [], 'with rules the filter runs');
  assert.ok(withRules[0].size > without[0].size);
});
