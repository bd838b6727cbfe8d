// A TCP connection run by hand in user space, over raw sockets (RFC 9293).
//
// The kernel knows nothing of it: every segment is built here with buildTcp's
// emitter, sent with sendto() on a raw IPPROTO_TCP socket, and every segment
// the peer sends is read from that socket, which gets a copy of all TCP that
// enters the host. What this engine does:
//
// - three-way handshake with MSS, SACK-permitted, timestamps (RFC 7323) and
//   window scaling; the SYN is retransmitted after an RTO that doubles each
//   time (bounded);
// - sending: segments of at most the peer's MSS, within min(peer window,
//   congestion window) (slow start / congestion avoidance, RFC 5681; fast
//   retransmit after three duplicate ACKs), retransmission after an RTO
//   computed as in RFC 6298 with Karn's rule, exponential backoff, bounded
//   retries, zero-window probes;
// - receiving: in-order delivery, out-of-order segments buffered and
//   released when the gap fills, duplicates dropped and re-acknowledged,
//   SACK blocks (RFC 2018) for what is buffered;
// - closing: FIN in both orders (we close first: FIN-WAIT-1/2, TIME-WAIT;
//   the peer closes first: CLOSE-WAIT, LAST-ACK), simultaneous close, RST.
//
// The host kernel answers the peer's segments with RSTs of its own unless a
// firewall rule stops them (src/net/firewall.ts, native-notes/kernel-rst.md);
// `socketMark` lets that rule tell our segments from the kernel's.
import { Ipv4Sender } from '../net/ipv4-sender.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, RawSocket, SendError } from '../net/raw-socket.ts';
import { sourceAddressFor } from '../net/routes.ts';
import { ipv4AddressBytes } from '../wire/ipv4-address.ts';
import { IcmpType, parseIcmp } from '../wire/icmp.ts';
import { IpProtocol, parseIpv4 } from '../wire/ipv4.ts';
import { emitTcpInto, parseTcp, TcpFlag, tcpSynOptions, type ParsedTcpSegment, type TcpOption, type TcpSackBlock } from '../wire/tcp.ts';
import {
  copyTcpOption,
  randomEphemeralPort,
  randomSequenceNumber,
  tcpChecksumStatus,
  tcpIpv4PseudoSum,
  type TcpSegmentSummary,
} from './tcp-common.ts';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../wire/tcp-sequence.ts';

export type TcpState =
  | 'CLOSED'
  | 'SYN-SENT'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSING'
  | 'TIME-WAIT'
  | 'CLOSE-WAIT'
  | 'LAST-ACK';

export interface TcpSessionOptions {
  /** IPv4 address of the peer (resolve names first). */
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
  /** MSS we advertise (default 1460); also caps the segments we send. */
  readonly mss?: number;
  /** Our window-scale shift (default 7); undefined with windowScaling false. */
  readonly windowScale?: number;
  /** Offer window scaling (default true). */
  readonly windowScaling?: boolean;
  /** Offer timestamps (default true). */
  readonly timestamps?: boolean;
  /** Offer SACK and send SACK blocks for buffered out-of-order data (default true). */
  readonly sack?: boolean;
  /** Bytes we let the peer have in flight (default 1 MiB). */
  readonly receiveWindow?: number;
  /** First RTO in ms (RFC 6298: 1000). */
  readonly initialRtoMs?: number;
  /** Lower bound for the RTO (default 200 ms, as Linux). */
  readonly minRtoMs?: number;
  /** Upper bound for the RTO (default 10 s). */
  readonly maxRtoMs?: number;
  /** SYN retransmissions before giving up (default 4: 1+2+4+8+16 s with the default RTO). */
  readonly synRetries?: number;
  /** Retransmissions of one segment before giving up (default 8). */
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
}

export interface TcpEndpoints {
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly destinationPort: number;
  readonly headerIncluded: boolean;
  /** The source the route lookup gave, for reports. */
  readonly routeSource: string;
}

export type ReceiveVerdict =
  | 'accepted'
  | 'out-of-order'
  | 'duplicate'
  | 'out-of-window'
  | 'bad-checksum'
  | 'unexpected';

export type TcpSessionEvent =
  | { readonly type: 'sent'; readonly timeMs: number; readonly segment: TcpSegmentSummary; readonly retransmission: boolean }
  | {
      readonly type: 'received';
      readonly timeMs: number;
      readonly segment: TcpSegmentSummary;
      readonly verdict: ReceiveVerdict;
      readonly checksum: 'valid' | 'offloaded' | 'bad';
    }
  | { readonly type: 'state'; readonly timeMs: number; readonly from: TcpState; readonly to: TcpState }
  | {
      readonly type: 'timeout';
      readonly timeMs: number;
      readonly what: 'syn' | 'data' | 'fin' | 'window-probe';
      readonly attempt: number;
      /** The RTO after backoff, for the next attempt. */
      readonly rtoMs: number;
    }
  | { readonly type: 'icmp'; readonly timeMs: number; readonly from: string; readonly icmpType: number; readonly icmpCode: number }
  | { readonly type: 'note'; readonly timeMs: number; readonly message: string };

export type TcpCloseReason = 'closed' | 'reset' | 'refused' | 'unreachable' | 'timeout' | 'aborted' | 'error';

export interface TcpSessionStats {
  segmentsSent: number;
  segmentsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  retransmissions: number;
  timeouts: number;
  fastRetransmits: number;
  outOfOrder: number;
  duplicates: number;
  badChecksums: number;
  /** Smoothed RTT (RFC 6298) at the end, ms. */
  srttMs?: number;
}

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

