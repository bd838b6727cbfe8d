// Turns captured frames into DissectedPackets, one file at a time: link
// layer, IPv4 or IPv6 (with its extension headers), then ICMP or ICMPv6 (with
// the datagram an error quotes), TCP, UDP or ARP (dissect), or into the
// lighter SummaryView a summary line needs (summarize).
// Pure: it never reads a file and never throws on packet bytes. State that
// spans packets (the first frame's time, TCP conversations, echo requests)
// lives in one CaptureDissector per file, as Wireshark keeps it per capture.
//
// Every header field is read through the wire views (src/wire/*View), kept
// one per layer by the dissector and re-pointed for each packet: the summary
// path reads what a summary line needs straight through them, without
// building the codecs' result objects, and the full path builds its model
// from the same views.

import { parseArp } from '../wire/arp.ts';
import type { ChecksumVerdict } from '../wire/checksum.ts';
import { ETHERTYPE } from '../wire/ethernet.ts';
import { ICMP_HEADER_LENGTH, IcmpType, IcmpView, parseIcmp } from '../wire/icmp.ts';
import { ICMPV6_HEADER_LENGTH, Icmpv6Field, Icmpv6Type, Icmpv6View, parseIcmpv6, parseNdpOptions } from '../wire/icmpv6.ts';
import { buildIpv4, IpProtocol, type Ipv4Packet, Ipv4View, ipv4PacketFromView } from '../wire/ipv4.ts';
import {
  buildIpv6,
  IPV6_HEADER_LENGTH,
  type Ipv6ExtensionHeader,
  type Ipv6ExtensionHeaderInit,
  ipv6ExtensionHeadersOf,
  ipv6HeaderLength,
  type Ipv6HeaderInit,
  type Ipv6Packet,
  Ipv6View,
  ipv6PacketFromView,
} from '../wire/ipv6.ts';
import { decodeLinkLayer, LinkLayerView } from '../wire/link-type.ts';
import type { ParseError } from '../wire/parse-result.ts';
import { tcpHeaderFromView, TcpView, tcpSegmentFromView, type ParsedTcpSegment, type TcpOption } from '../wire/tcp.ts';
import { UDP_HEADER_LENGTH, UdpView, udpDatagramFromView } from '../wire/udp.ts';
import { EchoRequestMatcher } from './echo-matching.ts';
import { Ipv6AddressNumbers } from './ipv6-address-numbers.ts';
import type {
  ArpLayer,
  DissectedPacket,
  EchoDataTimestamp,
  FrameLayer,
  IcmpLayer,
  IcmpSummaryMessage,
  Icmpv6Layer,
  Icmpv6SummaryMessage,
  Ipv4Layer,
  Ipv6Layer,
  QuotedIpv6Layers,
  LinkLayer,
  QuotedDatagramLayers,
  SummaryChecksum,
  SummaryView,
  TcpConversationView,
  TcpLayer,
  UdpLayer,
} from './packet-model.ts';
import { TcpConversationTracker } from './tcp-conversations.ts';
import { type HttpMessageStart, httpMessageStart, isHttpPort } from './http-info.ts';
import { TcpAnalysisFlag } from './tcp-analysis.ts';
import { FragmentReassembler } from './ip-reassembly.ts';

/** How a capture is dissected; tshark's defaults when omitted. */
export interface DissectionOptions {
  /** TCP sequence analysis (tshark's tcp.analyze_sequence_numbers), on by default. */
  readonly tcpAnalysis?: boolean;
  /** IPv4 fragments reassembled and dissected in the last one (tshark's ip.defragment), on by default. */
  readonly ipReassembly?: boolean;
  /** IPv6 fragments likewise (tshark's ipv6.defragment); follows ipReassembly unless given. */
  readonly ipv6Reassembly?: boolean;
}

/** The header fields the conversation tracker reads. */
type TrackedTcpFields = Pick<ParsedTcpSegment, 'sourcePort' | 'destinationPort' | 'sequenceNumber' | 'acknowledgmentNumber' | 'flags' | 'window' | 'options'>;

/** What a frame needs to be dissected; CaptureRecord from src/wire/pcap.ts fits. */
export interface FrameInput {
  readonly data: Uint8Array;
  readonly linkType: number;
  readonly capturedLength: number;
  readonly originalLength: number;
  readonly timestampSeconds: number;
  readonly timestampFraction: number;
  readonly fractionsPerSecond: number;
  readonly interfaceIndex?: number;
}

const NO_PROBLEMS: readonly ParseError[] = Object.freeze([]);

const CUT_BY_SNAPLEN = 'the frame was cut by the snaplen';
const SHORT_QUOTE = 'the ICMP error quotes only part of it';
const FIRST_FRAGMENT = 'the datagram is fragmented and not reassembled';

/** Wireshark's test for a timeval at the start of echo data: within a day of the frame, µs below a million. */
const ONE_DAY_SECONDS = 86400;

const CORRECT: SummaryChecksum = Object.freeze({ status: 'correct' });
const NOT_PRESENT: SummaryChecksum = Object.freeze({ status: 'not-present' });

/** Echo data long enough for Wireshark's timestamp test: two 32-bit words after the header. */
const ECHO_TIMESTAMP_END = ICMP_HEADER_LENGTH + 8;

/**
 * One view per layer, re-pointed for every packet. An ICMP error's quote
 * gets its own set, so reading the quote never moves the outer views.
 */
class LayerViews {
  readonly ip = new Ipv4View();
  readonly tcp = new TcpView();
  readonly udp = new UdpView();
  readonly icmp = new IcmpView();
  readonly ip6 = new Ipv6View();
  readonly icmp6 = new Icmpv6View();
}

// Captures repeat the same few addresses: their dotted quads are made once
// per file and reused (bounded, so a scan of an address space cannot grow it).
const ADDRESS_TEXT_MAX = 4096;

interface IpContext {
  /** Dissecting the datagram an ICMP error quotes: no trackers, no echo matching. */
  readonly quoted: boolean;
  readonly views: LayerViews;
  readonly frameNumber: number;
  readonly timeNs: number;
  readonly frameSeconds: number;
  readonly frameFractionNs: number;
}

