import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';

import { UDP } from '../helpers/constants.js';
import { Probe } from '../helpers/probe-client.js';
import { UDPGEN, bpfIdsOf, exec, sh } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';
import { waitUntil } from '../helpers/wait.js';

const net = sharedTestNet();

/** Waits (30 s at most) until `names` are attached, or, with `gone`, detached. */
async function attached(probe: Probe, names: string[], gone = false): Promise<void> {
  let now: Set<string> = new Set();
  await waitUntil(
    async () => {
      now = new Set((await probe.currentAttachments()).map((a) => a.name));
      return names.every((name) => now.has(name) !== gone);
    },
    () => `${names.join(', ')} ${gone ? 'detached' : 'attached'} (attached: ${[...now].join(', ')})`,
  );
}

test('50 interfaces created and deleted while running: attached and detached, traffic counted, nothing leaked', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['/^fc/'], direction: 'both', listen: 'watch' });
  const fds = () => readdirSync(`/proc/${probe.pid}/fd`).length;
  assert.deepEqual(
    probe.attachments.map((a) => a.name),
    ['fca', 'fca'],
  );
  const fdsBefore = fds();
  const mapsBefore = bpfIdsOf(probe.pid, 'map');
  for (let cycle = 0; cycle < 50; cycle++) {
    const [near, far] = [`fcn${cycle}`, `fcp${cycle}`];
    const withTraffic = cycle % 10 === 0;
    if (withTraffic) {
      // The far end in the other host: traffic crosses the new interface.
      await exec(net.a.ns, 'ip', 'link', 'add', near, 'type', 'veth', 'peer', 'name', far, 'netns', net.b.ns);
      await exec(net.a.ns, 'ip', 'addr', 'add', `198.19.${cycle}.1/24`, 'dev', near);
      await exec(net.b.ns, 'ip', 'addr', 'add', `198.19.${cycle}.2/24`, 'dev', far);
      await exec(net.a.ns, 'ip', 'link', 'set', near, 'up');
      await exec(net.b.ns, 'ip', 'link', 'set', far, 'up');
      await attached(probe, [near]);
      await exec(net.a.ns, 'ping', '-c', '1', '-W', '2', `198.19.${cycle}.2`); // neighbour resolution first
      await probe.drain();
      await exec(net.a.ns, UDPGEN, `198.19.${cycle}.2`, '7000', '2', '100', '10', '33000');
      const flows = (await probe.drain()).flows.filter((flow) => flow.interface === near && flow.protocol === UDP && flow.srcPort === 33000);
      assert.deepEqual(
        flows.map((flow) => [flow.direction, flow.packets]),
        [
          ['egress', 50],
          ['egress', 50],
        ],
        `traffic on ${near}`,
      );
    } else {
      await exec(net.a.ns, 'ip', 'link', 'add', near, 'type', 'veth', 'peer', 'name', far);
      await attached(probe, [near, far]);
    }
    await exec(net.a.ns, 'ip', 'link', 'del', near);
    await attached(probe, [near, far], true);
  }
  assert.deepEqual(
    (await probe.currentAttachments()).map((a) => a.name),
    ['fca', 'fca'],
  );
  assert.equal(fds(), fdsBefore, 'no file descriptor (TCX link) left behind');
  assert.deepEqual(bpfIdsOf(probe.pid, 'map'), mapsBefore, 'no map left behind');
  await probe.close();
});

