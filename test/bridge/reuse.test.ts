// flowcast-bridge reuses its columns and output buffers from event to event (src/model/pool.ts):
// here events of many sizes, some with every NetObserv field and some with none, cross both
// directions with several in flight, and every record must arrive once with exactly the bytes (or
// values) a fresh decode and encode give: a buffer rewritten while a library still held it, or
// columns not cleared of a larger or fuller event, would show.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import { readFlowBatch } from '../../src/encode/avro-reader.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { COLLECTOR_SERVICE, encodeRecords } from '../../src/encode/pbflow.js';
import { readRecords } from '../../src/encode/pbflow-reader.js';
import { scratchPool } from '../../src/encode/scratch.js';
import { PbflowClient } from '../../src/export/grpc.js';
import { FlowColumnsPool, ReusePool, type DecodedFlowBatch, type FlowRecord } from '../../src/model/index.js';
import { NETOBSERV_FEATURES } from '../encode/netobserv-features.js';
import { uniqueFlowsBatch } from '../helpers/batches.js';
import { NatsServer, freePort } from '../helpers/nats-server.js';
import { waitUntil } from '../helpers/wait.js';
import { startBridge, waitForLog } from './helpers.js';

/** Flows per event, growing and shrinking so that reused columns and buffers are larger or smaller than the next event. */
const SIZES = [1, 700, 2500, 3, 40, 1800, 2500, 2, 9, 1200, 2000, 300, 5, 2400, 60, 1];
const EVENTS = 32;
const IN_FLIGHT = 8;

/**
 * Event `sequence`: its flows' destination port names it (source ports number them); even events
 * carry every NetObserv field and ICMP values, odd ones none of them and zero MACs.
 */
function eventBatch(sequence: number): DecodedFlowBatch {
  const batch = uniqueFlowsBatch(SIZES[sequence % SIZES.length], sequence);
  const zero = Buffer.alloc(6);
  const flows = batch.flows.map((flow): FlowRecord =>
    sequence % 2 === 0
      ? { ...flow, ...NETOBSERV_FEATURES, dstPort: sequence, icmpType: 3, icmpCode: 1 }
      : { ...flow, dstPort: sequence, srcMac: zero, dstMac: zero, netobservTcpFlags: 0 },
  );
  return { ...batch, flows };
}

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

test('pooled columns and buffers: many messages of different sizes and content, several lent at once, read and write as fresh ones do', () => {
  const columns = new FlowColumnsPool(64 << 20);
  const buffers = scratchPool(64 << 20);
  const encode = createEventEncoder('binary', newIdentity('node-a'), false);
  return encode.then((event) => {
    for (let round = 0; round < 4; round++) {
      const lent = Array.from({ length: IN_FLIGHT }, (_, k) => {
        const sequence = round * IN_FLIGHT + k;
        const records = encodeRecords(eventBatch(sequence).flows, '198.18.0.9');
        const avro = event(eventBatch(sequence)).body;
        const fromPbflow = readRecords(records, columns);
        const fromAvro = readFlowBatch(avro, undefined, columns);
        const into = buffers.take();
        // Each written into a buffer of its own and read back after all the others were written.
        const written = encodeRecords(fromAvro.flows, fromAvro.agentIp, into);
        return { records, avro, fromPbflow, fromAvro, into, written };
      });
      for (const { records, avro, fromPbflow, fromAvro, into, written } of lent) {
        const fresh = readFlowBatch(avro);
        assert.deepEqual(fromPbflow.flows.decode(), readRecords(records).flows.decode(), 'pbflow read into reused columns');
        assert.deepEqual(fromAvro.flows.decode(), fresh.flows.decode(), 'Avro read into reused columns');
        assert.equal(digest(written), digest(encodeRecords(fresh.flows, fresh.agentIp)), 'pbflow written into a lent buffer');
        buffers.give(into);
      }
      // Given back in another order than taken.
      for (const { fromPbflow, fromAvro } of lent.reverse()) {
        columns.give(fromPbflow.flows);
        columns.give(fromAvro.flows);
      }
    }
  });
});

test('a pool lends a kept item of the capacity asked for up to twice that, keeps no more bytes than its bound, and refuses one given twice', () => {
  const pool = new ReusePool<{ size: number }>({ maxBytes: 100, capacityOf: (item) => item.size, bytesOf: (item) => item.size, make: (size) => ({ size }) });
  const [small, large] = [pool.take(10), pool.take(40)];
  assert.deepEqual([small.size, large.size], [10, 40]);
  pool.give(small);
  pool.give(large);
  assert.equal(pool.bytes, 50);
  assert.throws(() => pool.give(large), /twice/);
  assert.equal(pool.take(15).size, 15, 'no kept item within twice 15: a new one');
  assert.equal(pool.take(30), large, 'the smallest kept item that fits');
  assert.equal(pool.take(10), small);
  assert.equal(pool.bytes, 0);
  const items = [pool.take(40), pool.take(40), pool.take(40)];
  for (const item of items) pool.give(item);
  assert.equal(pool.bytes, 80, 'the oldest let go past maxBytes');
  assert.equal(pool.take(), items[2], 'without a capacity: the last given back');
});

