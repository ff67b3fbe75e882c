// flowcast-agent as a real process inside a test namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

import { PROJECT_ROOT, exitOf, spawnIn, tracked } from './netns.js';
import type { ReceivedEvent } from './subscriber.js';

export class AgentProcess {
  stdout = '';
  stderr = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk) => (this.stdout += chunk));
    child.stderr!.on('data', (chunk) => (this.stderr += chunk));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Starts the agent with only `env` as configuration (plus PATH): from the TypeScript sources
   * (tests), or as shipped, compiled by make build (`compiled`: benchmarks). `wrapper` runs first,
   * with the agent's command line as its arguments (e.g. a shell that changes the agent's mounts).
   */
  static start(ns: string, env: Record<string, string>, compiled = false, wrapper: string[] = []): AgentProcess {
    const entry = compiled ? [`${PROJECT_ROOT}bin/flowcast-agent.js`] : ['--import', 'tsx', `${PROJECT_ROOT}src/agent/cli.ts`];
    const child = tracked(
      spawn('ip', ['netns', 'exec', ns, ...wrapper, process.execPath, ...entry], {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    return new AgentProcess(child);
  }

  /** Resolves when a log line's msg contains `text`; rejects if the agent exits first. */
  waitForLog(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.stderr.split('\n').some((line) => line.includes(`"msg":"${text}`))) {
          this.child.stderr!.off('data', check);
          this.child.off('close', onClose);
          resolve();
        }
      };
      // 'close': the last lines of stderr are read before giving up.
      const onClose = (code: number) => reject(new Error(`agent exited (${code}) before logging "${text}": ${this.stderr}`));
      this.child.stderr!.on('data', check);
      this.child.once('close', onClose);
      check();
    });
  }

  /** Sends `signal` and resolves to the exit code, once stdout and stderr are read to the end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const exited = exitOf(this.child);
    this.child.kill(signal);
    return exited;
  }

  exited(): Promise<number | null> {
    return exitOf(this.child);
  }
}

/** The test-side handle of test/helpers/subscriber.ts. */
export class Subscriber {
  private constructor(private readonly child: ChildProcess) {}

  static async start(ns: string, options: { url: string; subject: string; stream?: string }): Promise<Subscriber> {
    const child = spawnIn(ns, process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}test/helpers/subscriber.ts`, JSON.stringify(options)]);
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const [reply] = (await Promise.race([once(child, 'message'), once(child, 'close').then(() => [{ type: 'exit', stderr }])])) as [{ type: string }];
    if (reply.type !== 'ready') throw new Error(`subscriber did not start: ${stderr}`);
    return new Subscriber(child);
  }

  async collect(): Promise<ReceivedEvent[]> {
    const reply = once(this.child, 'message');
    this.child.send({ type: 'collect' });
    const [answer] = (await reply) as [{ type: string; events: ReceivedEvent[]; message: string }];
    if (answer.type !== 'events') throw new Error(answer.message);
    return answer.events;
  }

  close(): void {
    this.child.kill();
  }
}

/** Packets and bytes of UDP flows from `srcPort` in `direction`, over every event. */
export function udpTotals(
  events: { batch: Pick<ReceivedEvent['batch'], 'flows'> }[],
  srcPort: number,
  direction = 'egress',
): { packets: number; bytes: number } {
  let packets = 0;
  let bytes = 0;
  for (const event of events) {
    for (const flow of event.batch.flows) {
      if (flow.protocol === 17 && flow.srcPort === srcPort && flow.direction === direction) {
        packets += flow.packets;
        bytes += flow.bytes;
      }
    }
  }
  return { packets, bytes };
}

/** What test/helpers/collector-child.ts reports of an event its handler got. */
export interface HandledEvent {
  id: string;
  batch: { sequence: number; flows: ReceivedEvent['batch']['flows'] };
}

/** The test-side handle of test/helpers/collector-child.ts: a NATS collector on a durable, in a namespace. */
export class CollectorProcess {
  readonly handled: HandledEvent[] = [];
  readonly errors: string[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: { type: string; event?: HandledEvent; message?: string }) => {
      if (message.type === 'handled') this.handled.push(message.event!);
      if (message.type === 'error') this.errors.push(message.message!);
    });
  }

  static async start(ns: string, options: { servers: string[]; subject: string; stream: string; durable: string }): Promise<CollectorProcess> {
    const child = spawnIn(ns, process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}test/helpers/collector-child.ts`, JSON.stringify(options)]);
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const process_ = new CollectorProcess(child);
    const ready = new Promise<boolean>((resolve) => child.on('message', (message: { type: string }) => message.type === 'ready' && resolve(true)));
    if (!(await Promise.race([ready, once(child, 'close').then(() => false)]))) throw new Error(`collector did not start: ${stderr}`);
    return process_;
  }

  /** The durable's messages not yet delivered and delivered but not acknowledged. */
  async consumer(): Promise<{ pending: number; ackPending: number }> {
    const reply = new Promise<{ pending: number; ackPending: number }>((resolve) => {
      const listener = (message: { type: string; pending: number; ackPending: number }) => {
        if (message.type !== 'consumer') return;
        this.child.off('message', listener);
        resolve(message);
      };
      this.child.on('message', listener);
    });
    this.child.send({ type: 'consumer' });
    return reply;
  }

  async stop(): Promise<void> {
    const exited = exitOf(this.child);
    this.child.kill();
    await exited;
  }
}
