// A TCP connection run by hand in user space, over raw sockets (RFC 9293):
// the driver around the I/O-free state machine in tcp/connection.ts.
//
// The kernel knows nothing of the connection: every segment is built here
// with buildTcp's emitter, sent with sendto() on a raw IPPROTO_TCP socket,
// and every segment the peer sends is read from that socket, which gets a
// copy of all TCP that enters the host. This file owns what the state
// machine must not: the sockets, the clock, one timer (set from the
// connection's pollAt()), the filter that picks our segments out of all the
// host's TCP, checksum checks, ICMP errors, and the events the CLI renders.
// What TCP does (handshake, windows, retransmission, congestion control,
// SACK, closing) is in src/engine/tcp/.
//
// Reading is flow-controlled: pause() stops handing data to onData, the
// unread data fills the receive buffer and the advertised window shrinks to
// zero; resume() hands it over and the window opens again.
//
// The host kernel answers the peer's segments with RSTs of its own unless a
// firewall rule stops them (src/net/firewall.ts, native-notes/kernel-rst.md);
// `socketMark` lets that rule tell our segments from the kernel's.
import { Ipv4Sender } from '../net/ipv4-sender.ts';
import { openRawSocket, type PacketSocket } from '../net/packet-socket.ts';
import { SendError } from '../net/raw-socket.ts';
import { addressFamilyOf, sourceAddressFor, withoutScope, type AddressFamily } from '../net/routes.ts';
import { ipv4AddressBytes, ipv4AddressNumber } from '../wire/ipv4-address.ts';
import { formatIpv6Address, ipv6AddressBytes } from '../wire/ipv6-address.ts';
import { IcmpType } from '../wire/icmp.ts';
import { Icmpv6Type } from '../wire/icmpv6.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { connectionAnswerOf, ipv6AddressFold, ReplyViews, type TcpConnectionEndpoints } from '../wire/reply-matching.ts';
import { receivedChecksum, type ReceivedChecksum } from '../wire/checksum.ts';
import { emitTcpInto, tcpChecksumVerdict, tcpPseudoHeaderSum, tcpSegmentFromView, type ParsedTcpSegment } from '../wire/tcp.ts';
import {
  defaultMss,
  kernelHeaderSender,
  type TransportSender,
  copyTcpOption,
  randomEphemeralPort,
  randomSequenceNumber,
  type TcpSegmentSummary,
} from './tcp-common.ts';
import {
  TcpConnection,
  type OutgoingSegment,
  type PeerOptions,
  type ReceiveVerdict,
  type TcpCloseReason,
  type TcpConnectionEvent,
  type TcpConnectionStats,
  type TcpState,
} from './tcp/connection.ts';

export type { ReceiveVerdict, TcpCloseReason, TcpState };
export { Reassembler, type PushKind, type PushResult } from './tcp/reassembler.ts';

