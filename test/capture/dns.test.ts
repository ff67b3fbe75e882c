// ENABLE_DNS_TRACKING: a DNS server in one test namespace (test/helpers/dns-child.ts) answers a
// stub resolver in the other: answered queries, an NXDOMAIN and a query never answered, tracked
// by the kernel and carried on the response's flow; then through the agent to gRPC (pbflow) and
// stdout JSON, DNS_TRACKING_PORT other than 53, and the Avro writers and readers.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';

import { ConfigError, loadConfig } from '../../src/config/index.js';
import { decodeFlowBatch, encodeFlowBatch, flowBatchType } from '../../src/encode/avro.js';
import { readFlowBatch } from '../../src/encode/avro-reader.js';
import { decodeRecords, encodeRecords, toFlowRecord, type PbflowRecord } from '../../src/encode/pbflow.js';
import { readRecords } from '../../src/encode/pbflow-reader.js';
import { formatJsonLines, formatTable } from '../../src/export/stdout.js';
import type { FlowDns } from '../../src/model/index.js';
import { AgentProcess } from '../helpers/agent.js';
import { batchWithDns, plain } from '../helpers/batches.js';
import { TCP, UDP } from '../helpers/constants.js';
import { PROJECT_ROOT, exec, exitOf, spawnIn, type Host } from '../helpers/netns.js';
import { Probe, type Drained } from '../helpers/probe-client.js';
import type { ProbeFlow } from '../helpers/probe.js';
import { sharedTestNet } from '../helpers/shared-net.js';
import { waitUntil } from '../helpers/wait.js';

const DNS_CHILD = `${PROJECT_ROOT}test/helpers/dns-child.ts`;
/** 53, DNS_TRACKING_PORT's value in the tests that set it, and a port never tracked. */
const PORTS = [53, 5353, 5354];
const QR = 0x8000;
const RCODE = 0xf;
/** 33 bytes in label format: the kernel keeps 31, so the name is cut before `org`, as NetObserv. */
const LONG_NAME = 'a-rather-long-label.example.org';

interface Query {
  id: number;
  name: string;
  clientPort: number;
  port: number;
}

let server: ChildProcess;
let serverLog = '';
const net = sharedTestNet({
  setUp: async ({ b }) => {
    server = spawnIn(b.ns, process.execPath, ['--import', 'tsx', DNS_CHILD, 'server', b.ipv4, ...PORTS.map(String)]);
    server.stdout!.on('data', (chunk) => (serverLog += chunk));
    await waitUntil(
      () => serverLog.startsWith('ready\n'),
      () => `the DNS server ready (${serverLog})`,
    );
  },
  tearDown: async () => {
    server?.kill();
    if (server) await exitOf(server);
  },
});

/** What the server received, in order. */
const received = (): Query[] =>
  serverLog
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Query);

/** Resolves each name from a (one socket each) at b:port; returns the queries b received, by name. */
async function resolve(port: number, names: string[]): Promise<Map<string, Query>> {
  const before = received().length;
  const outcomes = await exec(net.a.ns, process.execPath, '--import', 'tsx', DNS_CHILD, 'client', net.b.ipv4, String(port), ...names);
  const expected = names.map((name) => (name.startsWith('missing.') ? 'ENOTFOUND' : name.startsWith('silent.') ? 'ETIMEOUT' : [net.b.ipv4]));
  assert.deepEqual(
    outcomes
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).outcome),
    expected,
  );
  const queries = received().slice(before);
  assert.deepEqual(
    queries.map((query) => query.name),
    names,
  );
  return new Map(queries.map((query) => [query.name, query]));
}

const flowsOf = (drains: Drained[]) => drains.flatMap((drain) => drain.flows).filter((flow) => flow.protocol === UDP);
/** The response's flow (server to client) and the query's flow of a query. */
const responseOf = (flows: ProbeFlow[], query: Query) => flows.filter((flow) => flow.srcPort === query.port && flow.dstPort === query.clientPort);
const queryFlowOf = (flows: ProbeFlow[], query: Query) => flows.filter((flow) => flow.srcPort === query.clientPort && flow.dstPort === query.port);

