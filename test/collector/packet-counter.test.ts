import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

import { GrpcExporter } from '../../src/export/grpc.js';
import { sampleBatch } from '../helpers/batches.js';
import { freePort } from '../helpers/nats-server.js';
import { PROJECT_ROOT } from '../helpers/netns.js';

test('the packet counter prints the rates of what it received', async () => {
  const port = await freePort();
  const counter = spawn(process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}examples/packet-counter/main.ts`], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, COLLECTOR: 'grpc', PORT: String(port), PERIOD_SECONDS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  counter.stdout.on('data', (chunk) => (output += chunk));
  const exporter = new GrpcExporter({ target: { host: '127.0.0.1', port }, grpc: { maxFlows: 1000 } }, '');
  try {
    while (!output.includes('counting')) await new Promise((resolve) => setTimeout(resolve, 50));
    const batch = sampleBatch(30);
    const flows = batch.flows.decode();
    await exporter.send(batch);
    const packets = flows.reduce((sum, flow) => sum + flow.packets, 0);
    const bytes = flows.reduce((sum, flow) => sum + flow.bytes, 0);
    const expected = `packets/s: ${packets}  flows/s: 30  bytes/s: ${bytes}`;
    for (let wait = 0; wait < 60 && !output.includes(expected); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(output.includes(expected), `expected "${expected}" in:\n${output}`);
  } finally {
    await exporter.close();
    counter.kill('SIGTERM');
    await once(counter, 'exit');
  }
});