// ---------------------------------------------------------------------------
// Receive-side reassembly (pure; exported for tests)

export type PushKind = 'in-order' | 'out-of-order' | 'duplicate' | 'out-of-window';

export interface PushResult {
  readonly kind: PushKind;
  /** Bytes now in order, in order. */
  readonly delivered: Uint8Array[];
  /** The peer's FIN is now in order (consumed one sequence number). */
  readonly finReached: boolean;
}

interface Held {
  start: number;
  data: Uint8Array;
  fin: boolean;
}

/**
 * Puts received segments back in order. `nextSeq` is RCV.NXT; segments
 * within `window` bytes of it are accepted, the rest dropped. Out-of-order
 * data is copied and held; anything already received is a duplicate.
 */
export class Reassembler {
  nextSeq: number;
  finReceived = false;
  private held: Held[] = [];
  private lastHeld: Held | undefined;

  constructor(
    initialSeq: number,
    private readonly window: number,
  ) {
    this.nextSeq = initialSeq >>> 0;
  }

  get heldBytes(): number {
    let total = 0;
    for (const h of this.held) total += h.data.length;
    return total;
  }

  push(seq: number, data: Uint8Array, fin: boolean): PushResult {
    const delivered: Uint8Array[] = [];
    if (this.finReceived) return { kind: 'duplicate', delivered, finReached: false };
    let start = seq >>> 0;
    let bytes = data;
    // Trim what we already have.
    const behind = seqDiff(this.nextSeq, start);
    if (behind > 0) {
      if (behind > bytes.length || (behind === bytes.length && !fin)) return { kind: 'duplicate', delivered, finReached: false };
      bytes = bytes.subarray(behind);
      start = this.nextSeq;
    }
    // Trim what is past the window (a FIN past it is dropped with it).
    const ahead = seqDiff(start, this.nextSeq);
    if (ahead >= this.window) return { kind: 'out-of-window', delivered, finReached: false };
    if (ahead + bytes.length > this.window) {
      bytes = bytes.subarray(0, this.window - ahead);
      fin = false;
    }
    if (ahead > 0) {
      if (this.covered(start, bytes.length, fin)) return { kind: 'duplicate', delivered, finReached: false };
      const held: Held = { start, data: Uint8Array.from(bytes), fin };
      let at = this.held.findIndex((h) => seqGt(h.start, start));
      if (at < 0) at = this.held.length;
      this.held.splice(at, 0, held);
      this.lastHeld = held;
      return { kind: 'out-of-order', delivered, finReached: false };
    }
    const kind: PushKind = 'in-order';
    let finReached = this.take(bytes, fin, delivered, true);
    // Release what the gap was holding back.
    while (!finReached && this.held.length > 0 && seqLe(this.held[0].start, this.nextSeq)) {
      const next = this.held.shift()!;
      if (next === this.lastHeld) this.lastHeld = undefined;
      const overlap = seqDiff(this.nextSeq, next.start);
      if (overlap > next.data.length || (overlap === next.data.length && !next.fin)) continue;
      finReached = this.take(next.data.subarray(overlap), next.fin, delivered, false);
    }
    if (finReached) this.held = [];
    return { kind, delivered, finReached };
  }

  /** Up to `max` SACK blocks for held data, the most recently received block first (RFC 2018). */
  sackBlocks(max: number): TcpSackBlock[] {
    const blocks: Array<TcpSackBlock & { recent: boolean }> = [];
    for (const h of this.held) {
      const end = seqAdd(h.start, h.data.length);
      const last = blocks[blocks.length - 1];
      if (last && seqGe(last.right, h.start)) {
        if (seqGt(end, last.right)) last.right = end;
        last.recent ||= h === this.lastHeld;
      } else if (h.data.length > 0) {
        blocks.push({ left: h.start, right: end, recent: h === this.lastHeld });
      }
    }
    blocks.sort((a, b) => Number(b.recent) - Number(a.recent));
    return blocks.slice(0, max).map(({ left, right }) => ({ left, right }));
  }

  private take(bytes: Uint8Array, fin: boolean, delivered: Uint8Array[], copy: boolean): boolean {
    if (bytes.length > 0) {
      delivered.push(copy ? Uint8Array.from(bytes) : bytes);
      this.nextSeq = seqAdd(this.nextSeq, bytes.length);
    }
    if (fin) {
      this.nextSeq = seqAdd(this.nextSeq, 1);
      this.finReceived = true;
      return true;
    }
    return false;
  }

  private covered(start: number, length: number, fin: boolean): boolean {
    const end = seqAdd(start, length);
    return this.held.some(
      (h) => seqLe(h.start, start) && seqGe(seqAdd(h.start, h.data.length), end) && (!fin || h.fin || seqGt(seqAdd(h.start, h.data.length), end)),
    );
  }
}

// ---------------------------------------------------------------------------
// Send queue: the bytes from SND.UNA on, as written.

