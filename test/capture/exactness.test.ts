import assert from 'node:assert/strict';
import { test } from 'node:test';

import { UDP, udpFrameBytes } from '../helpers/constants.js';
import { Probe, type Drained } from '../helpers/probe-client.js';
import { ATTACH_MODES, interfaceStat, sendUdp } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';
import { waitUntil } from '../helpers/wait.js';

const net = sharedTestNet();

/** Drains `probe` in a loop until `traffic` settles; returns every drain (the probe stays open). */
async function drainDuring(probe: Probe, traffic: Promise<void>, pauseMs: number, onDrain: () => void = () => undefined): Promise<Drained[]> {
  let done = false;
  const finished = traffic.finally(() => (done = true));
  const drains: Drained[] = [];
  while (!done) {
    drains.push(await probe.drain());
    onDrain();
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  await finished;
  return drains;
}

/** Packets and bytes per destination port over every drain, for UDP from `srcPort`. */
function perFlow(drains: Drained[], srcPort: number): Map<number, { packets: number; bytes: number }> {
  const totals = new Map<number, { packets: number; bytes: number }>();
  for (const flow of drains.flatMap((drain) => drain.flows)) {
    if (flow.protocol !== UDP || flow.srcPort !== srcPort) continue;
    const total = totals.get(flow.dstPort) ?? { packets: 0, bytes: 0 };
    total.packets += flow.packets;
    total.bytes += flow.bytes;
    totals.set(flow.dstPort, total);
  }
  return totals;
}

const sum = (values: Iterable<{ packets: number }>) => [...values].reduce((total, value) => total + value.packets, 0);

// Each test runs with TCX hooks (skipped before Linux 6.6) and with clsact filters.
for (const { mode, skip } of ATTACH_MODES) {
  test(`10,000 flows and 1,000,000 packets drained repeatedly while traffic runs: every packet exactly once [${mode}]`, { skip }, async () => {
    const sender = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'], direction: 'egress', maxFlows: 16384 });
    const receiver = await Probe.start(net.b, { attachMode: mode, interfaces: ['fcb'], direction: 'ingress', maxFlows: 16384 });
    const dropsBefore = await interfaceStat(net.a, 'tx_dropped');
    const flows = 10_000;
    const packets = 1_000_000;
    // In two halves (50 packets a flow each), with a drain of the sender started after the first
    // half: the first half is drained before the close, whatever the speeds of sending and draining.
    let senderDrains = 0;
    const traffic = (async () => {
      await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows, packets: packets / 2, payload: 18, srcPort: 30001 });
      const seen = senderDrains; // the drain in flight may have started before the first half ended
      await waitUntil(() => senderDrains >= seen + 2, 'a drain of the sender between the halves');
      await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows, packets: packets / 2, payload: 18, srcPort: 30001 });
    })();
    const [during, receivedDuring] = await Promise.all([drainDuring(sender, traffic, 20, () => senderDrains++), drainDuring(receiver, traffic, 20)]);
    const sent = [...during, await sender.close()];
    const dropped = (await interfaceStat(net.a, 'tx_dropped')) - dropsBefore;
    // Ingress runs after the sender is done: drain until every packet has arrived, then detach.
    const receivedBefore = sum(perFlow(receivedDuring, 30001).values());
    const received = [
      ...receivedDuring,
      ...(await receiver.closeOnceCounted(packets - dropped - receivedBefore, (flows) =>
        sum(flows.filter((flow) => flow.protocol === UDP && flow.srcPort === 30001)),
      )),
    ];

    const drainedWhileSending = perFlow(during, 30001);
    assert.equal(drainedWhileSending.size, flows, 'every flow was drained before the close');
    assert.ok(sum(drainedWhileSending.values()) >= packets / 2, `the first half was drained before the close (${sum(drainedWhileSending.values())} packets)`);
    const egress = perFlow(sent, 30001);
    assert.equal(egress.size, flows);
    for (const [port, total] of egress) {
      assert.deepEqual(total, { packets: 100, bytes: 100 * udpFrameBytes(18) }, `flow to port ${port}`);
    }
    assert.equal(sum(perFlow(received, 30001).values()), packets - dropped, 'ingress = sent - veth drops');
    for (const drain of [...sent, ...received]) {
      assert.equal(drain.counters.lostPackets, 0);
      assert.equal(drain.counters.ringBufferPackets, 0);
    }
  });

  test(`a map smaller than the flows: the rest goes through the ring buffer, every packet accounted [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, {
      attachMode: mode,
      interfaces: ['fca'],
      direction: 'egress',
      maxFlows: 500,
      ringBufferBytes: 16 << 20, // wakes at 2 MiB waiting
    });
    // 800 flows: 500 fit in the map, 300 come from the ring buffer (which holds up to 500 flows too).
    await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 800, packets: 80_000, payload: 18, srcPort: 30002 });
    const drained = await probe.close();
    const egress = perFlow([drained], 30002);
    assert.equal(egress.size, 800, 'every flow is reported, in the map or from the ring buffer');
    for (const total of egress.values()) assert.equal(total.packets, 100);
    assert.equal(drained.counters.lostPackets, 0);
    assert.ok(drained.counters.ringBufferPackets >= 80_000 - 500 * 100, `${drained.counters.ringBufferPackets} via ring buffer`);
    assert.ok(drained.overflows >= 1, 'the capture signalled the full map');
    const ours = drained.flows.filter((flow) => flow.protocol === UDP && flow.srcPort === 30002);
    assert.equal(new Set(ours.map((flow) => flow.dstPort)).size, ours.length, 'each flow once per drain');
  });

  test(`a full map and a full ring buffer: flows + lost packets = what the interface sent [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'], direction: 'egress', maxFlows: 100, ringBufferBytes: 4096 });
    const before = (await interfaceStat(net.a, 'tx_packets')) + (await interfaceStat(net.a, 'tx_dropped'));
    await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 1000, packets: 100_000, payload: 18, srcPort: 30003 });
    const drained = await probe.close();
    const after = (await interfaceStat(net.a, 'tx_packets')) + (await interfaceStat(net.a, 'tx_dropped'));
    const { lostPackets, ringBufferPackets } = drained.counters;
    assert.ok(lostPackets > 0, 'a 4 KiB ring buffer cannot hold 90,000 packets');
    assert.ok(ringBufferPackets > 0);
    // Every packet the interface sent while attached is in a flow or in the loss counter.
    assert.equal(sum(drained.flows) + lostPackets, after - before);
    assert.ok(sum(perFlow([drained], 30003).values()) <= 100_000);
  });

  test(`the ring buffer's flows are bounded at CACHE_MAX_FLOWS: the rest is lost, and flows + lost = what the interface sent [${mode}]`, { skip }, async () => {
    const maxFlows = 100;
    const probe = await Probe.start(net.a, {
      attachMode: mode,
      interfaces: ['fca'],
      direction: 'egress',
      maxFlows,
      ringBufferBytes: 64 << 20, // room for every packet
    });
    const before = (await interfaceStat(net.a, 'tx_packets')) + (await interfaceStat(net.a, 'tx_dropped'));
    await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 1000, packets: 100_000, payload: 18, srcPort: 30006 });
    const drained = await probe.close();
    const after = (await interfaceStat(net.a, 'tx_packets')) + (await interfaceStat(net.a, 'tx_dropped'));
    const { lostPackets, ringBufferPackets } = drained.counters;
    // One map was written (nothing drained while sending) and the ring buffer's flows: 2 x 100.
    assert.ok(drained.flows.length <= 2 * maxFlows, `${drained.flows.length} flows from one map and the ring buffer`);
    assert.ok(lostPackets >= 100_000 - 2 * maxFlows * 100, `${lostPackets} lost`);
    assert.ok(ringBufferPackets >= 100_000 - maxFlows * 100, `${ringBufferPackets} via the ring buffer, none lost there`);
    assert.equal(sum(drained.flows) + lostPackets, after - before);
  });

  test(`SAMPLING=10: about one packet in ten is counted, and the rate travels with the flow [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'], direction: 'egress', sampling: 10 });
    await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 1, packets: 100_000, payload: 18, srcPort: 30004 });
    const flows = (await probe.close()).flows.filter((flow) => flow.srcPort === 30004);
    assert.equal(flows.length, 1);
    // Binomial(100000, 0.1): sd = 94.9; six sd either side fails once in 500 million runs.
    assert.ok(Math.abs(flows[0].packets - 10_000) <= 570, `${flows[0].packets} packets counted`);
    assert.equal(flows[0].sampling, 10);
    assert.equal(flows[0].bytes, flows[0].packets * udpFrameBytes(18));
  });

  test(`DIRECTION=ingress attaches and counts ingress only [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.b, { attachMode: mode, interfaces: ['fcb'], direction: 'ingress' });
    assert.deepEqual(
      probe.attachments.map((a) => [a.name, a.direction]),
      [['fcb', 'ingress']],
    );
    await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 2, packets: 10, payload: 18, srcPort: 30005 });
    const flows = (await probe.closeOnceCounted(10, (drained) => sum(drained.filter((flow) => flow.srcPort === 30005)))).flatMap((drained) => drained.flows);
    assert.deepEqual([...new Set(flows.map((flow) => flow.direction))], ['ingress']);
    assert.deepEqual([...perFlow([{ flows } as Drained], 30005)].sort(), [
      [20000, { packets: 5, bytes: 5 * udpFrameBytes(18) }],
      [20001, { packets: 5, bytes: 5 * udpFrameBytes(18) }],
    ]);
  });
}