export interface TcpSessionOptions {
  /** IPv4 or IPv6 address of the peer (resolve names first). IPv6: the kernel writes the header (no other source, no IP_HDRINCL). */
  readonly destination: string;
  readonly destinationPort: number;
  /**
   * Our address, which the pseudo-header checksum covers. Default: the source
   * the kernel's route lookup picks (sourceAddressFor). When it differs from
   * that, the engine writes the IPv4 header itself (IP_HDRINCL), so the
   * address on the wire is the one the checksum was computed over.
   */
  readonly source?: string;
  /** Default: random in Linux's ephemeral range. */
  readonly sourcePort?: number;
  /** Build the IPv4 header ourselves (IP_HDRINCL). */
  readonly headerIncluded?: boolean;
  readonly ttl?: number;
  /** MSS we advertise (default 1460 over IPv4, 1440 over IPv6: a 1500-byte MTU less the headers); also caps the segments we send. */
  readonly mss?: number;
  /** Our window-scale shift (default 7); undefined with windowScaling false. */
  readonly windowScale?: number;
  /** Offer window scaling (default true). */
  readonly windowScaling?: boolean;
  /** Offer timestamps (default true). */
  readonly timestamps?: boolean;
  /** Offer SACK and send SACK blocks for buffered out-of-order data (default true). */
  readonly sack?: boolean;
  /**
   * Bytes of received data we hold for the application (default 1 MiB): the
   * largest window we advertise. Data the application has not read (see
   * pause()) takes room from it, so a slow reader shrinks the window.
   */
  readonly receiveWindow?: number;
  /** First RTO in ms (RFC 6298: 1000). */
  readonly initialRtoMs?: number;
  /** Lower bound for the RTO (default 200 ms, as Linux). */
  readonly minRtoMs?: number;
  /** Upper bound for the RTO (default 10 s). */
  readonly maxRtoMs?: number;
  /** SYN retransmissions before giving up (default 4: 1+2+4+8+16 s with the default RTO). */
  readonly synRetries?: number;
  /** Retransmissions of one segment, or unanswered zero-window probes, before giving up (default 8). */
  readonly maxRetries?: number;
  /** Give up when nothing arrives for this long while we wait for the peer (default 30 s). */
  readonly idleTimeoutMs?: number;
  /** How long TIME-WAIT lasts here (default 250 ms; RFC 9293's 2 MSL is minutes, for a kernel). */
  readonly timeWaitMs?: number;
  /** SO_MARK for our raw socket, so a firewall rule can let our own RSTs out (firewall.ts). */
  readonly socketMark?: number;
  /** Initial sequence number (default random). */
  readonly initialSequenceNumber?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TcpSessionEvent) => void;
  /** Called once the sockets are open, before the SYN: install firewall rules, open captures, drop privileges. */
  readonly onSocketOpen?: (local: TcpEndpoints) => void | Promise<void>;
  /** Called with each segment as built (checksum filled), right before it is sent, with its payload length (--show-wire). */
  readonly onSegmentBuilt?: (segment: Uint8Array, payloadLength: number) => void;
}

export interface TcpEndpoints {
  readonly family: AddressFamily;
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly destinationPort: number;
  readonly headerIncluded: boolean;
  /** The source the route lookup gave, for reports. */
  readonly routeSource: string;
}

export type TcpSessionEvent =
  | { readonly type: 'sent'; readonly timeMs: number; readonly segment: TcpSegmentSummary; readonly retransmission: boolean }
  | {
      readonly type: 'received';
      readonly timeMs: number;
      readonly segment: TcpSegmentSummary;
      readonly verdict: ReceiveVerdict;
      readonly checksum: ReceivedChecksum;
    }
  | TcpConnectionEvent
  | { readonly type: 'icmp'; readonly timeMs: number; readonly from: string; readonly icmpType: number; readonly icmpCode: number };

export type TcpSessionStats = TcpConnectionStats;

export interface TcpSessionResult {
  readonly reason: TcpCloseReason;
  /** One line for the user when the reason is not 'closed'. */
  readonly message?: string;
  /**
   * The peer reset the connection after the handshake before acknowledging
   * or sending anything: the signature of this host's kernel answering the
   * SYN-ACK with a RST (native-notes/kernel-rst.md).
   */
  readonly resetAfterHandshake: boolean;
  readonly icmp?: { readonly from: string; readonly type: number; readonly code: number };
  readonly stats: TcpSessionStats;
  readonly finalState: TcpState;
}

/** connect() failed; `result` says why. */
export class TcpConnectError extends Error {
  constructor(readonly result: TcpSessionResult) {
    super(result.message ?? result.reason);
    this.name = 'TcpConnectError';
  }
}

const DEFAULTS = {
  windowScale: 7,
  receiveWindow: 1 << 20,
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 10_000,
  synRetries: 4,
  maxRetries: 8,
  idleTimeoutMs: 30_000,
  timeWaitMs: 250,
};

