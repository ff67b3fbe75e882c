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
import { HttpExporter } from '../../src/export/http.js';
import { ExportQueue } from '../../src/export/queue.js';
import { plain, sampleBatch } from '../helpers/batches.js';
import { makeCertificates } from '../helpers/certs.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Answers 503 to the first `refusals` requests, then 202, keeping what it accepted. */
async function sink(server: http.Server | https.Server, refusals: number): Promise<{ url: string; accepted: Received[]; requests: () => number }> {
  const accepted: Received[] = [];
  let requests = 0;
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      requests++;
      if (requests <= refusals) {
        response.writeHead(503).end('busy');
        return;
      }
      accepted.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `${server instanceof https.Server ? 'https' : 'http'}://localhost:${port}/events`, accepted, requests: () => requests };
}

test('binary CloudEvents over HTTP: a 503 burst is retried, every batch arrives once, headers per the HTTP binding', async () => {
  const server = http.createServer();
  const target = await sink(server, 4);
  const config = loadConfig({ EXPORT: 'http', K_SINK: target.url, K_CE_OVERRIDES: '{"extensions":{"cluster":"east"}}' });
  assert.equal(config.http.url, target.url);
  const identity = newIdentity('node-a', config.cloudEvents.extensions);
  const queue = new ExportQueue(new HttpExporter(config.http.url!, await createEventEncoder('binary', identity, false)), 10, pino({ level: 'silent' }));
  const batches = [0, 1, 2, 3, 4].map((sequence) => sampleBatch(3 + sequence, sequence));
  for (const batch of batches) queue.push(batch);
  await queue.close(Date.now() + 15_000);
  server.close();

  assert.equal(target.requests(), 9, '4 refused, then 5 accepted');
  assert.deepEqual(queue.stats, { sent: 5, failures: 4, dropped: 0, queued: 0 });
  assert.deepEqual(target.accepted.map(({ headers }) => headers['ce-id']), batches.map((batch) => `${identity.runId}-${batch.sequence}`));
  for (const [index, { headers, body }] of target.accepted.entries()) {
    assert.equal(headers['ce-specversion'], '1.0');
    assert.equal(headers['ce-type'], 'dev.flowcast.flow.batch.v1');
    assert.equal(headers['ce-source'], '/flowcast/node-a');
    assert.equal(headers['ce-cluster'], 'east');
    assert.equal(headers['content-type'], 'application/avro');
    const event = HTTP.toEvent({ headers, body }) as CloudEvent<Buffer>; // the SDK validates the attributes
    assert.equal(event.dataschema, 'urn:flowcast:schema:dev.flowcast.v1.FlowBatch');
    assert.deepEqual(plain(decodeFlowBatch(body)), plain({ ...batches[index], flows: batches[index].flows.decode() }));
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
  assert.throws(() => loadConfig({ EXPORT: 'http' }), (error: ConfigError) => error.message === 'HTTP_TARGET_URL: required when EXPORT=http');
  assert.throws(() => loadConfig({ K_CE_OVERRIDES: '{"extensions":{"Bad-Name":"x"}}' }), /K_CE_OVERRIDES=.*must be JSON/);
  assert.throws(() => loadConfig({ K_CE_OVERRIDES: 'not json' }), /K_CE_OVERRIDES/);
  assert.equal(loadConfig({ HTTP_TARGET_URL: 'http://a/', K_SINK: 'http://b/' }).http.url, 'http://a/', 'the explicit variable wins over K_SINK');
});
