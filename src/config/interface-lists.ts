// The interface lists of INTERFACES, EXCLUDE_INTERFACES and INTERFACE_IPS: parsed when the
// configuration is checked, and again by the capture that selects interfaces with them.
import ipaddr from 'ipaddr.js';

/** An entry is an exact interface name, or a regular expression written between slashes. */
export type InterfaceMatcher = { name: string } | { pattern: RegExp };

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

/** Parses INTERFACE_IPS entries ("10.0.0.0/8", "fd00::/64"); `source` names the setting in errors. */
export function parseCidrs(entries: readonly string[], source: string): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return entries
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      try {
        return ipaddr.parseCIDR(entry);
      } catch {
        throw new Error(`${source}: "${entry}" is not an address range such as 10.0.0.0/8 or fd00::/64`);
      }
    });
}
