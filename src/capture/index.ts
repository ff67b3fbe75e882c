// The capture API: select interfaces, attach the BPF programs, drain into the model's DrainedFlows, detach.
import { closeSync } from 'node:fs';

import type { FilterRule } from '../config/filter-rules.js';
import { parseCidrs, parseInterfaceList } from '../config/interface-lists.js';
import { DrainedFlows, type Direction } from '../model/index.js';
import {
  loadAddon,
  type AttachMode,
  type KernelCounters,
  type KernelMemory,
  type NativeCapture,
  type NativeDrain,
  type NativeLinkWatcher,
} from '../native/index.js';
import { filterMaps } from './filter.js';
import { interfaceIndex, listInterfaces, matches, missingNames, selectByAddress, selectInterfaces, type NetworkInterface } from './interfaces.js';

export type { AttachMode, FilterCounts, KernelCounters, KernelMemory } from '../native/index.js';

/**
 * Held by the capture that owns the clsact hooks of a network namespace: two in tc mode would
 * replace each other's filters (one fixed handle and priority), so that neither counts.
 */
const TC_LOCK = 'flowcast-agent-tc';

export interface CaptureOptions {
  /** Names or /regex/ entries; empty means every interface. */
  interfaces?: readonly string[];
  /** Names or /regex/ entries; default ["lo"]. */
  excludeInterfaces?: readonly string[];
  direction?: Direction | 'both';
  /** Count 1 in N packets (decided in the kernel); 1 counts every packet. */
  sampling?: number;
  /** Flows each kernel map holds (CACHE_MAX_FLOWS); more go through the ring buffer. */
  maxFlows?: number;
  ringBufferBytes?: number;
  attachMode?: AttachMode;
  /** Address ranges (INTERFACE_IPS): capture on interfaces holding an address in one, instead of `interfaces`. */
  interfaceIps?: readonly string[];
  /**
   * Interfaces created or removed later: 'watch' follows rtnetlink link events (at once), 'poll'
   * rescans every `pollPeriodMs`, 'none' keeps the interfaces found at open.
   */
  listen?: 'watch' | 'poll' | 'none';
  pollPeriodMs?: number;
  /** Called when a map filled up: drain soon. */
  onOverflow?: () => void;
  /** ENABLE_PKT_DROPS: packets the kernel drops, added to the flows of their 5-tuple. */
  packetDrops?: boolean;
  /** ENABLE_RTT: the smoothed TCP RTT of the flows of each 5-tuple. */
  rtt?: boolean;
  /** ENABLE_DNS_TRACKING: DNS_TRACKING_PORT (53 is tracked too); 0 or absent: not tracking. */
  dnsPort?: number;
  /**
   * DEDUPER: 'firstCome' (the default, NetObserv's in-kernel deduplication) counts a packet once,
   * on the first interface its flow was seen on, and lists the others in the flow's dupList;
   * 'none' makes one flow per interface and direction.
   */
  deduper?: 'firstCome' | 'none';
  /** FLOW_FILTER_RULES, evaluated in the kernel (bpf/filter.h); none: every packet is counted. */
  filterRules?: FilterRule[];
  /** Called after interfaces were attached or detached while running. */
  onInterfaces?: (change: { attached: string[]; detached: string[] }) => void;
  /**
   * Called when an interface that appeared could not be attached (it may be gone already), when a
   * lost hook could not be attached again, when rescanning the interfaces failed, when watching
   * the link events failed (rescans every `pollPeriodMs` from then on), or when a drain met a
   * failure after it had taken flows (it delivers them still).
   */
  onError?: (error: Error) => void;
  /** Called when one of our hooks was found removed or replaced from outside (it is reattached). */
  onHookLost?: (hook: { name: string; direction: Direction }) => void;
  /** Hooks are checked after every drain, and when none checked them for a quarter longer than this (ms; 0: only after drains). */
  hookCheckPeriodMs?: number;
  /** While parked (no drains): the hooks are checked this often (ms), besides at each link or tc event when watching. */
  parkedHookCheckPeriodMs?: number;
}

export const DEFAULT_HOOK_CHECK_PERIOD_MS = 5000;
/**
 * A parked agent wakes for nothing else. Lost clsact hooks are found at once from the tc events;
 * this is for TCX links detached from outside (bpftool link detach) and for a watch that failed.
 */
export const DEFAULT_PARKED_HOOK_CHECK_PERIOD_MS = 30_000;
const IDLE_DRAIN: NativeDrain = { flows: Buffer.alloc(0), warnings: [] };
const DEFAULT_POLL_PERIOD_MS = 10_000;

let dropReasons: Record<number, string> | undefined;

