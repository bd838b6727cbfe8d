// One TCP connection's state machine (RFC 9293), free of I/O: no sockets,
// no timers, no clock. The driver hands it each segment with the time it
// arrived (`process`), asks what to send (`dispatch`), and calls `dispatch`
// again no later than `pollAt()` - the smoltcp socket/tcp.rs shape.
//
// An active opener only (a client): CLOSED -> SYN-SENT, then the three-way
// handshake or a simultaneous open through SYN-RECEIVED; both close orders
// and simultaneous close; RST in every state.
//
// Sending: at most the peer's MSS per segment and never past the peer's
// window (SND.UNA + SND.WND); Reno congestion control (congestion.ts) with
// fast retransmit on three duplicate ACKs and SACK-based recovery (RFC 6675
// in a simple form: SACKed data is never retransmitted, holes below the
// highest SACK are); RTO per RFC 6298 with Karn's rule (rtt-estimator.ts);
// a persist timer that probes a zero window with backoff and gives up only
// when probes go unanswered (RFC 9293 3.8.6.1).
//
// Receiving: segments are put back in order (reassembler.ts); in-order data
// waits in the receive buffer until the application reads it, and the window
// we advertise is the room left there (receive-window.ts): a slow reader
// shrinks it to zero, and reading sends a window update.
import { TcpFlag, tcpSynOptions, type TcpOption, type TcpSackBlock, type TcpSegment, type TcpSegmentInit } from '../../wire/tcp.ts';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, type SeqNumber } from '../../wire/tcp-sequence.ts';
import { RenoCongestion } from './congestion.ts';
import { Reassembler } from './reassembler.ts';
import { ReceiveWindow } from './receive-window.ts';
import { RttEstimator } from './rtt-estimator.ts';
import { SackScoreboard } from './sack-scoreboard.ts';
import { SendQueue } from './send-queue.ts';

export type TcpState =
  | 'CLOSED'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSING'
  | 'TIME-WAIT'
  | 'CLOSE-WAIT'
  | 'LAST-ACK';

export type ReceiveVerdict = 'accepted' | 'out-of-order' | 'duplicate' | 'out-of-window' | 'bad-checksum' | 'unexpected';

export type TcpCloseReason = 'closed' | 'reset' | 'refused' | 'unreachable' | 'timeout' | 'aborted' | 'error';

/** What the connection reports besides segments; `timeMs` is the `now` it was given. */
export type TcpConnectionEvent =
  | { readonly type: 'state'; readonly timeMs: number; readonly from: TcpState; readonly to: TcpState }
  | {
      readonly type: 'timeout';
      readonly timeMs: number;
      readonly what: 'syn' | 'data' | 'fin' | 'window-probe';
      readonly attempt: number;
      /** The RTO (or probe interval) after backoff, for the next attempt. */
      readonly rtoMs: number;
    }
  | { readonly type: 'note'; readonly timeMs: number; readonly message: string };

export interface TcpConnectionStats {
  segmentsSent: number;
  segmentsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  retransmissions: number;
  timeouts: number;
  fastRetransmits: number;
  outOfOrder: number;
  duplicates: number;
  /** Counted by the driver, which checks checksums before the connection sees a segment. */
  badChecksums: number;
  /** Zero-window probes sent (persist timer). */
  windowProbes: number;
  /** Window updates sent because the application read data. */
  windowUpdates: number;
  /** Path MTU reports (Packet Too Big, fragmentation needed) that made the segments smaller. */
  pathMtuReductions: number;
  /** The most data held unread at once (the receive buffer's high-water mark). */
  peakUnreadBytes: number;
  /** The smallest window we advertised after the handshake. */
  minAdvertisedWindow?: number;
  /** Smoothed RTT (RFC 6298) at the end, ms. */
  srttMs?: number;
}

export interface TcpConnectionConfig {
  readonly localPort: number;
  readonly remotePort: number;
  /** Our initial sequence number. */
  readonly iss: SeqNumber;
  /** MSS we advertise; also caps what we send. */
  readonly mss: number;
  /** Our window-scale shift; undefined offers no window scaling. */
  readonly windowScale?: number;
  readonly timestamps: boolean;
  readonly sack: boolean;
  /** Bytes of unread data we are willing to hold: the largest window we advertise. */
  readonly receiveBuffer: number;
  readonly initialRtoMs: number;
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
  /** SYN retransmissions before giving up. */
  readonly synRetries: number;
  /** Retransmissions of one segment, or unanswered window probes, before giving up. */
  readonly maxRetries: number;
  /** Give up when nothing arrives for this long while we wait for the peer. */
  readonly idleTimeoutMs: number;
  readonly timeWaitMs: number;
  /** Added to the clock for our timestamp values (RFC 7323 5.4: a random offset per connection). */
  readonly timestampOffset?: number;
  readonly onEvent?: (event: TcpConnectionEvent) => void;
}

/** One segment to send: the fields for buildTcp/emitTcpInto, and whether it repeats earlier data. */
export interface OutgoingSegment {
  readonly segment: TcpSegmentInit & {
    readonly sequenceNumber: number;
    readonly acknowledgmentNumber: number;
    readonly flags: number;
    readonly window: number;
    readonly options: readonly TcpOption[];
  };
  readonly retransmission: boolean;
}

export interface TcpCloseInfo {
  readonly reason: TcpCloseReason;
  /** One line for the user when the reason is not 'closed' (the driver adds addresses for reset/refused). */
  readonly detail?: string;
  /** The peer reset the connection after the handshake before acknowledging or sending anything. */
  readonly resetAfterHandshake: boolean;
  /** The state when it ended (CLOSED after an orderly close). */
  readonly finalState: TcpState;
}

export interface PeerOptions {
  readonly mss?: number;
  readonly windowScale?: number;
  readonly sackPermitted: boolean;
  readonly timestamps: boolean;
}

/** Bytes the timestamps option takes in every segment once agreed (10, padded to 12). */
const TIMESTAMP_OPTION_SPACE = 12;
const TCP_HEADER_BYTES = 20;
/** The smallest MSS a path MTU report can bring us to (Linux's tcp_min_snd_mss default). */
const MIN_PATH_MSS = 48;
/** Duplicate ACKs that mean a segment was lost (RFC 5681 DupThresh). */
const DUP_THRESHOLD = 3;
/** More duplicate ACKs than this in one dispatch are not useful to the peer. */
const MAX_DUP_ACKS_PER_DISPATCH = 8;
/** Segments one dispatch may emit: a bound on the loop, far above any window we allow. */
const MAX_SEGMENTS_PER_DISPATCH = 4096;
const MAX_WINDOW_FIELD = 0xffff;

