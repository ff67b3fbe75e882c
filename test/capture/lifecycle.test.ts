import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Probe, ProbeError } from '../helpers/probe-client.js';
import { TestNet, flowcastFilters, sendUdp, settledFlowcastPrograms } from '../helpers/netns.js';

let net: TestNet;
before(async () => {
  net = await TestNet.create();
  assert.deepEqual(await settledFlowcastPrograms(), [], 'no flowcast programs loaded before these tests');
});
after(async () => {
  await net?.destroy();
});

async function assertNothingLeft(): Promise<void> {
  assert.deepEqual(await flowcastFilters(net.a), []);
  assert.deepEqual(await settledFlowcastPrograms(), [], 'no flowcast program still loaded');
}

test('an unknown interface is a clear error, and nothing stays attached', async () => {
  await assert.rejects(Probe.start(net.a, { interfaces: ['fca', 'nope0'] }), (error: ProbeError) => {
    assert.match(error.message, /interface "nope0" not found \(INTERFACES\); this host has: .*fca/);
    return true;
  });
  await assertNothingLeft();
});

test('a bad regular expression names the setting and the entry', async () => {
  await assert.rejects(Probe.start(net.a, { interfaces: ['/fc[/'] }), /INTERFACES: "\/fc\[\/" is not a valid regular expression/);
  await assert.rejects(Probe.start(net.a, { excludeInterfaces: ['/(/'] }), /EXCLUDE_INTERFACES: "\/\(\/" is not a valid regular expression/);
  await assertNothingLeft();
});

test('without privileges: EPERM and what to do about it', async () => {
  const withoutCapabilities = ['setpriv', '--bounding-set', '-all', '--inh-caps', '-all', '--'];
  await assert.rejects(Probe.start(net.a, { interfaces: ['fca'] }, withoutCapabilities), (error: ProbeError) => {
    assert.equal(error.code, 'EPERM');
    assert.match(error.message, /^load BPF programs.*EPERM \(Operation not permitted\) — run as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON/s);
    return true;
  });
  await assertNothingLeft();
});

test('CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON are enough (what deploy/ grants instead of privileged)', async () => {
  const onlyThese = ['setpriv', '--bounding-set', '-all,+bpf,+net_admin,+perfmon', '--inh-caps', '-all', '--'];
  const probe = await Probe.start(net.a, { interfaces: ['fca'], direction: 'egress' }, onlyThese);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 1, packets: 50, payload: 10, srcPort: 30020 });
  const flows = (await probe.close()).flows.filter((flow) => flow.srcPort === 30020);
  assert.deepEqual(flows.map((flow) => flow.packets), [50]);
  await assertNothingLeft();
});

test('interfaces by /regex/, minus exclusions; lo is excluded by default', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['/^(fc|lo)/'], direction: 'egress' });
  assert.deepEqual(probe.attachments.map((a) => a.name), ['fca']);
  await probe.close();
  const none = await Probe.start(net.a, { interfaces: ['/^fc/'], excludeInterfaces: ['/a$/'] });
  assert.deepEqual(none.attachments, []);
  await none.close();
});

test('clsact mode: filters while open, exact counts, none after close', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc' });
  assert.deepEqual(probe.attachments.map((a) => a.mode), ['tc', 'tc']);
  assert.deepEqual(await flowcastFilters(net.a), ['ingress', 'egress']);
  await sendUdp(net.a, net.b.ipv4, { firstPort: 20000, flows: 4, packets: 400, payload: 10, srcPort: 30010 });
  const flows = (await probe.close()).flows.filter((flow) => flow.srcPort === 30010);
  assert.deepEqual(flows.map((flow) => flow.packets), [100, 100, 100, 100]);
  await assertNothingLeft();
});

test('filters left by a killed agent are removed by the next one', async () => {
  const killed = await Probe.start(net.a, { interfaces: ['fca'], attachMode: 'tc' });
  killed.kill();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(await flowcastFilters(net.a), ['ingress', 'egress'], 'clsact filters outlive their process');
  const next = await Probe.start(net.a, { interfaces: ['fca'] });
  assert.deepEqual(next.attachments.map((a) => a.mode), ['tcx', 'tcx']);
  assert.deepEqual(await flowcastFilters(net.a), [], 'the stale filters are gone');
  await next.close();
  await assertNothingLeft();
});

test('TCX links go away with a killed agent', async () => {
  const killed = await Probe.start(net.a, { interfaces: ['fca'] });
  assert.deepEqual(killed.attachments.map((a) => a.mode), ['tcx', 'tcx']);
  killed.kill();
  await assertNothingLeft();
});
