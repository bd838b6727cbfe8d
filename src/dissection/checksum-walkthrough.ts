// The RFC 1071 computation spelt out, step by step, for the checksums of a
// packet: every 16-bit word that goes in (pseudo-header, header with its
// checksum field taken as 0, data), the running sum, each fold of the
// carries back into the low 16 bits, the ones' complement, and the
// comparison with what the packet holds. It is the explanation the seed
// example's author was missing: why the sum is folded, why it is inverted,
// and where byte order comes in (nowhere, if you read big-endian words).

import { checksumWord } from '../wire/checksum.ts';
import { IcmpField } from '../wire/icmp.ts';
import { IpProtocol, Ipv4Field, Ipv4View } from '../wire/ipv4.ts';
import { TcpField } from '../wire/tcp.ts';
import { UdpField } from '../wire/udp.ts';
import { ETHERTYPE } from '../wire/ethernet.ts';
import { Icmpv6Field } from '../wire/icmpv6.ts';
import { Ipv6Field } from '../wire/ipv6.ts';
import { type Ipv6Datagram, readIpv6Datagram } from './ipv6-datagram.ts';
import type { DissectedPacket, IcmpLayer, Ipv4Layer, TcpLayer, UdpLayer } from './packet-model.ts';

export interface ChecksumWord {
  /** What the word is, e.g. "source port", "pseudo-header: protocol (6)". */
  readonly label: string;
  /** Which part of the computation it belongs to. */
  readonly part: 'pseudo-header' | 'header' | 'data';
  /** Byte offset in the checksummed bytes (pseudo-header words have none). */
  readonly offset?: number;
  /** The two bytes as summed (the checksum field as 00 00, an odd last byte padded with 00). */
  readonly high: number;
  readonly low: number;
  readonly value: number;
  /** Running sum after adding this word, unfolded. */
  readonly sum: number;
  /** This word is the checksum field itself, summed as zero. */
  readonly isChecksumField?: boolean;
  /** The last byte was alone and got a zero pad byte on the right (RFC 1071 4.1). */
  readonly padded?: boolean;
}

export interface ChecksumFold {
  readonly before: number;
  readonly carry: number;
  readonly low: number;
  readonly after: number;
}

export interface ChecksumWalkthrough {
  readonly title: string;
  /** What the sum covers, in words. */
  readonly covers: string;
  readonly words: readonly ChecksumWord[];
  readonly total: number;
  readonly folds: readonly ChecksumFold[];
  readonly folded: number;
  /** ~folded & 0xffff: what the field should hold. */
  readonly computed: number;
  /** UDP sends a computed 0 as 0xffff (0 means "no checksum"). */
  readonly transmitted: number;
  readonly stored: number;
  readonly matches: boolean;
  /** Folded sum of every word with the stored checksum in place: 0xffff when the packet is right. */
  readonly verificationSum: number;
  /** Set when the stored value is the pseudo-header sum alone (the offload trap). */
  readonly offloadPartialSum: boolean;
}

/** A walkthrough cannot be done: the covered bytes are not all there. */
export interface ChecksumWalkthroughUnavailable {
  readonly title: string;
  readonly unavailable: string;
}

export type ChecksumExplanation = ChecksumWalkthrough | ChecksumWalkthroughUnavailable;

export function isWalkthrough(e: ChecksumExplanation): e is ChecksumWalkthrough {
  return !('unavailable' in e);
}

interface WordSource {
  readonly label: string;
  readonly part: ChecksumWord['part'];
  readonly offset?: number;
  /** The word as summed (the checksum field as 0). */
  readonly value: number;
  readonly isChecksumField?: boolean;
  readonly padded?: boolean;
}

/** Folds the carries back in, one step at a time, until 16 bits remain. */
export function foldSteps(sum: number): { folds: ChecksumFold[]; folded: number } {
  const folds: ChecksumFold[] = [];
  let value = sum;
  while (value > 0xffff) {
    const carry = Math.floor(value / 0x10000);
    const low = value % 0x10000;
    const after = carry + low;
    folds.push({ before: value, carry, low, after });
    value = after;
  }
  return { folds, folded: value };
}

