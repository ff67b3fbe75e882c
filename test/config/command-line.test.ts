import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import { PROJECT_ROOT, TestNet, exitOf } from '../helpers/netns.js';

const VERSION = JSON.parse(readFileSync(`${PROJECT_ROOT}package.json`, 'utf8')).version;

/**
 * Runs a command's TypeScript entry point with `args`, inside `ns` (so that an agent that starts
 * capturing by mistake does so in a test namespace); kills it if it has not exited within 30 s.
 */
async function runCli(ns: string, cli: 'agent' | 'bridge', ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', `${PROJECT_ROOT}src/${cli}/cli.ts`, ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await exitOf(child);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const usage = (command: string) => `Usage: ${command} [--help | --version]\nConfigured by environment variables: ${command} --help lists them.\n`;

test('--version, --help and unknown arguments, for both commands', async () => {
  const net = await TestNet.create();
  try {
    for (const command of ['agent', 'bridge'] as const) {
      const name = `flowcast-${command}`;
      assert.deepEqual(await runCli(net.a.ns, command, '--version'), { code: 0, stdout: `${name} ${VERSION}\n`, stderr: '' });
      for (const args of [['--verbose'], ['-v'], ['run'], ['--help', '--bogus'], ['--version=1']]) {
        assert.deepEqual(
          await runCli(net.a.ns, command, ...args),
          { code: 2, stdout: '', stderr: `${name}: unknown argument ${JSON.stringify(args.at(-1))}\n${usage(name)}` },
          `${name} ${args.join(' ')}`,
        );
      }
      const help = await runCli(net.a.ns, command, '--help');
      assert.equal(help.code, 0);
      assert.equal(help.stderr, '');
      assert.ok(help.stdout.startsWith(`Usage: ${name} [--help | --version]\n`), help.stdout);
      const listed = [...help.stdout.matchAll(/^ {2}([A-Z][A-Z0-9_]+)\b/gm)].map((match) => match[1]);
      if (command === 'agent') {
        assert.deepEqual(listed, Object.keys(CONFIG_SCHEMA.properties));
      } else {
        for (const variable of [
          'BRIDGE_MODE',
          'BRIDGE_LISTEN_PORT',
          'BRIDGE_DURABLE',
          'NATS_URL',
          'NATS_STREAM',
          'TARGET_HOST',
          'GRPC_TLS_CA',
          'CE_MODE',
          'LOG_LEVEL',
          'METRICS_PORT',
          'METRICS_ADDRESS',
        ]) {
          assert.ok(listed.includes(variable), `bridge help lists ${variable}`);
        }
        for (const variable of ['INTERFACES', 'CACHE_ACTIVE_TIMEOUT', 'SAMPLING', 'METRICS_PREFIX', 'METRICS_TLS_CERT', 'EXPORT']) {
          assert.ok(!listed.includes(variable), `bridge help leaves out the agent's ${variable}`);
        }
      }
    }
  } finally {
    await net.destroy();
  }
});
