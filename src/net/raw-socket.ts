// A typed wrapper over the `raw-socket` native binding.
//
// raw-socket's own Socket queues sends on a plain array and sends one per
// event-loop turn, and reads one datagram per readiness event. A lab tool that
// floods or times replies needs better: the binding's socket is non-blocking,
// so this wrapper calls sendto() synchronously (the send timestamp is taken
// right before it) and drains every queued datagram on each readiness event.
import { createRequire } from 'node:module';
import { icmpv6FilterBytes } from './icmpv6-filter.ts';
import { isPermissionError, PrivilegeError } from './privileges.ts';

interface NativeSocketWrap {
  send(buffer: Buffer, offset: number, length: number, address: string, done: (bytes: number) => void): void;
  recv(buffer: Buffer, done: (buffer: Buffer, bytes: number, source: string) => void): void;
  setOption(level: number, option: number, value: number | Buffer, length?: number): void;
  getOption(level: number, option: number, value: Buffer, length: number): number;
  pause(recvPaused: boolean, sendPaused: boolean): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  removeAllListeners(event: string): void;
}

interface NativeSocket {
  wrap: NativeSocketWrap;
  close(): void;
  pauseRecv(): void;
  resumeRecv(): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily?: number; bufferSize?: number }): NativeSocket;
  AddressFamily: { IPv4: number; IPv6: number };
  SocketLevel: Record<string, number>;
  SocketOption: Record<string, number>;
}

let rawSocketModule: RawSocketModule | undefined;

/** Loads the binding lazily, so pure tools never need it built. */
export function loadRawSocketModule(): RawSocketModule {
  if (!rawSocketModule) {
    const require = createRequire(import.meta.url);
    try {
      rawSocketModule = require('raw-socket') as RawSocketModule;
    } catch (error) {
      throw new Error(
        `the raw-socket native binding is not built (${(error as Error).message.split('\n')[0]}); ` +
          'install a C++ compiler and python3, then run: npm rebuild raw-socket (see native-notes/raw-socket.md)',
      );
    }
  }
  return rawSocketModule;
}

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_RAW = 255;

// Linux socket options raw-socket does not export (asm-generic/socket.h,
// linux/in6.h, linux/icmpv6.h).
const SO_RCVBUFFORCE = 33;
const SO_MARK = 36;
/** IP_MTU_DISCOVER (linux/in.h); raw-socket does not export it. */
const IP_MTU_DISCOVER = 10;
/** IPV6_MTU_DISCOVER and IPV6_TCLASS (linux/in6.h); raw-socket exports neither, and BSDs number IPV6_TCLASS differently. */
const IPV6_MTU_DISCOVER = 23;
const IPV6_TCLASS = 67;
const SOL_RAW = 255;
const IPV6_CHECKSUM = 7;
const IPPROTO_ICMPV6 = 58;
const ICMP6_FILTER = 1;

export interface RawSocketOptions {
  /** IP protocol number: 1 for ICMP, 6 for TCP, 58 for ICMPv6, 255 (IPPROTO_RAW) for whole packets. */
  readonly protocol: number;
  /**
   * 4 (the default) or 6. An IPv6 raw socket receives the transport header
   * onwards (no IPv6 header), and raw-socket reads no ancillary data, so the
   * hop limit of a received packet is not known on this binding.
   */
  readonly family?: 4 | 6;
  /** Largest datagram read at once; 65535 holds any IPv4 packet. */
  readonly receiveBufferSize?: number;
  /** SO_RCVBUF in bytes: raise it so a flood of replies is not dropped by the socket. */
  readonly socketReceiveBuffer?: number;
  /** IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6) for outgoing packets. */
  readonly ttl?: number;
  /** IP_HDRINCL (IPv4 only): the caller builds the IPv4 header itself. */
  readonly headerIncluded?: boolean;
}

/** A datagram as a raw socket delivers it: IPv4 header included, IPv6 header not. */
export type PacketHandler = (packet: Buffer, source: string) => void;

/** Datagrams read per readiness event or receivePending() call before yielding to the event loop. */
const MAX_READS_PER_DRAIN = 256;

const EAGAIN_TEXT = /Resource temporarily unavailable|EAGAIN|EWOULDBLOCK/;

