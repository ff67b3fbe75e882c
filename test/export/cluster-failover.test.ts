// Scale out on NATS itself: a three-node JetStream cluster, a stream with three replicas, the agent
// (real capture in a test namespace) given all three URLs. The node the agent is connected to is
// killed while the agent publishes: every interval's batch is stored once, totals are exact, and two
// collectors sharing one durable read it back, each event handled by one of them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { AgentProcess, CollectorProcess, Subscriber, udpTotals } from '../helpers/agent.js';
import { NatsCluster } from '../helpers/nats-server.js';
import { TestNet, sendUdp } from '../helpers/netns.js';
import type { ReceivedEvent } from '../helpers/subscriber.js';
import { waitUntil } from '../helpers/wait.js';

const FRAME = (payload: number) => 14 + 20 + 8 + payload;
const PAYLOAD = 30;
const SRC_PORT = 31020;
/** The packets of each round of traffic: before the kill, right before it, right after it, once reconnected. */
const ROUNDS = [1000, 2000, 3000, 4000];
const TOTAL = ROUNDS.reduce((sum, packets) => sum + packets, 0);

let net: TestNet;
before(async () => {
  net = await TestNet.create();
});
after(async () => {
  await net?.destroy();
});

test(
  'JetStream cluster, three replicas: the node the agent is connected to killed mid-sending; every batch stored once, read back by two collectors sharing a durable',
  { timeout: 300_000 },
  async () => {
    const cluster = await NatsCluster.start({ ns: net.a.ns });
    const alive = [0, 1, 2];
    const agent = AgentProcess.start(net.a.ns, {
      EXPORT: 'nats',
      NATS_URL: cluster.urls.join(','),
      NATS_SUBJECT: 'test.flows',
      NATS_JETSTREAM: 'true',
      NATS_STREAM: 'FAILOVER',
      NATS_STREAM_REPLICAS: '3',
      INTERFACES: 'fca',
      NODE_NAME: 'node-a',
      BUFFERS_LENGTH: '100',
      // A batch every 300 ms, empty ones too: the kill always lands while the agent is publishing,
      // and every interval has its batch, so contiguous sequences prove none went missing.
      CACHE_ACTIVE_TIMEOUT: '300ms',
      EXPORT_EMPTY_BATCHES: 'true',
    });
    /**
     * Everything the stream holds, read through a node that is alive. Until the cluster has noticed a
     * killed node, the reader's consumer may be placed on it and its creation time out: tried again.
     */
    let readError = '';
    const stored = async (): Promise<ReceivedEvent[]> => {
      let events: ReceivedEvent[] | undefined;
      await waitUntil(
        async () => {
          const reader = await Subscriber.start(net.a.ns, { url: cluster.urls[alive[0]], subject: 'test.flows', stream: 'FAILOVER' });
          try {
            events = await reader.collect();
          } catch (error) {
            readError = (error as Error).message;
          } finally {
            reader.close();
          }
          return events !== undefined;
        },
        () => `the stream read (last error: ${readError})`,
        60_000,
        500,
      );
      return events!;
    };
    const storedPackets = async () => udpTotals(await stored(), SRC_PORT).packets;
    /** The agent's connection in the /connz of a node that is alive: the node, and when the server accepted it. */
    const agentConnection = async (): Promise<{ node: number; start: Date } | undefined> => {
      for (const index of alive) {
        const connz = (await cluster.monitor(index, '/connz')) as { connections?: { name?: string; start?: string }[] };
        const connection = connz.connections?.find(({ name }) => name === 'flowcast-agent');
        if (connection) return { node: index, start: new Date(connection.start!) };
      }
      return undefined;
    };
    const round = (index: number) => sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 4, packets: ROUNDS[index], payload: PAYLOAD, srcPort: SRC_PORT });
    const collectors: CollectorProcess[] = [];
    try {
      // The stream is created once the cluster has elected its JetStream meta leader (until then the
      // agent retries).
      await agent.waitForLog('created JetStream stream');
      await round(0);
      await waitUntil(async () => (await storedPackets()) === ROUNDS[0], 'the first round stored', 60_000, 500);

      let connected: { node: number; start: Date } | undefined;
      await waitUntil(async () => (connected = await agentConnection()) !== undefined, "the agent's connection in a node's /connz");
      await round(1);
      const killedAt = new Date();
      await cluster.kill(connected!.node);
      alive.splice(alive.indexOf(connected!.node), 1);
      await round(2);
      await waitUntil(() => /"status":"reconnect","msg":"NATS connection status"/.test(agent.stderr), 'the agent to log that its client reconnected', 60_000);
      let reconnected: { node: number; start: Date } | undefined;
      await waitUntil(async () => (reconnected = await agentConnection()) !== undefined, "the agent's connection on a node that is alive", 60_000, 500);
      // Accepted after the kill: the client's reconnection, not a second connection the agent had all along.
      assert.ok(
        reconnected!.start >= killedAt,
        `the connection on n${reconnected!.node} started ${reconnected!.start.toISOString()}, the kill was ${killedAt.toISOString()}`,
      );
      await round(3);
      await waitUntil(async () => (await storedPackets()) === TOTAL, `all ${TOTAL} packets stored`, 90_000, 500);
      assert.equal(await agent.stop('SIGTERM'), 0, `every batch delivered: ${agent.stderr.trimEnd().split('\n').at(-1)}`);

      const events = await stored();
      const sequences = events.map((event) => event.batch.sequence).sort((x, y) => x - y);
      assert.deepEqual(
        sequences,
        sequences.map((_, index) => index),
        'every interval stored once, none missing',
      );
      assert.equal(new Set(events.map((event) => event.attributes.id)).size, events.length, 'no event stored twice');
      assert.deepEqual(udpTotals(events, SRC_PORT), { packets: TOTAL, bytes: TOTAL * FRAME(PAYLOAD) });

      // Read back by two collectors sharing one durable. Each pulls ten messages at a time, and the
      // agent stored only a few more than that, so either may take them all: how the work is shared
      // is test/collector/shared.test.ts's (200 events); here, every event is handled once across both.
      const options = { servers: alive.map((index) => cluster.urls[index]), subject: 'test.flows', stream: 'FAILOVER', durable: 'readback' };
      collectors.push(await CollectorProcess.start(net.a.ns, options));
      collectors.push(await CollectorProcess.start(net.a.ns, options));
      const handled = () => collectors.flatMap((collector) => collector.handled);
      // Done when the durable has nothing left to deliver and nothing unacknowledged.
      await waitUntil(
        async () => {
          const { pending, ackPending } = await collectors[1].consumer();
          return pending === 0 && ackPending === 0 && handled().length >= events.length;
        },
        () =>
          `every event read back (handled: ${collectors.map((collector) => collector.handled.length)} of ${events.length}; errors: ${collectors.flatMap((collector) => collector.errors).join('; ') || 'none'})`,
        60_000,
        200,
      );
      const ids = handled().map((event) => event.id);
      assert.equal(ids.length, events.length, 'each event handled once across both collectors');
      assert.deepEqual(new Set(ids), new Set(events.map((event) => event.attributes.id)));
      assert.deepEqual(udpTotals(handled(), SRC_PORT), { packets: TOTAL, bytes: TOTAL * FRAME(PAYLOAD) });
      // A cluster that just lost a node may make a pull miss its heartbeats: the collector reports
      // it and pulls again (every event was handled once, above); any other error fails the test.
      const errors = collectors.flatMap((collector) => collector.errors);
      assert.deepEqual(
        errors.filter((error) => !error.startsWith('pull: ')),
        [],
        `only pull failures, each followed by a new pull: ${errors.join('; ')}`,
      );
    } finally {
      for (const collector of collectors) await collector.stop();
      await agent.stop('SIGKILL');
      await cluster.stop();
    }
  },
);
