// The capture API: select interfaces, attach the BPF programs, drain decoded flows, detach.
import { BPF_OBJECT_PATH, loadAddon, type AttachMode, type Direction, type KernelCounters, type NativeCapture } from '../native/index.js';
import { DrainedFlows } from './drained.js';
import { listInterfaces, parseInterfaceList, selectInterfaces } from './interfaces.js';

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
  /** Called when a map filled up: drain soon. */
  onOverflow?: () => void;
}

export interface Attachment {
  name: string;
  ifIndex: number;
  direction: Direction;
  mode: 'tcx' | 'tc';
}

export class FlowCapture {
  private readonly names = new Map<number, string>();
  private draining: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly native: NativeCapture,
    readonly attachments: readonly Attachment[],
  ) {
    for (const attachment of attachments) this.names.set(attachment.ifIndex, attachment.name);
  }

  /** Attaches to every selected interface; on any failure detaches what it attached and throws. */
  static open(options: CaptureOptions = {}): FlowCapture {
    const include = parseInterfaceList(options.interfaces ?? [], 'INTERFACES');
    const exclude = parseInterfaceList(options.excludeInterfaces ?? ['lo'], 'EXCLUDE_INTERFACES');
    const selected = selectInterfaces(listInterfaces(), include, exclude);
    const directions: Direction[] = options.direction === 'both' || !options.direction ? ['ingress', 'egress'] : [options.direction];
    const { Capture } = loadAddon();
    const native = new Capture({
      objectPath: BPF_OBJECT_PATH,
      maxFlows: options.maxFlows,
      sampling: options.sampling,
      ringBufferBytes: options.ringBufferBytes,
      onOverflow: options.onOverflow,
    });
    const attachments: Attachment[] = [];
    try {
      for (const { name, ifIndex } of selected) {
        native.removeStaleFilters(name);
        for (const direction of directions) {
          attachments.push({ name, ifIndex, direction, mode: native.attach(name, direction, options.attachMode) });
        }
      }
    } catch (error) {
      native.close();
      throw error;
    }
    return new FlowCapture(native, attachments);
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
    return this.serialized(async () => {
      for (const { name, direction } of this.attachments) this.native.detach(name, direction);
      const remaining = new DrainedFlows(await this.native.drain(true), this.names);
      this.native.close();
      this.closed = true;
      return remaining;
    });
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

