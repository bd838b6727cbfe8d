// Wireshark's TCP sequence analysis ("tcp.analysis.*"), per conversation and
// direction, in capture order: which segments are retransmissions, fast or
// spurious retransmissions, out of order, follow a hole (previous segment not
// captured), acknowledge data never seen, duplicate ACKs (numbered), zero
// windows and their probes, full windows, window updates, keep-alives; and the
// numbers beside them: the frame an ACK acknowledges and its RTT, the
// handshake's RTT (iRTT), bytes in flight, bytes since the last PSH, the RTO of
// a retransmission.
//
// The checks and their order follow tcp_analyze_sequence_number() in
// Wireshark 4.0's packet-tcp.c, which tshark 4.0 (the reference the tests
// compare against) runs in one pass over the file, as this does:
//  1. zero-window probe (1 byte at nextseq while the other side shows window 0; ends the forward checks)
//  2. zero window (window 0, no SYN/FIN/RST)
//  3. previous segment not captured (seq beyond nextseq, no RST)
//  4. keep-alive (0 or 1 byte at nextseq - 1)
//  5. window update (no data, same seq/ack, window changed)
//  6. window full (data reaching the edge of the other side's window)
//  7. keep-alive ACK, zero-window-probe ACK (each ends the forward checks)
//  8. duplicate ACK (no data, same seq/ack/window; counted from the last ACK that moved)
//  9. ACKed unseen segment (ack beyond what the other side was seen to send)
// 10. for a segment with data, SYN or FIN: spurious retransmission (all
//     already acknowledged), fast retransmission (>= 2 dup ACKs, at their ack,
//     within 20 ms), out-of-order (behind nextseq within the iRTT, 3 ms when
//     unknown), else retransmission when behind nextseq.
// Values 0 of nextseq / lastack / maxseqtobeacked mean "not seen yet", as in
// Wireshark (a flow whose numbers happen to be 0 is treated the same way).
//
// Memory: each direction keeps the segments sent and not yet acknowledged, at
// most MAX_UNACKED_SEGMENTS (Wireshark's TCP_MAX_UNACKED_SEGMENTS, 10,000);
// beyond that new segments are not remembered (only "ACK to frame", RTT and
// bytes in flight lose precision, as in Wireshark). The conversation table
// itself is bounded in tcp-conversations.ts.

import { TcpFlag, type TcpOption } from '../wire/tcp.ts';

/** Wireshark's TCP_A_* bits (same values), one per analysis flag. */
export const TcpAnalysisFlag = {
  RETRANSMISSION: 0x0001,
  LOST_SEGMENT: 0x0002,
  ACKED_UNSEEN_SEGMENT: 0x0004,
  KEEP_ALIVE: 0x0008,
  DUPLICATE_ACK: 0x0010,
  ZERO_WINDOW: 0x0020,
  ZERO_WINDOW_PROBE: 0x0040,
  ZERO_WINDOW_PROBE_ACK: 0x0080,
  KEEP_ALIVE_ACK: 0x0100,
  OUT_OF_ORDER: 0x0200,
  FAST_RETRANSMISSION: 0x0400,
  WINDOW_UPDATE: 0x0800,
  WINDOW_FULL: 0x1000,
  REUSED_PORTS: 0x2000,
  SPURIOUS_RETRANSMISSION: 0x4000,
} as const;

/**
 * One analysis flag as tshark names and shows it: its display-filter field
 * (tcp.analysis.<field>), the bracketed summary-line marker, and the expert
 * message -V prints. A fast or spurious retransmission is also a
 * retransmission for tshark's filters (`tcp.analysis.retransmission` matches
 * all three), which `filterFieldsOf` reproduces.
 */
export interface TcpAnalysisFlagInfo {
  readonly flag: number;
  readonly field: string;
  readonly marker: string;
  readonly expert: string;
  readonly severity: 'Chat' | 'Note' | 'Warning';
}

