// Wireshark's view of TCP across a capture: which segments form one
// conversation (its stream index), each side's initial sequence number so
// seq/ack can be shown relative (Seq=0 for a SYN), and the window scale each
// side agreed in its SYN so "Win=" is the real window.
//
// The rules follow Wireshark 4.0's packet-tcp.c in the cases captures show:
// - the first segment of a side sets its base: seq for a SYN, seq - 1 for
//   anything else (so a mid-stream capture starts at Seq=1);
// - the first ACK from one side sets the other side's base to ack - 1 if the
//   other side has none yet;
// - a SYN whose seq differs from the base of a side that already had one
//   starts a new conversation (new stream index): the ports were reused;
//   a SYN-ACK with a different seq just moves that side's base;
// - the acknowledgment number is relative only when the ACK flag is set;
// - window scaling applies only when both SYNs carry the option: a SYN or
//   SYN-ACK without it turns scaling off for both sides (-2); before any SYN
//   is seen the scale is unknown (-1) and windows are shown raw.
//
// With analysis on (the default, as in tshark) each conversation also carries
// the sequence analysis of tcp-analysis.ts, and the view of a segment gets its
// per-segment TcpAnalysis.
//
// Memory: at most MAX_CONVERSATIONS conversations are tracked; past that the
// oldest-created one is forgotten (a later segment of it starts a new stream
// index, where tshark would keep the old one), so a capture of any length with
// any number of connections keeps a bounded table.

import { TcpFlag, type TcpOption } from '../wire/tcp.ts';
import type { TcpConversationView } from './packet-model.ts';
import { analyzeSegment, TcpConversationAnalysis } from './tcp-analysis.ts';

const UNKNOWN_SCALE = -1;
const NO_SCALING = -2;
/** RFC 7323: shift counts above 14 are treated as 14. */
const MAX_SHIFT = 14;
/** Conversations tracked at once (see the memory note above). */
export const MAX_CONVERSATIONS = 100_000;

interface Flow {
  base: number;
  baseSet: boolean;
  windowScale: number;
}

interface Conversation {
  readonly stream: number;
  /** Endpoint (see endpointKey) of the side whose flow is `first`. */
  readonly firstEndpoint: number;
  readonly first: Flow;
  readonly second: Flow;
  /** Sequence analysis state; undefined with analysis off. */
  readonly analysis: TcpConversationAnalysis | undefined;
}

export interface TrackedSegment {
  /** IPv4 addresses as 32-bit unsigned numbers. */
  readonly source: number;
  readonly sourcePort: number;
  readonly destination: number;
  readonly destinationPort: number;
  readonly sequenceNumber: number;
  readonly acknowledgmentNumber: number;
  readonly flags: number;
  readonly window: number;
  /** The window scale option's shift, when the segment carries one. */
  readonly windowScaleOption: number | undefined;
  readonly payloadLength: number;
  /** For the sequence analysis: frame number, capture time (ns, any fixed origin), options (SACK blocks). */
  readonly frame: number;
  readonly timeNs: number;
  readonly options: readonly TcpOption[];
}

export interface TcpTrackingOptions {
  /** tshark's tcp.analyze_sequence_numbers; on by default. */
  readonly analyzeSequenceNumbers?: boolean;
}

const newFlow = (): Flow => ({ base: 0, baseSet: false, windowScale: UNKNOWN_SCALE });

/** address * 2^16 + port: a unique number below 2^48, so an exact integer key. */
const endpointKey = (address: number, port: number): number => address * 0x10000 + port;

export class TcpConversationTracker {
  // Keyed by the lower endpoint, then the higher one: number keys hash far
  // faster than "a:p-b:q" strings, which showed in profiles.
  private readonly conversations = new Map<number, Map<number, Conversation>>();
  private nextStream = 0;
  private readonly analyze: boolean;
  /** Conversations in creation order, for eviction: [low, high, conversation] per entry, as a ring. */
  private readonly created: { low: number; high: number; conversation: Conversation }[] = [];
  private createdStart = 0;
  private count = 0;

  constructor(options: TcpTrackingOptions = {}) {
    this.analyze = options.analyzeSequenceNumbers ?? true;
  }

