// The bridge as a real process, and what the bridge tests wait on.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';

import { COLLECTOR_SERVICE, decodeRecords, type PbflowRecord } from '../../src/encode/pbflow.js';
import { PROJECT_ROOT } from '../helpers/netns.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(condition: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await condition());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(50);
  }
}

export interface Bridge {
  process: ChildProcess;
  log(): string;
  /** Resolves with [code, signal] once it exited and its stderr closed. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

export function startBridge(env: Record<string, string>): Bridge {
  const child = spawn(process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}src/bridge/cli.ts`], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk) => (log += chunk));
  // 'close', not 'exit': by then stderr is read to its end, so log() holds the last lines.
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  return { process: child, log: () => log, exited };
}

export async function waitForLog(bridge: Bridge, text: string): Promise<void> {
  await until(
    () => bridge.log().includes(text) || bridge.process.exitCode !== null,
    () => `"${text}" in the log: ${bridge.log()}`,
  );
  if (!bridge.log().includes(text)) throw new Error(`the bridge exited: ${bridge.log()}`);
}

/** A pbflow.Collector client that sends each message once and reports the status it got. */
export class OneShotSender {
  private readonly client: grpc.Client;

  constructor(address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}) {
    const Client = grpc.makeGenericClientConstructor(COLLECTOR_SERVICE, 'Collector');
    this.client = new Client(address, credentials, options);
  }

  /** The status code of the answer (0: OK). */
  send(message: Uint8Array): Promise<grpc.status> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        COLLECTOR_SERVICE.Send.path,
        COLLECTOR_SERVICE.Send.requestSerialize,
        COLLECTOR_SERVICE.Send.responseDeserialize,
        message,
        { deadline: Date.now() + 20_000 },
        (error) => resolve(error ? error.code : grpc.status.OK),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** The Prometheus sample `name` from a metrics endpoint. */
export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in the metrics`);
  return Number(line.split(' ')[1]);
}

const ANSWER_DELAY_MS = 300;

/**
 * A collector that answers each Send after a delay, and takes its records only when it answers:
 * a Send whose sender died before the answer (the call is cancelled) was never taken.
 */
export async function startSlowCollector(onArrival: (arrivals: number) => void) {
  const taken: PbflowRecord[] = [];
  const state = { arrivals: 0, settled: 0 };
  const server = new grpc.Server();
  server.addService(COLLECTOR_SERVICE, {
    Send: (call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) => {
      onArrival(++state.arrivals);
      // grpc-js also says 'cancelled' once an answered call ends: only the first of the two counts.
      let settled = false;
      const settle = () => !settled && (settled = true) && ++state.settled;
      const timer = setTimeout(() => {
        if (!settle()) return;
        taken.push(...decodeRecords(call.request));
        callback(null, {});
      }, ANSWER_DELAY_MS);
      call.once('cancelled', () => {
        clearTimeout(timer);
        settle();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { port, taken, state, close: () => server.forceShutdown() };
}

/**
 * A collector that answers a Send only when told (`pending[i].answer()`), or at once after
 * `answerAll()`; it takes a Send's records when it answers. A Send whose sender died first was
 * never taken.
 */
export async function startManualCollector() {
  const taken: PbflowRecord[] = [];
  const pending: { records: PbflowRecord[]; answer(): void }[] = [];
  let automatic = false;
  const server = new grpc.Server();
  server.addService(COLLECTOR_SERVICE, {
    Send: (call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) => {
      const records = decodeRecords(call.request);
      let cancelled = false;
      call.once('cancelled', () => (cancelled = true));
      const answer = () => {
        if (cancelled) return;
        taken.push(...records);
        callback(null, {});
      };
      if (automatic) answer();
      else pending.push({ records, answer });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { port, taken, pending, answerAll: () => void (automatic = true), close: () => server.forceShutdown() };
}