function walk(
  title: string,
  covers: string,
  sources: WordSource[],
  stored: number,
  { udp = false, pseudoHeaderWords = 0 }: { udp?: boolean; pseudoHeaderWords?: number } = {},
): ChecksumWalkthrough {
  let sum = 0;
  const words: ChecksumWord[] = sources.map((s) => {
    sum += s.value;
    return { ...s, high: s.value >>> 8, low: s.value & 0xff, sum };
  });
  const { folds, folded } = foldSteps(sum);
  const computed = ~folded & 0xffff;
  const transmitted = udp && computed === 0 ? 0xffff : computed;
  const verification = foldSteps(sum + stored).folded;
  let pseudoSum = 0;
  for (let i = 0; i < pseudoHeaderWords; i++) pseudoSum += words[i].value;
  return {
    title,
    covers,
    words,
    total: sum,
    folds,
    folded,
    computed,
    transmitted,
    stored,
    matches: stored === transmitted || verification === 0xffff,
    verificationSum: verification,
    offloadPartialSum: pseudoHeaderWords > 0 && stored === foldSteps(pseudoSum).folded && verification !== 0xffff,
  };
}

/** Words of `bytes` from `start`, labelled by `label(offset)`; the word at `checksumOffset` is summed as 0. */
function wordsOf(
  bytes: Uint8Array,
  part: ChecksumWord['part'],
  label: (offset: number) => string,
  checksumOffset = -1,
  offsetBase = 0,
): WordSource[] {
  const out: WordSource[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const isChecksumField = i === checksumOffset;
    const padded = i + 1 >= bytes.length;
    out.push({
      label: label(offsetBase + i),
      part,
      offset: offsetBase + i,
      value: isChecksumField ? 0 : checksumWord(bytes, i),
      ...(isChecksumField ? { isChecksumField } : {}),
      ...(padded ? { padded } : {}),
    });
  }
  return out;
}

// Labels by the offset of each 16-bit word the sum reads.
const IPV4_WORD_LABELS: Record<number, string> = {
  [Ipv4Field.VERSION_IHL]: 'version, IHL | DSCP, ECN',
  [Ipv4Field.TOTAL_LENGTH]: 'total length',
  [Ipv4Field.IDENTIFICATION]: 'identification',
  [Ipv4Field.FLAGS_FRAGMENT_OFFSET]: 'flags, fragment offset',
  [Ipv4Field.TTL]: 'time to live | protocol',
  [Ipv4Field.CHECKSUM]: 'header checksum, taken as 0',
  [Ipv4Field.SOURCE]: 'source address, first half',
  [Ipv4Field.SOURCE + 2]: 'source address, second half',
  [Ipv4Field.DESTINATION]: 'destination address, first half',
  [Ipv4Field.DESTINATION + 2]: 'destination address, second half',
};

export function ipv4HeaderWalkthrough(ip: Ipv4Layer, header: Uint8Array, title = 'IPv4 header checksum'): ChecksumWalkthrough {
  const sources = wordsOf(header, 'header', (o) => IPV4_WORD_LABELS[o] ?? 'options', Ipv4Field.CHECKSUM);
  return walk(title, `the ${ip.headerLength} header bytes (data is not covered)`, sources, ip.checksum.stored);
}

function icmpLabel(icmp: IcmpLayer): (offset: number) => string {
  const kind = icmp.message.kind;
  return (o) => {
    if (o === IcmpField.TYPE) return 'type | code';
    if (o === IcmpField.CHECKSUM) return 'checksum, taken as 0';
    if (o === IcmpField.IDENTIFIER) return kind === 'echo' || kind === 'timestamp' ? 'identifier' : 'rest of header, first half';
    if (o === IcmpField.SEQUENCE) return kind === 'echo' || kind === 'timestamp' ? 'sequence number' : 'rest of header, second half';
    return kind === 'echo' || kind === 'other' ? 'data' : kind === 'timestamp' ? 'timestamps' : 'quoted datagram';
  };
}

