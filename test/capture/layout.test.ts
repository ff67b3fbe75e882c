import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FIELD_OFFSETS, RECORD_SIZE } from '../../src/model/index.js';
import { loadAddon } from '../../src/native/index.js';

test('the TypeScript record layout is the C struct flow_record as compiled', () => {
  const native = loadAddon().layout();
  assert.equal(RECORD_SIZE, native.recordSize);
  assert.deepEqual(FIELD_OFFSETS, native.fields);
});
