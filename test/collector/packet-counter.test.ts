import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

import { GrpcExporter } from '../../src/export/grpc.js';
import { sampleBatch } from '../helpers/batches.js';
import { freePort } from '../helpers/nats-server.js';
import { PROJECT_ROOT } from '../helpers/netns.js';
import { waitUntil } from '../helpers/wait.js';

test('the packet counter prints the rates of what it received', async () => {
  const port = await freePort();
  const counter = spawn(process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}examples/packet-counter/main.ts`], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, COLLECTOR: 'grpc', PORT: String(port), PERIOD_SECONDS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  counter.stdout.on('data', (chunk) => (output += chunk));
  // Waits end at once with the counter's output if it exits (a crash, or its port taken).
  let exited: string | undefined;
  counter.once('exit', (code, signal) => (exited = `the packet counter exited (${code ?? signal}):\n${output}`));
  const waitFor = (text: string) =>
    waitUntil(
      () => {
        if (exited) throw new Error(exited);
        return output.includes(text);
      },
      () => `"${text}" in:\n${output}`,
      30_000,
    );
  const exporter = new GrpcExporter({ target: { host: '127.0.0.1', port }, grpc: { maxFlows: 1000 } }, '');
  try {
    await waitFor('counting');
    const batch = sampleBatch(30);
    const flows = batch.flows.decode();
    await exporter.send(batch);
    const packets = flows.reduce((sum, flow) => sum + flow.packets, 0);
    const bytes = flows.reduce((sum, flow) => sum + flow.bytes, 0);
    const expected = `packets/s: ${packets}  flows/s: 30  bytes/s: ${bytes}`;
    await waitFor(expected);
  } finally {
    await exporter.close();
    if (counter.exitCode === null && counter.signalCode === null) {
      const closed = once(counter, 'close');
      counter.kill('SIGTERM');
      await closed;
    }
  }
});