/** States in which data may be sent (and our FIN, once it is queued). */
const SENDING_STATES: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-1', 'CLOSING', 'LAST-ACK']);
/** States in which our FIN is queued or sent but not yet acknowledged. */
const FIN_PENDING_STATES: ReadonlySet<TcpState> = new Set(['FIN-WAIT-1', 'CLOSING', 'LAST-ACK']);
/** States after the peer's FIN. */
const PEER_FIN_STATES: ReadonlySet<TcpState> = new Set(['CLOSE-WAIT', 'LAST-ACK', 'CLOSING', 'TIME-WAIT']);

interface Recovery {
  /** RFC 6582 "recover": SND.MAX when recovery began; an ACK past it ends recovery. */
  readonly point: SeqNumber;
  /** The next retransmission goes whatever pipe says (RFC 6675 5 step 4.3; RFC 6582 3.2 step 5). */
  force: boolean;
  /** RFC 6675 HighRxt: retransmission goes on from here. */
  next: SeqNumber;
  /** Holes below this are taken as lost: the highest SACKed byte, or the first unacknowledged segment. */
  limit: SeqNumber;
}

export class TcpConnection {
  private currentState: TcpState = 'CLOSED';
  private closeInfo: TcpCloseInfo | undefined;
  private readonly config: TcpConnectionConfig;
  private readonly stat: TcpConnectionStats = {
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
    windowProbes: 0,
    windowUpdates: 0,
    pathMtuReductions: 0,
    peakUnreadBytes: 0,
  };

  // Send side (RFC 9293 names).
  private sndUna: SeqNumber;
  private sndNxt: SeqNumber;
  /** The highest sequence number sent so far (SND.NXT goes back below it after an RTO). */
  private sndMax: SeqNumber;
  private sndWnd = 0;
  private maxSndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndShift = 0;
  private sendMss = 536;
  private readonly queue = new SendQueue();
  private readonly rtt: RttEstimator;
  private congestion: RenoCongestion;
  private readonly scoreboard = new SackScoreboard();
  private recovery: Recovery | undefined;
  /** RFC 6582: no new recovery until the ACK passes what was outstanding at the last loss. */
  private recoverFloor: SeqNumber;
  private dupAcks = 0;
  private retries = 0;
  private synAttempts = 0;
  private retransmitAt: number | undefined;
  private persistAt: number | undefined;
  private probesSent = 0;
  private probesUnanswered = 0;
  /** SYN / SYN-ACK due (first send or retransmission). */
  private synDue = false;
  private synRetransmission = false;

  // Receive side.
  private irsValue = 0;
  private reassembler: Reassembler | undefined;
  private rcvShift: number;
  private readonly receiveWindow: ReceiveWindow;
  private ackDue = false;
  private dupAcksDue = 0;
  private tsRecent = 0;
  private useTimestamps = false;
  private useSack = false;
  private peerOptions: PeerOptions = { sackPermitted: false, timestamps: false };

  // Lifetime.
  private lastHeardAt = 0;
  /** The application read everything: the idle time counts again from the next dispatch. */
  private idleRestartDue = false;
  private timeWaitAt: number | undefined;
  private peerAckedAnything = false;
  private lastIcmp: { from: string; type: number; code: number } | undefined;
  /** Segments queued outside dispatch (the RST of an abort). */
  private readonly pending: OutgoingSegment[] = [];

  constructor(config: TcpConnectionConfig) {
    this.config = config;
    const iss = config.iss >>> 0;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.recoverFloor = iss;
    this.rtt = new RttEstimator(config);
    this.rcvShift = config.windowScale ?? 0;
    this.receiveWindow = new ReceiveWindow(config.receiveBuffer, config.mss);
    this.congestion = new RenoCongestion(this.sendMss);
  }

  // -------------------------------------------------------------------------
  // What the driver and tests may look at (read-only)

  get state(): TcpState {
    return this.currentState;
  }
  /** Why the connection is over; undefined while it is not. */
  get closed(): TcpCloseInfo | undefined {
    return this.closeInfo;
  }
  get iss(): SeqNumber {
    return this.config.iss >>> 0;
  }
  get irs(): SeqNumber {
    return this.irsValue;
  }
  get peer(): PeerOptions {
    return this.peerOptions;
  }
  get stats(): Readonly<TcpConnectionStats> {
    return {
      ...this.stat,
      peakUnreadBytes: this.receiveWindow.peakReadable,
      minAdvertisedWindow: this.receiveWindow.smallestAdvertised,
      srttMs: this.rtt.srttMs,
    };
  }
  get sendUnacknowledged(): SeqNumber {
    return this.sndUna;
  }
  get sendNext(): SeqNumber {
    return this.sndNxt;
  }
  /** The peer's window in bytes (scaled). */
  get sendWindow(): number {
    return this.sndWnd;
  }
  get congestionWindow(): number {
    return this.congestion.cwnd;
  }
  get slowStartThreshold(): number {
    return this.congestion.ssthresh;
  }
  get rtoMs(): number {
    return this.rtt.rtoMs;
  }
  get srttMs(): number | undefined {
    return this.rtt.srttMs;
  }
  get effectiveMss(): number {
    return this.sendMss;
  }
  get inRecovery(): boolean {
    return this.recovery !== undefined;
  }
  /** RCV.NXT, once synchronized. */
  get receiveNext(): SeqNumber | undefined {
    return this.reassembler?.nextSeq;
  }
  /** Bytes written and not yet acknowledged. */
  get unacknowledged(): number {
    return this.queue.length;
  }
  /** In-order data from the peer that the application has not read. */
  get readableBytes(): number {
    return this.receiveWindow.readable;
  }
  /** The window (bytes) in the last segment we sent. */
  get advertisedWindow(): number {
    return this.receiveWindow.lastAdvertised;
  }
  /** The peer's FIN is in order: no more data will come. */
  get peerFinished(): boolean {
    return this.reassembler?.finReceived ?? false;
  }
  /** Bytes the peer SACKed beyond SND.UNA, as ranges (for tests). */
  sackedRanges(): TcpSackBlock[] {
    return this.scoreboard.blocks();
  }
  /** Whether dispatch() has something to send right now (an ACK, data the windows allow, a SYN). */
  get wantsToSend(): boolean {
    return this.pending.length > 0 || this.ackDue || this.dupAcksDue > 0 || this.synDue || this.windowUpdateDue();
  }

