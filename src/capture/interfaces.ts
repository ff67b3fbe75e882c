// Which network interfaces to capture on: INTERFACES / EXCLUDE_INTERFACES semantics.
import { readdirSync, readFileSync } from 'node:fs';

/** An entry is an exact interface name, or a regular expression written between slashes. */
export type InterfaceMatcher = { name: string } | { pattern: RegExp };

export interface NetworkInterface {
  name: string;
  ifIndex: number;
}

/** Parses "eth0,/^veth/" entries; `source` names the setting in error messages. */
export function parseInterfaceList(entries: readonly string[], source: string): InterfaceMatcher[] {
  return entries
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      if (entry.length >= 2 && entry.startsWith('/') && entry.endsWith('/')) {
        try {
          return { pattern: new RegExp(entry.slice(1, -1)) };
        } catch (error) {
          throw new Error(`${source}: "${entry}" is not a valid regular expression (${(error as Error).message})`);
        }
      }
      return { name: entry };
    });
}

export function matches(name: string, matchers: readonly InterfaceMatcher[]): boolean {
  return matchers.some((matcher) => ('name' in matcher ? matcher.name === name : matcher.pattern.test(name)));
}

/** The interfaces of this process's network namespace (what if_nametoindex can see). */
export function listInterfaces(): NetworkInterface[] {
  return readdirSync('/sys/class/net').flatMap((name) => {
    try {
      return [{ name, ifIndex: Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8')) }];
    } catch {
      return []; // removed while we listed
    }
  });
}

/**
 * Interfaces matching `include` (all when empty) and not `exclude`.
 * An include entry naming one interface that does not exist is an error: it is a typo or a
 * missing device, and capturing nothing there silently would hide it.
 */
export function selectInterfaces(
  available: readonly NetworkInterface[],
  include: readonly InterfaceMatcher[],
  exclude: readonly InterfaceMatcher[],
): NetworkInterface[] {
  for (const matcher of include) {
    if ('name' in matcher && !available.some((candidate) => candidate.name === matcher.name)) {
      const names = available.map((candidate) => candidate.name).join(', ');
      throw new Error(`interface "${matcher.name}" not found (INTERFACES); this host has: ${names}`);
    }
  }
  return available.filter(
    ({ name }) => (include.length === 0 || matches(name, include)) && !matches(name, exclude),
  );
}
