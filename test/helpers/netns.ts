// Test hosts: two network namespaces joined by a veth pair. Traffic stays between them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const UDPGEN = `${PROJECT_ROOT}build/udpgen`;

let created = 0;

const [major, minor] = release().split('.').map(Number);
/** Why TCX tests cannot run here (a skip reason), or false when the kernel has TCX (6.6+). */
export const TCX_SKIP: string | false = major > 6 || (major === 6 && minor >= 6) ? false : `TCX needs Linux 6.6 or later; this kernel is ${release()}`;

/** The hook types the capture tests run with: TCX (skipped before 6.6) and clsact filters. */
export const ATTACH_MODES: { mode: 'tcx' | 'tc'; skip: string | false }[] = [
  { mode: 'tcx', skip: TCX_SKIP },
  { mode: 'tc', skip: false },
];

export interface Host {
  ns: string;
  ifname: string;
  ipv4: string;
  ipv6: string;
  mac: string;
}

/** Two hosts, a (198.18.0.1, fd00:fc::1) and b (198.18.0.2, fd00:fc::2), on veth fca <-> fcb. */
export class TestNet {
  private constructor(
    readonly a: Host,
    readonly b: Host,
  ) {}

  static async create(): Promise<TestNet> {
    const tag = `fc${process.pid}x${created++}`;
    const a = { ns: `${tag}a`, ifname: 'fca', ipv4: '198.18.0.1', ipv6: 'fd00:fc::1' };
    const b = { ns: `${tag}b`, ifname: 'fcb', ipv4: '198.18.0.2', ipv6: 'fd00:fc::2' };
    const half = new TestNet({ ...a, mac: '' }, { ...b, mac: '' });
    try {
      await sh('ip', 'netns', 'add', a.ns);
      await sh('ip', 'netns', 'add', b.ns);
      await sh('ip', 'link', 'add', a.ifname, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns);
      const hosts: Host[] = [];
      for (const host of [a, b]) {
        // No DAD and no router solicitations: IPv6 usable at once, and no stray packets.
        // MLD reports (sent when the link comes up, then repeated on a timer) go out within a
        // millisecond, long before the pings below end.
        await exec(
          host.ns,
          'sysctl',
          '-q',
          '-w',
          'net.ipv6.conf.all.accept_dad=0',
          'net.ipv6.conf.default.accept_dad=0',
          `net.ipv6.conf.${host.ifname}.accept_dad=0`,
          `net.ipv6.conf.${host.ifname}.router_solicitations=0`,
          `net.ipv6.conf.${host.ifname}.mldv1_unsolicited_report_interval=1`,
          `net.ipv6.conf.${host.ifname}.mldv2_unsolicited_report_interval=1`,
        );
        await exec(host.ns, 'ip', 'link', 'set', 'lo', 'up');
        await exec(host.ns, 'ip', 'addr', 'add', `${host.ipv4}/24`, 'dev', host.ifname);
        await exec(host.ns, 'ip', '-6', 'addr', 'add', `${host.ipv6}/64`, 'dev', host.ifname, 'nodad');
        await exec(host.ns, 'ip', 'link', 'set', host.ifname, 'up');
        const mac = (await exec(host.ns, 'cat', `/sys/class/net/${host.ifname}/address`)).trim();
        hosts.push({ ...host, mac });
      }
      // The kernel turns a veth's carrier on asynchronously (linkwatch: a second when idle, seen
      // over 2.5 s on a loaded machine): wait for it (15 s at most), then resolve neighbours now,
      // so that ARP/ND does not interleave with measured traffic.
      for (const host of hosts)
        await retry(`${host.ifname} up`, 300, 50, async () => (await exec(host.ns, 'cat', `/sys/class/net/${host.ifname}/operstate`)).trim() === 'up');
      await retry('IPv4 ping', 5, 0, async () =>
        exec(a.ns, 'ping', '-c', '1', '-W', '1', b.ipv4).then(
          () => true,
          () => false,
        ),
      );
      await retry('IPv6 ping', 5, 0, async () =>
        exec(a.ns, 'ping', '-6', '-c', '1', '-W', '1', b.ipv6).then(
          () => true,
          () => false,
        ),
      );
      // Resolved entries still go stale and are probed again on the kernel's timers: pinned
      // entries are never probed, so the tests' interfaces send no ARP or ND of their own.
      for (const [host, peer] of [
        [hosts[0], hosts[1]],
        [hosts[1], hosts[0]],
      ]) {
        for (const address of [peer.ipv4, peer.ipv6]) {
          await exec(host.ns, 'ip', 'neigh', 'replace', address, 'lladdr', peer.mac, 'nud', 'permanent', 'dev', host.ifname);
        }
      }
      return new TestNet(hosts[0], hosts[1]);
    } catch (error) {
      await half.destroy();
      throw error;
    }
  }