const SEGMENT_BUFFER = 65535;
/** ICMP destination-unreachable codes that end a connection attempt (RFC 1122 4.2.3.9 calls 2-4 hard; 4 is path MTU discovery since RFC 1191). */
const HARD_UNREACHABLE = new Set([0, 1, 2, 3, 9, 10, 13]);
const FRAGMENTATION_NEEDED = 4;
/** ICMPv6 destination-unreachable codes that end a connection attempt (RFC 4443 3.1: no route, prohibited, beyond scope, address, port, policy, reject route). */
const HARD_UNREACHABLE6 = new Set([0, 1, 2, 3, 4, 5, 6]);
/** Rounds of deliver-and-dispatch one flush may run when callbacks keep asking for more. */
const MAX_FLUSH_ROUNDS = 8;

const nowMs = () => performance.timeOrigin + performance.now();

/**
 * The connection as the shared reply matcher (wire/reply-matching) describes
 * it: IPv4 addresses as numbers; IPv6 ones as their 16 bytes and folds.
 */
export function connectionEndpoints(
  endpoints: Pick<TcpEndpoints, 'source' | 'sourcePort' | 'destination' | 'destinationPort'>,
): TcpConnectionEndpoints {
  if (addressFamilyOf(endpoints.destination) === 6) {
    const sourceAddress = ipv6AddressBytes(withoutScope(endpoints.source));
    const destinationAddress = ipv6AddressBytes(withoutScope(endpoints.destination));
    return {
      family: 6,
      source: ipv6AddressFold(sourceAddress),
      sourceAddress,
      sourcePort: endpoints.sourcePort,
      destination: ipv6AddressFold(destinationAddress),
      destinationAddress,
      destinationPort: endpoints.destinationPort,
    };
  }
  return {
    source: ipv4AddressNumber(endpoints.source),
    sourcePort: endpoints.sourcePort,
    destination: ipv4AddressNumber(endpoints.destination),
    destinationPort: endpoints.destinationPort,
  };
}

/** A segment of the connection as the driver takes it: fields, addresses, and its checksum's pseudo-header sum. */
export interface ConnectionSegment {
  readonly tcp: ParsedTcpSegment;
  readonly source: string;
  readonly destination: string;
  /** IPv4 TTL, or the IPv6 hop limit from ancillary data (undefined when the socket cannot tell). */
  readonly ttl?: number;
  readonly pseudoHeaderSum: number;
}

/**
 * Reads what a raw TCP socket delivered into `views` and says whether it
 * belongs to `connection`: over IPv4 the whole datagram; over IPv6 the
 * segment alone (the kernel strips the header), `from` being recvfrom()'s
 * address and `hopLimit` the ancillary data's.
 */
function readForConnection(
  datagram: Uint8Array,
  connection: TcpConnectionEndpoints,
  views: ReplyViews,
  protocol: number,
  from?: string,
  fromAddress?: Uint8Array,
) {
  if (connection.family === 6) {
    if (from === undefined) return undefined;
    // The binding's 16 bytes when it gives them (no parse per segment), else the text.
    const sender = fromAddress?.length === 16 ? fromAddress : ipv6AddressBytes(withoutScope(from));
    views.readTransport(6, protocol, datagram, sender, connection.sourceAddress);
  } else {
    views.read(datagram);
  }
  return connectionAnswerOf(connection, views);
}

/**
 * The segment if it belongs to this connection (from the peer's address and
 * port to ours), else undefined. The shared matcher decides; the views it
 * read give the fields, with no copy of the header.
 */
export function segmentForConnection(
  datagram: Uint8Array,
  connection: TcpConnectionEndpoints,
  views: ReplyViews,
  from?: string,
  hopLimit = -1,
  fromAddress?: Uint8Array,
): ConnectionSegment | undefined {
  if (readForConnection(datagram, connection, views, IpProtocol.TCP, from, fromAddress) !== 'reply' || !views.tcp.headerComplete) return undefined;
  const tcp = tcpSegmentFromView(views.tcp);
  const length = views.tcp.end - views.tcp.start;
  if (connection.family === 6) {
    const source = withoutScope(from!);
    return {
      tcp,
      source,
      destination: formatIpv6Address(connection.sourceAddress!),
      ttl: hopLimit >= 0 ? hopLimit : undefined,
      pseudoHeaderSum: tcpPseudoHeaderSum({ source: connection.destinationAddress!, destination: connection.sourceAddress! }, length),
    };
  }
  const ip = views.ip;
  return { tcp, source: ip.source, destination: ip.destination, ttl: ip.ttl, pseudoHeaderSum: ip.pseudoHeaderSum(IpProtocol.TCP, length) };
}

