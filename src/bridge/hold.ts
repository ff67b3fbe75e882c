// What the reverse bridge received and NATS has not taken yet. NetObserv agents never resend a
// Send that failed, so the bridge answers OK once the records are held here: in memory up to
// BRIDGE_BUFFER_BYTES, and, with BRIDGE_SPOOL_DIR, in an append-only spool file that a restarted
// bridge replays. In memory a Send is held as the columns it was read into when received (read
// once: reading it again at publish was a fifth of the bridge's CPU); the spool has it as received
// (pbflow bytes), read again only for a Send held there alone or replayed. Each keeps the run id
// and sequence its event id is made of, so a replayed event has the id it would have had, and
// JetStream stores it once even if the crash came after its publish.
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import { readRecords, type ColumnarRecords } from '../encode/pbflow-reader.js';
import type { FlowColumnsPool } from '../model/index.js';

export interface HeldSend {
  runId: string;
  sequence: number;
  peer: string;
  records: number;
  /** Bytes of the Send as received. */
  length: number;
  /** In memory; undefined when held only in the spool, at `offset`. */
  columns?: ColumnarRecords;
  /** What `columns` count against BRIDGE_BUFFER_BYTES. */
  memoryBytes?: number;
  /** Where the frame's body starts in the spool file; undefined without a spool. */
  offset?: number;
  /** Where the next frame starts: the spool's done offset once this one is published. */
  end?: number;
}

export interface HoldStats {
  /** Sends waiting for NATS. */
  held: number;
  /** Bytes of them in memory (their columns). */
  memoryBytes: number;
  /** Bytes of the spool file not yet published. */
  spoolBytes: number;
  /** Records refused because memory (or the spool) was full. */
  droppedRecords: number;
}

/**
 * The memory of a Send held as columns: the typed arrays (all of a pool's storage they view), and,
 * for NetObserv's optional features (an object per flow that has any), the Send's size on the wire
 * as an estimate.
 */
function heldBytes({ flows }: ColumnarRecords, length: number): number {
  const bytes = flows.retainedBytes();
  return flows.features.size > 0 ? bytes + length : bytes;
}

/** A frame: u32 header length, u32 body length, header (JSON: run, sequence, peer, records), body. */
const FRAME_HEADER = 8;

