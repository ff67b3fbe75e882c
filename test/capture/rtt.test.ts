// ENABLE_RTT: the kernel's smoothed TCP RTT on the flows of a connection whose path has 20 ms of
// round-trip delay. This kernel has no netem qdisc (CONFIG_NET_SCH_NETEM unset), so the delay is
// physical another way: the two hosts talk over TAP devices whose frames a relay process carries
// across with 10 ms of delay each way.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

import { TCP } from '../helpers/constants.js';
import { Probe } from '../helpers/probe-client.js';
import { exec, exitOf, spawnIn } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';

const PORT = 42000;
const TAP = 'fct';
const A = '198.19.0.1';
const B = '198.19.0.2';

/** Runs in a's namespace: a TAP there and one in the namespace argv[1], frames relayed after argv[2] ms. */
const RELAY = `
import asyncio, ctypes, fcntl, os, struct, sys
def tap(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', name.encode(), 0x0002 | 0x1000))  # TUNSETIFF: IFF_TAP | IFF_NO_PI
    return fd
a = tap('${TAP}')
if ctypes.CDLL(None, use_errno=True).setns(os.open('/run/netns/' + sys.argv[1], os.O_RDONLY), 0x40000000) != 0:
    raise OSError(ctypes.get_errno(), 'setns')
b = tap('${TAP}')
delay = float(sys.argv[2]) / 1000
loop = asyncio.new_event_loop()
def relay(src, dst):
    def readable():
        while True:
            try:
                frame = os.read(src, 65536)
            except BlockingIOError:
                return
            loop.call_later(delay, os.write, dst, frame)
    loop.add_reader(src, readable)
relay(a, b)
relay(b, a)
print('ready', flush=True)
loop.run_forever()
`;

let relay: ChildProcess;
const net = sharedTestNet({
  setUp: async ({ a, b }) => {
    relay = spawnIn(a.ns, 'python3', ['-c', RELAY, b.ns, '10']);
    const [line] = await once(relay.stdout!, 'data');
    assert.match(String(line), /ready/);
    for (const [ns, address] of [
      [a.ns, A],
      [b.ns, B],
    ]) {
      await exec(ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', TAP);
      await exec(ns, 'ip', 'link', 'set', TAP, 'up');
    }
    await exec(a.ns, 'ping', '-c', '1', '-W', '2', B);
  },
  tearDown: async () => {
    relay?.kill();
    if (relay) await exitOf(relay);
  },
});

/** An echo server in b for one connection; a client in a sends `rounds` messages, one at a time. */
async function pingPong(rounds: number): Promise<void> {
  const server = spawnIn(net.b.ns, process.execPath, [
    '-e',
    `const s = require('node:net').createServer((c) => { c.on('data', (d) => c.write(d)); c.on('end', () => { c.end(); s.close(); }); });
     s.listen(${PORT}, '${B}', () => console.log('listening'));`,
  ]);
  const [line] = await once(server.stdout!, 'data');
  assert.match(String(line), /listening/);
  await exec(
    net.a.ns,
    process.execPath,
    '-e',
    `
    const c = require('node:net').connect(${PORT}, '${B}');
    let left = ${rounds};
    c.on('connect', () => c.write('x'));
    c.on('data', () => (--left > 0 ? c.write('x') : c.end()));`,
  );
  assert.equal(await exitOf(server), 0);
}

test('a TCP exchange over a path with 20 ms of round-trip delay: RTT on its flows of about 20 ms', async () => {
  const probe = await Probe.start(net.a, { interfaces: [TAP], rtt: true });
  await pingPong(30);
  // Both directions of the exchange: a's RTT is on the flow b -> a (what a received), b's on a -> b.
  const drains = await probe.closeOnceCounted(
    2,
    (flows) => flows.filter((flow) => flow.protocol === TCP && (flow.srcPort === PORT || flow.dstPort === PORT) && flow.rtt).length,
  );
  const flows = drains.flatMap((drain) => drain.flows).filter((flow) => flow.protocol === TCP && (flow.srcPort === PORT || flow.dstPort === PORT) && flow.rtt);
  assert.deepEqual(new Set(flows.map((flow) => `${flow.srcAddr} ${flow.direction}`)), new Set([`${B} ingress`, `${A} egress`]));
  for (const flow of flows) {
    assert.ok(flow.rtt! >= 18e6 && flow.rtt! <= 40e6, `RTT ${flow.rtt} ns of ${flow.srcAddr}:${flow.srcPort} is about 20 ms`);
    assert.equal(flow.drops, null);
  }
});

test('with RTT off, the same exchange has no rtt field', async () => {
  const probe = await Probe.start(net.a, { interfaces: [TAP] });
  await pingPong(3);
  const drains = await probe.closeOnceCounted(1, (flows) => flows.filter((flow) => flow.protocol === TCP && flow.srcPort === PORT).length);
  const flows = drains.flatMap((drain) => drain.flows).filter((flow) => flow.protocol === TCP && (flow.srcPort === PORT || flow.dstPort === PORT));
  assert.ok(flows.length >= 2);
  assert.deepEqual(
    flows.map((flow) => 'rtt' in flow),
    flows.map(() => false),
  );
});
