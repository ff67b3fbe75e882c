// The test side of test/helpers/probe.ts: a capture running inside a test namespace.
import type { ChildProcess } from 'node:child_process';

import type { Attachment, CaptureOptions, KernelCounters } from '../../src/capture/index.js';
import { PROJECT_ROOT, exitOf, spawnIn, type Host } from './netns.js';
import type { ProbeFlow } from './probe.js';
import { waitUntil } from './wait.js';

export interface Drained {
  flows: ProbeFlow[];
  counters: KernelCounters;
  /** How many times the capture signalled a full map. */
  overflows: number;
  /** How many times the capture checked its hooks. */
  hookChecks: number;
  hooks: {
    /** Every onHookLost call so far, as "name/direction". */
    lost: string[];
    hooksLost: number;
    unhooked: string[];
    /** Every onError message so far. */
    errors: string[];
  };
}

/** FlowCapture.park's state in the probe: parked now, and how many times onWake was called. */
export interface Parking {
  parked: boolean;
  wakes: number;
  hooks: Drained['hooks'];
}

type Reply =
  | { type: 'ready' | 'attachments'; attachments: Attachment[]; missing?: string[]; mode?: 'tcx' | 'tc' }
  | ({ type: 'parking' } & Parking)
  | ({ type: 'flows' } & Drained)
  | { type: 'error'; message: string; code?: string };

export class ProbeError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export class Probe {
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly attachments: Attachment[],
    /** Names in `interfaces` that did not exist at open. */
    readonly missing: string[],
    readonly mode: 'tcx' | 'tc',
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** What the capture is attached to now (it changes as interfaces come and go). */
  async currentAttachments(): Promise<Attachment[]> {
    const reply = Probe.next(this.child, () => this.stderr);
    this.child.send({ type: 'attachments' });
    const answer = await reply;
    if (answer.type !== 'attachments') throw new Error(`probe answered ${answer.type} to attachments`);
    return answer.attachments;
  }

  /** Starts a capture in `host`'s namespace; rejects with ProbeError when opening fails. */
  static async start(host: Host, options: CaptureOptions, wrapper: string[] = []): Promise<Probe> {
    const args = [...wrapper, process.execPath, '--import', 'tsx', `${PROJECT_ROOT}test/helpers/probe.ts`, JSON.stringify(options)];
    const child = spawnIn(host.ns, args[0], args.slice(1));
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const reply = await Probe.next(child, () => stderr);
    if (reply.type === 'error') {
      await exitOf(child);
      throw new ProbeError(reply.message, reply.code);
    }
    if (reply.type !== 'ready') throw new Error(`probe answered ${reply.type} before ready`);
    const probe = new Probe(child, reply.attachments, reply.missing ?? [], reply.mode ?? 'tcx');
    child.stderr!.on('data', (chunk) => (probe.stderr += chunk));
    return probe;
  }

  drain(): Promise<Drained> {
    return this.request('drain');
  }

  /** FlowCapture.park (the probe counts the wakes); resolves to the state after it. */
  park(): Promise<Parking> {
    return this.parkRequest('park');
  }

  parking(): Promise<Parking> {
    return this.parkRequest('parking');
  }

  private async parkRequest(type: 'park' | 'parking'): Promise<Parking> {
    const reply = Probe.next(this.child, () => this.stderr);
    this.child.send({ type });
    const answer = await reply;
    if (answer.type !== 'parking') throw new Error(`probe answered ${answer.type} to ${type}`);
    return answer;
  }

  /** Detaches and returns what was still held. */
  async close(): Promise<Drained> {
    const exited = exitOf(this.child);
    const drained = await this.request('close');
    await exited;
    return drained;
  }

  /**
   * Drains until `count` over every drain reaches `expected`, then closes (bounded by
   * `timeoutMs`); returns every drain. For a receiver: ingress is processed asynchronously, so
   * packets may still be on their way when the sender has finished.
   */
  async closeOnceCounted(expected: number, count: (flows: ProbeFlow[]) => number, timeoutMs = 30_000): Promise<Drained[]> {
    const drains: Drained[] = [];
    let total = 0;
    await waitUntil(
      async () => {
        const drained = await this.drain();
        drains.push(drained);
        total += count(drained.flows);
        return total >= expected;
      },
      () => `${expected} packets drained (${total} so far)`,
      timeoutMs,
    );
    drains.push(await this.close());
    return drains;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Resolves when the probe's process has ended. */
  async exited(): Promise<void> {
    await exitOf(this.child);
  }

  private async request(type: 'drain' | 'close'): Promise<Drained> {
    const reply = Probe.next(this.child, () => this.stderr);
    this.child.send({ type });
    const answer = await reply;
    if (answer.type === 'error') throw new ProbeError(answer.message, answer.code);
    if (answer.type !== 'flows') throw new Error(`probe answered ${answer.type} to ${type}`);
    return answer;
  }

  private static next(child: ChildProcess, stderr: () => string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      // 'close', not 'exit': an answer sent just before exiting may still be in the IPC channel.
      const onClose = (code: number | null) => reject(new Error(`probe exited (${code}) without answering; stderr: ${stderr()}`));
      child.once('close', onClose);
      child.once('message', (message: Reply) => {
        child.off('close', onClose);
        resolve(message);
      });
    });
  }
}