/** The spool: spool.bin (frames, appended) and spool.done (the offset up to which frames were published). */
class Spool {
  private readonly fd: number;
  private readonly donePath: string;
  size: number;
  done: number;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.fd = openSync(join(dir, 'spool.bin'), 'a+');
    this.donePath = join(dir, 'spool.done');
    this.size = fstatSync(this.fd).size;
    const done = existsSync(this.donePath) ? Number(readFileSync(this.donePath, 'utf8')) : 0;
    // Past the end: the file was truncated and the crash came before the offset was reset.
    this.done = Number.isSafeInteger(done) && done >= 0 ? Math.min(done, this.size) : 0;
  }

  /** The frames after `done`; a frame cut short by a crash is truncated away. */
  *replay(): Generator<HeldSend> {
    let at = this.done;
    const header = Buffer.alloc(FRAME_HEADER);
    while (at + FRAME_HEADER <= this.size) {
      readSync(this.fd, header, 0, FRAME_HEADER, at);
      const headerLength = header.readUInt32BE(0);
      const length = header.readUInt32BE(4);
      const end = at + FRAME_HEADER + headerLength + length;
      if (end > this.size) break;
      const text = Buffer.alloc(headerLength);
      readSync(this.fd, text, 0, headerLength, at + FRAME_HEADER);
      let meta: { run: string; sequence: number; peer: string; records: number };
      try {
        meta = JSON.parse(text.toString('utf8'));
      } catch {
        break;
      }
      yield { runId: meta.run, sequence: meta.sequence, peer: meta.peer, records: meta.records, length, offset: at + FRAME_HEADER + headerLength, end };
      at = end;
    }
    if (at < this.size) {
      ftruncateSync(this.fd, at);
      this.size = at;
    }
  }

  /** Appends and syncs a frame; returns the body's offset and the frame's end. */
  append(send: HeldSend, body: Buffer): { offset: number; end: number } {
    const header = Buffer.from(JSON.stringify({ run: send.runId, sequence: send.sequence, peer: send.peer, records: send.records }));
    const frame = Buffer.alloc(FRAME_HEADER + header.length);
    frame.writeUInt32BE(header.length, 0);
    frame.writeUInt32BE(body.length, 4);
    header.copy(frame, FRAME_HEADER);
    const start = this.size;
    writeSync(this.fd, frame);
    writeSync(this.fd, body);
    fdatasyncSync(this.fd);
    this.size += frame.length + body.length;
    return { offset: start + frame.length, end: this.size };
  }

  read(send: HeldSend): Buffer {
    const body = Buffer.alloc(send.length);
    readSync(this.fd, body, 0, send.length, send.offset!);
    return body;
  }

  /** Marks everything up to `end` published; an empty spool starts over at 0. */
  markDone(end: number, empty: boolean): void {
    if (empty) {
      ftruncateSync(this.fd, 0); // first: a crash before the offset is reset finds done > size, i.e. nothing
      this.size = 0;
      end = 0;
    }
    this.done = end;
    writeFileSync(`${this.donePath}.tmp`, String(end));
    renameSync(`${this.donePath}.tmp`, this.donePath);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export class HeldSends {
  private readonly queue: HeldSend[] = [];
  /** How many of the oldest held Sends next() handed out (published, or being published). */
  private handedOut = 0;
  /** Held Sends that are in the spool only. */
  private spoolOnly = 0;
  private readonly spool?: Spool;
  private memoryBytes = 0;
  private droppedRecords = 0;
  private wake: (() => void) | undefined;
  private closed = false;

  /** `columnsPool`: where the columns of held Sends come from, and go back to once published. */
  constructor(private readonly limits: { memoryBytes: number; spoolDir?: string; spoolBytes: number; columnsPool?: FlowColumnsPool }) {
    if (limits.spoolDir) {
      this.spool = new Spool(limits.spoolDir);
      for (const send of this.spool.replay()) this.enqueue(send);
      this.takeIntoMemory();
    }
  }

  get stats(): HoldStats {
    return {
      held: this.queue.length,
      memoryBytes: this.memoryBytes,
      spoolBytes: this.spool ? this.spool.size - this.spool.done : 0,
      droppedRecords: this.droppedRecords,
    };
  }

  /**
   * Holds a received Send (`body` as received, `columns` what it was read into); false (and its
   * records counted as dropped) when there is no room.
   */
  hold(send: Pick<HeldSend, 'runId' | 'sequence' | 'peer'>, body: Buffer, columns: ColumnarRecords): boolean {
    const held: HeldSend = { ...send, records: columns.flows.length, length: body.length };
    const memoryBytes = heldBytes(columns, body.length);
    const inMemory = this.memoryBytes + memoryBytes <= this.limits.memoryBytes;
    if (this.spool) {
      if (this.spool.size + body.length > this.limits.spoolBytes) return this.drop(held.records);
      Object.assign(held, this.spool.append(held, body));
    } else if (!inMemory) {
      return this.drop(held.records);
    }
    if (inMemory) this.keep(held, columns, memoryBytes);
    else this.limits.columnsPool?.give(columns.flows); // held in the spool only
    this.enqueue(held);
    return true;
  }

  private drop(records: number): false {
    this.droppedRecords += records;
    return false;
  }

  private keep(send: HeldSend, columns: ColumnarRecords, memoryBytes: number): void {
    send.columns = columns;
    send.memoryBytes = memoryBytes;
    this.memoryBytes += memoryBytes;
  }

  private enqueue(send: HeldSend): void {
    if (!send.columns) this.spoolOnly++;
    this.queue.push(send);
    this.wake?.();
  }

  /**
   * Sends held only in the spool (replayed, or received while memory was full) are read into
   * memory, oldest first, while there is room: the publisher then finds them decoded.
   */
  private takeIntoMemory(): void {
    for (let index = this.handedOut; this.spoolOnly > 0 && index < this.queue.length; index++) {
      const waiting = this.queue[index];
      if (waiting.columns) continue;
      // Columns take more than the wire bytes: no room for these, none for the columns.
      if (this.memoryBytes + waiting.length > this.limits.memoryBytes) break;
      let columns: ColumnarRecords;
      try {
        columns = readRecords(this.spool!.read(waiting), this.limits.columnsPool);
      } catch {
        continue; // the publisher reads it again, and reports it (see columnsOf)
      }
      const memoryBytes = heldBytes(columns, waiting.length);
      if (this.memoryBytes + memoryBytes > this.limits.memoryBytes) {
        this.limits.columnsPool?.give(columns.flows);
        break;
      }
      this.keep(waiting, columns, memoryBytes);
      this.spoolOnly--;
    }
  }

  /**
   * The oldest held Send not handed out yet, waiting for one if there is none; undefined once
   * stopped. Several can be out at once; release() takes them back oldest first.
   */
  async next(): Promise<HeldSend | undefined> {
    while (this.queue.length === this.handedOut && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.closed) return undefined;
    return this.queue[this.handedOut++];
  }

  /** A held Send's records; read from the spool when it is held there only (throws what the reader throws). */
  columnsOf(send: HeldSend): ColumnarRecords {
    return send.columns ?? readRecords(this.spool!.read(send));
  }

  /**
   * The oldest held Send is published (or could never be): it leaves, and its columns go back to
   * the pool. The publisher is done with them: it encodes them before its publish is answered.
   */
  release(): void {
    const send = this.queue.shift()!;
    this.handedOut--;
    if (send.memoryBytes !== undefined) this.memoryBytes -= send.memoryBytes;
    else this.spoolOnly--;
    if (send.columns) this.limits.columnsPool?.give(send.columns.flows);
    send.columns = undefined;
    if (this.spool && send.end !== undefined) this.spool.markDone(send.end, this.queue.length === 0);
    if (this.spool) this.takeIntoMemory();
  }

  /** next() returns undefined from now on. */
  stop(): void {
    this.closed = true;
    this.wake?.();
  }

  /** After the publisher stopped. */
  close(): void {
    this.spool?.close();
  }
}
