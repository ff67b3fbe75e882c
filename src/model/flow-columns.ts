// Flows as columns: what the fast decoders (Avro FlowBatch, pbflow Records) read a message into
// and what the column writers (pbflow, Avro) read from, so a consumer or the bridge handles
// thousands of flows without building an object per flow and per field. A FlowRecord object is
// built only when asked for (flow(i), decode()). NetObserv's optional features (drops, DNS,
// network events, xlat, IPsec, TLS, QUIC) and a dupList other than the flow's own one entry are
// rare: they are kept per flow in a sparse map.
import { ReusePool } from './pool.js';
import type { FlowDns, FlowDrops, FlowIpsec, FlowQuic, FlowRecord, FlowTls, FlowXlat, InterfaceDirection } from './record.js';

/** The optional parts of a flow that only some flows have. */
export interface FlowFeatures {
  /** Set when dupListKind is DUP_LIST_OTHER. */
  dupList?: InterfaceDirection[];
  drops?: FlowDrops | null;
  dns?: FlowDns | null;
  networkEvents?: Record<string, string>[];
  xlat?: FlowXlat | null;
  ipsec?: FlowIpsec | null;
  tls?: FlowTls | null;
  quic?: FlowQuic | null;
}

/** dupListKind values: no entry (schema revision 1), the flow's own one entry (interface, direction, no UDN), or another list in `features`. */
export const DUP_LIST_NONE = 0;
export const DUP_LIST_OWN = 1;
export const DUP_LIST_OTHER = 2;

export const MAC_BYTES = 12; // source then destination, 6 each
export const ADDRESS_BYTES = 32; // source then destination, 16 each (IPv4 mapped)

const DIRECTIONS = ['ingress', 'egress'] as const;
const NAME_CACHE = 16;

export class FlowColumns {
  /** Which kind of flows a batch holds (see flowsKind in batch.ts). */
  readonly kind = 'columns' as const;
  /** Interface names; `interfaceIndex` points into it. */
  readonly names: string[];
  readonly interfaceIndex: Uint32Array;
  /** Avro ints are doubles here: avsc reads an int of more than 32 bits as it is, and so does the fast reader. */
  readonly ifIndex: Float64Array;
  /** 0 ingress, 1 egress. */
  readonly direction: Uint8Array;
  readonly etherType: Float64Array;
  readonly protocol: Float64Array;
  readonly srcPort: Float64Array;
  readonly dstPort: Float64Array;
  readonly icmpType: Float64Array;
  readonly icmpCode: Float64Array;
  readonly tcpFlags: Float64Array;
  readonly dscp: Float64Array;
  readonly sampling: Float64Array;
  readonly netobservTcpFlags: Float64Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  /** Microseconds since the Unix epoch. */
  readonly firstSeen: Float64Array;
  readonly lastSeen: Float64Array;
  /** Nanoseconds; 0: not measured. */
  readonly rtt: Float64Array;
  /** MAC_BYTES per flow: source MAC, destination MAC. */
  readonly macs: Buffer;
  /** ADDRESS_BYTES per flow: source address, destination address, IPv4 mapped. */
  readonly addresses: Buffer;
  readonly dupListKind: Uint8Array;
  /** By flow index: the flow's optional features, when it has any. */
  readonly features: Map<number, FlowFeatures>;

  /**
   * `length` flows, zero until written; or views of another's columns (see slice), with their own
   * `names` when given (a pool's storage: see FlowColumnsPool).
   */
  constructor(
    readonly length: number,
    from?: { columns: FlowColumns; start: number; features: Map<number, FlowFeatures>; names?: string[] },
  ) {
    const take = <T extends { subarray(a: number, b: number): T }>(column: T | undefined, make: () => T, width = 1): T =>
      column && from ? column.subarray(from.start * width, (from.start + length) * width) : make();
    const source = from?.columns;
    this.names = from?.names ?? (source ? source.names : []);
    this.interfaceIndex = take(source?.interfaceIndex, () => new Uint32Array(length));
    this.ifIndex = take(source?.ifIndex, () => new Float64Array(length));
    this.direction = take(source?.direction, () => new Uint8Array(length));
    this.etherType = take(source?.etherType, () => new Float64Array(length));
    this.protocol = take(source?.protocol, () => new Float64Array(length));
    this.srcPort = take(source?.srcPort, () => new Float64Array(length));
    this.dstPort = take(source?.dstPort, () => new Float64Array(length));
    this.icmpType = take(source?.icmpType, () => new Float64Array(length));
    this.icmpCode = take(source?.icmpCode, () => new Float64Array(length));
    this.tcpFlags = take(source?.tcpFlags, () => new Float64Array(length));
    this.dscp = take(source?.dscp, () => new Float64Array(length));
    this.sampling = take(source?.sampling, () => new Float64Array(length));
    this.netobservTcpFlags = take(source?.netobservTcpFlags, () => new Float64Array(length));
    this.packets = take(source?.packets, () => new Float64Array(length));
    this.bytes = take(source?.bytes, () => new Float64Array(length));
    this.firstSeen = take(source?.firstSeen, () => new Float64Array(length));
    this.lastSeen = take(source?.lastSeen, () => new Float64Array(length));
    this.rtt = take(source?.rtt, () => new Float64Array(length));
    this.macs = take(source?.macs, () => Buffer.alloc(length * MAC_BYTES), MAC_BYTES);
    this.addresses = take(source?.addresses, () => Buffer.alloc(length * ADDRESS_BYTES), ADDRESS_BYTES);
    this.dupListKind = take(source?.dupListKind, () => new Uint8Array(length));
    this.features = from ? from.features : new Map();
  }

