import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { test } from 'node:test';

import { ConfigError, describeIssue, loadConfig, type Config } from '../../src/config/index.js';
import { NETOBSERV_VARIABLES, type NetobservVariable } from '../../src/config/netobserv.js';
import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import { AgentProcess } from '../helpers/agent.js';
import { makeCertificates } from '../helpers/certs.js';
import { PROJECT_ROOT, TestNet, exec, exitOf } from '../helpers/netns.js';

// NetObserv's agent variables as /work/shared/NETOBSERV-FACTS.md §9 lists them (its pkg/config/config.go
// at HEAD), written out here so that the table cannot lose one without this test noticing.
const NETOBSERV_HEAD = `AGENT_IP AGENT_IP_IFACE AGENT_IP_TYPE EXPORT TARGET_HOST TARGET_PORT TARGET_TLS_CA_CERT_PATH
  TARGET_TLS_USER_CERT_PATH TARGET_TLS_USER_KEY_PATH GRPC_MESSAGE_MAX_FLOWS GRPC_RECONNECT_TIMER GRPC_RECONNECT_TIMER_RANDOMIZATION
  INTERFACES EXCLUDE_INTERFACES INTERFACE_IPS TC_ATTACH_MODE TC_ATTACH_RETRIES TCX_ATTACH_ANCHOR_INGRESS TCX_ATTACH_ANCHOR_EGRESS
  LISTEN_INTERFACES LISTEN_POLL_PERIOD PREFERRED_INTERFACE_FOR_MAC_PREFIX BUFFERS_LENGTH EXPORTER_BUFFER_LENGTH CACHE_MAX_FLOWS
  CACHE_ACTIVE_TIMEOUT DIRECTION LOG_LEVEL SAMPLING STALE_ENTRIES_EVICT_TIMEOUT FORCE_GARBAGE_COLLECTION KAFKA_BROKERS KAFKA_TOPIC
  KAFKA_BATCH_MESSAGES KAFKA_BATCH_SIZE KAFKA_ASYNC KAFKA_COMPRESSION KAFKA_ENABLE_TLS KAFKA_TLS_INSECURE_SKIP_VERIFY
  KAFKA_TLS_CA_CERT_PATH KAFKA_TLS_USER_CERT_PATH KAFKA_TLS_USER_KEY_PATH KAFKA_ENABLE_SASL KAFKA_SASL_TYPE KAFKA_SASL_CLIENT_ID_PATH
  KAFKA_SASL_CLIENT_SECRET_PATH PPROF_ADDR FLP_CONFIG ENABLE_RTT ENABLE_PKT_DROPS ENABLE_DNS_TRACKING DNS_TRACKING_PORT ENABLE_PCA
  ENABLE_NETWORK_EVENTS_MONITORING NETWORK_EVENTS_MONITORING_GROUP_ID ENABLE_PKT_TRANSLATION ENABLE_UDN_MAPPING ENABLE_IPSEC_TRACKING
  ENABLE_OPENSSL_TRACKING OPENSSL_PATH ENABLE_FLOWS_RINGBUF_FALLBACK ENABLE_TLS_TRACKING QUIC_TRACKING_MODE FLOW_FILTER_RULES
  EBPF_PROGRAM_MANAGER_MODE BPFMAN_BPF_FS_PATH METRICS_ENABLE METRICS_LEVEL METRICS_SERVER_ADDRESS METRICS_SERVER_PORT
  METRICS_TLS_CERT_PATH METRICS_TLS_KEY_PATH METRICS_PREFIX FLOWS_TARGET_HOST FLOWS_TARGET_PORT PCA_SERVER_PORT`.split(/\s+/);
