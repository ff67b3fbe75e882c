// --help and docs/config.md, both written from the schema (and the NetObserv table) so neither can drift.
import type { Command } from './command-line.js';
import { netobservMarkdown } from './netobserv.js';
import { CONFIG_SCHEMA, allowedValues } from './schema.js';

const defaultText = (value: unknown) => (value === undefined ? '(unset)' : value === '' ? '(empty)' : String(value));

/** The variables flowcast-bridge reads (the rest configure the agent's capture and exporters). */
const BRIDGE_VARIABLE = /^(BRIDGE_|NATS_|TARGET_|GRPC_|CE_|LOG_|METRICS_(ENABLE|PORT|ADDRESS)$|AVRO_SINGLE_OBJECT$|NODE_NAME$)/;

const INTRODUCTION: Record<Command, string[]> = {
  'flowcast-agent': [
    'Captures every flow on the selected interfaces with eBPF and exports per-interval batches.',
    'Configured by environment variables (run as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON):',
  ],
  'flowcast-bridge': [
    'Forwards flowcast CloudEvents from a JetStream stream to a pbflow.Collector (BRIDGE_MODE=nats-to-grpc),',
    'or serves pbflow.Collector for NetObserv agents and publishes what they send to NATS (grpc-to-nats).',
    'Configured by environment variables:',
  ],
};

export function helpText(command: Command = 'flowcast-agent'): string {
  const lines = [`Usage: ${command} [--help | --version]`, '', ...INTRODUCTION[command], ''];
  for (const [name, property] of Object.entries(CONFIG_SCHEMA.properties)) {
    if (command === 'flowcast-bridge' && !BRIDGE_VARIABLE.test(name)) continue;
    const aliases = property['x-aliases'] ? ` (alias: ${property['x-aliases'].join(', ')})` : '';
    lines.push(`  ${name}${aliases}  [default: ${defaultText(property.default)}]`);
    lines.push(`      ${property.description}`);
    lines.push(`      Allowed: ${allowedValues(property)}.`);
  }
  return lines.join('\n') + '\n';
}

export function configMarkdown(): string {
  const rows = Object.entries(CONFIG_SCHEMA.properties).map(([name, property]) => {
    const aliases = property['x-aliases'] ? `<br>alias: ${property['x-aliases'].map((alias) => `\`${alias}\``).join(', ')}` : '';
    const escape = (text: string) => text.replace(/\|/g, '\\|');
    return `| \`${name}\`${aliases} | ${property.default === undefined ? '(unset)' : `\`${defaultText(property.default)}\``} | ${escape(property.description)} | ${escape(allowedValues(property))} |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- Written by `make docs` from schemas/config.schema.json and src/config/netobserv.ts; test/config/config.test.ts checks it is current. -->',
    '',
    CONFIG_SCHEMA.description,
    '',
    "Every invalid variable is reported at once, each with its value and what is allowed, and the agent exits with code 2 before attaching anything. `flowcast-agent --help` prints this list (`flowcast-bridge --help` the bridge's part of it). What is accepted but deserves a word is logged at start, one warning line naming the variable: a secret file (`x-secret` in the schema: keys, NATS credentials) that group or others may read, an alias set beside its variable with another value (the variable wins), and the NetObserv variables below that flowcast ignores.",
    '',
    'Conditions: `TARGET_HOST` and `TARGET_PORT` are required with `EXPORT=grpc`, `EXPORT=ipfix+udp` and `EXPORT=ipfix+tcp`; `HTTP_TARGET_URL` (or `K_SINK`) with `EXPORT=http`; `NATS_USER` and `NATS_PASSWORD` go together, as do `NATS_TLS_CERT` and `NATS_TLS_KEY`; `GRPC_TLS_CERT` needs `GRPC_TLS_KEY` and `GRPC_TLS_CA`.',
    '',
    '| Variable | Default | Meaning | Allowed |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    netobservMarkdown(),
  ].join('\n');
}
