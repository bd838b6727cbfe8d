// What dissect knows about one captured frame, layer by layer: the decoded
// fields (the wire codecs' own types), where each layer sits in the frame,
// the verdict on every checksum, and what the capture-wide trackers (TCP
// conversations, echo request/reply pairs) add. Renderers (summary line,
// field tree, JSON, diagrams, checksum walkthroughs) all read this one model.
import type { ParsedIcmpMessage, QuotedTransport } from '../wire/icmp.ts';
import type { NdpOption, ParsedIcmpv6Message, QuotedTransport6 } from '../wire/icmpv6.ts';
import type { Ipv4Packet } from '../wire/ipv4.ts';
import type { Ipv6ExtensionHeader, Ipv6Packet } from '../wire/ipv6.ts';
import type { LinkFrame } from '../wire/link-type.ts';
import type { ParseError } from '../wire/parse-result.ts';
import type { ParsedTcpSegment } from '../wire/tcp.ts';
import type { ArpPacket } from '../wire/arp.ts';
import type { ChecksumVerdict } from '../wire/checksum.ts';
import type { UdpDatagram } from '../wire/udp.ts';
import type { HttpMessageStart } from './http-info.ts';
import type { FragmentSpan } from './ip-reassembly.ts';
import type { TcpAnalysis } from './tcp-analysis.ts';

export interface FrameLayer {
  /** 1-based, per file. */
  readonly number: number;
  readonly timestampSeconds: number;
  readonly timestampFraction: number;
  readonly fractionsPerSecond: number;
  /** The sub-second part in nanoseconds. */
  readonly nanoseconds: number;
  /** Nanoseconds since the first frame of the file (exact below 104 days). */
  readonly relativeNs: number;
  readonly capturedLength: number;
  readonly originalLength: number;
  readonly linkType: number;
  readonly interfaceIndex: number;
}

export interface LinkLayer {
  readonly frame: LinkFrame;
  readonly headerLength: number;
}

export interface Ipv4Layer {
  /** Byte offset of the IPv4 header in the frame. */
  readonly offset: number;
  readonly packet: Ipv4Packet;
  readonly headerLength: number;
  readonly checksum: ChecksumVerdict;
  /** Bytes of the datagram the capture (or the quote) lacks. */
  readonly missingLength: number;
  /** MF set or a non-zero fragment offset: the transport header is not (all) here. */
  readonly isFragment: boolean;
  /**
   * Set on the fragment that completed a datagram (reassembly on): the
   * fragments, and the whole datagram rebuilt (this header's fields, MF and
   * offset cleared, the payload of all fragments). The packet's ICMP, TCP or
   * UDP layer is then dissected from `datagram`: its offsets point into it,
   * not into the frame.
   */
  readonly reassembled?: ReassembledIpv4;
}

export interface ReassembledIpv4 {
  readonly fragments: readonly FragmentSpan[];
  /** The rebuilt datagram, header at offset 0. */
  readonly datagram: Uint8Array;
  /** Its IPv4 layer (offset 0 in `datagram`). */
  readonly ip: Ipv4Layer;
}

export interface Ipv6Layer {
  /** Byte offset of the IPv6 header in the frame. */
  readonly offset: number;
  readonly packet: Ipv6Packet;
  /** Fixed header and the extension headers walked: where the upper layer starts, from `offset`. */
  readonly headerLength: number;
  /** Frame offset of each extension header, in the order of packet.extensionHeaders. */
  readonly extensionOffsets: readonly number[];
  /** Bytes of the packet the capture (or the quote) lacks. */
  readonly missingLength: number;
  /** A fragment of a larger packet (offset or M set): the upper layer is not (all) here. */
  readonly isFragment: boolean;
  /**
   * Set on the fragment that completed a packet (reassembly on): the
   * fragments, and the whole packet rebuilt (RFC 8200 4.5: the first
   * fragment's unfragmentable part, then the fragments' data). The packet's
   * ICMPv6, TCP or UDP layer is then dissected from `datagram`.
   */
  readonly reassembled?: ReassembledIpv6;
}

export interface ReassembledIpv6 {
  readonly fragments: readonly FragmentSpan[];
  /** The rebuilt packet, header at offset 0. */
  readonly datagram: Uint8Array;
  /** Its IPv6 layer (offset 0 in `datagram`). */
  readonly ip: Ipv6Layer;
  /** Where the fragments' data starts in `datagram`: after the unfragmentable part (extension headers after the fragment header are data). */
  readonly payloadOffset: number;
}

