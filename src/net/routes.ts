// Names to addresses, and which source address and interface the kernel
// will use toward a target. A connected UDP socket makes the kernel run its
// route lookup without sending anything; its local address is the source the
// kernel will put in the IP header of our raw packets too (and the one a
// TCP/UDP/ICMPv6 pseudo-header must use).
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

export type AddressFamily = 4 | 6;

export class HostResolutionError extends Error {
  constructor(host: string, reason: string) {
    super(`${host}: ${reason}`);
    this.name = 'HostResolutionError';
  }
}

/** A host as a tool sends to it. */
export interface ResolvedHost {
  /** The address in the form both socket bindings take: `fd00::2`, `10.0.0.1`, `fe80::1%eth0`. */
  readonly address: string;
  readonly family: AddressFamily;
  /** The interface a link-local address is scoped to (the part after '%'), when there is one. */
  readonly scope?: string;
  /** Whether the host was given as an address (iputils then prints no names). */
  readonly literal: boolean;
}

/** iputils' (glibc's) words for a name that exists only in the other family. */
const WRONG_FAMILY = 'Address family for hostname not supported';
const UNKNOWN_NAME = 'Name or service not known';

/**
 * Resolves a host as iputils ping does: an address literal gives its own
 * family (and with `family` set to the other one fails as getaddrinfo does);
 * a name is looked up for A and AAAA (`family` undefined: the resolver's
 * first answer), A only (4) or AAAA only (6). A link-local IPv6 literal may
 * carry a scope, `fe80::1%eth0` or `fe80::1%2`; the interface must exist here.
 */
export async function resolveHost(host: string, options: { family?: AddressFamily } = {}): Promise<ResolvedHost> {
  const wanted = options.family;
  // Node's resolver answers '' with a type error and a deprecation warning.
  if (host.trim() === '') throw new HostResolutionError(`'${host}'`, 'empty host name');
  if (isIPv4(host)) {
    if (wanted === 6) throw new HostResolutionError(host, WRONG_FAMILY);
    return { address: host, family: 4, literal: true };
  }
  const percent = host.indexOf('%');
  const bare = percent < 0 ? host : host.slice(0, percent);
  if (isIPv6(bare)) {
    if (wanted === 4) throw new HostResolutionError(host, WRONG_FAMILY);
    if (percent < 0) return { address: host, family: 6, literal: true };
    // glibc accepts a scope on link-local (and multicast) addresses only, for an interface that exists.
    const scope = host.slice(percent + 1);
    const name = interfaceNameOf(scope);
    if (!name || !needsScope(bare)) throw new HostResolutionError(host, UNKNOWN_NAME);
    // Written with the interface's name, as getnameinfo() prints it (and both bindings parse it).
    return { address: `${bare}%${name}`, family: 6, scope: name, literal: true };
  }
  try {
    const { address, family } = await lookup(host, { family: wanted ?? 0 });
    return { address, family: family === 6 ? 6 : 4, literal: false };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'ENODATA') {
      // Found in the other family only: getaddrinfo's EAI_ADDRFAMILY, which Node reports as ENOTFOUND.
      if (wanted !== undefined && (await lookup(host, { family: wanted === 4 ? 6 : 4 }).then(() => true, () => false))) {
        throw new HostResolutionError(host, WRONG_FAMILY);
      }
      throw new HostResolutionError(host, UNKNOWN_NAME);
    }
    throw new HostResolutionError(host, `cannot resolve (${code ?? (error as Error).message})`);
  }
}

/** An IPv4 address for a name or dotted quad: resolveHost() for tools that speak IPv4 only. */
export async function resolveIpv4(host: string): Promise<string> {
  return (await resolveHost(host, { family: 4 })).address;
}

/** 4 or 6 for an address literal (an IPv6 one may carry a %scope), undefined for anything else. */
export function addressFamilyOf(address: string): AddressFamily | undefined {
  if (isIPv4(address)) return 4;
  const percent = address.indexOf('%');
  return isIPv6(percent < 0 ? address : address.slice(0, percent)) ? 6 : undefined;
}

/** The address without its %scope. */
export function withoutScope(address: string): string {
  const percent = address.indexOf('%');
  return percent < 0 ? address : address.slice(0, percent);
}