/**
 * The layers above the link, filled in place. Every key is always present
 * (undefined when absent) so that all packets share one object shape: object
 * spreads and shape changes showed up as the largest costs in profiles of
 * a 200,000-packet file.
 */
interface IpLayers {
  ipv4: Ipv4Layer | undefined;
  ipv6: Ipv6Layer | undefined;
  icmp: IcmpLayer | undefined;
  icmpv6: Icmpv6Layer | undefined;
  tcp: TcpLayer | undefined;
  udp: UdpLayer | undefined;
}

const noLayers = (): IpLayers => ({ ipv4: undefined, ipv6: undefined, icmp: undefined, icmpv6: undefined, tcp: undefined, udp: undefined });

const NO_EXTENSION_HEADERS: readonly never[] = Object.freeze([]);

export class CaptureDissector {
  private frames = 0;
  private firstSeconds = 0;
  private firstFractionNs = 0;
  private readonly tcp: TcpConversationTracker;
  private readonly echoes = new EchoRequestMatcher(4);
  private readonly echoes6 = new EchoRequestMatcher(6);
  private readonly ipv6Numbers = new Ipv6AddressNumbers();
  private readonly link = new LinkLayerView();
  private readonly views = new LayerViews();
  private readonly quotedViews = new LayerViews();
  private readonly addressText = new Map<number, string>();
  private readonly fragments: FragmentReassembler<string> | undefined;
  /** IPv6 fragments; the head kept from the first fragment is the packet's unfragmentable part. */
  private readonly fragments6: FragmentReassembler<string, Ipv6HeaderInit> | undefined;
  private readonly reassembledViews = new LayerViews();

  constructor(options: DissectionOptions = {}) {
    this.tcp = new TcpConversationTracker({ analyzeSequenceNumbers: options.tcpAnalysis ?? true });
    this.fragments = options.ipReassembly ?? true ? new FragmentReassembler<string>() : undefined;
    this.fragments6 = options.ipv6Reassembly ?? options.ipReassembly ?? true ? new FragmentReassembler<string, Ipv6HeaderInit>() : undefined;
  }

  /** Numbers the next frame and times it against the file's first. */
  private nextFrame(input: FrameInput): FrameLayer {
    const number = ++this.frames;
    const fractionNs = fractionToNs(input.timestampFraction, input.fractionsPerSecond);
    if (number === 1) {
      this.firstSeconds = input.timestampSeconds;
      this.firstFractionNs = fractionNs;
    }
    return {
      number,
      timestampSeconds: input.timestampSeconds,
      timestampFraction: input.timestampFraction,
      fractionsPerSecond: input.fractionsPerSecond,
      nanoseconds: fractionNs,
      relativeNs: (input.timestampSeconds - this.firstSeconds) * 1e9 + (fractionNs - this.firstFractionNs),
      capturedLength: input.capturedLength,
      originalLength: input.originalLength,
      linkType: input.linkType,
      interfaceIndex: input.interfaceIndex ?? 0,
    };
  }

  /**
   * What the summary line and the filter need of the next frame. Common
   * well-formed packets (whole, IPv4 not fragmented, carrying ICMP, TCP or
   * UDP, every checksum right) are read straight through the views; any
   * other goes through dissect(). Either way the trackers see the packet, so
   * summarize() and dissect() can be mixed in one file, and a test holds the
   * two paths' summary lines equal.
   */
  summarize(input: FrameInput): SummaryView {
    if (input.capturedLength !== input.originalLength) return this.dissect(input);
    const data = input.data;
    const link = this.link;
    if (link.point(input.linkType, data) !== undefined) return this.dissect(input);
    if (link.protocol === ETHERTYPE.IPV6) return this.summarizeIpv6(input) ?? this.dissect(input);
    if (link.protocol !== ETHERTYPE.IPV4) return this.dissect(input);
    const ip = this.views.ip;
    if (ip.point(data, link.payloadStart) !== undefined || ip.missingLength > 0 || ip.isFragment || !ip.checksumValid) {
      return this.dissect(input);
    }
    // One method per protocol: each small enough for the JIT to inline the view getters it calls.
    let view: SummaryView | undefined;
    switch (ip.protocol) {
      case IpProtocol.TCP:
        view = this.summarizeTcp(input, ip);
        break;
      case IpProtocol.ICMP:
        view = this.summarizeIcmp(input, ip);
        break;
      case IpProtocol.UDP:
        view = this.summarizeUdp(input, ip);
        break;
    }
    return view ?? this.dissect(input);
  }

  /** A whole TCP segment with a right checksum, or undefined to decline. */
  private summarizeTcp(input: FrameInput, ip: Ipv4View): SummaryView | undefined {
    const tcp = this.views.tcp;
    const start = ip.payloadStart;
    const length = ip.payloadEnd - start;
    if (tcp.point(ip.bytes, start, start + length) !== undefined) return undefined;
    const headerLength = tcp.headerLength;
    if (headerLength > length || !tcp.checksumValid(ip.pseudoHeaderSum(IpProtocol.TCP, length))) return undefined;
    const frame = this.nextFrame(input);
    const segment = tcpHeaderFromView(tcp);
    const payloadLength = length - headerLength;
    const source = ip.sourceNumber;
    const destination = ip.destinationNumber;
    const conversation = this.trackTcp(source, destination, segment, payloadLength, frame.number, frame.relativeNs);
    const http = httpStartOf(segment, conversation, ip.bytes, start + headerLength, start + length);
    return { frame, problems: NO_PROBLEMS, ipv4: this.summaryIpv4(ip, source, destination), tcp: { segment, conversation, payloadLength, checksum: CORRECT, http } };
  }