/**
 * The name of a drop cause (Drops.latestDropCause), e.g. SKB_DROP_REASON_NETFILTER_DROP: from the
 * running kernel's enum skb_drop_reason, whose numbering changes between kernel versions (so a
 * fixed table, as NetObserv's, names some wrongly); SKB_DROP_UNKNOWN_CAUSE when it has none.
 */
export function dropCauseName(cause: number): string {
  if (!dropReasons) {
    try {
      dropReasons = loadAddon().dropReasonNames();
    } catch {
      dropReasons = {};
    }
  }
  return dropReasons[cause] ?? 'SKB_DROP_UNKNOWN_CAUSE';
}

export interface Attachment {
  name: string;
  ifIndex: number;
  direction: Direction;
  mode: 'tcx' | 'tc';
}

export class FlowCapture {
  private readonly names = new Map<number, string>();
  /** By interface name: where we are attached, and to which interface index. */
  private readonly attached = new Map<string, Attachment[]>();
  /** Hooks ("name/direction") found lost and not attached again yet. */
  private readonly lostHooks = new Set<string>();
  private draining: Promise<unknown> = Promise.resolve();
  private closed = false;
  private finalCounters: KernelCounters | undefined;
  private watcher: NativeLinkWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private hookChecker: NodeJS.Timeout | undefined;
  /** While parked: what to call when the kernel rings, and the hook check that stands in for the drains. */
  private parkedWake: (() => void) | undefined;
  private parkedHookChecker: NodeJS.Timeout | undefined;
  /** Hooks found removed or replaced from outside since open. */
  hooksLost = 0;
  /** Times every hook was checked since open (after each drain, or when none checked them for hookCheckPeriodMs). */
  hookChecks = 0;
  /** Names given in `interfaces` that no interface had at open (attached when they appear). */
  missing: string[] = [];

  private constructor(
    private readonly native: NativeCapture,
    private readonly options: CaptureOptions,
    private readonly select: (available: NetworkInterface[]) => NetworkInterface[],
    private readonly directions: Direction[],
    /** The hook type used: TCX, or clsact filters (asked for, or a kernel before 6.6). */
    readonly mode: 'tcx' | 'tc',
    /** The fd of the TC_LOCK while this capture owns the namespace's clsact hooks. */
    private readonly tcLock: number | undefined,
  ) {}

  /**
   * Attaches to every selected interface; on any failure detaches what it attached and throws.
   * In tc mode, refuses (code EBUSY) when another capture owns the clsact hooks of this network
   * namespace.
   */
  static open(options: CaptureOptions = {}): FlowCapture {
    const include = parseInterfaceList(options.interfaces ?? [], 'INTERFACES');
    const exclude = parseInterfaceList(options.excludeInterfaces ?? ['lo'], 'EXCLUDE_INTERFACES');
    const ranges = parseCidrs(options.interfaceIps ?? [], 'INTERFACE_IPS');
    const select = (available: NetworkInterface[]) =>
      ranges.length > 0 ? selectByAddress(available, ranges).filter(({ name }) => !matches(name, exclude)) : selectInterfaces(available, include, exclude);
    const available = listInterfaces();
    const selected = select(available);
    const directions: Direction[] = options.direction === 'both' || !options.direction ? ['ingress', 'egress'] : [options.direction];
    const { Capture, LinkWatcher, tcxSupported, tryLockNetns } = loadAddon();
    const mode = options.attachMode === 'tc' || (options.attachMode !== 'tcx' && !tcxSupported()) ? 'tc' : 'tcx';
    let tcLock: number | undefined;
    if (mode === 'tc') {
      const fd = tryLockNetns(TC_LOCK);
      if (fd < 0) {
        throw Object.assign(
          new Error(
            'another flowcast agent holds the tc hooks of this network namespace (TC_ATTACH_MODE=tc): its clsact filters and ours ' +
              'would replace each other. Use TC_ATTACH_MODE=tcx (Linux 6.6+) for overlapping agents, or stop the other one',
          ),
          { code: 'EBUSY' },
        );
      }
      tcLock = fd;
    }
    let native: NativeCapture;
    try {
      native = new Capture({
        maxFlows: options.maxFlows,
        sampling: options.sampling,
        ringBufferBytes: options.ringBufferBytes,
        onOverflow: options.onOverflow,
        onWake: () => capture.woken(), // called only after park(), once `capture` is assigned below
        packetDrops: options.packetDrops,
        rtt: options.rtt,
        dnsPort: options.dnsPort,
        deduplicate: options.deduper !== 'none',
        ...filterMaps(options.filterRules ?? []),
      });
    } catch (error) {
      if (tcLock !== undefined) closeSync(tcLock);
      throw error;
    }
    const capture = new FlowCapture(native, options, select, directions, mode, tcLock);
    // A name in INTERFACES that is missing may be a device still to come (as NetObserv has it).
    capture.missing = ranges.length > 0 ? [] : missingNames(available, include).filter((name) => !matches(name, exclude));
    try {
      for (const candidate of selected) capture.attach(candidate);
      if (options.listen === 'watch') capture.watcher = new LinkWatcher((error) => (error ? capture.watchFailed(error) : capture.linksChanged()));
      if (options.listen === 'poll') capture.pollInterfaces();
      capture.startHookChecker();
    } catch (error) {
      capture.watcher?.close();
      native.close();
      if (tcLock !== undefined) closeSync(tcLock);
      throw error;
    }
    return capture;
  }

