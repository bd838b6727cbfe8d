// A typed wrapper over packet-lab's own Linux binding (native/linux_raw_socket.c,
// built into build/Release/packet_lab_linux.node by the root install script).
//
// Same shape as RawSocket (src/net/raw-socket.ts): synchronous sendto, drain on
// readiness, receivePending(). What it adds is timing as iputils does it: the
// send time is read in C just before sendto(), and each datagram carries the
// kernel's receive time (SO_TIMESTAMPNS) and its hop limit (IPv6, from
// ancillary data) or TTL (IPv4, from its header). The binding reports
// per-packet failures as a negative errno and writes results into typed arrays
// shared once, so the hot path neither allocates in C nor throws. For ping -f
// it also keeps the send-on-reply loop in C (the echo pump, armEchoPump). See
// native-notes/linux-binding.md.
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { formatIpv4Address } from '../wire/ipv4-address.ts';
import { formatIpv6Address } from '../wire/ipv6-address.ts';
import { icmpv6FilterBytes } from './icmpv6-filter.ts';
import { isPermissionError, PrivilegeError } from './privileges.ts';
import { type PmtuDiscovery, SendError, SocketOptionError } from './raw-socket.ts';
import { interfaceNameForIndex } from './routes.ts';

interface LinuxBindingSocket {
  attach(receive: Uint8Array, slotSize: number, capacity: number, times: Float64Array, ints: Int32Array): void;
  setDestination(address: string): void;
  setOption(level: number, name: number, value: number): number;
  getOption(level: number, name: number): number;
  setOptionBytes(level: number, name: number, value: Uint8Array): number;
  bind(address: string): number;
  send(packet: Uint8Array, length: number): number;
  sendBatch(packets: Uint8Array, stride: number, count: number): number;
  receive(): number;
  receiveBatch(max: number): number;
  armEchoPump(request: Uint8Array, identifier: number, timed: number, writeChecksum: number, sendLimit: number, replyLimit: number, burst: number): void;
  disarmEchoPump(): void;
  pumpSend(count: number): number;
  startPolling(onReadable: (status: number) => void): void;
  stopPolling(): void;
  pausePolling(): void;
  resumePolling(): void;
  close(): void;
  readonly closed: boolean;
}

/** Offsets into the shared arrays, in units of the capacity N (see the C file's header). */
interface LinuxBindingLayout {
  intLength: number;
  intHopLimit: number;
  intFlags: number;
  intFamily: number;
  intAddress: number;
  intScope: number;
  intSendLength: number;
  intPumpReply: number;
  intPumpSent: number;
  intPumpError: number;
  intFields: number;
  timeSend: number;
  timeReceive: number;
  timePumpSend: number;
  timeFields: number;
  maxCapacity: number;
}

interface LinuxBinding {
  Socket: new (family: 4 | 6, protocol: number) => LinuxBindingSocket;
  layout: LinuxBindingLayout;
  /** strerror(errno): the C library's text, as iputils prints it. */
  errorText(errno: number): string;
  constants: Record<
    | 'SOL_SOCKET'
    | 'IPPROTO_IP'
    | 'IPPROTO_IPV6'
    | 'IP_TTL'
    | 'IP_HDRINCL'
    | 'IPV6_UNICAST_HOPS'
    | 'IPV6_CHECKSUM'
    | 'IPPROTO_ICMPV6'
    | 'ICMP6_FILTER'
    | 'SOL_RAW'
    | 'SO_RCVBUF'
    | 'SO_RCVBUFFORCE'
    | 'SO_MARK'
    | 'SO_BINDTODEVICE'
    | 'SO_BROADCAST'
    | 'IP_TOS'
    | 'IP_MTU_DISCOVER'
    | 'IP_PMTUDISC_DONT'
    | 'IP_PMTUDISC_WANT'
    | 'IP_PMTUDISC_DO'
    | 'IP_PMTUDISC_PROBE'
    | 'IPV6_TCLASS'
    | 'IPV6_MTU_DISCOVER'
    | 'IPV6_PMTUDISC_DONT'
    | 'IPV6_PMTUDISC_WANT'
    | 'IPV6_PMTUDISC_DO'
    | 'IPV6_PMTUDISC_PROBE'
    | 'MSG_TRUNC'
    | 'EAGAIN'
    | 'EBADF',
    number
  >;
}

