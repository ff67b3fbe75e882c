// Large objects (flow columns, encoders' output buffers) lent out and given back, so that a process
// handling one message of thousands of flows after another (flowcast-bridge) does not allocate,
// zero and collect megabytes per message: garbage collection was a fifth of the bridge's CPU
// (docs/benchmarks.md, "Collector"). What a pool keeps is bounded in bytes; what it lends is the
// borrower's to bound.
export interface ReusePoolOptions<T> {
  /** Bytes the pool may keep while nothing borrows them (read at each give: it may shrink). */
  maxBytes: number | (() => number);
  /** What an item holds (flows, bytes). */
  capacityOf(item: T): number;
  bytesOf(item: T): number;
  /** A new item of at least `capacity`. */
  make(capacity: number): T;
}

/**
 * A borrower asking for a capacity gets a kept item of at least that and at most twice that, the
 * smallest such (a held Send counts the memory its columns keep: a small one must not keep a large
 * one's), or a new one. One asking for none gets the item given back last (a buffer that grows).
 */
export class ReusePool<T> {
  /** Oldest given back first. */
  private readonly free: T[] = [];
  private keptBytes = 0;

  constructor(private readonly options: ReusePoolOptions<T>) {}

  /** Bytes kept for the next borrowers. */
  get bytes(): number {
    return this.keptBytes;
  }

  take(capacity?: number): T {
    const { capacityOf, make } = this.options;
    let index = capacity === undefined ? this.free.length - 1 : -1;
    if (capacity !== undefined) {
      for (let at = 0; at < this.free.length; at++) {
        const size = capacityOf(this.free[at]);
        if (size >= capacity && size <= 2 * capacity && (index < 0 || size < capacityOf(this.free[index]))) index = at;
      }
    }
    if (index < 0) return make(capacity ?? 0);
    const [item] = this.free.splice(index, 1);
    this.keptBytes -= this.options.bytesOf(item);
    return item;
  }

  /**
   * Gives an item back: the caller must be done with it, and so must every library it handed the
   * item to. Kept within the byte bound, the oldest kept ones let go first (to the GC).
   */
  give(item: T): void {
    const { bytesOf, maxBytes } = this.options;
    if (this.free.includes(item)) throw new Error('an item was given back to the pool twice');
    this.free.push(item);
    this.keptBytes += bytesOf(item);
    const bound = typeof maxBytes === 'number' ? maxBytes : maxBytes();
    while (this.keptBytes > bound) this.keptBytes -= bytesOf(this.free.shift()!);
  }
}
