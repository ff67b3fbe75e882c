// Hooks that another agent or an operator takes away: refused, or found, reported and reattached.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

import { UDP } from '../helpers/constants.js';
import { Probe, ProbeError } from '../helpers/probe-client.js';
import { ATTACH_MODES, TCX_SKIP, exec, flowcastFilters, sendUdp, sh, type Host } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';
import { waitUntil } from '../helpers/wait.js';
import type { ProbeFlow } from '../helpers/probe.js';

/** The priority of our clsact filters (kTcPriority in native/src/capture.cc). */
const TC_PRIORITY = 0xf10c;
const BPF_TCX_EGRESS = 47;

const net = sharedTestNet();

/** Packets per destination port of UDP flows from `srcPort`, sorted by port. */
const udpPackets = (flows: ProbeFlow[], srcPort: number) =>
  flows
    .filter((flow) => flow.protocol === UDP && flow.srcPort === srcPort)
    .sort((x, y) => x.dstPort - y.dstPort)
    .map((flow) => flow.packets);

/** Takes the probe's egress hook away from outside, as an operator or another tool would. */
async function removeEgressHook(host: Host, probe: Probe, mode: 'tcx' | 'tc'): Promise<void> {
  if (mode === 'tc') {
    await exec(host.ns, 'tc', 'filter', 'del', 'dev', host.ifname, 'egress', 'pref', String(TC_PRIORITY));
    return;
  }
  // The probe's TCX egress link, from its file descriptors (fdinfo names the link's type and id).
  const links = readdirSync(`/proc/${probe.pid}/fdinfo`).flatMap((fd) => {
    const info = readFileSync(`/proc/${probe.pid}/fdinfo/${fd}`, 'utf8');
    const id = /^link_id:\s+(\d+)$/m.exec(info)?.[1];
    return /^link_type:\s+tcx$/m.test(info) && new RegExp(`^attach_type:\\s+${BPF_TCX_EGRESS}\\b`, 'm').test(info) && id ? [id] : [];
  });
  assert.equal(links.length, 1, 'one TCX egress link in the probe');
  await sh('bpftool', 'link', 'detach', 'id', links[0]);
}

test('tc mode: a second capture in the namespace refuses; the first keeps counting every packet', async () => {
  const first = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc', direction: 'egress' });
  await assert.rejects(Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc', direction: 'egress' }), (error: ProbeError) => {
    assert.equal(error.code, 'EBUSY');
    assert.match(
      error.message,
      /^another flowcast agent holds the tc hooks of this network namespace .*Use TC_ATTACH_MODE=tcx \(Linux 6\.6\+\) for overlapping agents, or stop the other one$/,
    );
    return true;
  });
  assert.deepEqual(await flowcastFilters(net.a), ['egress'], "the refused capture left the first one's filter alone");
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 4, packets: 1000, payload: 10, srcPort: 30100 });
  const drained = await first.close();
  assert.deepEqual(udpPackets(drained.flows, 30100), [250, 250, 250, 250]);
  assert.equal(drained.hooks.hooksLost, 0);
  // The lock goes with the first capture: the next one in tc mode starts.
  const next = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc', direction: 'egress' });
  await next.close();
});

test('a TCX capture beside a tc one leaves its filters alone (they are not stale); both count every packet', { skip: TCX_SKIP }, async () => {
  const tc = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc', direction: 'egress' });
  const tcx = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tcx', direction: 'egress' });
  assert.deepEqual(await flowcastFilters(net.a), ['egress']);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 2, packets: 600, payload: 10, srcPort: 30101 });
  assert.deepEqual(udpPackets((await tcx.close()).flows, 30101), [300, 300]);
  assert.deepEqual(udpPackets((await tc.close()).flows, 30101), [300, 300]);
});

for (const { mode, skip } of ATTACH_MODES) {
  test(`${mode}: a hook removed from outside is found at the next drain, reported, attached again, and counting goes on exactly`, { skip }, async () => {
    const probe = await Probe.start(net.a, { interfaces: ['fca'], attachMode: mode, direction: 'egress' });
    await sendUdp(net.a, net.b.ipv4, { firstPort: 21000, flows: 2, packets: 200, payload: 10, srcPort: 30102 });
    const before = await probe.drain();
    assert.deepEqual(udpPackets(before.flows, 30102), [100, 100]);
    assert.deepEqual(before.hooks, { lost: [], hooksLost: 0, unhooked: [], errors: [] });

    await removeEgressHook(net.a, probe, mode);
    if (mode === 'tc') assert.deepEqual(await flowcastFilters(net.a), [], 'the filter is gone');
    const found = await probe.drain();
    assert.deepEqual(found.hooks, { lost: ['fca/egress'], hooksLost: 1, unhooked: [], errors: [] }, 'reported and attached again');
    if (mode === 'tc') assert.deepEqual(await flowcastFilters(net.a), ['egress'], 'the filter is back');

    await sendUdp(net.a, net.b.ipv4, { firstPort: 21000, flows: 3, packets: 300, payload: 10, srcPort: 30103 });
    const last = await probe.close();
    assert.deepEqual(udpPackets(last.flows, 30103), [100, 100, 100]);
    assert.equal(last.hooks.hooksLost, 1, 'nothing else lost');
  });
}

