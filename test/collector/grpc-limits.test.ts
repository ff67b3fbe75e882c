import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';

import { CollectorError, startGrpcCollector, type CollectorErrorKind } from '../../src/collector/index.js';
import { encodeRecords } from '../../src/encode/pbflow.js';
import { sampleBatch } from '../helpers/batches.js';
import { OneShotSender } from '../bridge/helpers.js';

test('startGrpcCollector: maxRecords and maxMessageBytes answer RESOURCE_EXHAUSTED before the handler; a handler refusing with kind invalid answers INVALID_ARGUMENT', async () => {
  const kinds: CollectorErrorKind[] = [];
  const handled: number[] = [];
  const collector = await startGrpcCollector({
    port: 0,
    maxRecords: 10,
    maxMessageBytes: 4096,
    onRecords: (records) => {
      if (records.length === 3) throw new CollectorError('invalid', 'three is not allowed here');
      if (records.length === 4) throw new Error('busy');
      handled.push(records.length);
    },
    onError: (error) => kinds.push(error.kind),
  });
  const sender = new OneShotSender(`127.0.0.1:${collector.port}`);
  const message = (count: number) => encodeRecords(sampleBatch(count).flows.decode(), '198.18.0.1');
  try {
    assert.equal(await sender.send(message(11)), grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(await sender.send(Buffer.concat([message(1), Buffer.alloc(5000)])), grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(await sender.send(message(3)), grpc.status.INVALID_ARGUMENT);
    assert.equal(await sender.send(message(4)), grpc.status.UNAVAILABLE);
    assert.equal(await sender.send(message(10)), grpc.status.OK);
    assert.deepEqual(handled, [10]);
    // grpc-js refuses the oversized message itself: the collector never sees it.
    assert.deepEqual(kinds, ['limit', 'invalid', 'handler']);
  } finally {
    sender.close();
    await collector.close();
  }
});
