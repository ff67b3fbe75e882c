import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { CloudEvent, HTTP } from 'cloudevents';

import { ConfigError, loadConfig } from '../../src/config/index.js';
import { decodeFlowBatch } from '../../src/encode/avro.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/export/failure.js';
import { HttpExporter } from '../../src/export/http.js';
import { ExportQueue } from '../../src/export/queue.js';
import { plain, sampleBatch } from '../helpers/batches.js';
import { withDefaults } from '../encode/netobserv-features.js';
import { makeCertificates } from '../helpers/certs.js';
import { silentLog } from '../helpers/constants.js';
import { freePort } from '../helpers/nats-server.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

type Answer = { status: number; headers?: Record<string, string> } | undefined;

/**
 * An HTTP sink keeping what it accepted (202). `refusals`: answers 503 to the first that many
 * requests; or `answer` decides (undefined: accept).
 */
async function sink(
  server: http.Server | https.Server,
  refusals: number | ((request: Received, index: number) => Answer),
): Promise<{ url: string; accepted: Received[]; requests: () => number; log: string[] }> {
  const accepted: Received[] = [];
  const log: string[] = [];
  let requests = 0;
  const answer = typeof refusals === 'function' ? refusals : (_: Received, index: number): Answer => (index < refusals ? { status: 503 } : undefined);
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const received = { headers: request.headers, body: Buffer.concat(chunks) };
      const reply = answer(received, requests++);
      log.push(`${request.headers['ce-id']} ${reply?.status ?? 202}`);
      if (reply) {
        response.writeHead(reply.status, reply.headers).end('no');
        return;
      }
      accepted.push(received);
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `${server instanceof https.Server ? 'https' : 'http'}://localhost:${port}/events`, accepted, requests: () => requests, log };
}

test('binary CloudEvents over HTTP: a 503 burst is retried, every batch arrives once, headers per the HTTP binding', async () => {
  const server = http.createServer();
  const target = await sink(server, 4);
  const config = loadConfig({ EXPORT: 'http', K_SINK: target.url, K_CE_OVERRIDES: '{"extensions":{"cluster":"east"}}' });
  assert.equal(config.http.url, target.url);
  const identity = newIdentity('node-a', config.cloudEvents.extensions);
  const queue = new ExportQueue(new HttpExporter(config.http.url!, await createEventEncoder('binary', identity, false)), 10, silentLog);
  const batches = [0, 1, 2, 3, 4].map((sequence) => sampleBatch(3 + sequence, sequence));
  for (const batch of batches) queue.push(batch);
  await queue.close(Date.now() + 15_000);
  server.close();

  assert.equal(target.requests(), 9, '4 refused, then 5 accepted');
  assert.deepEqual(
    { sent: queue.stats.sent, failures: queue.stats.failures, dropped: queue.stats.dropped, queued: queue.stats.queued },
    { sent: 5, failures: 4, dropped: 0, queued: 0 },
  );
  assert.deepEqual(
    target.accepted.map(({ headers }) => headers['ce-id']),
    batches.map((batch) => `${identity.runId}-${batch.sequence}`),
  );
  for (const [index, { headers, body }] of target.accepted.entries()) {
    assert.equal(headers['ce-specversion'], '1.0');
    assert.equal(headers['ce-type'], 'dev.flowcast.flow.batch.v1');
    assert.equal(headers['ce-source'], '/flowcast/node-a');
    assert.equal(headers['ce-cluster'], 'east');
    assert.equal(headers['content-type'], 'application/avro');
    const event = HTTP.toEvent({ headers, body }) as CloudEvent<Buffer>; // the SDK validates the attributes
    assert.match(event.dataschema as string, /^urn:flowcast:schema:dev\.flowcast\.v1\.FlowBatch:[0-9a-f]{16}$/);
    assert.deepEqual(plain(decodeFlowBatch(body)), plain({ ...batches[index], flows: batches[index].flows.decode().map(withDefaults) }));
  }
});

