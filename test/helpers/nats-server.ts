// A real nats-server (Debian's) for tests, in a namespace or in this one, on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { exec } from './netns.js';
import { waitUntil } from './wait.js';

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** `count` distinct free loopback ports: each stays bound until all are chosen, so none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.filter((server) => server.listening).map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

export class NatsServer {
  private process: ChildProcess | undefined;
  private readonly storeDir = mkdtempSync(join(tmpdir(), 'flowcast-nats-'));
  /** What the running server has logged (stderr). */
  private log = '';

  private constructor(
    private clientPort: number | undefined,
    private readonly ns: string | undefined,
    private readonly jetstream: boolean,
    private readonly maxPayload: number | undefined,
    private config: string | undefined,
  ) {}

  /**
   * `maxPayload`: the server's max_payload (bytes); `config`: more of nats-server's configuration
   * (e.g. `authorization { … }`), both through a configuration file.
   */
  /** The running server's process id (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  static async start(options: { ns?: string; jetstream?: boolean; port?: number; maxPayload?: number; config?: string } = {}): Promise<NatsServer> {
    const server = new NatsServer(options.port, options.ns, options.jetstream ?? false, options.maxPayload, options.config);
    await server.resume();
    return server;
  }

  private get configFile(): string {
    return join(this.storeDir, 'nats.conf');
  }

  private writeConfig(): void {
    // JetStream in the file too: nats-server 2.9 reloading a file while -js came as a flag leaves JetStream not answering.
    const lines = [
      this.jetstream ? `jetstream { store_dir: "${this.storeDir}" }` : '',
      this.maxPayload ? `max_payload: ${this.maxPayload}` : '',
      this.config ?? '',
    ];
    writeFileSync(this.configFile, lines.join('\n'));
  }

  /** Replaces the `config` of start() and has the running server reload it (SIGHUP), as an operator would. */
  async reload(config: string): Promise<void> {
    this.config = config;
    this.writeConfig();
    const outcomes = () => this.log.match(/Reloaded server configuration|Failed to reload server configuration.*/g) ?? [];
    const before = outcomes().length;
    this.process!.kill('SIGHUP');
    await waitUntil(() => outcomes().length > before || this.process!.exitCode !== null, 'nats-server to reload its configuration');
    const outcome = outcomes()[before];
    if (outcome?.startsWith('Failed')) throw new Error(`nats-server: ${outcome}`);
    if (this.process!.exitCode !== null) throw new Error(`nats-server exited at reload: ${this.log}`);
  }

  get port(): number {
    if (this.clientPort === undefined) throw new Error('nats-server has not started');
    return this.clientPort;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /**
   * (Re)starts the server on the same port and JetStream store. The first start lets the server
   * bind a port of its choosing (-p -1) and reads it from its log: a port picked here and bound
   * later could be taken in between.
   */
  async resume(): Promise<void> {
    const port = this.clientPort === undefined ? '-1' : String(this.clientPort);
    const args = ['-a', '127.0.0.1', '-p', port];
    if (this.maxPayload || this.config) {
      this.writeConfig();
      args.push('-c', this.configFile);
    } else if (this.jetstream) args.push('-js', '-sd', this.storeDir);
    const command = this.ns ? ['ip', 'netns', 'exec', this.ns, 'nats-server', ...args] : ['nats-server', ...args];
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.process = child;
    this.log = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (chunk) => {
        this.log += chunk;
        if (!this.log.includes('Server is ready')) return;
        const listening = /Listening for client connections on [^\s]*:(\d+)/.exec(this.log);
        if (!listening) return reject(new Error(`nats-server did not log its client port: ${this.log}`));
        this.clientPort = Number(listening[1]);
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${this.log}`)));
    });
  }

  /**
   * Kills the server abruptly, as a crash would. `freeze`: stop it first (SIGSTOP), so that it
   * handles nothing more, not even a message it already received: what it acknowledged is exactly
   * what it stored.
   */
  async kill(options: { freeze?: boolean } = {}): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    if (options.freeze) child.kill('SIGSTOP');
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/**
 * nats-servers with JetStream routed to each other (n0, n1, …), on loopback ports of this namespace
 * or of `ns`, each with its own store and a monitoring port (/connz, /jsz).
 */
export class NatsCluster {
  private constructor(
    private readonly dir: string,
    private readonly ns: string | undefined,
    private readonly clientPorts: number[],
    private readonly monitorPorts: number[],
    private readonly children: ChildProcess[],
  ) {}

  /** Resolves once every server is ready (the JetStream meta leader may still be being elected). */
  static async start(options: { ns?: string; size?: number } = {}): Promise<NatsCluster> {
    const size = options.size ?? 3;
    const dir = mkdtempSync(join(tmpdir(), 'flowcast-cluster-'));
    // A namespace of the test's own has no other listeners: ports free here are free there too.
    const ports = await freePorts(3 * size);
    const [clientPorts, routePorts, monitorPorts] = [ports.slice(0, size), ports.slice(size, 2 * size), ports.slice(2 * size)];
    const cluster = new NatsCluster(dir, options.ns, clientPorts, monitorPorts, []);
    try {
      for (let index = 0; index < size; index++) {
        const file = join(dir, `n${index}.conf`);
        writeFileSync(
          file,
          [
            `server_name: n${index}`,
            `listen: 127.0.0.1:${clientPorts[index]}`,
            `http: 127.0.0.1:${monitorPorts[index]}`,
            `jetstream { store_dir: "${join(dir, `store${index}`)}" }`,
            `cluster { name: flowcast-test, listen: 127.0.0.1:${routePorts[index]}, routes: [${routePorts.map((port) => `nats-route://127.0.0.1:${port}`).join(', ')}] }`,
          ].join('\n'),
        );
        const command = options.ns ? ['ip', 'netns', 'exec', options.ns, 'nats-server', '-c', file] : ['nats-server', '-c', file];
        const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
        cluster.children.push(child);
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
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The server processes, n0 first (the fleet benchmark counts their CPU). */
  get processes(): readonly ChildProcess[] {
    return this.children;
  }

  get urls(): string[] {
    return this.clientPorts.map((port) => `nats://127.0.0.1:${port}`);
  }

  /** What the server's monitoring endpoint answers at `path` (e.g. /connz), parsed. */
  async monitor(index: number, path: string): Promise<unknown> {
    const url = `http://127.0.0.1:${this.monitorPorts[index]}${path}`;
    if (!this.ns) return (await fetch(url)).json();
    // The test process is outside the namespace: a node inside it asks.
    const script = `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t))`;
    return JSON.parse(await exec(this.ns, process.execPath, '-e', script));
  }

  /** Kills server `index` abruptly (SIGKILL), as a crash would. */
  async kill(index: number): Promise<void> {
    const child = this.children[index];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    for (let index = 0; index < this.children.length; index++) await this.kill(index);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