export function icmpWalkthrough(icmp: IcmpLayer, message: Uint8Array, title = 'ICMP checksum'): ChecksumExplanation {
  if (icmp.checksum.status === 'unverified') return { title, unavailable: `cannot be computed: ${icmp.checksum.reason}` };
  const sources = wordsOf(message, 'header', icmpLabel(icmp), IcmpField.CHECKSUM).map((w) =>
    w.offset! >= IcmpField.BODY ? { ...w, part: 'data' as const } : w,
  );
  return walk(title, `the whole ICMP message, ${message.length} bytes (header and data; no pseudo-header)`, sources, icmp.checksum.stored);
}

/** The pseudo-header's six words; the addresses are read where they lie in `ipHeader`. */
function pseudoHeaderWords(ipHeader: Uint8Array, protocol: number, length: number, lengthLabel: string): WordSource[] {
  const ip = new Ipv4View().pointUnchecked(ipHeader);
  const b = ip.bytes;
  return [
    { label: 'source address, first half', part: 'pseudo-header', value: checksumWord(b, ip.sourceAt) },
    { label: 'source address, second half', part: 'pseudo-header', value: checksumWord(b, ip.sourceAt + 2) },
    { label: 'destination address, first half', part: 'pseudo-header', value: checksumWord(b, ip.destinationAt) },
    { label: 'destination address, second half', part: 'pseudo-header', value: checksumWord(b, ip.destinationAt + 2) },
    { label: `zero | protocol (${protocol})`, part: 'pseudo-header', value: protocol & 0xff },
    { label: `${lengthLabel} (${length})`, part: 'pseudo-header', value: length & 0xffff },
  ];
}

const TCP_WORD_LABELS: Record<number, string> = {
  [TcpField.SOURCE_PORT]: 'source port',
  [TcpField.DESTINATION_PORT]: 'destination port',
  [TcpField.SEQUENCE_NUMBER]: 'sequence number, high half',
  [TcpField.SEQUENCE_NUMBER + 2]: 'sequence number, low half',
  [TcpField.ACKNOWLEDGMENT_NUMBER]: 'acknowledgment number, high half',
  [TcpField.ACKNOWLEDGMENT_NUMBER + 2]: 'acknowledgment number, low half',
  [TcpField.DATA_OFFSET_RESERVED]: 'data offset, reserved, flags',
  [TcpField.WINDOW]: 'window',
  [TcpField.CHECKSUM]: 'checksum, taken as 0',
  [TcpField.URGENT_POINTER]: 'urgent pointer',
};

const UDP_WORD_LABELS: Record<number, string> = {
  [UdpField.SOURCE_PORT]: 'source port',
  [UdpField.DESTINATION_PORT]: 'destination port',
  [UdpField.LENGTH]: 'length',
  [UdpField.CHECKSUM]: 'checksum, taken as 0',
};

/** `ipHeader`: the IPv4 header the segment came in (its addresses feed the pseudo-header). */
export function tcpWalkthrough(tcp: TcpLayer, ipHeader: Uint8Array, segment: Uint8Array, title = 'TCP checksum'): ChecksumExplanation {
  if (tcp.checksum.status === 'unverified') return { title, unavailable: `cannot be computed: ${tcp.checksum.reason}` };
  const headerLength = tcp.segment.headerLength;
  const pseudo = pseudoHeaderWords(ipHeader, IpProtocol.TCP, segment.length, 'TCP length');
  const body = wordsOf(segment, 'header', (o) => TCP_WORD_LABELS[o] ?? (o < headerLength ? 'options' : 'data'), TcpField.CHECKSUM).map((w) =>
    w.offset! >= headerLength ? { ...w, part: 'data' as const } : w,
  );
  return walk(
    title,
    `a 12-byte pseudo-header (addresses, protocol, TCP length) and the whole segment, ${segment.length} bytes`,
    [...pseudo, ...body],
    tcp.checksum.stored,
    { pseudoHeaderWords: pseudo.length },
  );
}

