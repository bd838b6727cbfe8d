// openRawSocket(): one raw socket shape over the two bindings. The lab's own
// Linux binding (linux-raw-socket.ts) when it is built, raw-socket
// (raw-socket.ts) otherwise. Each socket names where its times come from, so
// a tool can report how its RTTs were measured (`--json`, `-v`):
//   kernel      send time read in C just before sendto(), receive time from
//               the kernel (SO_TIMESTAMPNS): what iputils ping measures
//   javascript  both read in JS around the binding's calls, so they include
//               the callback chain and event-loop wake-ups
import { EAGAIN, type EchoPumpOptions, type EchoPumpRecord, errnoName, linuxBindingUnavailableReason, LinuxRawSocket, type TimedPacketHandler } from './linux-raw-socket.ts';
import { type PmtuDiscovery, RawSocket, type RawSocketOptions, SendError } from './raw-socket.ts';
import { Ipv4Field, Ipv4View } from '../wire/ipv4.ts';
import { parseIpv4Address } from '../wire/ipv4-address.ts';
import { parseIpv6Address } from '../wire/ipv6-address.ts';

export type { EchoPumpOptions, EchoPumpRecord, TimedPacketHandler } from './linux-raw-socket.ts';

/** ping -f's send-on-reply loop in C; see LinuxRawSocket.armEchoPump(). */
export interface EchoPump {
  arm(request: Uint8Array, address: string, options: EchoPumpOptions): void;
  disarm(): void;
  /** The next `count` requests (at most maxBatch); how many went out (times in batchSendTime(i)). Throws SendError when none did. */
  send(count: number): number;
  /** What the pump did about the datagram being handled. */
  readonly record: EchoPumpRecord;
}

export type RttSource = 'kernel' | 'javascript';
export type SocketBinding = 'linux' | 'raw-socket';

/** What the engines need of a raw socket; both bindings provide it. */
export interface PacketSocket {
  readonly binding: SocketBinding;
  readonly rttSource: RttSource;
  readonly family: 4 | 6;
  /** Send time of the last send(), ms since the epoch (sub-ms). */
  readonly lastSendTime: number;
  onPacket(handler: TimedPacketHandler): void;
  onError(handler: (error: Error) => void): void;
  /** Sends now; returns the bytes sent; throws SendError (wouldBlock when the send buffer is full). */
  send(packet: Uint8Array, address: string): number;
  setTtl(ttl: number): void;
  setHeaderIncluded(on: boolean): void;
  setMark(mark: number): void;
  /** ICMPv6 sockets: only these ICMPv6 types are delivered (ICMP6_FILTER). */
  setIcmpv6Filter(passTypes: readonly number[]): void;
  /** IPv6 sockets: off, the kernel sends the ICMPv6 checksum the packet carries (SOL_RAW IPV6_CHECKSUM -1). */
  setKernelChecksum(on: boolean): void;
  forceSocketReceiveBuffer(bytes: number): number;
  setSocketReceiveBuffer(bytes: number): number;
  receivePending(): void;
  /** Watches for datagrams (as opened) or stops, so an idle socket kept for reuse keeps no handle active. */
  setReceiving(on: boolean): void;
  /** SO_BINDTODEVICE; throws SocketOptionError ("SO_BINDTODEVICE eth9: No such device"). */
  bindToDevice(name: string): void;
  /** SO_BROADCAST. */
  setBroadcast(on: boolean): void;
  /** IP_TOS (IPv4). */
  setTos(tos: number): void;
  /** IP_MTU_DISCOVER (IPv4, Linux). */
  setPmtuDiscovery(mode: PmtuDiscovery): void;
  /** The Linux binding only: bind() to a local address, the source of what the socket sends. */
  readonly bindAddress?: (address: string) => void;
  close(): void;
  /**
   * The Linux binding only: sends up to `maxBatch` packets to one address with
   * one sendmmsg(); returns how many the kernel took (it stops at the first
   * failure), each one's send time then in batchSendTime(i). Throws SendError
   * when it took none.
   */
  readonly sendBatch?: (packets: readonly Uint8Array[], address: string) => number;
  readonly batchSendTime?: (index: number) => number;
  readonly maxBatch?: number;
  /** The Linux binding only. */
  readonly echoPump?: EchoPump;
}

