// Agent configuration from environment variables, validated against schemas/config.schema.json
// (by the validator generated from it at build time: config-validator.generated.js).
import { hostname } from 'node:os';
import type { ErrorObject, ValidateFunction } from 'ajv';

import { agentAddress, readableByOthers, type IpType } from './checks.js';
import type { Command } from './command-line.js';
import { validate as generatedValidate } from './config-validator.generated.js';
import { parseDuration } from './duration.js';
import { parseFilterRules, type FilterRule } from './filter-rules.js';
import { checkNetobservVariables } from './netobserv.js';
import { CONFIG_SCHEMA, allowedValues } from './schema.js';
import { commaList, parseCeOverrides } from './schema-keywords.js';

export { parseDuration } from './duration.js';

export type ExportKind = 'stdout' | 'nats' | 'http' | 'grpc' | 'ipfix+udp' | 'ipfix+tcp';

export interface Config {
  export: ExportKind;
  stdout: { format: 'table' | 'json'; topFlows: number };
  target: { host?: string; port?: number };
  bridge: {
    mode: 'nats-to-grpc' | 'grpc-to-nats';
    listenPort: number;
    listenAddress: string;
    tls?: { certFile: string; keyFile: string; caFile?: string };
    maxMessageBytes: number;
    maxRecords: number;
    bufferBytes: number;
    spoolDir?: string;
    spoolMaxBytes: number;
  };
  grpc: {
    maxFlows: number;
    maxMessageBytes?: number;
    reconnect?: { periodMs: number; randomizationMs: number };
    tls?: { caFile: string; certFile?: string; keyFile?: string; serverName?: string };
  };
  capture: {
    interfaces: string[];
    excludeInterfaces: string[];
    direction: 'ingress' | 'egress' | 'both';
    sampling: number;
    maxFlows: number;
    ringBufferBytes: number;
    attachMode: 'any' | 'tcx' | 'tc';
    interfaceIps: string[];
    listen: 'watch' | 'poll';
    pollPeriodMs: number;
    packetDrops: boolean;
    rtt: boolean;
    /** ENABLE_DNS_TRACKING: DNS_TRACKING_PORT (53 is tracked too); 0 when not tracking. */
    dnsPort: number;
    deduper: 'firstCome' | 'none';
    /** FLOW_FILTER_RULES; empty: no filtering. */
    filterRules: FilterRule[];
  };
  intervalMs: number;
  buffersLength: number;
  /** Transient failures the target answered a batch may have before it is dropped (0: no bound). */
  exportMaxAttempts: number;
  agent: { nodeName: string; ip: string };
  log: { level: string; pretty: boolean };
  metrics?: { port: number; address: string; prefix: string; tls?: { certFile: string; keyFile: string } };
  cloudEvents: { mode: 'binary' | 'structured'; avroSingleObject: boolean; extensions?: Record<string, string> };
  http: { url?: string; caCerts?: string; caCertsDir: string; oidcTokenFile: string };
  /** Whether intervals without flows or lost packets are exported too. */
  exportEmptyBatches: boolean;
  nats: {
    servers: string[];
    subject: string;
    jetstream: boolean;
    stream: string;
    streamMaxAgeMs: number;
    /** Replicas of a stream the agent creates (default 1). */
    streamReplicas?: number;
    bridgeDurable: string;
    credsFile?: string;
    user?: string;
    password?: string;
    token?: string;
    tls?: { caFile?: string; certFile?: string; keyFile?: string };
  };
  /** Accepted, but to be logged at start (ignored NetObserv variables, readable secrets, ...). */
  warnings: ConfigWarning[];
}

export interface ConfigIssue {
  variable: string;
  value: string | undefined;
  problem: string;
}

/** What loadConfig accepted but the operator should hear about at start, one log line each. */
export type ConfigWarning = ConfigIssue;

/** Every invalid variable at once; `message` has one line per variable. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(describeIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

/** One line: `VARIABLE="value": problem`. */
export function describeIssue({ variable, value, problem }: ConfigIssue): string {
  return value === undefined ? `${variable}: ${problem}` : `${variable}=${JSON.stringify(value)}: ${problem}`;
}

// Generated at build time from the schema (validator-build.ts): no ajv and no compiling at start.
const validate = generatedValidate as ValidateFunction;

const GO_BOOLEANS: Record<string, string> = Object.fromEntries([
  ...['1', 't', 'T', 'TRUE', 'True'].map((spelling) => [spelling, 'true']),
  ...['0', 'f', 'F', 'FALSE', 'False'].map((spelling) => [spelling, 'false']),
]);

