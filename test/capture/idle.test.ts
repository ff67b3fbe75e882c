// An idle agent's drains (issue 12): a drain that finds no flow created since the previous one
// (bpf/written.h) neither switches the active hash nor reads it, and traffic around such drains is
// still counted exactly once. What the programs write to is read from the kernel (the active_*
// slot), not taken from the capture's word.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';

import { UDP } from '../helpers/constants.js';
import { Probe, type Drained } from '../helpers/probe-client.js';
import { ATTACH_MODES, bpfIdsOf, exec, sendUdp, sh } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';

/** The priority of our clsact filters (kTcPriority in native/src/capture.cc). */
const TC_PRIORITY = 0xf10c;

const net = sharedTestNet();

/** The id of the hash a process's array-of-maps `slot` (active_flows, active_dns) points its programs at. */
async function activeHash(pid: number, slot: string): Promise<number> {
  for (const id of bpfIdsOf(pid, 'map')) {
    const map = JSON.parse(await sh('bpftool', '-j', 'map', 'show', 'id', String(id))) as { name?: string };
    if (map.name !== slot) continue;
    const entry = JSON.parse(await sh('bpftool', '-j', 'map', 'lookup', 'id', String(id), 'key', '0', '0', '0', '0')) as { value: string[] };
    return Buffer.from(entry.value.map(Number)).readUInt32LE(0);
  }
  throw new Error(`process ${pid} holds no ${slot} map`);
}

/** Packets per destination port of UDP flows from `srcPort` over `drains`, sorted by port. */
function udpPackets(drains: Drained[], srcPort: number): number[] {
  const totals = new Map<number, number>();
  for (const flow of drains.flatMap((drain) => drain.flows)) {
    if (flow.protocol === UDP && flow.srcPort === srcPort) totals.set(flow.dstPort, (totals.get(flow.dstPort) ?? 0) + flow.packets);
  }
  return [...totals].sort(([x], [y]) => x - y).map(([, packets]) => packets);
}

for (const { mode, skip } of ATTACH_MODES) {
  test(`drains without traffic neither switch nor read the flow map; traffic after them is counted exactly [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'], direction: 'egress' });
    const active = () => activeHash(probe.pid, 'active_flows');
    const first = await active();
    for (let drains = 1; drains <= 3; drains++) {
      const idle = await probe.drain();
      assert.deepEqual(idle.flows, []);
      assert.equal(idle.counters.idleDrains, drains);
      assert.equal(await active(), first, 'the programs still write to the same hash');
    }

    await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 2, packets: 200, payload: 18, srcPort: 30201 });
    const busy = await probe.drain();
    assert.deepEqual(udpPackets([busy], 30201), [100, 100]);
    assert.equal(busy.counters.idleDrains, 3, 'a drain after new flows switches and reads');
    const second = await active();
    assert.notEqual(second, first);

    const idle = await probe.drain();
    assert.deepEqual([idle.flows, idle.counters.idleDrains, await active()], [[], 4, second], 'idle again once read');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 3, packets: 300, payload: 18, srcPort: 30202 });
    assert.deepEqual(udpPackets([await probe.close()], 30202), [100, 100, 100]);
  });

  test(`traffic on and off, drained while it is sent and between: every packet exactly once [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'], direction: 'egress' });
    const drains: Drained[] = [];
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      // Drains back to back while 50 flows get 20,000 packets: new flows are created around switches.
      let sending = true;
      const traffic = sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 50, packets: 20_000, payload: 18, srcPort: 30203 }).finally(
        () => (sending = false),
      );
      while (sending) drains.push(await probe.drain());
      await traffic;
      drains.push(await probe.drain()); // what the last drain during the traffic left, if anything
      const idleBefore = drains.at(-1)!.counters.idleDrains;
      const idle = await probe.drain();
      drains.push(idle);
      assert.deepEqual([idle.flows, idle.counters.idleDrains], [[], idleBefore + 1], `round ${round}: no traffic, no read`);
    }
    drains.push(await probe.close());
    assert.deepEqual(udpPackets(drains, 30203), Array(50).fill((rounds * 20_000) / 50));
    for (const drain of drains) assert.deepEqual([drain.counters.lostPackets, drain.counters.ringBufferPackets], [0, 0]);
  });
}

test('DNS tracking: drains without DNS messages leave the DNS hash alone; a DNS result is still reported', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], direction: 'egress', dnsPort: 5353 });
  const first = await activeHash(probe.pid, 'active_dns');
  for (let drains = 0; drains < 2; drains++) {
    assert.deepEqual((await probe.drain()).flows, []);
    assert.equal(await activeHash(probe.pid, 'active_dns'), first);
  }
  // Two all-zero DNS headers from one socket: the same query (id 0) twice, stored once; the second
  // is reported as EEXIST (17) in the DNS hash.
  await sendUdp(net.a, net.b.ipv4, { firstPort: 53, flows: 1, packets: 2, payload: 18, srcPort: 30204 });
  const drained = await probe.drain();
  assert.notEqual(await activeHash(probe.pid, 'active_dns'), first, 'switched to read the result');
  const flows = drained.flows.filter((flow) => flow.protocol === UDP && flow.srcPort === 30204);
  assert.deepEqual(
    flows.map((flow) => [flow.packets, flow.dns?.errno]),
    [[2, 17]],
  );
  await probe.close();
});

test('drains at least as often as hookCheckPeriodMs: the hooks are checked by the drains only, and a lost hook is still found', async () => {
  const probe = await Probe.start(net.a, { attachMode: 'tc', interfaces: ['fca'], direction: 'egress', hookCheckPeriodMs: 2000 });
  // Fifteen drains 200 ms apart span more than one 2.5 s wait of the periodic check, which each
  // drain restarts. The sleep is the time that must pass, not a wait for an event; a drain would
  // have to take over 2.3 s for the timer to come first.
  for (let drains = 1; drains <= 15; drains++) {
    assert.equal((await probe.drain()).hookChecks, drains);
    await sleep(200);
  }
  await exec(net.a.ns, 'tc', 'filter', 'del', 'dev', 'fca', 'egress', 'pref', String(TC_PRIORITY));
  const found = await probe.drain();
  assert.deepEqual([found.hookChecks, found.hooks.lost, found.hooks.unhooked], [16, ['fca/egress'], []]);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 2, packets: 200, payload: 18, srcPort: 30205 });
  assert.deepEqual(udpPackets([await probe.close()], 30205), [100, 100]);
});