/** In the order tshark prints the -V expert entries. */
export const TCP_ANALYSIS_FLAGS: readonly TcpAnalysisFlagInfo[] = [
  { flag: TcpAnalysisFlag.REUSED_PORTS, field: 'reused_ports', marker: 'TCP Port numbers reused', expert: 'A new tcp session is started with the same ports as an earlier session in this trace', severity: 'Note' },
  { flag: TcpAnalysisFlag.RETRANSMISSION, field: 'retransmission', marker: 'TCP Retransmission', expert: 'This frame is a (suspected) retransmission', severity: 'Note' },
  { flag: TcpAnalysisFlag.FAST_RETRANSMISSION, field: 'fast_retransmission', marker: 'TCP Fast Retransmission', expert: 'This frame is a (suspected) fast retransmission', severity: 'Note' },
  { flag: TcpAnalysisFlag.SPURIOUS_RETRANSMISSION, field: 'spurious_retransmission', marker: 'TCP Spurious Retransmission', expert: 'This frame is a (suspected) spurious retransmission', severity: 'Note' },
  { flag: TcpAnalysisFlag.OUT_OF_ORDER, field: 'out_of_order', marker: 'TCP Out-Of-Order', expert: 'This frame is a (suspected) out-of-order segment', severity: 'Warning' },
  { flag: TcpAnalysisFlag.LOST_SEGMENT, field: 'lost_segment', marker: 'TCP Previous segment not captured', expert: 'Previous segment(s) not captured (common at capture start)', severity: 'Warning' },
  { flag: TcpAnalysisFlag.ACKED_UNSEEN_SEGMENT, field: 'ack_lost_segment', marker: 'TCP ACKed unseen segment', expert: "ACKed segment that wasn't captured (common at capture start)", severity: 'Warning' },
  { flag: TcpAnalysisFlag.WINDOW_UPDATE, field: 'window_update', marker: 'TCP Window Update', expert: 'TCP window update', severity: 'Chat' },
  { flag: TcpAnalysisFlag.WINDOW_FULL, field: 'window_full', marker: 'TCP Window Full', expert: 'TCP window specified by the receiver is now completely full', severity: 'Warning' },
  { flag: TcpAnalysisFlag.KEEP_ALIVE, field: 'keep_alive', marker: 'TCP Keep-Alive', expert: 'TCP keep-alive segment', severity: 'Note' },
  { flag: TcpAnalysisFlag.KEEP_ALIVE_ACK, field: 'keep_alive_ack', marker: 'TCP Keep-Alive ACK', expert: 'ACK to a TCP keep-alive segment', severity: 'Note' },
  { flag: TcpAnalysisFlag.DUPLICATE_ACK, field: 'duplicate_ack', marker: 'TCP Dup ACK', expert: 'Duplicate ACK', severity: 'Note' },
  { flag: TcpAnalysisFlag.ZERO_WINDOW_PROBE, field: 'zero_window_probe', marker: 'TCP ZeroWindowProbe', expert: 'TCP Zero Window Probe', severity: 'Note' },
  { flag: TcpAnalysisFlag.ZERO_WINDOW, field: 'zero_window', marker: 'TCP ZeroWindow', expert: 'TCP Zero Window segment', severity: 'Warning' },
  { flag: TcpAnalysisFlag.ZERO_WINDOW_PROBE_ACK, field: 'zero_window_probe_ack', marker: 'TCP ZeroWindowProbeAck', expert: 'ACK to a TCP Zero Window Probe', severity: 'Note' },
];

/**
 * What the analysis says about one segment: a plain record a renderer or a
 * display filter reads. Present (not undefined) exactly when tshark shows a
 * "[SEQ/ACK analysis]" subtree for the segment; each number is undefined
 * when tshark does not show it.
 */
export interface TcpAnalysis {
  /** TcpAnalysisFlag bits; 0 when none (tshark: no tcp.analysis.flags). */
  readonly flags: number;
  /** tcp.analysis.acks_frame: "This is an ACK to the segment in frame". */
  readonly ackedFrame: number | undefined;
  /** tcp.analysis.ack_rtt, in nanoseconds (shown only when not 0). */
  readonly ackRttNs: number | undefined;
  /** tcp.analysis.initial_rtt: SYN to the handshake's ACK, in nanoseconds. */
  readonly initialRttNs: number | undefined;
  /** tcp.analysis.bytes_in_flight. */
  readonly bytesInFlight: number | undefined;
  /** tcp.analysis.push_bytes_sent (shown with bytes in flight). */
  readonly pushBytesSent: number | undefined;
  /** tcp.analysis.duplicate_ack_num and duplicate_ack_frame (the last ACK that was not a duplicate). */
  readonly duplicateAckNumber: number | undefined;
  readonly duplicateAckFrame: number | undefined;
  /** tcp.analysis.rto and rto_frame, for a plain retransmission. */
  readonly rtoNs: number | undefined;
  readonly rtoFrame: number | undefined;
}

