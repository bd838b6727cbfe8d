// TCP segment codec (RFC 9293; options per RFC 7323, 2018, 6691).
//
// The builder fills the data offset, option padding and checksum unless the
// caller sets them. The parser turns the options area into a list that
// re-encodes exactly: options it cannot read (length 0 or 1, running past the
// end, non-zero bytes after End of Option List) are kept as raw bytes, and a
// known kind with the wrong length is kept as an unknown option.

import {
  checkChecksum,
  checksumAdd,
  checksumFinish,
  foldChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  type ChecksumScope,
  type ChecksumVerdict,
} from './checksum.ts';
import { ipv4AddressBytes, type Ipv4AddressInput } from './ipv4-address.ts';
import { ipv6AddressBytes, type Ipv6AddressInput } from './ipv6-address.ts';
import { malformed, malformedError, parsed, truncated, truncatedError, type ParseError, type ParseResult } from './parse-result.ts';
import { checkUnsignedField, read16, read32, write16, write32 } from './header-fields.ts';
import { HeaderView } from './header-view.ts';

const TCP_PROTOCOL = 6;

// Field offsets (RFC 9293 section 3.1): smoltcp's `mod field`.
export const TcpField = {
  SOURCE_PORT: 0,
  DESTINATION_PORT: 2,
  SEQUENCE_NUMBER: 4,
  ACKNOWLEDGMENT_NUMBER: 8,
  DATA_OFFSET_RESERVED: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT_POINTER: 18,
  OPTIONS: 20,
} as const;
const {
  SOURCE_PORT,
  DESTINATION_PORT,
  SEQUENCE_NUMBER,
  ACKNOWLEDGMENT_NUMBER,
  DATA_OFFSET_RESERVED,
  FLAGS,
  WINDOW,
  CHECKSUM,
  URGENT_POINTER,
  OPTIONS,
} = TcpField;

export const TCP_MIN_HEADER_LENGTH = 20;
export const TCP_MAX_HEADER_LENGTH = 60;

/** Flag bits of the 9-bit flags field. Bit 8 was NS (RFC 3540, historic) and is AE in AccECN. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  NS: 0x100,
  AE: 0x100,
} as const;

export interface TcpFlagsInit {
  fin?: boolean;
  syn?: boolean;
  rst?: boolean;
  psh?: boolean;
  ack?: boolean;
  urg?: boolean;
  ece?: boolean;
  cwr?: boolean;
  ns?: boolean;
  /** Same bit as ns. */
  ae?: boolean;
}

/** One flag bit and every name it goes by. */
export interface TcpFlagName {
  readonly bit: number;
  /** Wireshark's name in lists ("SYN, ACK"); bit 8 is "AE" (AccECN), historically "NS". */
  readonly name: string;
  /** Wireshark's field description in the flags tree ("Syn", "Accurate ECN"). */
  readonly description: string;
  /** Wireshark's letter in "[TCP Flags: ··········S·]" (RRRACEUAPRSF). */
  readonly letter: string;
  /** tcpdump's letter in "Flags [S.]" (print-tcp.c tcp_flag_values). */
  readonly tcpdumpLetter: string;
}

/**
 * The one table of TCP flag names, lowest bit first: the order both
 * Wireshark ("SYN, ECE, CWR") and tcpdump ("S.EW") list set flags in.
 */
export const TCP_FLAG_NAMES: readonly TcpFlagName[] = [
  { bit: TcpFlag.FIN, name: 'FIN', description: 'Fin', letter: 'F', tcpdumpLetter: 'F' },
  { bit: TcpFlag.SYN, name: 'SYN', description: 'Syn', letter: 'S', tcpdumpLetter: 'S' },
  { bit: TcpFlag.RST, name: 'RST', description: 'Reset', letter: 'R', tcpdumpLetter: 'R' },
  { bit: TcpFlag.PSH, name: 'PSH', description: 'Push', letter: 'P', tcpdumpLetter: 'P' },
  { bit: TcpFlag.ACK, name: 'ACK', description: 'Acknowledgment', letter: 'A', tcpdumpLetter: '.' },
  { bit: TcpFlag.URG, name: 'URG', description: 'Urgent', letter: 'U', tcpdumpLetter: 'U' },
  { bit: TcpFlag.ECE, name: 'ECE', description: 'ECN-Echo', letter: 'E', tcpdumpLetter: 'E' },
  { bit: TcpFlag.CWR, name: 'CWR', description: 'Congestion Window Reduced', letter: 'C', tcpdumpLetter: 'W' },
  { bit: TcpFlag.AE, name: 'AE', description: 'Accurate ECN', letter: 'A', tcpdumpLetter: 'e' },
];

