// Parking (issue 12, bpf/written.h): after a drain that took nothing, the capture can stop needing
// drains; the kernel rings a doorbell at the next write and the capture calls back. Every packet is
// still counted once, a lost hook is still found, and the overflow ring is mapped only once used.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

import { UDP } from '../helpers/constants.js';
import { Probe, type Drained } from '../helpers/probe-client.js';
import { ATTACH_MODES, exec, sendUdp, sh } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';
import { waitUntil } from '../helpers/wait.js';

/** The priority of our clsact filters (kTcPriority in native/src/capture.cc). */
const TC_PRIORITY = 0xf10c;
/** enum bpf_attach_type's BPF_TCX_EGRESS. */
const BPF_TCX_EGRESS = 47;

const net = sharedTestNet({
  // b drops UDP to port 42000 at its input hook: a capture of b's egress only never sees the packet.
  setUp: async ({ b }) => {
    await exec(b.ns, 'nft', 'add', 'table', 'inet', 'fcp');
    await exec(b.ns, 'nft', 'add', 'chain', 'inet', 'fcp', 'input', '{ type filter hook input priority 0; }');
    await exec(b.ns, 'nft', 'add', 'rule', 'inet', 'fcp', 'input', 'udp', 'dport', '42000', 'drop');
  },
});

const udpFlows = (drains: Drained[], srcPort: number) =>
  drains.flatMap((drain) => drain.flows).filter((flow) => flow.protocol === UDP && flow.srcPort === srcPort);

/** Packets per destination port of UDP flows from `srcPort` over `drains`, sorted by port. */
function udpPackets(drains: Drained[], srcPort: number): number[] {
  const totals = new Map<number, number>();
  for (const flow of udpFlows(drains, srcPort)) totals.set(flow.dstPort, (totals.get(flow.dstPort) ?? 0) + flow.packets);
  return [...totals].sort(([x], [y]) => x - y).map(([, packets]) => packets);
}

/** Waits for the probe's onWake call number `wakes`; the capture is no longer parked then. */
async function woken(probe: Probe, wakes: number): Promise<void> {
  let state = await probe.parking();
  await waitUntil(
    async () => (state = await probe.parking()).wakes >= wakes,
    () => `wake ${wakes} (${JSON.stringify(state)})`,
  );
  assert.deepEqual([state.wakes, state.parked], [wakes, false]);
}

/** The sizes of the process's mappings of BPF maps (a ring buffer's data pages are mapped twice). */
function bpfMappings(pid: number): number[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .filter((line) => line.endsWith('anon_inode:bpf-map'))
    .map((line) => {
      const [start, end] = line.split(' ')[0].split('-');
      return parseInt(end, 16) - parseInt(start, 16);
    });
}