  /** A whole ICMP message with a right checksum, or undefined to decline. */
  private summarizeIcmp(input: FrameInput, ip: Ipv4View): SummaryView | undefined {
    const icmp = this.views.icmp;
    if (icmp.point(ip.bytes, ip.payloadStart, ip.payloadEnd) !== undefined || !icmp.checksumValid) return undefined;
    const frame = this.nextFrame(input);
    const message = icmpSummaryOf(icmp);
    const source = ip.sourceNumber;
    const destination = ip.destinationNumber;
    let requestFrame: number | undefined;
    if (message.kind === 'echo') {
      if (message.type === IcmpType.EchoRequest) {
        this.echoes.request(source, destination, message.identifier, message.sequence, frame.number, frame.relativeNs);
      } else {
        requestFrame = this.echoes.reply(source, destination, message.identifier, message.sequence)?.frame;
      }
    }
    return { frame, problems: NO_PROBLEMS, ipv4: this.summaryIpv4(ip, source, destination), icmp: { message, requestFrame, checksum: CORRECT } };
  }

  /** A whole UDP datagram whose length agrees with IP's and whose checksum is right or absent, or undefined to decline. */
  private summarizeUdp(input: FrameInput, ip: Ipv4View): SummaryView | undefined {
    const udp = this.views.udp;
    if (udp.point(ip.bytes, ip.payloadStart, ip.payloadEnd) !== undefined || !udp.lengthMatches) return undefined;
    let checksum = NOT_PRESENT;
    if (udp.checksum !== 0) {
      if (!udp.checksumValid(ip.pseudoHeaderSum(IpProtocol.UDP, udp.length))) return undefined;
      checksum = CORRECT;
    }
    const frame = this.nextFrame(input);
    const header = { sourcePort: udp.sourcePort, destinationPort: udp.destinationPort };
    return { frame, problems: NO_PROBLEMS, ipv4: this.summaryIpv4(ip, ip.sourceNumber, ip.destinationNumber), udp: { header, payloadLength: udp.payload.length, checksum } };
  }

  /**
   * The summary of a whole IPv6 packet carrying ICMPv6, TCP or UDP with a
   * right checksum, or of a fragment, or undefined to decline (the full
   * dissection then handles it: cut or wrong packets, odd lengths).
   */
  private summarizeIpv6(input: FrameInput): SummaryView | undefined {
    const ip = this.views.ip6;
    if (ip.point(input.data, this.link.payloadStart) !== undefined || ip.missingLength > 0 || ip.extensionError !== undefined) return undefined;
    if (ip.isFragment) {
      // Reassembly, and a first fragment dissected as far as it goes (reassembly off), are the full dissection's.
      if (this.fragments6 !== undefined || ip.fragmentOffset === 0) return undefined;
      // A later fragment's line shows its fragment header only.
      const frame = this.nextFrame(input);
      const source = this.ipv6Numbers.entryAt(ip.bytes, ip.sourceAt).text;
      const destination = this.ipv6Numbers.entryAt(ip.bytes, ip.destinationAt).text;
      const packet = { source, destination, hopLimit: ip.hopLimit, protocol: ip.upperLayerProtocol, extensionHeaders: ipv6ExtensionHeadersOf(ip) };
      return { frame, problems: NO_PROBLEMS, ipv6: { packet, isFragment: true } };
    }
    if (!ip.hasUpperLayerHeader) return undefined;
    const start = ip.upperLayerStart;
    const end = ip.payloadEnd;
    const length = end - start;
    switch (ip.upperLayerProtocol) {
      case IpProtocol.TCP: {
        const tcp = this.views.tcp;
        if (tcp.point(ip.bytes, start, end) !== undefined) return undefined;
        const headerLength = tcp.headerLength;
        if (headerLength > length || !tcp.checksumValid(ip.pseudoHeaderSum(IpProtocol.TCP, length))) return undefined;
        const frame = this.nextFrame(input);
        const segment = tcpHeaderFromView(tcp);
        const payloadLength = length - headerLength;
        const source = this.ipv6Numbers.entryAt(ip.bytes, ip.sourceAt);
        const destination = this.ipv6Numbers.entryAt(ip.bytes, ip.destinationAt);
        const conversation = this.trackTcp(source.number, destination.number, segment, payloadLength, frame.number, frame.relativeNs);
        return { frame, problems: NO_PROBLEMS, ipv6: this.summaryIpv6(ip, source.text, destination.text), tcp: { segment, conversation, payloadLength, checksum: CORRECT } };
      }
      case IpProtocol.UDP: {
        const udp = this.views.udp;
        if (udp.point(ip.bytes, start, end) !== undefined || !udp.lengthMatches || udp.checksum === 0) return undefined;
        if (!udp.checksumValid(ip.pseudoHeaderSum(IpProtocol.UDP, udp.length))) return undefined;
        const frame = this.nextFrame(input);
        const header = { sourcePort: udp.sourcePort, destinationPort: udp.destinationPort };
        const ipv6 = this.summaryIpv6(ip, this.ipv6Numbers.entryAt(ip.bytes, ip.sourceAt).text, this.ipv6Numbers.entryAt(ip.bytes, ip.destinationAt).text);
        return { frame, problems: NO_PROBLEMS, ipv6, udp: { header, payloadLength: udp.payload.length, checksum: CORRECT } };
      }
      case IpProtocol.ICMPv6: {
        const icmp = this.views.icmp6;
        if (icmp.point(ip.bytes, start, end) !== undefined || !icmp.checksumValid(ip.pseudoHeaderSum(IpProtocol.ICMPv6, length))) return undefined;
        const message = icmpv6SummaryOf(icmp, this.ipv6Numbers);
        if (message === undefined) return undefined;
        const frame = this.nextFrame(input);
        const source = this.ipv6Numbers.entryAt(ip.bytes, ip.sourceAt);
        const destination = this.ipv6Numbers.entryAt(ip.bytes, ip.destinationAt);
        const requestFrame = icmp.isEcho ? this.matchEcho6(source.number, destination.number, message as EchoFields, frame.number, frame.relativeNs)?.frame : undefined;
        return { frame, problems: NO_PROBLEMS, ipv6: this.summaryIpv6(ip, source.text, destination.text), icmpv6: { message, requestFrame, checksum: CORRECT } };
      }
      default:
        return undefined;
    }
  }