/** tshark's display-filter fields a segment's analysis sets, as "tcp.analysis.<name>" suffixes. */
export function filterFieldsOf(analysis: TcpAnalysis): string[] {
  const fields: string[] = [];
  for (const info of TCP_ANALYSIS_FLAGS) {
    if (analysis.flags & info.flag) fields.push(info.field);
  }
  const alsoRetransmission = TcpAnalysisFlag.FAST_RETRANSMISSION | TcpAnalysisFlag.SPURIOUS_RETRANSMISSION;
  if (analysis.flags & alsoRetransmission && !(analysis.flags & TcpAnalysisFlag.RETRANSMISSION)) fields.push('retransmission');
  return fields;
}

/**
 * The summary-line prefix, "[TCP Dup ACK 12#1] " and the like: tshark
 * prepends each marker in turn (col_prepend_fence_fstr), so the last one it
 * handles comes first.
 */
export function analysisMarkers(analysis: TcpAnalysis | undefined): string {
  if (analysis === undefined || analysis.flags === 0) return '';
  let text = '';
  for (const info of TCP_ANALYSIS_FLAGS) {
    if (!(analysis.flags & info.flag)) continue;
    const marker = info.flag === TcpAnalysisFlag.DUPLICATE_ACK ? `${info.marker} ${analysis.duplicateAckFrame}#${analysis.duplicateAckNumber}` : info.marker;
    text = `[${marker}] ${text}`;
  }
  return text;
}

export const MAX_UNACKED_SEGMENTS = 10_000;
/** Beyond this Wireshark takes bytes in flight for nonsense (a wrapped subtraction). */
const IN_FLIGHT_LIMIT = 2_000_000_000;
const FAST_RETRANSMISSION_WINDOW_NS = 20_000_000;
const DEFAULT_OUT_OF_ORDER_NS = 3_000_000;
/** RFC 2018: at most 4 blocks; Wireshark keeps 3 of them for bytes in flight. */
const SACK_BLOCKS_KEPT = 3;

const SYN_FIN_RST = TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST;

/** Sent, not yet acknowledged: [seq, nextseq). */
interface UnackedSegment {
  frame: number;
  seq: number;
  nextseq: number;
  timeNs: number;
}

/** One direction's analysis state (Wireshark's tcp_flow_t and tcp_analyze_seq_flow_info_t). */
export class TcpFlowAnalysis {
  nextseq = 0;
  nextseqFrame = 0;
  nextseqTimeNs = 0;
  maxSeqToBeAcked = 0;
  lastAck = 0;
  lastAckTimeNs = 0;
  /** Raw window field of the last segment; all ones before any. */
  window = 0xffffffff;
  lastSegmentFlags = 0;
  dupAckCount = 0;
  lastNonDupAckFrame = 0;
  validBytesInFlight = true;
  pushBytesSent = 0;
  pushSetLast = false;
  isFirstAck = false;
  /** The SACK blocks of this direction's last segment, [left, right) raw. */
  sackCount = 0;
  readonly sackLeft = [0, 0, 0];
  readonly sackRight = [0, 0, 0];
  /** Unacknowledged segments, oldest first. */
  readonly unacked: UnackedSegment[] = [];
}

/** State both directions share (Wireshark's tcp_analysis). */
export class TcpConversationAnalysis {
  readonly first = new TcpFlowAnalysis();
  readonly second = new TcpFlowAnalysis();
  /** Time of the latest SYN (without ACK), or -1. */
  synTimeNs = -1;
  /** iRTT, or -1 until the handshake's ACK. */
  initialRttNs = -1;
}

/** What the analysis needs of one segment beyond its header. */
export interface AnalyzedSegment {
  readonly frame: number;
  /** Capture time in nanoseconds (any fixed origin). */
  readonly timeNs: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly payloadLength: number;
  readonly options: readonly TcpOption[];
}

/** Per-segment result under construction. */
class Result {
  present = false;
  flags = 0;
  ackedFrame: number | undefined = undefined;
  ackRttNs: number | undefined = undefined;
  bytesInFlight: number | undefined = undefined;
  pushBytesSent: number | undefined = undefined;
  duplicateAckNumber: number | undefined = undefined;
  duplicateAckFrame: number | undefined = undefined;
  rtoNs: number | undefined = undefined;
  rtoFrame: number | undefined = undefined;
}

