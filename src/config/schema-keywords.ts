// What the configuration schema's own formats and keywords check. The validator generated from the
// schema at build time (config-validator.generated.js, written by validator-build.ts) calls these.
import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';

import { isServerUrl } from './checks.js';
import { parseDuration } from './duration.js';
import { parseCidrs, parseInterfaceList } from './interface-lists.js';

/** The non-empty trimmed entries of a comma-separated value. */
export const commaList = (text: string) =>
  text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** K_CE_OVERRIDES' extensions; undefined when it is not {"extensions": {name: string}} per the spec's naming rule. */
export function parseCeOverrides(text: string): Record<string, string> | undefined {
  try {
    const extensions = (JSON.parse(text) as { extensions?: unknown }).extensions ?? {};
    if (typeof extensions !== 'object' || extensions === null || Array.isArray(extensions)) return undefined;
    const entries = Object.entries(extensions);
    const valid = entries.every(([name, value]) => /^[a-z0-9]{1,20}$/.test(name) && typeof value === 'string');
    return valid ? (Object.fromEntries(entries) as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

/** The schema's `format` values (ajv format definitions). */
export const FORMATS = {
  duration: { type: 'string', validate: (text: string) => !Number.isNaN(parseDuration(text)) },
  ip: { type: 'string', validate: (text: string) => isIP(text) !== 0 },
} as const;

/** The schema's x-* keywords that check a value: (the keyword's value in the schema, the variable's value) → valid. */
export const KEYWORD_CHECKS = {
  // A value that is no duration at all is the format's error, not a second one here.
  'x-min-ms': (minimum: number, text: string) => Number.isNaN(parseDuration(text)) || parseDuration(text) >= minimum,
  'x-max-ms': (maximum: number, text: string) => Number.isNaN(parseDuration(text)) || parseDuration(text) <= maximum,
  'x-power-of-two': (wanted: boolean, value: number) => !wanted || (value & (value - 1)) === 0,
  'x-format': (format: string, text: string) => {
    try {
      if (format === 'ce-overrides') return parseCeOverrides(text) !== undefined;
      if (format === 'http-url') return isServerUrl(text, ['http', 'https']);
      if (format === 'nats-urls') return commaList(text).length > 0 && commaList(text).every((url) => isServerUrl(url, ['nats', 'tls', 'ws', 'wss']));
      if (format === 'cidr-list') parseCidrs(text.split(','), '');
      else parseInterfaceList(text.split(','), '');
      return true;
    } catch {
      return false;
    }
  },
  'x-file': (wanted: boolean, path: string) => {
    try {
      if (wanted) accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
};