/** The "Timestamp from icmp data" Wireshark finds at the start of echo data. */
export interface EchoDataTimestamp {
  readonly seconds: number;
  readonly microseconds: number;
  readonly littleEndian: boolean;
  /** Frame time minus this timestamp, in nanoseconds. */
  readonly relativeNs: number;
}

export interface IcmpLayer {
  readonly offset: number;
  /** ICMP bytes present in the capture. */
  readonly length: number;
  readonly message: ParsedIcmpMessage;
  readonly checksum: ChecksumVerdict;
  /** The datagram an error message quotes, dissected as far as it goes. */
  readonly quoted?: QuotedDatagramLayers;
  readonly echoTimestamp?: EchoDataTimestamp;
  /** Offset (from the ICMP header) and length of the bytes Wireshark shows as "Data". */
  readonly dataOffset: number;
  readonly dataLength: number;
  /** For an echo reply: the frame of its request and the time between them. */
  readonly requestFrame?: number;
  readonly responseTimeNs?: number;
}

export interface Icmpv6Layer {
  readonly offset: number;
  /** ICMPv6 bytes present in the capture. */
  readonly length: number;
  readonly message: ParsedIcmpv6Message;
  readonly checksum: ChecksumVerdict;
  /** The packet an error message quotes, dissected as far as it goes. */
  readonly quoted?: QuotedIpv6Layers;
  /** Offset (from the ICMPv6 header) and length of the bytes Wireshark shows as "Data". */
  readonly dataOffset: number;
  readonly dataLength: number;
  /** For an echo reply: the frame of its request and the time between them. */
  readonly requestFrame?: number;
  readonly responseTimeNs?: number;
}

/** What an ICMPv6 error quotes: an IPv6 packet and what it carries. */
export interface QuotedIpv6Layers {
  readonly ipv6: Ipv6Layer;
  readonly icmpv6?: Icmpv6Layer;
  readonly tcp?: TcpLayer;
  readonly udp?: UdpLayer;
  /** Ports (and TCP sequence) or the ICMPv6 header even when the quote is too short for a whole header. */
  readonly transport?: QuotedTransport6;
}

export interface QuotedDatagramLayers {
  readonly ip: Ipv4Layer;
  readonly icmp?: IcmpLayer;
  readonly tcp?: TcpLayer;
  readonly udp?: UdpLayer;
  /** Ports (and TCP sequence) even when the quote is too short for a whole header. */
  readonly transport?: QuotedTransport;
}

/** What the TCP tracker adds: Wireshark's stream index, relative numbers and window scaling. */
export interface TcpConversationView {
  readonly stream: number;
  readonly relativeSeq: number;
  /** Relative when the other side's ISN is known, else the raw field. */
  readonly relativeAck: number;
  readonly ackIsRelative: boolean;
  readonly nextRelativeSeq: number;
  /** Shift count in use: >= 0, or -1 unknown (no SYN seen), -2 no scaling (a SYN lacked the option). */
  readonly windowScale: number;
  /** The window in bytes after scaling (SYNs are never scaled). */
  readonly calculatedWindow: number;
  /**
   * tshark's "[SEQ/ACK analysis]" of this segment (tcp.analysis.*, see
   * tcp-analysis.ts): undefined when tshark shows none or analysis is off.
   */
  readonly analysis: TcpAnalysis | undefined;
}

export interface TcpLayer {
  readonly offset: number;
  readonly segment: ParsedTcpSegment;
  readonly checksum: ChecksumVerdict;
  /** TCP data length by the IP header (what Wireshark calls Len), captured or not. */
  readonly payloadLength: number;
  /** Absent for a quoted segment: quotes are not part of a conversation. */
  readonly conversation?: TcpConversationView;
  /** The HTTP/1.x message the payload starts, where tshark's HTTP dissector would see it. */
  readonly http?: HttpMessageStart;
}

export interface UdpLayer {
  readonly offset: number;
  readonly header: UdpDatagram;
  readonly checksum: ChecksumVerdict;
  readonly payloadLength: number;
}

export interface ArpLayer {
  readonly offset: number;
  readonly packet: ArpPacket;
}