  private summaryIpv6(ip: Ipv6View, source: string, destination: string): NonNullable<SummaryView['ipv6']> {
    const extensionHeaders = ip.extensionCount === 0 ? NO_EXTENSION_HEADERS : ipv6ExtensionHeadersOf(ip);
    return { packet: { source, destination, hopLimit: ip.hopLimit, protocol: ip.upperLayerProtocol, extensionHeaders }, isFragment: false };
  }

  /** An ICMPv6 echo into the matcher: a request is remembered, a reply gets its request (if seen). */
  private matchEcho6(source: number, destination: number, message: EchoFields, frame: number, timeNs: number) {
    if (message.type === Icmpv6Type.EchoRequest) {
      this.echoes6.request(source, destination, message.identifier, message.sequence, frame, timeNs);
      return undefined;
    }
    return this.echoes6.reply(source, destination, message.identifier, message.sequence);
  }

  /** One segment into the conversation tracker, from the summary path or the full dissection alike. */
  private trackTcp(source: number, destination: number, segment: TrackedTcpFields, payloadLength: number, frame: number, timeNs: number) {
    return this.tcp.track({
      source,
      sourcePort: segment.sourcePort,
      destination,
      destinationPort: segment.destinationPort,
      sequenceNumber: segment.sequenceNumber,
      acknowledgmentNumber: segment.acknowledgmentNumber,
      flags: segment.flags,
      window: segment.window,
      windowScaleOption: windowScaleOf(segment.options),
      payloadLength,
      frame,
      timeNs,
      options: segment.options,
    });
  }

  private summaryIpv4(ip: Ipv4View, source: number, destination: number): NonNullable<SummaryView['ipv4']> {
    const packet = {
      source: this.dottedQuad(source, ip, true),
      destination: this.dottedQuad(destination, ip, false),
      ttl: ip.ttl,
      protocol: ip.protocol,
      identification: ip.identification,
      fragmentOffset: 0,
    };
    return { packet, isFragment: false, checksum: CORRECT };
  }

  private dottedQuad(address: number, ip: Ipv4View, source: boolean): string {
    let text = this.addressText.get(address);
    if (text === undefined) {
      if (this.addressText.size >= ADDRESS_TEXT_MAX) this.addressText.clear();
      text = source ? ip.source : ip.destination;
      this.addressText.set(address, text);
    }
    return text;
  }

  /** Dissects the next frame of the file; frames must come in capture order. */
  dissect(input: FrameInput): DissectedPacket {
    const frame = this.nextFrame(input);
    const { number, relativeNs, nanoseconds: fractionNs } = frame;
    const data = input.data;
    const problems: ParseError[] = [];
    if (input.capturedLength < input.originalLength) {
      problems.push({
        kind: 'truncated',
        layer: 'frame',
        message: `captured ${input.capturedLength} of ${input.originalLength} bytes (cut by the snaplen)`,
      });
    }
    const layers = noLayers();
    let link: LinkLayer | undefined;
    let arp: ArpLayer | undefined;

    const linkResult = decodeLinkLayer(input.linkType, data);
    if (!linkResult.ok) {
      problems.push(linkResult.error);
    } else {
      const linkFrame = linkResult.value;
      link = { frame: linkFrame, headerLength: data.length - linkFrame.payload.length };
      const offset = link.headerLength;
      if (linkFrame.protocol === ETHERTYPE.IPV4 || linkFrame.protocol === ETHERTYPE.IPV6) {
        const context: IpContext = {
          quoted: false,
          views: this.views,
          frameNumber: number,
          timeNs: relativeNs,
          frameSeconds: input.timestampSeconds,
          frameFractionNs: fractionNs,
        };
        if (linkFrame.protocol === ETHERTYPE.IPV4) this.dissectIpv4(data, offset, data.length, context, problems, layers);
        else this.dissectIpv6(data, offset, data.length, context, problems, layers);
      } else if (linkFrame.protocol === ETHERTYPE.ARP) {
        const result = parseArp(linkFrame.payload);
        if (result.ok) arp = { offset, packet: result.value };
        else problems.push(result.error);
      }
    }
    return {
      frame,
      data,
      link,
      ipv4: layers.ipv4,
      ipv6: layers.ipv6,
      icmp: layers.icmp,
      icmpv6: layers.icmpv6,
      tcp: layers.tcp,
      udp: layers.udp,
      arp,
      problems,
    };
  }

  /**
   * The IPv4 datagram at data[start, end) and what it carries. `known`: the
   * datagram already parsed, as an ICMP error's quote is by parseIcmp.
   */
  private dissectIpv4(
    data: Uint8Array,
    start: number,
    end: number,
    context: IpContext,
    problems: ParseError[],
    out: IpLayers,
    known?: Ipv4Packet,
  ): void {
    const { ip } = context.views;
    const error = ip.point(data, start, end);
    if (error !== undefined) {
      problems.push(error);
      return;
    }
    const packet = known ?? ipv4PacketFromView(ip);
    const headerLength = ip.headerLength;
    const isFragment = ip.isFragment;
    const missingLength = ip.missingLength;
    out.ipv4 = {
      offset: start,
      packet,
      headerLength,
      checksum: ip.checksumVerdict({ knownValid: packet.checksumValid }),
      missingLength,
      isFragment,
    };
    if (missingLength > 0 && !context.quoted) {
      problems.push({
        kind: 'truncated',
        layer: 'ipv4',
        message: `total length ${packet.totalLength}, ${missingLength} bytes missing`,
      });
    }
    // A first fragment without reassembly is dissected as far as it goes, as tshark does with ip.defragment off.
    const partialFirst = isFragment && this.fragments === undefined && packet.fragmentOffset === 0 && !context.quoted;
    if (isFragment && !partialFirst) {
      if (!context.quoted && this.fragments !== undefined && missingLength === 0) this.reassemble(packet, context, problems, out);
      return;
    }
    const transportStart = ip.payloadStart;
    const transportEnd = ip.payloadEnd;
    const complete = missingLength === 0 && !partialFirst;
    const reason = context.quoted ? SHORT_QUOTE : partialFirst ? FIRST_FRAGMENT : CUT_BY_SNAPLEN;
    // What the IP header says the transport layer takes, captured or not.
    const transportLength = ip.totalLength - headerLength;

    switch (ip.protocol) {
      case IpProtocol.ICMP:
        out.icmp = this.dissectIcmp(data, transportStart, transportEnd, complete, reason, context, problems);
        return;
      case IpProtocol.TCP: {
        // Like a quote, a lone first fragment's length says nothing about the segment: tshark leaves it out of the analysis.
        const tracked = context.quoted || partialFirst ? undefined : { source: ip.sourceNumber, destination: ip.destinationNumber };
        const pseudoSum = ip.pseudoHeaderSum(IpProtocol.TCP, transportLength);
        out.tcp = this.dissectTcp(data, transportStart, transportEnd, transportLength, pseudoSum, tracked, complete, reason, context, problems, true);
        return;
      }
      case IpProtocol.UDP:
        out.udp = this.dissectUdp(data, transportStart, transportEnd, transportLength, ip, complete, reason, context, problems);
        return;
      default:
        return;
    }
  }