const REBUILD_HINT = 'run: npm run build:native (see native-notes/linux-binding.md)';

let binding: LinuxBinding | undefined;
let unavailableReason: string | undefined;

/**
 * Loads the Linux binding once; undefined when it cannot be used here (not
 * Linux, or not built), with the reason in linuxBindingUnavailableReason().
 */
export function loadLinuxBinding(): LinuxBinding | undefined {
  if (binding || unavailableReason) return binding;
  if (process.platform !== 'linux') {
    unavailableReason = `the Linux binding is for Linux only (this is ${process.platform})`;
    return undefined;
  }
  try {
    const require = createRequire(import.meta.url);
    // Where node-gyp puts it (binding.gyp at the root), relative to this file.
    binding = require('../../build/Release/packet_lab_linux.node') as LinuxBinding;
  } catch (error) {
    unavailableReason =
      `the Linux binding is not built (${(error as Error).message.split('\n')[0]}); ` +
      `with g++, make and python3 installed, ${REBUILD_HINT}`;
  }
  return binding;
}

/** Why loadLinuxBinding() returns undefined, or undefined when it loads. */
export function linuxBindingUnavailableReason(): string | undefined {
  loadLinuxBinding();
  return unavailableReason;
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([name, value]) => [value, name]));

/** 'EAGAIN' for -11 (or 11): for messages, so only on the error path. */
export function errnoName(code: number): string {
  return errnoNames.get(Math.abs(code)) ?? `errno ${Math.abs(code)}`;
}

export const EAGAIN = osConstants.errno.EAGAIN;
export const IPPROTO_ICMPV6 = 58;


/**
 * A datagram with the kernel's receive time (ms since the epoch, sub-ms
 * precision, NaN if the kernel gave none) and the hop limit (IPv6) or TTL
 * (IPv4) it arrived with (-1 if unknown). IPv4 datagrams include the IPv4
 * header, IPv6 ones start at the ICMPv6/TCP header (the kernel strips it),
 * so the sender's address comes from recvfrom() alone: `source` as text
 * (`fe80::1%eth0` for a scoped one) and `sourceAddress` as its 4 or 16 bytes
 * (a reused view: copy it to keep it), for reply matching without parsing.
 */
export type TimedPacketHandler = (packet: Buffer, source: string, receivedAt: number, hopLimit: number, sourceAddress: Uint8Array) => void;

export interface LinuxRawSocketOptions {
  /** 4 (the default) or 6. */
  readonly family?: 4 | 6;
  /** IP protocol number: 1 ICMP, 6 TCP, 58 ICMPv6. */
  readonly protocol: number;
  /** Largest datagram read at once, per batch slot; 65535 holds any IPv4 packet. */
  readonly receiveBufferSize?: number;
  /**
   * Datagrams read per recvmmsg() and the most sendBatch() sends at once; 16
   * by default. The receive buffer is receiveBufferSize x batchSize (1 MiB by default).
   */
  readonly batchSize?: number;
  /** SO_RCVBUF in bytes. */
  readonly socketReceiveBuffer?: number;
  /** IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6) for outgoing packets. */
  readonly ttl?: number;
  /** IP_HDRINCL (IPv4 only): the caller builds the IPv4 header itself. */
  readonly headerIncluded?: boolean;
}