/**
 * The variables the schema knows, read from `env` (aliases included; the schema's name wins);
 * empty counts as unset. `sources` names the variable each value came from, for error messages.
 */
function readVariables(env: NodeJS.ProcessEnv): { raw: Record<string, string>; sources: Record<string, string>; warnings: ConfigWarning[] } {
  const raw: Record<string, string> = {};
  const sources: Record<string, string> = {};
  const warnings: ConfigWarning[] = [];
  for (const [name, property] of Object.entries(CONFIG_SCHEMA.properties)) {
    const set = [name, ...(property['x-aliases'] ?? [])].filter((source) => env[source] !== undefined && env[source] !== '');
    if (set.length === 0) continue;
    raw[name] = env[set[0]]!;
    // NetObserv reads its switches with Go's strconv.ParseBool: accept its spellings too.
    if (property.type === 'boolean' && Object.hasOwn(GO_BOOLEANS, raw[name])) raw[name] = GO_BOOLEANS[raw[name]];
    sources[name] = set[0];
    for (const other of set.slice(1)) {
      if (env[other] !== raw[name]) warnings.push({ variable: other, value: env[other], problem: `ignored: ${set[0]} is set too and takes precedence` });
    }
  }
  return { raw, sources, warnings };
}

/** Turns ajv's errors into one issue per variable, in schema order. */
function toIssues(errors: ErrorObject[], raw: Record<string, string>, sources: Record<string, string>): ConfigIssue[] {
  const issues = new Map<string, ConfigIssue>();
  for (const error of errors) {
    if (error.keyword === 'if') continue; // its `then` branch reports the actual problem
    if (error.keyword === 'required' || error.keyword === 'dependencies') {
      const variable = error.params.missingProperty as string;
      const because = error.keyword === 'dependencies' ? `${error.params.property} is set` : conditionOf(error.schemaPath);
      issues.set(variable, { variable, value: undefined, problem: `required when ${because}` });
      continue;
    }
    const variable = error.instancePath.slice(1);
    if (!issues.has(variable)) {
      issues.set(variable, {
        variable: sources[variable] ?? variable,
        value: raw[variable],
        problem: `must be ${allowedValues(CONFIG_SCHEMA.properties[variable])}`,
      });
    }
  }
  const order = Object.keys(CONFIG_SCHEMA.properties);
  return [...issues.entries()].sort(([x], [y]) => order.indexOf(x) - order.indexOf(y)).map(([, issue]) => issue);
}

/** "EXPORT=grpc" for an error raised under allOf/N/then. */
function conditionOf(schemaPath: string): string {
  const index = Number(/allOf\/(\d+)\/then/.exec(schemaPath)?.[1]);
  const branch = CONFIG_SCHEMA.allOf[index] as { if?: { properties: Record<string, { const: string }> } };
  return Object.entries(branch?.if?.properties ?? {})
    .map(([name, rule]) => `${name}=${rule.const}`)
    .join(' and ');
}

/** METRICS_ENABLE=true without a port: NetObserv's METRICS_SERVER_PORT default. */
const NETOBSERV_METRICS_PORT = 9090;

/** logrus' spellings (NetObserv's LOG_LEVEL) of pino's levels. */
const LOG_LEVELS: Record<string, string> = { warning: 'warn', panic: 'fatal' };

