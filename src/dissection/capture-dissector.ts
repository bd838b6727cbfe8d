// Turns captured frames into DissectedPackets, one file at a time: link
// layer, IPv4, then ICMP (with the datagram an error quotes), TCP, UDP or ARP
// (dissect), or into the lighter SummaryView a summary line needs (summarize).
// Pure: it never reads a file and never throws on packet bytes. State that
// spans packets (the first frame's time, TCP conversations, echo requests)
// lives in one CaptureDissector per file, as Wireshark keeps it per capture.

import { ETHERTYPE } from '../wire/ethernet.ts';
import { read16, read32 } from '../wire/header-fields.ts';
import { IcmpType, parseIcmp } from '../wire/icmp.ts';
import { IpProtocol, type Ipv4Packet, parseIpv4 } from '../wire/ipv4.ts';
import { decodeLinkLayer } from '../wire/link-type.ts';
import { type ParseError, type ParseResult, parsed } from '../wire/parse-result.ts';
import { parseTcp } from '../wire/tcp.ts';
import { parseArp } from './arp-packet.ts';
import { checkChecksum } from './checksum-checks.ts';
import { EchoRequestMatcher } from './echo-matching.ts';
import type {
  ArpLayer,
  DissectedPacket,
  EchoDataTimestamp,
  FrameLayer,
  IcmpLayer,
  Ipv4Layer,
  LinkLayer,
  QuotedDatagramLayers,
  SummaryView,
  TcpLayer,
  UdpLayer,
} from './packet-model.ts';
import { TcpConversationTracker } from './tcp-conversations.ts';
import { parseCutTcpHeader } from './cut-tcp-header.ts';
import { CORRECT, decodeForSummary, ipv4OffsetForSummary } from './summary-decoder.ts';
import { parseUdpHeader } from './udp-header.ts';

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

/** Wireshark's test for a timeval at the start of echo data: within a day of the frame, µs below a million. */
const ONE_DAY_SECONDS = 86400;

interface IpContext {
  /** Dissecting the datagram an ICMP error quotes: no trackers, no echo matching. */
  readonly quoted: boolean;
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
  icmp: IcmpLayer | undefined;
  tcp: TcpLayer | undefined;
  udp: UdpLayer | undefined;
}

export class CaptureDissector {
  private frames = 0;
  private firstSeconds = 0;
  private firstFractionNs = 0;
  private readonly tcp = new TcpConversationTracker();
  private readonly echoes = new EchoRequestMatcher();

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
   * well-formed packets take the fast path (summary-decoder.ts); any other
   * goes through dissect(). Either way the trackers see the packet, so
   * summarize() and dissect() can be mixed in one file.
   */
  summarize(input: FrameInput): SummaryView {
    if (input.capturedLength !== input.originalLength) return this.dissect(input);
    const offset = ipv4OffsetForSummary(input.linkType, input.data);
    const decoded = offset < 0 ? undefined : decodeForSummary(input.data, offset);
    if (decoded === undefined) return this.dissect(input);
    const frame = this.nextFrame(input);
    const { ip } = decoded;
    const ipv4 = { packet: ip, isFragment: false, checksum: CORRECT };
    if (decoded.tcp) {
      const t = decoded.tcp;
      const conversation = this.tcp.track({
        source: ip.sourceNumber,
        sourcePort: t.sourcePort,
        destination: ip.destinationNumber,
        destinationPort: t.destinationPort,
        sequenceNumber: t.sequenceNumber,
        acknowledgmentNumber: t.acknowledgmentNumber,
        flags: t.flags,
        window: t.window,
        windowScaleOption: t.windowScaleOption,
        payloadLength: t.payloadLength,
      });
      return { frame, problems: NO_PROBLEMS, ipv4, tcp: { segment: t, conversation, payloadLength: t.payloadLength, checksum: CORRECT } };
    }
    if (decoded.icmp) {
      const message = decoded.icmp;
      let requestFrame: number | undefined;
      if (message.kind === 'echo') {
        if (message.type === IcmpType.EchoRequest) {
          this.echoes.request(ip.sourceNumber, ip.destinationNumber, message.identifier, message.sequence, frame.number, frame.relativeNs);
        } else {
          requestFrame = this.echoes.reply(ip.sourceNumber, ip.destinationNumber, message.identifier, message.sequence)?.frame;
        }
      }
      return { frame, problems: NO_PROBLEMS, ipv4, icmp: { message, requestFrame, checksum: CORRECT } };
    }
    const u = decoded.udp!;
    return { frame, problems: NO_PROBLEMS, ipv4, udp: { header: u, payloadLength: u.payloadLength, checksum: u.checksum } };
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
    const layers: IpLayers = { ipv4: undefined, icmp: undefined, tcp: undefined, udp: undefined };
    let link: LinkLayer | undefined;
    let arp: ArpLayer | undefined;

    const linkResult = decodeLinkLayer(input.linkType, data);
    if (!linkResult.ok) {
      problems.push(linkResult.error);
    } else {
      const linkFrame = linkResult.value;
      link = { frame: linkFrame, headerLength: data.length - linkFrame.payload.length };
      const offset = link.headerLength;
      if (linkFrame.protocol === ETHERTYPE.IPV4) {
        const context: IpContext = {
          quoted: false,
          frameNumber: number,
          timeNs: relativeNs,
          frameSeconds: input.timestampSeconds,
          frameFractionNs: fractionNs,
        };
        this.dissectIpv4(linkFrame.payload, offset, context, problems, layers);
      } else if (linkFrame.protocol === ETHERTYPE.ARP) {
        const result = parseArp(linkFrame.payload);
        if (result.ok) arp = { offset, packet: result.value };
        else problems.push(result.error);
      }
    }
    return { frame, data, link, ipv4: layers.ipv4, icmp: layers.icmp, tcp: layers.tcp, udp: layers.udp, arp, problems };
  }