/** The %scope of an address, or undefined. */
export function scopeOf(address: string): string | undefined {
  const percent = address.indexOf('%');
  return percent < 0 ? undefined : address.slice(percent + 1);
}

/** fe80::/10 and ff02::/16: the addresses that mean nothing without an interface. */
export function needsScope(address: string): boolean {
  const bare = withoutScope(address).toLowerCase();
  return /^fe[89ab][0-9a-f]?:/.test(bare) || /^ff[0-9a-f]2:/.test(bare);
}

/**
 * The local address the kernel routes from toward `destination` (no packet
 * is sent); IPv6 link-local sources keep the scope. A broadcast destination
 * fails with EACCES unless `broadcast` is set (SO_BROADCAST), as iputils'
 * probe socket does.
 */
export async function sourceAddressFor(destination: string, { broadcast = false }: { broadcast?: boolean } = {}): Promise<string> {
  const family = addressFamilyOf(destination);
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    if (broadcast) {
      // SO_BROADCAST needs a bound socket; connect() would bind it too late.
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, () => {
          socket.setBroadcast(true);
          resolve();
        });
      });
    }
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      // Node hands a failed connect() (ENETUNREACH, EHOSTUNREACH) to this callback, not to 'error'.
      socket.connect(9, destination, (error?: Error) => (error ? reject(error) : resolve()));
    });
    const source = socket.address().address;
    // getsockname() fills sin6_scope_id, but Node prints the address without it.
    const scope = scopeOf(destination);
    return family === 6 && scope !== undefined && needsScope(source) && !source.includes('%') ? `${source}%${scope}` : source;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`no route to ${destination}${code ? ` (${code})` : ''}`);
  } finally {
    socket.close();
  }
}

/** The interface that holds a local address, e.g. 'lo' for 127.0.0.1 or ::1; the scope of a scoped IPv6 address. */
export function interfaceForAddress(address: string): string | undefined {
  const scope = scopeOf(address);
  if (scope !== undefined) return interfaceNameOf(scope);
  const family = addressFamilyOf(address) === 6 ? 'IPv6' : 'IPv4';
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (addresses?.some((a) => a.family === family && a.address === address)) return name;
  }
  // The whole of 127.0.0.0/8 lives on lo, though only 127.0.0.1 is listed.
  if (address.startsWith('127.') || address === '::1') return 'lo';
  return undefined;
}

/** An interface's MTU (Linux: /sys/class/net/NAME/mtu), or undefined when it cannot be read. */
export function interfaceMtu(device: string): number | undefined {
  try {
    const mtu = Number(readFileSync(`/sys/class/net/${device}/mtu`, 'utf8').trim());
    return Number.isInteger(mtu) && mtu > 0 ? mtu : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The name of an interface given by name or index (an IPv6 scope), in this
 * network namespace, or undefined when there is none. sysfs lists every
 * interface, also those without addresses; `ip netns exec` mounts the namespace's own.
 */
export function interfaceNameOf(nameOrIndex: string): string | undefined {
  if (/^\d+$/.test(nameOrIndex)) return interfaceNameForIndex(Number(nameOrIndex));
  if (nameOrIndex === '' || nameOrIndex.includes('/') || nameOrIndex.startsWith('.')) return undefined;
  if (existsSync(`/sys/class/net/${nameOrIndex}`)) return nameOrIndex;
  return Object.hasOwn(networkInterfaces(), nameOrIndex) ? nameOrIndex : undefined;
}

const namesByIndex = new Map<number, string>();

/** The interface with this index (a received sin6_scope_id), cached: interfaces keep their index. */
export function interfaceNameForIndex(index: number): string | undefined {
  if (index <= 0) return undefined;
  const cached = namesByIndex.get(index);
  if (cached) return cached;
  let found: string | undefined;
  try {
    for (const name of readdirSync('/sys/class/net')) {
      if (Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8')) === index) {
        found = name;
        break;
      }
    }
  } catch {
    // no sysfs: fall back on the interfaces that have addresses
  }
  found ??= Object.entries(networkInterfaces()).find(([, addresses]) => addresses?.some((a) => a.scopeid === index))?.[0];
  if (found) namesByIndex.set(index, found);
  return found;
}