export class TcpSession {
  readonly endpoints: TcpEndpoints;
  /** In-order data from the peer (a copy the handler may keep). */
  onData: (chunk: Uint8Array) => void = () => {};
  /** The peer sent FIN and all its data was handed to onData: no more will come. */
  onPeerEnd: () => void = () => {};
  /** Resolves once the connection is over, whatever the reason. */
  readonly closed: Promise<TcpSessionResult>;

  private readonly options: TcpSessionOptions;
  private readonly connection: TcpConnection;
  private readonly tcpSocket: PacketSocket;
  private readonly icmpSocket: PacketSocket | undefined;
  private readonly sender: TransportSender;
  private readonly pseudoSource: Uint8Array;
  private readonly pseudoDestination: Uint8Array;
  private readonly segmentBuffer = new Uint8Array(SEGMENT_BUFFER);
  private readonly emitEvent: ((event: TcpSessionEvent) => void) | undefined;
  private readonly onSegmentBuilt: TcpSessionOptions['onSegmentBuilt'];
  private resolveClosed!: (result: TcpSessionResult) => void;
  private finished = false;
  private badChecksums = 0;
  private paused = false;
  private peerEndReported = false;
  private flushing = false;
  private flushAgain = false;
  private flushScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  /** Connection events raised while a segment is processed wait until that segment is reported. */
  private deferredEvents: TcpConnectionEvent[] | undefined;
  private connectWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private icmpSeen: { from: string; type: number; code: number } | undefined;
  /** This connection for the shared matcher, and the views it reads each datagram into (reused, no per-packet parse). */
  private readonly matchEndpoints: TcpConnectionEndpoints;
  private readonly views = new ReplyViews();
  private readonly abortListener = () => this.abort('aborted');

  private constructor(options: TcpSessionOptions, endpoints: TcpEndpoints, tcpSocket: PacketSocket, icmpSocket: PacketSocket | undefined) {
    this.options = options;
    this.endpoints = endpoints;
    this.tcpSocket = tcpSocket;
    this.icmpSocket = icmpSocket;
    this.matchEndpoints = connectionEndpoints(endpoints);
    this.emitEvent = options.onEvent;
    this.onSegmentBuilt = options.onSegmentBuilt;
    const windowScaling = options.windowScaling ?? true;
    this.connection = new TcpConnection({
      localPort: endpoints.sourcePort,
      remotePort: endpoints.destinationPort,
      iss: (options.initialSequenceNumber ?? randomSequenceNumber()) >>> 0,
      mss: options.mss ?? defaultMss(endpoints.family),
      windowScale: windowScaling ? (options.windowScale ?? DEFAULTS.windowScale) : undefined,
      timestamps: options.timestamps ?? true,
      sack: options.sack ?? true,
      receiveBuffer: options.receiveWindow ?? DEFAULTS.receiveWindow,
      initialRtoMs: options.initialRtoMs ?? DEFAULTS.initialRtoMs,
      minRtoMs: options.minRtoMs ?? DEFAULTS.minRtoMs,
      maxRtoMs: options.maxRtoMs ?? DEFAULTS.maxRtoMs,
      synRetries: options.synRetries ?? DEFAULTS.synRetries,
      maxRetries: options.maxRetries ?? DEFAULTS.maxRetries,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
      timeWaitMs: options.timeWaitMs ?? DEFAULTS.timeWaitMs,
      timestampOffset: randomSequenceNumber(),
      onEvent: (event) => this.onConnectionEvent(event),
    });
    const ipv6 = endpoints.family === 6;
    this.pseudoSource = ipv6 ? ipv6AddressBytes(withoutScope(endpoints.source)) : ipv4AddressBytes(endpoints.source);
    this.pseudoDestination = ipv6 ? ipv6AddressBytes(withoutScope(endpoints.destination)) : ipv4AddressBytes(endpoints.destination);
    this.sender = ipv6
      ? kernelHeaderSender(tcpSocket, IpProtocol.TCP, endpoints.destination, options.ttl)
      : new Ipv4Sender(tcpSocket, {
          headerIncluded: endpoints.headerIncluded,
          protocol: IpProtocol.TCP,
          source: endpoints.source,
          destination: endpoints.destination,
          ttl: options.ttl,
          dontFragment: true,
        });
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    tcpSocket.onPacket((datagram, from, _receivedAt, hopLimit, fromAddress) => this.onTcpDatagram(datagram, from, hopLimit, fromAddress));
    tcpSocket.onError((error) => this.fail('error', `raw socket: ${error.message}`));
    icmpSocket?.onPacket((datagram, from) => this.onIcmpDatagram(datagram, from));
    icmpSocket?.onError(() => {});
  }

