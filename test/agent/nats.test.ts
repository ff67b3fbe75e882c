import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AgentProcess, Subscriber, udpTotals } from '../helpers/agent.js';
import { BROKER_OUTAGE_MS, udpFrameBytes } from '../helpers/constants.js';
import { NatsServer } from '../helpers/nats-server.js';
import { sendUdp } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';
import type { ReceivedEvent } from '../helpers/subscriber.js';
import { waitUntil } from '../helpers/wait.js';

const net = sharedTestNet();

function agentEnv(nats: NatsServer, extra: Record<string, string> = {}): Record<string, string> {
  return { EXPORT: 'nats', NATS_URL: nats.url, NATS_SUBJECT: 'test.flows', INTERFACES: 'fca', CACHE_ACTIVE_TIMEOUT: '300ms', NODE_NAME: 'node-a', ...extra };
}

/** Packets from `srcPort` in the intervals up to and including each one, in sequence order. */
function runningPackets(events: ReceivedEvent[], srcPort: number): number[] {
  let total = 0;
  return [...events].sort((x, y) => x.batch.sequence - y.batch.sequence).map((event) => (total += udpTotals([event], srcPort).packets));
}

/** What every event must satisfy, whatever the mode. */
function assertValidEvents(events: ReceivedEvent[]): void {
  assert.ok(events.length > 0);
  for (const { attributes, batch } of events) {
    assert.equal(attributes.specversion, '1.0');
    assert.equal(attributes.type, 'dev.flowcast.flow.batch.v1');
    assert.equal(attributes.source, '/flowcast/node-a');
    assert.equal(attributes.datacontenttype, 'application/avro');
    assert.match(attributes.dataschema as string, /^urn:flowcast:schema:dev\.flowcast\.v1\.FlowBatch:[0-9a-f]{16}$/);
    assert.ok(!Number.isNaN(Date.parse(attributes.time as string)));
    assert.equal(batch.agentName, 'node-a');
  }
  assert.equal(new Set(events.map((event) => event.attributes.id)).size, events.length, 'ids are unique');
  const sequences = events.map((event) => event.batch.sequence).sort((x, y) => x - y);
  assert.deepEqual(
    sequences,
    sequences.map((_, index) => index),
    'one event per interval, none missing',
  );
}

test('binary mode on core NATS: exact totals, valid CloudEvents, the last interval flushed at SIGTERM', async () => {
  const nats = await NatsServer.start({ ns: net.a.ns });
  const subscriber = await Subscriber.start(net.a.ns, { url: nats.url, subject: 'test.flows' });
  const agent = AgentProcess.start(net.a.ns, agentEnv(nats));
  try {
    await agent.waitForLog('capturing');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 3000, payload: 50, srcPort: 31000 });
    // The second send must fall in a later interval: wait until the first one was published.
    await waitUntil(async () => udpTotals(await subscriber.collect(), 31000).packets === 3000, 'the first 3000 packets on NATS');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 30, payload: 50, srcPort: 31000 });
    assert.equal(await agent.stop('SIGTERM'), 0);
    const events = await subscriber.collect();
    assertValidEvents(events);
    assert.ok(events.every((event) => event.mode === 'binary'));
    assert.deepEqual(udpTotals(events, 31000), { packets: 3030, bytes: 3030 * udpFrameBytes(50) });
    // The first send's packets fill the earlier intervals, the second's the one flushed at SIGTERM.
    assert.ok(runningPackets(events, 31000).includes(3000), `packets up to each interval: ${runningPackets(events, 31000)}`);
  } finally {
    subscriber.close();
    await nats.stop();
  }
});

test('structured mode: a JSON envelope with data_base64 that the cloudevents SDK reads', async () => {
  const nats = await NatsServer.start({ ns: net.a.ns });
  const subscriber = await Subscriber.start(net.a.ns, { url: nats.url, subject: 'test.flows' });
  const agent = AgentProcess.start(net.a.ns, agentEnv(nats, { CE_MODE: 'structured', AVRO_SINGLE_OBJECT: 'true' }));
  try {
    await agent.waitForLog('capturing');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 2, packets: 500, payload: 20, srcPort: 31001 });
    assert.equal(await agent.stop('SIGINT'), 0);
    const events = await subscriber.collect();
    assertValidEvents(events);
    assert.ok(events.every((event) => event.mode === 'structured'));
    assert.deepEqual(udpTotals(events, 31001), { packets: 500, bytes: 500 * udpFrameBytes(20) });
  } finally {
    subscriber.close();
    await nats.stop();
  }
});