export interface OpenRawSocketOptions extends RawSocketOptions {
  /**
   * 4 (the default) or 6. Both bindings open IPv6 sockets; only the Linux
   * binding reports the hop limit of received IPv6 packets (ancillary data),
   * raw-socket hands -1.
   */
  readonly family?: 4 | 6;
  /**
   * 'auto' (the default): the Linux binding when built, else raw-socket.
   * The environment variable PACKET_LAB_SOCKET=linux|raw-socket overrides
   * 'auto', for side-by-side comparisons and as an escape hatch.
   */
  readonly binding?: 'auto' | SocketBinding;
  /** Linux binding: datagrams per recvmmsg() and the most one sendBatch() sends (16 by default). */
  readonly batchSize?: number;
}

/** Which binding openRawSocket() would use, and why not the other. */
export function chooseSocketBinding(requested: OpenRawSocketOptions['binding'] = 'auto'): {
  binding: SocketBinding;
  reason?: string;
} {
  const fromEnvironment = process.env.PACKET_LAB_SOCKET;
  const wanted =
    requested !== 'auto'
      ? requested
      : fromEnvironment === 'linux' || fromEnvironment === 'raw-socket'
        ? fromEnvironment
        : 'auto';
  if (wanted === 'raw-socket') return { binding: 'raw-socket', reason: 'raw-socket was asked for' };
  const unavailable = linuxBindingUnavailableReason();
  if (wanted === 'linux' && unavailable) throw new Error(unavailable);
  return unavailable ? { binding: 'raw-socket', reason: unavailable } : { binding: 'linux' };
}

/** Opens a raw socket with the best binding available; throws PrivilegeError when the kernel refuses. */
export function openRawSocket(options: OpenRawSocketOptions): PacketSocket {
  const { binding } = chooseSocketBinding(options.binding);
  if (binding === 'linux') return new LinuxPacketSocket(LinuxRawSocket.open(options), options.batchSize ?? DEFAULT_BATCH);
  return new JavascriptTimedSocket(RawSocket.open(options));
}

/** LinuxRawSocket's default batchSize. */
const DEFAULT_BATCH = 16;

/** The socket calls both bindings spell alike, passed straight through. */
interface SocketControls {
  onError(handler: (error: Error) => void): void;
  setTtl(ttl: number): void;
  setHeaderIncluded(on: boolean): void;
  setMark(mark: number): void;
  setIcmpv6Filter(passTypes: readonly number[]): void;
  setKernelChecksum(on: boolean): void;
  forceSocketReceiveBuffer(bytes: number): number;
  setSocketReceiveBuffer(bytes: number): number;
  receivePending(): void;
  setReceiving(on: boolean): void;
  bindToDevice(name: string): void;
  setBroadcast(on: boolean): void;
  setTos(tos: number): void;
  setPmtuDiscovery(mode: PmtuDiscovery): void;
  close(): void;
}

/** What the two PacketSockets share: everything but how they send, receive and take times. */
abstract class DelegatingPacketSocket<S extends SocketControls> {
  constructor(readonly socket: S) {}
  onError(handler: (error: Error) => void) {
    this.socket.onError(handler);
  }
  setTtl(ttl: number) {
    this.socket.setTtl(ttl);
  }
  setHeaderIncluded(on: boolean) {
    this.socket.setHeaderIncluded(on);
  }
  setMark(mark: number) {
    this.socket.setMark(mark);
  }
  setIcmpv6Filter(passTypes: readonly number[]) {
    this.socket.setIcmpv6Filter(passTypes);
  }
  setKernelChecksum(on: boolean) {
    this.socket.setKernelChecksum(on);
  }
  forceSocketReceiveBuffer(bytes: number) {
    return this.socket.forceSocketReceiveBuffer(bytes);
  }
  setSocketReceiveBuffer(bytes: number) {
    return this.socket.setSocketReceiveBuffer(bytes);
  }
  receivePending() {
    this.socket.receivePending();
  }
  setReceiving(on: boolean) {
    this.socket.setReceiving(on);
  }
  bindToDevice(name: string) {
    this.socket.bindToDevice(name);
  }
  setBroadcast(on: boolean) {
    this.socket.setBroadcast(on);
  }
  setTos(tos: number) {
    this.socket.setTos(tos);
  }
  setPmtuDiscovery(mode: PmtuDiscovery) {
    this.socket.setPmtuDiscovery(mode);
  }
  close() {
    this.socket.close();
  }
}