  /**
   * Opens the raw sockets, calls onSocketOpen, and runs the handshake.
   * Resolves with the ESTABLISHED session; rejects with TcpConnectError
   * (refused, unreachable, timeout, aborted), PrivilegeError or SendError.
   */
  static async connect(options: TcpSessionOptions): Promise<TcpSession> {
    const family = addressFamilyOf(options.destination);
    if (family === undefined) throw new Error(`not an IPv4 or IPv6 address: ${options.destination}`);
    const routeSource = await sourceAddressFor(options.destination);
    const source = options.source ?? routeSource;
    if (family === 6 && (source !== routeSource || options.headerIncluded)) {
      throw new Error('over IPv6 the kernel writes the IP header: no other source address or IP_HDRINCL');
    }
    const endpoints: TcpEndpoints = {
      family,
      source,
      sourcePort: options.sourcePort ?? randomEphemeralPort(),
      destination: options.destination,
      destinationPort: options.destinationPort,
      // The kernel writes the route's source; any other needs our own header.
      headerIncluded: options.headerIncluded ?? source !== routeSource,
      routeSource,
    };
    // The Linux binding when built, raw-socket otherwise. The RTT estimator
    // keeps its JS clock: the connection stamps its sends in JS, and a kernel
    // receive stamp would be on a different clock. (The SIGSEGV after a reset
    // message that had pinned this to raw-socket was cap's handle collected at
    // isolate teardown, not this binding: see captureWasOpened() in net/capture.ts.)
    const tcpSocket = openRawSocket({ family, protocol: IpProtocol.TCP });
    let icmpSocket: PacketSocket | undefined;
    try {
      // Room for a window's worth of segments (they come in bursts); past
      // net.core.rmem_max when we may (CAP_NET_ADMIN).
      const want = Math.max(4 << 20, 4 * (options.receiveWindow ?? DEFAULTS.receiveWindow));
      tcpSocket.forceSocketReceiveBuffer(want);
      if (options.socketMark !== undefined) tcpSocket.setMark(options.socketMark);
      icmpSocket = openRawSocket({ family, protocol: family === 6 ? IpProtocol.ICMPv6 : IpProtocol.ICMP, binding: tcpSocket.binding });
    } catch (error) {
      tcpSocket.close();
      throw error;
    }
    const session = new TcpSession(options, endpoints, tcpSocket, icmpSocket);
    try {
      await options.onSocketOpen?.(endpoints);
    } catch (error) {
      session.connection.release(nowMs(), 'error', (error as Error).message);
      session.afterChange();
      throw error;
    }
    await session.handshake();
    return session;
  }

  // -------------------------------------------------------------------------
  // Read-only views