  // -------------------------------------------------------------------------
  // Application calls

  /** Active open: the SYN goes out on the next dispatch. */
  connect(now: number): void {
    if (this.currentState !== 'CLOSED' || this.closeInfo) throw new Error('connect() on a used connection');
    this.lastHeardAt = now;
    this.setState(now, 'SYN-SENT');
    this.synDue = true;
  }

  /** Queues data; it goes out as the windows allow. Returns false when the connection can no longer send. */
  send(data: Uint8Array): boolean {
    if (this.closeInfo) return false;
    if (FIN_PENDING_STATES.has(this.currentState) || this.currentState === 'FIN-WAIT-2' || this.currentState === 'TIME-WAIT') {
      throw new Error('send after close()');
    }
    this.queue.push(data);
    return true;
  }

  /** Our FIN after the data written so far (RFC 9293 3.10.4 CLOSE). */
  close(now: number): void {
    switch (this.currentState) {
      case 'SYN-SENT':
        this.finish(now, 'closed', undefined);
        return;
      case 'SYN-RECEIVED':
        // Our SYN is not acknowledged yet, so there is no place for a FIN: reset instead.
        this.abort(now, 'aborted', 'closed before the connection was established');
        return;
      case 'ESTABLISHED':
        this.setState(now, 'FIN-WAIT-1');
        return;
      case 'CLOSE-WAIT':
        this.setState(now, 'LAST-ACK');
        return;
      default:
        return;
    }
  }

  /** Sends a RST (on the next dispatch) and ends the connection now. */
  abort(now: number, reason: TcpCloseReason = 'aborted', detail?: string): void {
    if (this.closeInfo) return;
    const state = this.currentState;
    if (state === 'SYN-SENT') this.queueRst(TcpFlag.RST, this.sndNxt, 0);
    else if (state !== 'CLOSED' && state !== 'TIME-WAIT') this.queueRst(TcpFlag.RST | TcpFlag.ACK, this.sndNxt, this.reassembler?.nextSeq ?? 0);
    this.finish(now, reason, detail ?? (reason === 'aborted' ? 'aborted: sent RST' : undefined));
  }

  /** Ends the connection without sending anything (the driver is going away; the peer is left to time out). */
  release(now: number, reason: TcpCloseReason = 'closed', detail?: string): void {
    this.finish(now, reason, detail);
  }

  /**
   * Takes in-order data the peer sent, oldest first: at most `max` bytes,
   * or undefined when nothing is waiting. The room it frees opens the
   * receive window again.
   */
  read(max = Number.POSITIVE_INFINITY): Uint8Array | undefined {
    const chunk = this.receiveWindow.read(max);
    if (chunk !== undefined && this.receiveWindow.readable === 0) this.idleRestartDue = true;
    return chunk;
  }

  /** An ICMP error about this connection (the driver matched it). Hard errors end a connection attempt (RFC 1122 4.2.3.9). */
  icmpError(now: number, from: string, type: number, code: number, hard: boolean, description: string): void {
    this.lastIcmp = { from, type, code };
    if (this.currentState === 'SYN-SENT' && hard) this.finish(now, 'unreachable', `${description} (ICMP from ${from})`);
  }

  /**
   * The path takes at most `mtu` bytes per packet (ICMPv6 Packet Too Big,
   * ICMP fragmentation needed), with `ipHeaderLength` bytes of IP header in
   * each. As Linux (tcp_mtu_reduced, tcp_simple_retransmit) and RFC 8201 5.2 /
   * RFC 1191 6.4: the segments shrink to fit, and what is in flight goes again
   * at once at the new size; the loss was no congestion, so the window keeps
   * its size in bytes. Returns false when the segments already fit.
   */
  pathMtuReduced(now: number, mtu: number, ipHeaderLength: number): boolean {
    const optionSpace = this.useTimestamps ? TIMESTAMP_OPTION_SPACE : 0;
    const mss = Math.max(MIN_PATH_MSS, mtu - ipHeaderLength - TCP_HEADER_BYTES - optionSpace);
    if (mss >= this.sendMss || !SENDING_STATES.has(this.currentState)) return false;
    const cwnd = this.congestion.cwnd;
    this.sendMss = mss;
    this.congestion = new RenoCongestion(mss, Math.max(2, Math.ceil(cwnd / mss)));
    this.stat.pathMtuReductions++;
    this.note(now, `path MTU ${mtu}: segments of at most ${mss} bytes from now on`);
    if (this.sndUna !== this.sndMax) {
      this.recovery = undefined;
      this.dupAcks = 0;
      this.sndNxt = this.sndUna;
      this.retransmitAt = now + this.rtt.rtoMs;
    }
    return true;
  }

  // -------------------------------------------------------------------------
  // Incoming segments

  /** Takes one segment from the peer (ports and checksum already checked by the driver). */
  process(now: number, segment: TcpSegment): ReceiveVerdict {
    if (this.closeInfo) return 'unexpected';
    this.stat.segmentsReceived++;
    this.lastHeardAt = now;
    this.probesUnanswered = 0;
    switch (this.currentState) {
      case 'CLOSED':
        return 'unexpected';
      case 'SYN-SENT':
        return this.processInSynSent(now, segment);
      default:
        return this.processSynchronized(now, segment);
    }
  }

  private processInSynSent(now: number, segment: TcpSegment): ReceiveVerdict {
    const flags = segment.flags;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    const ackOk = hasAck && segment.acknowledgmentNumber === seqAdd(this.iss, 1);
    if (hasAck && !ackOk) {
      // RFC 9293 3.10.7.3: an unacceptable ACK gets a RST (unless it is one).
      if (!(flags & TcpFlag.RST)) this.queueRst(TcpFlag.RST, segment.acknowledgmentNumber, 0);
      return 'unexpected';
    }
    if (flags & TcpFlag.RST) {
      if (!ackOk) return 'unexpected';
      this.finish(now, 'refused', undefined);
      return 'accepted';
    }
    if (!(flags & TcpFlag.SYN)) return 'unexpected';
    this.takeSynOptions(segment);
    this.irsValue = segment.sequenceNumber >>> 0;
    this.reassembler = new Reassembler(seqAdd(this.irsValue, 1), this.config.receiveBuffer);
    this.receiveWindow.start(this.reassembler.nextSeq, this.rcvShift);
    this.sndWnd = segment.window; // never scaled in a SYN
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = segment.sequenceNumber;
    this.sndWl2 = segment.acknowledgmentNumber;
    this.retransmitAt = undefined;
    this.retries = 0;
    if (ackOk) {
      this.sndUna = segment.acknowledgmentNumber >>> 0;
      this.rtt.onAck(this.sndUna, now);
      this.synDue = false;
      this.setState(now, 'ESTABLISHED');
      this.ackDue = true;
    } else {
      // Simultaneous open (RFC 9293 3.5, figure 8): answer with SYN-ACK.
      this.rtt.onRetransmit();
      this.setState(now, 'SYN-RECEIVED');
      this.synDue = true;
      this.synRetransmission = false;
    }
    return 'accepted';
  }