  /** `ipResult`: the datagram already parsed, as an ICMP error's quote is by parseIcmp. */
  private dissectIpv4(
    bytes: Uint8Array,
    offset: number,
    context: IpContext,
    problems: ParseError[],
    out: IpLayers,
    ipResult: ParseResult<Ipv4Packet> = parseIpv4(bytes, { allowTruncatedPayload: true }),
  ): void {
    if (!ipResult.ok) {
      problems.push(ipResult.error);
      return;
    }
    const packet = ipResult.value;
    const headerLength = packet.ihl * 4;
    const isFragment = packet.flags.moreFragments || packet.fragmentOffset !== 0;
    const ipv4: Ipv4Layer = {
      offset,
      packet,
      headerLength,
      checksum: checkChecksum(bytes, 0, headerLength, 10, { knownValid: packet.checksumValid }),
      missingLength: packet.missingLength,
      isFragment,
    };
    out.ipv4 = ipv4;
    if (packet.missingLength > 0 && !context.quoted) {
      problems.push({
        kind: 'truncated',
        layer: 'ipv4',
        message: `total length ${packet.totalLength}, ${packet.missingLength} bytes missing`,
      });
    }
    // Only a first fragment holding the whole datagram is dissected further (no reassembly here).
    if (isFragment) return;
    const transportOffset = offset + headerLength;
    const complete = packet.missingLength === 0;
    const incompleteReason = context.quoted ? SHORT_QUOTE : CUT_BY_SNAPLEN;
    const transport = packet.payload;

    switch (packet.protocol) {
      case IpProtocol.ICMP:
        out.icmp = this.dissectIcmp(transport, transportOffset, bytes, complete, incompleteReason, context, problems);
        return;
      case IpProtocol.TCP: {
        const tcpResult = parseTcp(transport);
        // A header cut by the snaplen (or a short quote) still shows what was captured.
        const segment = tcpResult.ok ? tcpResult.value : complete ? undefined : parseCutTcpHeader(transport);
        if (segment === undefined) {
          if (!tcpResult.ok && !context.quoted) problems.push(tcpResult.error);
          return;
        }
        const tcpLength = packet.totalLength - headerLength;
        const pseudoHeaderSum = pseudoHeaderSumOf(bytes, IpProtocol.TCP, tcpLength);
        const payloadLength = Math.max(0, tcpLength - segment.headerLength);
        const checksum = checkChecksum(transport, 0, transport.length, 16, { pseudoHeaderSum, complete, reason: incompleteReason });
        let windowScaleOption: number | undefined;
        for (const option of segment.options) if (option.kind === 'window-scale') windowScaleOption = option.shift;
        const conversation = context.quoted
          ? undefined
          : this.tcp.track({
              source: read32(bytes, 12),
              sourcePort: segment.sourcePort,
              destination: read32(bytes, 16),
              destinationPort: segment.destinationPort,
              sequenceNumber: segment.sequenceNumber,
              acknowledgmentNumber: segment.acknowledgmentNumber,
              flags: segment.flags,
              window: segment.window,
              windowScaleOption,
              payloadLength,
            });
        out.tcp = { offset: transportOffset, segment, checksum, payloadLength, conversation };
        return;
      }
      case IpProtocol.UDP: {
        const udpResult = parseUdpHeader(transport);
        if (!udpResult.ok) {
          if (!context.quoted) problems.push(udpResult.error);
          return;
        }
        const header = udpResult.value;
        const udpLength = packet.totalLength - headerLength;
        const pseudoHeaderSum = pseudoHeaderSumOf(bytes, IpProtocol.UDP, header.length);
        const checksum =
          header.length !== udpLength && header.checksum !== 0
            ? { stored: header.checksum, status: 'unverified' as const, reason: `the UDP length ${header.length} disagrees with the IP length ${udpLength}` }
            : checkChecksum(transport, 0, Math.min(transport.length, header.length), 6, {
                pseudoHeaderSum,
                complete,
                reason: incompleteReason,
                udp: true,
              });
        out.udp = { offset: transportOffset, header, checksum, payloadLength: Math.max(0, header.length - 8) };
        return;
      }
      default:
        return;
    }
  }