test('JetStream across a 30-second NATS outage: every interval stored exactly once, totals exact', async () => {
  const nats = await NatsServer.start({ ns: net.a.ns, jetstream: true });
  const agent = AgentProcess.start(
    net.a.ns,
    agentEnv(nats, { NATS_JETSTREAM: 'true', NATS_STREAM: 'FLOWS', CACHE_ACTIVE_TIMEOUT: '1s', BUFFERS_LENGTH: '100' }),
  );
  try {
    await agent.waitForLog('created JetStream stream');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 4, packets: 4000, payload: 30, srcPort: 31002 });
    const stored = async () => {
      const reader = await Subscriber.start(net.a.ns, { url: nats.url, subject: 'test.flows', stream: 'FLOWS' });
      try {
        return udpTotals(await reader.collect(), 31002).packets;
      } finally {
        reader.close();
      }
    };
    await waitUntil(async () => (await stored()) === 4000, 'the first 4000 packets stored before the outage');
    await nats.kill();
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 4, packets: 2000, payload: 30, srcPort: 31002 });
    await agent.waitForLog('export failed; will retry');
    await new Promise((resolve) => setTimeout(resolve, BROKER_OUTAGE_MS));
    await nats.resume();
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 4, packets: 1000, payload: 30, srcPort: 31002 });
    // The reconnect, then the queued intervals: done when the stream holds every packet.
    await waitUntil(async () => (await stored()) === 7000, 'all 7000 packets stored after the outage', 60_000, 500);
    assert.equal(await agent.stop('SIGTERM'), 0);
    assert.match(agent.stderr, /export failed; will retry/, 'the outage was noticed');

    const reader = await Subscriber.start(net.a.ns, { url: nats.url, subject: 'test.flows', stream: 'FLOWS' });
    const events = await reader.collect();
    reader.close();
    assertValidEvents(events);
    // Contiguous sequences from 0 (assertValidEvents) prove no interval of the outage went missing.
    // Each send in its own intervals: before the outage, during it, after it.
    const running = runningPackets(events, 31002);
    assert.ok(running.includes(4000) && running.includes(6000), `packets up to each interval: ${running}`);
    assert.ok(
      events.every((event) => event.natsMsgId === event.attributes.id),
      'Nats-Msg-Id is the event id',
    );
    assert.deepEqual(udpTotals(events, 31002), { packets: 7000, bytes: 7000 * udpFrameBytes(30) });
  } finally {
    await nats.stop();
  }
});

test(
  'SIGTERM during a NATS outage: the agent exits (code 3), its last line counting exactly the batches it could not deliver',
  { timeout: 90_000 },
  async () => {
    const nats = await NatsServer.start({ ns: net.a.ns, jetstream: true });
    const agent = AgentProcess.start(
      net.a.ns,
      agentEnv(nats, {
        NATS_JETSTREAM: 'true',
        NATS_STREAM: 'FLOWS',
        BUFFERS_LENGTH: '100',
        // Every interval exported, empty ones too: the batches counted at stop are all the intervals.
        EXPORT_EMPTY_BATCHES: 'true',
      }),
    );
    try {
      await agent.waitForLog('created JetStream stream');
      await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 300, payload: 30, srcPort: 31003 });
      const watcher = await Subscriber.start(net.a.ns, { url: nats.url, subject: 'test.flows' });
      await waitUntil(async () => (await watcher.collect()).length >= 2, 'batches delivered before the outage', 10_000, 100);
      watcher.close();
      // Frozen before it dies: it stores nothing it did not acknowledge.
      await nats.kill({ freeze: true });
      await agent.waitForLog('export failed; will retry');
      await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 300, payload: 30, srcPort: 31003 });
      // Waiting for the exit is the assertion that it comes: the test's timeout bounds it.
      assert.equal(await agent.stop('SIGTERM'), 3);
      const last = JSON.parse(agent.stderr.trimEnd().split('\n').at(-1)!);
      assert.equal(last.msg, 'stopped with batches not delivered');

      await nats.resume();
      const reader = await Subscriber.start(net.a.ns, { url: nats.url, subject: 'test.flows', stream: 'FLOWS' });
      const stored = await reader.collect();
      reader.close();
      const storedBatches = new Set(stored.map((event) => event.batch.sequence)).size;
      const storedFlows = stored.reduce((sum, event) => sum + event.batch.flows.length, 0);
      assert.ok(last.undelivered.batches > 0);
      assert.deepEqual(last.undelivered, { batches: last.totals.batches - storedBatches, flows: last.totals.flows - storedFlows });
      assert.equal(last.export.dropped, last.undelivered.batches, 'the queue stats agree');
      assert.equal(last.export.droppedFlows, last.undelivered.flows);
      assert.equal(last.export.queued, 0);
      assert.ok(storedBatches >= 2);
      assert.equal(last.export.sent, storedBatches);
    } finally {
      await nats.stop();
    }
  },
);