// The binding reports the bytes sent through a callback, synchronously; one
// shared callback spares a closure per packet on the flood path.
let bytesSent = 0;
const recordBytesSent = (bytes: number) => {
  bytesSent = bytes;
};

export class SendError extends Error {
  constructor(
    message: string,
    readonly wouldBlock: boolean,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** A socket option or bind the kernel refused; the message is iputils' ("SO_BINDTODEVICE eth9: No such device"). */
export class SocketOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SocketOptionError';
  }
}

/** Path MTU discovery for IP_MTU_DISCOVER (ip(7)) and IPV6_MTU_DISCOVER (ipv6(7)), as iputils ping -M names the modes. */
export type PmtuDiscovery = 'do' | 'want' | 'dont' | 'probe';

/**
 * IP_PMTUDISC_* values (linux/in.h), for the raw-socket path, whose binding
 * does not export them; IPV6_PMTUDISC_* (linux/in6.h) are the same numbers.
 */
export const PMTU_DISCOVERY_VALUES: Record<PmtuDiscovery, number> = { dont: 0, want: 1, do: 2, probe: 3 };

export class RawSocket {
  readonly family: 4 | 6;
  private readonly socket: NativeSocket;
  private readonly module: RawSocketModule;
  private readonly receiveBuffer: Buffer;
  private handler: PacketHandler | undefined;
  private errorHandler: ((error: Error) => void) | undefined;
  private closed = false;
  private draining = false;

  private constructor(module: RawSocketModule, socket: NativeSocket, receiveBufferSize: number, family: 4 | 6) {
    this.family = family;
    this.module = module;
    this.socket = socket;
    this.receiveBuffer = Buffer.alloc(receiveBufferSize);
    // Replace raw-socket's one-datagram-per-event reader with a draining one.
    socket.wrap.removeAllListeners('recvReady');
    socket.wrap.on('recvReady', () => this.drain());
    socket.on('error', (error) => this.errorHandler?.(error));
  }

  /** Opens a raw IPv4 or IPv6 socket; throws PrivilegeError when the kernel refuses. */
  static open(options: RawSocketOptions): RawSocket {
    const module = loadRawSocketModule();
    const family = options.family ?? 4;
    let socket: NativeSocket;
    try {
      const addressFamily = family === 6 ? module.AddressFamily.IPv6 : module.AddressFamily.IPv4;
      socket = module.createSocket({ protocol: options.protocol, addressFamily, bufferSize: 16 });
    } catch (error) {
      if (isPermissionError(error)) throw new PrivilegeError('cannot open a raw socket');
      throw error;
    }
    const raw = new RawSocket(module, socket, options.receiveBufferSize ?? 65535, family);
    try {
      if (options.socketReceiveBuffer !== undefined) raw.setSocketReceiveBuffer(options.socketReceiveBuffer);
      if (options.ttl !== undefined) raw.setTtl(options.ttl);
      if (options.headerIncluded) raw.setHeaderIncluded(true);
    } catch (error) {
      raw.close();
      throw error;
    }
    return raw;
  }

  /** Receives every datagram; the buffer is reused, so copy what you keep. */
  onPacket(handler: PacketHandler): void {
    this.handler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandler = handler;
  }

  /**
   * Sends now with sendto(); returns the bytes sent. Throws SendError, with
   * `wouldBlock` set when the socket's send buffer is full (try again later).
   */
  send(packet: Uint8Array, address: string): number {
    const buffer = Buffer.isBuffer(packet) ? packet : Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    try {
      this.socket.wrap.send(buffer, 0, buffer.length, address, recordBytesSent);
    } catch (error) {
      const message = (error as Error).message;
      if (isPermissionError(error)) {
        throw new SendError(`sendto ${address}: ${message} (a firewall rule refused the packet?)`, false);
      }
      throw new SendError(`sendto ${address}: ${message}`, EAGAIN_TEXT.test(message));
    }
    return bytesSent;
  }