/**
 * Names of the set flags, lowest bit first, spelt as Wireshark does ("SYN",
 * "ACK", "ECE", "CWR", "NS"). Wireshark 4 calls bit 8 "AE" (AccECN); pass
 * 'AE' to match its output.
 */
export function tcpFlagNames(flags: number, bit8Name: 'NS' | 'AE' = 'NS'): string[] {
  const names: string[] = [];
  for (const flag of TCP_FLAG_NAMES) if (flags & flag.bit) names.push(flag.bit === TcpFlag.AE ? bit8Name : flag.name);
  return names;
}

/** tcpdump's flags column: "S", "S.", "FP.", "S.EW"; "none" when no flag is set. */
export function tcpdumpFlagLetters(flags: number): string {
  let text = '';
  for (const flag of TCP_FLAG_NAMES) if (flags & flag.bit) text += flag.tcpdumpLetter;
  return text === '' ? 'none' : text;
}

/** The 9-bit flags value from either form. */
export function tcpFlagsValue(flags: number | TcpFlagsInit | undefined): number {
  if (flags === undefined) return 0;
  if (typeof flags === 'number') return checkField('flags', flags, 9);
  return (
    (flags.fin ? TcpFlag.FIN : 0) |
    (flags.syn ? TcpFlag.SYN : 0) |
    (flags.rst ? TcpFlag.RST : 0) |
    (flags.psh ? TcpFlag.PSH : 0) |
    (flags.ack ? TcpFlag.ACK : 0) |
    (flags.urg ? TcpFlag.URG : 0) |
    (flags.ece ? TcpFlag.ECE : 0) |
    (flags.cwr ? TcpFlag.CWR : 0) |
    (flags.ns || flags.ae ? TcpFlag.NS : 0)
  );
}

export const TcpOptionKind = {
  EndOfOptionList: 0,
  NoOperation: 1,
  MaximumSegmentSize: 2,
  WindowScale: 3,
  SackPermitted: 4,
  Sack: 5,
  Timestamps: 8,
  Md5Signature: 19,
  UserTimeout: 28,
  Authentication: 29,
  Multipath: 30,
  FastOpenCookie: 34,
} as const;

export interface TcpSackBlock {
  left: number;
  right: number;
}

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'window-scale'; shift: number }
  | { kind: 'sack-permitted' }
  | { kind: 'sack'; blocks: TcpSackBlock[] }
  | { kind: 'timestamps'; value: number; echoReply: number }
  /** A kind this codec does not decode, or a known kind with the wrong length: written as type, length, data. */
  | { kind: 'unknown'; type: number; data: Uint8Array }
  /** Bytes that do not parse as options; written verbatim. */
  | { kind: 'raw'; bytes: Uint8Array };

/** A TCP segment as the parser reports it: every field present. */
export interface TcpSegment {
  sourcePort: number;
  destinationPort: number;
  sequenceNumber: number;
  acknowledgmentNumber: number;
  /** Header length in 32-bit words. */
  dataOffset: number;
  /** The 3 bits between the data offset and the NS/AE flag. */
  reserved: number;
  /** 9-bit field; see TcpFlag. */
  flags: number;
  window: number;
  checksum: number;
  urgentPointer: number;
  options: TcpOption[];
  payload: Uint8Array;
}