/** How the echo pump sends (see armEchoPump). */
export interface EchoPumpOptions {
  /** The ICMP(v6) echo identifier the pump's replies carry. */
  readonly identifier: number;
  /** The data starts with iputils' struct timeval, written with each request's send time. */
  readonly timed: boolean;
  /** No more requests once this many were sent (-c); unlimited when left out. */
  readonly sendLimit?: number;
  /** No more requests once this many distinct replies came (-c with -w); unlimited when left out. */
  readonly replyLimit?: number;
  /**
   * Several requests in flight (-l): read what is queued with one recvmmsg()
   * and send the requests it earns with one sendmmsg(), as iputils reads every
   * queued reply before it sends again. Off, one recvmsg() and one sendto() per reply.
   */
  readonly burst?: boolean;
  /**
   * Called, instead of the packet handler, for each reply the pump found
   * plain (see native/echo_pump.h): an echo reply to `sequence` with every
   * length and byte as sent and a valid checksum, so there is nothing to
   * parse. echoPumpRecord is set for it as for any datagram.
   */
  readonly onPlainReply?: (sequence: number, source: string, receivedAt: number, hopLimit: number) => void;
}

/**
 * What the echo pump did about the datagram being handed to the packet
 * handler (one reused object, valid during the call).
 */
export interface EchoPumpRecord {
  /** The datagram's echo sequence when the pump found it a plain reply (see native/echo_pump.h), else -1. */
  plainSequence: number;
  /** The sequence of the request the pump sent on this datagram, or -1. */
  sentSequence: number;
  /** That request's send time, read in C right before sendto() (epoch ms). */
  sentAt: number;
  /** When the pump's send on this datagram failed: its errno (the engine's own send path retries and reports it); else 0. */
  sendErrno: number;
}

/** Datagrams read per readiness event or receivePending() call before yielding to the event loop. */
const MAX_READS_PER_DRAIN = 256;

/**
 * The same bound while an echo pump is armed: each read there is a reply and
 * the send it triggered, so a drain is a flood's steady state, and every
 * return to the event loop (epoll, the callback's microtask checkpoint) is
 * overhead. 1024 packets hold the loop about 3 ms.
 */
const MAX_READS_PER_PUMPED_DRAIN = 1024;

/** drain(): single reads between two tries of a full recvmmsg() batch. */
const SINGLE_READS_BEFORE_BATCH = 16;

export class LinuxRawSocket {
  readonly family: 4 | 6;
  private readonly native: LinuxBindingSocket;
  private readonly constants: LinuxBinding['constants'];
  private readonly capacity: number;
  private readonly slotSize: number;
  private readonly receiveBuffer: Buffer;
  private readonly times: Float64Array;
  private readonly ints: Int32Array;
  private readonly addressBytes: Uint8Array;
  // Offsets of each field's run of N values, from the binding's layout.
  private readonly at: {
    length: number;
    hopLimit: number;
    flags: number;
    family: number;
    address: number;
    scope: number;
    sendLength: number;
    pumpReply: number;
    pumpSent: number;
    pumpError: number;
    sendTime: number;
    receiveTime: number;
    pumpSendTime: number;
  };
  private sendBuffer: Uint8Array | undefined;
  private destination: string | undefined;
  private lastSource = '';
  private readonly lastSourceKey = new Int32Array(6);
  /** Per slot, a view of its source address bytes: 4 for IPv4, 16 for IPv6. */
  private readonly sourceViews: Uint8Array[];
  private handler: TimedPacketHandler | undefined;
  private errorHandler: ((error: Error) => void) | undefined;
  private draining = false;
  /**
   * Kept here: the binding's `closed` is an accessor into C, a whole N-API
   * call, and the receive loop asks after every datagram. Only close() closes
   * the fd while JS runs (env teardown closes it after the last JS).
   */
  private isClosed = false;
  /**
   * How many datagrams drain() asks recvmmsg() for. A full batch costs the
   * kernel one more (failing) dequeue whenever fewer are queued, which is
   * every read of a send-on-reply flood (one reply queued at a time): after
   * a read of one, read one at a time, trying a full batch again every
   * SINGLE_READS_BEFORE_BATCH reads so a burst (-l) still comes in batches.
   */
  private readMax: number;
  private singleReads = 0;
  private pumpArmed = false;
  private plainReplyHandler: EchoPumpOptions['onPlainReply'];
  /** See EchoPumpRecord; rewritten before each datagram is handed over while the pump is armed. */
  readonly echoPumpRecord: EchoPumpRecord = { plainSequence: -1, sentSequence: -1, sentAt: Number.NaN, sendErrno: 0 };

