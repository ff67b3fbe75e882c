// One drain's flows as the kernel handed them over: packed flow_record structs, decoded on demand.
import type { FlowColumns } from './flow-columns.js';
import { decodeColumns } from './drained-columns.js';
import { decodeFlows, readUint64, type FlowRecord } from './record.js';
import { EXTRAS_SIZE, RECORD_SIZE, offsetOf } from './layout.js';

const PACKETS = offsetOf('metrics.packets');
const BYTES = offsetOf('metrics.bytes');

export class DrainedFlows {
  /** Which kind of flows a batch holds (see flowsKind). */
  readonly kind = 'drained' as const;
  constructor(
    /** flow_record structs (src/model/layout.ts), back to back. */
    readonly records: Buffer,
    private readonly names: ReadonlyMap<number, string>,
    /** When drops or RTT are tracked: one flow_extras struct per record, in the same order. */
    readonly extras?: Buffer,
  ) {
    if (records.length % RECORD_SIZE !== 0) {
      throw new Error(`a drained buffer of ${records.length} bytes is not a whole number of ${RECORD_SIZE}-byte flow records`);
    }
    if (extras && extras.length !== (records.length / RECORD_SIZE) * EXTRAS_SIZE) {
      throw new Error(`a drain's extras (${extras.length} bytes) do not match its ${records.length / RECORD_SIZE} flow records`);
    }
  }

  /** The number of flows (named like an array's, so batches of either split alike). */
  get length(): number {
    return this.records.length / RECORD_SIZE;
  }

  interfaceName(ifIndex: number): string {
    return this.names.get(ifIndex) ?? `if${ifIndex}`;
  }

  /** Packets and bytes of all the flows, read from the structs (no per-flow objects). */
  totals(): { packets: number; bytes: number } {
    const { records } = this;
    let packets = 0;
    let bytes = 0;
    for (let base = 0; base < records.length; base += RECORD_SIZE) {
      packets += readUint64(records, base + PACKETS);
      bytes += readUint64(records, base + BYTES);
    }
    return { packets, bytes };
  }

  /** Per-flow objects, for consumers that want them (stdout, gRPC, tests). */
  decode(): FlowRecord[] {
    return decodeFlows(this.records, (ifIndex) => this.interfaceName(ifIndex), this.extras);
  }

  /** The flows as columns, without an object per flow (for the column writers: pbflow). */
  columns(): FlowColumns {
    return decodeColumns(this.records, (ifIndex) => this.interfaceName(ifIndex), this.extras);
  }

  /** Flows [from, to) as a DrainedFlows of their own, sharing the memory. */
  slice(from: number, to = this.length): DrainedFlows {
    return new DrainedFlows(
      this.records.subarray(from * RECORD_SIZE, to * RECORD_SIZE),
      this.names,
      this.extras?.subarray(from * EXTRAS_SIZE, to * EXTRAS_SIZE),
    );
  }
}

/**
 * The flows of a batch are a drain (the agent's), columns (a fast consumer's) or flow objects
 * (decoded, converted). Encoders choose their path by the `kind` the first two carry rather than
 * `instanceof`, which fails for a DrainedFlows of another copy of this module (a re-imported one,
 * a second package copy).
 */
export function isDrained(flows: { readonly kind?: string } | readonly FlowRecord[]): flows is DrainedFlows {
  return !Array.isArray(flows) && (flows as { readonly kind?: string }).kind === 'drained';
}