test('answered queries, an NXDOMAIN and a query never answered: id, flags, latency and name on the response flows', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], dnsPort: 53 });
  const queries = await resolve(53, ['www.example.org', 'missing.example.org', 'silent.example.org', LONG_NAME]);
  const answered = ['www.example.org', 'missing.example.org', LONG_NAME].map((name) => queries.get(name)!);
  // Responses arrive at a's ingress, processed asynchronously: drain until all three are there.
  const drains = await probe.closeOnceCounted(3, (flows) => flows.filter((flow) => flow.srcPort === 53 && flow.dns).length);
  const flows = flowsOf(drains);

  // The server answers with QR, RD and RA set (0x8180) and the response code in the low 4 bits.
  assert.deepEqual(
    answered.map((query) => responseOf(flows, query).map((flow) => ({ ...flow.dns!, latency: 'measured', direction: flow.direction }))),
    [
      [{ id: answered[0].id, flags: 0x8180, latency: 'measured', errno: 0, name: 'www.example.org', direction: 'ingress' }],
      [{ id: answered[1].id, flags: 0x8183, latency: 'measured', errno: 0, name: 'missing.example.org', direction: 'ingress' }],
      [{ id: answered[2].id, flags: 0x8180, latency: 'measured', errno: 0, name: 'a-rather-long-label.example', direction: 'ingress' }],
    ],
  );
  for (const query of answered) {
    const [response] = responseOf(flows, query);
    // Sanity only (not a timing assertion): measured, and below the 5 s a query stays pending.
    assert.ok(response.dns!.latency > 0 && response.dns!.latency < 5e9, `latency ${response.dns!.latency} ns of ${query.name}`);
    // The query's own flow carries nothing: NetObserv sets DNS fields on the response's flow.
    assert.deepEqual(
      queryFlowOf(flows, query).map((flow) => [flow.direction, flow.packets, flow.dns]),
      [['egress', 1, null]],
    );
  }
  // Never answered: its query went out, with nothing on its flow, and no response came back.
  const silent = queries.get('silent.example.org')!;
  assert.deepEqual(
    queryFlowOf(flows, silent).map((flow) => [flow.direction, flow.packets, flow.dns]),
    [['egress', 1, null]],
  );
  assert.deepEqual(responseOf(flows, silent), []);
});

test('a retransmitted query and a response without its query: errno 17 (EEXIST) on the query flow, 2 (ENOENT) on the response flow', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], dnsPort: 53 });
  const send = (sourcePort: number, id: number, flags: number, name: string, times: number) =>
    exec(
      net.a.ns,
      process.execPath,
      '--import',
      'tsx',
      DNS_CHILD,
      'send',
      net.b.ipv4,
      '53',
      String(sourcePort),
      String(id),
      String(flags),
      name,
      String(times),
    );
  await send(40053, 0x1234, 0x0100, 'silent.example.org', 2); // never answered: the second finds the first pending
  // A response no one asked for; the space in its name is not printable ASCII: '?' in the dotted name.
  await send(40054, 0x4321, 0x8180, 'stray one.example.org', 1);
  const drains = await probe.closeOnceCounted(2, (flows) => flows.filter((flow) => flow.dstPort === 53 && flow.dns).length);
  const flows = flowsOf(drains).filter((flow) => flow.dstPort === 53 && (flow.srcPort === 40053 || flow.srcPort === 40054));
  assert.deepEqual(
    flows.sort((x, y) => x.srcPort - y.srcPort).map((flow) => [flow.srcPort, flow.packets, flow.dns]),
    [
      [40053, 2, { id: 0, flags: 0, latency: 0, errno: 17, name: '' }],
      [40054, 1, { id: 0x4321, flags: 0x8180, latency: 0, errno: 2, name: 'stray?one.example.org' }],
    ],
  );
});

test('a response more than 5 s after its query is unmatched: errno 2 (ENOENT), no latency', async () => {
  // DNS_TRACKING_PORT 5355, where nothing listens on b: the response is sent by hand, late.
  const probe = await Probe.start(net.a, { interfaces: ['fca'], dnsPort: 5355 });
  const send = (host: Host, to: string, port: number, sourcePort: number, flags: number) =>
    exec(
      host.ns,
      process.execPath,
      '--import',
      'tsx',
      DNS_CHILD,
      'send',
      to,
      String(port),
      String(sourcePort),
      String(0x7a7e),
      String(flags),
      'late.example.org',
      '1',
    );
  await send(net.a, net.b.ipv4, 5355, 40055, 0x0100);
  // Not a wait for an event: the test is about the 5 s a query stays pending (as the NATS outage
  // tests play the length of an outage).
  await sleep(5_100);
  await send(net.b, net.a.ipv4, 40055, 5355, 0x8180);
  const drains = await probe.closeOnceCounted(1, (flows) => flows.filter((flow) => flow.srcPort === 5355 && flow.dns).length);
  assert.deepEqual(
    flowsOf(drains)
      .filter((flow) => flow.srcPort === 5355 && flow.dstPort === 40055)
      .map((flow) => flow.dns),
    [{ id: 0x7a7e, flags: 0x8180, latency: 0, errno: 2, name: 'late.example.org' }],
  );
});

