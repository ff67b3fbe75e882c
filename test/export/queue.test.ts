import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ExportQueue, type Exporter } from '../../src/export/queue.js';
import type { FlowBatch } from '../../src/model/index.js';
import { sampleBatch } from '../helpers/batches.js';
import { silentLog } from '../helpers/constants.js';

/** Fails the first `failures` sends, then records what it is given. */
class FlakyExporter implements Exporter {
  readonly name = 'flaky';
  readonly delivered: number[] = [];
  attempts = 0;
  constructor(private failures: number) {}
  async send(batch: FlowBatch): Promise<void> {
    this.attempts++;
    if (this.failures-- > 0) throw new Error('target down');
    this.delivered.push(batch.sequence);
  }
  async close(): Promise<void> {}
}

test('a failed send is retried until it succeeds; each batch is delivered once, in order', async () => {
  const exporter = new FlakyExporter(3);
  const queue = new ExportQueue(exporter, 10, silentLog);
  for (let sequence = 0; sequence < 4; sequence++) queue.push(sampleBatch(1, sequence));
  await queue.close(Date.now() + 5000);
  assert.deepEqual(exporter.delivered, [0, 1, 2, 3]);
  assert.deepEqual(
    { sent: queue.stats.sent, failures: queue.stats.failures, dropped: queue.stats.dropped, queued: queue.stats.queued },
    { sent: 4, failures: 3, dropped: 0, queued: 0 },
  );
});

test('a full queue drops the oldest batch and counts it; close gives up at its deadline', async () => {
  const exporter = new FlakyExporter(Number.POSITIVE_INFINITY);
  const queue = new ExportQueue(exporter, 2, silentLog);
  for (let sequence = 0; sequence < 5; sequence++) queue.push(sampleBatch(1, sequence));
  assert.equal(queue.stats.dropped, 3);
  await queue.close(Date.now() + 300);
  assert.deepEqual(exporter.delivered, []);
  assert.equal(queue.stats.dropped, 5, 'what never left is counted too');
  assert.deepEqual(queue.stats.droppedBy, { queue_full: 3, refused: 0, too_large: 0, attempts: 0, shutdown: 2 });
  assert.equal(queue.stats.droppedFlows, 5);
  assert.equal(queue.stats.queued, 0, 'queued and dropped agree at the end');
  assert.deepEqual(queue.undelivered, { batches: 5, flows: 5 });
  assert.ok(exporter.attempts >= 2);
});

test('when the queue is full, the batch being sent stays; the oldest waiting one is dropped', async () => {
  const exporter = new FlakyExporter(2);
  const queue = new ExportQueue(exporter, 2, silentLog);
  for (let sequence = 0; sequence < 4; sequence++) queue.push(sampleBatch(1, sequence));
  await queue.close(Date.now() + 5000);
  assert.deepEqual(exporter.delivered, [0, 3]);
  assert.equal(queue.stats.droppedBy.queue_full, 2);
});