export function udpWalkthrough(udp: UdpLayer, ipHeader: Uint8Array, datagram: Uint8Array, title = 'UDP checksum'): ChecksumExplanation {
  if (udp.checksum.status === 'unverified') return { title, unavailable: `cannot be computed: ${udp.checksum.reason}` };
  if (udp.checksum.status === 'not-present') return { title, unavailable: 'the sender sent none (0x0000 means "no checksum" in UDP over IPv4)' };
  const pseudo = pseudoHeaderWords(ipHeader, IpProtocol.UDP, udp.header.length, 'UDP length');
  const body = wordsOf(datagram, 'header', (o) => UDP_WORD_LABELS[o] ?? 'data', UdpField.CHECKSUM).map((w) =>
    w.offset! >= UdpField.PAYLOAD ? { ...w, part: 'data' as const } : w,
  );
  return walk(
    title,
    `a 12-byte pseudo-header (addresses, protocol, UDP length) and the whole datagram, ${datagram.length} bytes`,
    [...pseudo, ...body],
    udp.checksum.stored,
    { udp: true, pseudoHeaderWords: pseudo.length },
  );
}

/**
 * The IPv6 pseudo-header's twenty words (RFC 8200 section 8.1): source and
 * destination address, eight words each, read where they lie in the
 * datagram; the upper-layer length as 32 bits; 24 zero bits and the next header.
 */
function ipv6PseudoHeaderWords(datagram: Uint8Array, nextHeader: number, length: number, lengthLabel: string): WordSource[] {
  const words: WordSource[] = [];
  for (const [name, at] of [
    ['source', Ipv6Field.SOURCE],
    ['destination', Ipv6Field.DESTINATION],
  ] as const) {
    for (let i = 0; i < 8; i++) words.push({ label: `${name} address, word ${i + 1} of 8`, part: 'pseudo-header', value: checksumWord(datagram, at + 2 * i) });
  }
  words.push(
    { label: `${lengthLabel} (${length}), high 16 bits`, part: 'pseudo-header', value: Math.floor(length / 0x10000) & 0xffff },
    { label: `${lengthLabel}, low 16 bits`, part: 'pseudo-header', value: length & 0xffff },
    { label: 'zero', part: 'pseudo-header', value: 0 },
    { label: `zero | next header (${nextHeader})`, part: 'pseudo-header', value: nextHeader & 0xff },
  );
  return words;
}

const ICMPV6_WORD_LABELS: Record<number, string> = {
  [Icmpv6Field.TYPE]: 'type | code',
  [Icmpv6Field.CHECKSUM]: 'checksum, taken as 0',
  4: 'bytes 4-5 (identifier for echo)',
  6: 'bytes 6-7 (sequence number for echo)',
};

/**
 * The checksums of the IPv6 datagram at bytes[start, end): ICMPv6, TCP or UDP
 * over the IPv6 pseudo-header (IPv6 itself has no header checksum). Input is
 * bytes and offsets, so dissect can call it whatever its IPv6 model.
 */
export function ipv6ChecksumExplanations(bytes: Uint8Array, start = 0, end = bytes.length): ChecksumExplanation[] {
  const d = readIpv6Datagram(bytes, start, end);
  if (!d) return [];
  const covers = (what: string, n: number, name: string) =>
    `a 40-byte IPv6 pseudo-header (addresses, ${name} length, next header) and the whole ${what}, ${n} bytes`;
  if (d.icmpv6) {
    const title = 'ICMPv6 checksum';
    if (d.icmpv6.checksum.status === 'unverified') return [{ title, unavailable: `cannot be computed: ${d.icmpv6.checksum.reason}` }];
    return [transportWalk(d, title, covers('ICMPv6 message', d.upperLayer.length, 'ICMPv6'), 'ICMPv6 length', d.upperLayer.length, (o) => ICMPV6_WORD_LABELS[o] ?? 'data', Icmpv6Field.CHECKSUM, 8, d.icmpv6.checksum.stored, false)];
  }
  if (d.tcp) {
    const title = 'TCP checksum';
    if (d.tcp.checksum.status === 'unverified') return [{ title, unavailable: `cannot be computed: ${d.tcp.checksum.reason}` }];
    const headerLength = d.tcp.segment.headerLength;
    const label = (o: number) => TCP_WORD_LABELS[o] ?? (o < headerLength ? 'options' : 'data');
    return [transportWalk(d, title, covers('segment', d.upperLayer.length, 'TCP'), 'TCP length', d.upperLayer.length, label, TcpField.CHECKSUM, headerLength, d.tcp.checksum.stored, false)];
  }
  if (d.udp) {
    const title = 'UDP checksum';
    const udp = d.udp;
    if (udp.checksum.status === 'unverified') return [{ title, unavailable: `cannot be computed: ${udp.checksum.reason}` }];
    const length = udp.header.length;
    const walkthrough = transportWalk(d, title, covers('datagram', length, 'UDP'), 'UDP length', length, (o) => UDP_WORD_LABELS[o] ?? 'data', UdpField.CHECKSUM, UdpField.PAYLOAD, udp.checksum.stored, true);
    return [walkthrough];
  }
  return [];
}

