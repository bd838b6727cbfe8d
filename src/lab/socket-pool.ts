// The raw sockets send, sr1 and sr share: one per IP family and protocol,
// opened on first use and kept, so a script that calls sr1 in a loop pays
// for socket(), its buffers and the binding's set-up once, not per packet.
//
// A kept socket watches for datagrams only while some call is waiting for
// answers (setReceiving), so an idle pool keeps no libuv handle active and
// never keeps Node running; the sockets close at process exit, or at once
// with closeSockets(). Calls in flight at the same time share the sockets:
// every datagram goes to every waiting call, each matching its own requests.

import { openRawSocket, type PacketSocket } from '../net/packet-socket.ts';

/**
 * A datagram from a pooled socket, with the family and protocol of the socket
 * it came from: an IPv6 raw socket hands the transport header onwards with no
 * IPv6 header, so nothing in the bytes says which protocol they are.
 */
export type PooledPacketHandler = (
  family: 4 | 6,
  protocol: number,
  packet: Buffer,
  source: string,
  receivedAt: number,
  hopLimit: number,
  sourceAddress: Uint8Array,
) => void;

interface PooledSocket {
  readonly socket: PacketSocket;
  /** Calls waiting on this socket now; it watches for datagrams while > 0. */
  waiting: number;
}

const pool = new Map<string, PooledSocket>();
const listeners = new Set<PooledPacketHandler>();
let exitHookInstalled = false;

const keyOf = (family: 4 | 6, protocol: number) => `${family}/${protocol}`;

/**
 * The pooled socket for a family and protocol, opened on first use. IPv4
 * sockets get IP_HDRINCL (the lab builds whole packets); for IPv6 the same
 * job is done by the IPPROTO_RAW socket (255, IPV6_HDRINCL implied), and the
 * protocol sockets (58, 6, 17) only receive.
 */
function pooled(family: 4 | 6, protocol: number): PooledSocket {
  const key = keyOf(family, protocol);
  let entry = pool.get(key);
  if (entry) return entry;
  const socket = openRawSocket({ family, protocol, headerIncluded: family === 4 });
  socket.setReceiving(false);
  socket.onPacket((packet, source, receivedAt, hopLimit, sourceAddress) => {
    for (const listener of listeners) listener(family, protocol, packet, source, receivedAt, hopLimit, sourceAddress);
  });
  // A socket that failed is dropped and closed; the next call opens a fresh one.
  socket.onError(() => {
    if (pool.get(key)?.socket === socket) pool.delete(key);
    socket.close();
  });
  entry = { socket, waiting: 0 };
  pool.set(key, entry);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', closeSockets);
  }
  return entry;
}

/** Sockets lent to one call: send through them, then release() (always, in a finally). */
export interface SocketLease {
  /** The socket for this protocol (one of those leased). */
  socket(protocol: number): PacketSocket;
  /** Reads datagrams already queued on every leased socket, now (answers that came during sendto()). */
  receivePending(): void;
  release(): void;
}

/**
 * Leases the family's sockets for `protocols`. With `onPacket`, they watch
 * for datagrams until release(), each one handed to `onPacket`. Datagrams
 * that queued while no call was waiting are read and dropped first: they
 * cannot answer requests that are not sent yet.
 */
export function leaseSockets(family: 4 | 6, protocols: Iterable<number>, onPacket?: PooledPacketHandler): SocketLease {
  const entries = new Map<number, PooledSocket>();
  for (const protocol of protocols) entries.set(protocol, pooled(family, protocol));
  if (onPacket) {
    for (const entry of entries.values()) if (entry.waiting === 0) entry.socket.receivePending(); // stale: to the other waiting calls only
    listeners.add(onPacket);
    for (const entry of entries.values()) if (entry.waiting++ === 0) entry.socket.setReceiving(true);
  }
  let released = false;
  return {
    socket: (protocol) => entries.get(protocol)!.socket,
    receivePending() {
      for (const entry of entries.values()) entry.socket.receivePending();
    },
    release() {
      if (released || !onPacket) return;
      released = true;
      listeners.delete(onPacket);
      for (const entry of entries.values()) if (--entry.waiting === 0) entry.socket.setReceiving(false);
    },
  };
}

/** Closes every pooled socket now (they also close at process exit); the next call opens new ones. */
export function closeSockets(): void {
  for (const { socket } of pool.values()) socket.close();
  pool.clear();
}