  get state(): TcpState {
    return this.connection.state;
  }
  /** Our initial sequence number. */
  get iss(): number {
    return this.connection.iss;
  }
  /** The peer's initial sequence number, once known. */
  get irs(): number {
    return this.connection.irs;
  }
  /** What the peer offered in its SYN-ACK. */
  get peer(): PeerOptions {
    return this.connection.peer;
  }
  get stats(): TcpSessionStats {
    const stats = this.connection.stats;
    return { ...stats, badChecksums: this.badChecksums, segmentsReceived: stats.segmentsReceived + this.badChecksums };
  }
  /** Bytes written but not yet acknowledged. */
  get unacknowledged(): number {
    return this.connection.unacknowledged;
  }
  /** The window (bytes) in the last segment we sent. */
  get advertisedWindow(): number {
    return this.connection.advertisedWindow;
  }
  /** Received data not yet handed to onData (held while paused). */
  get bufferedBytes(): number {
    return this.connection.readableBytes;
  }

  // -------------------------------------------------------------------------
  // Application calls

  /**
   * Queues data and sends what the windows allow. Returns false, and drops
   * the data, when the connection is already over (`closed` says why).
   */
  write(data: Uint8Array): boolean {
    if (this.finished) return false;
    if (!this.connection.send(data)) return false;
    this.flush();
    return true;
  }

  /** Queues our FIN after the data written so far. */
  end(): void {
    if (this.finished) return;
    this.connection.close(nowMs());
    this.flush();
  }

  /** Sends a RST and ends the connection now. */
  abort(reason: TcpCloseReason = 'aborted', message?: string): void {
    if (this.finished) return;
    this.connection.abort(nowMs(), reason, message);
    this.flush();
  }

  /**
   * Ends the session without a RST or waiting for the peer (as a process
   * exiting with an orderly-closed socket in FIN-WAIT-2 would): for when our
   * side is done and acknowledged and nothing more is wanted from the peer.
   */
  release(): void {
    if (this.finished) return;
    this.connection.release(nowMs(), 'closed');
    this.afterChange();
  }

  /** Stops handing data to onData; what arrives is held and the window we advertise shrinks. */
  pause(): void {
    this.paused = true;
  }

