// Checks that need more than the schema: URLs, secret files' permissions, the agent's own address.
import { readFileSync, statSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** A URL with `schemes`, `//`, a host and, if any, a port from 1 to 65535 (WHATWG URL rejects larger ones). */
export function isServerUrl(text: string, schemes: string[]): boolean {
  if (!/^[a-z]+:\/\//i.test(text)) return false;
  try {
    const url = new URL(text);
    return schemes.includes(url.protocol.slice(0, -1)) && url.hostname !== '' && url.port !== '0';
  } catch {
    return false;
  }
}

/** The file's permission bits when group or others may read it (a secret should be its owner's only). */
export function readableByOthers(path: string): number | undefined {
  try {
    const mode = statSync(path).mode & 0o777;
    return mode & 0o044 ? mode : undefined;
  } catch {
    return undefined; // x-file reports a file that cannot be read
  }
}

export type IpType = 'any' | 'ipv4' | 'ipv6';

/** The first non-loopback address of `type` (any: IPv4 first), global before link-local. */
function pick(addresses: NetworkInterfaceInfo[], type: IpType): string | undefined {
  const usable = addresses.filter((address) => !address.internal);
  const rank = (address: NetworkInterfaceInfo) => (address.family === 'IPv4' ? 0 : address.address.startsWith('fe80:') ? 2 : 1);
  const ordered = usable.filter((address) => type === 'any' || address.family === (type === 'ipv4' ? 'IPv4' : 'IPv6')).sort((x, y) => rank(x) - rank(y));
  return ordered[0]?.address;
}

/** The interface of the default route of the family, from /proc (what a UDP "connect" to the internet would pick). */
function defaultRouteInterface(type: IpType): string | undefined {
  try {
    if (type === 'ipv6') {
      for (const line of readFileSync('/proc/net/ipv6_route', 'utf8').trim().split('\n')) {
        const fields = line.trim().split(/\s+/);
        const [destination, prefix, flags, name] = [fields[0], fields[1], Number.parseInt(fields[8], 16), fields[9]];
        if (/^0+$/.test(destination) && prefix === '00' && flags & 1 && name !== 'lo') return name;
      }
      return undefined;
    }
    for (const line of readFileSync('/proc/net/route', 'utf8').trim().split('\n').slice(1)) {
      const [name, destination, , flags, , , , mask] = line.trim().split(/\s+/);
      if (destination === '00000000' && mask === '00000000' && Number.parseInt(flags, 16) & 1) return name;
    }
  } catch {
    // no /proc/net (not Linux): no default route known
  }
  return undefined;
}

/**
 * The address reported as the agent's, as NetObserv picks it (AGENT_IP_IFACE, AGENT_IP_TYPE):
 * `problem` when a named interface has no such address; `fellBack` when external found no route.
 */
export function agentAddress(iface: string, type: IpType): { ip: string; problem?: string; fellBack?: boolean } {
  const interfaces = networkInterfaces();
  if (iface.startsWith('name:')) {
    const name = iface.slice('name:'.length);
    if (!interfaces[name]) return { ip: '', problem: `no interface ${name} is up with an address` };
    const ip = pick(interfaces[name], type);
    return ip ? { ip } : { ip: '', problem: `interface ${name} has no ${type === 'any' ? '' : `${type} `}address besides loopback` };
  }
  const local = pick(Object.values(interfaces).flat() as NetworkInterfaceInfo[], type) ?? '';
  if (iface === 'local') return { ip: local };
  const routed = defaultRouteInterface(type === 'ipv6' ? 'ipv6' : 'ipv4');
  const ip = routed && interfaces[routed] ? pick(interfaces[routed], type === 'any' ? 'ipv4' : type) : undefined;
  return ip ? { ip } : { ip: local, fellBack: true };
}