/** Checks past the schema's: the agent's address, secret files' permissions, settings worth a word. */
function checkBeyondSchema(env: NodeJS.ProcessEnv, values: Record<string, any>, sources: Record<string, string>, command: Command) {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigWarning[] = [];
  let agentIp = values.AGENT_IP as string | undefined;
  if (agentIp === undefined) {
    const found = agentAddress(values.AGENT_IP_IFACE, values.AGENT_IP_TYPE as IpType);
    agentIp = found.ip;
    if (found.problem) issues.push({ variable: sources.AGENT_IP_IFACE, value: values.AGENT_IP_IFACE, problem: found.problem });
    if (found.fellBack && sources.AGENT_IP_IFACE) {
      warnings.push({
        variable: sources.AGENT_IP_IFACE,
        value: values.AGENT_IP_IFACE,
        problem: `no default route: reporting the first address of any interface (${agentIp || 'none'})`,
      });
    }
  }
  let filterRules: FilterRule[] = [];
  if (values.FLOW_FILTER_RULES !== undefined) {
    const parsed = parseFilterRules(values.FLOW_FILTER_RULES);
    filterRules = parsed.rules;
    for (const { field, value, problem } of parsed.issues) {
      issues.push({ variable: `FLOW_FILTER_RULES${field}`, value: value === undefined || typeof value === 'string' ? value : JSON.stringify(value), problem });
    }
    for (const rule of filterRules.filter((candidate) => candidate.drops && !values.ENABLE_PKT_DROPS)) {
      warnings.push({
        variable: `FLOW_FILTER_RULES[${rule.index}].drops`,
        value: 'true',
        problem: 'without ENABLE_PKT_DROPS=true no packet is seen dropped, so this rule matches nothing',
      });
    }
  }
  const reconnectMs = parseDuration(values.GRPC_RECONNECT_TIMER);
  if (reconnectMs > 0 && parseDuration(values.GRPC_RECONNECT_TIMER_RANDOMIZATION) >= reconnectMs) {
    issues.push({
      variable: sources.GRPC_RECONNECT_TIMER_RANDOMIZATION ?? 'GRPC_RECONNECT_TIMER_RANDOMIZATION',
      value: values.GRPC_RECONNECT_TIMER_RANDOMIZATION,
      problem: `must be less than GRPC_RECONNECT_TIMER (${values.GRPC_RECONNECT_TIMER})`,
    });
  }
  for (const [name, property] of Object.entries(CONFIG_SCHEMA.properties)) {
    const mode = property['x-secret'] && values[name] !== undefined ? readableByOthers(values[name]) : undefined;
    if (mode !== undefined) {
      warnings.push({
        variable: sources[name],
        value: values[name],
        problem: `the file is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}): make it readable by its owner only (chmod 600, or defaultMode: 0400 for a Kubernetes Secret volume)`,
      });
    }
  }
  if (command === 'flowcast-bridge') {
    // EXPORT is the agent's; the bridge's metrics server has a fixed prefix and no TLS.
    for (const name of ['METRICS_PREFIX', 'METRICS_TLS_CERT', 'METRICS_TLS_KEY']) {
      if (sources[name])
        warnings.push({
          variable: sources[name],
          value: values[name],
          problem: 'ignored: flowcast-bridge serves its metrics over plain HTTP, named flowcast_bridge_*',
        });
    }
    return { issues, warnings, agentIp, filterRules };
  }
  if (env.EXPORT === undefined || env.EXPORT === '') {
    if (values.TARGET_HOST !== undefined)
      warnings.push({
        variable: 'EXPORT',
        value: undefined,
        problem: `unset, so batches go to stdout (NetObserv's default is grpc): set EXPORT=grpc to send to ${sources.TARGET_HOST}`,
      });
  }
  if (values.METRICS_ENABLE === true && values.METRICS_ADDRESS === CONFIG_SCHEMA.properties.METRICS_ADDRESS.default && !sources.METRICS_ADDRESS) {
    warnings.push({
      variable: 'METRICS_ADDRESS',
      value: undefined,
      problem: `unset, so metrics are served on ${values.METRICS_ADDRESS} only (NetObserv serves on every address): set METRICS_ADDRESS (or METRICS_SERVER_ADDRESS) to the address scrapers reach`,
    });
  }
  return { issues, warnings, agentIp, filterRules };
}