test('nats-to-grpc: events of many sizes, 8 in flight and answered out of order, reach the target once each, byte for byte', { timeout: 120_000 }, async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.add({ name: 'FLOWS', subjects: ['test.flows'] });
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  // What each event must become: its Avro read fresh and written fresh (no pool anywhere).
  const expected = new Map<string, number>();
  for (let sequence = 0; sequence < EVENTS; sequence++) {
    const message = encode(eventBatch(sequence));
    const natsHeaders = headers();
    for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
    await jetstream(nc).publish('test.flows', message.body, { msgID: message.id, headers: natsHeaders });
    const key = digest(encodeRecords(readFlowBatch(message.body).flows, '198.18.0.1'));
    expected.set(key, (expected.get(key) ?? 0) + 1);
  }
  // The target holds Sends until the bridge has as many in flight as it can, then answers them
  // last first: the bridge writes new events while earlier buffers are still with grpc-js.
  const received: string[] = [];
  const pending: { bytes: Buffer; answer: () => void }[] = [];
  let answered = 0;
  const server = new grpc.Server();
  server.addService(COLLECTOR_SERVICE, {
    Send: (call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) => {
      pending.push({ bytes: call.request, answer: () => callback(null, {}) });
      if (pending.length < Math.min(IN_FLIGHT, EVENTS - answered)) return;
      for (const send of pending.splice(0).reverse()) {
        received.push(digest(send.bytes));
        answered++;
        send.answer();
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const bridge = startBridge({ NATS_URL: nats.url, NATS_SUBJECT: 'test.flows', NATS_STREAM: 'FLOWS', TARGET_HOST: '127.0.0.1', TARGET_PORT: String(port) });
  try {
    await waitUntil(
      () => answered === EVENTS,
      () => `${EVENTS} Sends (have ${answered}, ${pending.length} pending): ${bridge.log()}`,
      60_000,
    );
    const manager = await jetstreamManager(nc);
    await waitUntil(async () => (await manager.consumers.info('FLOWS', 'flowcast-bridge')).num_ack_pending === 0, 'every event acknowledged');
    const counts = new Map<string, number>();
    for (const key of received) counts.set(key, (counts.get(key) ?? 0) + 1);
    assert.deepEqual(counts, expected, 'each event once, as a fresh encode writes it');
    bridge.process.kill('SIGTERM');
    assert.deepEqual(await bridge.exited, [0, null], bridge.log());
  } finally {
    bridge.process.kill('SIGKILL');
    server.forceShutdown();
    await nc.close();
    await nats.stop();
  }
});

test(
  'grpc-to-nats: Sends of many sizes, 8 at once, some with every field and some with none, each published once with their values',
  { timeout: 120_000 },
  async () => {
    const nats = await NatsServer.start({ jetstream: true });
    const nc = await connect({ servers: nats.url });
    const events: string[] = [];
    const subscription = nc.subscribe('reuse.flows', {
      callback: (_error, message) => void events.push(JSON.stringify(readFlowBatch(message.data).flows.decode())),
    });
    await nc.flush();
    const port = await freePort();
    const bridge = startBridge({
      BRIDGE_MODE: 'grpc-to-nats',
      BRIDGE_LISTEN_PORT: String(port),
      NATS_URL: nats.url,
      NATS_JETSTREAM: 'true',
      NATS_STREAM: 'REUSE',
      NATS_SUBJECT: 'reuse.flows',
    });
    const client = new PbflowClient('127.0.0.1', port, {});
    try {
      await waitForLog(bridge, 'bridging pbflow to NATS');
      const sends = Array.from({ length: EVENTS }, (_, sequence) => encodeRecords(eventBatch(sequence).flows, '198.18.0.9'));
      // What each Send must become: read fresh (no pool), as flow values.
      const expected = sends.map((send) => JSON.stringify(readRecords(send).flows.decode())).sort();
      let next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < EVENTS) await client.send(sends[next++]);
        }),
      );
      await waitUntil(
        () => events.length >= EVENTS,
        () => `${EVENTS} events on NATS (have ${events.length}): ${bridge.log()}`,
      );
      assert.deepEqual([...events].sort(), expected, 'each Send once, with its values');
      bridge.process.kill('SIGTERM');
      assert.deepEqual(await bridge.exited, [0, null], bridge.log());
    } finally {
      client.close();
      bridge.process.kill('SIGKILL');
      subscription.unsubscribe();
      await nc.close();
      await nats.stop();
    }
  },
);