  /**
   * The IPv6 packet at data[start, end), its extension headers and what it
   * carries. A fragment stops at the fragment header (no reassembly here).
   */
  private dissectIpv6(data: Uint8Array, start: number, end: number, context: IpContext, problems: ParseError[], out: IpLayers): void {
    const { ip6: ip } = context.views;
    const error = ip.point(data, start, end);
    if (error !== undefined) {
      problems.push(error);
      return;
    }
    const packet = ipv6PacketFromView(ip);
    const extensionOffsets: number[] = [];
    for (let i = 0; i < ip.extensionCount; i++) extensionOffsets.push(ip.extensionStarts[i]);
    const missingLength = ip.missingLength;
    const isFragment = ip.isFragment;
    out.ipv6 = { offset: start, packet, headerLength: ip.upperLayerStart - start, extensionOffsets, missingLength, isFragment };
    if (context.quoted) {
      if (ip.extensionError !== undefined) return;
    } else {
      if (missingLength > 0) {
        problems.push({ kind: 'truncated', layer: 'ipv6', message: `payload length ${packet.payloadLength}, ${missingLength} bytes missing` });
      }
      if (ip.extensionError !== undefined) {
        problems.push(ip.extensionError);
        return;
      }
    }
    // A first fragment without reassembly is dissected as far as it goes, as tshark does with ipv6.defragment off.
    const partialFirst = isFragment && this.fragments6 === undefined && ip.fragmentOffset === 0 && !context.quoted;
    if (isFragment && !partialFirst) {
      if (!context.quoted && this.fragments6 !== undefined && missingLength === 0) this.reassembleIpv6(packet, context, problems, out);
      return;
    }
    if (!ip.hasUpperLayerHeader) return;
    const transportStart = ip.upperLayerStart;
    const transportEnd = ip.payloadEnd;
    const complete = missingLength === 0 && !partialFirst;
    const reason = context.quoted ? SHORT_QUOTE : partialFirst ? FIRST_FRAGMENT : CUT_BY_SNAPLEN;
    // What the payload length says the upper layer takes, captured or not.
    const transportLength = start + IPV6_HEADER_LENGTH + packet.payloadLength - transportStart;
    switch (ip.upperLayerProtocol) {
      case IpProtocol.ICMPv6:
        out.icmpv6 = this.dissectIcmpv6(data, transportStart, transportEnd, transportLength, complete, reason, context, problems);
        return;
      case IpProtocol.TCP: {
        // Like a quote, a lone first fragment's length says nothing about the segment: tshark leaves it out of the analysis.
        const tracked =
          context.quoted || partialFirst
            ? undefined
            : { source: this.ipv6Numbers.entryAt(ip.bytes, ip.sourceAt).number, destination: this.ipv6Numbers.entryAt(ip.bytes, ip.destinationAt).number };
        const pseudoSum = ip.pseudoHeaderSum(IpProtocol.TCP, transportLength);
        out.tcp = this.dissectTcp(data, transportStart, transportEnd, transportLength, pseudoSum, tracked, complete, reason, context, problems, false);
        return;
      }
      case IpProtocol.UDP:
        out.udp = this.dissectUdp(data, transportStart, transportEnd, transportLength, ip, complete, reason, context, problems);
        return;
      default:
        return;
    }
  }

  /** The ICMPv6 message at data[start, end); reads the IPv6 view of its context for the checksum and the echo pair. */
  private dissectIcmpv6(
    data: Uint8Array,
    start: number,
    end: number,
    fullLength: number,
    complete: boolean,
    incompleteReason: string,
    context: IpContext,
    problems: ParseError[],
  ): Icmpv6Layer | undefined {
    const { ip6: ip, icmp6: icmp } = context.views;
    const error = icmp.point(data, start, end);
    if (error !== undefined) {
      if (!context.quoted) problems.push(error);
      return undefined;
    }
    // Everything read through the views comes before the quote is dissected, which re-points the quote's views.
    const checksum = icmp.checksumVerdict(ip.pseudoHeaderSum(IpProtocol.ICMPv6, fullLength), { complete, reason: incompleteReason });
    const result = parseIcmpv6(icmp.slice());
    if (!result.ok) {
      if (!context.quoted) problems.push(result.error);
      return undefined;
    }
    const message = result.value;
    const length = icmp.length;
    let dataLength = 0;
    let quoted: QuotedIpv6Layers | undefined;
    let requestFrame: number | undefined;
    let responseTimeNs: number | undefined;
    switch (message.kind) {
      case 'echo': {
        dataLength = length - ICMPV6_HEADER_LENGTH;
        if (!context.quoted) {
          const from = this.ipv6Numbers.entryAt(ip.bytes, ip.sourceAt).number;
          const to = this.ipv6Numbers.entryAt(ip.bytes, ip.destinationAt).number;
          const request = this.matchEcho6(from, to, message, context.frameNumber, context.timeNs);
          if (request) {
            requestFrame = request.frame;
            responseTimeNs = context.timeNs - request.timeNs;
          }
        }
        break;
      }
      case 'destination-unreachable':
      case 'packet-too-big':
      case 'time-exceeded':
      case 'parameter-problem': {
        // An error: dissect what it quotes, without touching the trackers.
        if (message.original.length === 0) break;
        const inner = noLayers();
        const quotedContext: IpContext = { ...context, quoted: true, views: this.quotedViews };
        this.dissectIpv6(data, icmp.bodyStart, end, quotedContext, [], inner);
        if (inner.ipv6) {
          quoted = {
            ipv6: inner.ipv6,
            icmpv6: inner.icmpv6,
            tcp: inner.tcp,
            udp: inner.udp,
            transport: message.quoted.ok ? message.quoted.value.transport : undefined,
          };
        } else {
          dataLength = message.original.length;
        }
        break;
      }
      case 'other':
        dataLength = length - ICMPV6_HEADER_LENGTH;
        break;
      default:
        break;
    }
    return { offset: start, length, message, checksum, quoted, dataOffset: ICMPV6_HEADER_LENGTH, dataLength, requestFrame, responseTimeNs };
  }

