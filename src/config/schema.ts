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
  'x-power-of-two'?: boolean;
  'x-format'?: 'interface-list' | 'cidr-list' | 'ce-overrides';
  'x-file'?: boolean;
}

export interface ConfigSchema {
  description: string;
  properties: Record<string, PropertySchema>;
  allOf: object[];
}

export const CONFIG_SCHEMA = JSON.parse(
  readFileSync(new URL('../../schemas/config.schema.json', import.meta.url), 'utf8'),
) as ConfigSchema;

/** What a variable accepts, in words: the second half of every validation error. */
export function allowedValues(property: PropertySchema): string {
  if (property.enum) return `one of ${property.enum.join(', ')}`;
  if (property.type === 'boolean') return 'true or false';
  if (property.type === 'integer') {
    return `an integer from ${property.minimum} to ${property.maximum}${property['x-power-of-two'] ? ' that is a power of two' : ''}`;
  }
  if (property.format === 'duration') {
    const minimum = property['x-min-ms'] ? ` of at least ${property['x-min-ms']}ms` : '';
    return `a duration${minimum} such as 500ms, 5s or 1m30s`;
  }
  if (property.format === 'ip') return 'an IPv4 or IPv6 address';
  if (property['x-format'] === 'interface-list') return 'comma-separated interface names or /regex/ entries with valid regular expressions';
  if (property['x-format'] === 'cidr-list') return 'comma-separated address ranges such as 10.0.0.0/8 or fd00::/64';
  if (property['x-format'] === 'ce-overrides') return 'JSON {"extensions": {...}} with extension names of lowercase letters and digits and string values';
  if (property['x-file']) return 'the path of a readable file';
  if (property.pattern) return `a value matching ${property.pattern}`;
  return 'a non-empty value';
}
