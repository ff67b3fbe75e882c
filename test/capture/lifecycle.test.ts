import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Probe, ProbeError } from '../helpers/probe-client.js';
import { TCX_SKIP, flowcastFilters, loadedFlowcastPrograms, programsHeldByProcesses, programsOf, sendUdp, settledFlowcastPrograms } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';

const net = sharedTestNet();

/** No filter of ours on the interface, and the programs of the probes that ran are freed. */
async function assertNothingLeft(programs: number[]): Promise<void> {
  assert.deepEqual(await flowcastFilters(net.a), []);
  assert.deepEqual(await settledFlowcastPrograms(programs), [], 'no program of these probes still loaded');
}

/**
 * Runs `failedStart` (a start that must fail) and asserts that it left no filter and no flowcast
 * program behind: programs loaded since must all be freed, but those a live process holds (the
 * failed start's process has exited: they belong to other flowcast processes on the machine).
 */
async function assertStartLeavesNothing(failedStart: () => Promise<void>): Promise<void> {
  const before = new Set(await loadedFlowcastPrograms());
  await failedStart();
  const heldElsewhere = programsHeldByProcesses();
  const appeared = (await loadedFlowcastPrograms()).filter((id) => !before.has(id) && !heldElsewhere.has(id));
  await assertNothingLeft(appeared);
}

test('an interface named in INTERFACES that does not exist yet is reported, the others attached', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca', 'nope0', '/^nope/'], direction: 'egress', listen: 'none' });
  assert.deepEqual(probe.missing, ['nope0'], 'named entries only, not patterns');
  assert.deepEqual(
    probe.attachments.map((a) => a.name),
    ['fca'],
  );
  const programs = programsOf(probe.pid);
  await probe.close();
  await assertNothingLeft(programs);
});

test('a bad regular expression names the setting and the entry', async () => {
  await assertStartLeavesNothing(async () => {
    await assert.rejects(Probe.start(net.a, { interfaces: ['/fc[/'] }), /INTERFACES: "\/fc\[\/" is not a valid regular expression/);
    await assert.rejects(Probe.start(net.a, { excludeInterfaces: ['/(/'] }), /EXCLUDE_INTERFACES: "\/\(\/" is not a valid regular expression/);
  });
});

test('without privileges: EPERM and what to do about it', async () => {
  const withoutCapabilities = ['setpriv', '--bounding-set', '-all', '--inh-caps', '-all', '--'];
  await assertStartLeavesNothing(async () => {
    await assert.rejects(Probe.start(net.a, { interfaces: ['fca'] }, withoutCapabilities), (error: ProbeError) => {
      assert.equal(error.code, 'EPERM');
      assert.match(error.message, /^load BPF programs.*EPERM \(Operation not permitted\) — run as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON/s);
      return true;
    });
  });
});

test('CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON are enough (what deploy/ grants instead of privileged)', async () => {
  const onlyThese = ['setpriv', '--bounding-set', '-all,+bpf,+net_admin,+perfmon', '--inh-caps', '-all', '--'];
  const probe = await Probe.start(net.a, { interfaces: ['fca'], direction: 'egress' }, onlyThese);
  const programs = programsOf(probe.pid);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 1, packets: 50, payload: 10, srcPort: 30020 });
  const flows = (await probe.close()).flows.filter((flow) => flow.srcPort === 30020);
  assert.deepEqual(
    flows.map((flow) => flow.packets),
    [50],
  );
  await assertNothingLeft(programs);
});

test('interfaces by /regex/, minus exclusions; lo is excluded by default', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['/^(fc|lo)/'], direction: 'egress' });
  assert.deepEqual(
    probe.attachments.map((a) => a.name),
    ['fca'],
  );
  await probe.close();
  const none = await Probe.start(net.a, { interfaces: ['/^fc/'], excludeInterfaces: ['/a$/'] });
  assert.deepEqual(none.attachments, []);
  await none.close();
});

test('clsact mode: filters while open, exact counts, none after close', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc' });
  const programs = programsOf(probe.pid);
  assert.deepEqual(
    probe.attachments.map((a) => a.mode),
    ['tc', 'tc'],
  );
  assert.deepEqual(await flowcastFilters(net.a), ['ingress', 'egress']);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 4, packets: 400, payload: 10, srcPort: 30010 });
  const flows = (await probe.close()).flows.filter((flow) => flow.srcPort === 30010);
  assert.deepEqual(
    flows.map((flow) => flow.packets),
    [100, 100, 100, 100],
  );
  await assertNothingLeft(programs);
});

test('filters left by a killed agent are removed by the next one (TCX)', { skip: TCX_SKIP }, async () => {
  const killed = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc' });
  const programs = programsOf(killed.pid);
  killed.kill();
  await killed.exited();
  assert.deepEqual(await flowcastFilters(net.a), ['ingress', 'egress'], 'clsact filters outlive their process');
  const next = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tcx' });
  programs.push(...programsOf(next.pid));
  assert.deepEqual(
    next.attachments.map((a) => a.mode),
    ['tcx', 'tcx'],
  );
  assert.deepEqual(await flowcastFilters(net.a), [], 'the stale filters are gone');
  await next.close();
  await assertNothingLeft(programs);
});

test('filters and the tc lock of a killed agent: the next one in tc mode takes both over and counts exactly', async () => {
  const killed = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc' });
  const programs = programsOf(killed.pid);
  killed.kill();
  await killed.exited();
  assert.deepEqual(await flowcastFilters(net.a), ['ingress', 'egress'], 'clsact filters outlive their process');
  const next = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc', direction: 'egress' });
  programs.push(...programsOf(next.pid));
  assert.deepEqual(await flowcastFilters(net.a), ['egress'], "the killed one's ingress filter is gone, ours is in place");
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 2, packets: 300, payload: 10, srcPort: 30011 });
  const flows = (await next.close()).flows.filter((flow) => flow.srcPort === 30011);
  assert.deepEqual(
    flows.map((flow) => flow.packets),
    [150, 150],
  );
  await assertNothingLeft(programs);
});

test('TCX links go away with a killed agent', { skip: TCX_SKIP }, async () => {
  const killed = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tcx' });
  assert.deepEqual(
    killed.attachments.map((a) => a.mode),
    ['tcx', 'tcx'],
  );
  const programs = programsOf(killed.pid);
  assert.equal(programs.length, 2, 'the probe holds its two programs');
  killed.kill();
  await assertNothingLeft(programs);
});