  private takeSynOptions(segment: TcpSegment): void {
    let mss: number | undefined;
    let windowScale: number | undefined;
    let sackPermitted = false;
    let timestampValue: number | undefined;
    for (const option of segment.options) {
      if (option.kind === 'mss') mss = option.value;
      else if (option.kind === 'window-scale') windowScale = Math.min(option.shift, 14);
      else if (option.kind === 'sack-permitted') sackPermitted = true;
      else if (option.kind === 'timestamps') timestampValue = option.value;
    }
    this.peerOptions = { mss, windowScale, sackPermitted, timestamps: timestampValue !== undefined };
    // Window scaling applies only when both sides offered it (RFC 7323 2.2).
    const agreed = this.config.windowScale !== undefined && windowScale !== undefined;
    this.sndShift = agreed ? windowScale! : 0;
    if (!agreed) this.rcvShift = 0;
    this.useTimestamps = this.config.timestamps && timestampValue !== undefined;
    if (timestampValue !== undefined) this.tsRecent = timestampValue;
    this.useSack = this.config.sack && sackPermitted;
    this.sendMss = Math.max(64, Math.min(mss ?? 536, this.config.mss) - (this.useTimestamps ? TIMESTAMP_OPTION_SPACE : 0));
    this.congestion = new RenoCongestion(this.sendMss);
  }

  private processSynchronized(now: number, segment: TcpSegment): ReceiveVerdict {
    const rcv = this.reassembler!;
    const flags = segment.flags;
    const seq = segment.sequenceNumber >>> 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const length = segment.payload.length + (fin ? 1 : 0);
    const window = this.receiveWindow.remaining(rcv.nextSeq);

    if (flags & TcpFlag.RST) {
      // RFC 5961 would answer an in-window RST that is not exactly RCV.NXT
      // with a challenge ACK; a lab client accepts any in-window RST.
      const offset = seqDiff(seq, rcv.nextSeq);
      if (offset < -1 || offset >= Math.max(window, 1)) return 'out-of-window';
      this.onReset(now);
      return 'accepted';
    }
    if (flags & TcpFlag.SYN) {
      if (this.currentState === 'SYN-RECEIVED' && seq === this.irsValue && flags & TcpFlag.ACK) {
        // Simultaneous open: the peer's SYN-ACK acknowledges our SYN.
        return this.processSynchronizedAck(now, segment, rcv, seq, fin, window);
      }
      if (this.currentState === 'SYN-RECEIVED' && seq === this.irsValue) {
        // The peer's SYN again: our SYN-ACK was lost.
        this.synDue = true;
        this.synRetransmission = true;
        return 'duplicate';
      }
      // Our ACK of the SYN-ACK was lost and the peer sent it again: ACK again.
      if (seq === this.irsValue) {
        this.stat.duplicates++;
        this.ackDue = true;
        return 'duplicate';
      }
      this.ackDue = true;
      return 'unexpected';
    }

    // RFC 9293 3.10.7.4 first check: is the segment acceptable?
    const acceptable = this.segmentAcceptable(seq, length, window, fin && segment.payload.length === 0, rcv.nextSeq);
    if (!acceptable) {
      // A FIN sent again in TIME-WAIT: our last ACK was lost; the wait starts over (RFC 9293 3.10.7.4).
      if (this.currentState === 'TIME-WAIT' && fin) this.timeWaitAt = now + this.config.timeWaitMs;
      // With our window closed, the peer's data is refused but its ACK and window still count
      // (RFC 9293 3.10.7.4: "special allowance should be made to accept valid ACKs").
      if (window === 0 && flags & TcpFlag.ACK && seqGe(seq, rcv.nextSeq) && !seqGt(segment.acknowledgmentNumber >>> 0, this.sndMax)) {
        this.processAck(now, segment.acknowledgmentNumber >>> 0, segment.window, seq, true, segment.options);
        if (this.closeInfo) return 'out-of-window';
      }
      // Old data (a retransmission we already have), a window probe, or beyond the window: ACK what we have.
      this.dupAcksDue++;
      const behind = seqLe(seqAdd(seq, length), rcv.nextSeq) && length > 0;
      if (behind || (length === 0 && seqLt(seq, rcv.nextSeq))) {
        if (length > 0) this.stat.duplicates++;
        return 'duplicate';
      }
      return 'out-of-window';
    }
    if (!(flags & TcpFlag.ACK)) return 'unexpected';
    return this.processSynchronizedAck(now, segment, rcv, seq, fin, window);
  }

