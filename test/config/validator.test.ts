import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { VALIDATOR_FILE, validatorModule } from '../../src/config/validator-build.js';
import { PROJECT_ROOT } from '../helpers/netns.js';

test('the committed configuration validator is the one the schema and keywords generate now', () => {
  assert.ok(readFileSync(VALIDATOR_FILE, 'utf8') === validatorModule(), `${VALIDATOR_FILE} is stale: run make build and commit it`);
});

test('loading and validating the configuration loads none of ajv but its run-time helpers', async () => {
  // A fresh process: ajv is CommonJS, so whatever of it an import loads is in the require cache.
  const script = `
    const { loadConfig } = await import('./src/config/index.ts');
    loadConfig({ AGENT_IP: '10.0.0.1', CACHE_ACTIVE_TIMEOUT: '1s', INTERFACES: 'eth0,/^veth/' });
    const { createRequire } = await import('node:module');
    console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT });
  const cached = JSON.parse(stdout) as string[];
  // ipaddr.js (CommonJS too, for INTERFACE_IPS) shows that the cache lists what an import loads.
  assert.ok(cached.some((path) => path.includes('/node_modules/ipaddr.js/')));
  const ajvLoaded = cached.filter((path) => path.includes('/node_modules/ajv/') && !path.includes('/node_modules/ajv/dist/runtime/'));
  assert.deepEqual(ajvLoaded, []);
});
