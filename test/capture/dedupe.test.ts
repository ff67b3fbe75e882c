// DEDUPER: a packet that crosses a veth and a Linux bridge inside one namespace (A's veth -> B's
// bridge -> C's veth) passes two of B's hooks: the ingress of the bridge port towards A and the
// egress of the port towards C. The capture runs in B on all its interfaces. firstCome (the
// default, NetObserv's in-kernel deduplication): one flow per 5-tuple, counted once, its dupList
// naming both hooks; none: one flow per interface and direction, each with every packet.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { UDP, udpFrameBytes } from '../helpers/constants.js';
import { Probe } from '../helpers/probe-client.js';
import type { ProbeFlow } from '../helpers/probe.js';
import { UDPGEN, exec, sh, type Host } from '../helpers/netns.js';
import { waitUntil } from '../helpers/wait.js';

const tag = `fd${process.pid}`;
const NS = { a: `${tag}a`, b: `${tag}b`, c: `${tag}c` };
const A = '198.18.1.1';
const C = '198.18.1.3';
/**
 * Where A sends: C's MAC, an address C does not hold. C (not a router) drops the packets without a
 * word, where its own address would answer each burst with ICMP port unreachable (flows of their
 * own, which in a one-flow map would take the ring buffer's only flow).
 */
const TARGET = '198.18.1.9';
const PAYLOAD = 100;
const FRAME = udpFrameBytes(PAYLOAD);
/** B's interfaces: the bridge ports towards A (fdb) and C (fdc), and the bridge. */
const B_INTERFACES = ['fdb', 'fdc', 'fdbr'];

const mac = async (ns: string, ifname: string) => (await exec(ns, 'cat', `/sys/class/net/${ifname}/address`)).trim();
const received = async () => Number(await exec(NS.c, 'cat', '/sys/class/net/fdd/statistics/rx_packets'));

before(async () => {
  for (const ns of Object.values(NS)) {
    await sh('ip', 'netns', 'add', ns);
    // No IPv6 at all: no router solicitations, DAD or MLD reports of the kernel's own.
    await exec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    await exec(ns, 'ip', 'link', 'set', 'lo', 'up');
  }
  await sh('ip', 'link', 'add', 'fda', 'netns', NS.a, 'type', 'veth', 'peer', 'name', 'fdb', 'netns', NS.b);
  await sh('ip', 'link', 'add', 'fdc', 'netns', NS.b, 'type', 'veth', 'peer', 'name', 'fdd', 'netns', NS.c);
  await exec(NS.b, 'ip', 'link', 'add', 'fdbr', 'type', 'bridge', 'stp_state', '0');
  for (const port of ['fdb', 'fdc']) await exec(NS.b, 'ip', 'link', 'set', port, 'master', 'fdbr', 'up');
  await exec(NS.b, 'ip', 'link', 'set', 'fdbr', 'up');
  await exec(NS.a, 'ip', 'addr', 'add', `${A}/24`, 'dev', 'fda');
  await exec(NS.c, 'ip', 'addr', 'add', `${C}/24`, 'dev', 'fdd');
  await exec(NS.a, 'ip', 'link', 'set', 'fda', 'up');
  await exec(NS.c, 'ip', 'link', 'set', 'fdd', 'up');
  // A's neighbour and the bridge's forwarding entries pinned: no ARP, and no flooding (a flooded
  // frame would reach the bridge's own ingress too), so each packet takes the same two hooks.
  const macA = await mac(NS.a, 'fda');
  const macC = await mac(NS.c, 'fdd');
  await exec(NS.a, 'ip', 'neigh', 'replace', TARGET, 'lladdr', macC, 'dev', 'fda', 'nud', 'permanent');
  await exec(NS.b, 'bridge', 'fdb', 'replace', macA, 'dev', 'fdb', 'master', 'static');
  await exec(NS.b, 'bridge', 'fdb', 'replace', macC, 'dev', 'fdc', 'master', 'static');
  for (const [ns, ifname] of [
    [NS.a, 'fda'],
    [NS.b, 'fdb'],
    [NS.b, 'fdc'],
    [NS.c, 'fdd'],
  ]) {
    await waitUntil(async () => (await exec(ns, 'cat', `/sys/class/net/${ifname}/operstate`)).trim() === 'up', `${ifname} up`, 15_000);
  }
});

after(async () => {
  for (const ns of Object.values(NS)) await sh('ip', 'netns', 'del', ns).catch(() => undefined);
});

const hostB = (): Host => ({ ns: NS.b, ifname: 'fdb', ipv4: '', ipv6: '', mac: '' });

/** Sends `packets` UDP datagrams A -> C from `srcPort` and waits until C has them all (B forwarded every one). */
async function send(packets: number, srcPort: number, firstPort = 5000): Promise<void> {
  const before = await received();
  await exec(NS.a, UDPGEN, TARGET, String(firstPort), '1', String(packets), String(PAYLOAD), String(srcPort));
  await waitUntil(async () => (await received()) - before >= packets, `${packets} packets at C`, 15_000);
}

