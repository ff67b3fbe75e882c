// The collector as a user gets it: `npm pack`, the tarball installed into a new project, and
// docs/collector.md's TypeScript examples taken from the doc as they are written (so the two cannot
// drift), type-checked and run against a real agent, through a real nats-server and over gRPC.
// The examples use fixed ports (4222, 9999): everything runs inside a test network namespace.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { AgentProcess } from '../helpers/agent.js';
import { NatsServer } from '../helpers/nats-server.js';
import { PROJECT_ROOT, TestNet, exitOf, sendUdp, tracked } from '../helpers/netns.js';
import { waitUntil } from '../helpers/wait.js';

const run = promisify(execFile);
const app = mkdtempSync(join(tmpdir(), 'flowcast-package-'));
const examples = [...readFileSync(`${PROJECT_ROOT}docs/collector.md`, 'utf8').matchAll(/^```ts\n(.*?)^```$/gms)].map((match) => match[1]);
let packed: string[] = [];

/** The version of a development dependency this checkout uses (in npm's cache already). */
const versionOf = (name: string) => JSON.parse(readFileSync(`${PROJECT_ROOT}node_modules/${name}/package.json`, 'utf8')).version as string;

before(async () => {
  // --ignore-scripts: dist/ is what `make build` compiled (prepack would compile the same again).
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', app], { cwd: PROJECT_ROOT });
  const [tarball] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  packed = tarball.files.map((file) => file.path);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-collector', private: true, type: 'module' }));
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] } }),
  );
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(app, tarball.filename),
      `tsx@${versionOf('tsx')}`,
      `typescript@${versionOf('typescript')}`,
      `@types/node@${versionOf('@types/node')}`,
    ],
    { cwd: app },
  );
  examples.forEach((code, index) => writeFileSync(join(app, `example-${index}.ts`), code));
});
after(() => rmSync(app, { recursive: true, force: true }));

test('the tarball holds the library, its types, schemas and proto, and no addon, BPF object, sources, tests or agent stages', () => {
  for (const path of [
    'package.json',
    'dist/collector/index.js',
    'dist/collector/index.d.ts',
    'schemas/flow-batch.avsc',
    'schemas/history/flow-batch-1.avsc',
    'proto/flow.proto',
    'bin/flowcast-bridge.js',
  ]) {
    assert.ok(packed.includes(path), `${path} is packed`);
  }
  assert.deepEqual(
    packed.filter((path) => /^(native|build|bpf|src|test|bench|deploy)\/|\.map$|\.node$/.test(path)),
    [],
  );
  // Only the stages the collector and the bridge run (not the agent's), each file compiled from a source that still exists.
  const compiled = packed.filter((path) => path.startsWith('dist/'));
  assert.deepEqual(
    compiled.filter((path) => !/^dist\/(model|config|runtime|encode|export|collector|bridge)\//.test(path)),
    [],
  );
  // A source is TypeScript, or JavaScript generated at build time (the configuration's validator).
  const sourceOf = (path: string) => `${PROJECT_ROOT}src/${path.slice('dist/'.length).replace(/(\.d\.ts|\.js)$/, '')}`;
  assert.deepEqual(
    compiled.filter((path) => !existsSync(`${sourceOf(path)}.ts`) && !existsSync(`${sourceOf(path)}.js`)),
    [],
  );
  const manifest = JSON.parse(readFileSync(join(app, 'node_modules/flowcast/package.json'), 'utf8'));
  assert.equal(manifest.private, undefined);
  assert.equal(manifest.type, 'module');
});

test("docs/collector.md's examples type-check against the installed package", async () => {
  // The first two (NATS, gRPC) also run below; the others name hosts of a cluster and are only type-checked.
  assert.ok(examples.length >= 2, `the NATS and the gRPC example, and any others (found ${examples.length})`);
  await run(join(app, 'node_modules/.bin/tsc'), ['-p', app], { cwd: app }).catch((error) => assert.fail(`tsc: ${error.stdout}${error.stderr}`));
  const { stdout } = await run(join(app, 'node_modules/.bin/flowcast-bridge'), ['--version'], { cwd: app });
  assert.equal(stdout, `flowcast-bridge ${JSON.parse(readFileSync(`${PROJECT_ROOT}package.json`, 'utf8')).version}\n`, 'the bridge runs from the package');
});

/**
 * An example running in the namespace, from the new project (tsx as the doc says), its output kept.
 * The project has no native addon and no BPF object: an example that loaded them would fail.
 */
function startExample(ns: string, index: number): { child: ChildProcess; output: () => string } {
  const child = tracked(
    spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', `example-${index}.ts`], {
      cwd: app,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

test("the examples run as written: the NATS one prints the top talkers of a real agent's events, the gRPC one its records", async () => {
  const net = await TestNet.create();
  const nats = await NatsServer.start({ ns: net.a.ns, jetstream: true, port: 4222 });
  const running: ChildProcess[] = [];
  const agents: AgentProcess[] = [];
  try {
    const agent = AgentProcess.start(net.a.ns, {
      INTERFACES: 'fca',
      DIRECTION: 'egress',
      CACHE_ACTIVE_TIMEOUT: '300ms',
      NODE_NAME: 'node-a',
      EXPORT: 'nats',
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_JETSTREAM: 'true',
    });
    agents.push(agent);
    await agent.waitForLog('created JetStream stream'); // the example's durable consumer needs it
    const natsExample = startExample(net.a.ns, 0);
    running.push(natsExample.child);
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 30, payload: 100 });
    // e.g. "/flowcast/node-a 0 [ [ '198.18.0.1', 4260 ] ]": the source and its bytes.
    await waitUntil(
      () => /^\/flowcast\/node-a \d+ \[ \[ '198\.18\.0\.1', \d+ \]/m.test(natsExample.output()) || natsExample.child.exitCode !== null,
      () => `the NATS example's top talkers (output: ${natsExample.output()})`,
    );
    assert.equal(natsExample.child.exitCode, null, natsExample.output());
    assert.doesNotMatch(natsExample.output(), /skipped/);
    assert.equal(await agent.stop(), 0);

    const grpcExample = startExample(net.a.ns, 1);
    running.push(grpcExample.child);
    const grpcAgent = AgentProcess.start(net.a.ns, {
      INTERFACES: 'fca',
      DIRECTION: 'egress',
      CACHE_ACTIVE_TIMEOUT: '300ms',
      EXPORT: 'grpc',
      TARGET_HOST: '127.0.0.1',
      TARGET_PORT: '9999',
    });
    agents.push(grpcAgent);
    await grpcAgent.waitForLog('capturing');
    await sendUdp(net.a, net.b.ipv4, { firstPort: 40000, flows: 3, packets: 30, payload: 100 });
    // e.g. "ipv4:127.0.0.1:51234 3 { protocol: 17, ... }": the peer, the records, the first one's transport.
    await waitUntil(
      () => /^\S*127\.0\.0\.1:\d+ [1-9]\d* \{/m.test(grpcExample.output()) || grpcExample.child.exitCode !== null,
      () => `the gRPC example's records (output: ${grpcExample.output()})`,
    );
    assert.equal(grpcExample.child.exitCode, null, grpcExample.output());
    assert.equal(await grpcAgent.stop(), 0);
  } finally {
    for (const agent of agents) await agent.stop('SIGKILL');
    for (const child of running) {
      child.kill();
      await exitOf(child);
    }
    await nats.stop();
    await net.destroy();
  }
});
