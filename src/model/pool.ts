// Large objects (flow columns, encoders' output buffers) lent out and given back, so that a process
// handling one message of thousands of flows after another (flowcast-bridge) does not allocate,
// zero and collect megabytes per message: garbage collection was a fifth of the bridge's CPU
// (docs/benchmarks.md, "Collector"). What a pool keeps is bounded in bytes; what it lends is the
// borrower's to bound.
export interface ReusePoolOptions<T> {
  /** Bytes the pool may keep while nothing borrows them (read at each give: it may shrink). */
  maxBytes: number | (() => number);
  /** What an item holds (flows, bytes): a borrower asks for at least this much. */
  capacityOf(item: T): number;
  bytesOf(item: T): number;
  /** A new item of at least `capacity`. */
  make(capacity: number): T;
}

export class ReusePool<T> {
  private readonly free: T[] = [];
  private keptBytes = 0;
  /** The largest capacity asked for or given back: new items are made this large, smaller ones are not kept. */
  private largest = 0;

  constructor(private readonly options: ReusePoolOptions<T>) {}

  /** Bytes kept for the next borrowers. */
  get bytes(): number {
    return this.keptBytes;
  }

  /** An item of at least `capacity`: a kept one, or a new one as large as the largest seen. */
  take(capacity = 0): T {
    const { capacityOf, bytesOf, make } = this.options;
    this.largest = Math.max(this.largest, capacity);
    const index = this.free.findIndex((item) => capacityOf(item) >= capacity);
    if (index < 0) return make(this.largest);
    const [item] = this.free.splice(index, 1);
    this.keptBytes -= bytesOf(item);
    return item;
  }

  /**
   * Gives an item back: the caller must be done with it, and so must every library it handed the
   * item to. Kept unless smaller than the largest seen or over the byte bound (then left to the GC).
   */
  give(item: T): void {
    const { capacityOf, bytesOf, maxBytes } = this.options;
    const capacity = capacityOf(item);
    this.largest = Math.max(this.largest, capacity);
    if (this.free.includes(item)) throw new Error('an item was given back to the pool twice');
    const bytes = bytesOf(item);
    if (capacity < this.largest || this.keptBytes + bytes > (typeof maxBytes === 'number' ? maxBytes : maxBytes())) return;
    this.free.push(item);
    this.keptBytes += bytes;
    // Items smaller than the largest seen will not be asked for again: let them go.
    for (let index = this.free.length - 1; index >= 0; index--) {
      const kept = this.free[index];
      if (capacityOf(kept) >= this.largest) continue;
      this.free.splice(index, 1);
      this.keptBytes -= bytesOf(kept);
    }
  }
}