class SendQueue {
  private chunks: Uint8Array[] = [];
  private headOffset = 0;
  length = 0;

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(Uint8Array.from(data));
    this.length += data.length;
  }

  /** Drops `count` bytes from the front (they were acknowledged). */
  drop(count: number): void {
    let left = Math.min(count, this.length);
    this.length -= left;
    while (left > 0) {
      const first = this.chunks[0];
      const available = first.length - this.headOffset;
      if (left < available) {
        this.headOffset += left;
        return;
      }
      left -= available;
      this.chunks.shift();
      this.headOffset = 0;
    }
  }

  /** `length` bytes starting `offset` bytes after the front. */
  read(offset: number, length: number): Uint8Array {
    let skip = this.headOffset + offset;
    let i = 0;
    while (i < this.chunks.length && skip >= this.chunks[i].length) skip -= this.chunks[i++].length;
    const first = this.chunks[i];
    if (first && skip + length <= first.length) return first.subarray(skip, skip + length);
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length && i < this.chunks.length) {
      const piece = this.chunks[i++].subarray(skip, skip + (length - filled));
      out.set(piece, filled);
      filled += piece.length;
      skip = 0;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------

const DEFAULTS = {
  mss: 1460,
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

/** Bytes the timestamps option takes in every segment once agreed (10, padded to 12). */
const TIMESTAMP_OPTION_SPACE = 12;
const SEGMENT_BUFFER = 65535;
/** ICMP destination-unreachable codes that end a connection attempt (RFC 1122 4.2.3.9 calls 2-4 hard). */
const HARD_UNREACHABLE = new Set([0, 1, 2, 3, 4, 9, 10, 13]);

const nowMs = () => performance.timeOrigin + performance.now();

export class TcpSession {
  readonly endpoints: TcpEndpoints;
  /** Our initial sequence number. */
  readonly iss: number;
  /** The peer's initial sequence number, once known. */
  irs = 0;
  state: TcpState = 'CLOSED';
  readonly stats: TcpSessionStats = {
    segmentsSent: 0,
    segmentsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    retransmissions: 0,
    timeouts: 0,
    fastRetransmits: 0,
    outOfOrder: 0,
    duplicates: 0,
    badChecksums: 0,
  };
  /** What the peer offered in its SYN-ACK. */
  peer: { mss?: number; windowScale?: number; sackPermitted: boolean; timestamps: boolean } = {
    sackPermitted: false,
    timestamps: false,
  };
  /** In-order data from the peer (a copy the handler may keep). */
  onData: (chunk: Uint8Array) => void = () => {};
  /** The peer sent FIN: no more data will come. */
  onPeerEnd: () => void = () => {};
  /** Resolves once the connection is over, whatever the reason. */
  readonly closed: Promise<TcpSessionResult>;

  private readonly options: TcpSessionOptions;
  private readonly tcpSocket: RawSocket;
  private readonly icmpSocket: RawSocket | undefined;
  private readonly sender: Ipv4Sender;
  private readonly pseudoSource: Uint8Array;
  private readonly pseudoDestination: Uint8Array;
  private readonly segmentBuffer = new Uint8Array(SEGMENT_BUFFER);
  private readonly emitEvent: ((event: TcpSessionEvent) => void) | undefined;
  private resolveClosed!: (result: TcpSessionResult) => void;
  private finished = false;

  // Send side (RFC 9293 names).
  private sndUna: number;
  private sndNxt: number;
  private sndMax: number;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndShift = 0;
  private sendMss = 536;
  private readonly queue = new SendQueue();
  private finQueued = false;
  private finSent = false;
  /** Sequence number of our FIN, once sent. */
  private finSeq = 0;
  private finAcked = false;
  private cwnd = 0;
  private ssthresh = Number.POSITIVE_INFINITY;
  private dupAcks = 0;
  /** Karn: one segment timed at a time, never a retransmitted one. */
  private timing: { end: number; sentAt: number } | undefined;
  private srtt: number | undefined;
  private rttvar = 0;
  private rto: number;
  private retries = 0;
  private synAttempts = 0;
  private retransmitTimer: NodeJS.Timeout | undefined;

  // Receive side.
  private reassembler: Reassembler | undefined;
  private rcvShift: number;
  private readonly receiveWindow: number;
  private ackScheduled = false;
  private ackNeeded = false;
  /** The acknowledgment number of the last segment we sent with ACK. */
  private lastAckSent = -1;
  private tsRecent = 0;
  private readonly tsOffset = randomSequenceNumber();
  private useTimestamps = false;
  private useSack = false;

  // Lifetime.
  private idleTimer: NodeJS.Timeout | undefined;
  private timeWaitTimer: NodeJS.Timeout | undefined;
  private connectWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private peerAckedAnything = false;
  private icmpSeen: { from: string; type: number; code: number } | undefined;
  private readonly abortListener = () => this.abort('aborted');

  private constructor(options: TcpSessionOptions, endpoints: TcpEndpoints, tcpSocket: RawSocket, icmpSocket: RawSocket | undefined) {
    this.options = options;
    this.endpoints = endpoints;
    this.tcpSocket = tcpSocket;
    this.icmpSocket = icmpSocket;
    this.emitEvent = options.onEvent;
    this.iss = (options.initialSequenceNumber ?? randomSequenceNumber()) >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.rto = options.initialRtoMs ?? DEFAULTS.initialRtoMs;
    const windowScaling = options.windowScaling ?? true;
    this.rcvShift = windowScaling ? (options.windowScale ?? DEFAULTS.windowScale) : 0;
    this.receiveWindow = options.receiveWindow ?? DEFAULTS.receiveWindow;
    this.pseudoSource = ipv4AddressBytes(endpoints.source);
    this.pseudoDestination = ipv4AddressBytes(endpoints.destination);
    this.sender = new Ipv4Sender(tcpSocket, {
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
    tcpSocket.onPacket((datagram) => this.onTcpDatagram(datagram));
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
    const routeSource = await sourceAddressFor(options.destination);
    const source = options.source ?? routeSource;
    const endpoints: TcpEndpoints = {
      source,
      sourcePort: options.sourcePort ?? randomEphemeralPort(),
      destination: options.destination,
      destinationPort: options.destinationPort,
      // The kernel writes the route's source; any other needs our own header.
      headerIncluded: options.headerIncluded ?? source !== routeSource,
      routeSource,
    };
    const tcpSocket = RawSocket.open({ protocol: IPPROTO_TCP });
    let icmpSocket: RawSocket | undefined;
    try {
      // Room for a window's worth of segments (they come in bursts); past
      // net.core.rmem_max when we may (CAP_NET_ADMIN).
      const want = Math.max(4 << 20, 4 * (options.receiveWindow ?? DEFAULTS.receiveWindow));
      tcpSocket.forceSocketReceiveBuffer(want);
      if (options.socketMark !== undefined) tcpSocket.setMark(options.socketMark);
      icmpSocket = RawSocket.open({ protocol: IPPROTO_ICMP });
    } catch (error) {
      tcpSocket.close();
      throw error;
    }
    const session = new TcpSession(options, endpoints, tcpSocket, icmpSocket);
    try {
      await options.onSocketOpen?.(endpoints);
    } catch (error) {
      session.finish('error', (error as Error).message, false);
      throw error;
    }
    await session.handshake();
    return session;
  }

  /**
   * Queues data and sends what the windows allow. Returns false, and drops
   * the data, when the connection is already over (`closed` says why).
   */
  write(data: Uint8Array): boolean {
    if (this.finQueued) throw new Error('write after end()');
    if (this.finished) return false;
    this.queue.push(data);
    this.pump();
    return true;
  }

  /** Queues our FIN after the data written so far. */
  end(): void {
    if (this.finQueued || this.finished) return;
    this.finQueued = true;
    this.pump();
  }

  /** Sends a RST and ends the connection now. */
  abort(reason: TcpCloseReason = 'aborted', message?: string): void {
    if (this.finished) return;
    if (this.state !== 'CLOSED' && this.state !== 'SYN-SENT' && this.state !== 'TIME-WAIT') {
      this.sendSegment(TcpFlag.RST | TcpFlag.ACK, this.sndNxt, undefined, false, []);
    } else if (this.state === 'SYN-SENT') {
      this.sendSegment(TcpFlag.RST, this.sndNxt, undefined, false, []);
    }
    this.finish(reason, message ?? (reason === 'aborted' ? 'aborted: sent RST' : undefined), false);
  }

  /** Bytes written but not yet acknowledged. */
  get unacknowledged(): number {
    return this.queue.length;
  }

  // -------------------------------------------------------------------------
  // Handshake

  private handshake(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      const signal = this.options.signal;
      if (signal?.aborted) {
        this.abort('aborted');
        return;
      }
      signal?.addEventListener('abort', this.abortListener, { once: true });
      this.setState('SYN-SENT');
      this.sendSyn(false);
      this.armIdle();
    });
  }

  private synOptions(): TcpOption[] {
    return tcpSynOptions({
      mss: this.options.mss ?? DEFAULTS.mss,
      sackPermitted: this.options.sack ?? true,
      timestampValue: (this.options.timestamps ?? true) ? this.tsNow() : undefined,
      windowScale: (this.options.windowScaling ?? true) ? this.rcvShift : undefined,
    });
  }

  private sendSyn(retransmission: boolean): void {
    this.synAttempts++;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    if (!retransmission) this.timing = { end: this.sndNxt, sentAt: performance.now() };
    this.sendSegment(TcpFlag.SYN, this.iss, undefined, retransmission, this.synOptions());
    this.armRetransmit();
  }

  private onSynAck(tcp: ParsedTcpSegment): void {
    this.irs = tcp.sequenceNumber;
    let windowScale: number | undefined;
    let timestampValue: number | undefined;
    for (const option of tcp.options) {
      if (option.kind === 'mss') this.peer.mss = option.value;
      else if (option.kind === 'window-scale') windowScale = Math.min(option.shift, 14);
      else if (option.kind === 'sack-permitted') this.peer.sackPermitted = true;
      else if (option.kind === 'timestamps') timestampValue = option.value;
    }
    const weScale = this.options.windowScaling ?? true;
    if (windowScale !== undefined) this.peer.windowScale = windowScale;
    // Window scaling applies only when both sides offered it (RFC 7323 2.2).
    this.sndShift = weScale && windowScale !== undefined ? windowScale : 0;
    const ourShiftAgreed = weScale && windowScale !== undefined;
    if (!ourShiftAgreed) this.rcvShift = 0;
    this.useTimestamps = (this.options.timestamps ?? true) && timestampValue !== undefined;
    this.peer.timestamps = timestampValue !== undefined;
    if (timestampValue !== undefined) this.tsRecent = timestampValue;
    this.useSack = (this.options.sack ?? true) && this.peer.sackPermitted;
    const ourMss = this.options.mss ?? DEFAULTS.mss;
    this.sendMss = Math.min(this.peer.mss ?? 536, ourMss) - (this.useTimestamps ? TIMESTAMP_OPTION_SPACE : 0);
    this.cwnd = 10 * this.sendMss;
    this.reassembler = new Reassembler(seqAdd(this.irs, 1), this.currentReceiveWindow());
    this.sndWnd = tcp.window; // never scaled in a SYN
    this.sndWl1 = tcp.sequenceNumber;
    this.sndWl2 = tcp.acknowledgmentNumber;
    this.sndUna = tcp.acknowledgmentNumber;
    if (this.timing && this.synAttempts === 1) this.sampleRtt(performance.now() - this.timing.sentAt);
    this.timing = undefined;
    this.retries = 0;
    this.clearRetransmit();
    this.setState('ESTABLISHED');
    this.sendAck();
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.resolve();
    this.pump();
  }

  // -------------------------------------------------------------------------
  // Receiving

  private onTcpDatagram(datagram: Buffer): void {
    if (this.finished) return;
    // Cheap filter first: the socket sees every TCP segment entering the host.
    const ihl = (datagram[0] & 0x0f) * 4;
    if (datagram.length < ihl + 20 || datagram[9] !== IpProtocol.TCP) return;
    if (
      ((datagram[ihl] << 8) | datagram[ihl + 1]) !== this.endpoints.destinationPort ||
      ((datagram[ihl + 2] << 8) | datagram[ihl + 3]) !== this.endpoints.sourcePort
    ) {
      return;
    }
    const ip = parseIpv4(datagram);
    if (!ip.ok || ip.value.source !== this.endpoints.destination || ip.value.destination !== this.endpoints.source) return;
    const bytes = ip.value.payload;
    const parsed = parseTcp(bytes);
    if (!parsed.ok) return;
    const tcp = parsed.value;
    const timeMs = nowMs();
    this.stats.segmentsReceived++;
    const checksum = tcpChecksumStatus(bytes, tcpIpv4PseudoSum(this.pseudoDestination, this.pseudoSource, bytes.length));
    const report = (verdict: ReceiveVerdict) => {
      if (!this.emitEvent) return;
      this.emitEvent({
        type: 'received',
        timeMs,
        verdict,
        checksum,
        segment: {
          source: ip.value.source,
          sourcePort: tcp.sourcePort,
          destination: ip.value.destination,
          destinationPort: tcp.destinationPort,
          flags: tcp.flags,
          sequenceNumber: tcp.sequenceNumber,
          acknowledgmentNumber: tcp.acknowledgmentNumber,
          window: tcp.window,
          options: tcp.options.map(copyTcpOption),
          payloadLength: tcp.payload.length,
          ttl: ip.value.ttl,
        },
      });
    };
    if (checksum === 'bad') {
      this.stats.badChecksums++;
      report('bad-checksum');
      return;
    }
    this.armIdle();
    const flags = tcp.flags;

    if (this.state === 'SYN-SENT') {
      const ackOk = (flags & TcpFlag.ACK) !== 0 && tcp.acknowledgmentNumber === seqAdd(this.iss, 1);
      if (flags & TcpFlag.RST) {
        report(ackOk ? 'accepted' : 'unexpected');
        if (ackOk) this.fail('refused', `connection refused: ${this.endpoints.destination} port ${this.endpoints.destinationPort} answered the SYN with a RST`);
        return;
      }
      if (flags & TcpFlag.SYN && ackOk) {
        report('accepted');
        this.onSynAck(tcp);
        return;
      }
      report('unexpected');
      return;
    }

    const rcv = this.reassembler!;
    if (flags & TcpFlag.RST) {
      // RFC 5961 would answer an in-window RST that is not exactly RCV.NXT
      // with a challenge ACK; a lab client just accepts any in-window RST.
      const offset = seqDiff(tcp.sequenceNumber, rcv.nextSeq);
      if (offset >= -1 && offset < Math.max(this.currentReceiveWindow(), 1)) {
        report('accepted');
        const early = !this.peerAckedAnything && this.stats.bytesReceived === 0;
        this.finishReset(early);
      } else {
        report('out-of-window');
      }
      return;
    }
    if (flags & TcpFlag.SYN) {
      // Our ACK of the SYN-ACK was lost and the peer sent it again: ACK again.
      report(tcp.sequenceNumber === this.irs ? 'duplicate' : 'unexpected');
      if (tcp.sequenceNumber === this.irs) {
        this.stats.duplicates++;
        this.sendAck();
      }
      return;
    }
    if (!(flags & TcpFlag.ACK)) {
      report('unexpected');
      return;
    }

    // Timestamps: remember the peer's value for our echo (RFC 7323 4.3).
    if (this.useTimestamps) {
      for (const option of tcp.options) {
        if (option.kind === 'timestamps' && seqLe(tcp.sequenceNumber, rcv.nextSeq) && seqGe(option.value, this.tsRecent)) {
          this.tsRecent = option.value;
        }
      }
    }

    if (seqGt(tcp.acknowledgmentNumber, this.sndMax)) {
      // Acknowledges something never sent: drop it and send an ACK (RFC 9293 3.10.7.4).
      report('unexpected');
      this.sendAck();
      return;
    }
    const hasData = tcp.payload.length > 0 || (flags & TcpFlag.FIN) !== 0;
    if (!hasData) {
      report('accepted');
      this.processAck(tcp.acknowledgmentNumber, tcp.window, tcp.sequenceNumber, true);
      return;
    }
    // The text is queued before the ACK is processed, only so the trace shows
    // the segment before what it makes us send.
    const result = rcv.push(tcp.sequenceNumber, tcp.payload, (flags & TcpFlag.FIN) !== 0);
    report(result.kind === 'in-order' ? 'accepted' : result.kind);
    this.processAck(tcp.acknowledgmentNumber, tcp.window, tcp.sequenceNumber, false);
    if (this.finished) return;
    if (result.kind === 'out-of-order') this.stats.outOfOrder++;
    if (result.kind === 'duplicate') this.stats.duplicates++;
    // The FIN is in sequence space after the data, but the state moves first:
    // what the application sends in answer to the last data (our FIN) then
    // goes out from CLOSE-WAIT, as the peer's FIN was already received.
    if (result.finReached) this.onPeerFin();
    for (const chunk of result.delivered) {
      this.stats.bytesReceived += chunk.length;
      this.onData(chunk);
      if (this.finished) return;
    }
    if (result.finReached) this.onPeerEnd();
    if (this.finished) return;
    if (result.kind !== 'in-order') {
      // Out of order or duplicate: a duplicate ACK at once (RFC 5681 4.2), with SACK blocks.
      this.sendAck();
    } else if (result.finReached) {
      // The FIN is acknowledged at once, unless what onPeerFin sent (our FIN) already did.
      if (this.lastAckSent !== rcv.nextSeq) this.sendAck();
    } else {
      this.scheduleAck();
    }
  }

  private onPeerFin(): void {
    switch (this.state) {
      case 'ESTABLISHED':
        this.setState('CLOSE-WAIT');
        break;
      case 'FIN-WAIT-1':
        this.setState(this.finAcked ? 'TIME-WAIT' : 'CLOSING');
        break;
      case 'FIN-WAIT-2':
        this.setState('TIME-WAIT');
        break;
      default:
        break;
    }
    if (this.state === 'TIME-WAIT') this.enterTimeWait();
  }

  private processAck(ack: number, window: number, seq: number, pureAck: boolean): void {
    const scaledWindow = window * 2 ** this.sndShift;
    if (seqGt(ack, this.sndUna)) {
      this.peerAckedAnything = true;
      let acked = seqDiff(ack, this.sndUna);
      // The FIN takes a sequence number but no byte of the queue.
      const dataAcked = Math.min(acked, this.queue.length);
      this.queue.drop(dataAcked);
      this.stats.bytesSent += dataAcked;
      if (this.finSent && ack === seqAdd(this.finSeq, 1)) this.finAcked = true;
      this.sndUna = ack;
      if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
      if (this.timing && seqGe(ack, this.timing.end)) {
        this.sampleRtt(performance.now() - this.timing.sentAt);
        this.timing = undefined;
      }
      // Congestion window (RFC 5681 3.1), counting bytes.
      acked = dataAcked;
      if (this.cwnd < this.ssthresh) this.cwnd += Math.min(acked, this.sendMss);
      else this.cwnd += Math.max(1, Math.floor((this.sendMss * this.sendMss) / this.cwnd));
      this.dupAcks = 0;
      this.retries = 0;
      if (this.bytesInFlight() > 0) this.armRetransmit(true);
      else this.clearRetransmit();
    } else if (ack === this.sndUna && pureAck && this.bytesInFlight() > 0 && scaledWindow === this.sndWnd) {
      this.dupAcks++;
      if (this.dupAcks === 3) this.fastRetransmit();
    }
    // Window update (RFC 9293 3.10.7.4: SND.WL1 / SND.WL2).
    if (seqLt(this.sndWl1, seq) || (this.sndWl1 === seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = scaledWindow;
      this.sndWl1 = seq;
      this.sndWl2 = ack;
    }
    if (this.finAcked) {
      if (this.state === 'FIN-WAIT-1') this.setState('FIN-WAIT-2');
      else if (this.state === 'CLOSING') {
        this.setState('TIME-WAIT');
        this.enterTimeWait();
      } else if (this.state === 'LAST-ACK') {
        this.setState('CLOSED');
        this.finish('closed', undefined, false);
        return;
      }
    }
    this.pump();
  }

  private onIcmpDatagram(datagram: Buffer, from: string): void {
    if (this.finished) return;
    const ip = parseIpv4(datagram);
    if (!ip.ok || ip.value.protocol !== IpProtocol.ICMP) return;
    const icmp = parseIcmp(ip.value.payload);
    if (!icmp.ok || !('quoted' in icmp.value) || !icmp.value.quoted.ok) return;
    const quote = icmp.value.quoted.value;
    const transport = quote.transport;
    if (
      quote.ip.destination !== this.endpoints.destination ||
      transport?.protocol !== 'tcp' ||
      transport.sourcePort !== this.endpoints.sourcePort ||
      transport.destinationPort !== this.endpoints.destinationPort
    ) {
      return;
    }
    const message = icmp.value;
    this.icmpSeen = { from, type: message.type, code: message.code };
    this.emitEvent?.({ type: 'icmp', timeMs: nowMs(), from, icmpType: message.type, icmpCode: message.code });
    // A hard error while connecting ends the attempt (RFC 1122 4.2.3.9);
    // later ones are soft: retransmission goes on.
    if (this.state === 'SYN-SENT' && message.type === IcmpType.DestinationUnreachable && HARD_UNREACHABLE.has(message.code)) {
      this.fail('unreachable', `${describeUnreachable(message.code)} (ICMP from ${from})`);
    }
  }

  // -------------------------------------------------------------------------
  // Sending

  private tsNow(): number {
    return (this.tsOffset + Math.floor(performance.now())) >>> 0;
  }

  /** What we let the peer send beyond RCV.NXT: the configured window, as far as the agreed scale can say it. */
  private currentReceiveWindow(): number {
    return Math.min(this.receiveWindow, 0xffff * 2 ** this.rcvShift);
  }

  private advertisedWindow(syn: boolean): number {
    if (syn) return Math.min(0xffff, this.receiveWindow);
    return Math.min(0xffff, Math.floor(this.currentReceiveWindow() / 2 ** this.rcvShift));
  }

  private segmentOptions(): TcpOption[] {
    const options: TcpOption[] = [];
    if (this.useTimestamps) {
      options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', value: this.tsNow(), echoReply: this.tsRecent });
    }
    if (this.useSack && this.reassembler) {
      const blocks = this.reassembler.sackBlocks(this.useTimestamps ? 3 : 4);
      if (blocks.length > 0) options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks });
    }
    return options;
  }

  private sendSegment(
    flags: number,
    seq: number,
    payload: Uint8Array | undefined,
    retransmission: boolean,
    options: TcpOption[] = this.segmentOptions(),
  ): boolean {
    const syn = (flags & TcpFlag.SYN) !== 0;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    const ack = hasAck && this.reassembler ? this.reassembler.nextSeq : 0;
    const length = emitTcpInto(
      this.segmentBuffer,
      0,
      {
        sourcePort: this.endpoints.sourcePort,
        destinationPort: this.endpoints.destinationPort,
        sequenceNumber: seq >>> 0,
        acknowledgmentNumber: ack,
        flags,
        window: flags & TcpFlag.RST ? 0 : this.advertisedWindow(syn),
        options,
        payload,
      },
      { source: this.pseudoSource, destination: this.pseudoDestination },
    );
    try {
      this.sender.send(this.segmentBuffer.subarray(0, length));
    } catch (error) {
      if (error instanceof SendError && error.wouldBlock) {
        // The socket buffer is full: the RTO sends it again.
        this.emitEvent?.({ type: 'note', timeMs: nowMs(), message: `sendto: ${error.message} (will retransmit)` });
        this.armRetransmit();
        return false;
      }
      this.fail('error', (error as Error).message);
      return false;
    }
    this.stats.segmentsSent++;
    if (retransmission) this.stats.retransmissions++;
    if (hasAck) {
      this.ackNeeded = false;
      this.lastAckSent = ack;
    }
    this.emitEvent?.({
      type: 'sent',
      timeMs: nowMs(),
      retransmission,
      segment: {
        source: this.endpoints.source,
        sourcePort: this.endpoints.sourcePort,
        destination: this.endpoints.destination,
        destinationPort: this.endpoints.destinationPort,
        flags,
        sequenceNumber: seq >>> 0,
        acknowledgmentNumber: ack,
        window: flags & TcpFlag.RST ? 0 : this.advertisedWindow(syn),
        options: options.map(copyTcpOption),
        payloadLength: payload?.length ?? 0,
      },
    });
    return true;
  }

  private sendAck(): void {
    if (this.finished || !this.reassembler) return;
    this.sendSegment(TcpFlag.ACK, this.sndNxt, undefined, false);
  }

  /** ACKs in-order data once per burst: after the socket has been drained. */
  private scheduleAck(): void {
    this.ackNeeded = true;
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      if (this.ackNeeded && !this.finished) this.sendAck();
    });
  }

  /** Where our FIN goes: right after the last byte written. */
  private finSequence(): number {
    return seqAdd(this.sndUna, this.queue.length);
  }

  private bytesInFlight(): number {
    return seqDiff(this.sndNxt, this.sndUna);
  }

  /** Sends what the windows allow: data, then our FIN once everything before it is sent. */
  private pump(probe = false): void {
    if (this.finished) return;
    if (!['ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-1', 'CLOSING', 'LAST-ACK'].includes(this.state)) return;
    for (;;) {
      const inFlight = this.bytesInFlight();
      const sentOffset = seqDiff(this.sndNxt, this.sndUna);
      const unsent = this.queue.length - sentOffset;
      if (unsent > 0) {
        const window = Math.min(this.cwnd, this.sndWnd);
        let room = window - inFlight;
        if (room <= 0) {
          if (!probe) {
            // Zero window: the retransmission timer sends probes (RFC 9293 3.8.6.1).
            if (this.sndWnd === 0 && inFlight === 0) this.armRetransmit();
            return;
          }
          room = 1;
        }
        const length = Math.min(this.sendMss, unsent, room);
        // Sender-side silly-window avoidance: wait for room for a full segment.
        if (!probe && length < this.sendMss && length < unsent && inFlight > 0) return;
        const retransmission = seqLt(this.sndNxt, this.sndMax);
        const payload = this.queue.read(sentOffset, length);
        const flags = TcpFlag.ACK | (length === unsent ? TcpFlag.PSH : 0);
        const seq = this.sndNxt;
        if (!this.sendSegment(flags, seq, payload, retransmission)) return;
        this.sndNxt = seqAdd(seq, length);
        if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        if (!retransmission && !this.timing) this.timing = { end: this.sndNxt, sentAt: performance.now() };
        this.armRetransmit();
        if (probe) return;
        continue;
      }
      if (this.finQueued && !this.finAcked && this.sndNxt === this.finSequence()) {
        const retransmission = this.finSent;
        if (this.state === 'ESTABLISHED') this.setState('FIN-WAIT-1');
        else if (this.state === 'CLOSE-WAIT') this.setState('LAST-ACK');
        if (!this.sendSegment(TcpFlag.FIN | TcpFlag.ACK, this.sndNxt, undefined, retransmission)) return;
        this.finSent = true;
        this.finSeq = this.sndNxt;
        this.sndNxt = seqAdd(this.sndNxt, 1);
        if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        this.armRetransmit();
      }
      return;
    }
  }

  private fastRetransmit(): void {
    this.stats.fastRetransmits++;
    const flight = this.bytesInFlight();
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.sendMss);
    this.cwnd = this.ssthresh;
    this.timing = undefined;
    this.retransmitFirst();
  }

  /** Sends the first unacknowledged segment again (data or FIN). */
  private retransmitFirst(): void {
    const unacked = Math.min(this.queue.length, this.sendMss);
    if (unacked > 0) {
      this.sendSegment(TcpFlag.ACK | (unacked === this.queue.length ? TcpFlag.PSH : 0), this.sndUna, this.queue.read(0, unacked), true);
    } else if (this.finSent && !this.finAcked) {
      this.sendSegment(TcpFlag.FIN | TcpFlag.ACK, this.finSeq, undefined, true);
    }
    this.armRetransmit(true);
  }

  // -------------------------------------------------------------------------
  // Timers

  private sampleRtt(sample: number): void {
    // RFC 6298 2.2-2.3.
    if (this.srtt === undefined) {
      this.srtt = sample;
      this.rttvar = sample / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - sample);
      this.srtt = 0.875 * this.srtt + 0.125 * sample;
    }
    this.stats.srttMs = this.srtt;
    const minRto = this.options.minRtoMs ?? DEFAULTS.minRtoMs;
    const maxRto = this.options.maxRtoMs ?? DEFAULTS.maxRtoMs;
    this.rto = Math.min(maxRto, Math.max(minRto, this.srtt + Math.max(1, 4 * this.rttvar)));
  }

  private armRetransmit(restart = false): void {
    if (this.finished) return;
    if (this.retransmitTimer && !restart) return;
    clearTimeout(this.retransmitTimer);
    this.retransmitTimer = setTimeout(() => this.onRetransmitTimeout(), this.rto);
  }

  private clearRetransmit(): void {
    clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
  }

  private onRetransmitTimeout(): void {
    this.retransmitTimer = undefined;
    if (this.finished) return;
    const maxRto = this.options.maxRtoMs ?? DEFAULTS.maxRtoMs;
    if (this.state === 'SYN-SENT') {
      const limit = this.options.synRetries ?? DEFAULTS.synRetries;
      if (this.synAttempts > limit) {
        this.fail(
          this.icmpSeen ? 'unreachable' : 'timeout',
          this.icmpSeen
            ? `no SYN-ACK; last ICMP: type ${this.icmpSeen.type} code ${this.icmpSeen.code} from ${this.icmpSeen.from}`
            : `no answer to ${this.synAttempts} SYNs (is port ${this.endpoints.destinationPort} filtered?)`,
        );
        return;
      }
      this.rto = Math.min(maxRto, this.rto * 2);
      this.stats.timeouts++;
      this.emitEvent?.({ type: 'timeout', timeMs: nowMs(), what: 'syn', attempt: this.synAttempts, rtoMs: this.rto });
      this.timing = undefined;
      this.sendSyn(true);
      return;
    }
    const inFlight = this.bytesInFlight();
    const zeroWindowProbe = inFlight === 0 && this.sndWnd === 0 && this.queue.length > 0;
    if (inFlight === 0 && !zeroWindowProbe) {
      // Nothing in flight: a send that failed earlier (full socket buffer) goes now.
      this.pump();
      return;
    }
    this.retries++;
    this.stats.timeouts++;
    if (this.retries > (this.options.maxRetries ?? DEFAULTS.maxRetries)) {
      this.abort('timeout', `gave up after ${this.retries - 1} retransmissions: the peer stopped acknowledging`);
      return;
    }
    this.rto = Math.min(maxRto, this.rto * 2);
    const what = zeroWindowProbe ? 'window-probe' : this.queue.length > 0 ? 'data' : 'fin';
    this.emitEvent?.({ type: 'timeout', timeMs: nowMs(), what, attempt: this.retries, rtoMs: this.rto });
    this.timing = undefined;
    if (zeroWindowProbe) {
      this.pump(true);
      this.armRetransmit();
      return;
    }
    // RFC 5681 3.1 eq. 4, then go back: resend from SND.UNA as ACKs return.
    this.ssthresh = Math.max(Math.floor(inFlight / 2), 2 * this.sendMss);
    this.cwnd = this.sendMss;
    this.sndNxt = this.sndUna;
    this.pump();
    if (this.bytesInFlight() === 0 && this.finSent && !this.finAcked) this.retransmitFirst();
    this.armRetransmit(true);
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.finished) return;
    const idle = this.options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
    this.idleTimer = setTimeout(() => {
      if (this.state === 'TIME-WAIT') return;
      this.abort('timeout', `nothing received from the peer for ${idle / 1000} s`);
    }, idle);
  }

  private enterTimeWait(): void {
    this.clearRetransmit();
    clearTimeout(this.timeWaitTimer);
    // A retransmitted FIN in this time is ACKed again (the duplicate path above).
    this.timeWaitTimer = setTimeout(() => {
      this.setState('CLOSED');
      this.finish('closed', undefined, false);
    }, this.options.timeWaitMs ?? DEFAULTS.timeWaitMs);
  }

  // -------------------------------------------------------------------------
  // The end

  private setState(to: TcpState): void {
    if (this.state === to) return;
    const from = this.state;
    this.state = to;
    this.emitEvent?.({ type: 'state', timeMs: nowMs(), from, to });
  }

  private finishReset(early: boolean): void {
    const message = early
      ? `connection reset by ${this.endpoints.destination}:${this.endpoints.destinationPort} right after the handshake`
      : `connection reset by ${this.endpoints.destination}:${this.endpoints.destinationPort}`;
    this.finish('reset', message, early);
  }

  private fail(reason: TcpCloseReason, message: string): void {
    this.finish(reason, message, false);
  }

  private finish(reason: TcpCloseReason, message: string | undefined, resetAfterHandshake: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.clearRetransmit();
    clearTimeout(this.idleTimer);
    clearTimeout(this.timeWaitTimer);
    this.options.signal?.removeEventListener('abort', this.abortListener);
    const finalState = this.state;
    if (reason !== 'closed') this.setState('CLOSED');
    this.tcpSocket.close();
    this.icmpSocket?.close();
    const result: TcpSessionResult = {
      reason,
      message,
      resetAfterHandshake,
      icmp: this.icmpSeen,
      stats: { ...this.stats },
      finalState,
    };
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.reject(new TcpConnectError(result));
    this.resolveClosed(result);
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
