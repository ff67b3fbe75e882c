import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';

import { ConfigError, describeIssue, loadConfig, parseDuration } from '../../src/config/index.js';
import { configMarkdown, helpText } from '../../src/config/help.js';
import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import { AgentProcess } from '../helpers/agent.js';
import { PROJECT_ROOT, TestNet, exec, flowcastFilters } from '../helpers/netns.js';

// [variable, bad value, what the error must say is allowed]
const BAD_VALUES: [string, string, RegExp][] = [
  ['EXPORT', 'ftp', /one of stdout, nats, http, grpc/],
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
  ['LISTEN_POLL_PERIOD', '10ms', /from 100ms to 24h/],
  ['LISTEN_POLL_PERIOD', '9999h', /from 100ms to 24h/],
  ['SAMPLING', '-1', /integer from 0 to 1000000/],
  ['SAMPLING', '1.5', /integer from 0 to 1000000/],
  ['SAMPLING', 'ten', /integer from 0 to 1000000/],
  ['SAMPLING', '1000001', /integer from 0 to 1000000/],
  ['CACHE_MAX_FLOWS', '0', /integer from 1 to 10000000/],
  ['CACHE_MAX_FLOWS', '5k', /integer from 1 to 10000000/],
  ['CACHE_ACTIVE_TIMEOUT', '5', /a duration from 10ms to 24h/],
  ['CACHE_ACTIVE_TIMEOUT', '9999h', /from 10ms to 24h/],
  ['CACHE_ACTIVE_TIMEOUT', '24h0.001s', /from 10ms to 24h/],
  ['CACHE_ACTIVE_TIMEOUT', '5 s', /a duration/],
  ['CACHE_ACTIVE_TIMEOUT', '1ms', /from 10ms/],
  ['CACHE_ACTIVE_TIMEOUT', '-5s', /a duration/],
  ['CACHE_ACTIVE_TIMEOUT', '5sec', /a duration/],
  ['RING_BUFFER_SIZE', '5000', /power of two/],
  ['RING_BUFFER_SIZE', '1024', /from 4096/],
  ['TC_ATTACH_MODE', 'xdp', /one of any, tcx, tc/],
  ['BUFFERS_LENGTH', '0', /integer from 1/],
  ['AGENT_IP', '10.0.0', /IPv4 or IPv6 address/],
  ['AGENT_IP', 'node-1', /IPv4 or IPv6 address/],
  ['LOG_LEVEL', 'verbose', /one of trace, debug, info, warn, warning, error, fatal, panic/],
  ['LOG_PRETTY', 'yes', /true or false/],
  ['CE_MODE', 'batch', /one of binary, structured/],
  ['AVRO_SINGLE_OBJECT', '2', /true or false/],
  ['NATS_URL', 'localhost:4222', /nats:\/\/, tls:\/\/, ws:\/\/ or wss:\/\/ URLs/],
  ['NATS_URL', 'http://127.0.0.1:4222', /nats:\/\/, tls:\/\/, ws:\/\/ or wss:\/\/ URLs/],
  ['NATS_URL', 'nats://[zz', /URLs, each with a host/],
  ['NATS_URL', 'nats://127.0.0.1:99999', /port from 1 to 65535/],
  ['NATS_URL', 'nats://127.0.0.1:0', /port from 1 to 65535/],
  ['NATS_URL', 'nats://:4222', /each with a host/],
  ['NATS_URL', 'nats://a:4222,nats://b:65536', /port from 1 to 65535/],
  ['NATS_URL', 'nats://a:4222,b:4222', /URLs/],
  ['NATS_URL', ',', /URLs/],
  ['HTTP_TARGET_URL', 'http://[zz', /an http:\/\/ or https:\/\/ URL with a host/],
  ['HTTP_TARGET_URL', 'https://sink:99999/', /port from 1 to 65535/],
  ['HTTP_TARGET_URL', 'ftp://sink/', /an http:\/\/ or https:\/\/ URL/],
  ['HTTP_TARGET_URL', 'sink.default.svc/', /an http:\/\/ or https:\/\/ URL/],
  ['METRICS_PREFIX', '1x_', /matching/],
  ['METRICS_PREFIX', 'ebpf-agent', /matching/],
  ['METRICS_ENABLE', 'yes', /true or false/],
  ['AGENT_IP_TYPE', 'v4', /one of any, ipv4, ipv6/],
  ['AGENT_IP_IFACE', 'eth0', /matching/],
  ['AGENT_IP_IFACE', 'name:no-such-interface', /no interface no-such-interface is up/],
  ['NATS_SUBJECT', 'flows.>', /matching/],
  ['NATS_SUBJECT', 'a b', /matching/],
  ['NATS_JETSTREAM', 'on', /true or false/],
  ['NATS_STREAM', 'flow.stream', /matching/],
  ['NATS_STREAM_MAX_AGE', '10ms', /from 1s to 8760h/],
  ['NATS_STREAM_MAX_AGE', '8761h', /from 1s to 8760h/],
  ['NATS_CREDS', '/nonexistent/user.creds', /readable file/],
  ['NATS_TLS_CA', '/nonexistent/ca.pem', /readable file/],
];

