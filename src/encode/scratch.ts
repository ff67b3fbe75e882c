// What the hand-written encoders (Avro from drained structs, pbflow Records) share: one output
// buffer reused from message to message, and the varint of a 64-bit value held in two halves.

import { ReusePool } from '../model/pool.js';

/** A growing buffer the encoders write into; `copy()` hands out what was written, `written()` a view of it. */
export class Scratch {
  buffer: Buffer;
  pos = 0;

  constructor(bytes = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(bytes);
  }

  /** Makes room for `bytes` more. */
  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + bytes));
    this.buffer.copy(bigger, 0, 0, this.pos);
    this.buffer = bigger;
  }

  /** A copy of what was written: the scratch is reused by the next message. */
  copy(): Buffer {
    const written = Buffer.allocUnsafe(this.pos);
    this.buffer.copy(written, 0, 0, this.pos);
    return written;
  }

  /** What was written, not copied: valid until the scratch is written again. */
  written(): Buffer {
    return this.buffer.subarray(0, this.pos);
  }

  /**
   * Has `write` (an encoder writing into this scratch, its module's own) write into `target`'s
   * buffer instead, and returns a view of what it wrote there. The encoder keeps writing through the
   * one scratch object it was optimised with: the agent's encoding runs exactly as before.
   */
  writeInto(target: Scratch, write: () => void): Buffer {
    const own = this.buffer;
    this.buffer = target.buffer;
    this.pos = 0;
    try {
      write();
      target.buffer = this.buffer; // grown, maybe
      target.pos = this.pos;
      return target.written();
    } finally {
      this.buffer = own;
      this.pos = 0;
    }
  }
}

/**
 * Output buffers lent to encoders (`encodeRecords`, the event encoder's `into`) and given back once
 * every library handed the encoded message is done with it; each grows to the largest message written into it.
 */
export function scratchPool(maxBytes: number | (() => number)): ReusePool<Scratch> {
  return new ReusePool({
    maxBytes,
    capacityOf: (scratch) => scratch.buffer.length,
    bytesOf: (scratch) => scratch.buffer.length,
    make: (bytes) => new Scratch(Math.max(bytes, 1 << 20)),
  });
}

const TWO_32 = 2 ** 32;

/**
 * Writes the varint of a non-negative safe integer at out[pos] and returns the next position.
 * Doubles lose bit operators past 32 bits, so large values go through 32-bit halves.
 */
export function writeVarint(out: Buffer, pos: number, value: number): number {
  if (value < 0x80000000) {
    while (value > 0x7f) {
      out[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    out[pos++] = value;
    return pos;
  }
  const high = Math.floor(value / TWO_32);
  return writeVarintHalves(out, pos, high, value - high * TWO_32);
}

/** The varint of high * 2^32 + low, each an unsigned 32-bit integer. */
export function writeVarintHalves(out: Buffer, pos: number, high: number, low: number): number {
  while (high !== 0 || low > 0x7f) {
    out[pos++] = (low & 0x7f) | 0x80;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  out[pos++] = low;
  return pos;
}

/** The Avro long (zigzag varint) of a safe integer at out[pos]; returns the next position. */
export function writeLongAt(out: Buffer, pos: number, value: number): number {
  const negative = value < 0;
  const magnitude = negative ? -value - 1 : value; // zigzag: 2v, or 2|v|-1 for negatives
  const high = Math.floor(magnitude / TWO_32);
  const low = magnitude - high * TWO_32;
  // The doubling, on the halves: 2v can pass 2^53.
  return writeVarintHalves(out, pos, ((high << 1) | (low >>> 31)) >>> 0, ((low << 1) | (negative ? 1 : 0)) >>> 0);
}