  async destroy(): Promise<void> {
    for (const host of [this.a, this.b]) await run('ip', ['netns', 'del', host.ns]).catch(() => undefined);
  }
}

/** Tries `check` up to `attempts` times, `pauseMs` apart; throws naming `what` if it never holds. */
async function retry(what: string, attempts: number, pauseMs: number, check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`test network: ${what} did not happen after ${attempts} attempts`);
}

export async function sh(command: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(command, args, { maxBuffer: 64 << 20 });
  return stdout;
}

/** Runs a command inside a namespace and returns its stdout. */
export function exec(ns: string, command: string, ...args: string[]): Promise<string> {
  return sh('ip', 'netns', 'exec', ns, command, ...args);
}

/** Sends exactly `packets` UDP datagrams from `from` to `to`, round-robin over `flows` ports. */
export async function sendUdp(
  from: Host,
  to: string,
  options: { firstPort: number; flows: number; packets: number; payload: number; srcPort?: number },
): Promise<void> {
  const args = [to, options.firstPort, options.flows, options.packets, options.payload];
  if (options.srcPort) args.push(options.srcPort);
  await exec(from.ns, UDPGEN, ...args.map(String));
}

/** A kernel counter of an interface inside a namespace (e.g. tx_dropped). */
export async function interfaceStat(host: Host, name: string): Promise<number> {
  return Number(await exec(host.ns, 'cat', `/sys/class/net/${host.ifname}/statistics/${name}`));
}

const closes = new WeakMap<ChildProcess, Promise<number | null>>();

/**
 * Watches `child` for its 'close' event (the process ended and its stdout, stderr and IPC channel
 * were read to the end) from now on, so that exitOf never misses it; returns the child.
 */
export function tracked(child: ChildProcess): ChildProcess {
  closes.set(child, new Promise((resolve) => child.once('close', (code: number | null) => resolve(code))));
  return child;
}

/**
 * Resolves to the child's exit code once its output has been read to the end ('close', not
 * 'exit', which may come while stdout/stderr still hold data); at once if that is already past.
 */
export function exitOf(child: ChildProcess): Promise<number | null> {
  const watched = closes.get(child);
  if (watched) return watched;
  const streamsDone = child.stdio.every((stream) => !stream || (stream as NodeJS.ReadableStream & { closed?: boolean }).closed === true);
  if ((child.exitCode !== null || child.signalCode !== null) && streamsDone && !child.connected) return Promise.resolve(child.exitCode);
  tracked(child);
  return closes.get(child)!;
}

/** Spawns a process inside a namespace with an IPC channel (for Node children). */
export function spawnIn(ns: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return tracked(spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...env } }));
}

/** clsact filters of ours on the host's interface, as "ingress"/"egress" entries. */
export async function flowcastFilters(host: Host): Promise<string[]> {
  const found: string[] = [];
  for (const direction of ['ingress', 'egress']) {
    const listing = await exec(host.ns, 'tc', 'filter', 'show', 'dev', host.ifname, direction).catch(() => '');
    if (listing.includes('flowcast_')) found.push(direction);
  }
  return found;
}

/** IDs of flowcast BPF programs loaded anywhere in the kernel. */
export async function loadedFlowcastPrograms(): Promise<number[]> {
  const programs = JSON.parse(await sh('bpftool', 'prog', 'show', '-j')) as { id: number; name?: string }[];
  return programs.filter((program) => program.name?.startsWith('flowcast_')).map((program) => program.id);
}

/** IDs of the BPF objects of one kind a process holds (its file descriptors' fdinfo names them). */
export function bpfIdsOf(pid: number, kind: 'prog' | 'map'): number[] {
  const ids = new Set<number>();
  const pattern = new RegExp(`^${kind}_id:\\s+(\\d+)$`, 'm');
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed while we listed
    }
    const id = pattern.exec(info)?.[1];
    if (id) ids.add(Number(id));
  }
  return [...ids].sort((x, y) => x - y);
}

/** IDs of the BPF programs a process holds (program and link file descriptors name them). */
export const programsOf = (pid: number): number[] => bpfIdsOf(pid, 'prog');

/** IDs of the BPF programs some live process holds (other tests' agents on this machine, say). */
export function programsHeldByProcesses(): Set<number> {
  const held = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      for (const id of programsOf(Number(entry))) held.add(id);
    } catch {
      // the process ended while we listed
    }
  }
  return held;
}

/**
 * Waits (a bounded number of times) until the kernel has freed the flowcast programs `ids`, or
 * every flowcast program when `ids` is not given (which other flowcast processes running on the
 * machine would disturb); resolves to those still loaded.
 */
export async function settledFlowcastPrograms(ids?: readonly number[]): Promise<number[]> {
  const watched = async () => (await loadedFlowcastPrograms()).filter((id) => !ids || ids.includes(id));
  let left = await watched();
  for (let attempt = 0; attempt < 50 && left.length > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await watched();
  }
  return left;
}