test(`each of ${BAD_VALUES.length} bad values is reported with the variable, the value and what is allowed`, () => {
  for (const [variable, value, allowed] of BAD_VALUES) {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (error: ConfigError) => {
        assert.ok(error instanceof ConfigError, `${variable}=${value}`);
        assert.deepEqual(
          error.issues.map((issue) => issue.variable),
          [variable],
          `${variable}=${value}: ${error.message}`,
        );
        assert.ok(error.message.startsWith(`${variable}=${JSON.stringify(value)}: `), error.message);
        assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
        assert.match(error.message, allowed);
        return true;
      },
    );
  }
});

test('every bad variable is reported at once, in schema order', () => {
  assert.throws(
    () => loadConfig({ SAMPLING: 'x', EXPORT: 'grpc', LOG_LEVEL: 'loud', NATS_USER: 'me', TARGET_PORT: '99999' }),
    (error: ConfigError) => {
      assert.deepEqual(error.message.split('\n'), [
        'TARGET_HOST: required when EXPORT=grpc',
        'TARGET_PORT="99999": must be an integer from 1 to 65535',
        'SAMPLING="x": must be an integer from 0 to 1000000',
        'LOG_LEVEL="loud": must be one of trace, debug, info, warn, warning, error, fatal, panic',
        'NATS_PASSWORD: required when NATS_USER is set',
      ]);
      return true;
    },
  );
});

