import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { ConfigError, loadConfig, parseDuration } from '../../src/config/index.js';
import { configMarkdown, helpText } from '../../src/config/help.js';
import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import { AgentProcess } from '../helpers/agent.js';
import { TestNet, settledFlowcastPrograms } from '../helpers/netns.js';

// [variable, bad value, what the error must say is allowed]
const BAD_VALUES: [string, string, RegExp][] = [
  ['EXPORT', 'kafka', /one of stdout, nats, http, grpc/],
  ['EXPORT', 'STDOUT', /one of stdout/],
  ['STDOUT_FORMAT', 'yaml', /one of table, json/],
  ['STDOUT_TOP_FLOWS', '0', /integer from 1 to 10000/],
  ['TARGET_PORT', '0', /integer from 1 to 65535/],
  ['TARGET_PORT', '65536', /integer from 1 to 65535/],
  ['TARGET_PORT', 'http', /integer from 1 to 65535/],
  ['INTERFACES', '/eth[/', /valid regular expressions/],
  ['INTERFACES', 'eth0,/(/', /valid regular expressions/],
  ['EXCLUDE_INTERFACES', '/*/', /valid regular expressions/],
  ['DIRECTION', 'in', /one of ingress, egress, both/],
  ['INTERFACE_IPS', '10.0.0.0/33', /address ranges/],
  ['INTERFACE_IPS', 'eth0', /address ranges/],
  ['LISTEN_INTERFACES', 'inotify', /one of watch, poll/],
  ['LISTEN_POLL_PERIOD', '10ms', /at least 100ms/],
  ['SAMPLING', '-1', /integer from 0 to 1000000/],
  ['SAMPLING', '1.5', /integer from 0 to 1000000/],
  ['SAMPLING', 'ten', /integer from 0 to 1000000/],
  ['SAMPLING', '1000001', /integer from 0 to 1000000/],
  ['CACHE_MAX_FLOWS', '0', /integer from 1 to 10000000/],
  ['CACHE_MAX_FLOWS', '5k', /integer from 1 to 10000000/],
  ['CACHE_ACTIVE_TIMEOUT', '5', /a duration of at least 10ms/],
  ['CACHE_ACTIVE_TIMEOUT', '5 s', /a duration/],
  ['CACHE_ACTIVE_TIMEOUT', '1ms', /at least 10ms/],
  ['CACHE_ACTIVE_TIMEOUT', '-5s', /a duration/],
  ['CACHE_ACTIVE_TIMEOUT', '5sec', /a duration/],
  ['RING_BUFFER_SIZE', '5000', /power of two/],
  ['RING_BUFFER_SIZE', '1024', /from 4096/],
  ['TC_ATTACH_MODE', 'xdp', /one of any, tcx, tc/],
  ['BUFFERS_LENGTH', '0', /integer from 1/],
  ['AGENT_IP', '10.0.0', /IPv4 or IPv6 address/],
  ['AGENT_IP', 'node-1', /IPv4 or IPv6 address/],
  ['LOG_LEVEL', 'verbose', /one of trace, debug, info, warn, error, fatal/],
  ['LOG_PRETTY', 'yes', /true or false/],
  ['CE_MODE', 'batch', /one of binary, structured/],
  ['AVRO_SINGLE_OBJECT', '2', /true or false/],
  ['NATS_URL', 'localhost:4222', /matching/],
  ['NATS_URL', 'http://127.0.0.1:4222', /matching/],
  ['NATS_SUBJECT', 'flows.>', /matching/],
  ['NATS_SUBJECT', 'a b', /matching/],
  ['NATS_JETSTREAM', 'on', /true or false/],
  ['NATS_STREAM', 'flow.stream', /matching/],
  ['NATS_STREAM_MAX_AGE', '10ms', /at least 1000ms/],
  ['NATS_CREDS', '/nonexistent/user.creds', /readable file/],
  ['NATS_TLS_CA', '/nonexistent/ca.pem', /readable file/],
];