  /**
   * Adds an IPv4 fragment to the reassembler; when it completes its datagram,
   * dissects the rebuilt datagram's transport layer into `out` (its IPv4
   * layer stays the fragment's) and records the fragments there.
   */
  private reassemble(fragment: Ipv4Packet, context: IpContext, problems: ParseError[], out: IpLayers): void {
    const key = `${fragment.source}|${fragment.destination}|${fragment.protocol}|${fragment.identification}`;
    const moreFragments = fragment.flags.moreFragments;
    const whole = this.fragments!.add(key, fragment.fragmentOffset * 8, fragment.payload, moreFragments, context.frameNumber, context.timeNs);
    if (whole === undefined) return;
    const datagram = buildIpv4(
      {
        ihl: fragment.ihl,
        dscp: fragment.dscp,
        ecn: fragment.ecn,
        identification: fragment.identification,
        flags: { reserved: fragment.flags.reserved, dontFragment: fragment.flags.dontFragment, moreFragments: false },
        fragmentOffset: 0,
        ttl: fragment.ttl,
        protocol: fragment.protocol,
        source: fragment.source,
        destination: fragment.destination,
        options: fragment.options,
      },
      whole.payload,
    );
    const inner = noLayers();
    this.dissectIpv4(datagram, 0, datagram.length, { ...context, views: this.reassembledViews }, problems, inner);
    if (inner.ipv4 === undefined || out.ipv4 === undefined) return;
    out.ipv4 = { ...out.ipv4, reassembled: { fragments: whole.fragments, datagram, ip: inner.ipv4 } };
    out.icmp = inner.icmp;
    out.tcp = inner.tcp;
    out.udp = inner.udp;
  }

  /**
   * Adds an IPv6 fragment to the reassembler; when it completes its packet,
   * dissects the rebuilt packet's upper layer into `out` (its IPv6 layer
   * stays the fragment's) and records the fragments there. Reads the IPv6
   * view of `context`, still pointed at the fragment.
   */
  private reassembleIpv6(fragment: Ipv6Packet, context: IpContext, problems: ParseError[], out: IpLayers): void {
    const ip = context.views.ip6;
    const key = `${fragment.source}|${fragment.destination}|${ip.fragmentIdentification}`;
    const offset = ip.fragmentOffset * 8;
    const head = offset === 0 ? unfragmentablePart(fragment, ip.fragmentNextHeader) : undefined;
    const whole = this.fragments6!.add(key, offset, ip.fragmentData, ip.moreFragments, context.frameNumber, context.timeNs, head);
    if (whole?.head === undefined) return;
    // The unfragmentable part and the data must fit the payload length field (no jumbograms).
    const payloadOffset = ipv6HeaderLength(whole.head);
    if (payloadOffset - IPV6_HEADER_LENGTH + whole.payload.length > 0xffff) return;
    const datagram = buildIpv6(whole.head, whole.payload);
    const inner = noLayers();
    this.dissectIpv6(datagram, 0, datagram.length, { ...context, views: this.reassembledViews }, problems, inner);
    if (inner.ipv6 === undefined || out.ipv6 === undefined) return;
    out.ipv6 = { ...out.ipv6, reassembled: { fragments: whole.fragments, datagram, ip: inner.ipv6, payloadOffset } };
    out.icmpv6 = inner.icmpv6;
    out.tcp = inner.tcp;
    out.udp = inner.udp;
  }

  /**
   * The TCP segment at data[start, end) of an IPv4 or IPv6 packet whose IP
   * layer says the segment takes `fullLength` bytes. `tracked` gives the
   * endpoint numbers when the segment goes into the conversation tracker
   * (not for quotes or lone first fragments). HTTP lines are looked for over
   * IPv4 only, as before.
   */
  /**
   * The UDP datagram at data[start, end) carried by `ip` (an IPv4 or IPv6
   * view, for the pseudo-header) in `fullLength` bytes of IP payload.
   */
  private dissectUdp(
    data: Uint8Array,
    start: number,
    end: number,
    fullLength: number,
    ip: Ipv4View | Ipv6View,
    complete: boolean,
    incompleteReason: string,
    context: IpContext,
    problems: ParseError[],
  ): UdpLayer | undefined {
    const udp = context.views.udp;
    const udpError = udp.point(data, start, end);
    if (udpError !== undefined) {
      if (!context.quoted) problems.push(udpError);
      return undefined;
    }
    const header = udpDatagramFromView(udp);
    const ipv6 = ip instanceof Ipv6View;
    // A zero checksum is not allowed over IPv6 (RFC 8200 8.1): the view says 'incorrect' for it.
    const checksum: ChecksumVerdict =
      header.length !== fullLength && header.checksum !== 0
        ? {
            stored: header.checksum,
            status: 'unverified',
            reason: `the UDP length ${header.length} disagrees with the ${ipv6 ? 'IPv6 payload' : 'IP'} length ${fullLength}`,
          }
        : udp.checksumVerdict(ip.pseudoHeaderSum(IpProtocol.UDP, header.length), { complete, reason: incompleteReason, ipv6 });
    return { offset: start, header, checksum, payloadLength: Math.max(0, header.length - UDP_HEADER_LENGTH) };
  }