  private processSynchronizedAck(now: number, segment: TcpSegment, rcv: Reassembler, seq: SeqNumber, fin: boolean, window: number): ReceiveVerdict {
    const ack = segment.acknowledgmentNumber >>> 0;
    if (seqGt(ack, this.sndMax)) {
      // Acknowledges something never sent: drop it and send an ACK.
      this.ackDue = true;
      return 'unexpected';
    }
    if (this.currentState === 'SYN-RECEIVED') {
      if (!seqGt(ack, this.sndUna)) {
        this.queueRst(TcpFlag.RST, ack, 0);
        return 'unexpected';
      }
      if (segment.flags & TcpFlag.SYN) this.takeSynOptionsFromSynAck(segment);
      // Our SYN is acknowledged: its sequence number is no byte of the send queue.
      this.sndUna = seqAdd(this.iss, 1);
      this.rtt.onAck(this.sndUna, now);
      this.retransmitAt = undefined;
      this.retries = 0;
      this.synDue = false;
      this.setState(now, 'ESTABLISHED');
    }
    // Timestamps: remember the peer's value for our echo (RFC 7323 4.3).
    if (this.useTimestamps) {
      for (const option of segment.options) {
        if (option.kind === 'timestamps' && seqLe(seq, rcv.nextSeq) && seqGe(option.value, this.tsRecent)) this.tsRecent = option.value;
      }
    }
    const hasText = segment.payload.length > 0 || fin;
    this.processAck(now, ack, segment.window, seq, hasText, segment.options);
    if (this.closeInfo) return 'accepted';

    if (!hasText) return 'accepted';
    if (!this.acceptsText()) {
      // Text after the peer's FIN: ignore it (RFC 9293 3.10.7.4 seventh step).
      return 'duplicate';
    }
    const result = rcv.push(seq, segment.payload, fin, window);
    for (const chunk of result.delivered) {
      this.receiveWindow.push(chunk);
      this.stat.bytesReceived += chunk.length;
    }
    if (result.finReached) this.onPeerFin(now);
    switch (result.kind) {
      case 'in-order':
        this.ackDue = true;
        return 'accepted';
      case 'out-of-order':
        this.stat.outOfOrder++;
        // A duplicate ACK at once (RFC 5681 4.2), with SACK blocks.
        this.dupAcksDue++;
        return 'out-of-order';
      case 'duplicate':
        this.stat.duplicates++;
        this.dupAcksDue++;
        return 'duplicate';
      case 'out-of-window':
        this.dupAcksDue++;
        return 'out-of-window';
    }
  }

  /** The SYN-ACK in a simultaneous open may carry options the bare SYN lacked; take MSS only if we had none. */
  private takeSynOptionsFromSynAck(segment: TcpSegment): void {
    if (this.peerOptions.mss !== undefined) return;
    for (const option of segment.options) {
      if (option.kind === 'mss') {
        this.peerOptions = { ...this.peerOptions, mss: option.value };
        this.sendMss = Math.max(64, Math.min(option.value, this.config.mss) - (this.useTimestamps ? TIMESTAMP_OPTION_SPACE : 0));
        this.congestion = new RenoCongestion(this.sendMss);
      }
    }
  }

  private segmentAcceptable(seq: SeqNumber, length: number, window: number, bareFin: boolean, rcvNxt: SeqNumber): boolean {
    // RFC 9293 3.10.7.4 table; a bare FIN at RCV.NXT is taken into a zero window (see Reassembler.push).
    if (length === 0 || (bareFin && seq === rcvNxt)) {
      if (window === 0) return seq === rcvNxt;
      const offset = seqDiff(seq, rcvNxt);
      return offset >= 0 && offset < window;
    }
    if (window === 0) return false;
    const first = seqDiff(seq, rcvNxt);
    const last = seqDiff(seqAdd(seq, length - 1), rcvNxt);
    return (first >= 0 && first < window) || (last >= 0 && last < window);
  }

  private acceptsText(): boolean {
    return !PEER_FIN_STATES.has(this.currentState);
  }

  private onReset(now: number): void {
    switch (this.currentState) {
      case 'SYN-RECEIVED':
        this.finish(now, 'refused', undefined);
        return;
      case 'CLOSING':
      case 'LAST-ACK':
      case 'TIME-WAIT':
        // Everything was exchanged both ways; only the last ACK is missing.
        this.finish(now, 'closed', undefined);
        return;
      default: {
        const early = !this.peerAckedAnything && this.stat.bytesReceived === 0;
        this.finish(now, 'reset', undefined, early);
      }
    }
  }