/**
 * Reads and validates the configuration; throws ConfigError naming every bad variable. NetObserv's
 * agent variables are checked for the agent only: the bridge captures nothing.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, command: Command = 'flowcast-agent'): Config {
  const { raw, sources, warnings } = readVariables(env);
  const netobserv = command === 'flowcast-agent' ? checkNetobservVariables(env) : { warnings: [], refused: [] };
  const values: Record<string, any> = { ...raw };
  if (!validate(values) || netobserv.refused.length > 0) {
    // A refused NetObserv value (EXPORT=kafka) says more than the schema's "must be one of".
    const refused = new Set(netobserv.refused.map((issue) => issue.variable));
    const schemaIssues = toIssues(validate.errors ?? [], raw, sources).filter((issue) => !refused.has(issue.variable));
    throw new ConfigError([...schemaIssues, ...netobserv.refused]);
  }
  const beyond = checkBeyondSchema(env, values, sources, command);
  if (beyond.issues.length > 0) throw new ConfigError(beyond.issues);
  const metricsOn = values.METRICS_ENABLE ?? values.METRICS_PORT !== undefined;
  const tls =
    values.NATS_TLS_CA || values.NATS_TLS_CERT ? { caFile: values.NATS_TLS_CA, certFile: values.NATS_TLS_CERT, keyFile: values.NATS_TLS_KEY } : undefined;
  return {
    export: values.EXPORT,
    stdout: { format: values.STDOUT_FORMAT, topFlows: values.STDOUT_TOP_FLOWS },
    target: { host: values.TARGET_HOST, port: values.TARGET_PORT },
    bridge: {
      mode: values.BRIDGE_MODE,
      listenPort: values.BRIDGE_LISTEN_PORT,
      listenAddress: values.BRIDGE_LISTEN_ADDRESS,
      tls: values.BRIDGE_TLS_CERT ? { certFile: values.BRIDGE_TLS_CERT, keyFile: values.BRIDGE_TLS_KEY, caFile: values.BRIDGE_TLS_CLIENT_CA } : undefined,
      maxMessageBytes: values.BRIDGE_MAX_MESSAGE_BYTES,
      maxRecords: values.BRIDGE_MAX_RECORDS,
      bufferBytes: values.BRIDGE_BUFFER_BYTES,
      spoolDir: values.BRIDGE_SPOOL_DIR,
      spoolMaxBytes: values.BRIDGE_SPOOL_MAX_BYTES,
    },
    grpc: {
      maxFlows: values.GRPC_MESSAGE_MAX_FLOWS,
      maxMessageBytes: values.GRPC_MESSAGE_MAX_BYTES,
      reconnect:
        parseDuration(values.GRPC_RECONNECT_TIMER) > 0
          ? { periodMs: parseDuration(values.GRPC_RECONNECT_TIMER), randomizationMs: parseDuration(values.GRPC_RECONNECT_TIMER_RANDOMIZATION) }
          : undefined,
      tls: values.GRPC_TLS_CA
        ? { caFile: values.GRPC_TLS_CA, certFile: values.GRPC_TLS_CERT, keyFile: values.GRPC_TLS_KEY, serverName: values.GRPC_TLS_SERVER_NAME }
        : undefined,
    },
    capture: {
      interfaces: commaList(values.INTERFACES),
      excludeInterfaces: commaList(values.EXCLUDE_INTERFACES),
      direction: values.DIRECTION,
      sampling: values.SAMPLING,
      maxFlows: values.CACHE_MAX_FLOWS,
      ringBufferBytes: values.RING_BUFFER_SIZE,
      attachMode: values.TC_ATTACH_MODE,
      interfaceIps: commaList(values.INTERFACE_IPS),
      listen: values.LISTEN_INTERFACES,
      pollPeriodMs: parseDuration(values.LISTEN_POLL_PERIOD),
      packetDrops: values.ENABLE_PKT_DROPS,
      rtt: values.ENABLE_RTT,
      dnsPort: values.ENABLE_DNS_TRACKING ? values.DNS_TRACKING_PORT : 0,
      deduper: values.DEDUPER,
      filterRules: beyond.filterRules,
    },
    intervalMs: parseDuration(values.CACHE_ACTIVE_TIMEOUT),
    buffersLength: values.BUFFERS_LENGTH,
    exportMaxAttempts: values.EXPORT_MAX_ATTEMPTS,
    agent: { nodeName: values.NODE_NAME ?? hostname(), ip: beyond.agentIp },
    log: { level: LOG_LEVELS[values.LOG_LEVEL] ?? values.LOG_LEVEL, pretty: values.LOG_PRETTY },
    metrics: metricsOn
      ? {
          port: values.METRICS_PORT ?? NETOBSERV_METRICS_PORT,
          address: values.METRICS_ADDRESS,
          prefix: values.METRICS_PREFIX,
          tls: values.METRICS_TLS_CERT ? { certFile: values.METRICS_TLS_CERT, keyFile: values.METRICS_TLS_KEY } : undefined,
        }
      : undefined,
    cloudEvents: {
      mode: values.CE_MODE,
      avroSingleObject: values.AVRO_SINGLE_OBJECT,
      extensions: values.K_CE_OVERRIDES ? parseCeOverrides(values.K_CE_OVERRIDES) : undefined,
    },
    http: { url: values.HTTP_TARGET_URL, caCerts: values.K_CA_CERTS, caCertsDir: values.K_CA_CERTS_DIR, oidcTokenFile: values.K_OIDC_TOKEN_FILE },
    exportEmptyBatches: values.EXPORT_EMPTY_BATCHES,
    nats: {
      servers: commaList(values.NATS_URL),
      subject: values.NATS_SUBJECT,
      jetstream: values.NATS_JETSTREAM,
      stream: values.NATS_STREAM,
      streamMaxAgeMs: parseDuration(values.NATS_STREAM_MAX_AGE),
      streamReplicas: values.NATS_STREAM_REPLICAS,
      bridgeDurable: values.BRIDGE_DURABLE,
      credsFile: values.NATS_CREDS,
      user: values.NATS_USER,
      password: values.NATS_PASSWORD,
      token: values.NATS_TOKEN,
      tls,
    },
    warnings: [...warnings, ...netobserv.warnings, ...beyond.warnings],
  };
}