/** What the builder takes: ports are required, everything else defaults to zero/empty (window 65535). */
export interface TcpSegmentInit {
  sourcePort: number;
  destinationPort: number;
  sequenceNumber?: number;
  acknowledgmentNumber?: number;
  /** Filled from the options (rounded up to 4 bytes) unless given; options are zero-padded up to it. */
  dataOffset?: number;
  reserved?: number;
  flags?: number | TcpFlagsInit;
  window?: number;
  /** Filled from the pseudo-header unless given. */
  checksum?: number;
  urgentPointer?: number;
  options?: readonly TcpOption[];
  payload?: Uint8Array;
}

export interface ParsedTcpSegment extends TcpSegment {
  /** Present only when parseTcp was given a pseudo-header. */
  checksumValid?: boolean;
  /** dataOffset * 4. */
  headerLength: number;
}

/**
 * The addresses the checksum covers. IPv6 is used when `ipv6` is true, or,
 * when it is omitted, when the source is IPv6 text or 16 bytes.
 */
export interface TcpPseudoHeader {
  source: Ipv4AddressInput | Ipv6AddressInput;
  destination: Ipv4AddressInput | Ipv6AddressInput;
  ipv6?: boolean;
}

const EMPTY = new Uint8Array(0);

function checkField(name: string, value: number, bits: number): number {
  return checkUnsignedField('TCP', name, value, bits);
}

/** Unfolded sum of the pseudo-header for a TCP segment of `length` bytes. */
export function tcpPseudoHeaderSum(pseudo: TcpPseudoHeader, length: number): number {
  const { source, destination } = pseudo;
  const isIpv6 = pseudo.ipv6 ?? (typeof source === 'string' ? source.includes(':') : source.length === 16);
  if (isIpv6) {
    return ipv6PseudoHeaderSum(ipv6AddressBytes(source), ipv6AddressBytes(destination), TCP_PROTOCOL, length);
  }
  return ipv4PseudoHeaderSum(ipv4AddressBytes(source), ipv4AddressBytes(destination), TCP_PROTOCOL, length);
}

function optionLength(option: TcpOption): number {
  switch (option.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'window-scale':
      return 3;
    case 'sack-permitted':
      return 2;
    case 'sack':
      return 2 + 8 * option.blocks.length;
    case 'timestamps':
      return 10;
    case 'unknown':
      return 2 + option.data.length;
    case 'raw':
      return option.bytes.length;
  }
}

/** Bytes the options take before padding. */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let length = 0;
  for (let i = 0; i < options.length; i++) length += optionLength(options[i]);
  return length;
}

/** Writes the options at buffer[offset] without padding; returns the bytes written. */
function emitOptions(b: Uint8Array, offset: number, options: readonly TcpOption[]): number {
  let o = offset;
  for (let i = 0; i < options.length; i++) {
    const option = options[i];
    switch (option.kind) {
      case 'eol':
        b[o++] = TcpOptionKind.EndOfOptionList;
        break;
      case 'nop':
        b[o++] = TcpOptionKind.NoOperation;
        break;
      case 'mss':
        b[o] = TcpOptionKind.MaximumSegmentSize;
        b[o + 1] = 4;
        write16(b, o + 2, checkField('MSS', option.value, 16));
        o += 4;
        break;
      case 'window-scale':
        b[o] = TcpOptionKind.WindowScale;
        b[o + 1] = 3;
        b[o + 2] = checkField('window scale shift', option.shift, 8);
        o += 3;
        break;
      case 'sack-permitted':
        b[o] = TcpOptionKind.SackPermitted;
        b[o + 1] = 2;
        o += 2;
        break;
      case 'sack': {
        const length = 2 + 8 * option.blocks.length;
        if (length > 255) throw new RangeError(`TCP SACK option with ${option.blocks.length} blocks is too long`);
        b[o] = TcpOptionKind.Sack;
        b[o + 1] = length;
        o += 2;
        for (const block of option.blocks) {
          write32(b, o, checkField('SACK left edge', block.left, 32));
          write32(b, o + 4, checkField('SACK right edge', block.right, 32));
          o += 8;
        }
        break;
      }
      case 'timestamps':
        b[o] = TcpOptionKind.Timestamps;
        b[o + 1] = 10;
        write32(b, o + 2, checkField('timestamp value', option.value, 32));
        write32(b, o + 6, checkField('timestamp echo reply', option.echoReply, 32));
        o += 10;
        break;
      case 'unknown':
        if (option.data.length > 253) throw new RangeError(`TCP option data of ${option.data.length} bytes exceeds 253`);
        b[o] = checkField('option type', option.type, 8);
        b[o + 1] = 2 + option.data.length;
        b.set(option.data, o + 2);
        o += 2 + option.data.length;
        break;
      case 'raw':
        b.set(option.bytes, o);
        o += option.bytes.length;
        break;
    }
  }
  return o - offset;
}

