import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { HeldSends, type HeldSend } from '../../src/bridge/hold.js';
import { encodeRecords } from '../../src/encode/pbflow.js';
import { readRecords } from '../../src/encode/pbflow-reader.js';
import { sampleBatch } from '../helpers/batches.js';

/** Send i: one flow, source port 40000 + i. */
const flows = sampleBatch(5).flows.decode();
const body = (i: number) => Buffer.from(encodeRecords([flows[i]], '198.18.0.9'));
const meta = (i: number) => ({ runId: 'run-a', sequence: i, peer: 'ipv4:127.0.0.1:1' });
const hold = (held: HeldSends, i: number) => held.hold(meta(i), body(i), readRecords(body(i)));
const sourcePort = (held: HeldSends, send: HeldSend) => held.columnsOf(send).flows.srcPort[0];

/** The memory a held Send of one flow takes (its columns). */
function oneSendBytes(): number {
  const held = new HeldSends({ memoryBytes: 1 << 20, spoolBytes: 0 });
  hold(held, 0);
  return held.stats.memoryBytes;
}

test('held Sends past the memory bound wait in the spool only, come back in order, and a reopened spool replays what was not released', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowcast-spool-'));
  const perSend = oneSendBytes();
  try {
    // Memory for two Sends; the spool takes all five.
    let held = new HeldSends({ memoryBytes: 2.5 * perSend, spoolDir: dir, spoolBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) assert.equal(hold(held, i), true);
    assert.equal(held.stats.held, 5);
    assert.equal(held.stats.memoryBytes, 2 * perSend);
    // Two handed out at once, released oldest first; the third then takes memory.
    const [first, second] = [(await held.next())!, (await held.next())!];
    assert.deepEqual([first.sequence, sourcePort(held, first), second.sequence, sourcePort(held, second)], [0, 40000, 1, 40001]);
    held.release();
    held.release();
    assert.equal(held.stats.memoryBytes, 2 * perSend, 'the two Sends held only in the spool were read into memory');
    held.stop();
    held.close();
    // A frame cut short by a crash while it was appended is dropped at replay.
    appendFileSync(join(dir, 'spool.bin'), Buffer.from([0, 0, 0, 40, 0, 0]));

    held = new HeldSends({ memoryBytes: 2.5 * perSend, spoolDir: dir, spoolBytes: 1 << 20 });
    assert.equal(held.stats.held, 3);
    assert.equal(held.stats.memoryBytes, 2 * perSend, 'replayed into memory as far as it holds');
    for (let i = 2; i < 5; i++) {
      const next = (await held.next())!;
      assert.deepEqual([next.runId, next.sequence, next.records, sourcePort(held, next)], ['run-a', i, 1, 40000 + i]);
      held.release();
    }
    assert.equal(held.stats.memoryBytes, 0);
    assert.equal(statSync(join(dir, 'spool.bin')).size, 0, 'emptied, the spool starts over');
    assert.equal(readFileSync(join(dir, 'spool.done'), 'utf8'), '0');
    held.stop();
    held.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full spool refuses a Send and counts its records as dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowcast-spool-'));
  try {
    // Room in the spool for two frames (a Send of about 120 bytes and its header of about 80) and not three.
    const held = new HeldSends({ memoryBytes: 1 << 20, spoolDir: dir, spoolBytes: 2 * body(0).length + 200 });
    assert.equal(hold(held, 0), true);
    assert.equal(hold(held, 1), true);
    assert.equal(hold(held, 2), false);
    assert.equal(held.stats.droppedRecords, 1);
    assert.equal(held.stats.held, 2);
    held.stop();
    held.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
