// Three nats-servers with JetStream routed to each other on loopback ports, each with its own
// store, for the tests and benchmarks of a cluster (test/export/replicas.test.ts, bench/fleet.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './nats-server.js';

export interface NatsCluster {
  urls: string[];
  /** The server processes, n0 to n2. */
  processes: ChildProcess[];
  stop(): Promise<void>;
}

/** Resolves once each server is ready (the JetStream meta leader may be elected a little later). */
export async function startNatsCluster(): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'flowcast-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const routes = [await freePort(), await freePort(), await freePort()];
  const processes: ChildProcess[] = [];
  const stop = async () => {
    for (const child of processes) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < 3; index++) {
      const file = join(dir, `n${index}.conf`);
      writeFileSync(file, [
        `server_name: n${index}`,
        `listen: 127.0.0.1:${ports[index]}`,
        `jetstream { store_dir: "${join(dir, `store${index}`)}" }`,
        `cluster { name: flowcast-test, listen: 127.0.0.1:${routes[index]}, routes: [${routes.map((port) => `nats-route://127.0.0.1:${port}`).join(', ')}] }`,
      ].join('\n'));
      const child = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      processes.push(child);
      let log = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (chunk) => {
          log += chunk;
          if (log.includes('Server is ready')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`nats-server n${index} exited (${code}): ${log}`)));
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls: ports.map((port) => `nats://127.0.0.1:${port}`), processes, stop };
}