export interface DissectedPacket {
  readonly frame: FrameLayer;
  /** The frame bytes: a view that is valid only while the packet is being handled. */
  readonly data: Uint8Array;
  readonly link?: LinkLayer;
  readonly ipv4?: Ipv4Layer;
  readonly ipv6?: Ipv6Layer;
  readonly icmp?: IcmpLayer;
  readonly icmpv6?: Icmpv6Layer;
  readonly tcp?: TcpLayer;
  readonly udp?: UdpLayer;
  readonly arp?: ArpLayer;
  /** Truncated or malformed layers, outermost first; dissection stops at the first hard failure. */
  readonly problems: readonly ParseError[];
}

/**
 * What a summary line (and a filter) needs of a packet: a subset of
 * DissectedPacket with the same shape, so a full DissectedPacket is one. The
 * summary fast path (CaptureDissector.summarize) builds just this for the
 * common well-formed packets, skipping what only the tree, JSON and
 * diagrams read.
 */
export interface SummaryView {
  readonly frame: Pick<FrameLayer, 'number' | 'relativeNs' | 'originalLength' | 'linkType' | 'fractionsPerSecond'>;
  readonly problems: readonly ParseError[];
  readonly link?: LinkLayer;
  readonly arp?: ArpLayer;
  readonly ipv4?: {
    readonly packet: Pick<Ipv4Packet, 'source' | 'destination' | 'ttl' | 'protocol' | 'fragmentOffset' | 'identification'>;
    readonly isFragment: boolean;
    readonly checksum: SummaryChecksum;
  };
  readonly ipv6?: {
    /** extensionHeaders: a fragment's summary line shows its fragment header. */
    readonly packet: Pick<Ipv6Packet, 'source' | 'destination' | 'hopLimit' | 'protocol'> & { readonly extensionHeaders: readonly Ipv6ExtensionHeader[] };
    /** A fragment of a larger packet: the upper layer is not (all) here. */
    readonly isFragment: boolean;
  };
  readonly icmpv6?: {
    readonly message: Icmpv6SummaryMessage;
    readonly requestFrame?: number;
    readonly checksum: SummaryChecksum;
  };
  readonly icmp?: {
    readonly message: IcmpSummaryMessage;
    readonly requestFrame?: number;
    readonly checksum: SummaryChecksum;
  };
  readonly tcp?: {
    readonly segment: Pick<
      ParsedTcpSegment,
      'sourcePort' | 'destinationPort' | 'sequenceNumber' | 'acknowledgmentNumber' | 'flags' | 'reserved' | 'window' | 'urgentPointer' | 'options'
    >;
    readonly conversation?: TcpConversationView;
    readonly payloadLength: number;
    readonly checksum: SummaryChecksum;
    readonly http?: HttpMessageStart;
  };
  readonly udp?: {
    readonly header: Pick<UdpDatagram, 'sourcePort' | 'destinationPort'>;
    readonly payloadLength: number;
    readonly checksum: SummaryChecksum;
  };
}

export type SummaryChecksum = Pick<ChecksumVerdict, 'status' | 'offloadPartialSum'>;

/** The ICMP fields a summary line shows, for any message kind. */
export type IcmpSummaryMessage =
  | { readonly kind: 'echo' | 'timestamp'; readonly type: number; readonly code: number; readonly identifier: number; readonly sequence: number }
  | { readonly kind: 'other'; readonly type: number; readonly code: number; readonly restOfHeader: Uint8Array }
  | { readonly kind: Exclude<ParsedIcmpMessage['kind'], 'echo' | 'timestamp' | 'other'>; readonly type: number; readonly code: number };

/** The ICMPv6 fields a summary line shows: tshark's info column names echo ids, NDP targets and link-layer addresses. */
export interface Icmpv6SummaryMessage {
  readonly type: number;
  readonly code: number;
  /** Echo request/reply. */
  readonly identifier?: number;
  readonly sequence?: number;
  /** Neighbor solicitation/advertisement target. */
  readonly target?: string;
  /** Neighbor advertisement flags R, S, O. */
  readonly router?: boolean;
  readonly solicited?: boolean;
  readonly override?: boolean;
  /** NDP options: the link-layer address options name the sender ("from 02:…") or the target ("is at 02:…"). */
  readonly options?: readonly NdpOption[];
}