  private dissectTcp(
    data: Uint8Array,
    start: number,
    end: number,
    fullLength: number,
    pseudoHeaderSum: number,
    tracked: { source: number; destination: number } | undefined,
    complete: boolean,
    incompleteReason: string,
    context: IpContext,
    problems: ParseError[],
    withHttp: boolean,
  ): TcpLayer | undefined {
    const tcp = context.views.tcp;
    const tcpError = tcp.point(data, start, end);
    if (tcpError !== undefined) {
      if (!context.quoted) problems.push(tcpError);
      return undefined;
    }
    // A header cut by the snaplen (or a short quote) still shows what was captured, as Wireshark does.
    if (!tcp.headerComplete && complete) {
      if (!context.quoted) {
        const captured = tcp.length;
        problems.push({ kind: 'truncated', layer: 'tcp', message: `data offset says ${tcp.headerLength} header bytes, have ${captured}`, offset: captured });
      }
      return undefined;
    }
    const segment = tcpSegmentFromView(tcp);
    const payloadLength = Math.max(0, fullLength - tcp.headerLength);
    const checksum = tcp.checksumVerdict(pseudoHeaderSum, { complete, reason: incompleteReason });
    const conversation = tracked && this.trackTcp(tracked.source, tracked.destination, segment, payloadLength, context.frameNumber, context.timeNs);
    if (!withHttp) return { offset: start, segment, checksum, payloadLength, conversation };
    const http = context.quoted ? undefined : httpStartOf(segment, conversation, data, start + tcp.headerLength, end);
    return { offset: start, segment, checksum, payloadLength, conversation, http };
  }

  /** The ICMP message at data[start, end); reads the IPv4 view of its context for the echo pair's addresses. */
  private dissectIcmp(
    data: Uint8Array,
    start: number,
    end: number,
    complete: boolean,
    incompleteReason: string,
    context: IpContext,
    problems: ParseError[],
  ): IcmpLayer | undefined {
    const { ip, icmp } = context.views;
    const error = icmp.point(data, start, end);
    if (error !== undefined) {
      if (!context.quoted) problems.push(error);
      return undefined;
    }
    const result = parseIcmp(icmp.slice());
    if (!result.ok) {
      if (!context.quoted) problems.push(result.error);
      return undefined;
    }
    const message = result.value;
    // Everything read through the views comes before the quote is dissected, which re-points the quote's views.
    const checksum = icmp.checksumVerdict({ complete, reason: incompleteReason, knownValid: message.checksumValid });
    const length = icmp.length;
    let dataOffset = ICMP_HEADER_LENGTH;
    let dataLength = length - ICMP_HEADER_LENGTH;
    let echoTimestamp: EchoDataTimestamp | undefined;
    let quoted: QuotedDatagramLayers | undefined;
    let requestFrame: number | undefined;
    let responseTimeNs: number | undefined;

    switch (message.kind) {
      case 'echo': {
        echoTimestamp = findEchoTimestamp(icmp, context);
        if (echoTimestamp) {
          dataOffset = ECHO_TIMESTAMP_END;
          dataLength -= 8;
        }
        if (!context.quoted) {
          const source = ip.sourceNumber;
          const destination = ip.destinationNumber;
          if (message.type === IcmpType.EchoRequest) {
            this.echoes.request(source, destination, message.identifier, message.sequence, context.frameNumber, context.timeNs);
          } else {
            const request = this.echoes.reply(source, destination, message.identifier, message.sequence);
            if (request) {
              requestFrame = request.frame;
              responseTimeNs = context.timeNs - request.timeNs;
            }
          }
        }
        break;
      }
      case 'timestamp':
        dataLength = 0;
        break;
      case 'other':
        break;
      default: {
        // An error: dissect what it quotes, without touching the trackers.
        dataLength = 0;
        if (message.original.length > 0) {
          const inner = noLayers();
          const quotedContext: IpContext = {
            quoted: true,
            views: this.quotedViews,
            frameNumber: context.frameNumber,
            timeNs: context.timeNs,
            frameSeconds: context.frameSeconds,
            frameFractionNs: context.frameFractionNs,
          };
          const known = message.quoted.ok ? message.quoted.value.ip : undefined;
          this.dissectIpv4(data, icmp.bodyStart, end, quotedContext, [], inner, known);
          if (inner.ipv4) {
            quoted = {
              ip: inner.ipv4,
              icmp: inner.icmp,
              tcp: inner.tcp,
              udp: inner.udp,
              transport: message.quoted.ok ? message.quoted.value.transport : undefined,
            };
          } else {
            dataLength = message.original.length;
          }
        }
      }
    }
    return {
      offset: start,
      length,
      message,
      checksum,
      quoted,
      echoTimestamp,
      dataOffset,
      dataLength: Math.max(0, dataLength),
      requestFrame,
      responseTimeNs,
    };
  }
}

interface EchoFields {
  readonly type: number;
  readonly identifier: number;
  readonly sequence: number;
}

/** Where NS/NA options start (RFC 4861 4.3, 4.4): after the 16-byte target. */
const NEIGHBOR_OPTIONS_AT = 24;
const ROUTER_SOLICITATION_OPTIONS_AT = 8;
const ROUTER_ADVERTISEMENT_OPTIONS_AT = 16;

/**
 * What the summary line shows of an ICMPv6 message, read through its view;
 * undefined for what the full dissection should handle (a short NDP message).
 * An NDP target's text comes from the capture's address table, like the
 * packet's own addresses, rather than being formatted for every message.
 */