  /** IP_TTL on IPv4, IPV6_UNICAST_HOPS on IPv6. */
  setTtl(ttl: number): void {
    const { SocketLevel, SocketOption } = this.module;
    if (this.family === 6) this.socket.wrap.setOption(SocketLevel.IPPROTO_IPV6, SocketOption.IPV6_UNICAST_HOPS, ttl);
    else this.socket.wrap.setOption(SocketLevel.IPPROTO_IP, SocketOption.IP_TTL, ttl);
  }

  /** IP_HDRINCL, IPv4 only: an IPv6 socket writes whole packets when opened with protocol IPPROTO_RAW (255). */
  setHeaderIncluded(on: boolean): void {
    if (this.family === 6) {
      if (on) throw new Error('IP_HDRINCL is for IPv4 sockets: open an IPv6 socket with protocol IPPROTO_RAW (255) to write the IPv6 header');
      return;
    }
    this.socket.wrap.setOption(this.module.SocketLevel.IPPROTO_IP, this.module.SocketOption.IP_HDRINCL, on ? 1 : 0);
  }

  /** ICMP6_FILTER (ICMPv6 sockets): only these ICMPv6 types are delivered. */
  setIcmpv6Filter(passTypes: readonly number[]): void {
    const bytes = Buffer.from(icmpv6FilterBytes(passTypes));
    this.socket.wrap.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, bytes, bytes.length);
  }

  /** ICMPv6 sockets: whether the kernel writes the checksum (see LinuxRawSocket.setKernelChecksum). */
  setKernelChecksum(on: boolean): void {
    if (this.family !== 6) throw new Error('IPV6_CHECKSUM is for IPv6 raw sockets');
    // raw-socket takes an unsigned value: -1 as its 32 bits.
    this.socket.wrap.setOption(SOL_RAW, IPV6_CHECKSUM, (on ? 2 : -1) >>> 0);
  }

  /**
   * SO_MARK (Linux; needs CAP_NET_ADMIN): every packet sent through this
   * socket carries `mark` as its skb mark, which firewall rules can match
   * (`meta mark` in nftables, `-m mark` in iptables). The TCP tools use it to
   * tell their own segments from the ones the kernel sends (src/net/firewall.ts).
   */
  setMark(mark: number): void {
    this.socket.wrap.setOption(this.module.SocketLevel.SOL_SOCKET, SO_MARK, mark >>> 0);
  }

  /**
   * SO_RCVBUFFORCE (Linux; needs CAP_NET_ADMIN): like setSocketReceiveBuffer
   * but not capped by net.core.rmem_max. Returns what the kernel granted;
   * falls back to SO_RCVBUF when the kernel refuses the forced form.
   */
  forceSocketReceiveBuffer(bytes: number): number {
    const { SOL_SOCKET } = this.module.SocketLevel;
    try {
      this.socket.wrap.setOption(SOL_SOCKET, SO_RCVBUFFORCE, bytes);
    } catch {
      return this.setSocketReceiveBuffer(bytes);
    }
    const value = Buffer.alloc(4);
    this.socket.wrap.getOption(SOL_SOCKET, this.module.SocketOption.SO_RCVBUF, value, 4);
    return value.readInt32LE(0);
  }

  /** Sets SO_RCVBUF; returns what the kernel granted (it doubles the request, capped by rmem_max). */
  setSocketReceiveBuffer(bytes: number): number {
    const { SOL_SOCKET } = this.module.SocketLevel;
    const { SO_RCVBUF } = this.module.SocketOption;
    this.socket.wrap.setOption(SOL_SOCKET, SO_RCVBUF, bytes);
    const value = Buffer.alloc(4);
    this.socket.wrap.getOption(SOL_SOCKET, SO_RCVBUF, value, 4);
    return value.readInt32LE(0);
  }

  /** SO_BINDTODEVICE: send and receive through this interface only (iputils ping -I IFACE). */
  bindToDevice(name: string): void {
    const value = Buffer.from(`${name}\0`);
    this.optionOrThrow(`SO_BINDTODEVICE ${name}`, () => this.socket.wrap.setOption(this.module.SocketLevel.SOL_SOCKET, this.module.SocketOption.SO_BINDTODEVICE, value, value.length));
  }

  /** SO_BROADCAST: allows sending to a broadcast address (iputils ping -b). */
  setBroadcast(on: boolean): void {
    this.optionOrThrow('SO_BROADCAST', () => this.socket.wrap.setOption(this.module.SocketLevel.SOL_SOCKET, this.module.SocketOption.SO_BROADCAST, on ? 1 : 0));
  }

  /**
   * The TOS byte (DSCP and ECN) of what the kernel sends (iputils ping -Q):
   * IP_TOS on IPv4, IPV6_TCLASS (the traffic class, the same byte) on IPv6.
   */
  setTos(tos: number): void {
    const { SocketLevel, SocketOption } = this.module;
    if (this.family === 6) {
      if (process.platform !== 'linux') throw new SocketOptionError(`-Q over IPv6 needs Linux here (IPV6_TCLASS's number is Linux's); this is ${process.platform}`);
      // iputils' name for the option in its error line.
      this.optionOrThrow('setsockopt(IPV6_TCLASS)', () => this.socket.wrap.setOption(SocketLevel.IPPROTO_IPV6, IPV6_TCLASS, tos));
      return;
    }
    this.optionOrThrow('IP_TOS', () => this.socket.wrap.setOption(SocketLevel.IPPROTO_IP, SocketOption.IP_TOS, tos));
  }

  /**
   * IP_MTU_DISCOVER / IPV6_MTU_DISCOVER (Linux): whether the kernel fragments
   * at the source (iputils ping -M); on IPv4 'do' also sets DF.
   */
  setPmtuDiscovery(mode: PmtuDiscovery): void {
    const option = this.family === 6 ? 'IPV6_MTU_DISCOVER' : 'IP_MTU_DISCOVER';
    if (process.platform !== 'linux') throw new SocketOptionError(`-M needs Linux (${option}); this is ${process.platform}`);
    const { IPPROTO_IP, IPPROTO_IPV6 } = this.module.SocketLevel;
    const [level, name] = this.family === 6 ? [IPPROTO_IPV6, IPV6_MTU_DISCOVER] : [IPPROTO_IP, IP_MTU_DISCOVER];
    this.optionOrThrow(option, () => this.socket.wrap.setOption(level, name, PMTU_DISCOVERY_VALUES[mode]));
  }

  /** raw-socket throws Error(strerror text): reported as iputils does, "WHAT: message". */
  private optionOrThrow(what: string, set: () => void): void {
    try {
      set();
    } catch (error) {
      if (isPermissionError(error)) throw new PrivilegeError(`cannot set ${what}`);
      throw new SocketOptionError(`${what}: ${(error as Error).message}`);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  /**
   * Watches for datagrams (true, as opened) or stops (false). A socket that
   * is not watching keeps no handle active, so an idle socket kept open for
   * reuse never keeps Node running; datagrams wait in the kernel meanwhile.
   */
  setReceiving(on: boolean): void {
    if (this.closed) return;
    if (on) this.socket.resumeRecv();
    else this.socket.pauseRecv();
  }

  /**
   * Reads what is already queued, now, without waiting for the event loop.
   * Called right after a send, it catches replies the kernel produced during
   * sendto() itself (loopback and veth answer within the syscall), so their
   * arrival time is not inflated by an event-loop wake-up.
   */
  receivePending(): void {
    this.drain();
  }

  private drain(): void {
    // Not re-entrant: a handler that sends and polls again must not recurse;
    // the loop below picks the new datagrams up. Bounded, so a flood cannot
    // hold the event loop: the rest come on the next readiness event.
    if (this.draining) return;
    this.draining = true;
    // The binding reports an empty queue (EAGAIN) by throwing; an Error with
    // no stack trace costs far less to build.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const handler = this.handler;
    try {
      for (let n = 0; n < MAX_READS_PER_DRAIN && !this.closed; n++) {
        try {
          this.socket.wrap.recv(this.receiveBuffer, (buffer, bytes, source) => {
            Error.stackTraceLimit = stackTraceLimit; // a handler's own errors keep their stacks
            handler?.(buffer.subarray(0, bytes), source);
            Error.stackTraceLimit = 0;
          });
        } catch (error) {
          if (!EAGAIN_TEXT.test((error as Error).message)) this.errorHandler?.(error as Error);
          return;
        }
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
      this.draining = false;
    }
  }
}
