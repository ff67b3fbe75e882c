// Typed access to the native addon (native/) and the BPF object (bpf/). Nothing else loads them.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import type { Direction } from '../model/index.js';

// Same depth from src/native and dist/native, so the path holds for sources and builds alike.
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
// The BPF objects are embedded in the addon (libbpf skeletons generated at build time).
export const ADDON_PATH = `${projectRoot}native/build/Release/flowcast.node`;

export type AttachMode = 'any' | 'tcx' | 'tc';

export interface NativeCaptureOptions {
  maxFlows?: number;
  sampling?: number;
  ringBufferBytes?: number;
  /** Called when the flow map was full and packets went through the ring buffer. */
  onOverflow?: () => void;
  /** Called once after park() returned true, when the kernel rang the doorbell (bpf/written.h). */
  onWake?: () => void;
  /** ENABLE_PKT_DROPS: the skb:kfree_skb tracepoint. */
  packetDrops?: boolean;
  /** ENABLE_RTT: fentry on tcp_rcv_established. */
  rtt?: boolean;
  /** ENABLE_DNS_TRACKING: DNS_TRACKING_PORT (53 is tracked too); 0 or absent: not tracking. */
  dnsPort?: number;
  /** DEDUPER=firstCome (the default): one flow per 5-tuple across interfaces (bpf/flow.h). */
  deduplicate?: boolean;
  /** FLOW_FILTER_RULES (src/capture/filter.ts writes them); none: no filtering. */
  filterRules?: NativeFilterRule[];
  filterPeers?: NativeFilterPeer[];
}

/** Packets FLOW_FILTER_RULES counted for one rule. */
export interface FilterCounts {
  accepted: number;
  rejected: number;
  noMatch: number;
}

/** bpf/filter.h: a rule's direction (or a hook's) when any. */
export const FILTER_DIRECTION_ANY = 2;

/** An address range of bpf/filter.h's tries: 16 bytes (IPv4-mapped) and a prefix length. */
export interface NativeFilterRange {
  prefixLen: number;
  ip: Buffer;
}

/** struct filter_rule (bpf/filter.h), field by field; ports 0 are unset. */
export interface NativeFilterRule {
  range: NativeFilterRange;
  index: number;
  sample: number;
  srcPortStart: number;
  srcPortEnd: number;
  srcPort1: number;
  srcPort2: number;
  dstPortStart: number;
  dstPortEnd: number;
  dstPort1: number;
  dstPort2: number;
  portStart: number;
  portEnd: number;
  port1: number;
  port2: number;
  tcpFlags: number;
  protocol: number;
  icmpType: number;
  icmpCode: number;
  hasIcmpType: number;
  hasIcmpCode: number;
  /** 0 ingress, 1 egress, FILTER_DIRECTION_ANY. */
  direction: number;
  /** 0 accept, 1 reject. */
  action: number;
  drops: number;
  hasPeer: number;
}

/** A peer range and the bits of the rules whose peer range contains it. */
export interface NativeFilterPeer {
  range: NativeFilterRange;
  rules: number;
}

/** What is tracked besides the flows, and what was asked for but this kernel cannot do (and why). */
export interface NativeFeatures {
  packetDrops: boolean;
  rtt: boolean;
  dnsTracking: boolean;
  unavailable: string[];
}

/** One drain: packed flow_record structs, and one flow_extras each when drops, RTT or DNS are tracked. */
export interface NativeDrain {
  flows: Buffer;
  extras?: Buffer;
  /**
   * Failures once flows had been taken from the kernel (the flows above are still all that was
   * taken; the rest waits for a later drain), and a failure of the ring buffer's watch.
   */
  warnings: Error[];
}

export interface KernelCounters {
  ringBufferPackets: number;
  lostPackets: number;
  /** Interfaces not listed in a flow's dupList: its six other-interface slots were taken. */
  observedInterfacesMissed: number;
  attachments: number;
  /** Drains that found no flow created since the previous one (bpf/written.h): the flow maps were neither switched nor read. */
  idleDrains: number;
  /** With FLOW_FILTER_RULES: one per rule, then the packets no rule's ip_cidr held (noMatch only). */
  filtered?: FilterCounts[];
}

export interface KernelMemory {
  flowMapsBytes: number;
  ringBufferBytes: number;
}

export interface NativeCapture {
  attach(ifname: string, direction: Direction, mode?: AttachMode): 'tcx' | 'tc';
  detach(ifname: string, direction: Direction): void;
  /** Forgets a lost hook and attaches again. */
  reattach(ifname: string, direction: Direction, mode?: AttachMode): 'tcx' | 'tc';
  /** Hooks recorded as ours that no longer hold our program (removed or replaced from outside). */
  lostAttachments(): { name: string; direction: Direction }[];
  /** Kernel memory of the two flow maps and of the ring buffer. */
  memory(): KernelMemory;
  removeStaleFilters(ifname: string): void;
  /** Resolves to packed flow_record (and flow_extras) structs (see src/model/layout.ts). */
  drain(bothMaps?: boolean): Promise<NativeDrain>;
  /** True when a drain now would take nothing (no hash written to since the last one), counted as an idle drain; false: call drain(). */
  drainIfIdle(): boolean;
  /**
   * True when nothing was written since the last drain and the kernel will ring the doorbell at
   * the next write (onWake then); false: nothing changed, drain as usual. drain() and unpark() end it.
   */
  park(): boolean;
  unpark(): void;
  counters(): KernelCounters;
  features(): NativeFeatures;
  close(): void;
}

/** Offsets and sizes of struct flow_record as the C++ compiler laid it out from bpf/flow.h. */
export interface NativeLayout {
  recordSize: number;
  fields: Record<string, [offset: number, size: number]>;
  /** struct flow_extras. */
  extrasSize: number;
  extrasFields: Record<string, [offset: number, size: number]>;
}

export interface NativeLinkWatcher {
  close(): void;
}

interface Addon {
  Capture: new (options: NativeCaptureOptions) => NativeCapture;
  /**
   * Calls back on the main loop after every burst of rtnetlink link or traffic-control events (or
   * events lost): the caller rescans the interfaces and checks its hooks. With an error, once, when reading the events failed: the watch
   * has stopped.
   */
  LinkWatcher: new (onChange: (error?: Error) => void) => NativeLinkWatcher;
  layout(): NativeLayout;
  /** The running kernel's enum skb_drop_reason names by value (empty without kernel BTF). */
  dropReasonNames(): Record<number, string>;
  /** Whether the kernel has TCX hooks (6.6+). */
  tcxSupported(): boolean;
  /**
   * Takes the lock `name` of this network namespace (an abstract unix socket, released by the
   * kernel when the process ends): its fd, to close to release it, or -1 when another holds it.
   */
  tryLockNetns(name: string): number;
}

let addon: Addon | undefined;

export function loadAddon(): Addon {
  if (!addon) {
    try {
      addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    } catch (error) {
      throw new Error(`the native addon is not built (${ADDON_PATH}): run "make build"`, { cause: error });
    }
  }
  return addon;
}
