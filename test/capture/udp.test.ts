import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ETH_HEADER, UDP } from '../helpers/constants.js';
import { Probe } from '../helpers/probe-client.js';
import type { ProbeFlow } from '../helpers/probe.js';
import { ATTACH_MODES, exec, interfaceStat, sendUdp } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

const net = sharedTestNet();

const udpFrom = (flows: ProbeFlow[], srcPort: number) =>
  flows.filter((flow) => flow.protocol === UDP && flow.srcPort === srcPort).sort((x, y) => x.dstPort - y.dstPort);

const sum = (flows: ProbeFlow[]) => flows.reduce((total, flow) => total + flow.packets, 0);

/** One flow per destination port, packets and bytes summed over drains (sorted by port). */
function merged(flows: ProbeFlow[]): ProbeFlow[] {
  const byPort = new Map<number, ProbeFlow>();
  for (const flow of flows) {
    const seen = byPort.get(flow.dstPort);
    byPort.set(flow.dstPort, seen ? { ...seen, packets: seen.packets + flow.packets, bytes: seen.bytes + flow.bytes } : flow);
  }
  return [...byPort.values()].sort((x, y) => x.dstPort - y.dstPort);
}

// Each test runs with TCX hooks (skipped before Linux 6.6) and with clsact filters.
for (const { mode, skip } of ATTACH_MODES) {
  test(`UDP: exact packets and bytes per flow, egress at the sender, ingress at the receiver [${mode}]`, { skip }, async () => {
    const sender = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'] });
    const receiver = await Probe.start(net.b, { attachMode: mode, interfaces: ['fcb'] });
    assert.deepEqual(sender.attachments.map((a) => a.direction).sort(), ['egress', 'ingress']);
    assert.deepEqual(
      sender.attachments.map((a) => a.mode),
      [mode, mode],
    );
    const dropsBefore = await interfaceStat(net.a, 'tx_dropped');

    const flows = 5;
    const packets = 1000;
    const payload = 100;
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows, packets, payload, srcPort: 33333 });
    const sent = udpFrom((await sender.close()).flows, 33333);
    assert.equal(await interfaceStat(net.a, 'tx_dropped'), dropsBefore, 'the veth dropped packets: ingress cannot match');
    // Ingress runs after the sender is done: drain until every packet has arrived, then detach.
    const receivedDrains = await receiver.closeOnceCounted(packets, (drained) => sum(udpFrom(drained, 33333)));
    const received = merged(
      udpFrom(
        receivedDrains.flatMap((drained) => drained.flows),
        33333,
      ),
    );

    const frame = ETH_HEADER + 20 + 8 + payload;
    assert.equal(sent.length, flows);
    assert.equal(received.length, flows);
    for (const [index, flow] of sent.entries()) {
      assert.deepEqual(
        {
          direction: flow.direction,
          interface: flow.interface,
          etherType: flow.etherType,
          srcMac: flow.srcMac,
          dstMac: flow.dstMac,
          srcAddr: flow.srcAddr,
          dstAddr: flow.dstAddr,
          dstPort: flow.dstPort,
          packets: flow.packets,
          bytes: flow.bytes,
          sampling: flow.sampling,
          dscp: flow.dscp,
        },
        {
          direction: 'egress',
          interface: 'fca',
          etherType: ETH_IPV4,
          srcMac: net.a.mac,
          dstMac: net.b.mac,
          srcAddr: net.a.ipv4,
          dstAddr: net.b.ipv4,
          dstPort: 40000 + index,
          packets: packets / flows,
          bytes: (packets / flows) * frame,
          sampling: 1,
          dscp: 0,
        },
      );
      assert.ok(flow.firstSeen <= flow.lastSeen);
      assert.ok(Math.abs(flow.lastSeen / 1000 - Date.now()) < 60_000, 'last seen is wall-clock time');
    }
    for (const [index, flow] of received.entries()) {
      assert.equal(flow.direction, 'ingress');
      assert.equal(flow.interface, 'fcb');
      assert.equal(flow.dstPort, 40000 + index);
      assert.equal(flow.packets, packets / flows);
      assert.equal(flow.bytes, (packets / flows) * frame);
    }
  });

  test(`UDP over IPv6: addresses, EtherType and frame bytes [${mode}]`, { skip }, async () => {
    const sender = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'], direction: 'egress' });
    await sendUdp(net.a, net.b.ipv6, { firstPort: 41000, flows: 3, packets: 300, payload: 64, srcPort: 33334 });
    const sent = udpFrom((await sender.close()).flows, 33334);
    assert.deepEqual(
      sent.map((flow) => [flow.etherType, flow.srcAddr, flow.dstAddr, flow.dstPort, flow.packets, flow.bytes]),
      [0, 1, 2].map((i) => [ETH_IPV6, net.a.ipv6, net.b.ipv6, 41000 + i, 100, 100 * (ETH_HEADER + 40 + 8 + 64)]),
    );
  });

  test(`IPv6 with an extension header: the transport header behind it is found [${mode}]`, { skip }, async () => {
    const sender = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'], direction: 'egress' });
    // A destination-options header (8 bytes: next header, length 0, a PadN option) before UDP.
    const script = [
      'import socket',
      's = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)',
      's.bind(("", 33335))',
      's.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))',
      `for _ in range(7): s.sendto(b"x" * 10, ("${net.b.ipv6}", 42000))`,
    ].join('\n');
    await exec(net.a.ns, 'python3', '-c', script);
    const flows = (await sender.close()).flows.filter((flow) => flow.etherType === ETH_IPV6 && flow.dstPort === 42000);
    assert.deepEqual(
      flows.map((flow) => [flow.protocol, flow.srcPort, flow.packets, flow.bytes]),
      [[UDP, 33335, 7, 7 * (ETH_HEADER + 40 + 8 + 8 + 10)]],
    );
  });
}