  /** The index of `name` in `names`, added if new. */
  nameIndex(name: string): number {
    this.nameLookup ??= new Map(this.names.map((known, index) => [known, index]));
    let index = this.nameLookup.get(name);
    if (index === undefined) this.nameLookup.set(name, (index = this.names.push(name) - 1));
    return index;
  }

  private nameLookup?: Map<string, number>;
  /** The encoded names seen by nameAt, to skip decoding a name already known: most messages have a handful. */
  private readonly nameBytes: Uint8Array[] = [];
  private readonly nameBytesIndex: number[] = [];

  /** The index of the UTF-8 name at bytes[start, start + length), added if new (the decoders' interning). */
  nameAt(bytes: Uint8Array, start: number, length: number): number {
    const known = this.nameBytes;
    search: for (let n = 0; n < known.length; n++) {
      const name = known[n];
      if (name.length !== length) continue;
      for (let i = 0; i < length; i++) if (name[i] !== bytes[start + i]) continue search;
      return this.nameBytesIndex[n];
    }
    const index = this.nameIndex(Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('utf8'));
    if (known.length < NAME_CACHE) {
      known.push(bytes.slice(start, start + length));
      this.nameBytesIndex.push(index);
    }
    return index;
  }

  /** Every column (typed arrays and Buffers), for whole-column work: copying, zeroing, sizing. */
  arrays(): ArrayBufferView[] {
    return Object.values(this).filter((value): value is ArrayBufferView => ArrayBuffer.isView(value));
  }

  /** The bytes these columns keep alive (for views: the whole memory they view). */
  retainedBytes(): number {
    return this.arrays().reduce((sum, column) => sum + column.buffer.byteLength, 0);
  }

  interfaceName(flow: number): string {
    return this.names[this.interfaceIndex[flow]];
  }

  /** Flows [from, to) as columns of their own, sharing the memory. */
  slice(from: number, to = this.length): FlowColumns {
    to = Math.min(to, this.length);
    from = Math.min(from, to);
    const features = new Map<number, FlowFeatures>();
    for (const [index, value] of this.features) if (index >= from && index < to) features.set(index - from, value);
    return new FlowColumns(to - from, { columns: this, start: from, features });
  }

  /** Flow `index` as an object (the Avro Flow record, every field present). */
  flow(index: number): FlowRecord {
    const name = this.interfaceName(index);
    const direction = DIRECTIONS[this.direction[index]];
    const features = this.features.get(index);
    const kind = this.dupListKind[index];
    return {
      interface: name,
      ifIndex: this.ifIndex[index],
      direction,
      etherType: this.etherType[index],
      srcMac: Buffer.from(this.macs.subarray(index * MAC_BYTES, index * MAC_BYTES + 6)),
      dstMac: Buffer.from(this.macs.subarray(index * MAC_BYTES + 6, index * MAC_BYTES + 12)),
      srcAddr: Buffer.from(this.addresses.subarray(index * ADDRESS_BYTES, index * ADDRESS_BYTES + 16)),
      dstAddr: Buffer.from(this.addresses.subarray(index * ADDRESS_BYTES + 16, index * ADDRESS_BYTES + 32)),
      protocol: this.protocol[index],
      srcPort: this.srcPort[index],
      dstPort: this.dstPort[index],
      icmpType: this.icmpType[index],
      icmpCode: this.icmpCode[index],
      packets: this.packets[index],
      bytes: this.bytes[index],
      firstSeen: this.firstSeen[index],
      lastSeen: this.lastSeen[index],
      tcpFlags: this.tcpFlags[index],
      dscp: this.dscp[index],
      sampling: this.sampling[index],
      netobservTcpFlags: this.netobservTcpFlags[index],
      dupList: kind === DUP_LIST_OWN ? [{ interface: name, direction, udn: '' }] : kind === DUP_LIST_OTHER ? features!.dupList! : [],
      drops: features?.drops ?? null,
      dns: features?.dns ?? null,
      rtt: this.rtt[index],
      networkEvents: features?.networkEvents ?? [],
      xlat: features?.xlat ?? null,
      ipsec: features?.ipsec ?? null,
      tls: features?.tls ?? null,
      quic: features?.quic ?? null,
    };
  }