  private remember(low: number, high: number, conversation: Conversation): void {
    if (this.count === MAX_CONVERSATIONS) {
      const oldest = this.created[this.createdStart];
      this.createdStart = (this.createdStart + 1) % MAX_CONVERSATIONS;
      const byHigh = this.conversations.get(oldest.low);
      if (byHigh?.get(oldest.high) === oldest.conversation) {
        byHigh.delete(oldest.high);
        if (byHigh.size === 0) this.conversations.delete(oldest.low);
      }
      this.count--;
    }
    const slot = (this.createdStart + this.count) % MAX_CONVERSATIONS;
    this.created[slot] = { low, high, conversation };
    this.count++;
  }

  /** Feeds one segment, in capture order; returns what Wireshark would show for it. */
  track(s: TrackedSegment): TcpConversationView {
    const from = endpointKey(s.source, s.sourcePort);
    const to = endpointKey(s.destination, s.destinationPort);
    const low = from < to ? from : to;
    const high = from < to ? to : from;
    let byHigh = this.conversations.get(low);
    if (byHigh === undefined) {
      byHigh = new Map();
      this.conversations.set(low, byHigh);
    }
    const syn = (s.flags & TcpFlag.SYN) !== 0;
    const ack = (s.flags & TcpFlag.ACK) !== 0;
    const seq = s.sequenceNumber;

    let conversation = byHigh.get(high);
    let reusedPorts = false;
    let synRetransmitted = false;
    if (conversation !== undefined && syn && !ack) {
      const flow = conversation.firstEndpoint === from ? conversation.first : conversation.second;
      if (flow.baseSet && flow.base !== seq) {
        conversation = undefined; // ports reused: a new conversation
        reusedPorts = true;
      } else if (flow.baseSet) {
        synRetransmitted = true;
      }
    }
    if (conversation === undefined) {
      conversation = {
        stream: this.nextStream++,
        firstEndpoint: from,
        first: newFlow(),
        second: newFlow(),
        analysis: this.analyze ? new TcpConversationAnalysis() : undefined,
      };
      byHigh.set(high, conversation);
      this.remember(low, high, conversation);
    }
    const isFirst = conversation.firstEndpoint === from;
    const forward = isFirst ? conversation.first : conversation.second;
    const reverse = isFirst ? conversation.second : conversation.first;

    if (syn && ack && forward.baseSet && forward.base !== seq) {
      forward.base = seq;
      reusedPorts = true;
    }
    if (!forward.baseSet) {
      forward.base = syn ? seq : (seq - 1) >>> 0;
      forward.baseSet = true;
    }
    if (ack && !reverse.baseSet) {
      reverse.base = (s.acknowledgmentNumber - 1) >>> 0;
      reverse.baseSet = true;
    }

    if (syn) {
      const offered = s.windowScaleOption;
      if (offered === undefined) {
        forward.windowScale = NO_SCALING;
        reverse.windowScale = NO_SCALING;
      } else if (ack && reverse.windowScale === NO_SCALING) {
        forward.windowScale = NO_SCALING;
      } else {
        forward.windowScale = Math.min(offered, MAX_SHIFT);
      }
    }

    // Wireshark makes numbers relative only with the analysis on: off, it shows them raw.
    const relativeSeq = this.analyze ? (seq - forward.base) >>> 0 : seq;
    // Without the ACK flag the field means nothing and Wireshark shows it raw.
    const ackIsRelative = this.analyze && ack && reverse.baseSet;
    const relativeAck = ackIsRelative ? (s.acknowledgmentNumber - reverse.base) >>> 0 : s.acknowledgmentNumber;
    const consumed = s.payloadLength + (syn ? 1 : 0) + (s.flags & TcpFlag.FIN ? 1 : 0);
    const scale = forward.windowScale;
    const state = conversation.analysis;
    const analysis =
      state === undefined
        ? undefined
        : analyzeSegment(
            state,
            isFirst ? state.first : state.second,
            isFirst ? state.second : state.first,
            {
              frame: s.frame,
              timeNs: s.timeNs,
              seq,
              ack: s.acknowledgmentNumber,
              flags: s.flags,
              window: s.window,
              payloadLength: s.payloadLength,
              options: s.options,
            },
            forward.base,
            reverse.windowScale,
            reusedPorts,
            synRetransmitted,
          );
    return {
      stream: conversation.stream,
      relativeSeq,
      relativeAck,
      ackIsRelative,
      nextRelativeSeq: (relativeSeq + consumed) >>> 0,
      windowScale: scale,
      calculatedWindow: !syn && scale >= 0 ? s.window * 2 ** scale : s.window,
      analysis,
    };
  }
}
