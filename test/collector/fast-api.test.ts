// The fast collector API of docs/collector.md ("Fast: flows as columns"): the same messages reach
// onColumns / onFlows as reach onBatch / onRecords, as columns, and the same ones are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import protobuf from 'protobufjs';

import {
  CollectorError,
  decodeEvent,
  startGrpcCollector,
  startNatsCollector,
  type ColumnarFlowBatch,
  type ColumnarRecords,
  type EventAttributes,
} from '../../src/collector/index.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { encodeRecords, FLOW_PROTO_PATH } from '../../src/encode/pbflow.js';
import { OneShotSender } from '../bridge/helpers.js';
import { plain, sampleBatch } from '../helpers/batches.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitUntil } from '../helpers/wait.js';

test('NATS onColumns: the batch as columns, each flow what onBatch has; a malformed event goes to onError', async () => {
  const nats = await NatsServer.start();
  const batches: { batch: ColumnarFlowBatch; event: EventAttributes }[] = [];
  const errors: CollectorError[] = [];
  const collector = await startNatsCollector({
    nats: { servers: [nats.url], subject: 'fast.flows' },
    onColumns: (batch, event) => void batches.push({ batch, event }),
    onError: (error) => void errors.push(error),
  });
  const nc = await connect({ servers: nats.url });
  try {
    const message = (await createEventEncoder('binary', newIdentity('node-a'), false))(sampleBatch(300));
    const headers = natsHeaders();
    for (const [name, value] of Object.entries(message.headers)) headers.set(name, value);
    nc.publish('fast.flows', message.body, { headers });
    nc.publish('fast.flows', message.body.subarray(0, 100), {
      headers: (() => {
        const other = natsHeaders();
        for (const [name, value] of Object.entries(message.headers)) other.set(name, name === 'ce-id' ? 'other' : value);
        return other;
      })(),
    });
    await waitUntil(() => batches.length === 1 && errors.length === 1, 'the batch and the error');
    const expected = decodeEvent(message.body, headers);
    const { batch, event } = batches[0];
    assert.equal(batch.flows.length, 300);
    assert.deepEqual(batch.flows.names, ['eth2', 'eth3', 'eth4']);
    assert.equal(batch.flows.bytes[1], expected.batch.flows[1].bytes);
    assert.deepEqual(plain(batch.flows.flow(7)), plain(expected.batch.flows[7]));
    assert.equal(event.id, expected.event.id);
    assert.equal(errors[0].kind, 'avro');
  } finally {
    await nc.close();
    await collector.close();
    await nats.stop();
  }
});

test('gRPC onFlows: the records as flowcast flows in columns; an out-of-range time is refused as with onRecords', async () => {
  const received: ColumnarRecords[] = [];
  const errors: string[] = [];
  const collector = await startGrpcCollector({ port: 0, onFlows: (records) => void received.push(records), onError: (error) => void errors.push(error.kind) });
  const sender = new OneShotSender(`127.0.0.1:${collector.port}`);
  try {
    assert.equal(await sender.send(encodeRecords(sampleBatch(40).flows.decode(), '198.18.0.5')), grpc.status.OK);
    assert.equal(received.length, 1);
    assert.equal(received[0].agentIp, '198.18.0.5');
    assert.equal(received[0].flows.length, 40);
    assert.equal(received[0].flows.srcPort[3], 40003);
    const Records = protobuf.loadSync(FLOW_PROTO_PATH).lookupType('pbflow.Records');
    const late = Records.encode(Records.fromObject({ entries: [{ timeFlowStart: { seconds: 1, nanos: 2_000_000_000 } }] })).finish();
    assert.equal(await sender.send(late), grpc.status.INVALID_ARGUMENT);
    assert.equal(await sender.send(Buffer.from([0x0a, 0x05, 0x08])), grpc.status.INVALID_ARGUMENT);
    assert.deepEqual(errors, ['invalid', 'protobuf']);
    assert.equal(received.length, 1);
  } finally {
    sender.close();
    await collector.close();
  }
});

test('a collector needs exactly one handler: objects or columns', async () => {
  await assert.rejects(startGrpcCollector({ port: 0 }), TypeError);
  await assert.rejects(startGrpcCollector({ port: 0, onRecords: () => undefined, onFlows: () => undefined }), TypeError);
  await assert.rejects(startNatsCollector({ nats: { servers: ['nats://127.0.0.1:1'], subject: 'x' } }), TypeError);
});