test('https with K_CA_CERTS: trusted with the CA, refused without it', async () => {
  const certs = makeCertificates();
  const server = https.createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) });
  const target = await sink(server, 0);
  const encode = await createEventEncoder('structured', newIdentity('node-a'), false);
  const trusting = new HttpExporter(target.url, encode, readFileSync(certs.ca, 'utf8'));
  const untrusting = new HttpExporter(target.url, encode);
  try {
    await trusting.send(sampleBatch(2));
    await assert.rejects(untrusting.send(sampleBatch(2)), /certificate/);
    assert.equal(target.accepted.length, 1);
    assert.match(String(target.accepted[0].headers['content-type']), /^application\/cloudevents\+json/);
  } finally {
    await trusting.close();
    await untrusting.close();
    server.close();
    rmSync(certs.dir, { recursive: true, force: true });
  }
});

test('EXPORT=http needs a target; K_CE_OVERRIDES must be extensions of strings', () => {
  assert.throws(
    () => loadConfig({ EXPORT: 'http' }),
    (error: ConfigError) => error.message === 'HTTP_TARGET_URL: required when EXPORT=http',
  );
  assert.throws(() => loadConfig({ K_CE_OVERRIDES: '{"extensions":{"Bad-Name":"x"}}' }), /K_CE_OVERRIDES=.*must be JSON/);
  assert.throws(() => loadConfig({ K_CE_OVERRIDES: 'not json' }), /K_CE_OVERRIDES/);
  assert.equal(loadConfig({ HTTP_TARGET_URL: 'http://a/', K_SINK: 'http://b/' }).http.url, 'http://a/', 'the explicit variable wins over K_SINK');
});

/** An HTTP exporter behind a queue, its warnings and errors kept as parsed log lines. */
async function httpQueue(url: string, maxAttempts?: number): Promise<{ queue: ExportQueue; logs: Record<string, any>[]; runId: string }> {
  const logs: Record<string, any>[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const identity = newIdentity('node-a');
  const queue = new ExportQueue(new HttpExporter(url, await createEventEncoder('binary', identity, false)), 10, log, { maxAttempts });
  return { queue, logs, runId: identity.runId };
}

const sequenceOf = (received: Received) => Number(/-(\d+)(\.\d+)?$/.exec(String(received.headers['ce-id']))![1]);

test('413 for bodies over a limit: batches are split until they fit, every flow arrives exactly once', async () => {
  const limit = 20_000;
  const server = http.createServer();
  const target = await sink(server, ({ body }) => (body.length > limit ? { status: 413 } : undefined));
  const { queue } = await httpQueue(target.url);
  const counts = [2000, 1500, 10];
  for (const [sequence, count] of counts.entries()) queue.push(sampleBatch(count, sequence));
  await queue.close(Date.now() + 60_000);
  server.close();

  assert.deepEqual({ sent: queue.stats.sent, dropped: queue.stats.dropped }, { sent: 3, dropped: 0 });
  assert.ok(
    target.log.some((line) => line.endsWith(' 413')),
    'the sink did refuse',
  );
  const ids = target.accepted.map(({ headers }) => headers['ce-id']);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const [sequence, count] of counts.entries()) {
    const parts = target.accepted.filter((received) => sequenceOf(received) === sequence).map(({ body }) => decodeFlowBatch(body));
    assert.ok(
      parts.every((part) => part.parts === parts.length),
      `batch ${sequence}: one split, each part once`,
    );
    assert.deepEqual(
      parts.map((part) => part.part).sort((x, y) => x - y),
      [...Array(parts.length).keys()],
    );
    const ports = parts.flatMap((part) => part.flows.map((flow) => flow.srcPort));
    assert.equal(ports.length, count);
    assert.equal(new Set(ports).size, count, `batch ${sequence}: every flow once`);
  }
  assert.ok(target.accepted.filter((received) => sequenceOf(received) === 0).length >= Math.ceil((2000 * 60) / limit));
});

