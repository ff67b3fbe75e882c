// EXPORT=http as a Knative SinkBinding subject: the OIDC token file, the custom-certs directory,
// the User-Agent, waiting for K_SINK, and empty intervals left out (EXPORT_EMPTY_BATCHES).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { loadConfig } from '../../src/config/index.js';
import { VERSION } from '../../src/config/command-line.js';
import { decodeFlowBatch } from '../../src/encode/avro.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { HttpExporter } from '../../src/export/http.js';
import { AgentProcess } from '../helpers/agent.js';
import { sampleBatch } from '../helpers/batches.js';
import { makeCertificates } from '../helpers/certs.js';
import { exec, sendUdp, spawnIn } from '../helpers/netns.js';
import { sharedTestNet } from '../helpers/shared-net.js';
import { waitUntil } from '../helpers/wait.js';

/** A sink answering 202 and keeping each request's headers. */
async function sink(server: http.Server | https.Server): Promise<{ url: string; requests: http.IncomingHttpHeaders[] }> {
  const requests: http.IncomingHttpHeaders[] = [];
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    request.resume();
    request.on('end', () => {
      requests.push(request.headers);
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `${server instanceof https.Server ? 'https' : 'http'}://localhost:${port}/flowcast/default`, requests };
}

test('the OIDC token file: its current content as Authorization: Bearer, read again after rotation; none without the file; a User-Agent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowcast-oidc-'));
  const tokenFile = join(dir, 'token');
  const server = http.createServer();
  const target = await sink(server);
  const config = loadConfig({ EXPORT: 'http', K_SINK: target.url, K_OIDC_TOKEN_FILE: tokenFile, K_CA_CERTS_DIR: join(dir, 'none') });
  assert.equal(config.http.oidcTokenFile, tokenFile);
  assert.equal(loadConfig({ EXPORT: 'http', K_SINK: target.url }).http.oidcTokenFile, '/oidc/token', "Knative's path by default");
  const exporter = new HttpExporter(target.url, await createEventEncoder('binary', newIdentity('node-a'), false), config.http);
  try {
    await exporter.send(sampleBatch(2, 0)); // no file yet
    writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.first.sig\n');
    await exporter.send(sampleBatch(2, 1));
    writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.second.sig');
    await exporter.send(sampleBatch(2, 2));
    assert.deepEqual(
      target.requests.map((headers) => headers.authorization),
      [undefined, 'Bearer eyJhbGciOiJSUzI1NiJ9.first.sig', 'Bearer eyJhbGciOiJSUzI1NiJ9.second.sig'],
    );
    assert.ok(target.requests.every((headers) => headers['user-agent'] === `flowcast-agent/${VERSION}`));
    assert.match(VERSION, /^\d+\.\d+\.\d+/);
  } finally {
    await exporter.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a CA found only in the custom-certs directory (*.pem, *.crt) is trusted; other files are not read as CAs', async () => {
  const certs = makeCertificates();
  const bundles = mkdtempSync(join(tmpdir(), 'flowcast-custom-certs-'));
  const server = https.createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) });
  const target = await sink(server);
  const encode = await createEventEncoder('binary', newIdentity('node-a'), false);
  const exporters: HttpExporter[] = [];
  const exporter = (caCertsDir: string) => {
    exporters.push(new HttpExporter(target.url, encode, { caCertsDir, oidcTokenFile: join(bundles, 'no-token') }));
    return exporters.at(-1)!;
  };
  try {
    copyFileSync(certs.ca, join(bundles, 'ca.txt'));
    await assert.rejects(exporter(bundles).send(sampleBatch(1)), /certificate/, 'a .txt file is no bundle');
    await assert.rejects(exporter(join(bundles, 'missing')).send(sampleBatch(1)), /certificate/, 'a missing directory: the system roots only');
    for (const name of ['kn-combined-kne-bundle.pem', 'ca.crt']) {
      const only = mkdtempSync(join(tmpdir(), 'flowcast-custom-certs-'));
      copyFileSync(certs.ca, join(only, name));
      const config = loadConfig({ EXPORT: 'http', K_SINK: target.url, K_CA_CERTS_DIR: only });
      await exporter(config.http.caCertsDir).send(sampleBatch(1));
      rmSync(only, { recursive: true, force: true });
    }
    assert.equal(target.requests.length, 2);
    assert.equal(loadConfig({ EXPORT: 'http', K_SINK: target.url }).http.caCertsDir, '/knative-custom-certs', "Knative's mount by default");
  } finally {
    for (const each of exporters) await each.close();
    server.close();
    rmSync(bundles, { recursive: true, force: true });
    rmSync(certs.dir, { recursive: true, force: true });
  }
});

// The agent itself, in a test namespace, POSTing to a sink in the same namespace.
const net = sharedTestNet();

interface Delivered {
  sequence: number;
  flows: number;
  lostPackets: number;
  ringBufferPackets: number;
}

/** An HTTP sink inside the namespace: the decoded batches it accepted (202). */
class NamespaceSink {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly delivered: Delivered[],
  ) {}

  static async start(ns: string): Promise<NamespaceSink> {
    const script = `
      const server = require('node:http').createServer((request, response) => {
        const chunks = [];
        request.on('data', (chunk) => chunks.push(chunk));
        request.on('end', () => {
          process.stdout.write(JSON.stringify({ body: Buffer.concat(chunks).toString('base64') }) + '\\n');
          response.writeHead(202).end();
        });
      });
      server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));`;
    const child = spawnIn(ns, process.execPath, ['-e', script]);
    let pending = '';
    let resolvePort: (port: number) => void;
    const port = new Promise<number>((resolve) => (resolvePort = resolve));
    const delivered: Delivered[] = [];
    child.stdout!.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const message = JSON.parse(line) as { port?: number; body?: string };
        if (message.port) resolvePort(message.port);
        else {
          const batch = decodeFlowBatch(Buffer.from(message.body!, 'base64'));
          delivered.push({ sequence: batch.sequence, flows: batch.flows.length, lostPackets: batch.lostPackets, ringBufferPackets: batch.ringBufferPackets });
        }
      }
    });
    return new NamespaceSink(child, `http://127.0.0.1:${await port}/`, delivered);
  }

  close(): void {
    this.child.kill();
  }
}

