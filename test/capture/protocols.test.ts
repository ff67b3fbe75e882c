import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

import { ICMP, ICMPV6, TCP } from '../helpers/constants.js';
import { Probe } from '../helpers/probe-client.js';
import { ATTACH_MODES, PROJECT_ROOT, exec } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';

const [FIN, SYN, ACK] = [0x01, 0x02, 0x10];

const net = sharedTestNet();

// Each test runs with TCX hooks (skipped before Linux 6.6) and with clsact filters.
for (const { mode, skip } of ATTACH_MODES) {
  test(`TCP: SYN, ACK and FIN appear in the flags of both directions [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'] });
    const server = spawn('ip', ['netns', 'exec', net.b.ns, process.execPath, `${PROJECT_ROOT}test/tools/tcp-exchange.mjs`, 'server', '5201']);
    const serverExit = once(server, 'exit'); // before the client runs: the server may exit first
    await once(server.stdout, 'data');
    await exec(net.a.ns, process.execPath, `${PROJECT_ROOT}test/tools/tcp-exchange.mjs`, 'client', net.b.ipv4, '5201', '10000');
    await serverExit;
    const flows = (await probe.close()).flows.filter((flow) => flow.protocol === TCP);

    const out = flows.find((flow) => flow.direction === 'egress' && flow.dstPort === 5201);
    const back = flows.find((flow) => flow.direction === 'ingress' && flow.srcPort === 5201);
    assert.ok(out && back, `both directions of the connection: ${JSON.stringify(flows)}`);
    assert.equal(out.tcpFlags & (SYN | ACK | FIN), SYN | ACK | FIN);
    assert.equal(back.tcpFlags & (SYN | ACK | FIN), SYN | ACK | FIN);
    assert.equal(out.srcPort, back.dstPort);
    assert.ok(out.bytes > 10000, 'the payload is counted');
  });

  test(`ICMP and ICMPv6 echo: type and code per direction, exact packet counts [${mode}]`, { skip }, async () => {
    const probe = await Probe.start(net.a, { attachMode: mode, interfaces: ['fca'] });
    await exec(net.a.ns, 'ping', '-c', '4', '-i', '0.05', '-s', '56', net.b.ipv4);
    await exec(net.a.ns, 'ping', '-6', '-c', '3', '-i', '0.05', '-s', '56', net.b.ipv6);
    const flows = (await probe.close()).flows;
    const summary = (protocol: number) =>
      flows
        .filter((flow) => flow.protocol === protocol && [0, 8, 128, 129].includes(flow.icmpType))
        .map((flow) => [flow.direction, flow.icmpType, flow.icmpCode, flow.packets, flow.bytes])
        .sort();
    // 56 bytes of data + 8 of ICMP header + 20 (IPv4) or 40 (IPv6) + 14 of Ethernet.
    assert.deepEqual(summary(ICMP), [
      ['egress', 8, 0, 4, 4 * 98],
      ['ingress', 0, 0, 4, 4 * 98],
    ]);
    assert.deepEqual(summary(ICMPV6), [
      ['egress', 128, 0, 3, 3 * 118],
      ['ingress', 129, 0, 3, 3 * 118],
    ]);
    for (const flow of flows.filter((f) => f.protocol === ICMP)) assert.equal(flow.srcPort + flow.dstPort, 0);
  });
}