/** Header length in bytes the builder will write for these fields (options plus padding). */
export function tcpHeaderLength(segment: Pick<TcpSegmentInit, 'dataOffset' | 'options'>): number {
  const optionsLength = segment.options ? tcpOptionsLength(segment.options) : 0;
  if (segment.dataOffset !== undefined) return OPTIONS + Math.max(optionsLength, segment.dataOffset * 4 - OPTIONS);
  return OPTIONS + ((optionsLength + 3) & ~3);
}

/**
 * Writes the segment (header, padded options, payload) at buffer[offset] and
 * returns the bytes written. The checksum is filled from `pseudo` unless the
 * segment gives one; with neither, it throws.
 */
export function emitTcpInto(
  buffer: Uint8Array,
  offset: number,
  segment: TcpSegmentInit,
  pseudo?: TcpPseudoHeader,
): number {
  const options = segment.options ?? [];
  const payload = segment.payload ?? EMPTY;
  const optionsLength = tcpOptionsLength(options);
  let headerLength: number;
  let dataOffset: number;
  if (segment.dataOffset !== undefined) {
    dataOffset = checkField('dataOffset', segment.dataOffset, 4);
    headerLength = OPTIONS + Math.max(optionsLength, dataOffset * 4 - OPTIONS);
  } else {
    headerLength = OPTIONS + ((optionsLength + 3) & ~3);
    dataOffset = headerLength >>> 2;
    if (dataOffset > 15) throw new RangeError(`TCP options take ${optionsLength} bytes; a header holds at most 40`);
  }
  const length = headerLength + payload.length;
  if (offset < 0 || buffer.length - offset < length) {
    throw new RangeError(`TCP segment needs ${length} bytes at offset ${offset}; buffer has ${buffer.length - offset}`);
  }
  if (segment.checksum === undefined && pseudo === undefined) {
    throw new TypeError('TCP checksum: give a pseudo-header ({ source, destination }) or set checksum');
  }

  const b = buffer;
  const o = offset;
  write16(b, o + SOURCE_PORT, checkField('sourcePort', segment.sourcePort, 16));
  write16(b, o + DESTINATION_PORT, checkField('destinationPort', segment.destinationPort, 16));
  write32(b, o + SEQUENCE_NUMBER, checkField('sequenceNumber', segment.sequenceNumber ?? 0, 32));
  write32(b, o + ACKNOWLEDGMENT_NUMBER, checkField('acknowledgmentNumber', segment.acknowledgmentNumber ?? 0, 32));
  const flags = tcpFlagsValue(segment.flags);
  const reserved = checkField('reserved', segment.reserved ?? 0, 3);
  b[o + DATA_OFFSET_RESERVED] = (dataOffset << 4) | (reserved << 1) | (flags >>> 8);
  b[o + FLAGS] = flags & 0xff;
  write16(b, o + WINDOW, checkField('window', segment.window ?? 65535, 16));
  write16(b, o + CHECKSUM, 0);
  write16(b, o + URGENT_POINTER, checkField('urgentPointer', segment.urgentPointer ?? 0, 16));
  const written = emitOptions(b, o + OPTIONS, options);
  b.fill(0, o + OPTIONS + written, o + headerLength);
  if (payload.length > 0) b.set(payload, o + headerLength);

  let checksum: number;
  if (segment.checksum !== undefined) {
    checksum = checkField('checksum', segment.checksum, 16);
  } else {
    checksum = checksumFinish(checksumAdd(tcpPseudoHeaderSum(pseudo!, length), b, o, o + length));
  }
  write16(b, o + CHECKSUM, checksum);
  return length;
}