  private constructor(module: LinuxBinding, native: LinuxBindingSocket, family: 4 | 6, capacity: number, slotSize: number) {
    const { layout } = module;
    this.native = native;
    this.constants = module.constants;
    this.family = family;
    this.capacity = capacity;
    this.slotSize = slotSize;
    this.readMax = capacity;
    this.receiveBuffer = Buffer.alloc(capacity * slotSize);
    this.times = new Float64Array(layout.timeFields * capacity);
    this.ints = new Int32Array(layout.intFields * capacity);
    this.addressBytes = new Uint8Array(this.ints.buffer);
    this.at = {
      length: layout.intLength * capacity,
      hopLimit: layout.intHopLimit * capacity,
      flags: layout.intFlags * capacity,
      family: layout.intFamily * capacity,
      address: layout.intAddress * capacity,
      scope: layout.intScope * capacity,
      sendLength: layout.intSendLength * capacity,
      pumpReply: layout.intPumpReply * capacity,
      pumpSent: layout.intPumpSent * capacity,
      pumpError: layout.intPumpError * capacity,
      sendTime: layout.timeSend * capacity,
      receiveTime: layout.timeReceive * capacity,
      pumpSendTime: layout.timePumpSend * capacity,
    };
    this.sourceViews = Array.from({ length: capacity }, (_, i) =>
      this.addressBytes.subarray((this.at.address + 4 * i) * 4, (this.at.address + 4 * i) * 4 + (family === 6 ? 16 : 4)),
    );
    native.attach(this.receiveBuffer, slotSize, capacity, this.times, this.ints);
    native.startPolling(() => this.drain());
  }

  /** Opens a raw socket; throws PrivilegeError when the kernel refuses, Error when the binding is missing. */
  static open(options: LinuxRawSocketOptions): LinuxRawSocket {
    const module = loadLinuxBinding();
    if (!module) throw new Error(unavailableReason);
    const family = options.family ?? 4;
    const capacity = Math.min(Math.max(1, options.batchSize ?? 16), module.layout.maxCapacity);
    let native: LinuxBindingSocket;
    try {
      native = new module.Socket(family, options.protocol);
    } catch (error) {
      if (isPermissionError(error)) throw new PrivilegeError('cannot open a raw socket');
      throw error;
    }
    let socket: LinuxRawSocket;
    try {
      socket = new LinuxRawSocket(module, native, family, capacity, options.receiveBufferSize ?? 65535);
    } catch (error) {
      native.close();
      throw error;
    }
    try {
      if (options.socketReceiveBuffer !== undefined) socket.setSocketReceiveBuffer(options.socketReceiveBuffer);
      if (options.ttl !== undefined) socket.setTtl(options.ttl);
      if (options.headerIncluded) socket.setHeaderIncluded(true);
    } catch (error) {
      socket.close();
      throw error;
    }
    return socket;
  }