  /**
   * Drops and RTT as tracked, and the features asked for that this kernel cannot provide (each
   * with why): the capture runs without them.
   */
  features(): { packetDrops: boolean; rtt: boolean; dnsTracking: boolean; unavailable: string[] } {
    return this.native.features();
  }

  get attachments(): Attachment[] {
    return [...this.attached.values()].flat();
  }

  /** Hooks ("name/direction") of selected interfaces that are not attached now. */
  get unhooked(): string[] {
    return [...this.lostHooks];
  }

  /**
   * Stops needing drains while nothing happens: true when nothing was written to the kernel's
   * hashes since the last drain (it took nothing), no hook is missing, and the kernel will ring at
   * the next write; `onWake` is called then, once. Until then the hooks are checked every
   * `parkedHookCheckPeriodMs` (that timer keeps the process alive). false: nothing changed.
   * A drain or close ends it too.
   */
  park(onWake: () => void): boolean {
    if (this.closed || this.parkedWake || this.lostHooks.size > 0 || !this.native.park()) return false;
    this.parkedWake = onWake;
    // This timer instead of the drains' one: the only wakeup of a parked agent (no drain restarts it).
    clearInterval(this.hookChecker);
    const period = this.options.parkedHookCheckPeriodMs ?? DEFAULT_PARKED_HOOK_CHECK_PERIOD_MS;
    this.parkedHookChecker = setInterval(() => this.checkHooksReporting(), period);
    return true;
  }

  get parked(): boolean {
    return this.parkedWake !== undefined;
  }

  private unpark(): void {
    if (!this.parkedWake) return;
    this.parkedWake = undefined;
    clearInterval(this.parkedHookChecker);
    this.native.unpark();
    if (!this.closed) this.startHookChecker();
  }

  /**
   * Drains may be far apart (CACHE_ACTIVE_TIMEOUT up to 24h): a lost hook is found sooner. Each
   * drain restarts the wait, and the wait is a quarter longer than the period, so that a drain
   * due as often as the period (the default 5 s interval) comes first and this never runs.
   */
  private startHookChecker(): void {
    const period = this.options.hookCheckPeriodMs ?? DEFAULT_HOOK_CHECK_PERIOD_MS;
    if (period > 0) this.hookChecker = setInterval(() => this.closed || this.checkHooksReporting(), period * 1.25).unref();
  }

  /** The kernel rang the doorbell while parked. */
  private woken(): void {
    const wake = this.parkedWake;
    this.unpark();
    wake?.();
  }

  /**
   * Every flow counted since the previous drain; each packet appears in exactly one drain.
   * Then checks that every hook still holds our program, and attaches again those that do not.
   */
  drain(): Promise<DrainedFlows> {
    this.unpark();
    return this.serialized(async () => {
      // An idle agent's interval: nothing written to the kernel's hashes, so no worker thread.
      const drained = this.native.drainIfIdle() ? IDLE_DRAIN : await this.native.drain(false);
      const flows = new DrainedFlows(drained.flows, this.names, drained.extras);
      for (const warning of drained.warnings) this.options.onError?.(warning);
      this.checkHooksReporting(); // the drained flows are delivered whatever it finds
      this.hookChecker?.refresh(); // just checked: the periodic check waits anew
      return flows;
    });
  }

  /** The kernel's counters; after close, as they were once everything was drained. */
  counters(): KernelCounters {
    return this.finalCounters ?? this.native.counters();
  }

  memory(): KernelMemory {
    return this.native.memory();
  }

  /** Detaches everything, then returns the flows still held (both maps and the ring buffer). */
  close(): Promise<DrainedFlows> {
    this.watcher?.close();
    this.watcher = undefined;
    this.unpark();
    clearInterval(this.poller);
    clearInterval(this.hookChecker);
    return this.serialized(async () => {
      for (const name of [...this.attached.keys()]) this.detach(name);
      const drained = await this.native.drain(true);
      const remaining = new DrainedFlows(drained.flows, this.names, drained.extras);
      for (const warning of drained.warnings) this.options.onError?.(warning);
      this.finalCounters = this.native.counters();
      this.native.close();
      if (this.tcLock !== undefined) closeSync(this.tcLock);
      this.closed = true;
      return remaining;
    });
  }