const gt = (a: number, b: number) => ((a - b) | 0) > 0;
const lt = (a: number, b: number) => ((a - b) | 0) < 0;
const le = (a: number, b: number) => ((a - b) | 0) <= 0;
const u32 = (n: number) => n >>> 0;
/** Wireshark subtracts nstime values into a guint64: a negative delta is huge, never "within". */
const within = (deltaNs: number, limitNs: number) => deltaNs >= 0 && deltaNs < limitNs;

/**
 * Analyzes one segment of a conversation, `forward` being its sender's side.
 * `reusedPorts`: the conversation was just started again by a SYN on the
 * same ports; `synRetransmitted`: a SYN repeated its side's first sequence
 * number (both decided by the conversation tracker, as in dissect_tcp).
 * `forwardBase`: the sender's initial sequence number (relative numbers),
 * `reverseScale`: the receiver's window shift (-1 unknown, -2 none).
 */
export function analyzeSegment(
  conversation: TcpConversationAnalysis,
  forward: TcpFlowAnalysis,
  reverse: TcpFlowAnalysis,
  s: AnalyzedSegment,
  forwardBase: number,
  reverseScale: number,
  reusedPorts: boolean,
  synRetransmitted: boolean,
): TcpAnalysis | undefined {
  const r = new Result();
  const { seq, ack, flags, window } = s;
  const seglen = s.payloadLength;
  const now = s.timeNs;
  if (reusedPorts) {
    r.present = true;
    r.flags |= TcpAnalysisFlag.REUSED_PORTS;
  } else if (synRetransmitted) {
    // RFC 793 3.4: a RST may carry seq = the ACK received, which moved nextseq; restore it.
    forward.nextseq = forward.maxSeqToBeAcked;
    r.present = true;
  }
  // dissect_tcp forgets this direction's SACK blocks before the options are read again.
  forward.sackCount = 0;
  if (flags & TcpFlag.ACK) reverse.validBytesInFlight = true;

  forwardChecks: {
    if (seglen === 1 && seq === forward.nextseq && reverse.window === 0) {
      r.flags |= TcpAnalysisFlag.ZERO_WINDOW_PROBE;
      break forwardChecks;
    }
    const noSynFinRst = (flags & SYN_FIN_RST) === 0;
    if (window === 0 && noSynFinRst) r.flags |= TcpAnalysisFlag.ZERO_WINDOW;
    if (forward.nextseq !== 0 && gt(seq, forward.nextseq) && (flags & TcpFlag.RST) === 0) {
      r.flags |= TcpAnalysisFlag.LOST_SEGMENT;
      forward.validBytesInFlight = false;
    }
    if ((seglen === 0 || seglen === 1) && seq === u32(forward.nextseq - 1) && noSynFinRst) r.flags |= TcpAnalysisFlag.KEEP_ALIVE;
    const sameSeqAck = seglen === 0 && seq === forward.nextseq && ack === forward.lastAck && noSynFinRst;
    if (sameSeqAck && window !== 0 && window !== forward.window) r.flags |= TcpAnalysisFlag.WINDOW_UPDATE;
    if (seglen > 0 && reverseScale !== -1 && noSynFinRst) {
      const shift = reverse.isFirstAck || reverseScale === -2 ? 0 : reverseScale;
      if (u32(seq + seglen) === u32(reverse.lastAck + u32(reverse.window << shift))) r.flags |= TcpAnalysisFlag.WINDOW_FULL;
    }
    if (sameSeqAck && window !== 0 && window === forward.window && reverse.lastSegmentFlags & TcpAnalysisFlag.KEEP_ALIVE) {
      r.flags |= TcpAnalysisFlag.KEEP_ALIVE_ACK;
      break forwardChecks;
    }
    if (sameSeqAck && window === 0 && forward.window === 0 && reverse.lastSegmentFlags & TcpAnalysisFlag.ZERO_WINDOW_PROBE) {
      r.flags |= TcpAnalysisFlag.ZERO_WINDOW_PROBE_ACK;
      break forwardChecks;
    }
    if (sameSeqAck && window !== 0 && window === forward.window) {
      // -1: an ACKed-unseen segment was reported; its first duplicate counts as #1.
      forward.dupAckCount = forward.dupAckCount === -1 ? 1 : forward.dupAckCount + 1;
      r.flags |= TcpAnalysisFlag.DUPLICATE_ACK;
      r.duplicateAckNumber = forward.dupAckCount;
      r.duplicateAckFrame = forward.lastNonDupAckFrame;
    }
  }

  if (ack !== forward.lastAck) {
    forward.lastNonDupAckFrame = s.frame;
    forward.dupAckCount = 0;
  }

  if (reverse.maxSeqToBeAcked !== 0 && gt(ack, reverse.maxSeqToBeAcked) && flags & TcpFlag.ACK) {
    r.present = true;
    if (lt(reverse.maxSeqToBeAcked, reverse.nextseq)) {
      reverse.maxSeqToBeAcked = reverse.nextseq;
      r.flags |= TcpAnalysisFlag.ACKED_UNSEEN_SEGMENT;
    } else {
      // The other side only sends pure ACKs: report the same hole once.
      if (reverse.dupAckCount === 0) r.flags |= TcpAnalysisFlag.ACKED_UNSEEN_SEGMENT;
      reverse.dupAckCount = -1;
    }
  }

  const synOrFin = (flags & (TcpFlag.SYN | TcpFlag.FIN)) !== 0;
  if ((seglen > 0 || synOrFin) && !(r.flags & TcpAnalysisFlag.KEEP_ALIVE)) {
    let seqNotAdvanced = forward.nextseq !== 0 && lt(seq, forward.nextseq);
    // One byte behind nextseq with new data after it: the byte was a zero-window probe, not a retransmission.
    if (seglen > 1 && u32(forward.nextseq - 1) === seq) seqNotAdvanced = false;
    retransmission: {
      if (seglen > 0 && reverse.lastAck !== 0 && le(u32(seq + seglen), reverse.lastAck)) {
        r.flags |= TcpAnalysisFlag.SPURIOUS_RETRANSMISSION;
        break retransmission;
      }
      if (seqNotAdvanced && reverse.dupAckCount >= 2 && reverse.lastAck === seq && within(now - reverse.lastAckTimeNs, FAST_RETRANSMISSION_WINDOW_NS)) {
        r.flags |= TcpAnalysisFlag.FAST_RETRANSMISSION;
        break retransmission;
      }
      const outOfOrderNs = conversation.initialRttNs > 0 ? conversation.initialRttNs : DEFAULT_OUT_OF_ORDER_NS;
      if (seqNotAdvanced && within(now - forward.nextseqTimeNs, outOfOrderNs) && forward.nextseq !== u32(seq + seglen + (synOrFin ? 1 : 0))) {
        r.flags |= TcpAnalysisFlag.OUT_OF_ORDER;
        break retransmission;
      }
      if (seqNotAdvanced) {
        r.flags |= TcpAnalysisFlag.RETRANSMISSION;
        // The oldest unacknowledged segment is the likeliest original; else the one that last moved nextseq.
        const oldest = forward.unacked[0];
        r.rtoNs = oldest ? now - oldest.timeNs : now - forward.nextseqTimeNs;
        r.rtoFrame = oldest ? oldest.frame : forward.nextseqFrame;
      }
    }
  }

  let nextseq = u32(seq + seglen);
  if ((seglen > 0 || synOrFin) && forward.unacked.length < MAX_UNACKED_SEGMENTS) {
    if (synOrFin) nextseq = u32(nextseq + 1);
    forward.unacked.push({ frame: s.frame, seq, nextseq, timeNs: now });
  }
  const isProbe = (r.flags & TcpAnalysisFlag.ZERO_WINDOW_PROBE) !== 0;
  if ((gt(nextseq, forward.nextseq) || forward.nextseq === 0) && !isProbe) {
    forward.nextseq = nextseq;
    forward.nextseqFrame = s.frame;
    forward.nextseqTimeNs = now;
  }
  if ((seq === forward.maxSeqToBeAcked || forward.maxSeqToBeAcked === 0) && !isProbe) forward.maxSeqToBeAcked = forward.nextseq;

  forward.window = window;
  forward.lastAck = ack;
  forward.lastAckTimeNs = now;
  if (r.flags !== 0) r.present = true;
  forward.lastSegmentFlags = r.flags;

  // Drop what this ACK covers from the other side's list, newest first as Wireshark walks it.
  const list = reverse.unacked;
  let removed = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    const segment = list[i];
    if (ack === segment.nextseq) {
      r.present = true;
      r.ackedFrame = segment.frame;
      r.ackRttNs = now - segment.timeNs;
    } else if (gt(ack, segment.seq) && le(ack, segment.nextseq)) {
      segment.seq = ack;
      continue;
    } else if (gt(segment.nextseq, ack)) {
      continue;
    }
    list[i] = undefined as unknown as UnackedSegment;
    removed++;
  }
  if (removed > 0) compact(list);

  const unacked = forward.unacked;
  if (seglen !== 0 && unacked.length > 0 && forward.validBytesInFlight) {
    let first = u32(unacked[unacked.length - 1].seq - forwardBase);
    let last = u32(unacked[unacked.length - 1].nextseq - forwardBase);
    for (let i = 0; i < unacked.length; i++) {
      const from = u32(unacked[i].seq - forwardBase);
      const to = u32(unacked[i].nextseq - forwardBase);
      if (to > last) last = to;
      if (from < first) first = from;
    }
    let inFlight = u32(last - first);
    for (let i = 0; i < reverse.sackCount; i++) inFlight = u32(inFlight - u32(reverse.sackRight[i] - reverse.sackLeft[i]));
    r.present = true;
    // A SYN or FIN takes a sequence number but no byte.
    if (inFlight > 0 && inFlight < IN_FLIGHT_LIMIT) r.bytesInFlight = synOrFin ? inFlight - 1 : inFlight;
    const push = (flags & TcpFlag.PSH) !== 0;
    if (push && !forward.pushSetLast) {
      forward.pushBytesSent += seglen;
      forward.pushSetLast = true;
    } else if (push || forward.pushSetLast) {
      forward.pushBytesSent = seglen;
      forward.pushSetLast = push;
    } else {
      forward.pushBytesSent += seglen;
    }
    r.pushBytesSent = forward.pushBytesSent;
  }

  // What dissect_tcp does after the analysis: handshake times, first-ACK state, SACK blocks.
  const synAck = flags & (TcpFlag.SYN | TcpFlag.ACK);
  if (flags & TcpFlag.SYN) {
    if (!(flags & TcpFlag.ACK)) conversation.synTimeNs = now;
    forward.isFirstAck = true;
  }
  if (synAck === TcpFlag.ACK) {
    if (conversation.synTimeNs >= 0 && conversation.initialRttNs < 0) conversation.initialRttNs = now - conversation.synTimeNs;
    forward.isFirstAck = false;
  }
  recordSackBlocks(forward, s.options);

  if (!r.present) return undefined;
  return {
    flags: r.flags,
    ackedFrame: r.ackedFrame,
    ackRttNs: r.ackRttNs !== undefined && r.ackRttNs !== 0 ? r.ackRttNs : undefined,
    initialRttNs: conversation.initialRttNs > 0 ? conversation.initialRttNs : undefined,
    // tshark shows both only when bytes in flight is not 0.
    bytesInFlight: r.bytesInFlight ? r.bytesInFlight : undefined,
    pushBytesSent: r.bytesInFlight ? r.pushBytesSent : undefined,
    duplicateAckNumber: r.duplicateAckNumber,
    duplicateAckFrame: r.duplicateAckFrame,
    rtoNs: r.rtoNs !== undefined && r.rtoNs !== 0 ? r.rtoNs : undefined,
    rtoFrame: r.rtoNs !== undefined && r.rtoNs !== 0 ? r.rtoFrame : undefined,
  };
}

/** Removes the holes analyzeSegment left, keeping the order. */
function compact(list: UnackedSegment[]): void {
  let kept = 0;
  for (let i = 0; i < list.length; i++) {
    const segment = list[i];
    if (segment !== undefined) list[kept++] = segment;
  }
  list.length = kept;
}

/** Wireshark keeps the first 3 SACK blocks of the direction's latest segment for bytes in flight. */
function recordSackBlocks(flow: TcpFlowAnalysis, options: readonly TcpOption[]): void {
  for (let i = 0; i < options.length; i++) {
    const option = options[i];
    if (option.kind !== 'sack') continue;
    let count = 0;
    for (const block of option.blocks) {
      if (count === SACK_BLOCKS_KEPT) break;
      flow.sackLeft[count] = block.left;
      flow.sackRight[count] = block.right;
      count++;
    }
    flow.sackCount = count;
  }
}