  /** Receives every datagram; the buffer is reused, so copy what you keep. */
  onPacket(handler: TimedPacketHandler): void {
    this.handler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandler = handler;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The C-side send time of the last send(), ms since the epoch: read just before sendto(). */
  get lastSendTime(): number {
    return this.times[this.at.sendTime];
  }

  /** The send time of packet `index` of the last sendBatch() (all read once, before sendmmsg()). */
  batchSendTime(index: number): number {
    return this.times[this.at.sendTime + index];
  }

  /**
   * Sends now; returns the bytes sent. Throws SendError, with `wouldBlock`
   * set when the socket's send buffer is full. Use trySend() on a flood path.
   */
  send(packet: Uint8Array, address: string): number {
    const result = this.trySend(packet, address);
    if (result < 0) throw this.sendError(result, address);
    return result;
  }

  /** Sends now; returns the bytes sent or a negative errno (-EAGAIN: send buffer full). Never throws for the kernel's refusal. */
  trySend(packet: Uint8Array, address: string): number {
    this.useDestination(address);
    return this.native.send(packet, packet.length);
  }

  /**
   * Sends up to batchSize packets to one address with one sendmmsg(); returns
   * how many the kernel took (it stops at the first failure) or a negative
   * errno when it took none.
   */
  sendBatch(packets: readonly Uint8Array[], address: string): number {
    if (packets.length > this.capacity) throw new RangeError(`sendBatch: at most ${this.capacity} packets (batchSize)`);
    let stride = 0;
    for (const packet of packets) stride = Math.max(stride, packet.length);
    stride = Math.max(stride, 1);
    if (!this.sendBuffer || this.sendBuffer.length < stride * packets.length) {
      this.sendBuffer = new Uint8Array(Math.max(stride * this.capacity, this.sendBuffer?.length ?? 0));
    }
    for (let i = 0; i < packets.length; i++) {
      this.sendBuffer.set(packets[i], i * stride);
      this.ints[this.at.sendLength + i] = packets[i].length;
    }
    this.useDestination(address);
    return this.native.sendBatch(this.sendBuffer, stride, packets.length);
  }

  /**
   * Reads up to `max` queued datagrams with one recvmmsg() and hands each to
   * the packet handler; returns how many, or a negative errno (-EAGAIN: none queued).
   */
  receiveBatch(max = this.capacity): number {
    const count = this.native.receiveBatch(max);
    const handler = this.handler;
    if (count <= 0 || !handler) return count;
    const { ints, times, at, slotSize, receiveBuffer, echoPumpRecord } = this;
    for (let i = 0; i < count; i++) {
      const start = i * slotSize;
      if (this.pumpArmed) {
        echoPumpRecord.plainSequence = ints[at.pumpReply + i];
        echoPumpRecord.sentSequence = ints[at.pumpSent + i];
        echoPumpRecord.sentAt = times[at.pumpSendTime + i];
        echoPumpRecord.sendErrno = ints[at.pumpError + i];
        // A reply the pump checked whole goes to its own handler, without its bytes: nothing to parse.
        if (echoPumpRecord.plainSequence >= 0 && this.plainReplyHandler) {
          this.plainReplyHandler(echoPumpRecord.plainSequence, this.sourceOf(i), times[at.receiveTime + i], ints[at.hopLimit + i]);
          if (this.isClosed) break;
          continue;
        }
      }
      handler(
        receiveBuffer.subarray(start, start + ints[at.length + i]),
        this.sourceOf(i),
        times[at.receiveTime + i],
        ints[at.hopLimit + i],
        this.sourceViews[i],
      );
      if (this.isClosed) break;
    }
    return count;
  }

  /**
   * ping -f on this binding: from now on, each fresh echo reply read from
   * `address` makes the binding send the next request at once, in C
   * (native/echo_pump.h), and the packet handler learns what it did through
   * echoPumpRecord. `request` is the first request as built (emitIcmpEchoInto
   * or emitIcmpv6EchoInto); each send rewrites its sequence (the run's count
   * of requests so far + 1), its timeval when `timed`, and over IPv4 its
   * checksum. Every request of the run must then go out through pumpSend().
   */
  armEchoPump(request: Uint8Array, address: string, options: EchoPumpOptions): void {
    this.useDestination(address);
    this.plainReplyHandler = options.onPlainReply;
    this.native.armEchoPump(request, options.identifier, options.timed ? 1 : 0, this.family === 4 ? 1 : 0, options.sendLimit ?? -1, options.replyLimit ?? -1, options.burst ? 1 : 0);
    this.pumpArmed = true;
    this.readMax = this.capacity; // one recvmsg() per datagram while armed: a full batch costs nothing more
  }

  disarmEchoPump(): void {
    this.pumpArmed = false;
    this.plainReplyHandler = undefined;
    this.native.disarmEchoPump();
  }

  /**
   * The armed pump's next `count` requests (at most batchSize; sendmmsg() for
   * more than one): returns how many went out, each one's send time then in
   * batchSendTime(i). Throws SendError as send() does when none went out.
   */
  pumpSend(count: number): number {
    const sent = this.native.pumpSend(count);
    if (sent < 0) throw this.sendError(sent, this.destination ?? '');
    return sent;
  }

  /** Whether datagram `index` of the last receiveBatch() was longer than receiveBufferSize and cut. */
  wasTruncated(index: number): boolean {
    return (this.ints[this.at.flags + index] & this.constants.MSG_TRUNC) !== 0;
  }

  setTtl(ttl: number): void {
    const { IPPROTO_IP, IP_TTL, IPPROTO_IPV6, IPV6_UNICAST_HOPS } = this.constants;
    if (this.family === 4) this.setOption('IP_TTL', IPPROTO_IP, IP_TTL, ttl);
    else this.setOption('IPV6_UNICAST_HOPS', IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
  }

  /** IP_HDRINCL, IPv4 only: an IPv6 socket writes whole packets when opened with protocol IPPROTO_RAW (255). */
  setHeaderIncluded(on: boolean): void {
    if (this.family !== 4) {
      if (on) throw new Error('IP_HDRINCL is for IPv4 sockets: open an IPv6 socket with protocol IPPROTO_RAW (255) to write the IPv6 header');
      return;
    }
    this.setOption('IP_HDRINCL', this.constants.IPPROTO_IP, this.constants.IP_HDRINCL, on ? 1 : 0);
  }

  /** ICMP6_FILTER (ICMPv6 sockets): only these ICMPv6 types reach onPacket(); see icmpv6FilterBytes(). */
  setIcmpv6Filter(passTypes: readonly number[]): void {
    const { IPPROTO_ICMPV6, ICMP6_FILTER } = this.constants;
    // A build from before setOptionBytes existed (build/ not rebuilt after an update).
    if (typeof this.native.setOptionBytes !== 'function') throw new Error(`the Linux binding is out of date: ${REBUILD_HINT}`);
    const result = this.native.setOptionBytes(IPPROTO_ICMPV6, ICMP6_FILTER, icmpv6FilterBytes(passTypes));
    if (result < 0) throw new Error(`setsockopt ICMP6_FILTER: ${errnoName(result)}`);
  }

  /**
   * ICMPv6 sockets: whether the kernel writes the checksum (the default, RFC
   * 3542 §3.1). Off (SOL_RAW IPV6_CHECKSUM -1) it sends the checksum the
   * packet carries, a wrong one included. IPPROTO_IPV6 IPV6_CHECKSUM is
   * refused (EINVAL) on ICMPv6 sockets; SOL_RAW is the level Linux takes.
   */
  setKernelChecksum(on: boolean): void {
    const { SOL_RAW, IPV6_CHECKSUM } = this.constants;
    if (this.family !== 6) throw new Error('IPV6_CHECKSUM is for IPv6 raw sockets');
    // -1 travels as its 32 bits.
    this.setOption('IPV6_CHECKSUM', SOL_RAW, IPV6_CHECKSUM, (on ? 2 : -1) >>> 0);
  }

  /** SO_MARK (needs CAP_NET_ADMIN): the skb mark firewall rules can match (see RawSocket.setMark). */
  setMark(mark: number): void {
    this.setOption('SO_MARK', this.constants.SOL_SOCKET, this.constants.SO_MARK, mark >>> 0);
  }

  /** SO_RCVBUFFORCE (needs CAP_NET_ADMIN), falling back to SO_RCVBUF; returns what the kernel granted. */
  forceSocketReceiveBuffer(bytes: number): number {
    const { SOL_SOCKET, SO_RCVBUFFORCE, SO_RCVBUF } = this.constants;
    if (this.native.setOption(SOL_SOCKET, SO_RCVBUFFORCE, bytes) < 0) return this.setSocketReceiveBuffer(bytes);
    return this.native.getOption(SOL_SOCKET, SO_RCVBUF);
  }

  /** Sets SO_RCVBUF; returns what the kernel granted (it doubles the request, capped by rmem_max). */
  setSocketReceiveBuffer(bytes: number): number {
    const { SOL_SOCKET, SO_RCVBUF } = this.constants;
    this.setOption('SO_RCVBUF', SOL_SOCKET, SO_RCVBUF, bytes);
    return this.native.getOption(SOL_SOCKET, SO_RCVBUF);
  }

  /** Any integer socket option; returns 0 or a negative errno. */
  setRawOption(level: number, name: number, value: number): number {
    return this.native.setOption(level, name, value);
  }

  /** Any non-negative integer socket option; returns its value or a negative errno. */
  getRawOption(level: number, name: number): number {
    return this.native.getOption(level, name);
  }

  /** Idempotent. Also happens when the socket is collected or the process tears down. */
  close(): void {
    this.isClosed = true;
    this.native.close();
  }

  /** SO_BINDTODEVICE: send and receive through this interface only (iputils ping -I IFACE). */
  bindToDevice(name: string): void {
    const { SOL_SOCKET, SO_BINDTODEVICE } = this.constants;
    this.optionResult(`SO_BINDTODEVICE ${name}`, this.native.setOptionBytes(SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${name}\0`)));
  }

  /** bind(): `address` is the source of what the socket sends (iputils ping -I ADDRESS). */
  bindAddress(address: string): void {
    this.optionResult('bind', this.native.bind(address));
  }

  /** SO_BROADCAST: allows sending to a broadcast address (iputils ping -b). */
  setBroadcast(on: boolean): void {
    this.optionResult('SO_BROADCAST', this.native.setOption(this.constants.SOL_SOCKET, this.constants.SO_BROADCAST, on ? 1 : 0));
  }

  /**
   * The TOS byte (DSCP and ECN) of what the kernel sends (iputils ping -Q):
   * IP_TOS on IPv4, IPV6_TCLASS (the traffic class, the same byte) on IPv6.
   */
  setTos(tos: number): void {
    const { IPPROTO_IP, IP_TOS, IPPROTO_IPV6, IPV6_TCLASS } = this.constants;
    // iputils' names for the option in its error lines.
    if (this.family === 6) this.optionResult('setsockopt(IPV6_TCLASS)', this.native.setOption(IPPROTO_IPV6, IPV6_TCLASS, tos));
    else this.optionResult('IP_TOS', this.native.setOption(IPPROTO_IP, IP_TOS, tos));
  }

  /**
   * Whether the kernel fragments at the source (iputils ping -M):
   * IP_MTU_DISCOVER on IPv4 ('do' also sets DF), IPV6_MTU_DISCOVER on IPv6
   * (no DF bit there: 'dont' and 'want' let the kernel add a fragment header).
   */
  setPmtuDiscovery(mode: PmtuDiscovery): void {
    const c = this.constants;
    if (this.family === 6) {
      const value = { do: c.IPV6_PMTUDISC_DO, want: c.IPV6_PMTUDISC_WANT, dont: c.IPV6_PMTUDISC_DONT, probe: c.IPV6_PMTUDISC_PROBE }[mode];
      this.optionResult('IPV6_MTU_DISCOVER', this.native.setOption(c.IPPROTO_IPV6, c.IPV6_MTU_DISCOVER, value));
      return;
    }
    const value = { do: c.IP_PMTUDISC_DO, want: c.IP_PMTUDISC_WANT, dont: c.IP_PMTUDISC_DONT, probe: c.IP_PMTUDISC_PROBE }[mode];
    this.optionResult('IP_MTU_DISCOVER', this.native.setOption(c.IPPROTO_IP, c.IP_MTU_DISCOVER, value));
  }

  /** A set-up call's result: 0, or -errno reported as iputils reports it ("WHAT: strerror text"). */
  private optionResult(what: string, result: number): void {
    if (result >= 0) return;
    if (isPermissionError(errnoName(result))) throw new PrivilegeError(`cannot set ${what}`);
    throw new SocketOptionError(`${what}: ${this.errorText(result)}`);
  }

  private errorText(errno: number): string {
    return loadLinuxBinding()?.errorText(errno) ?? errnoName(errno);
  }

  /**
   * Watches for datagrams (true, as opened) or stops (false). A socket that
   * is not watching keeps no handle active, so an idle socket kept open for
   * reuse never keeps Node running; datagrams wait in the kernel meanwhile.
   */
  setReceiving(on: boolean): void {
    if (this.isClosed) return;
    if (on) this.native.startPolling(() => this.drain());
    else this.native.stopPolling();
  }

  /**
   * Reads what is already queued, now, without waiting for the event loop
   * (replies produced during sendto() itself on loopback and veth).
   */
  receivePending(): void {
    this.drain();
  }

  private drain(): void {
    // Not re-entrant, and bounded so a flood cannot hold the event loop (as in RawSocket).
    if (this.draining) return;
    this.draining = true;
    // An armed pump reads and sends here without waiting: out of epoll meanwhile, the kernel
    // skips waking it for each reply queued and each request's buffer freed.
    const paused = this.pumpArmed;
    if (paused) this.native.pausePolling();
    try {
      const bound = paused ? MAX_READS_PER_PUMPED_DRAIN : MAX_READS_PER_DRAIN;
      for (let read = 0; read < bound && !this.isClosed; ) {
        const max = this.readMax;
        const count = this.receiveBatch(max);
        if (count < 0) {
          if (-count !== EAGAIN) this.errorHandler?.(new Error(`recvmmsg: ${errnoName(count)}`));
          return;
        }
        read += count;
        if (count > 1 || this.pumpArmed) this.readMax = this.capacity;
        else if (max > 1) this.readMax = 1;
        else if (++this.singleReads >= SINGLE_READS_BEFORE_BATCH) {
          this.singleReads = 0;
          this.readMax = this.capacity;
        }
      }
    } finally {
      this.draining = false;
      if (paused && !this.isClosed) this.native.resumePolling();
    }
  }

  private useDestination(address: string): void {
    // Parsed once per destination change, not per packet.
    if (address === this.destination) return;
    this.native.setDestination(address);
    this.destination = address;
  }

  private setOption(what: string, level: number, name: number, value: number): void {
    const result = this.native.setOption(level, name, value);
    if (result < 0) {
      const error = new Error(`setsockopt ${what}: ${errnoName(result)}`);
      throw isPermissionError(errnoName(result)) ? new PrivilegeError(`cannot set ${what}`) : error;
    }
  }

  private sendError(code: number, address: string): SendError {
    const name = errnoName(code);
    if (name === 'EPERM' || name === 'EACCES') {
      return new SendError(`sendto ${address}: ${name} (a firewall rule refused the packet?)`, false);
    }
    return new SendError(`sendto ${address}: ${name}`, -code === EAGAIN);
  }

  /** The source of datagram `index` as text; the string is reused while the source repeats (a flood's replies). */
  private sourceOf(index: number): string {
    const { ints, at, lastSourceKey } = this;
    const family = ints[at.family + index];
    const word = at.address + 4 * index;
    const scope = ints[at.scope + index];
    if (
      lastSourceKey[0] === family &&
      lastSourceKey[1] === ints[word] &&
      lastSourceKey[2] === ints[word + 1] &&
      lastSourceKey[3] === ints[word + 2] &&
      lastSourceKey[4] === ints[word + 3] &&
      lastSourceKey[5] === scope &&
      this.lastSource !== ''
    ) {
      return this.lastSource;
    }
    lastSourceKey.set([family, ints[word], ints[word + 1], ints[word + 2], ints[word + 3], scope]);
    const byte = word * 4;
    this.lastSource =
      family === 4
        ? formatIpv4Address(this.addressBytes, byte)
        : // The kernel sets a scope on link-local sources only; named as getnameinfo() names it.
          formatIpv6Address(this.addressBytes, byte) + (scope ? `%${interfaceNameForIndex(scope) ?? scope}` : '');
    return this.lastSource;
  }
}