// Removed from NetObserv (§6, §7, §9's doc mismatches): a configuration may still carry them.
const NETOBSERV_REMOVED = `ENABLE_FLOW_FILTER FILTER_DIRECTION FILTER_IP_CIDR FILTER_PROTOCOL FILTER_SOURCE_PORT FILTER_DESTINATION_PORT
  FILTER_PORT FILTER_SOURCE_PORT_RANGE FILTER_SOURCE_PORTS FILTER_DESTINATION_PORT_RANGE FILTER_DESTINATION_PORTS FILTER_PORT_RANGE
  FILTER_PORTS FILTER_ICMP_TYPE FILTER_ICMP_CODE FILTER_PEER_IP FILTER_ACTION FILTER_TCP_FLAGS FILTER_DROPS PCA_FILTER DEDUPER
  DEDUPER_FC_EXPIRY DEDUPER_JUST_MARK DEDUPER_MERGE METRICS_ENABLED`.split(/\s+/);

// What an alias needs beside it to load (the schema's dependencies).
const CONTEXT: Record<string, Record<string, string>> = {
  TARGET_TLS_USER_CERT_PATH: { GRPC_TLS_KEY: '/proc/self/status', GRPC_TLS_CA: '/proc/self/status' },
  TARGET_TLS_USER_KEY_PATH: { GRPC_TLS_CERT: '/proc/self/status', GRPC_TLS_CA: '/proc/self/status' },
  EXPORT: { TARGET_HOST: 'collector', TARGET_PORT: '2055' },
  METRICS_TLS_CERT_PATH: { METRICS_TLS_KEY: '/proc/self/status' },
  METRICS_TLS_KEY_PATH: { METRICS_TLS_CERT: '/proc/self/status' },
};

const withoutWarnings = (config: Config) => ({ ...config, warnings: [] });