test(`each of ${BAD_VALUES.length} bad values is reported with the variable, the value and what is allowed`, () => {
  assert.ok(BAD_VALUES.length >= 30);
  for (const [variable, value, allowed] of BAD_VALUES) {
    assert.throws(() => loadConfig({ [variable]: value }), (error: ConfigError) => {
      assert.ok(error instanceof ConfigError, `${variable}=${value}`);
      assert.deepEqual(error.issues.map((issue) => issue.variable), [variable], `${variable}=${value}: ${error.message}`);
      assert.ok(error.message.startsWith(`${variable}=${JSON.stringify(value)}: must be `), error.message);
      assert.match(error.message, allowed);
      return true;
    });
  }
});

test('every bad variable is reported at once, in schema order', () => {
  assert.throws(() => loadConfig({ SAMPLING: 'x', EXPORT: 'grpc', LOG_LEVEL: 'loud', NATS_USER: 'me', TARGET_PORT: '99999' }), (error: ConfigError) => {
    assert.deepEqual(error.message.split('\n'), [
      'TARGET_HOST: required when EXPORT=grpc',
      'TARGET_PORT="99999": must be an integer from 1 to 65535',
      'SAMPLING="x": must be an integer from 0 to 1000000',
      'LOG_LEVEL="loud": must be one of trace, debug, info, warn, error, fatal',
      'NATS_PASSWORD: required when NATS_USER is set',
    ]);
    return true;
  });
});

test('defaults, coercion, aliases and durations', () => {
  const defaults = loadConfig({});
  assert.equal(defaults.export, 'stdout');
  assert.deepEqual(defaults.capture, {
    interfaces: [], excludeInterfaces: ['lo'], direction: 'both', sampling: 0, maxFlows: 100000, ringBufferBytes: 4194304, attachMode: 'any',
    interfaceIps: [], listen: 'watch', pollPeriodMs: 10_000,
  });
  assert.equal(defaults.intervalMs, 5000);
  const set = loadConfig({
    EXPORT: 'grpc', FLOWS_TARGET_HOST: 'collector', FLOWS_TARGET_PORT: '2055', CACHE_ACTIVE_TIMEOUT: '1m30s',
    INTERFACES: 'eth0, /^veth/', SAMPLING: '50', NATS_JETSTREAM: 'true', SAMPLING_UNKNOWN: 'ignored', DIRECTION: '',
  });
  assert.deepEqual(set.target, { host: 'collector', port: 2055 });
  assert.equal(set.intervalMs, 90_000);
  assert.deepEqual(set.capture.interfaces, ['eth0', '/^veth/']);
  assert.equal(set.capture.sampling, 50);
  assert.equal(set.capture.direction, 'both', 'empty counts as unset');
  assert.equal(set.nats.jetstream, true);
  assert.equal(loadConfig({ TARGET_HOST: 'a', FLOWS_TARGET_HOST: 'b' }).target.host, 'a', 'the new name wins over its alias');
  assert.deepEqual(['500ms', '5s', '1m', '1h2m3s', '1.5s', '250us', '.5s'].map(parseDuration), [500, 5000, 60_000, 3_723_000, 1500, 0.25, 500]);
});

test('docs/config.md and --help list every variable, written from the schema', () => {
  assert.equal(readFileSync('docs/config.md', 'utf8'), configMarkdown(), 'docs/config.md is stale: run make docs');
  const help = helpText();
  for (const name of Object.keys(CONFIG_SCHEMA.properties)) assert.match(help, new RegExp(`^  ${name}\\b`, 'm'));
});

test('the agent exits 2 on bad configuration, naming each variable, before attaching anything', async () => {
  const net = await TestNet.create();
  try {
    const agent = AgentProcess.start(net.a.ns, { INTERFACES: 'fca', SAMPLING: 'often', CACHE_MAX_FLOWS: '-3' });
    assert.equal(await agent.exited(), 2);
    assert.equal(agent.stderr, [
      'flowcast-agent: invalid configuration (see --help):',
      'SAMPLING="often": must be an integer from 0 to 1000000',
      'CACHE_MAX_FLOWS="-3": must be an integer from 1 to 10000000',
      '',
    ].join('\n'));
    assert.deepEqual(await settledFlowcastPrograms(), []);
  } finally {
    await net.destroy();
  }
});
