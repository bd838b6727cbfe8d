// The summary line's fast path. Printing one line per packet needs a dozen
// header fields, not the whole model: the codecs' MAC strings, payload views,
// option views and result objects made up over half of dissect's time on a
// 200,000-packet file. This decoder reads those fields straight from the
// bytes for the packets that are common and well-formed (IPv4 over Ethernet,
// raw IP or Linux cooked capture, carrying ICMP, TCP or UDP, whole,
// not fragmented, every checksum right) and declines everything else, which
// then goes through the full dissector. Declining is always safe: a test
// holds every summary line from this path equal to the full path's, for all
// fixtures and for random good and broken packets.
//
// It has no state: CaptureDissector.summarize feeds its result to the same
// TCP and echo trackers as the full dissection.

import { checksumAdd, foldChecksum } from '../wire/checksum.ts';
import { ETHERTYPE } from '../wire/ethernet.ts';
import { read16, read32 } from '../wire/header-fields.ts';
import { IcmpType } from '../wire/icmp.ts';
import { formatIpv4Address } from '../wire/ipv4-address.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { LINKTYPE } from '../wire/link-type.ts';
import { parseTcpOptions, type TcpOption } from '../wire/tcp.ts';
import type { IcmpSummaryMessage, SummaryChecksum } from './packet-model.ts';

export const CORRECT: SummaryChecksum = Object.freeze({ status: 'correct' });
export const NOT_PRESENT: SummaryChecksum = Object.freeze({ status: 'not-present' });

/** Offset of the IPv4 header in a frame of this link type, or -1 to decline (VLAN tags, other protocols, BSD loopback). */
export function ipv4OffsetForSummary(linkType: number, frame: Uint8Array): number {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      return frame.length >= 14 && read16(frame, 12) === ETHERTYPE.IPV4 ? 14 : -1;
    case LINKTYPE.RAW:
      return frame.length >= 1 && frame[0] >>> 4 === 4 ? 0 : -1;
    case LINKTYPE.IPV4:
      return 0;
    case LINKTYPE.LINUX_SLL:
      return frame.length >= 16 && read16(frame, 14) === ETHERTYPE.IPV4 ? 16 : -1;
    case LINKTYPE.LINUX_SLL2:
      return frame.length >= 20 && read16(frame, 0) === ETHERTYPE.IPV4 ? 20 : -1;
    default:
      return -1;
  }
}

export interface SummaryIpv4 {
  readonly source: string;
  readonly destination: string;
  readonly sourceNumber: number;
  readonly destinationNumber: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly identification: number;
  /** Always 0: fragments are declined. */
  readonly fragmentOffset: 0;
  readonly headerLength: number;
  readonly totalLength: number;
}

export interface SummaryTcp {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly sequenceNumber: number;
  readonly acknowledgmentNumber: number;
  readonly flags: number;
  readonly reserved: number;
  readonly window: number;
  readonly urgentPointer: number;
  readonly options: TcpOption[];
  readonly windowScaleOption: number | undefined;
  readonly payloadLength: number;
}

/** What the summary line shows of an ICMP message (see IcmpSummaryMessage). */
export type SummaryIcmp = IcmpSummaryMessage;

export interface SummaryUdp {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly payloadLength: number;
  readonly checksum: SummaryChecksum;
}

export interface SummaryDecoded {
  readonly ip: SummaryIpv4;
  readonly tcp?: SummaryTcp;
  readonly icmp?: SummaryIcmp;
  readonly udp?: SummaryUdp;
}

/** Message kinds by type, as parseIcmp names them; any other type is 'other'. */
const ERROR_KINDS: Record<number, 'destination-unreachable' | 'source-quench' | 'redirect' | 'time-exceeded' | 'parameter-problem'> = {
  [IcmpType.DestinationUnreachable]: 'destination-unreachable',
  [IcmpType.SourceQuench]: 'source-quench',
  [IcmpType.Redirect]: 'redirect',
  [IcmpType.TimeExceeded]: 'time-exceeded',
  [IcmpType.ParameterProblem]: 'parameter-problem',
};

/** A timestamp message is exactly 20 bytes (RFC 792); parseIcmp calls other lengths 'other'. */
const TIMESTAMP_LENGTH = 20;

function icmpSummary(b: Uint8Array, start: number, length: number): SummaryIcmp {
  const type = b[start];
  const code = b[start + 1];
  if (
    type === IcmpType.EchoRequest ||
    type === IcmpType.EchoReply ||
    ((type === IcmpType.Timestamp || type === IcmpType.TimestampReply) && length === TIMESTAMP_LENGTH)
  ) {
    const kind = type === IcmpType.EchoRequest || type === IcmpType.EchoReply ? 'echo' : 'timestamp';
    return { kind, type, code, identifier: read16(b, start + 4), sequence: read16(b, start + 6) };
  }
  const error = ERROR_KINDS[type];
  if (error !== undefined) return { kind: error, type, code };
  return { kind: 'other', type, code, restOfHeader: b.subarray(start + 4, start + 8) };
}

