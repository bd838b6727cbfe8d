// openRawSocket(): one raw socket shape over the two bindings. The lab's own
// Linux binding (linux-raw-socket.ts) when it is built, raw-socket
// (raw-socket.ts) otherwise. Each socket names where its times come from, so
// a tool can report how its RTTs were measured (`--json`, `-v`):
//   kernel      send time read in C just before sendto(), receive time from
//               the kernel (SO_TIMESTAMPNS): what iputils ping measures
//   javascript  both read in JS around the binding's calls, so they include
//               the callback chain and event-loop wake-ups
import { linuxBindingUnavailableReason, LinuxRawSocket, type TimedPacketHandler } from './linux-raw-socket.ts';
import { RawSocket, type RawSocketOptions } from './raw-socket.ts';

export type { TimedPacketHandler } from './linux-raw-socket.ts';

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
  forceSocketReceiveBuffer(bytes: number): number;
  setSocketReceiveBuffer(bytes: number): number;
  receivePending(): void;
  close(): void;
}

export interface OpenRawSocketOptions extends RawSocketOptions {
  /** 4 (the default) or 6. IPv6 needs the Linux binding. */
  readonly family?: 4 | 6;
  /**
   * 'auto' (the default): the Linux binding when built, else raw-socket.
   * The environment variable PACKET_LAB_SOCKET=linux|raw-socket overrides
   * 'auto', for side-by-side comparisons and as an escape hatch.
   */
  readonly binding?: 'auto' | SocketBinding;
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
  const { binding, reason } = chooseSocketBinding(options.binding);
  if (binding === 'linux') return new LinuxPacketSocket(LinuxRawSocket.open(options));
  if ((options.family ?? 4) !== 4) throw new Error(`IPv6 raw sockets need packet-lab's Linux binding: ${reason}`);
  return new JavascriptTimedSocket(RawSocket.open(options));
}

class LinuxPacketSocket implements PacketSocket {
  readonly binding = 'linux';
  readonly rttSource = 'kernel';
  constructor(readonly socket: LinuxRawSocket) {}
  get family() {
    return this.socket.family;
  }
  get lastSendTime() {
    return this.socket.lastSendTime;
  }
  onPacket(handler: TimedPacketHandler) {
    this.socket.onPacket(handler);
  }
  onError(handler: (error: Error) => void) {
    this.socket.onError(handler);
  }
  send(packet: Uint8Array, address: string) {
    return this.socket.send(packet, address);
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
  forceSocketReceiveBuffer(bytes: number) {
    return this.socket.forceSocketReceiveBuffer(bytes);
  }
  setSocketReceiveBuffer(bytes: number) {
    return this.socket.setSocketReceiveBuffer(bytes);
  }
  receivePending() {
    this.socket.receivePending();
  }
  close() {
    this.socket.close();
  }
}

/** Epoch milliseconds with performance.now()'s sub-ms precision, comparable to the kernel's times. */
const epochNow = () => performance.timeOrigin + performance.now();

/** raw-socket with times read in JS: the send time just before sendto(), the receive time when the handler runs. */
class JavascriptTimedSocket implements PacketSocket {
  readonly binding = 'raw-socket';
  readonly rttSource = 'javascript';
  readonly family = 4;
  lastSendTime = Number.NaN;
  constructor(readonly socket: RawSocket) {}
  onPacket(handler: TimedPacketHandler) {
    // raw-socket delivers the IPv4 header, so the TTL is byte 8.
    this.socket.onPacket((packet, source) => handler(packet, source, epochNow(), packet.length >= 20 ? packet[8] : -1));
  }
  onError(handler: (error: Error) => void) {
    this.socket.onError(handler);
  }
  send(packet: Uint8Array, address: string) {
    const sentAt = epochNow();
    const bytes = this.socket.send(packet, address);
    this.lastSendTime = sentAt;
    return bytes;
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
  forceSocketReceiveBuffer(bytes: number) {
    return this.socket.forceSocketReceiveBuffer(bytes);
  }
  setSocketReceiveBuffer(bytes: number) {
    return this.socket.setSocketReceiveBuffer(bytes);
  }
  receivePending() {
    this.socket.receivePending();
  }
  close() {
    this.socket.close();
  }
}