/** A counter from the agent's /metrics, fetched inside the namespace. */
async function metric(ns: string, port: number, name: string): Promise<number> {
  const script = `fetch('http://127.0.0.1:${port}/metrics').then(async (r) => process.stdout.write(await r.text()))`;
  const line = (await exec(ns, process.execPath, '-e', script)).split('\n').find((entry) => entry.startsWith(`${name} `));
  assert.ok(line, `${name} is exported`);
  return Number(line.split(' ').at(-1));
}

/** The agent's last log line (its totals), after SIGTERM. */
async function stopped(agent: AgentProcess): Promise<{ totals: { batches: number }; export: { sent: number } }> {
  assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);
  return JSON.parse(agent.stderr.trimEnd().split('\n').at(-1)!);
}

const agentEnv = (url: string, extra: Record<string, string> = {}) => ({
  EXPORT: 'http',
  HTTP_TARGET_URL: url,
  INTERFACES: 'fca',
  CACHE_ACTIVE_TIMEOUT: '200ms',
  NODE_NAME: 'node-a',
  METRICS_PORT: '9411',
  METRICS_ADDRESS: '127.0.0.1',
  ...extra,
});

test('by default an interval without flows or lost packets is not exported, and the sequence of what is has no gap', async () => {
  const target = await NamespaceSink.start(net.a.ns);
  const agent = AgentProcess.start(net.a.ns, agentEnv(target.url));
  try {
    await agent.waitForLog('serving /metrics');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 300, payload: 20, srcPort: 35000 });
    await waitUntil(() => target.delivered.some((batch) => batch.flows > 0), 'the interval with the UDP flows delivered');
    // A quiet interval after it: the aggregator makes a batch the exporter never sees, and parks.
    // Then a second burst wakes it, and after that another quiet interval.
    const parked = async () => (await metric(net.a.ns, 9411, 'flowcast_parked')) === 1;
    await waitUntil(parked, 'parked after a quiet interval');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 300, payload: 20, srcPort: 35001 });
    await waitUntil(() => target.delivered.filter((batch) => batch.flows > 0).length >= 2, 'the second burst delivered');
    await waitUntil(parked, 'parked again');
    const last = await stopped(agent);
    assert.ok(target.delivered.length > 0);
    assert.ok(
      target.delivered.every((batch) => batch.flows > 0 || batch.lostPackets > 0 || batch.ringBufferPackets > 0),
      JSON.stringify(target.delivered),
    );
    assert.deepEqual(
      target.delivered.map((batch) => batch.sequence),
      target.delivered.map((_, index) => index),
      'numbered 0, 1, ... as exported',
    );
    assert.equal(last.export.sent, target.delivered.length);
    assert.ok(last.totals.batches >= target.delivered.length + 2, `${last.totals.batches} intervals, ${target.delivered.length} exported`);
  } finally {
    await agent.stop('SIGKILL'); // nothing once stopped; after a failure, no agent left running
    target.close();
  }
});

test('EXPORT_EMPTY_BATCHES=true: every interval is exported, empty ones too', async () => {
  const target = await NamespaceSink.start(net.a.ns);
  const agent = AgentProcess.start(net.a.ns, agentEnv(target.url, { EXPORT_EMPTY_BATCHES: 'true' }));
  try {
    await agent.waitForLog('capturing');
    await waitUntil(() => target.delivered.filter((batch) => batch.flows === 0).length >= 3, 'three empty intervals delivered');
    const last = await stopped(agent);
    assert.equal(last.totals.batches, target.delivered.length, 'every interval');
    assert.equal(last.export.sent, target.delivered.length);
    assert.deepEqual(
      target.delivered.map((batch) => batch.sequence),
      target.delivered.map((_, index) => index),
    );
  } finally {
    await agent.stop('SIGKILL'); // nothing once stopped; after a failure, no agent left running
    target.close();
  }
});

test('EXPORT=http before the SinkBinding injected K_SINK: the agent says so once and waits (no exit, no capture) until stopped', async () => {
  const agent = AgentProcess.start(net.a.ns, { EXPORT: 'http', INTERFACES: 'fca', NODE_NAME: 'node-a' });
  await agent.waitForLog('EXPORT=http without HTTP_TARGET_URL or K_SINK: waiting for a SinkBinding to inject K_SINK');
  assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);
  const messages = agent.stderr
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line).msg as string);
  assert.deepEqual(messages.filter((message) => message.includes('waiting for a SinkBinding')).length, 1);
  assert.ok(!messages.includes('capturing'), 'nothing attached while waiting');
  assert.equal(messages.at(-1), 'stopped while waiting for K_SINK');

  // The rest of the configuration is still checked at once.
  const bad = AgentProcess.start(net.a.ns, { EXPORT: 'http', CE_MODE: 'sideways', NODE_NAME: 'node-a' });
  assert.equal(await bad.exited(), 2);
  assert.match(bad.stderr, /CE_MODE="sideways"/);
});
