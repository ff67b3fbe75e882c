// What the reverse bridge received and NATS has not taken yet. NetObserv agents never resend a
// Send that failed, so the bridge answers OK once the records are held here: in memory up to
// BRIDGE_BUFFER_BYTES, and, with BRIDGE_SPOOL_DIR, in an append-only spool file that a restarted
// bridge replays. Sends are held as received (pbflow bytes: exact sizes, one decode at publish) with
// the run id and sequence their event id is made of, so a replayed event has the id it would have
// had, and JetStream stores it once even if the crash came after its publish.
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

export interface HeldSend {
  runId: string;
  sequence: number;
  peer: string;
  records: number;
  length: number;
  /** In memory; undefined when held only in the spool, at `offset`. */
  bytes?: Buffer;
  /** Where the frame's body starts in the spool file; undefined without a spool. */
  offset?: number;
  /** Where the next frame starts: the spool's done offset once this one is published. */
  end?: number;
}

export interface HoldStats {
  /** Sends waiting for NATS. */
  held: number;
  /** Bytes of them in memory. */
  memoryBytes: number;
  /** Bytes of the spool file not yet published. */
  spoolBytes: number;
  /** Records refused because memory (or the spool) was full. */
  droppedRecords: number;
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
  private readonly spool?: Spool;
  private memoryBytes = 0;
  private droppedRecords = 0;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(private readonly limits: { memoryBytes: number; spoolDir?: string; spoolBytes: number }) {
    if (limits.spoolDir) {
      this.spool = new Spool(limits.spoolDir);
      for (const send of this.spool.replay()) this.enqueue(send, this.memoryBytes + send.length <= limits.memoryBytes ? this.spool.read(send) : undefined);
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

  /** Holds a received Send; false (and its records counted as dropped) when there is no room. */
  hold(send: Omit<HeldSend, 'bytes' | 'offset' | 'end' | 'length'>, body: Buffer): boolean {
    const held: HeldSend = { ...send, length: body.length };
    const inMemory = this.memoryBytes + body.length <= this.limits.memoryBytes;
    if (this.spool) {
      if (this.spool.size + body.length > this.limits.spoolBytes) return this.drop(send.records);
      Object.assign(held, this.spool.append(held, body));
    } else if (!inMemory) {
      return this.drop(send.records);
    }
    this.enqueue(held, inMemory ? Buffer.from(body) : undefined);
    return true;
  }

  private drop(records: number): false {
    this.droppedRecords += records;
    return false;
  }

  private enqueue(send: HeldSend, bytes: Buffer | undefined): void {
    send.bytes = bytes;
    if (bytes) this.memoryBytes += bytes.length;
    this.queue.push(send);
    this.wake?.();
  }

  /** The oldest held Send and its bytes, waiting for one if none is held; undefined once closed. */
  async next(): Promise<{ send: HeldSend; body: Buffer } | undefined> {
    while (this.queue.length === 0 && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.closed) return undefined;
    const send = this.queue[0];
    return { send, body: send.bytes ?? this.spool!.read(send) };
  }

  /** The oldest held Send is published (or could never be): it leaves. */
  release(): void {
    const send = this.queue.shift()!;
    if (send.bytes) this.memoryBytes -= send.bytes.length;
    if (this.spool && send.end !== undefined) this.spool.markDone(send.end, this.queue.length === 0);
    // A Send held only on disk takes memory once there is room again.
    for (const waiting of this.queue) {
      if (waiting.bytes) continue;
      if (this.memoryBytes + waiting.length > this.limits.memoryBytes) break;
      waiting.bytes = this.spool!.read(waiting);
      this.memoryBytes += waiting.length;
    }
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