test('over TCP: the response segment carries the DNS fields; the handshake and ACKs set nothing', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'], dnsPort: 53 });
  const before = received().length;
  const reply = await exec(net.a.ns, process.execPath, '--import', 'tsx', DNS_CHILD, 'tcp', net.b.ipv4, '53', String(0x5eed), 'www.example.org');
  const { clientPort, rcode } = JSON.parse(reply) as { clientPort: number; rcode: number };
  assert.equal(rcode, 0);
  assert.deepEqual(received().slice(before), [{ id: 0x5eed, name: 'www.example.org', clientPort, port: 53, tcp: true }]);
  const ofConnection = (flows: ProbeFlow[]) => flows.filter((flow) => flow.protocol === TCP && (flow.srcPort === clientPort || flow.dstPort === clientPort));
  const drains = await probe.closeOnceCounted(1, (flows) => ofConnection(flows).filter((flow) => flow.dns).length);
  const flows = ofConnection(drains.flatMap((drain) => drain.flows));
  // A flow may be split across drains (a part without its DNS message has dns null): by port, the DNS seen.
  const dnsFrom = (port: number) => flows.filter((flow) => flow.srcPort === port && flow.dns).map((flow) => ({ ...flow.dns!, latency: flow.dns!.latency > 0 }));
  assert.deepEqual(dnsFrom(53), [{ id: 0x5eed, flags: 0x8180, latency: true, errno: 0, name: 'www.example.org' }]);
  assert.deepEqual(dnsFrom(clientPort), []);
  assert.ok(flows.some((flow) => flow.srcPort === clientPort));
});

test('with DNS tracking off, the same exchange has no dns field', async () => {
  const probe = await Probe.start(net.a, { interfaces: ['fca'] });
  const queries = await resolve(53, ['www.example.org']);
  const query = queries.get('www.example.org')!;
  const drains = await probe.closeOnceCounted(1, (flows) => flows.filter((flow) => flow.srcPort === 53 && flow.dstPort === query.clientPort).length);
  const flows = [...responseOf(flowsOf(drains), query), ...queryFlowOf(flowsOf(drains), query)];
  assert.deepEqual(
    flows.map((flow) => [flow.packets, 'dns' in flow]),
    [
      [1, false],
      [1, false],
    ],
  );
});

/** The gRPC collector of test/helpers/grpc-collector-child.ts in a, on `port`. */
async function grpcCollector(port: number): Promise<{ records: () => Promise<PbflowRecord[]>; stop: () => Promise<void> }> {
  const child = spawnIn(net.a.ns, process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}test/helpers/grpc-collector-child.ts`, String(port)]);
  await once(child, 'message');
  return {
    records: async () => {
      const reply = once(child, 'message');
      child.send('collect');
      const [{ records }] = (await reply) as [{ records: PbflowRecord[] }];
      return records;
    },
    stop: async () => {
      child.kill();
      await exitOf(child);
    },
  };
}

test('through the agent to gRPC: DNS_TRACKING_PORT=5353 is tracked and 53 too, another port not; pbflow fields 21-23, 25, 32', async () => {
  const collector = await grpcCollector(9953);
  try {
    const agent = AgentProcess.start(net.a.ns, {
      EXPORT: 'grpc',
      TARGET_HOST: '127.0.0.1',
      TARGET_PORT: '9953',
      INTERFACES: 'fca',
      CACHE_ACTIVE_TIMEOUT: '200ms',
      ENABLE_DNS_TRACKING: 'true',
      DNS_TRACKING_PORT: '5353',
    });
    await agent.waitForLog('capturing');
    const tracked = [...(await resolve(5353, ['www.example.org'])).values(), ...(await resolve(53, ['missing.example.org'])).values()];
    const [untracked] = (await resolve(5354, ['www.example.org'])).values();
    const isResponse = (record: PbflowRecord, query: Query) => record.transport?.srcPort === query.port && record.transport.dstPort === query.clientPort;
    // The untracked response too: once it is there, so are the others (they came before it).
    await waitUntil(
      async () => (await collector.records()).some((record) => isResponse(record, untracked)),
      () => `the response from port 5354 at the collector (agent: ${agent.stderr})`,
    );
    assert.equal(await agent.stop(), 0, agent.stderr);
    const records = await collector.records();
    const dnsOf = (query: Query) =>
      records
        .filter((record) => isResponse(record, query))
        .map((record) => ({
          id: record.dnsId,
          qr: record.dnsFlags & QR,
          rcode: record.dnsFlags & RCODE,
          latency: record.dnsLatency ? record.dnsLatency.seconds * 1e9 + record.dnsLatency.nanos > 0 : false,
          errno: record.dnsErrno,
          name: record.dnsName,
        }));
    assert.deepEqual(tracked.map(dnsOf), [
      [{ id: tracked[0].id, qr: QR, rcode: 0, latency: true, errno: 0, name: 'www.example.org' }],
      [{ id: tracked[1].id, qr: QR, rcode: 3, latency: true, errno: 0, name: 'missing.example.org' }],
    ]);
    assert.deepEqual(dnsOf(untracked), [{ id: 0, qr: 0, rcode: 0, latency: false, errno: 0, name: '' }]);
  } finally {
    await collector.stop();
  }
});

test('through the agent to stdout JSON: the DNS fields and the response code named', async () => {
  const agent = AgentProcess.start(net.a.ns, {
    EXPORT: 'stdout',
    STDOUT_FORMAT: 'json',
    INTERFACES: 'fca',
    CACHE_ACTIVE_TIMEOUT: '200ms',
    ENABLE_DNS_TRACKING: 'true',
  });
  await agent.waitForLog('capturing');
  const query = (await resolve(53, ['missing.example.org'])).get('missing.example.org')!;
  const lines = () =>
    agent.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  const response = () => lines().find((line) => line.srcPort === 53 && line.dstPort === query.clientPort);
  await waitUntil(
    () => response() !== undefined,
    () => `the response's flow on stdout (${agent.stdout})`,
  );
  assert.equal(await agent.stop(), 0, agent.stderr);
  const { dns } = response();
  assert.deepEqual(
    { ...dns, latency: dns.latency > 0 },
    { id: query.id, flags: 0x8183, latency: true, errno: 0, name: 'missing.example.org', responseCode: 'NXDomain' },
  );
});