test('an interface named in INTERFACES that does not exist at start is attached when it appears, and counts exactly', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca', 'fclate0'], direction: 'egress', listen: 'watch' });
  assert.deepEqual(probe.missing, ['fclate0']);
  assert.deepEqual(
    probe.attachments.map((a) => a.name),
    ['fca'],
  );
  await exec(net.a.ns, 'ip', 'link', 'add', 'fclate0', 'type', 'veth', 'peer', 'name', 'fclate1', 'netns', net.b.ns);
  await exec(net.a.ns, 'ip', 'addr', 'add', '198.20.0.1/24', 'dev', 'fclate0');
  await exec(net.b.ns, 'ip', 'addr', 'add', '198.20.0.2/24', 'dev', 'fclate1');
  await exec(net.a.ns, 'ip', 'link', 'set', 'fclate0', 'up');
  await exec(net.b.ns, 'ip', 'link', 'set', 'fclate1', 'up');
  await attached(probe, ['fclate0']);
  await exec(net.a.ns, 'ping', '-c', '1', '-W', '2', '198.20.0.2'); // neighbour resolution first
  await probe.drain();
  await exec(net.a.ns, UDPGEN, '198.20.0.2', '7100', '3', '300', '10', '33100');
  const flows = (await probe.close()).flows.filter((flow) => flow.interface === 'fclate0' && flow.protocol === UDP && flow.srcPort === 33100);
  assert.deepEqual(flows.map((flow) => [flow.dstPort, flow.packets]).sort(), [
    [7100, 100],
    [7101, 100],
    [7102, 100],
  ]);
});

test('LISTEN_INTERFACES=poll notices a new interface at the next scan', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['/^fcq/'], listen: 'poll', pollPeriodMs: 200 });
  assert.deepEqual(probe.attachments, []);
  await exec(net.a.ns, 'ip', 'link', 'add', 'fcq0', 'type', 'veth', 'peer', 'name', 'fcq1');
  await attached(probe, ['fcq0', 'fcq1']);
  await exec(net.a.ns, 'ip', 'link', 'del', 'fcq0');
  await attached(probe, ['fcq0', 'fcq1'], true);
  await probe.close();
});

test('INTERFACE_IPS selects the interfaces holding an address in the ranges', async () => {
  const probe = await Probe.start(net.a, { interfaceIps: ['198.18.0.0/24'], listen: 'none' });
  assert.deepEqual([...new Set(probe.attachments.map((a) => a.name))], ['fca']);
  await probe.close();
  const none = await Probe.start(net.a, { interfaceIps: ['203.0.113.0/24'] });
  assert.deepEqual(none.attachments, []);
  await none.close();
});

/** Packets dropped on the probe's rtnetlink socket (the Drops column of /proc/net/netlink). */
function linkEventsDropped(pid: number): number {
  const rows = readFileSync(`/proc/${pid}/net/netlink`, 'utf8').trim().split('\n').slice(1);
  // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode; the process's first netlink socket has its pid.
  const row = rows.map((line) => line.trim().split(/\s+/)).find((fields) => fields[1] === '0' && fields[2] === String(pid));
  if (!row) throw new Error(`no rtnetlink socket of process ${pid}`);
  return Number(row[8]);
}

test('link events lost while the agent could not read them (ENOBUFS): it rescans, and goes on watching', async (t) => {
  const probe = await Probe.start(net.a, { interfaces: ['/^fcb/'], listen: 'watch' });
  const batch = `${tmpdir()}/flowcast-link-burst-${process.pid}`;
  t.after(() => {
    probe.kill(); // when an assertion failed before close
    rmSync(batch, { force: true });
  });
  const fillers = Array.from({ length: 300 }, (_, i) => `nbf${i}`);
  // Stopped, the probe reads nothing: 600 interfaces' events overflow its socket's buffer, and
  // the one it must attach to comes last.
  process.kill(probe.pid, 'SIGSTOP');
  try {
    writeFileSync(batch, [...fillers.map((name) => `link add ${name} type veth peer name ${name}p`), 'link add fcb0 type veth peer name fcb1', ''].join('\n'));
    await sh('ip', '-n', net.a.ns, '-batch', batch);
    assert.ok(linkEventsDropped(probe.pid) > 0, 'the burst overflowed the socket');
  } finally {
    process.kill(probe.pid, 'SIGCONT');
  }
  await attached(probe, ['fcb0', 'fcb1']);
  await exec(net.a.ns, 'ip', 'link', 'add', 'fcb2', 'type', 'veth', 'peer', 'name', 'fcb3');
  await attached(probe, ['fcb2', 'fcb3']);
  assert.deepEqual((await probe.close()).hooks.errors, [], 'lost events are a change, not an error');
  writeFileSync(batch, [...fillers, 'fcb0', 'fcb2'].map((name) => `link del ${name}`).join('\n') + '\n');
  await sh('ip', '-n', net.a.ns, '-batch', batch);
});
