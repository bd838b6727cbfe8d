// Which source address and interface the kernel will use toward a target.
// A connected UDP socket makes the kernel run its route lookup without
// sending anything; its local address is the source the kernel will put in
// the IP header of our raw packets too.
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

export class HostResolutionError extends Error {
  constructor(host: string, reason: string) {
    super(`${host}: ${reason}`);
    this.name = 'HostResolutionError';
  }
}

/** An IPv4 address for a name or dotted quad, through the system resolver. */
export async function resolveIpv4(host: string): Promise<string> {
  if (isIPv4(host)) return host;
  // Node's resolver answers '' with a type error and a deprecation warning.
  if (host.trim() === '') throw new HostResolutionError(`'${host}'`, 'empty host name');
  // Asked for family 4, the resolver maps an IPv6 literal to an IPv4 address, and the
  // tool would report a ping it never made to the host named.
  if (isIPv6(host)) throw new HostResolutionError(host, 'IPv6 is not supported yet: packet-lab speaks IPv4 only');
  try {
    const { address } = await lookup(host, { family: 4 });
    return address;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOTFOUND' || code === 'EAI_NONAME' ? 'Name or service not known' : `cannot resolve (${code ?? (error as Error).message})`;
    throw new HostResolutionError(host, reason);
  }
}

/**
 * The local IPv4 address the kernel routes from toward `destination` (no
 * packet is sent). A broadcast destination fails with EACCES unless
 * `broadcast` is set (SO_BROADCAST), as iputils' probe socket does.
 */
export async function sourceAddressFor(destination: string, { broadcast = false }: { broadcast?: boolean } = {}): Promise<string> {
  const socket = createSocket('udp4');
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
    return socket.address().address;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`no route to ${destination}${code ? ` (${code})` : ''}`);
  } finally {
    socket.close();
  }
}

/** The interface that holds a local IPv4 address, e.g. 'lo' for 127.0.0.1. */
export function interfaceForAddress(address: string): string | undefined {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (addresses?.some((a) => a.family === 'IPv4' && a.address === address)) return name;
  }
  // The whole of 127.0.0.0/8 lives on lo, though only 127.0.0.1 is listed.
  if (address.startsWith('127.')) return 'lo';
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