test('DNS extras through the Avro Buffer writer (byte for byte as avsc), both fast readers, pbflow and stdout', () => {
  const batch = batchWithDns();
  const flows = batch.flows.decode();
  const expected: (FlowDns | null)[] = [
    { id: 0xbeef, flags: 0x8183, latency: 5_000_000_123, errno: 0, name: 'missing.example.org' },
    { id: 7, flags: 0x8180, latency: 0, errno: 2, name: 'a.b' },
    null,
  ];
  assert.deepEqual(
    flows.map((flow) => flow.dns),
    expected,
  );
  const written = encodeFlowBatch(batch, false);
  assert.deepEqual(written, flowBatchType.toBuffer({ ...batch, flows }));
  assert.deepEqual(plain(decodeFlowBatch(written).flows.map((flow) => flow.dns)), expected);
  const columns = readFlowBatch(written).flows;
  // The fast reader reads the rare fields with avsc's own type (objects of its Dns class).
  assert.deepEqual(plain([0, 1, 2].map((index) => columns.features.get(index)?.dns ?? null)), expected);

  const pbflow = encodeRecords(flows, '198.18.0.1');
  assert.deepEqual(
    decodeRecords(pbflow)
      .map(toFlowRecord)
      .map((flow) => flow.dns),
    expected,
  );
  const fast = readRecords(pbflow).flows;
  assert.deepEqual(
    [0, 1, 2].map((index) => fast.features.get(index)?.dns ?? null),
    expected,
  );

  const table = formatTable(batch, 10, String);
  assert.match(table, /dns #48879 NXDomain missing\.example\.org 5000\.000 ms/);
  assert.match(table, /dns #7 NoError a\.b errno 2/);
  assert.deepEqual(
    formatJsonLines(batch, String)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).dns?.responseCode ?? null),
    ['NXDomain', 'NoError', null],
  );
});

test("ENABLE_DNS_TRACKING and DNS_TRACKING_PORT, in NetObserv's spellings: the port only with tracking on, 1-65535", () => {
  const base = { EXPORT: 'stdout' };
  assert.equal(loadConfig(base).capture.dnsPort, 0);
  assert.equal(loadConfig({ ...base, DNS_TRACKING_PORT: '5353' }).capture.dnsPort, 0);
  assert.equal(loadConfig({ ...base, ENABLE_DNS_TRACKING: 'true' }).capture.dnsPort, 53);
  assert.equal(loadConfig({ ...base, ENABLE_DNS_TRACKING: 'True', DNS_TRACKING_PORT: '5353' }).capture.dnsPort, 5353);
  for (const port of ['0', '65536', 'x']) {
    assert.throws(
      () => loadConfig({ ...base, ENABLE_DNS_TRACKING: 'true', DNS_TRACKING_PORT: port }),
      (error: Error) => error instanceof ConfigError && error.message.startsWith(`DNS_TRACKING_PORT="${port}": `),
    );
  }
});