function transportWalk(
  d: Ipv6Datagram,
  title: string,
  covers: string,
  lengthLabel: string,
  length: number,
  label: (offset: number) => string,
  checksumOffset: number,
  dataFrom: number,
  stored: number,
  udp: boolean,
): ChecksumWalkthrough {
  const pseudo = ipv6PseudoHeaderWords(d.bytes, d.upperLayerProtocol, length, lengthLabel);
  const body = wordsOf(d.upperLayer.subarray(0, Math.min(length, d.upperLayer.length)), 'header', label, checksumOffset).map((w) =>
    w.offset! >= dataFrom ? { ...w, part: 'data' as const } : w,
  );
  return walk(title, covers, [...pseudo, ...body], stored, { udp, pseudoHeaderWords: pseudo.length });
}

/**
 * Every checksum in a packet, outermost first: the IPv4 header, then ICMP,
 * TCP or UDP; for an ICMP error also the quoted datagram's IPv4 header and,
 * when quoted whole, its transport checksum. For IPv6, the transport's.
 */
export function packetChecksumExplanations(packet: DissectedPacket): ChecksumExplanation[] {
  const ip = packet.ipv4;
  if (packet.ipv6) return ipv6ChecksumExplanations(packet.data, packet.ipv6.offset);
  // An IPv6 header cut short has no layer: read what the link layer carries.
  const link = packet.link?.frame;
  if (!ip && link?.protocol === ETHERTYPE.IPV6) return ipv6ChecksumExplanations(link.payload);
  if (!ip) return [];
  if (ip.reassembled) {
    // The fragment's own header, then the transport checksum over the reassembled datagram.
    const header = ipv4HeaderWalkthrough(ip, packet.data.subarray(ip.offset, ip.offset + ip.headerLength), 'IPv4 header checksum');
    return [header, ...datagramExplanations(ip.reassembled.datagram, ip.reassembled.ip, packet, 'Reassembled ').slice(1)];
  }
  return datagramExplanations(packet.data, ip, packet, '');
}

function datagramExplanations(
  data: Uint8Array,
  ip: Ipv4Layer,
  layers: { readonly icmp?: IcmpLayer; readonly tcp?: TcpLayer; readonly udp?: UdpLayer },
  prefix: string,
): ChecksumExplanation[] {
  const header = data.subarray(ip.offset, ip.offset + ip.headerLength);
  const end = ip.offset + ip.packet.totalLength - ip.missingLength;
  const out: ChecksumExplanation[] = [ipv4HeaderWalkthrough(ip, header, `${prefix}IPv4 header checksum`)];
  if (layers.icmp) {
    const icmp = layers.icmp;
    out.push(icmpWalkthrough(icmp, data.subarray(icmp.offset, icmp.offset + icmp.length), `${prefix}ICMP checksum`));
    if (icmp.quoted) out.push(...datagramExplanations(data, icmp.quoted.ip, icmp.quoted, 'Quoted '));
  }
  if (layers.tcp) out.push(tcpWalkthrough(layers.tcp, header, data.subarray(layers.tcp.offset, end), `${prefix}TCP checksum`));
  if (layers.udp) {
    const udp = layers.udp;
    const datagram = data.subarray(udp.offset, Math.min(end, udp.offset + udp.header.length));
    out.push(udpWalkthrough(udp, header, datagram, `${prefix}UDP checksum`));
  }
  return out;
}
