// The configuration schema (schemas/config.schema.json) and the words that describe its rules.
import { readFileSync } from 'node:fs';

export interface PropertySchema {
  type: 'string' | 'integer' | 'boolean';
  description: string;
  default?: string | number | boolean;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  format?: 'duration' | 'ip';
  'x-aliases'?: string[];
  'x-min-ms'?: number;
  'x-max-ms'?: number;
  'x-power-of-two'?: boolean;
  'x-format'?: 'interface-list' | 'cidr-list' | 'ce-overrides' | 'nats-urls' | 'http-url';
  'x-file'?: boolean;
  /** A file only its owner should read (a key, credentials): a warning at start otherwise. */
  'x-secret'?: boolean;
}

export interface ConfigSchema {
  description: string;
  properties: Record<string, PropertySchema>;
  allOf: object[];
}

export const CONFIG_SCHEMA = JSON.parse(readFileSync(new URL('../../schemas/config.schema.json', import.meta.url), 'utf8')) as ConfigSchema;

/** What a variable accepts, in words: the second half of every validation error. */
export function allowedValues(property: PropertySchema): string {
  if (property.enum) return `one of ${property.enum.join(', ')}`;
  if (property.type === 'boolean') return 'true or false';
  if (property.type === 'integer') {
    return `an integer from ${property.minimum} to ${property.maximum}${property['x-power-of-two'] ? ' that is a power of two' : ''}`;
  }
  if (property.format === 'duration') {
    return `a duration from ${durationText(property['x-min-ms'] ?? 0)} to ${durationText(property['x-max-ms']!)} such as 500ms, 5s or 1m30s`;
  }
  if (property.format === 'ip') return 'an IPv4 or IPv6 address';
  if (property['x-format'] === 'interface-list') return 'comma-separated interface names or /regex/ entries with valid regular expressions';
  if (property['x-format'] === 'cidr-list') return 'comma-separated address ranges such as 10.0.0.0/8 or fd00::/64';
  if (property['x-format'] === 'nats-urls')
    return 'comma-separated nats://, tls://, ws:// or wss:// URLs, each with a host and an optional port from 1 to 65535';
  if (property['x-format'] === 'http-url') return 'an http:// or https:// URL with a host and an optional port from 1 to 65535';
  if (property['x-format'] === 'ce-overrides') return 'JSON {"extensions": {...}} with extension names of lowercase letters and digits and string values';
  if (property['x-file']) return 'the path of a readable file';
  if (property.pattern) return `a value matching ${property.pattern}`;
  return 'a non-empty value';
}

/** 86400000 -> "24h", 1000 -> "1s", 10 -> "10ms": the largest unit that divides it. */
function durationText(ms: number): string {
  for (const [unit, size] of [
    ['h', 3600e3],
    ['m', 60e3],
    ['s', 1e3],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