test('tc: between drains, a hook removed from outside is found and attached again by the periodic check', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc', direction: 'egress', hookCheckPeriodMs: 100 });
  await exec(net.a.ns, 'tc', 'filter', 'del', 'dev', 'fca', 'egress', 'pref', String(TC_PRIORITY));
  let filters: string[] = [];
  for (let attempt = 0; attempt < 500 && filters.length === 0; attempt++) filters = await flowcastFilters(net.a);
  assert.deepEqual(filters, ['egress'], 'attached again with no drain');
  await sendUdp(net.a, net.b.ipv4, { firstPort: 23000, flows: 2, packets: 200, payload: 10, srcPort: 30105 });
  const last = await probe.close();
  assert.deepEqual([last.hooks.lost, last.hooks.hooksLost, last.hooks.unhooked], [['fca/egress'], 1, []]);
  assert.deepEqual(udpPackets(last.flows, 30105), [100, 100]);
});

test('tc: a hook that cannot be attached again stays reported as unhooked, and is attached once it can be', async () => {
  // Checked after each drain only, so that the attempts below are counted exactly.
  const probe = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc', direction: 'egress', hookCheckPeriodMs: 0 });
  // A clsact qdisc whose egress block is shared: our filter is gone, and filters can no longer be
  // added through the device.
  await exec(net.a.ns, 'tc', 'qdisc', 'del', 'dev', 'fca', 'clsact');
  await exec(net.a.ns, 'tc', 'qdisc', 'add', 'dev', 'fca', 'egress_block', '10', 'clsact');
  const failing = await probe.drain();
  assert.deepEqual([failing.hooks.lost, failing.hooks.hooksLost, failing.hooks.unhooked], [['fca/egress'], 1, ['fca/egress']]);
  assert.equal(failing.hooks.errors.length, 1);
  assert.match(failing.hooks.errors[0], /^attach to fca egress/);
  const still = await probe.drain();
  assert.deepEqual([still.hooks.hooksLost, still.hooks.unhooked, still.hooks.errors.length], [1, ['fca/egress'], 2], 'tried again at each drain, counted once');

  await exec(net.a.ns, 'tc', 'qdisc', 'del', 'dev', 'fca', 'clsact');
  const fixed = await probe.drain();
  assert.deepEqual([fixed.hooks.hooksLost, fixed.hooks.unhooked, fixed.hooks.errors.length], [1, [], 2]);
  assert.deepEqual(await flowcastFilters(net.a), ['egress']);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 22000, flows: 2, packets: 200, payload: 10, srcPort: 30104 });
  assert.deepEqual(udpPackets((await probe.close()).flows, 30104), [100, 100]);
});

test('tc: an exception while rescanning interfaces is reported, and the next event rescans', async () => {
  await exec(net.a.ns, 'ip', 'link', 'add', 'fcr0', 'type', 'veth', 'peer', 'name', 'fcr1');
  const probe = await Probe.start(net.a, { interfaces: ['/^fcr/'], attachMode: 'tc', direction: 'egress', listen: 'watch' });
  assert.deepEqual(probe.attachments.map((a) => a.name).sort(), ['fcr0', 'fcr1']);
  // fcr0's filter replaced by a shared egress block, where detaching through the device fails;
  // then renamed, so that the rescan detaches from "fcr0".
  await exec(net.a.ns, 'tc', 'qdisc', 'del', 'dev', 'fcr0', 'clsact');
  await exec(net.a.ns, 'tc', 'qdisc', 'add', 'dev', 'fcr0', 'egress_block', '10', 'clsact');
  await exec(net.a.ns, 'ip', 'link', 'set', 'fcr0', 'name', 'fcrx');
  const failed = await probe.drain();
  assert.ok(
    failed.hooks.errors.some((message) => /^detach from fcr0 egress: EOPNOTSUPP/.test(message)),
    failed.hooks.errors.join('; '),
  );
  assert.deepEqual(failed.hooks.hooksLost, 0, "a renamed interface is the rescan's business, not a lost hook");

  await exec(net.a.ns, 'tc', 'qdisc', 'del', 'dev', 'fcrx', 'clsact');
  await exec(net.a.ns, 'ip', 'link', 'set', 'fcrx', 'up'); // a link event: the next rescan
  let names: string[] = [];
  await waitUntil(
    async () => (names = (await probe.currentAttachments()).map((a) => a.name).sort()).join() === 'fcr1,fcrx',
    () => `fcr1 and fcrx attached (${names.join(', ')})`,
  );
  await probe.close();
  await exec(net.a.ns, 'ip', 'link', 'del', 'fcrx');
});