for (const { mode, skip } of ATTACH_MODES) {
  test(`parked after a drain that took nothing; the first packet after wakes it, and every packet is counted once [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'], direction: 'egress' });
    const drains: Drained[] = [];
    // Six rounds: park, one new flow, the wake, a drain.
    for (let round = 1; round <= 6; round++) {
      assert.deepEqual((await probe.drain()).flows, [], 'nothing left from the round before');
      assert.equal((await probe.park()).parked, true);
      await sendUdp(net.a, net.b.ipv4, { firstPort: 20000 + round, flows: 1, packets: 50 * round, payload: 18, srcPort: 30301 });
      await woken(probe, round);
      drains.push(await probe.drain());
    }
    drains.push(await probe.close());
    assert.deepEqual(udpPackets(drains, 30301), [50, 100, 150, 200, 250, 300]);
  });
}

test('parking while new flows keep coming: every park is woken, every packet counted once', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], direction: 'egress' });
  // 150 sends, each a new flow, one after the other (each send is a process: milliseconds apart),
  // while the test drains and parks as fast as it can: the programs set the written flag while
  // the probe parks, over and over (bpf/written.h's race). A wakeup lost would leave the probe
  // parked with a flow in the map and no wake: the wait fails.
  const SENDS = 150;
  let sending = true;
  const sent = (async () => {
    for (let send = 0; send < SENDS; send++) {
      await sendUdp(net.a, net.b.ipv4, { firstPort: 21000 + send, flows: 1, packets: 1 + (send % 3), payload: 18, srcPort: 30307 });
    }
  })().finally(() => (sending = false));
  const drains: Drained[] = [];
  let parks = 0;
  let extra = 0;
  while (sending) {
    drains.push(await probe.drain());
    if (!(await probe.park()).parked) continue;
    parks++;
    await waitUntil(
      async () => (await probe.parking()).wakes === parks || !sending,
      () => `wake ${parks}`,
    );
    if ((await probe.parking()).wakes < parks) {
      // The sender ended just after park(): one more packet must wake it.
      await sendUdp(net.a, net.b.ipv4, { firstPort: 22000 + extra++, flows: 1, packets: 1, payload: 18, srcPort: 30308 });
      await woken(probe, parks);
    }
  }
  await sent;
  drains.push(await probe.close());
  assert.ok(parks >= 10, `parked ${parks} times`);
  assert.deepEqual(
    [udpFlows(drains, 30307).reduce((sum, flow) => sum + flow.packets, 0), udpFlows(drains, 30308).reduce((sum, flow) => sum + flow.packets, 0)],
    [SENDS * 2, extra],
  );
});

test('park refuses while something waits to be drained, and again once a drain is needed; a drain ends parking', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], direction: 'egress' });
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20100, flows: 2, packets: 40, payload: 18, srcPort: 30302 });
  assert.equal((await probe.park()).parked, false, 'flows are in the map');
  const drains = [await probe.drain()];
  assert.equal((await probe.park()).parked, true);
  drains.push(await probe.drain()); // ends parking without a wake
  assert.deepEqual(await probe.parking().then(({ parked, wakes }) => [parked, wakes]), [false, 0]);
  assert.equal((await probe.park()).parked, true, 'parks again after a drain that took nothing');
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20100, flows: 2, packets: 60, payload: 18, srcPort: 30302 });
  await woken(probe, 1);
  drains.push(await probe.close());
  assert.deepEqual(udpPackets(drains, 30302), [50, 50]);
});

test('ENABLE_PKT_DROPS: a drop alone (its packet never reaches the hooks) wakes a parked capture, and is reported', async () => {
  const probe = await Probe.start(net.b, { interfaces: ['fcb'], direction: 'egress', packetDrops: true });
  await probe.drain();
  assert.equal((await probe.park()).parked, true);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 42000, flows: 1, packets: 30, payload: 18, srcPort: 30303 });
  await woken(probe, 1);
  const drains = await probe.closeOnceCounted(30, (flows) =>
    flows.filter((flow) => flow.protocol === UDP && flow.srcPort === 30303).reduce((sum, flow) => sum + (flow.drops?.packets ?? 0), 0),
  );
  const flows = udpFlows(drains, 30303);
  assert.equal(
    flows.reduce((sum, flow) => sum + flow.packets, 0),
    0,
    'no packet went through the hooks',
  );
  assert.equal(
    flows.reduce((sum, flow) => sum + (flow.drops?.packets ?? 0), 0),
    30,
  );
});

test('tc, parked: a hook removed from outside is found at once from the tc event, and attached again', async () => {
  // No parked hook check before the test's deadline: only the event can find the loss.
  const probe = await Probe.start(net.a, { attachMode: 'tc', interfaces: ['fca'], direction: 'egress', listen: 'watch', parkedHookCheckPeriodMs: 3_600_000 });
  await probe.drain();
  assert.equal((await probe.park()).parked, true);
  await exec(net.a.ns, 'tc', 'filter', 'del', 'dev', 'fca', 'egress', 'pref', String(TC_PRIORITY));
  let state = await probe.parking();
  await waitUntil(async () => (state = await probe.parking()).hooks.lost.length > 0, 'the loss found');
  assert.deepEqual([state.hooks.lost, state.hooks.unhooked, state.parked], [['fca/egress'], [], true], 'attached again, still parked');
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20200, flows: 1, packets: 70, payload: 18, srcPort: 30304 });
  await woken(probe, 1);
  assert.deepEqual(udpPackets([await probe.close()], 30304), [70]);
});

test('tcx, parked: a link detached from outside is found by the parked hook check, and attached again', { skip: ATTACH_MODES[0].skip }, async () => {
  const probe = await Probe.start(net.a, { attachMode: 'tcx', interfaces: ['fca'], direction: 'egress', parkedHookCheckPeriodMs: 300 });
  await probe.drain();
  assert.equal((await probe.park()).parked, true);
  const links = readdirSync(`/proc/${probe.pid}/fdinfo`).flatMap((fd) => {
    const info = readFileSync(`/proc/${probe.pid}/fdinfo/${fd}`, 'utf8');
    const id = /^link_id:\s+(\d+)$/m.exec(info)?.[1];
    return /^link_type:\s+tcx$/m.test(info) && new RegExp(`^attach_type:\\s+${BPF_TCX_EGRESS}\\b`, 'm').test(info) && id ? [id] : [];
  });
  assert.equal(links.length, 1);
  await sh('bpftool', 'link', 'detach', 'id', links[0]);
  let state = await probe.parking();
  await waitUntil(async () => (state = await probe.parking()).hooks.lost.length > 0, 'the loss found');
  assert.deepEqual([state.hooks.lost, state.hooks.unhooked, state.parked], [['fca/egress'], [], true]);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20300, flows: 1, packets: 80, payload: 18, srcPort: 30305 });
  await woken(probe, 1);
  assert.deepEqual(udpPackets([await probe.close()], 30305), [80]);
});

test('the overflow ring is mapped only once a full map sends a packet there; what went there before is counted', async () => {
  const ringBytes = 1 << 20;
  const probe = await Probe.start(net.a, { interfaces: ['fca'], direction: 'egress', maxFlows: 16, ringBufferBytes: ringBytes });
  const ringMapped = () => bpfMappings(probe.pid).some((size) => size >= 2 * ringBytes);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20400, flows: 16, packets: 160, payload: 18, srcPort: 30306 });
  const drains = [await probe.drain()];
  assert.equal(ringMapped(), false, 'a map that held every flow: no ring mapped');
  // 16 flows fit the map; the ring takes 14 (userspace keeps at most CACHE_MAX_FLOWS of its flows).
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20400, flows: 30, packets: 300, payload: 18, srcPort: 30306 });
  drains.push(await probe.drain());
  assert.equal(ringMapped(), true);
  drains.push(await probe.close());
  const counters = drains.at(-1)!.counters;
  assert.equal(counters.lostPackets, 0);
  assert.ok(counters.ringBufferPackets > 0);
  assert.equal(
    udpPackets(drains, 30306).reduce((sum, packets) => sum + packets, 0),
    460,
  );
});