class LinuxPacketSocket extends DelegatingPacketSocket<LinuxRawSocket> implements PacketSocket {
  readonly binding = 'linux';
  readonly rttSource = 'kernel';
  constructor(
    socket: LinuxRawSocket,
    readonly maxBatch: number,
  ) {
    super(socket);
  }
  readonly sendBatch = (packets: readonly Uint8Array[], address: string): number => {
    const sent = this.socket.sendBatch(packets, address);
    if (sent < 0) {
      throw new SendError(`sendmmsg ${address}: ${errnoName(sent)}`, -sent === EAGAIN);
    }
    return sent;
  };
  readonly batchSendTime = (index: number): number => this.socket.batchSendTime(index);
  readonly bindAddress = (address: string): void => this.socket.bindAddress(address);
  readonly echoPump: EchoPump = {
    arm: (request, address, options) => this.socket.armEchoPump(request, address, options),
    disarm: () => this.socket.disarmEchoPump(),
    send: (count) => this.socket.pumpSend(count),
    record: this.socket.echoPumpRecord,
  };
  get family() {
    return this.socket.family;
  }
  get lastSendTime() {
    return this.socket.lastSendTime;
  }
  onPacket(handler: TimedPacketHandler) {
    this.socket.onPacket(handler);
  }
  send(packet: Uint8Array, address: string) {
    return this.socket.send(packet, address);
  }
}

/** Epoch milliseconds with performance.now()'s sub-ms precision, comparable to the kernel's times. */
const epochNow = () => performance.timeOrigin + performance.now();

/** raw-socket with times read in JS: the send time just before sendto(), the receive time when the handler runs. */
class JavascriptTimedSocket extends DelegatingPacketSocket<RawSocket> implements PacketSocket {
  readonly binding = 'raw-socket';
  readonly rttSource = 'javascript';
  lastSendTime = Number.NaN;
  /** raw-socket delivers the IPv4 header: the TTL is read there, through one reused view. */
  private readonly header = new Ipv4View();
  /** raw-socket reports the source as text: its bytes, parsed once per new source (a flood's replies share one). */
  private lastSource = '';
  private lastSourceBytes: Uint8Array = new Uint8Array(0);
  get family() {
    return this.socket.family;
  }
  onPacket(handler: TimedPacketHandler) {
    const sourceBytes = (source: string) => {
      if (source !== this.lastSource) {
        this.lastSource = source;
        this.lastSourceBytes = this.socket.family === 6 ? parseIpv6Address(source) : parseIpv4Address(source);
      }
      return this.lastSourceBytes;
    };
    if (this.socket.family === 6) {
      // No IPv6 header on receive and no ancillary data from raw-socket: the hop limit is unknown (-1).
      this.socket.onPacket((packet, source) => handler(packet, source, epochNow(), -1, sourceBytes(source)));
      return;
    }
    this.socket.onPacket((packet, source) => {
      const ttl = this.header.pointUnchecked(packet).reaches(Ipv4Field.PROTOCOL) ? this.header.ttl : -1;
      handler(packet, source, epochNow(), ttl, sourceBytes(source));
    });
  }
  send(packet: Uint8Array, address: string) {
    const sentAt = epochNow();
    const bytes = this.socket.send(packet, address);
    this.lastSendTime = sentAt;
    return bytes;
  }
}
