import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';

import { PassThrough } from 'node:stream';

import { Aggregator } from '../../src/aggregate/index.js';
import { startMetrics } from '../../src/agent/metrics.js';
import { FlowCapture, dropCauseName } from '../../src/capture/index.js';
import { VERSION } from '../../src/config/command-line.js';
import { FLOW_BATCH_FINGERPRINT, FIRST_SCHEMA_FINGERPRINT } from '../../src/encode/avro.js';
import { DATA_SCHEMA } from '../../src/encode/cloudevent.js';
import { crc64Avro } from '../../src/encode/crc64-avro.js';
import { ExportQueue } from '../../src/export/queue.js';
import { StdoutExporter } from '../../src/export/stdout.js';
import { AgentProcess } from '../helpers/agent.js';
import { silentLog } from '../helpers/constants.js';
import { TestNet, exec, flowcastFilters, sendUdp } from '../helpers/netns.js';
import { waitUntil } from '../helpers/wait.js';

/** GET inside the namespace (where the agent's loopback is): status and body. */
async function get(ns: string, url: string): Promise<{ status: number; body: string }> {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(r.status + '\\n' + await r.text()))`;
  const [status, ...body] = (await exec(ns, process.execPath, '-e', script)).split('\n');
  return { status: Number(status), body: body.join('\n') };
}

function value(metrics: string, name: string): number {
  const line = metrics.split('\n').find((entry) => entry.startsWith(`${name} `) || entry.startsWith(`${name}{`));
  assert.ok(line, `${name} is exported`);
  return Number(line.split(' ').at(-1));
}

test('metrics move with the traffic; health and readiness answer', async () => {
  const net = await TestNet.create();
  let agent: AgentProcess | undefined;
  try {
    agent = AgentProcess.start(net.a.ns, {
      INTERFACES: 'fca',
      DIRECTION: 'egress',
      STDOUT_FORMAT: 'json',
      CACHE_ACTIVE_TIMEOUT: '300ms',
      METRICS_PORT: '9400',
      METRICS_ADDRESS: '127.0.0.1',
    });
    await agent.waitForLog('serving /metrics');
    const url = 'http://127.0.0.1:9400';
    const scrape = async () => (await get(net.a.ns, `${url}/metrics`)).body;
    let before = await scrape();
    await waitUntil(async () => value((before = await scrape()), 'flowcast_batches_total') >= 1, 'a first batch');
    // No traffic yet: a drain found nothing written, so it read nothing and checked the hooks; then
    // the agent parked. Parked, it drains no more: over seven intervals, not one drain, and healthy.
    await waitUntil(async () => value((before = await scrape()), 'flowcast_parked') === 1, 'parked');
    assert.ok(value(before, 'flowcast_idle_drains_total') >= 1);
    assert.ok(value(before, 'flowcast_hook_checks_total') >= 1);
    await sleep(7 * 300); // the time that must pass, not a wait for an event
    const parked = await scrape();
    assert.equal(value(parked, 'flowcast_parked'), 1);
    for (const name of ['flowcast_idle_drains_total', 'flowcast_batches_total']) assert.equal(value(parked, name), value(before, name), name);
    assert.equal((await get(net.a.ns, `${url}/healthz`)).status, 200);
    // Two halves with two batches between them: two batches hold flows (empty ones are not exported).
    const first = value(parked, 'flowcast_batches_total'); // parked: the count stands still until the traffic
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 10, packets: 1500, payload: 20, srcPort: 34000 });
    let scraped = before;
    await waitUntil(async () => value((scraped = await scrape()), 'flowcast_batches_total') >= first + 2, 'two batches after the first half');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 10, packets: 1500, payload: 20, srcPort: 34000 });
    await waitUntil(
      async () => value((scraped = await scrape()), 'flowcast_packets_total') - value(before, 'flowcast_packets_total') >= 3000,
      () => `packets_total to grow by 3000 (${value(scraped, 'flowcast_packets_total') - value(before, 'flowcast_packets_total')} so far)`,
    );
    // Parked again once an interval found nothing, and the export acknowledged (asynchronously) two since `before`.
    await waitUntil(async () => {
      scraped = await scrape();
      return value(scraped, 'flowcast_parked') === 1 && value(scraped, 'flowcast_export_sent_total') - value(before, 'flowcast_export_sent_total') >= 2;
    }, 'parked again, two batches exported');
    const after = await get(net.a.ns, `${url}/metrics`);
    assert.equal(after.status, 200);

    const grew = (name: string) => value(after.body, name) - value(before, name);
    // The UDP traffic, and at most a little else (ARP, neighbour discovery) on the same interface.
    assert.ok(grew('flowcast_packets_total') >= 3000 && grew('flowcast_packets_total') < 3100, `packets grew by ${grew('flowcast_packets_total')}`);
    assert.ok(grew('flowcast_bytes_total') >= 3000 * (14 + 20 + 8 + 20));
    assert.ok(grew('flowcast_flows_total') >= 10);
    assert.ok(grew('flowcast_batches_total') >= 2);
    assert.ok(grew('flowcast_export_sent_total') >= 2);
    assert.ok(grew('flowcast_drain_duration_seconds_count') >= 2, `drain durations observed: ${grew('flowcast_drain_duration_seconds_count')}`);
    assert.equal(value(after.body, 'flowcast_interfaces_attached'), 1);
    assert.equal(value(after.body, 'flowcast_lost_packets_total'), 0);
    assert.equal(value(after.body, 'flowcast_export_queue_length'), 0);
    // The standard process metrics keep their names; the build is named once.
    assert.ok(value(after.body, 'process_cpu_seconds_total') > 0);
    assert.doesNotMatch(after.body, /flowcast_process_|flowcast_nodejs_/);
    assert.match(
      after.body,
      new RegExp(`^flowcast_build_info\\{version="${VERSION}",schema_fingerprint="${FLOW_BATCH_FINGERPRINT.toString('hex')}"\\} 1$`, 'm'),
    );
    assert.deepEqual(await get(net.a.ns, `${url}/healthz`), { status: 200, body: 'ok\n' });
    assert.deepEqual(await get(net.a.ns, `${url}/readyz`), { status: 200, body: 'ok\n' });
    assert.equal(await agent.stop('SIGTERM'), 0);
  } finally {
    await agent?.stop('SIGKILL'); // nothing once stopped; after a failure, no agent left running
    await net.destroy();
  }
});

/** /schemas/ lists the revisions; /schemas/<fingerprint> is the schema as written, with its canonical form and fingerprint. */
async function assertSchemasServed(fetchText: (path: string) => Promise<{ status: number; body: string }>): Promise<void> {
  const current = FLOW_BATCH_FINGERPRINT.toString('hex');
  const listing = await fetchText('/schemas/');
  assert.equal(listing.status, 200);
  assert.deepEqual(
    JSON.parse(listing.body).schemas.map((entry: { fingerprint: string; current: boolean }) => [entry.fingerprint, entry.current]),
    [
      [current, true],
      [FIRST_SCHEMA_FINGERPRINT, false],
    ],
  );
  for (const fingerprint of [current, FIRST_SCHEMA_FINGERPRINT]) {
    const served = await fetchText(`/schemas/${fingerprint}`);
    assert.equal(served.status, 200);
    const document = JSON.parse(served.body);
    assert.equal(document.fingerprint, fingerprint);
    const checked = Buffer.alloc(8);
    checked.writeBigUInt64LE(crc64Avro(Buffer.from(document.canonicalForm)));
    assert.equal(checked.toString('hex'), fingerprint, 'the fingerprint is the CRC-64-AVRO of the canonical form served');
  }
  const document = JSON.parse((await fetchText(`/schemas/${current}`)).body);
  assert.equal(document.dataschema, DATA_SCHEMA);
  assert.deepEqual(document.schema, JSON.parse(readFileSync(new URL('../../schemas/flow-batch.avsc', import.meta.url), 'utf8')));
  assert.equal((await fetchText('/schemas/0123456789abcdef')).status, 404);
}

test('/healthz is stamped by drains that succeed: three failures in a row make it fail, and they are counted', async () => {
  // A real capture (attached to nothing) closed under the aggregator: every drain after it fails.
  const capture = FlowCapture.open({ interfaces: ['/^no-such-interface$/'], listen: 'none' });
  const exporter = new StdoutExporter(new PassThrough().resume(), 'json', 0, dropCauseName);
  const queue = new ExportQueue(exporter, 10, silentLog);
  let batches = 0;
  let twoBatches!: () => void;
  const drained = new Promise<void>((resolve) => (twoBatches = resolve));
  const healthAtFailure: boolean[] = [];
  let threeFailures!: () => void;
  const failed = new Promise<void>((resolve) => (threeFailures = resolve));
  const aggregator: Aggregator = new Aggregator(capture, {
    intervalMs: 100,
    agentName: 'test',
    agentIp: '127.0.0.1',
    onBatch: () => ++batches === 2 && twoBatches(),
    onError: () => {
      healthAtFailure.push(aggregator.healthy());
      if (healthAtFailure.length === 3) threeFailures();
    },
  });
  aggregator.start();
  const metrics = await startMetrics(0, '127.0.0.1', {
    aggregator,
    capture,
    queue,
    exporter: 'stdout',
    intervalMs: 100,
    queueCapacity: 10,
    prefix: 'flowcast_',
  });
  const url = `http://127.0.0.1:${metrics.port}`;
  const fetchText = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: await response.text() };
  };
  try {
    await drained;
    assert.deepEqual(await fetchText('/healthz'), { status: 200, body: 'ok\n' });
    assert.equal(value((await fetchText('/metrics')).body, 'flowcast_drain_failures_total'), 0);
    await assertSchemasServed(fetchText);
    await capture.close();
    await failed;
    assert.deepEqual(healthAtFailure, [true, true, false], 'unhealthy from the third failure in a row');
    assert.deepEqual(await fetchText('/healthz'), { status: 503, body: 'not ok\n' });
    assert.deepEqual(await fetchText('/readyz'), { status: 503, body: 'not ok\n' });
    assert.ok(value((await fetchText('/metrics')).body, 'flowcast_drain_failures_total') >= 3);
  } finally {
    await aggregator.stop();
    await metrics.close();
    await queue.close(Date.now());
  }
});