/** The segment as a new array; see emitTcpInto. */
export function buildTcp(segment: TcpSegmentInit, pseudo?: TcpPseudoHeader): Uint8Array {
  const bytes = new Uint8Array(tcpHeaderLength(segment) + (segment.payload?.length ?? 0));
  emitTcpInto(bytes, 0, segment, pseudo);
  return bytes;
}

function isAllZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Parses an options area (header bytes 20 to dataOffset * 4) into a list that
 * emits back to the same bytes when zero-padded to the same length.
 * Option data are views into `area`.
 */
export function parseTcpOptions(area: Uint8Array): TcpOption[] {
  const options: TcpOption[] = [];
  const end = area.length;
  let i = 0;
  while (i < end) {
    const type = area[i];
    if (type === TcpOptionKind.EndOfOptionList) {
      options.push({ kind: 'eol' });
      // Zero padding after EOL is restored by the builder; anything else is kept.
      if (!isAllZero(area, i + 1, end)) options.push({ kind: 'raw', bytes: area.subarray(i + 1) });
      return options;
    }
    if (type === TcpOptionKind.NoOperation) {
      options.push({ kind: 'nop' });
      i++;
      continue;
    }
    const length = i + 1 < end ? area[i + 1] : 0;
    if (length < 2 || i + length > end) {
      options.push({ kind: 'raw', bytes: area.subarray(i) });
      return options;
    }
    const at = i + 2;
    if (type === TcpOptionKind.MaximumSegmentSize && length === 4) {
      options.push({ kind: 'mss', value: read16(area, at) });
    } else if (type === TcpOptionKind.WindowScale && length === 3) {
      options.push({ kind: 'window-scale', shift: area[at] });
    } else if (type === TcpOptionKind.SackPermitted && length === 2) {
      options.push({ kind: 'sack-permitted' });
    } else if (type === TcpOptionKind.Sack && length >= 10 && (length - 2) % 8 === 0) {
      const blocks: TcpSackBlock[] = [];
      for (let k = at; k < i + length; k += 8) blocks.push({ left: read32(area, k), right: read32(area, k + 4) });
      options.push({ kind: 'sack', blocks });
    } else if (type === TcpOptionKind.Timestamps && length === 10) {
      options.push({ kind: 'timestamps', value: read32(area, at), echoReply: read32(area, at + 4) });
    } else {
      options.push({ kind: 'unknown', type, data: area.subarray(at, i + length) });
    }
    i += length;
  }
  return options;
}

/**
 * A zero-copy view of a TCP segment at bytes[start, end). `point()` checks
 * the fixed 20 bytes and a data offset of at least 5 words; the options may
 * still be cut by a snaplen, which `headerComplete` tells (Wireshark shows
 * such a header with what was captured of its options). A quote in an ICMP
 * error holds 8 bytes at least: read it with `pointUnchecked` and `reaches`.
 */