  /** Every flow as an object (as DrainedFlows.decode()). */
  decode(): FlowRecord[] {
    return Array.from({ length: this.length }, (_, index) => this.flow(index));
  }

  /** Flow objects as columns (for the column writers). */
  static fromRecords(flows: readonly FlowRecord[]): FlowColumns {
    const columns = new FlowColumns(flows.length);
    flows.forEach((flow, index) => {
      columns.interfaceIndex[index] = columns.nameIndex(flow.interface);
      columns.ifIndex[index] = flow.ifIndex;
      columns.direction[index] = flow.direction === 'egress' ? 1 : 0;
      columns.etherType[index] = flow.etherType;
      columns.protocol[index] = flow.protocol;
      columns.srcPort[index] = flow.srcPort;
      columns.dstPort[index] = flow.dstPort;
      columns.icmpType[index] = flow.icmpType;
      columns.icmpCode[index] = flow.icmpCode;
      columns.tcpFlags[index] = flow.tcpFlags;
      columns.dscp[index] = flow.dscp;
      columns.sampling[index] = flow.sampling;
      columns.netobservTcpFlags[index] = flow.netobservTcpFlags;
      columns.packets[index] = flow.packets;
      columns.bytes[index] = flow.bytes;
      columns.firstSeen[index] = flow.firstSeen;
      columns.lastSeen[index] = flow.lastSeen;
      columns.rtt[index] = flow.rtt ?? 0;
      columns.macs.set(flow.srcMac, index * MAC_BYTES);
      columns.macs.set(flow.dstMac, index * MAC_BYTES + 6);
      columns.addresses.set(flow.srcAddr, index * ADDRESS_BYTES);
      columns.addresses.set(flow.dstAddr, index * ADDRESS_BYTES + 16);
      const { dupList } = flow;
      const own = dupList.length === 1 && dupList[0].interface === flow.interface && dupList[0].direction === flow.direction && dupList[0].udn === '';
      columns.dupListKind[index] = dupList.length === 0 ? DUP_LIST_NONE : own ? DUP_LIST_OWN : DUP_LIST_OTHER;
      const features: FlowFeatures = {};
      let any = false;
      if (columns.dupListKind[index] === DUP_LIST_OTHER) {
        features.dupList = dupList;
        any = true;
      }
      for (const key of ['drops', 'dns', 'xlat', 'ipsec', 'tls', 'quic'] as const) {
        if (flow[key]) {
          features[key] = flow[key] as never;
          any = true;
        }
      }
      if (flow.networkEvents?.length) {
        features.networkEvents = flow.networkEvents;
        any = true;
      }
      if (any) columns.features.set(index, features);
    });
    return columns;
  }
}

/**
 * Columns lent to a decoder and given back once the flows are handled (flowcast-bridge): views of
 * `length` flows, zeroed as a new FlowColumns is, of storage for `length` to twice as many (see ReusePool).
 */
export class FlowColumnsPool {
  /** The columns lent, and the storage each views. */
  private readonly lent = new WeakMap<FlowColumns, FlowColumns>();
  private readonly pool: ReusePool<FlowColumns>;

  /** `maxBytes`: what the pool keeps while nothing borrows it (see ReusePool). */
  constructor(maxBytes: number | (() => number)) {
    this.pool = new ReusePool({
      maxBytes,
      capacityOf: (storage) => storage.length,
      bytesOf: (storage) => storage.retainedBytes(),
      make: (capacity) => new FlowColumns(capacity),
    });
  }

  /** Bytes kept for the next borrowers. */
  get bytes(): number {
    return this.pool.bytes;
  }

  take(length: number): FlowColumns {
    const storage = this.pool.take(length);
    const columns = new FlowColumns(length, { columns: storage, start: 0, features: new Map(), names: [] });
    // The readers leave absent fields as they find them: zero, as in new columns.
    for (const column of columns.arrays()) (column as Uint8Array).fill(0);
    this.lent.set(columns, storage);
    return columns;
  }

  /**
   * Gives back columns this pool lent (others are left alone, and so is a second give): no one may
   * read or write them, or a slice of them, afterwards.
   */
  give(columns: FlowColumns): void {
    const storage = this.lent.get(columns);
    if (!storage) return;
    this.lent.delete(columns);
    this.pool.give(storage);
  }
}