  private onPeerFin(now: number): void {
    this.ackDue = true;
    switch (this.currentState) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.setState(now, 'CLOSE-WAIT');
        break;
      case 'FIN-WAIT-1':
        // Our FIN not acknowledged yet (processAck ran first): simultaneous close.
        this.setState(now, 'CLOSING');
        break;
      case 'FIN-WAIT-2':
        this.enterTimeWait(now);
        break;
      default:
        break;
    }
  }

  /** The sequence number of our FIN: right after the last byte written. */
  private finSequence(): SeqNumber {
    return seqAdd(this.sndUna, this.queue.length);
  }

  private processAck(now: number, ack: SeqNumber, windowField: number, seq: SeqNumber, hasText: boolean, options: readonly TcpOption[]): void {
    const scaledWindow = windowField * 2 ** this.sndShift;
    const finPending = FIN_PENDING_STATES.has(this.currentState);
    const finSeq = this.finSequence();
    let newSack = 0;
    if (this.useSack) {
      for (const option of options) if (option.kind === 'sack') newSack += this.scoreboard.add(option.blocks, seqGt(ack, this.sndUna) ? ack : this.sndUna, this.sndMax);
    }
    if (seqGt(ack, this.sndUna)) {
      this.peerAckedAnything = true;
      const acked = seqDiff(ack, this.sndUna);
      // The FIN takes a sequence number but no byte of the queue.
      const dataAcked = Math.min(acked, this.queue.length);
      this.queue.drop(dataAcked);
      this.stat.bytesSent += dataAcked;
      this.sndUna = ack;
      if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
      this.scoreboard.ackTo(ack);
      this.rtt.onAck(ack, now);
      this.dupAcks = 0;
      this.retries = 0;
      if (this.recovery) {
        if (seqGe(ack, this.recovery.point)) {
          this.recovery = undefined;
          this.congestion.onExitRecovery();
        } else {
          // Partial ACK (RFC 6582): the first unacknowledged segment is lost too.
          this.recovery.next = seqMax(this.recovery.next, ack);
          this.recovery.force = true;
          this.recovery.limit = seqMax(this.recovery.limit, seqMax(this.scoreboard.highestSacked ?? ack, seqAdd(ack, 1)));
        }
      } else {
        this.congestion.onAck(dataAcked);
      }
      // RFC 6298 5.2-5.3: restart the timer for what is still outstanding.
      this.retransmitAt = this.sndUna === this.sndMax ? undefined : now + this.rtt.rtoMs;
      if (finPending && seqGe(ack, seqAdd(finSeq, 1))) this.onOurFinAcked(now);
    } else if (ack === this.sndUna && !hasText && this.sndUna !== this.sndMax && (scaledWindow === this.sndWnd || newSack > 0)) {
      // A duplicate ACK (RFC 5681 2, with RFC 6675's SACK variant).
      this.dupAcks++;
      if (this.recovery) {
        if (this.scoreboard.highestSacked !== undefined) this.recovery.limit = seqMax(this.recovery.limit, this.scoreboard.highestSacked);
      } else if (this.dupAcks >= DUP_THRESHOLD && this.sndNxt === this.sndMax && seqGe(this.sndUna, this.recoverFloor)) {
        this.enterRecovery(now);
      }
    }
    // Window update (RFC 9293 3.10.7.4: SND.WL1 / SND.WL2).
    if (seqLt(this.sndWl1, seq) || (this.sndWl1 === seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = scaledWindow;
      if (scaledWindow > this.maxSndWnd) this.maxSndWnd = scaledWindow;
      this.sndWl1 = seq;
      this.sndWl2 = ack;
      if (scaledWindow > 0) {
        this.persistAt = undefined;
        this.probesSent = 0;
      }
    }
  }

  private onOurFinAcked(now: number): void {
    switch (this.currentState) {
      case 'FIN-WAIT-1':
        this.setState(now, 'FIN-WAIT-2');
        break;
      case 'CLOSING':
        this.enterTimeWait(now);
        break;
      case 'LAST-ACK':
        this.setState(now, 'CLOSED');
        this.finish(now, 'closed', undefined);
        break;
      default:
        break;
    }
  }

  private enterRecovery(now: number): void {
    this.stat.fastRetransmits++;
    const flight = seqDiff(this.sndMax, this.sndUna);
    this.congestion.onEnterRecovery(flight);
    this.recoverFloor = this.sndMax;
    this.recovery = {
      point: this.sndMax,
      force: true,
      next: this.sndUna,
      limit: seqMax(this.scoreboard.highestSacked ?? this.sndUna, seqAdd(this.sndUna, 1)),
    };
    this.rtt.onRetransmit();
    this.note(now, `fast retransmit after ${this.dupAcks} duplicate ACKs (cwnd ${this.congestion.cwnd})`);
  }

  private enterTimeWait(now: number): void {
    this.setState(now, 'TIME-WAIT');
    this.retransmitAt = undefined;
    this.persistAt = undefined;
    this.timeWaitAt = now + this.config.timeWaitMs;
  }

  // -------------------------------------------------------------------------
  // Timers and output

  /** The earliest time dispatch() must run again, or undefined when nothing is pending. */
  pollAt(): number | undefined {
    if (this.closeInfo) return this.pending.length > 0 ? Number.NEGATIVE_INFINITY : undefined;
    if (this.wantsToSend) return Number.NEGATIVE_INFINITY;
    let at: number | undefined;
    const consider = (t: number | undefined) => {
      if (t !== undefined && (at === undefined || t < at)) at = t;
    };
    consider(this.retransmitAt);
    consider(this.persistAt);
    consider(this.timeWaitAt);
    consider(this.idleDeadline());
    return at;
  }

  private idleDeadline(): number | undefined {
    // Not while the application is behind: then we are the ones the peer waits for.
    if (this.currentState === 'TIME-WAIT' || this.currentState === 'CLOSED' || this.receiveWindow.readable > 0 || this.idleRestartDue) return undefined;
    return this.lastHeardAt + this.config.idleTimeoutMs;
  }

  /** Runs the timers that are due and returns the segments to send now, in order. */
  dispatch(now: number): OutgoingSegment[] {
    const out = this.collect(now);
    this.stat.segmentsSent += out.length;
    for (const o of out) if (o.retransmission) this.stat.retransmissions++;
    return out;
  }

  private collect(now: number): OutgoingSegment[] {
    const out: OutgoingSegment[] = this.pending.splice(0);
    if (this.closeInfo) return out;
    if (this.idleRestartDue) {
      this.idleRestartDue = false;
      if (now > this.lastHeardAt) this.lastHeardAt = now;
    }
    this.runTimers(now, out);
    if (this.closeInfo) return out.concat(this.pending.splice(0));
    if (this.synDue) {
      this.synDue = false;
      out.push(this.synSegment(now));
    }
    if (SENDING_STATES.has(this.currentState)) this.transmit(now, out);
    // Something in flight always has a retransmission timer.
    if (this.sndNxt !== this.sndUna && this.retransmitAt === undefined && SENDING_STATES.has(this.currentState)) this.retransmitAt = now + this.rtt.rtoMs;
    this.armPersist(now);
    if (this.windowUpdateDue()) {
      // Counted only when it is a segment of its own, not a window riding on an ACK that was going anyway.
      if (!this.ackDue && this.dupAcksDue === 0 && !out.some((o) => o.segment.flags & TcpFlag.ACK)) this.stat.windowUpdates++;
      this.ackDue = true;
    }
    if (this.reassembler && this.currentState !== 'SYN-RECEIVED') {
      const carriedAck = out.some((o) => o.segment.flags & TcpFlag.ACK);
      if (this.ackDue && !carriedAck) out.push(this.controlSegment(now, TcpFlag.ACK, this.sndNxt));
      const extra = Math.min(this.dupAcksDue - (this.ackDue || carriedAck ? 1 : 0), MAX_DUP_ACKS_PER_DISPATCH);
      for (let i = 0; i < extra; i++) out.push(this.controlSegment(now, TcpFlag.ACK, this.sndNxt));
    }
    this.ackDue = false;
    this.dupAcksDue = 0;
    return out;
  }

  private runTimers(now: number, out: OutgoingSegment[]): void {
    if (this.timeWaitAt !== undefined && now >= this.timeWaitAt) {
      this.timeWaitAt = undefined;
      this.setState(now, 'CLOSED');
      this.finish(now, 'closed', undefined);
      return;
    }
    const idle = this.idleDeadline();
    if (idle !== undefined && now >= idle) {
      this.abort(now, 'timeout', `nothing received from the peer for ${this.config.idleTimeoutMs / 1000} s`);
      return;
    }
    if (this.retransmitAt !== undefined && now >= this.retransmitAt) {
      this.retransmitAt = undefined;
      this.onRetransmitTimeout(now);
      if (this.closeInfo) return;
    }
    if (this.persistAt !== undefined && now >= this.persistAt) {
      this.persistAt = undefined;
      this.onPersistTimeout(now, out);
    }
  }

  private onRetransmitTimeout(now: number): void {
    if (this.currentState === 'SYN-SENT' || this.currentState === 'SYN-RECEIVED') {
      if (this.synAttempts > this.config.synRetries) {
        const icmp = this.lastIcmp;
        this.finish(
          now,
          icmp ? 'unreachable' : 'timeout',
          icmp
            ? `no SYN-ACK; last ICMP: type ${icmp.type} code ${icmp.code} from ${icmp.from}`
            : `no answer to ${this.synAttempts} SYNs (is port ${this.config.remotePort} filtered?)`,
        );
        return;
      }
      this.rtt.backoff();
      this.rtt.onRetransmit();
      this.stat.timeouts++;
      this.emit({ type: 'timeout', timeMs: now, what: 'syn', attempt: this.synAttempts, rtoMs: this.rtt.rtoMs });
      this.synDue = true;
      this.synRetransmission = true;
      return;
    }
    if (this.sndUna === this.sndMax) return;
    if (this.sndWnd === 0) {
      // The peer closed its window on data in flight: nothing may go now. Go
      // back, and let the persist timer probe (no retry counted: it is no loss).
      this.sndNxt = this.sndUna;
      return;
    }
    this.retries++;
    this.stat.timeouts++;
    if (this.retries > this.config.maxRetries) {
      this.abort(now, 'timeout', `gave up after ${this.retries - 1} retransmissions: the peer stopped acknowledging`);
      return;
    }
    this.rtt.backoff();
    this.rtt.onRetransmit();
    const flight = seqDiff(this.sndMax, this.sndUna) - this.scoreboard.sackedBetween(this.sndUna, this.sndMax);
    this.emit({ type: 'timeout', timeMs: now, what: this.queue.length > 0 ? 'data' : 'fin', attempt: this.retries, rtoMs: this.rtt.rtoMs });
    this.congestion.onRetransmitTimeout(flight);
    this.recovery = undefined;
    this.recoverFloor = this.sndMax;
    this.dupAcks = 0;
    // A second timeout in a row: the peer may have dropped what it SACKed (RFC 2018 8): resend it all.
    if (this.retries >= 2) this.scoreboard.clear();
    // Go back: send again from SND.UNA as ACKs return (skipping SACKed data).
    this.sndNxt = this.sndUna;
  }

  /** Persist timer: the peer's window is zero and we have something to send. */
  private armPersist(now: number): void {
    if (!SENDING_STATES.has(this.currentState) || this.sndNxt !== this.sndUna || this.persistAt !== undefined) return;
    const somethingToSend = this.queue.length > seqDiff(this.sndNxt, this.sndUna) || (FIN_PENDING_STATES.has(this.currentState) && this.sndNxt === this.finSequence());
    if (!somethingToSend || this.usableWindow() > 0) {
      this.probesSent = 0;
      return;
    }
    this.persistAt = now + this.persistInterval();
  }

  private persistInterval(): number {
    return Math.min(this.config.maxRtoMs, this.rtt.rtoMs * 2 ** this.probesSent);
  }

  private onPersistTimeout(now: number, out: OutgoingSegment[]): void {
    if (this.usableWindow() > 0 || this.sndNxt !== this.sndUna) return;
    this.probesUnanswered++;
    if (this.probesUnanswered > this.config.maxRetries) {
      this.abort(now, 'timeout', `gave up after ${this.probesUnanswered - 1} unanswered zero-window probes`);
      return;
    }
    this.probesSent++;
    this.stat.timeouts++;
    this.stat.windowProbes++;
    this.emit({ type: 'timeout', timeMs: now, what: 'window-probe', attempt: this.probesSent, rtoMs: this.persistInterval() });
    // The probe Linux sends (tcp_xmit_probe_skb): an ACK with an old sequence
    // number, which the peer must answer with its window. It carries no data,
    // so nothing ever goes past the peer's window.
    out.push(this.controlSegment(now, TcpFlag.ACK, seqAdd(this.sndUna, -1)));
  }

  /** Bytes the peer's window lets us send beyond SND.NXT. */
  private usableWindow(): number {
    return Math.max(0, seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt));
  }

  /** RFC 6675 "pipe": the bytes we believe are in the network. */
  private pipe(): number {
    const sackedAll = this.scoreboard.sackedBetween(this.sndUna, this.sndMax);
    if (!this.recovery) {
      return Math.max(0, seqDiff(this.sndNxt, this.sndUna) - this.scoreboard.sackedBetween(this.sndUna, this.sndNxt));
    }
    const outstanding = seqDiff(this.sndMax, this.sndUna) - sackedAll;
    const r = this.recovery;
    const lostNotResent = seqLt(r.next, r.limit) ? seqDiff(r.limit, r.next) - this.scoreboard.sackedBetween(r.next, r.limit) : 0;
    // Without SACK, each duplicate ACK says a segment left the network (Linux's Reno emulation).
    const leftWithoutSack = this.useSack ? 0 : Math.min(this.dupAcks, 64) * this.sendMss;
    return Math.max(0, outstanding - lostNotResent - leftWithoutSack);
  }

  /** Sends what the windows allow: retransmissions during recovery, new data, then our FIN. */
  private transmit(now: number, out: OutgoingSegment[]): void {
    for (let i = 0; i < MAX_SEGMENTS_PER_DISPATCH; i++) {
      const rightEdge = seqAdd(this.sndUna, this.sndWnd);
      const dataEnd = seqAdd(this.sndUna, this.queue.length);
      const room = this.congestion.cwnd - this.pipe();
      // 1. Loss recovery: the next hole below the loss limit (RFC 6675 NextSeg rule 1).
      const r = this.recovery;
      if (r) {
        r.next = this.scoreboard.skipSacked(seqMax(r.next, this.sndUna));
        if (seqLt(r.next, r.limit) && seqLt(r.next, dataEnd)) {
          if (room <= 0 && !r.force) return;
          r.force = false;
          // A hole starts below the limit; the segment is a full one unless SACKed data or the window stops it.
          const sackedAt = this.scoreboard.nextSackedAfter(r.next);
          let end = seqAdd(r.next, this.sendMss);
          for (const bound of [dataEnd, rightEdge, sackedAt]) if (bound !== undefined && seqLt(bound, end)) end = bound;
          const length = seqDiff(end, r.next);
          if (length <= 0) return;
          out.push(this.dataSegment(now, r.next, length, true));
          r.next = end;
          continue;
        }
      }
      // 2. Data from SND.NXT: new, or sent again after a timeout (SACKed ranges skipped).
      if (seqLt(this.sndNxt, dataEnd)) {
        if (seqLt(this.sndNxt, this.sndMax)) {
          const skipped = this.scoreboard.skipSacked(this.sndNxt);
          if (skipped !== this.sndNxt) {
            this.sndNxt = skipped;
            continue;
          }
        }
        const unsent = seqDiff(dataEnd, this.sndNxt);
        let length = Math.min(this.sendMss, unsent, room, this.usableWindow());
        if (seqLt(this.sndNxt, this.sndMax)) {
          const sackedAt = this.scoreboard.nextSackedAfter(this.sndNxt);
          if (sackedAt !== undefined) length = Math.min(length, seqDiff(sackedAt, this.sndNxt));
        }
        if (length <= 0) return;
        const retransmission = seqLt(this.sndNxt, this.sndMax);
        // Sender silly-window avoidance (RFC 9293 3.8.6.2.1) for new data, unless nothing is in flight.
        // Not for data sent again: a short piece up to SACKed data (after a path MTU drop or a timeout) must go.
        const inFlight = this.sndUna !== this.sndMax;
        if (!retransmission && length < this.sendMss && length < unsent && inFlight && length < this.maxSndWnd / 2) return;
        out.push(this.dataSegment(now, this.sndNxt, length, retransmission));
        this.sndNxt = seqAdd(this.sndNxt, length);
        if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        if (!retransmission) this.rtt.onSend(this.sndNxt, now);
        this.retransmitAt ??= now + this.rtt.rtoMs;
        continue;
      }
      // 3. Our FIN, once everything before it went; it takes a sequence number, so it needs the window too.
      if (FIN_PENDING_STATES.has(this.currentState) && this.sndNxt === dataEnd && this.usableWindow() >= 1) {
        const retransmission = seqLt(this.sndNxt, this.sndMax);
        out.push({ segment: this.segmentFields(now, TcpFlag.FIN | TcpFlag.ACK, this.sndNxt, undefined), retransmission });
        this.sndNxt = seqAdd(this.sndNxt, 1);
        if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        this.retransmitAt ??= now + this.rtt.rtoMs;
      }
      return;
    }
  }

  private dataSegment(now: number, seq: SeqNumber, length: number, retransmission: boolean): OutgoingSegment {
    const offset = seqDiff(seq, this.sndUna);
    const payload = this.queue.read(offset, length);
    const last = offset + length === this.queue.length;
    if (retransmission) this.rtt.onRetransmit();
    return { segment: this.segmentFields(now, TcpFlag.ACK | (last ? TcpFlag.PSH : 0), seq, payload), retransmission };
  }

  private controlSegment(now: number, flags: number, seq: SeqNumber): OutgoingSegment {
    return { segment: this.segmentFields(now, flags, seq, undefined), retransmission: false };
  }

  private synSegment(now: number): OutgoingSegment {
    const retransmission = this.synRetransmission;
    this.synAttempts++;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    if (!retransmission) this.rtt.onSend(this.sndNxt, now);
    this.retransmitAt = now + this.rtt.rtoMs;
    const synAck = this.currentState === 'SYN-RECEIVED';
    const options = tcpSynOptions({
      mss: this.config.mss,
      sackPermitted: this.config.sack && (!synAck || this.peerOptions.sackPermitted),
      timestampValue: this.config.timestamps && (!synAck || this.useTimestamps) ? this.timestampValue(now) : undefined,
      timestampEchoReply: synAck && this.useTimestamps ? this.tsRecent : undefined,
      windowScale: this.config.windowScale !== undefined && (!synAck || this.peerOptions.windowScale !== undefined) ? this.config.windowScale : undefined,
    });
    const flags = synAck ? TcpFlag.SYN | TcpFlag.ACK : TcpFlag.SYN;
    const window = Math.min(MAX_WINDOW_FIELD, this.config.receiveBuffer);
    return {
      segment: {
        sourcePort: this.config.localPort,
        destinationPort: this.config.remotePort,
        sequenceNumber: this.iss,
        acknowledgmentNumber: synAck ? this.reassembler!.nextSeq : 0,
        flags,
        window,
        options,
      },
      retransmission,
    };
  }

  private segmentFields(now: number, flags: number, seq: SeqNumber, payload: Uint8Array | undefined): OutgoingSegment['segment'] {
    const options: TcpOption[] = [];
    if (this.useTimestamps) options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', value: this.timestampValue(now), echoReply: this.tsRecent });
    // SACK blocks only where they cost no payload room: on segments without data.
    if (this.useSack && this.reassembler && (payload === undefined || payload.length === 0)) {
      const blocks = this.reassembler.sackBlocks(this.useTimestamps ? 3 : 4);
      if (blocks.length > 0) options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks });
    }
    const window = this.reassembler ? this.receiveWindow.advertise(this.reassembler.nextSeq) : Math.min(MAX_WINDOW_FIELD, this.config.receiveBuffer);
    return {
      sourcePort: this.config.localPort,
      destinationPort: this.config.remotePort,
      sequenceNumber: seq >>> 0,
      acknowledgmentNumber: this.reassembler?.nextSeq ?? 0,
      flags,
      window,
      options,
      payload,
    };
  }

  private timestampValue(now: number): number {
    return ((this.config.timestampOffset ?? 0) + Math.floor(now)) >>> 0;
  }

  // -------------------------------------------------------------------------
  // The receive window

  /** After the application read: is the window now worth announcing? */
  private windowUpdateDue(): boolean {
    if (!this.reassembler || this.peerFinished) return false;
    if (!SENDING_STATES.has(this.currentState) && this.currentState !== 'FIN-WAIT-2') return false;
    return this.receiveWindow.updateDue(this.reassembler.nextSeq);
  }

  // -------------------------------------------------------------------------
  // The end

  private queueRst(flags: number, seq: SeqNumber, ack: number): void {
    this.pending.push({
      segment: {
        sourcePort: this.config.localPort,
        destinationPort: this.config.remotePort,
        sequenceNumber: seq >>> 0,
        acknowledgmentNumber: ack >>> 0,
        flags,
        window: 0,
        options: [],
      },
      retransmission: false,
    });
  }

  private setState(now: number, to: TcpState): void {
    if (this.currentState === to) return;
    const from = this.currentState;
    this.currentState = to;
    this.emit({ type: 'state', timeMs: now, from, to });
  }

  private finish(now: number, reason: TcpCloseReason, detail: string | undefined, resetAfterHandshake = false): void {
    if (this.closeInfo) return;
    this.closeInfo = { reason, detail, resetAfterHandshake, finalState: this.currentState };
    this.retransmitAt = undefined;
    this.persistAt = undefined;
    this.timeWaitAt = undefined;
    this.setState(now, 'CLOSED');
  }

  private note(now: number, message: string): void {
    this.emit({ type: 'note', timeMs: now, message });
  }

  private emit(event: TcpConnectionEvent): void {
    this.config.onEvent?.(event);
  }
}