export class TcpView extends HeaderView {
  /** Points at bytes[start, end) and checks the fixed header; returns why it cannot be read, or undefined. */
  point(bytes: Uint8Array, start = 0, end = bytes.length): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    const available = end - start;
    if (available < TCP_MIN_HEADER_LENGTH) {
      return truncatedError('tcp', `need ${TCP_MIN_HEADER_LENGTH} header bytes, have ${available}`, available);
    }
    const dataOffset = this.dataOffset;
    if (dataOffset < 5) return malformedError('tcp', `data offset is ${dataOffset} words; the minimum is 5`, DATA_OFFSET_RESERVED);
    return undefined;
  }

  get sourcePort(): number {
    return this.u16(SOURCE_PORT);
  }
  get destinationPort(): number {
    return this.u16(DESTINATION_PORT);
  }
  get sequenceNumber(): number {
    return this.u32(SEQUENCE_NUMBER);
  }
  get acknowledgmentNumber(): number {
    return this.u32(ACKNOWLEDGMENT_NUMBER);
  }
  /** Header length in 32-bit words. */
  get dataOffset(): number {
    return this.u8(DATA_OFFSET_RESERVED) >>> 4;
  }
  get headerLength(): number {
    return (this.u8(DATA_OFFSET_RESERVED) >>> 4) * 4;
  }
  /** False when the data offset promises more header than the bytes hold (a cut capture). */
  get headerComplete(): boolean {
    return this.end - this.start >= this.headerLength;
  }
  /** The 3 bits between the data offset and the NS/AE flag. */
  get reserved(): number {
    return (this.u8(DATA_OFFSET_RESERVED) >>> 1) & 0x7;
  }
  /** The 9-bit flags field; see TcpFlag. */
  get flags(): number {
    return ((this.u8(DATA_OFFSET_RESERVED) & 0x1) << 8) | this.u8(FLAGS);
  }
  /** True when every bit of `flag` (TcpFlag values, or-ed) is set. */
  has(flag: number): boolean {
    return (this.flags & flag) === flag;
  }
  get window(): number {
    return this.u16(WINDOW);
  }
  get checksum(): number {
    return this.u16(CHECKSUM);
  }
  get urgentPointer(): number {
    return this.u16(URGENT_POINTER);
  }
  /** The options area that was captured (up to the data offset), a view. */
  get optionBytes(): Uint8Array {
    return this.bytes.subarray(this.start + OPTIONS, Math.min(this.end, this.start + this.headerLength));
  }
  /** The options decoded (see parseTcpOptions); allocates, so hot paths read only what they need. */
  options(): TcpOption[] {
    return this.headerLength > OPTIONS ? parseTcpOptions(this.optionBytes) : [];
  }
  /** Index in `bytes` where the data starts (end when the header is cut). */
  get payloadStart(): number {
    return Math.min(this.end, this.start + this.headerLength);
  }
  get payloadLength(): number {
    return this.end - this.payloadStart;
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.payloadStart, this.end);
  }
  /** Sequence space the segment takes: data, plus one each for SYN and FIN. */
  get segmentLength(): number {
    const flags = this.u8(FLAGS);
    return this.payloadLength + (flags & TcpFlag.SYN ? 1 : 0) + (flags & TcpFlag.FIN ? 1 : 0);
  }
  /** True when the segment sums right with `pseudoHeaderSum` (see Ipv4View.pseudoHeaderSum). */
  checksumValid(pseudoHeaderSum: number): boolean {
    return foldChecksum(checksumAdd(pseudoHeaderSum, this.bytes, this.start, this.end)) === 0xffff;
  }
  /** The verdict on the stored checksum over the segment and `pseudoHeaderSum`, offload trap included. */
  checksumVerdict(pseudoHeaderSum: number, scope?: Omit<ChecksumScope, 'pseudoHeaderSum' | 'udp'>): ChecksumVerdict {
    return checkChecksum(this.bytes, this.start, this.end, this.start + CHECKSUM, { ...scope, pseudoHeaderSum });
  }
}

/**
 * The verdict on a received segment's checksum (the whole of `segment`, 20
 * bytes at least): 'correct'; 'incorrect' with `offloadPartialSum` when the
 * field holds only the pseudo-header sum, as a raw socket sees a segment the
 * sending stack left for the NIC to finish (Linux's __tcp_v4_send_check on
 * loopback or a veth with tx offload); else 'incorrect' with `expected`.
 */
export function tcpChecksumVerdict(segment: Uint8Array, pseudoHeaderSum: number): ChecksumVerdict {
  return checkChecksum(segment, 0, segment.length, CHECKSUM, { pseudoHeaderSum });
}

/**
 * Parses a TCP segment (the whole IP payload); never throws. With a
 * pseudo-header the checksum is verified over all of `bytes`.
 */