  private attach({ name, ifIndex }: NetworkInterface): void {
    this.removeStaleFilters(name);
    const attachments: Attachment[] = [];
    try {
      for (const direction of this.directions) {
        attachments.push({ name, ifIndex, direction, mode: this.native.attach(name, direction, this.mode) });
      }
    } finally {
      // Whatever got attached is recorded, so that detach and close find it.
      if (attachments.length > 0) this.attached.set(name, attachments);
    }
    this.names.set(ifIndex, name);
  }

  /**
   * Removes clsact filters a killed flowcast left on the interface, unless a live one owns them:
   * only the holder of TC_LOCK has live filters in this namespace.
   */
  private removeStaleFilters(name: string): void {
    if (this.tcLock !== undefined) {
      this.native.removeStaleFilters(name);
      return;
    }
    const lock = loadAddon().tryLockNetns(TC_LOCK);
    if (lock < 0) return;
    try {
      this.native.removeStaleFilters(name);
    } finally {
      closeSync(lock);
    }
  }

  private detach(name: string): void {
    for (const { direction } of this.attached.get(name) ?? []) {
      this.native.detach(name, direction);
      this.lostHooks.delete(`${name}/${direction}`);
    }
    this.attached.delete(name);
  }

  private checkHooksReporting(): void {
    try {
      this.checkHooks();
    } catch (error) {
      this.options.onError?.(error as Error);
    }
    // A hook that could not be attached again is tried at every drain: back to drains.
    if (this.parked && this.lostHooks.size > 0) this.woken();
  }

  /** Finds hooks removed or replaced from outside, reports them and attaches them again. */
  private checkHooks(): void {
    this.hookChecks++;
    let rescan = false;
    for (const { name, direction } of this.native.lostAttachments()) {
      // An interface deleted (or renamed) takes its hooks along: that is the rescan's business.
      if (interfaceIndex(name) !== this.attached.get(name)?.[0].ifIndex) {
        rescan = true;
        continue;
      }
      this.hooksLost++;
      this.lostHooks.add(`${name}/${direction}`);
      this.options.onHookLost?.({ name, direction });
    }
    for (const hook of this.lostHooks) {
      const [name, direction] = hook.split('/') as [string, Direction];
      try {
        this.native.reattach(name, direction, this.mode);
        this.lostHooks.delete(hook);
      } catch (error) {
        this.options.onError?.(error as Error); // tried again after the next drain
      }
    }
    if (rescan) this.reconcile();
  }

  private pollInterfaces(): void {
    this.poller = setInterval(() => this.reconcile(), this.options.pollPeriodMs ?? DEFAULT_POLL_PERIOD_MS).unref();
  }

  /** The link events can no longer be read (the watch has stopped): rescan on a timer instead. */
  private watchFailed(error: Error): void {
    if (!this.watcher) return; // closed meanwhile
    this.watcher.close();
    this.watcher = undefined;
    error.message += `; rescanning the interfaces every ${this.options.pollPeriodMs ?? DEFAULT_POLL_PERIOD_MS} ms instead`;
    this.options.onError?.(error);
    this.pollInterfaces();
    this.reconcile(); // events may have been missed
  }

  /**
   * A link or tc event: interfaces may have come or gone, and a clsact hook of ours may have been
   * removed. While parked, no drain checks the hooks: the event does (tc events say nothing of TCX links).
   */
  private linksChanged(): void {
    this.reconcile();
    if (this.parked && this.mode === 'tc') this.checkHooksReporting();
  }

  /** Brings the attachments in line with the interfaces there are now; on failure, tries at the next event. */
  private reconcile(): void {
    if (this.closed) return;
    try {
      this.reconcileNow();
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  private reconcileNow(): void {
    const wanted = new Map(this.select(listInterfaces()).map((candidate) => [candidate.name, candidate]));
    const detached: string[] = [];
    const attached: string[] = [];
    for (const [name, attachments] of this.attached) {
      // Gone, deselected, or the name now belongs to another interface (another index).
      if (wanted.get(name)?.ifIndex !== attachments[0].ifIndex) {
        this.detach(name);
        detached.push(name);
      }
    }
    for (const candidate of wanted.values()) {
      if (this.attached.has(candidate.name)) continue;
      try {
        this.attach(candidate);
        attached.push(candidate.name);
      } catch (error) {
        this.options.onError?.(error as Error); // it may have vanished between listing and attaching
      }
    }
    if (attached.length > 0 || detached.length > 0) this.options.onInterfaces?.({ attached, detached });
  }

  /** Drains and the close run one at a time: the native side allows one drain at once. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.draining.then(() => {
      if (this.closed) throw new Error('the capture is closed');
      return task();
    });
    this.draining = run.catch(() => undefined);
    return run;
  }
}