// Captures repeat the same few addresses: their dotted quads are made once
// and reused (bounded, so a scan of a whole address space cannot grow it).
const ADDRESS_CACHE_MAX = 4096;
const addressText = new Map<number, string>();

function dottedQuad(b: Uint8Array, at: number, value: number): string {
  let text = addressText.get(value);
  if (text === undefined) {
    if (addressText.size >= ADDRESS_CACHE_MAX) addressText.clear();
    text = formatIpv4Address(b, at);
    addressText.set(value, text);
  }
  return text;
}

function pseudoHeaderSum(b: Uint8Array, ip: number, protocol: number, length: number): number {
  return read16(b, ip + 12) + read16(b, ip + 14) + read16(b, ip + 16) + read16(b, ip + 18) + protocol + length;
}

/** True when bytes[start, end) plus `initial` sum to 0xffff: the checksum in them is right. */
function sumsRight(b: Uint8Array, start: number, end: number, initial = 0): boolean {
  return foldChecksum(checksumAdd(initial, b, start, end)) === 0xffff;
}

/**
 * The summary fields of the IPv4 packet at `frame[offset]`, or undefined to
 * decline: anything cut, fragmented, malformed, with a wrong checksum, or
 * carrying a protocol other than ICMP, TCP and UDP.
 */
export function decodeForSummary(frame: Uint8Array, offset: number): SummaryDecoded | undefined {
  const available = frame.length - offset;
  if (available < 20) return undefined;
  const versionIhl = frame[offset];
  const headerLength = (versionIhl & 0x0f) * 4;
  if (versionIhl >>> 4 !== 4 || headerLength < 20) return undefined;
  const totalLength = read16(frame, offset + 2);
  if (totalLength < headerLength || totalLength > available) return undefined;
  if ((read16(frame, offset + 6) & 0x3fff) !== 0) return undefined; // MF or a fragment offset
  if (!sumsRight(frame, offset, offset + headerLength)) return undefined;
  const protocol = frame[offset + 9];
  const sourceNumber = read32(frame, offset + 12);
  const destinationNumber = read32(frame, offset + 16);
  const ip: SummaryIpv4 = {
    source: dottedQuad(frame, offset + 12, sourceNumber),
    destination: dottedQuad(frame, offset + 16, destinationNumber),
    sourceNumber,
    destinationNumber,
    ttl: frame[offset + 8],
    protocol,
    identification: read16(frame, offset + 4),
    fragmentOffset: 0,
    headerLength,
    totalLength,
  };
  const start = offset + headerLength;
  const end = offset + totalLength;
  const length = end - start;

  if (protocol === IpProtocol.TCP) {
    if (length < 20) return undefined;
    const dataOffset = frame[start + 12] >>> 4;
    const tcpHeaderLength = dataOffset * 4;
    if (dataOffset < 5 || tcpHeaderLength > length) return undefined;
    if (!sumsRight(frame, start, end, pseudoHeaderSum(frame, offset, IpProtocol.TCP, length))) return undefined;
    const options = tcpHeaderLength > 20 ? parseTcpOptions(frame.subarray(start + 20, start + tcpHeaderLength)) : [];
    let windowScaleOption: number | undefined;
    for (let i = 0; i < options.length; i++) {
      const option = options[i];
      if (option.kind === 'window-scale') windowScaleOption = option.shift;
    }
    return {
      ip,
      tcp: {
        sourcePort: read16(frame, start),
        destinationPort: read16(frame, start + 2),
        sequenceNumber: read32(frame, start + 4),
        acknowledgmentNumber: read32(frame, start + 8),
        flags: ((frame[start + 12] & 1) << 8) | frame[start + 13],
        reserved: (frame[start + 12] >>> 1) & 7,
        window: read16(frame, start + 14),
        urgentPointer: read16(frame, start + 18),
        options,
        windowScaleOption,
        payloadLength: length - tcpHeaderLength,
      },
    };
  }
  if (protocol === IpProtocol.ICMP) {
    if (length < 8 || !sumsRight(frame, start, end)) return undefined;
    return { ip, icmp: icmpSummary(frame, start, length) };
  }
  if (protocol === IpProtocol.UDP) {
    if (length < 8 || read16(frame, start + 4) !== length) return undefined;
    const stored = read16(frame, start + 6);
    let checksum = NOT_PRESENT;
    if (stored !== 0) {
      if (!sumsRight(frame, start, end, pseudoHeaderSum(frame, offset, IpProtocol.UDP, length))) return undefined;
      checksum = CORRECT;
    }
    return { ip, udp: { sourcePort: read16(frame, start), destinationPort: read16(frame, start + 2), payloadLength: length - 8, checksum } };
  }
  return undefined;
}
