// Which network interfaces to capture on: INTERFACES / EXCLUDE_INTERFACES semantics.
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';

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
          throw new Error(`${source}: "${entry}" is not a valid regular expression (${(error as Error).message})`, { cause: error });
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

/** The index of the interface called `name` now, or undefined when there is none. */
export function interfaceIndex(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Interfaces matching `include` (all when empty) and not `exclude`. */
export function selectInterfaces(
  available: readonly NetworkInterface[],
  include: readonly InterfaceMatcher[],
  exclude: readonly InterfaceMatcher[],
): NetworkInterface[] {
  return available.filter(
    ({ name }) => (include.length === 0 || matches(name, include)) && !matches(name, exclude),
  );
}

/** The names `include` spells out (not /regex/ entries) that no interface has now. */
export function missingNames(available: readonly NetworkInterface[], include: readonly InterfaceMatcher[]): string[] {
  return include.flatMap((matcher) => ('name' in matcher && !available.some(({ name }) => name === matcher.name) ? [matcher.name] : []));
}

/** Parses INTERFACE_IPS entries ("10.0.0.0/8", "fd00::/64"); `source` names the setting in errors. */
export function parseCidrs(entries: readonly string[], source: string): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return entries.map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    try {
      return ipaddr.parseCIDR(entry);
    } catch {
      throw new Error(`${source}: "${entry}" is not an address range such as 10.0.0.0/8 or fd00::/64`);
    }
  });
}

/** The interfaces with an address inside one of `ranges`. */
export function selectByAddress(available: readonly NetworkInterface[], ranges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][]): NetworkInterface[] {
  const addresses = networkInterfaces();
  return available.filter(({ name }) =>
    (addresses[name] ?? []).some(({ address }) => {
      const parsed = ipaddr.process(address.split('%')[0]);
      return ranges.some((range) => parsed.kind() === range[0].kind() && parsed.match(range));
    }),
  );
}