test('400: the batch is dropped at once and counted; the batches behind it are delivered', async () => {
  const server = http.createServer();
  const target = await sink(server, (received) => (sequenceOf(received) === 1 ? { status: 400 } : undefined));
  const { queue, logs } = await httpQueue(target.url);
  for (let sequence = 0; sequence < 4; sequence++) queue.push(sampleBatch(5 + sequence, sequence));
  await queue.close(Date.now() + 30_000);
  server.close();

  assert.deepEqual(target.accepted.map(sequenceOf), [0, 2, 3]);
  assert.equal(target.requests(), 4, 'the refused batch was not sent again');
  assert.deepEqual(
    { sent: queue.stats.sent, failures: queue.stats.failures, dropped: queue.stats.dropped, droppedFlows: queue.stats.droppedFlows },
    { sent: 3, failures: 0, dropped: 1, droppedFlows: 6 },
  );
  assert.equal(queue.stats.droppedBy.refused, 1);
  assert.ok(logs.some((line) => line.msg === 'export target refused the batch: dropped' && line.sequence === 1));
});

test('429 and 503 with Retry-After (seconds, then an HTTP date): the queue waits as told, then delivers in order', async () => {
  const server = http.createServer();
  const target = await sink(server, (_, index) => {
    if (index === 0) return { status: 429, headers: { 'retry-after': '1' } };
    if (index === 1) return { status: 503, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } };
    return undefined;
  });
  const { queue, logs, runId } = await httpQueue(target.url);
  for (let sequence = 0; sequence < 3; sequence++) queue.push(sampleBatch(3, sequence));
  await queue.close(Date.now() + 30_000);
  server.close();

  assert.deepEqual(target.log, [`${runId}-0 429`, `${runId}-0 503`, `${runId}-0 202`, `${runId}-1 202`, `${runId}-2 202`]);
  const waits = logs.filter((line) => line.msg === 'export failed; will retry').map((line) => line.retryInMs);
  assert.equal(waits.length, 2);
  assert.equal(waits[0], 1000);
  assert.ok(waits[1] > 0 && waits[1] <= 2000, `an HTTP date 2 s ahead (second precision): ${waits[1]} ms`);
  assert.deepEqual({ sent: queue.stats.sent, dropped: queue.stats.dropped }, { sent: 3, dropped: 0 });
});

test('a transient answer (500) is retried EXPORT_MAX_ATTEMPTS times, then the batch is dropped and counted', async () => {
  const server = http.createServer();
  const target = await sink(server, (received) => (sequenceOf(received) === 0 ? { status: 500 } : undefined));
  const { queue } = await httpQueue(target.url, 3);
  for (let sequence = 0; sequence < 2; sequence++) queue.push(sampleBatch(4, sequence));
  await queue.close(Date.now() + 30_000);
  server.close();

  assert.equal(target.log.filter((line) => line.endsWith(' 500')).length, 3);
  assert.deepEqual(target.accepted.map(sequenceOf), [1]);
  assert.deepEqual(
    { sent: queue.stats.sent, failures: queue.stats.failures, attempts: queue.stats.droppedBy.attempts, droppedFlows: queue.stats.droppedFlows },
    { sent: 1, failures: 3, attempts: 1, droppedFlows: 4 },
  );
});

test('an unreachable target is not a failing batch: retried beyond EXPORT_MAX_ATTEMPTS until it answers', async () => {
  const port = await freePort();
  const { queue } = await httpQueue(`http://127.0.0.1:${port}/events`, 2);
  queue.push(sampleBatch(4, 0));
  for (let tries = 0; queue.stats.failures < 4; tries++) {
    assert.ok(tries < 200, 'the queue kept retrying');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const server = http.createServer();
  server.listen(port, '127.0.0.1');
  const accepted: Buffer[] = [];
  server.on('request', (request, response) => {
    request.on('data', (chunk) => accepted.push(chunk));
    request.on('end', () => response.writeHead(202).end());
  });
  await queue.close(Date.now() + 30_000);
  server.close();
  assert.deepEqual({ sent: queue.stats.sent, dropped: queue.stats.dropped }, { sent: 1, dropped: 0 });
  assert.equal(decodeFlowBatch(Buffer.concat(accepted)).flows.length, 4);
});

test('Retry-After: delay-seconds or an HTTP date, never negative, bounded', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('99999999', now), MAX_RETRY_AFTER_MS);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});
