import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { HeldSends } from '../../src/bridge/hold.js';

const body = (i: number) => Buffer.alloc(100 + i, i);
const meta = (i: number) => ({ runId: 'run-a', sequence: i, peer: 'ipv4:127.0.0.1:1', records: i + 1 });

test('held Sends past the memory bound wait in the spool only, come back in order, and a reopened spool replays what was not released', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowcast-spool-'));
  try {
    // Memory for two bodies of ~100 bytes; the spool takes all five.
    let hold = new HeldSends({ memoryBytes: 210, spoolDir: dir, spoolBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) assert.equal(hold.hold(meta(i), body(i)), true);
    assert.equal(hold.stats.held, 5);
    assert.equal(hold.stats.memoryBytes, 100 + 101);
    for (let i = 0; i < 2; i++) {
      const next = (await hold.next())!;
      assert.deepEqual([next.send.sequence, next.body], [i, body(i)]);
      hold.release();
    }
    hold.stop();
    hold.close();
    // A frame cut short by a crash while it was appended is dropped at replay.
    appendFileSync(join(dir, 'spool.bin'), Buffer.from([0, 0, 0, 40, 0, 0]));

    hold = new HeldSends({ memoryBytes: 210, spoolDir: dir, spoolBytes: 1 << 20 });
    assert.equal(hold.stats.held, 3);
    for (let i = 2; i < 5; i++) {
      const next = (await hold.next())!;
      assert.deepEqual([next.send.runId, next.send.sequence, next.send.records, next.body], ['run-a', i, i + 1, body(i)]);
      hold.release();
    }
    assert.equal(statSync(join(dir, 'spool.bin')).size, 0, 'emptied, the spool starts over');
    assert.equal(readFileSync(join(dir, 'spool.done'), 'utf8'), '0');
    hold.stop();
    hold.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full spool refuses a Send and counts its records as dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowcast-spool-'));
  try {
    const hold = new HeldSends({ memoryBytes: 1 << 20, spoolDir: dir, spoolBytes: 300 });
    assert.equal(hold.hold(meta(0), body(0)), true);
    assert.equal(hold.hold(meta(1), body(1)), true);
    assert.equal(hold.hold(meta(2), body(2)), false);
    assert.equal(hold.stats.droppedRecords, 3);
    assert.equal(hold.stats.held, 2);
    hold.stop();
    hold.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
