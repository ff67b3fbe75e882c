// The capture API: select interfaces, attach the BPF programs, drain decoded flows, detach.
import { BPF_OBJECT_PATH, loadAddon, type AttachMode, type Direction, type KernelCounters, type NativeCapture, type NativeLinkWatcher } from '../native/index.js';
import { DrainedFlows } from './drained.js';
import { listInterfaces, matches, parseCidrs, parseInterfaceList, selectByAddress, selectInterfaces, type NetworkInterface } from './interfaces.js';

export type { FlowRecord } from './decode.js';
export { DrainedFlows } from './drained.js';
export { formatAddress, formatMac } from './decode.js';
export type { Direction, AttachMode, KernelCounters } from '../native/index.js';

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
  /** Called after interfaces were attached or detached while running. */
  onInterfaces?: (change: { attached: string[]; detached: string[] }) => void;
  /** Called when an interface that appeared could not be attached (it may be gone already). */
  onError?: (error: Error) => void;
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
  private draining: Promise<unknown> = Promise.resolve();
  private closed = false;
  private watcher: NativeLinkWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;

  private constructor(
    private readonly native: NativeCapture,
    private readonly options: CaptureOptions,
    private readonly select: (available: NetworkInterface[]) => NetworkInterface[],
    private readonly directions: Direction[],
  ) {}

  /** Attaches to every selected interface; on any failure detaches what it attached and throws. */
  static open(options: CaptureOptions = {}): FlowCapture {
    const include = parseInterfaceList(options.interfaces ?? [], 'INTERFACES');
    const exclude = parseInterfaceList(options.excludeInterfaces ?? ['lo'], 'EXCLUDE_INTERFACES');
    const ranges = parseCidrs(options.interfaceIps ?? [], 'INTERFACE_IPS');
    const select = (available: NetworkInterface[], strict: boolean) =>
      ranges.length > 0
        ? selectByAddress(available, ranges).filter(({ name }) => !matches(name, exclude))
        : selectInterfaces(available, include, exclude, strict);
    const selected = select(listInterfaces(), true);
    const directions: Direction[] = options.direction === 'both' || !options.direction ? ['ingress', 'egress'] : [options.direction];
    const { Capture, LinkWatcher } = loadAddon();
    const native = new Capture({
      objectPath: BPF_OBJECT_PATH,
      maxFlows: options.maxFlows,
      sampling: options.sampling,
      ringBufferBytes: options.ringBufferBytes,
      onOverflow: options.onOverflow,
    });
    // Later, an interface named in INTERFACES that is missing is not an error: it may come back.
    const capture = new FlowCapture(native, options, (available) => select(available, false), directions);
    try {
      for (const candidate of selected) capture.attach(candidate);
      if (options.listen === 'watch') capture.watcher = new LinkWatcher(() => capture.reconcile());
      if (options.listen === 'poll') capture.poller = setInterval(() => capture.reconcile(), options.pollPeriodMs ?? 10_000).unref();
    } catch (error) {
      capture.watcher?.close();
      native.close();
      throw error;
    }
    return capture;
  }

  get attachments(): Attachment[] {
    return [...this.attached.values()].flat();
  }

  /** Every flow counted since the previous drain; each packet appears in exactly one drain. */
  drain(): Promise<DrainedFlows> {
    return this.serialized(async () => new DrainedFlows(await this.native.drain(false), this.names));
  }

  counters(): KernelCounters {
    return this.native.counters();
  }

  /** Detaches everything, then returns the flows still held (both maps and the ring buffer). */
  close(): Promise<DrainedFlows> {
    this.watcher?.close();
    clearInterval(this.poller);
    return this.serialized(async () => {
      for (const name of [...this.attached.keys()]) this.detach(name);
      const remaining = new DrainedFlows(await this.native.drain(true), this.names);
      this.native.close();
      this.closed = true;
      return remaining;
    });
  }

  private attach({ name, ifIndex }: NetworkInterface): void {
    this.native.removeStaleFilters(name);
    const attachments: Attachment[] = [];
    try {
      for (const direction of this.directions) {
        attachments.push({ name, ifIndex, direction, mode: this.native.attach(name, direction, this.options.attachMode) });
      }
    } finally {
      // Whatever got attached is recorded, so that detach and close find it.
      if (attachments.length > 0) this.attached.set(name, attachments);
    }
    this.names.set(ifIndex, name);
  }

  private detach(name: string): void {
    for (const { direction } of this.attached.get(name) ?? []) this.native.detach(name, direction);
    this.attached.delete(name);
  }

  /** Brings the attachments in line with the interfaces there are now. */
  private reconcile(): void {
    if (this.closed) return;
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
