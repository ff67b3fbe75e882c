// --help and docs/config.md, both written from the schema so neither can drift from it.
import { CONFIG_SCHEMA, allowedValues } from './schema.js';

const defaultText = (value: unknown) => (value === undefined ? '(unset)' : value === '' ? '(empty)' : String(value));

export function helpText(): string {
  const lines = [
    'Usage: flowcast-agent [--help]',
    '',
    'Captures every flow on the selected interfaces with eBPF and exports per-interval batches.',
    'Configured by environment variables (run as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON):',
    '',
  ];
  for (const [name, property] of Object.entries(CONFIG_SCHEMA.properties)) {
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
    '<!-- Written by `make docs` from schemas/config.schema.json; test/config/config.test.ts checks it is current. -->',
    '',
    CONFIG_SCHEMA.description,
    '',
    'Every invalid variable is reported at once, each with its value and what is allowed, and the agent exits with code 2 before attaching anything. `flowcast-agent --help` prints this list.',
    '',
    'Conditions: `TARGET_HOST` and `TARGET_PORT` are required with `EXPORT=grpc`, `HTTP_TARGET_URL` (or `K_SINK`) with `EXPORT=http`; `NATS_USER` and `NATS_PASSWORD` go together, as do `NATS_TLS_CERT` and `NATS_TLS_KEY`; `GRPC_TLS_CERT` needs `GRPC_TLS_KEY` and `GRPC_TLS_CA`.',
    '',
    '| Variable | Default | Meaning | Allowed |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
