// Which network interfaces to capture on: INTERFACES / EXCLUDE_INTERFACES semantics.
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';

import type { InterfaceMatcher } from '../config/interface-lists.js';

export interface NetworkInterface {
  name: string;
  ifIndex: number;
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
  return available.filter(({ name }) => (include.length === 0 || matches(name, include)) && !matches(name, exclude));
}

/** The names `include` spells out (not /regex/ entries) that no interface has now. */
export function missingNames(available: readonly NetworkInterface[], include: readonly InterfaceMatcher[]): string[] {
  return include.flatMap((matcher) => ('name' in matcher && !available.some(({ name }) => name === matcher.name) ? [matcher.name] : []));
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