const flowsFrom = (flows: ProbeFlow[], srcPort: number) => flows.filter((flow) => flow.protocol === UDP && flow.srcPort === srcPort);
const hooks = (flow: ProbeFlow) => flow.dupList.map((entry) => `${entry.interface}/${entry.direction}`);

test('DEDUPER=firstCome (default): a packet crossing a veth and a bridge is one flow, counted once, its dupList naming both hooks', async () => {
  const probe = await Probe.start(hostB(), { interfaces: B_INTERFACES });
  const packets = 1000;
  await send(packets, 33001);
  const flows = flowsFrom((await probe.close()).flows, 33001);
  assert.equal(flows.length, 1, `one flow per 5-tuple: ${JSON.stringify(flows.map(hooks))}`);
  const [flow] = flows;
  assert.equal(flow.packets, packets);
  assert.equal(flow.bytes, packets * FRAME);
  assert.equal(flow.interface, 'fdb');
  assert.equal(flow.direction, 'ingress');
  assert.deepEqual(hooks(flow), ['fdb/ingress', 'fdc/egress']);
  assert.equal(flow.srcAddr, A);
  assert.equal(flow.dstAddr, TARGET);
  assert.equal(flow.srcMac, await mac(NS.a, 'fda'));
  assert.equal(flow.dstMac, await mac(NS.c, 'fdd'));
});

test('DEDUPER=firstCome through the ring buffer (a full flow map): the userspace merge keeps the same rule', async () => {
  const probe = await Probe.start(hostB(), { interfaces: B_INTERFACES, maxFlows: 1 });
  await send(1, 33002, 6000); // takes the map's only entry
  const packets = 1000;
  await send(packets, 33003);
  const drained = await probe.close();
  assert.ok(drained.counters.ringBufferPackets >= 2 * packets, `every packet of the second flow went through the ring (${drained.counters.ringBufferPackets})`);
  const flows = flowsFrom(drained.flows, 33003);
  assert.equal(flows.length, 1, `one flow per 5-tuple: ${JSON.stringify(flows.map(hooks))}`);
  assert.equal(flows[0].packets, packets);
  assert.equal(flows[0].bytes, packets * FRAME);
  assert.deepEqual(hooks(flows[0]), ['fdb/ingress', 'fdc/egress']);
});

test('DEDUPER=none: one flow per interface and direction, each with every packet', async () => {
  const probe = await Probe.start(hostB(), { interfaces: B_INTERFACES, deduper: 'none' });
  const packets = 1000;
  await send(packets, 33004);
  const flows = flowsFrom((await probe.close()).flows, 33004).sort((x, y) => x.interface.localeCompare(y.interface));
  assert.deepEqual(
    flows.map((flow) => [flow.interface, flow.direction, flow.packets, flow.bytes]),
    [
      ['fdb', 'ingress', packets, packets * FRAME],
      ['fdc', 'egress', packets, packets * FRAME],
    ],
  );
  assert.deepEqual(flows.map(hooks), [['fdb/ingress'], ['fdc/egress']]);
});

test('a flow flooded to more bridge ports than its six observed slots: the first six listed, the rest counted as missed', async () => {
  // Seven more ports (veth pairs inside B, the peers not captured); a destination MAC the bridge
  // has not learned makes it flood every packet to all eight ports but the one it came in on.
  const ports = Array.from({ length: 7 }, (_, i) => `fdp${i}`);
  for (const port of ports) {
    await exec(NS.b, 'ip', 'link', 'add', port, 'type', 'veth', 'peer', 'name', `${port}x`);
    await exec(NS.b, 'ip', 'link', 'set', `${port}x`, 'up');
    await exec(NS.b, 'ip', 'link', 'set', port, 'master', 'fdbr', 'up');
  }
  try {
    for (const port of ports) await waitUntil(async () => (await exec(NS.b, 'cat', `/sys/class/net/${port}/operstate`)).trim() === 'up', `${port} up`, 15_000);
    const unknown = '198.18.1.10';
    await exec(NS.a, 'ip', 'neigh', 'replace', unknown, 'lladdr', '02:00:00:00:0f:0f', 'dev', 'fda', 'nud', 'permanent');
    const probe = await Probe.start(hostB(), { interfaces: [...B_INTERFACES, ...ports] });
    const packets = 100;
    const before = await received();
    await exec(NS.a, UDPGEN, unknown, '7000', '1', String(packets), String(PAYLOAD), '33005');
    await waitUntil(async () => (await received()) - before >= packets, `${packets} flooded packets at C`, 15_000);
    const drained = await probe.close();
    const flows = flowsFrom(drained.flows, 33005);
    assert.equal(flows.length, 1);
    assert.equal(flows[0].packets, packets);
    // fdb (counted) and six of the eight egress ports (fdc and the seven new ones).
    const [counted, ...others] = hooks(flows[0]);
    assert.equal(counted, 'fdb/ingress');
    assert.equal(others.length, 6);
    for (const other of others) assert.match(other, /^fd(c|p\d)\/egress$/);
    // Each packet met two ports with no slot left.
    assert.equal(drained.counters.observedInterfacesMissed, 2 * packets);
  } finally {
    for (const port of ports) await exec(NS.b, 'ip', 'link', 'del', port).catch(() => undefined);
  }
});