  /** Hands held data to onData again; the window opens (with a window update when it was small). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.scheduleFlush();
  }

  // -------------------------------------------------------------------------
  // Handshake

  private handshake(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      const signal = this.options.signal;
      if (signal?.aborted) {
        this.connection.release(nowMs(), 'aborted', 'aborted');
        this.afterChange();
        return;
      }
      signal?.addEventListener('abort', this.abortListener, { once: true });
      this.connection.connect(nowMs());
      this.flush();
    });
  }

  // -------------------------------------------------------------------------
  // Receiving

  private onTcpDatagram(datagram: Buffer, from: string, hopLimit: number, fromAddress: Uint8Array): void {
    if (this.finished) return;
    const found = segmentForConnection(datagram, this.matchEndpoints, this.views, from, hopLimit, fromAddress);
    if (!found) return;
    const { tcp } = found;
    const bytes = this.views.tcp.slice();
    const timeMs = nowMs();
    const checksum = receivedChecksum(tcpChecksumVerdict(bytes, found.pseudoHeaderSum));
    let verdict: ReceiveVerdict;
    const deferred: TcpConnectionEvent[] = [];
    if (checksum === 'bad') {
      this.badChecksums++;
      verdict = 'bad-checksum';
    } else {
      this.deferredEvents = deferred;
      try {
        verdict = this.connection.process(timeMs, tcp);
      } finally {
        this.deferredEvents = undefined;
      }
    }
    this.emitEvent?.({
      type: 'received',
      timeMs,
      verdict,
      checksum,
      segment: {
        source: found.source,
        sourcePort: tcp.sourcePort,
        destination: found.destination,
        destinationPort: tcp.destinationPort,
        flags: tcp.flags,
        sequenceNumber: tcp.sequenceNumber,
        acknowledgmentNumber: tcp.acknowledgmentNumber,
        window: tcp.window,
        options: tcp.options.map(copyTcpOption),
        payloadLength: tcp.payload.length,
        ttl: found.ttl,
      },
    });
    for (const event of deferred) this.emitEvent?.(event);
    if (checksum === 'bad') return;
    // ACK once per burst: after the socket has been drained of what is waiting.
    this.scheduleFlush();
  }

  private onIcmpDatagram(datagram: Buffer, from: string): void {
    if (this.finished) return;
    // An error must quote a segment of ours from the part of the sequence space in flight (RFC 5927 4.1).
    const match = this.matchEndpoints;
    match.sendUnacknowledged = this.connection.sendUnacknowledged;
    match.sendNext = this.connection.sendNext;
    const ipv6 = this.endpoints.family === 6;
    const kind = readForConnection(datagram, match, this.views, ipv6 ? IpProtocol.ICMPv6 : IpProtocol.ICMP, from);
    match.sendUnacknowledged = match.sendNext = undefined;
    if (kind !== 'icmp-error') return;
    const icmp = ipv6 ? this.views.icmp6 : this.views.icmp;
    const message = { type: icmp.type, code: icmp.code };
    const now = nowMs();
    if (ipv6) from = withoutScope(from);
    this.icmpSeen = { from, type: message.type, code: message.code };
    this.emitEvent?.({ type: 'icmp', timeMs: now, from, icmpType: message.type, icmpCode: message.code });
    // Path MTU discovery (RFC 8201, RFC 1191): not an error, a smaller segment size.
    if (ipv6 && message.type === Icmpv6Type.PacketTooBig) {
      // The IPv6 minimum MTU is 1280 (RFC 8200 5): a smaller report is not believed.
      const quoted = this.views.quotedIp6;
      this.connection.pathMtuReduced(now, Math.max(1280, this.views.icmp6.mtu), quoted.upperLayerStart - quoted.start);
      this.afterChange();
      return;
    }
    if (!ipv6 && message.type === IcmpType.DestinationUnreachable && message.code === FRAGMENTATION_NEEDED) {
      // No MTU given (a pre-1191 router): nothing to go by.
      const mtu = this.views.icmp.nextHopMtu;
      if (mtu >= 68) this.connection.pathMtuReduced(now, mtu, this.views.quotedIp.headerLength);
      this.afterChange();
      return;
    }
    // A hard error while connecting ends the attempt (RFC 1122 4.2.3.9); later ones are soft.
    const hard = ipv6
      ? message.type === Icmpv6Type.DestinationUnreachable && HARD_UNREACHABLE6.has(message.code)
      : message.type === IcmpType.DestinationUnreachable && HARD_UNREACHABLE.has(message.code);
    this.connection.icmpError(now, from, message.type, message.code, hard, ipv6 ? describeUnreachable6(message.code) : describeUnreachable(message.code));
    this.afterChange();
  }

  private onConnectionEvent(event: TcpConnectionEvent): void {
    if (this.deferredEvents) this.deferredEvents.push(event);
    else this.emitEvent?.(event);
  }

  // -------------------------------------------------------------------------
  // Delivering, sending, the timer

  private scheduleFlush(): void {
    if (this.flushScheduled || this.finished) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Hands data to the application, sends what the connection wants sent, re-arms the timer. */
  private flush(): void {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      for (let round = 0; round < MAX_FLUSH_ROUNDS && !this.finished; round++) {
        this.flushAgain = false;
        this.deliver();
        const now = nowMs();
        for (const outgoing of this.connection.dispatch(now)) {
          if (!this.transmit(outgoing, now)) break;
        }
        if (!this.flushAgain) break;
      }
    } finally {
      this.flushing = false;
    }
    this.afterChange();
  }

  private deliver(): void {
    while (!this.paused && !this.finished) {
      const chunk = this.connection.read();
      if (chunk === undefined) break;
      this.onData(chunk);
    }
    if (!this.paused && !this.finished && !this.peerEndReported && this.connection.peerFinished && this.connection.readableBytes === 0) {
      this.peerEndReported = true;
      this.onPeerEnd();
    }
  }

  private transmit(outgoing: OutgoingSegment, now: number): boolean {
    const segment = outgoing.segment;
    const length = emitTcpInto(this.segmentBuffer, 0, segment, { source: this.pseudoSource, destination: this.pseudoDestination });
    this.onSegmentBuilt?.(this.segmentBuffer.subarray(0, length), segment.payload?.length ?? 0);
    try {
      this.sender.send(this.segmentBuffer.subarray(0, length));
    } catch (error) {
      if (error instanceof SendError && error.wouldBlock) {
        // The socket buffer is full: to TCP this is a loss, and the RTO sends it again.
        this.emitEvent?.({ type: 'note', timeMs: now, message: `sendto: ${error.message} (will retransmit)` });
        return true;
      }
      this.connection.release(now, 'error', (error as Error).message);
      return false;
    }
    this.emitEvent?.({
      type: 'sent',
      timeMs: now,
      retransmission: outgoing.retransmission,
      segment: {
        source: this.endpoints.source,
        sourcePort: this.endpoints.sourcePort,
        destination: this.endpoints.destination,
        destinationPort: this.endpoints.destinationPort,
        flags: segment.flags,
        sequenceNumber: segment.sequenceNumber,
        acknowledgmentNumber: segment.acknowledgmentNumber,
        window: segment.window,
        options: segment.options.map(copyTcpOption),
        payloadLength: segment.payload?.length ?? 0,
      },
    });
    return true;
  }

  /** After anything changed: the handshake's promise, the end, and the one timer. */
  private afterChange(): void {
    if (this.finished) return;
    const info = this.connection.closed;
    if (info) {
      this.finish();
      return;
    }
    if (this.connectWaiter && this.connection.state !== 'SYN-SENT' && this.connection.state !== 'SYN-RECEIVED') {
      const waiter = this.connectWaiter;
      this.connectWaiter = undefined;
      waiter.resolve();
    }
    const at = this.connection.pollAt();
    if (at === undefined) {
      this.clearTimer();
      return;
    }
    if (at === Number.NEGATIVE_INFINITY) {
      this.clearTimer();
      this.scheduleFlush();
      return;
    }
    if (this.timer !== undefined && this.timerAt === at) return;
    this.clearTimer();
    this.timerAt = at;
    // +1 ms: setTimeout may fire a fraction early, and then the deadline would not be due yet.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.flush();
    }, Math.max(0, at - nowMs()) + 1);
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }

  // -------------------------------------------------------------------------
  // The end

  private fail(reason: TcpCloseReason, message: string): void {
    if (this.finished) return;
    this.connection.release(nowMs(), reason, message);
    this.afterChange();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    this.options.signal?.removeEventListener('abort', this.abortListener);
    this.tcpSocket.close();
    this.icmpSocket?.close();
    const info = this.connection.closed!;
    const { destination, destinationPort } = this.endpoints;
    let message = info.detail;
    if (info.reason === 'refused') message ??= `connection refused: ${destination} port ${destinationPort} answered the SYN with a RST`;
    if (info.reason === 'reset') {
      message ??= info.resetAfterHandshake
        ? `connection reset by ${destination}:${destinationPort} right after the handshake`
        : `connection reset by ${destination}:${destinationPort}`;
    }
    const result: TcpSessionResult = {
      reason: info.reason,
      message,
      resetAfterHandshake: info.resetAfterHandshake,
      icmp: this.icmpSeen,
      stats: this.stats,
      finalState: info.finalState,
    };
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.reject(new TcpConnectError(result));
    this.resolveClosed(result);
  }
}

function describeUnreachable6(code: number): string {
  switch (code) {
    case 0:
      return 'no route to destination';
    case 1:
      return 'administratively prohibited';
    case 2:
      return 'beyond the scope of the source address';
    case 3:
      return 'address unreachable';
    case 4:
      return 'port unreachable';
    case 5:
      return 'source address failed ingress/egress policy';
    case 6:
      return 'reject route to destination';
    default:
      return `destination unreachable (code ${code})`;
  }
}

function describeUnreachable(code: number): string {
  switch (code) {
    case 0:
      return 'network unreachable';
    case 1:
      return 'host unreachable';
    case 2:
      return 'protocol unreachable';
    case 3:
      return 'port unreachable';
    case 4:
      return 'fragmentation needed';
    case 9:
    case 10:
    case 13:
      return 'administratively prohibited';
    default:
      return `destination unreachable (code ${code})`;
  }
}