test('TC_ATTACH_MODE=tc: a second agent refuses; a hook removed from outside is logged, counted and reattached, /healthz fails while one cannot be; kernel memory said at start', async () => {
  const net = await TestNet.create();
  let agent: AgentProcess | undefined;
  try {
    const env = {
      INTERFACES: 'fca',
      DIRECTION: 'egress',
      TC_ATTACH_MODE: 'tc',
      STDOUT_FORMAT: 'json',
      CACHE_ACTIVE_TIMEOUT: '200ms',
      METRICS_PORT: '9402',
      METRICS_ADDRESS: '127.0.0.1',
      CACHE_MAX_FLOWS: '1000000',
    };
    agent = AgentProcess.start(net.a.ns, env);
    await agent.waitForLog('serving /metrics');
    const capturing = JSON.parse(agent.stderr.split('\n').find((line) => line.includes('"msg":"capturing"'))!);
    assert.ok(capturing.kernelMemory.flowMapsBytes > 2 * 1_000_000 * 104, `flow maps: ${capturing.kernelMemory.flowMapsBytes} bytes`);
    assert.ok(capturing.kernelMemory.ringBufferBytes >= 4 << 20);
    assert.match(agent.stderr, /"level":40,.*"msg":"the flow maps \(two of CACHE_MAX_FLOWS=1000000\) and the ring buffer take \d+ MiB of kernel memory"/);

    const second = AgentProcess.start(net.a.ns, { ...env, METRICS_PORT: '9403' });
    assert.equal(await second.exited(), 1);
    assert.match(second.stderr, /another flowcast agent holds the tc hooks of this network namespace/);

    await exec(net.a.ns, 'tc', 'filter', 'del', 'dev', 'fca', 'egress', 'pref', String(0xf10c));
    await agent.waitForLog('our egress hook on fca was removed or replaced from outside');
    assert.deepEqual(await flowcastFilters(net.a), ['egress'], 'attached again');
    const url = 'http://127.0.0.1:9402';
    const scraped = (await get(net.a.ns, `${url}/metrics`)).body;
    assert.equal(value(scraped, 'flowcast_hooks_lost_total'), 1);
    assert.equal(value(scraped, 'flowcast_hooks_missing'), 0);
    assert.deepEqual(await get(net.a.ns, `${url}/healthz`), { status: 200, body: 'ok\n' });

    // A hook that cannot be attached again (filters can no longer be added through the device).
    // The agent may put its clsact back between deleting ours and adding one whose egress block
    // is shared (the parked agent checks at each tc event): one tc process runs both, again
    // until the shared-block clsact is the one in place.
    await waitUntil(async () => {
      await exec(net.a.ns, 'sh', '-c', 'printf "qdisc del dev fca clsact\nqdisc add dev fca egress_block 10 clsact\n" | tc -force -batch -').catch(
        () => undefined,
      );
      return (await exec(net.a.ns, 'tc', 'qdisc', 'show', 'dev', 'fca')).includes('egress_block 10');
    }, 'a clsact whose egress block is shared');
    await agent.waitForLog('attach to fca egress (clsact filter)');
    let failing = '';
    await waitUntil(async () => value((failing = (await get(net.a.ns, `${url}/metrics`)).body), 'flowcast_hooks_missing') === 1, 'the hook missing');
    assert.ok(value(failing, 'flowcast_hooks_lost_total') >= 2, 'the deleted clsact held our hook: one more loss');
    assert.deepEqual(await get(net.a.ns, `${url}/healthz`), { status: 503, body: 'not ok\n' });
    await exec(net.a.ns, 'tc', 'qdisc', 'del', 'dev', 'fca', 'clsact');
    await waitUntil(async () => value((await get(net.a.ns, `${url}/metrics`)).body, 'flowcast_hooks_missing') === 0, 'attached once it could be');
    assert.deepEqual(await get(net.a.ns, `${url}/healthz`), { status: 200, body: 'ok\n' });
    assert.equal(await agent.stop('SIGTERM'), 0);
  } finally {
    await agent?.stop('SIGKILL'); // nothing once stopped; after a failure, no agent left running
    await net.destroy();
  }
});