export function parseTcp(bytes: Uint8Array, pseudo?: TcpPseudoHeader): ParseResult<ParsedTcpSegment> {
  const view = new TcpView();
  const error = view.point(bytes);
  if (error !== undefined) return { ok: false, error };
  const headerLength = view.headerLength;
  if (!view.headerComplete) {
    return truncated('tcp', `data offset says ${headerLength} header bytes, have ${bytes.length}`, bytes.length);
  }
  const segment = tcpSegmentFromView(view);
  if (pseudo !== undefined) {
    let sum: number;
    try {
      sum = tcpPseudoHeaderSum(pseudo, bytes.length);
    } catch (e) {
      // A bad address is the caller's mistake, not the packet's; still never throw from a parser.
      return malformed('tcp', `pseudo-header: ${(e as Error).message}`);
    }
    segment.checksumValid = view.checksumValid(sum);
  }
  return parsed(segment);
}

/** A TCP header's fields with the options decoded: a segment without its data. */
export type TcpHeaderFields = Omit<TcpSegment, 'dataOffset' | 'checksum' | 'payload'>;

/**
 * The header of the segment the view looks at (after a successful point()),
 * read in one pass from one load of the buffer: a per-packet loop (dissect's
 * summary lines) gets it with one call instead of nine getters, each loading
 * the view's buffer again, which measurably slowed that loop.
 */
export function tcpHeaderFromView(view: TcpView): TcpHeaderFields {
  const b = view.bytes;
  const o = view.start;
  const offsetByte = b[o + DATA_OFFSET_RESERVED];
  return {
    sourcePort: read16(b, o + SOURCE_PORT),
    destinationPort: read16(b, o + DESTINATION_PORT),
    sequenceNumber: read32(b, o + SEQUENCE_NUMBER),
    acknowledgmentNumber: read32(b, o + ACKNOWLEDGMENT_NUMBER),
    reserved: (offsetByte >>> 1) & 0x7,
    flags: ((offsetByte & 0x1) << 8) | b[o + FLAGS],
    window: read16(b, o + WINDOW),
    urgentPointer: read16(b, o + URGENT_POINTER),
    options: view.options(),
  };
}

/**
 * Every field of the segment the view looks at, options decoded and the
 * payload a view. A header cut inside its options (headerComplete false)
 * gives the options that were captured and an empty payload.
 */
export function tcpSegmentFromView(view: TcpView): ParsedTcpSegment {
  return {
    sourcePort: view.sourcePort,
    destinationPort: view.destinationPort,
    sequenceNumber: view.sequenceNumber,
    acknowledgmentNumber: view.acknowledgmentNumber,
    dataOffset: view.dataOffset,
    reserved: view.reserved,
    flags: view.flags,
    window: view.window,
    checksum: view.checksum,
    urgentPointer: view.urgentPointer,
    options: view.options(),
    payload: view.payload,
    headerLength: view.headerLength,
  };
}

export interface TcpSynOptionsInit {
  /** Omitted: no MSS option. */
  mss?: number;
  /** Omitted: no window scale option. */
  windowScale?: number;
  /** Omitted: no timestamps option. */
  timestampValue?: number;
  /** 0 in a SYN. */
  timestampEchoReply?: number;
  sackPermitted?: boolean;
}

/**
 * The options in the layout Linux's tcp_options_write uses for a SYN:
 * MSS, then SACK-permitted folded into the timestamps word (or NOP NOP before
 * either when the other is absent), then NOP + window scale. With all four:
 * `mss, sackOK, TS val ecr, nop, wscale` (20 bytes).
 */
export function tcpSynOptions(init: TcpSynOptionsInit): TcpOption[] {
  const options: TcpOption[] = [];
  if (init.mss !== undefined) options.push({ kind: 'mss', value: init.mss });
  if (init.timestampValue !== undefined) {
    if (init.sackPermitted) options.push({ kind: 'sack-permitted' });
    else options.push({ kind: 'nop' }, { kind: 'nop' });
    options.push({ kind: 'timestamps', value: init.timestampValue, echoReply: init.timestampEchoReply ?? 0 });
  } else if (init.sackPermitted) {
    options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack-permitted' });
  }
  if (init.windowScale !== undefined) options.push({ kind: 'nop' }, { kind: 'window-scale', shift: init.windowScale });
  return options;
}
