import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import {
  formatAddress,
  formatMac,
  startGrpcCollector,
  startNatsCollector,
  type DecodedFlowBatch,
  type FlowRecord,
  type RunningCollector,
} from '../../src/collector/index.js';
import { PbflowClient } from '../../src/export/grpc.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { encodeRecords, type PbflowRecord } from '../../src/encode/pbflow.js';
import { sampleBatch, uniqueFlowsBatch } from '../helpers/batches.js';
import { NatsServer, freePort } from '../helpers/nats-server.js';
import { PROJECT_ROOT } from '../helpers/netns.js';
import { waitUntil } from '../helpers/wait.js';

/** The shared bounded wait, with this file's 20 s bound. */
const until = (condition: () => boolean | Promise<boolean>, what: string) => waitUntil(condition, what, 20_000);

test('bridge: JetStream to a gRPC collector that goes away and comes back; every batch arrives once', async () => {
  const nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.add({ name: 'FLOWS', subjects: ['test.flows'] });
  const js = jetstream(nc);
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  // Flow i of batch `sequence` has source port 100 * sequence + i: each record names its batch.
  const batchOf = (sequence: number) => {
    const batch = uniqueFlowsBatch(7, sequence);
    return { ...batch, flows: batch.flows.map((flow, i) => ({ ...flow, srcPort: 100 * sequence + i })) };
  };
  const publish = async (sequence: number) => {
    const message = encode(batchOf(sequence));
    const natsHeaders = headers();
    for (const [name, value] of Object.entries(message.headers)) natsHeaders.set(name, value);
    await js.publish('test.flows', message.body, { msgID: message.id, headers: natsHeaders });
  };

  const received: PbflowRecord[] = [];
  const startCollector = (port: number) => startGrpcCollector({ port, host: '127.0.0.1', onRecords: (records) => void received.push(...records) });
  // The collector picks its port; it comes back on the same one, where the bridge sends.
  let collector: RunningCollector = await startCollector(0);
  const { port } = collector;
  const bridge = spawn(process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}src/bridge/cli.ts`], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      NATS_URL: nats.url,
      NATS_SUBJECT: 'test.flows',
      NATS_STREAM: 'FLOWS',
      TARGET_HOST: '127.0.0.1',
      TARGET_PORT: String(port),
      GRPC_MESSAGE_MAX_FLOWS: '3',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  bridge.stderr.on('data', (chunk) => (log += chunk));
  try {
    for (let sequence = 0; sequence < 5; sequence++) await publish(sequence);
    await until(() => received.length === 35, `35 records (have ${received.length}): ${log}`);

    await collector.close();
    for (let sequence = 5; sequence < 10; sequence++) await publish(sequence);
    await until(() => log.includes('forwarding failed; NATS will redeliver'), 'a failed Send');
    // The events sent while the collector is down wait in the stream, not lost.
    const manager = await jetstreamManager(nc);
    const waiting = await manager.consumers.info('FLOWS', 'flowcast-bridge');
    assert.ok(
      waiting.num_pending + waiting.num_ack_pending > 0,
      `events waiting for the collector (pending ${waiting.num_pending}, unacknowledged ${waiting.num_ack_pending})`,
    );
    collector = await startCollector(port);
    // Done once the consumer has nothing pending or unacknowledged: a duplicate would have arrived by then.
    await until(async () => {
      const info = await manager.consumers.info('FLOWS', 'flowcast-bridge');
      return info.num_pending === 0 && info.num_ack_pending === 0 && received.length >= 70;
    }, `every event acknowledged (${received.length} records)`);

    // Each (sequence, flow) exactly once, with its packets.
    const key = (srcPort: number, packets: number) => `${srcPort}/${packets}`;
    const expected = Array.from({ length: 10 }, (_, sequence) => batchOf(sequence).flows.map((flow) => key(flow.srcPort, flow.packets))).flat();
    assert.deepEqual(received.map((record) => key(record.transport!.srcPort, record.packets)).sort(), expected.sort());
    assert.match(log, /forwarding failed; NATS will redeliver/);
    const closed = once(bridge, 'close');
    bridge.kill('SIGTERM');
    assert.deepEqual(await closed, [0, null]);
  } finally {
    bridge.kill('SIGKILL');
    await collector.close();
    await nc.close();
    await nats.stop();
  }
});

test('reverse bridge: what a pbflow agent sends arrives on NATS as flowcast CloudEvents', async () => {
  const nats = await NatsServer.start();
  const batches: DecodedFlowBatch[] = [];
  const collector = await startNatsCollector({ nats: { servers: [nats.url], subject: 'mixed.flows' }, onBatch: (batch) => void batches.push(batch) });
  const port = await freePort();
  const bridge = spawn(process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}src/bridge/cli.ts`], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      BRIDGE_MODE: 'grpc-to-nats',
      BRIDGE_LISTEN_PORT: String(port),
      NATS_URL: nats.url,
      NATS_SUBJECT: 'mixed.flows',
      NODE_NAME: 'bridge-1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  bridge.stderr.on('data', (chunk) => (log += chunk));
  // A NetObserv agent speaks pbflow.Collector/Send: the same client and encoding stand in for it.
  const agent = new PbflowClient('127.0.0.1', port, { maxFlows: 1000 });
  try {
    await until(() => log.includes('bridging pbflow to NATS'), 'the bridge to listen');
    // pbflow carries NetObserv's flags (0x212: FIN_ACK, ACK and SYN, its per-packet values OR'ed).
    const sent = sampleBatch(6)
      .flows.decode()
      .map((flow, i) => ({ ...flow, netobservTcpFlags: i % 2 ? 0x212 : 0x10 }));
    await agent.send(encodeRecords(sent, '198.18.0.7'));
    await until(() => batches.length === 1, 'the batch on NATS');
    const [batch] = batches;
    assert.equal(batch.agentIp, '198.18.0.7');
    assert.equal(batch.agentName, '198.18.0.7');
    const fields = (flow: FlowRecord) => [
      flow.interface,
      flow.direction,
      flow.etherType,
      formatMac(flow.srcMac),
      formatAddress(flow.srcAddr),
      formatAddress(flow.dstAddr),
      flow.protocol,
      flow.srcPort,
      flow.dstPort,
      flow.packets,
      flow.bytes,
      flow.firstSeen,
      flow.lastSeen,
      flow.netobservTcpFlags,
      flow.sampling,
    ];
    assert.deepEqual(batch.flows.map(fields), sent.map(fields));
    const closed = once(bridge, 'close');
    bridge.kill('SIGTERM');
    assert.deepEqual(await closed, [0, null]);
  } finally {
    agent.close();
    bridge.kill('SIGKILL');
    await collector.close();
    await nats.stop();
  }
});
