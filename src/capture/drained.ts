// One drain's flows as the kernel handed them over: packed flow_record structs, decoded on demand.
import { decodeFlows, type FlowRecord } from './decode.js';
import { EXTRAS_SIZE, RECORD_SIZE } from './layout.js';

export class DrainedFlows {
  constructor(
    /** flow_record structs (src/capture/layout.ts), back to back. */
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

  /** Per-flow objects, for consumers that want them (stdout, gRPC, tests). */
  decode(): FlowRecord[] {
    return decodeFlows(this.records, (ifIndex) => this.interfaceName(ifIndex), this.extras);
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