  private dissectIcmp(
    bytes: Uint8Array,
    offset: number,
    ipHeader: Uint8Array,
    complete: boolean,
    incompleteReason: string,
    context: IpContext,
    problems: ParseError[],
  ): IcmpLayer | undefined {
    const result = parseIcmp(bytes);
    if (!result.ok) {
      if (!context.quoted) problems.push(result.error);
      return undefined;
    }
    const message = result.value;
    const checksum = checkChecksum(bytes, 0, bytes.length, 2, { complete, reason: incompleteReason, knownValid: message.checksumValid });
    let dataOffset = 8;
    let dataLength = bytes.length - 8;
    let echoTimestamp: EchoDataTimestamp | undefined;
    let quoted: QuotedDatagramLayers | undefined;
    let requestFrame: number | undefined;
    let responseTimeNs: number | undefined;

    switch (message.kind) {
      case 'echo': {
        echoTimestamp = findEchoTimestamp(bytes, context);
        if (echoTimestamp) {
          dataOffset = 16;
          dataLength -= 8;
        }
        if (!context.quoted) {
          const source = read32(ipHeader, 12);
          const destination = read32(ipHeader, 16);
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
          const inner: IpLayers = { ipv4: undefined, icmp: undefined, tcp: undefined, udp: undefined };
          const quotedContext: IpContext = {
            quoted: true,
            frameNumber: context.frameNumber,
            timeNs: context.timeNs,
            frameSeconds: context.frameSeconds,
            frameFractionNs: context.frameFractionNs,
          };
          const quotedIp: ParseResult<Ipv4Packet> = message.quoted.ok ? parsed(message.quoted.value.ip) : message.quoted;
          this.dissectIpv4(message.original, offset + 8, quotedContext, [], inner, quotedIp);
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
      offset,
      length: bytes.length,
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

/** The IPv4 pseudo-header sum (RFC 9293 3.1) straight from the IPv4 header's address bytes. */
function pseudoHeaderSumOf(ipHeader: Uint8Array, protocol: number, length: number): number {
  return read16(ipHeader, 12) + read16(ipHeader, 14) + read16(ipHeader, 16) + read16(ipHeader, 18) + protocol + (length & 0xffff);
}

function fractionToNs(fraction: number, perSecond: number): number {
  if (perSecond === 1e9) return fraction;
  if (perSecond === 1e6) return fraction * 1000;
  return Math.floor((fraction * 1e9) / perSecond);
}

function readUint32Le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/**
 * Wireshark's heuristic (packet-icmp.c): the first 8 data bytes as a 32-bit
 * seconds and a 32-bit microseconds field, big-endian, else little-endian,
 * taken as a timestamp when within a day of the frame's time.
 */
function findEchoTimestamp(icmp: Uint8Array, context: IpContext): EchoDataTimestamp | undefined {
  if (icmp.length < 16) return undefined;
  for (let pass = 0; pass < 2; pass++) {
    const littleEndian = pass === 1;
    const seconds = littleEndian ? readUint32Le(icmp, 8) : read32(icmp, 8);
    const microseconds = littleEndian ? readUint32Le(icmp, 12) : read32(icmp, 12);
    const difference = (seconds - context.frameSeconds) | 0; // C's int arithmetic on the 32-bit values
    if (Math.abs(difference) < ONE_DAY_SECONDS && microseconds < 1_000_000) {
      const relativeNs = (context.frameSeconds - seconds) * 1e9 + (context.frameFractionNs - microseconds * 1000);
      return { seconds, microseconds, littleEndian, relativeNs };
    }
  }
  return undefined;
}