function icmpv6SummaryOf(icmp: Icmpv6View, addresses: Ipv6AddressNumbers): Icmpv6SummaryMessage | undefined {
  const type = icmp.type;
  const code = icmp.code;
  const length = icmp.length;
  switch (type) {
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      return { type, code, identifier: icmp.identifier, sequence: icmp.sequence };
    case Icmpv6Type.RouterSolicitation:
    case Icmpv6Type.RouterAdvertisement: {
      const at = type === Icmpv6Type.RouterSolicitation ? ROUTER_SOLICITATION_OPTIONS_AT : ROUTER_ADVERTISEMENT_OPTIONS_AT;
      if (length < at) return undefined;
      return { type, code, options: parseNdpOptions(icmp.bytes, icmp.start + at, icmp.end) };
    }
    case Icmpv6Type.NeighborSolicitation:
    case Icmpv6Type.NeighborAdvertisement: {
      if (length < NEIGHBOR_OPTIONS_AT) return undefined;
      const word = icmp.restOfHeader;
      const options = parseNdpOptions(icmp.bytes, icmp.start + NEIGHBOR_OPTIONS_AT, icmp.end);
      const target = addresses.entryAt(icmp.bytes, icmp.start + Icmpv6Field.TARGET).text;
      if (type === Icmpv6Type.NeighborSolicitation) return { type, code, target, options };
      return { type, code, target, router: (word & 0x8000_0000) !== 0, solicited: (word & 0x4000_0000) !== 0, override: (word & 0x2000_0000) !== 0, options };
    }
    default:
      return { type, code };
  }
}

/**
 * The HTTP message a segment's captured payload data[start, end) starts, on
 * tshark's HTTP ports, unless tshark keeps the segment from HTTP (a
 * retransmission, out-of-order segment or keep-alive).
 */
function httpStartOf(segment: { sourcePort: number; destinationPort: number }, conversation: TcpConversationView | undefined, data: Uint8Array, start: number, end: number): HttpMessageStart | undefined {
  if (end <= start || !isHttpPort(segment.sourcePort, segment.destinationPort)) return undefined;
  if (conversation?.analysis && conversation.analysis.flags & NOT_FOR_SUBDISSECTORS) return undefined;
  return httpMessageStart(data.subarray(start, end));
}

const NOT_FOR_SUBDISSECTORS = TcpAnalysisFlag.RETRANSMISSION | TcpAnalysisFlag.OUT_OF_ORDER | TcpAnalysisFlag.KEEP_ALIVE;

/** The window scale option's shift, the last one when a segment has several. */
function windowScaleOf(options: readonly TcpOption[]): number | undefined {
  let shift: number | undefined;
  for (let i = 0; i < options.length; i++) {
    const option = options[i];
    if (option.kind === 'window-scale') shift = option.shift;
  }
  return shift;
}

/** What the summary line shows of an ICMP message, read through its view (kinds as parseIcmp names them). */
function icmpSummaryOf(icmp: IcmpView): IcmpSummaryMessage {
  const kind = icmp.kind;
  const type = icmp.type;
  const code = icmp.code;
  if (kind === 'echo' || kind === 'timestamp') return { kind, type, code, identifier: icmp.identifier, sequence: icmp.sequence };
  if (kind === 'other') return { kind, type, code, restOfHeader: icmp.restOfHeaderBytes };
  return { kind, type, code };
}

function fractionToNs(fraction: number, perSecond: number): number {
  if (perSecond === 1e9) return fraction;
  if (perSecond === 1e6) return fraction * 1000;
  return Math.floor((fraction * 1e9) / perSecond);
}

/**
 * Wireshark's heuristic (packet-icmp.c): the first 8 data bytes as a 32-bit
 * seconds and a 32-bit microseconds field, big-endian, else little-endian,
 * taken as a timestamp when within a day of the frame's time.
 */
function findEchoTimestamp(icmp: IcmpView, context: IpContext): EchoDataTimestamp | undefined {
  if (icmp.length < ECHO_TIMESTAMP_END) return undefined;
  for (let pass = 0; pass < 2; pass++) {
    const littleEndian = pass === 1;
    const seconds = icmp.bodyUint32(0, littleEndian);
    const microseconds = icmp.bodyUint32(4, littleEndian);
    const difference = (seconds - context.frameSeconds) | 0; // C's int arithmetic on the 32-bit values
    if (Math.abs(difference) < ONE_DAY_SECONDS && microseconds < 1_000_000) {
      const relativeNs = (context.frameSeconds - seconds) * 1e9 + (context.frameFractionNs - microseconds * 1000);
      return { seconds, microseconds, littleEndian, relativeNs };
    }
  }
  return undefined;
}

/**
 * The header a reassembled IPv6 packet gets from its first fragment (RFC
 * 8200 4.5): the fixed header and the extension headers before the fragment
 * header, the chain continuing with the fragment header's next header.
 * Copied: the frame's bytes do not outlive it.
 */
function unfragmentablePart(first: Ipv6Packet, nextHeader: number): Ipv6HeaderInit {
  const fragmentIndex = first.extensionHeaders.findIndex((header) => header.kind === 'fragment');
  return {
    trafficClass: first.trafficClass,
    flowLabel: first.flowLabel,
    hopLimit: first.hopLimit,
    source: first.source,
    destination: first.destination,
    extensionHeaders: first.extensionHeaders.slice(0, fragmentIndex).map(copyExtensionHeader),
    protocol: nextHeader,
  };
}

/** An extension header with its bytes copied and its next header left to the builder's chain. */
function copyExtensionHeader(header: Ipv6ExtensionHeader): Ipv6ExtensionHeaderInit {
  switch (header.kind) {
    case 'hop-by-hop':
    case 'destination-options':
      return { kind: header.kind, headerExtLength: header.headerExtLength, options: header.options.slice() };
    case 'routing':
      return { kind: 'routing', headerExtLength: header.headerExtLength, routingType: header.routingType, segmentsLeft: header.segmentsLeft, data: header.data.slice() };
    case 'authentication':
      return { kind: 'authentication', payloadLength: header.payloadLength, reserved: header.reserved, spi: header.spi, sequence: header.sequence, integrityCheckValue: header.integrityCheckValue.slice() };
    case 'raw':
      return { kind: 'raw', type: header.type, bytes: header.bytes.slice() };
    case 'fragment':
      return { ...header };
  }
}