/** loadConfig's verdict on one variable: 'ok', its warning lines, or its error lines. */
function outcome(env: Record<string, string>): { ok?: Config; warnings: string[]; errors: string[] } {
  try {
    const config = loadConfig(env);
    return { ok: config, warnings: config.warnings.map(describeIssue), errors: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { warnings: [], errors: error.message.split('\n') };
  }
}

test('the table has every NetObserv variable once, and nothing else', () => {
  const names = NETOBSERV_VARIABLES.map((variable) => variable.name);
  assert.equal(new Set(names).size, names.length, 'no name twice');
  assert.deepEqual([...names].sort(), [...NETOBSERV_HEAD, ...NETOBSERV_REMOVED].sort());
});

test('each NetObserv variable behaves as its status says', () => {
  const check = (variable: NetobservVariable) => {
    const { name, example } = variable;
    const env = { ...CONTEXT[name], [name]: example };
    const result = outcome(env);
    switch (variable.status) {
      case 'supported': {
        assert.ok(CONFIG_SCHEMA.properties[name], `${name}: a flowcast variable`);
        assert.ok(result.ok, `${name}=${example} loads: ${result.errors}`);
        assert.deepEqual(
          result.warnings.filter((line) => line.startsWith(name)),
          [],
          `${name}: no warning`,
        );
        break;
      }
      case 'alias': {
        assert.ok(CONFIG_SCHEMA.properties[variable.of!]['x-aliases']?.includes(name), `${name} is in ${variable.of}'s x-aliases`);
        const direct = outcome({ ...CONTEXT[name], [variable.of!]: example });
        assert.ok(result.ok && direct.ok, `${name}=${example} loads: ${result.errors}`);
        assert.deepEqual(withoutWarnings(result.ok), withoutWarnings(direct.ok), `${name} means ${variable.of}`);
        break;
      }
      case 'warning': {
        assert.ok(result.ok, `${name}=${example} loads: ${result.errors}`);
        assert.deepEqual(result.warnings, [`${name}=${JSON.stringify(example)}: ignored: ${variable.note}`]);
        break;
      }
      case 'refused': {
        assert.deepEqual(result.errors, [
          `${name}=${JSON.stringify(example)}: refused: ${variable.note} (unset it${variable.silent ? ` or set ${variable.silent.text}` : ''})`,
        ]);
        break;
      }
    }
    for (const [value, reason] of Object.entries(variable.refusedValues ?? {})) {
      assert.deepEqual(outcome({ [name]: value }).errors, [`${name}=${JSON.stringify(value)}: refused: ${reason}`]);
    }
  };
  for (const variable of NETOBSERV_VARIABLES) check(variable);
  // NetObserv's "off" values change nothing there either: not a word.
  const silentValues: Record<string, string> = {
    ENABLE_RTT: 'false',
    ENABLE_PKT_DROPS: 'False',
    ENABLE_DNS_TRACKING: '0',
    QUIC_TRACKING_MODE: '0',
    FLOW_FILTER_RULES: ' [ ] ',
    ENABLE_FLOWS_RINGBUF_FALLBACK: 'true',
    GRPC_RECONNECT_TIMER: '0s',
    METRICS_LEVEL: 'info',
    TCX_ATTACH_ANCHOR_INGRESS: 'none',
  };
  const silent = outcome(silentValues);
  assert.ok(silent.ok, silent.errors.join('\n'));
  assert.deepEqual(silent.warnings, []);
  assert.ok(NETOBSERV_VARIABLES.filter((variable) => variable.silent).every((variable) => variable.silent!.test(variable.example) === false));
});

test('several at once: every refusal in one message, every warning its own line', () => {
  const result = outcome({ ENABLE_PCA: 'true', ENABLE_TLS_TRACKING: 'true', PPROF_ADDR: ':6060', SAMPLING: 'x' });
  assert.deepEqual(
    result.errors.map((line) => line.split('=')[0]),
    ['SAMPLING', 'ENABLE_PCA', 'ENABLE_TLS_TRACKING'],
  );
  const warned = outcome({ PPROF_ADDR: ':6060', KAFKA_BROKERS: 'kafka:9092', DEDUPER_MERGE: 'true' });
  assert.deepEqual(
    warned.warnings.map((line) => line.split('=')[0]),
    ['KAFKA_BROKERS', 'PPROF_ADDR', 'DEDUPER_MERGE'],
  );
});

test('the agent logs each warning at start and exits 2 on a refused variable', async () => {
  const net = await TestNet.create();
  try {
    const refused = AgentProcess.start(net.a.ns, { INTERFACES: 'fca', ENABLE_PCA: 'true', PPROF_ADDR: ':6060' });
    assert.equal(await refused.exited(), 2);
    assert.equal(
      refused.stderr,
      [
        'flowcast-agent: invalid configuration (see --help):',
        'ENABLE_PCA="true": refused: flowcast does not capture packets for NetObserv\'s packet capture (unset it or set false)',
        '',
      ].join('\n'),
    );
    const agent = AgentProcess.start(net.a.ns, { INTERFACES: 'fca', PPROF_ADDR: ':6060', STALE_ENTRIES_EVICT_TIMEOUT: '10s', CACHE_ACTIVE_TIMEOUT: '1h' });
    await agent.waitForLog('capturing');
    assert.equal(await agent.stop(), 0, agent.stderr);
    const warnings = agent.stderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((line) => line.level === 40);
    assert.deepEqual(
      warnings.map((line) => [line.variable, line.msg.split(':')[0]]),
      [
        ['STALE_ENTRIES_EVICT_TIMEOUT', 'STALE_ENTRIES_EVICT_TIMEOUT="10s"'],
        ['PPROF_ADDR', 'PPROF_ADDR="'],
      ],
    );
  } finally {
    await net.destroy();
  }
});

test("NetObserv's metrics settings: METRICS_ENABLE, METRICS_SERVER_ADDRESS/PORT and METRICS_PREFIX name every flowcast metric", async () => {
  const net = await TestNet.create();
  try {
    const agent = AgentProcess.start(net.a.ns, {
      INTERFACES: 'fca',
      CACHE_ACTIVE_TIMEOUT: '1h',
      METRICS_ENABLE: 'true',
      METRICS_SERVER_ADDRESS: net.a.ipv4,
      METRICS_SERVER_PORT: '9409',
      METRICS_PREFIX: 'ebpf_agent_',
    });
    await agent.waitForLog('serving /metrics');
    const script = `fetch("http://${net.a.ipv4}:9409/metrics").then(async (r) => process.stdout.write(await r.text()))`;
    const names = new Set([...(await exec(net.a.ns, process.execPath, '-e', script)).matchAll(/^([a-z_:]+)[ {]/gm)].map((match) => match[1]));
    assert.ok(names.has('ebpf_agent_interfaces_attached') && names.has('ebpf_agent_packets_total') && names.has('ebpf_agent_build_info'), [...names].join(' '));
    // The standard process and Node.js metrics keep their names, as NetObserv's agent's Go ones do.
    assert.ok(names.has('process_cpu_seconds_total'));
    assert.deepEqual(
      [...names].filter((name) => !/^(ebpf_agent_|process_|nodejs_)/.test(name)),
      [],
    );
    assert.equal(await agent.stop(), 0);
  } finally {
    await net.destroy();
  }
});

test('METRICS_TLS_CERT_PATH and METRICS_TLS_KEY_PATH serve the metrics over HTTPS', async () => {
  const certificates = makeCertificates();
  const net = await TestNet.create();
  let agent: AgentProcess | undefined;
  try {
    chmodSync(certificates.serverKey, 0o600);
    agent = AgentProcess.start(net.a.ns, {
      INTERFACES: 'fca',
      CACHE_ACTIVE_TIMEOUT: '1h',
      METRICS_PORT: '9410',
      METRICS_ADDRESS: '127.0.0.1',
      METRICS_TLS_CERT_PATH: certificates.serverCert,
      METRICS_TLS_KEY_PATH: certificates.serverKey,
    });
    await agent.waitForLog('serving /metrics');
    const get = (url: string) =>
      exec(
        net.a.ns,
        process.execPath,
        '-e',
        `
      require('https').get(${JSON.stringify(url)}, { ca: require('fs').readFileSync(${JSON.stringify(certificates.ca)}) }, (response) => {
        let body = ''; response.on('data', (chunk) => (body += chunk)).on('end', () => process.stdout.write(response.statusCode + ' ' + body));
      }).on('error', (error) => process.stdout.write('error ' + error.code));`,
      );
    assert.equal(await get('https://127.0.0.1:9410/nothing-here'), '404 ');
    assert.match(await get('https://127.0.0.1:9410/metrics'), /^200 [^]*^flowcast_interfaces_attached 1$/m);
    const plain = `require('http').get('http://127.0.0.1:9410/metrics', (r) => process.stdout.write(String(r.statusCode))).on('error', (e) => process.stdout.write('error ' + e.code))`;
    assert.match(await exec(net.a.ns, process.execPath, '-e', plain), /^error /, 'no plain HTTP');
    assert.equal(await agent.stop(), 0);
    assert.ok(!agent.stderr.includes('"level":40'), `no warning: ${agent.stderr}`);
  } finally {
    await agent?.stop('SIGKILL'); // at once if it has exited; else a failed assertion left it running
    await net.destroy();
    rmSync(certificates.dir, { recursive: true, force: true });
  }
});

test("the bridge logs its warnings at start too, and none about the agent's settings", async () => {
  // nats-to-grpc without TARGET_PORT: the warnings are logged, then it exits 2 before connecting anywhere.
  const child = spawn(process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}src/bridge/cli.ts`], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      TARGET_HOST: 'flp',
      FLOWS_TARGET_HOST: 'old-flp',
      PPROF_ADDR: ':6060',
      ENABLE_DNS_TRACKING: 'true',
      METRICS_PREFIX: 'ebpf_agent_',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  assert.equal(await exitOf(child), 2);
  const warnings = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((line) => line.level === 40);
  assert.deepEqual(
    warnings.map((line) => line.msg),
    [
      'FLOWS_TARGET_HOST="old-flp": ignored: TARGET_HOST is set too and takes precedence',
      'METRICS_PREFIX="ebpf_agent_": ignored: flowcast-bridge serves its metrics over plain HTTP, named flowcast_bridge_*',
    ],
    'no EXPORT warning, no NetObserv agent variable checked',
  );
});
