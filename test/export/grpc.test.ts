import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';

import { COLLECTOR_SERVICE, decodeRecords, type PbflowRecord } from '../../src/encode/pbflow.js';
import { DEFAULT_MAX_MESSAGE_BYTES, GrpcExporter } from '../../src/export/grpc.js';
import { ExportQueue } from '../../src/export/queue.js';
import { uniqueFlowsBatch } from '../helpers/batches.js';
import { silentLog } from '../helpers/constants.js';

interface Collector {
  port: number;
  /** Records of every accepted Send, and the size of every Send received. */
  records: PbflowRecord[];
  sizes: number[];
  close(): void;
}

/**
 * A pbflow.Collector on grpc-js with its default limits unless `options` say otherwise;
 * `answer` may refuse a message with a status (after decoding it).
 */
async function collector(options: grpc.ServerOptions = {}, answer?: (records: PbflowRecord[]) => grpc.status | undefined): Promise<Collector> {
  const records: PbflowRecord[] = [];
  const sizes: number[] = [];
  const server = new grpc.Server(options);
  server.addService(COLLECTOR_SERVICE, {
    Send: (call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) => {
      sizes.push(call.request.length);
      const message = decodeRecords(call.request);
      const code = answer?.(message);
      if (code !== undefined) {
        callback({ code, details: `refused by the test collector (${grpc.status[code]})` });
        return;
      }
      records.push(...message);
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { port, records, sizes, close: () => server.forceShutdown() };
}

/** The flow index each record carries (uniqueFlowsBatch: srcPort + 65536 * dstPort). */
const indexOf = (record: PbflowRecord) => record.transport!.srcPort + 65536 * record.transport!.dstPort;

function exporter(port: number, maxFlows: number, maxMessageBytes?: number): GrpcExporter {
  return new GrpcExporter({ target: { host: '127.0.0.1', port }, grpc: { maxFlows, maxMessageBytes } }, '198.18.0.1');
}

test('100,000 flows in one batch reach a collector with the default 4 MiB limit, every flow once', async () => {
  const target = await collector();
  const queue = new ExportQueue(exporter(target.port, 1_000_000), 10, silentLog);
  try {
    const batch = uniqueFlowsBatch(100_000);
    queue.push(batch);
    await queue.close(Date.now() + 120_000);
    assert.deepEqual({ sent: queue.stats.sent, failures: queue.stats.failures, dropped: queue.stats.dropped }, { sent: 1, failures: 0, dropped: 0 });
    assert.ok(target.sizes.length > 1, 'split into several Sends');
    assert.ok(target.sizes.every((size) => size <= DEFAULT_MAX_MESSAGE_BYTES));
    const indexes = target.records.map(indexOf);
    assert.equal(indexes.length, 100_000);
    assert.equal(new Set(indexes).size, 100_000);
    assert.equal(
      target.records.reduce((sum, record) => sum + record.packets, 0),
      batch.flows.reduce((sum, flow) => sum + flow.packets, 0),
    );
  } finally {
    target.close();
  }
});

test('RESOURCE_EXHAUSTED (a collector with a smaller limit): the message is split again, every flow once', async () => {
  const limit = 64 * 1024;
  const target = await collector({ 'grpc.max_receive_message_length': limit });
  const queue = new ExportQueue(exporter(target.port, 1_000_000), 10, silentLog);
  try {
    for (let sequence = 0; sequence < 2; sequence++) queue.push(uniqueFlowsBatch(5000, sequence));
    await queue.close(Date.now() + 60_000);
    assert.deepEqual({ sent: queue.stats.sent, dropped: queue.stats.dropped }, { sent: 2, dropped: 0 });
    const indexes = target.records.map(indexOf);
    assert.equal(indexes.length, 10_000);
    assert.equal(new Set(indexes).size, 5000, 'each batch has flows 0..4999');
  } finally {
    target.close();
  }
});

test('INVALID_ARGUMENT drops the batch at once and counts it; the batches behind it are delivered', async () => {
  // Refuses every message holding flow 123 of the batch with 400 flows.
  const target = await collector({}, (records) =>
    records.length > 0 && records[0].packets === 400 && records.some((r) => indexOf(r) === 123) ? grpc.status.INVALID_ARGUMENT : undefined,
  );
  const queue = new ExportQueue(exporter(target.port, 100), 10, silentLog);
  try {
    const batches = [100, 400, 300].map((count, sequence) => uniqueFlowsBatch(count, sequence, count));
    for (const batch of batches) queue.push(batch);
    await queue.close(Date.now() + 60_000);
    assert.equal(queue.stats.sent, 2);
    assert.equal(queue.stats.droppedBy.refused, 1);
    assert.equal(queue.stats.droppedFlows, 300, 'the first 100 flows of the refused batch were taken');
    assert.equal(queue.stats.failures, 0, 'not retried');
    const perBatch = new Map<number, number>();
    for (const record of target.records) perBatch.set(record.packets, (perBatch.get(record.packets) ?? 0) + 1);
    assert.deepEqual([...perBatch.entries()].sort(), [
      [100, 100],
      [300, 300],
      [400, 100],
    ]);
  } finally {
    target.close();
  }
});

test('a Send larger than GRPC_MESSAGE_MAX_BYTES is never made', async () => {
  const target = await collector();
  const queue = new ExportQueue(exporter(target.port, 1_000_000, 20_000), 10, silentLog);
  try {
    queue.push(uniqueFlowsBatch(3000));
    await queue.close(Date.now() + 60_000);
    assert.equal(queue.stats.sent, 1);
    assert.ok(
      target.sizes.every((size) => size <= 20_000),
      `${Math.max(...target.sizes)} bytes`,
    );
    assert.equal(new Set(target.records.map(indexOf)).size, 3000);
    assert.equal(target.records.length, 3000);
  } finally {
    target.close();
  }
});