test('defaults, coercion, aliases and durations', () => {
  const defaults = loadConfig({});
  assert.equal(defaults.export, 'stdout');
  assert.deepEqual(defaults.capture, {
    interfaces: [],
    excludeInterfaces: ['lo'],
    direction: 'both',
    sampling: 0,
    maxFlows: 100000,
    ringBufferBytes: 4194304,
    attachMode: 'any',
    interfaceIps: [],
    listen: 'watch',
    pollPeriodMs: 10_000,
    packetDrops: false,
    rtt: false,
    dnsPort: 0,
    deduper: 'firstCome',
    filterRules: [],
  });
  assert.equal(defaults.intervalMs, 5000);
  const set = loadConfig({
    EXPORT: 'grpc',
    FLOWS_TARGET_HOST: 'collector',
    FLOWS_TARGET_PORT: '2055',
    CACHE_ACTIVE_TIMEOUT: '1m30s',
    INTERFACES: 'eth0, /^veth/',
    SAMPLING: '50',
    NATS_JETSTREAM: 'true',
    SAMPLING_UNKNOWN: 'ignored',
    DIRECTION: '',
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
    assert.equal(
      agent.stderr,
      [
        'flowcast-agent: invalid configuration (see --help):',
        'SAMPLING="often": must be an integer from 0 to 1000000',
        'CACHE_MAX_FLOWS="-3": must be an integer from 1 to 10000000',
        '',
      ].join('\n'),
    );
    // Programs die with the process anyway; tc filters and a clsact qdisc would outlive it.
    assert.deepEqual(await flowcastFilters(net.a), []);
    assert.doesNotMatch(await exec(net.a.ns, 'tc', 'qdisc', 'show', 'dev', net.a.ifname), /clsact/);
  } finally {
    await net.destroy();
  }
});

test('durations up to their bound are accepted (24h for timers: setTimeout fires at once past 2^31-1 ms)', () => {
  for (const [name, property] of Object.entries(CONFIG_SCHEMA.properties)) {
    if (property.format === 'duration') assert.ok(property['x-max-ms'], `${name} has an upper bound`);
  }
  const config = loadConfig({ CACHE_ACTIVE_TIMEOUT: '24h', LISTEN_POLL_PERIOD: '23h59m60s', NATS_STREAM_MAX_AGE: '8760h' });
  assert.equal(config.intervalMs, 86_400_000);
  assert.equal(config.capture.pollPeriodMs, 86_400_000);
  assert.deepEqual(loadConfig({ NATS_URL: 'nats://a:4222, tls://[::1]:4443,wss://u:p@b/ws' }).nats.servers, [
    'nats://a:4222',
    'tls://[::1]:4443',
    'wss://u:p@b/ws',
  ]);
  assert.equal(
    loadConfig({ K_SINK: 'https://broker-ingress.knative-eventing.svc.cluster.local/flowcast/default' }).http.url,
    'https://broker-ingress.knative-eventing.svc.cluster.local/flowcast/default',
  );
});

test('an error names the variable that was set, alias included', () => {
  assert.throws(
    () => loadConfig({ EXPORT: 'http', K_SINK: 'http://[zz' }),
    (error: ConfigError) => error.message === 'K_SINK="http://[zz": must be an http:// or https:// URL with a host and an optional port from 1 to 65535',
  );
  assert.throws(
    () => loadConfig({ TARGET_TLS_CA_CERT_PATH: '/nonexistent/ca.pem' }),
    (error: ConfigError) => error.message === 'TARGET_TLS_CA_CERT_PATH="/nonexistent/ca.pem": must be the path of a readable file',
  );
});

test('warnings: an alias beside its variable with another value, a secret file others may read', () => {
  assert.deepEqual(loadConfig({}).warnings, []);
  assert.deepEqual(loadConfig({ HTTP_TARGET_URL: 'http://a/', K_SINK: 'http://a/' }).warnings, [], 'the same value: nothing to say');
  assert.deepEqual(loadConfig({ HTTP_TARGET_URL: 'http://a/', K_SINK: 'http://b/' }).warnings.map(describeIssue), [
    'K_SINK="http://b/": ignored: HTTP_TARGET_URL is set too and takes precedence',
  ]);
  const dir = mkdtempSync(`${tmpdir()}/flowcast-secrets-`);
  try {
    for (const file of ['user.creds', 'client.key', 'client.pem', 'ca.pem']) writeFileSync(`${dir}/${file}`, 'x');
    for (const file of ['user.creds', 'client.key']) chmodSync(`${dir}/${file}`, 0o600);
    const env = { NATS_CREDS: `${dir}/user.creds`, NATS_TLS_CERT: `${dir}/client.pem`, NATS_TLS_KEY: `${dir}/client.key`, NATS_TLS_CA: `${dir}/ca.pem` };
    chmodSync(`${dir}/client.pem`, 0o644); // a certificate is public
    assert.deepEqual(loadConfig(env).warnings, [], 'mode 0600 secrets, a 0644 certificate');
    chmodSync(`${dir}/user.creds`, 0o644);
    chmodSync(`${dir}/client.key`, 0o640);
    assert.deepEqual(loadConfig(env).warnings.map(describeIssue), [
      `NATS_CREDS="${dir}/user.creds": the file is readable by group or others (mode 0644): make it readable by its owner only (chmod 600, or defaultMode: 0400 for a Kubernetes Secret volume)`,
      `NATS_TLS_KEY="${dir}/client.key": the file is readable by group or others (mode 0640): make it readable by its owner only (chmod 600, or defaultMode: 0400 for a Kubernetes Secret volume)`,
    ]);
    const grpc = loadConfig({
      TARGET_TLS_CA_CERT_PATH: `${dir}/ca.pem`,
      TARGET_TLS_USER_CERT_PATH: `${dir}/client.pem`,
      TARGET_TLS_USER_KEY_PATH: `${dir}/client.key`,
    });
    assert.deepEqual(grpc.grpc.tls, { caFile: `${dir}/ca.pem`, certFile: `${dir}/client.pem`, keyFile: `${dir}/client.key`, serverName: undefined });
    assert.deepEqual(
      grpc.warnings.map((warning) => warning.variable),
      ['TARGET_TLS_USER_KEY_PATH'],
      'named as it was set',
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
  for (const [name, property] of Object.entries(CONFIG_SCHEMA.properties)) {
    if (/_KEY$|_CREDS$/.test(name) && property['x-file']) assert.equal(property['x-secret'], true, `${name} is marked x-secret`);
  }
});

test('metrics: off unless asked, on 127.0.0.1 by default, METRICS_ENABLE and the prefix as NetObserv has them', () => {
  assert.equal(loadConfig({}).metrics, undefined);
  assert.deepEqual(loadConfig({ METRICS_PORT: '9400' }).metrics, { port: 9400, address: '127.0.0.1', prefix: 'flowcast_', tls: undefined });
  assert.equal(loadConfig({ METRICS_PORT: '9400', METRICS_ENABLE: 'false' }).metrics, undefined);
  const netobserv = loadConfig({ METRICS_ENABLE: 'true', METRICS_PREFIX: 'ebpf_agent_' });
  assert.deepEqual(netobserv.metrics, { port: 9090, address: '127.0.0.1', prefix: 'ebpf_agent_', tls: undefined });
  assert.deepEqual(
    netobserv.warnings.map((warning) => warning.variable),
    ['METRICS_ADDRESS'],
  );
  const served = loadConfig({ METRICS_ENABLE: 'true', METRICS_SERVER_ADDRESS: '0.0.0.0', METRICS_SERVER_PORT: '9102' });
  assert.deepEqual([served.metrics, served.warnings], [{ port: 9102, address: '0.0.0.0', prefix: 'flowcast_', tls: undefined }, []]);
});

test('AGENT_IP_IFACE and AGENT_IP_TYPE pick the reported address as NetObserv does', async () => {
  const net = await TestNet.create();
  try {
    // A second interface holding the default routes, so that external and local differ.
    await exec(net.a.ns, 'ip', 'link', 'add', 'fcd', 'type', 'veth', 'peer', 'name', 'fce');
    await exec(net.a.ns, 'ip', 'addr', 'add', '192.0.2.7/32', 'dev', 'fcd');
    await exec(net.a.ns, 'ip', '-6', 'addr', 'add', '2001:db8::7/128', 'dev', 'fcd', 'nodad');
    for (const name of ['fce', 'fcd']) await exec(net.a.ns, 'ip', 'link', 'set', name, 'up'); // libuv lists only running interfaces
    const pick = async (env: Record<string, string>) => {
      const script = `import('${PROJECT_ROOT}src/config/index.ts').then(({ loadConfig, describeIssue }) => {
        try { const c = loadConfig(${JSON.stringify(env)}); console.log(JSON.stringify([c.agent.ip, c.warnings.map(describeIssue)])); }
        catch (e) { console.log(JSON.stringify(['error', e.message])); } })`;
      return JSON.parse(await exec(net.a.ns, process.execPath, '--import', 'tsx', '-e', script));
    };
    assert.deepEqual(await pick({ AGENT_IP_IFACE: 'name:fca' }), ['198.18.0.1', []]);
    assert.deepEqual(await pick({ AGENT_IP_IFACE: 'name:fca', AGENT_IP_TYPE: 'ipv6' }), ['fd00:fc::1', []], 'global before link-local');
    assert.deepEqual(await pick({ AGENT_IP_IFACE: 'name:fcd', AGENT_IP_TYPE: 'ipv4' }), ['192.0.2.7', []]);
    assert.deepEqual(await pick({ AGENT_IP_IFACE: 'name:lo' }), ['error', 'AGENT_IP_IFACE="name:lo": interface lo has no address besides loopback']);
    assert.deepEqual(await pick({ AGENT_IP_IFACE: 'local' }), ['198.18.0.1', []]);
    assert.deepEqual(await pick({ AGENT_IP_IFACE: 'external' }), [
      '198.18.0.1',
      ['AGENT_IP_IFACE="external": no default route: reporting the first address of any interface (198.18.0.1)'],
    ]);
    assert.deepEqual(await pick({}), ['198.18.0.1', []], 'the default (external) falls back without a word');
    await exec(net.a.ns, 'ip', 'route', 'add', 'default', 'dev', 'fcd');
    await exec(net.a.ns, 'ip', '-6', 'route', 'add', 'default', 'dev', 'fcd');
    assert.deepEqual(await pick({}), ['192.0.2.7', []]);
    assert.deepEqual(await pick({ AGENT_IP_IFACE: 'external', AGENT_IP_TYPE: 'ipv6' }), ['2001:db8::7', []]);
    assert.deepEqual(await pick({ AGENT_IP_IFACE: 'local' }), ['198.18.0.1', []]);
    assert.deepEqual(await pick({ AGENT_IP: '10.9.8.7', AGENT_IP_IFACE: 'name:lo' }), ['10.9.8.7', []], 'AGENT_IP wins');
  } finally {
    await net.destroy();
  }
});
