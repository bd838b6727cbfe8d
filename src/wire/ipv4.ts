// IPv4 header codec (RFC 791, DSCP/ECN per RFC 2474/3168).
//
// The builder fills IHL, total length, option padding and the header checksum
// unless the caller sets them, so a deliberately wrong header can be crafted.
// The parser keeps every bit it saw (reserved flag, raw option bytes with
// their padding, bytes past total length) so that feeding its result back to
// the builder reproduces the input byte for byte.

import { checkChecksum, checksumAdd, checksumFinish, foldChecksum, ipv4PseudoHeaderSum, type ChecksumScope, type ChecksumVerdict } from './checksum.ts';
import { formatIpv4Address, ipv4AddressBytes, type Ipv4AddressInput } from './ipv4-address.ts';
import { malformed, malformedError, parsed, truncated, truncatedError, type ParseError, type ParseResult } from './parse-result.ts';
import { checkUnsignedField } from './header-fields.ts';
import { HeaderView } from './header-view.ts';

/** IANA protocol numbers used by this lab (the IPv4 protocol / IPv6 next-header field). */
export const IpProtocol = {
  /** IPv6 hop-by-hop options (RFC 8200 4.3); only ever an IPv6 next header. */
  HopByHop: 0,
  ICMP: 1,
  IGMP: 2,
  TCP: 6,
  UDP: 17,
  IPv6: 41,
  /** IPv6 routing header (RFC 8200 4.4). */
  IPv6Routing: 43,
  /** IPv6 fragment header (RFC 8200 4.5). */
  IPv6Fragment: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPv6: 58,
  /** IPv6 "no next header" (RFC 8200 4.7): nothing follows. */
  IPv6NoNextHeader: 59,
  /** IPv6 destination options (RFC 8200 4.6). */
  IPv6DestinationOptions: 60,
  SCTP: 132,
} as const;

// Field offsets (RFC 791 section 3.1): smoltcp's `mod field`.
export const Ipv4Field = {
  VERSION_IHL: 0,
  TOS: 1,
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT_OFFSET: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SOURCE: 12,
  DESTINATION: 16,
  OPTIONS: 20,
} as const;
const { VERSION_IHL, TOS, TOTAL_LENGTH, IDENTIFICATION, FLAGS_FRAGMENT_OFFSET, TTL, PROTOCOL, CHECKSUM, SOURCE, DESTINATION, OPTIONS } =
  Ipv4Field;

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_MAX_HEADER_LENGTH = 60;

const FLAG_RESERVED = 0x4;
const FLAG_DONT_FRAGMENT = 0x2;
const FLAG_MORE_FRAGMENTS = 0x1;

const EMPTY = new Uint8Array(0);

export interface Ipv4Flags {
  /** The "evil bit" (RFC 3514): must be zero, kept so it round-trips. */
  reserved: boolean;
  dontFragment: boolean;
  moreFragments: boolean;
}

/** An IPv4 header as the parser reports it: every field present. */
export interface Ipv4Header {
  version: number;
  /** Header length in 32-bit words. */
  ihl: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  identification: number;
  flags: Ipv4Flags;
  /** In units of 8 bytes. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  source: string;
  destination: string;
  /** Raw option bytes including their padding: everything between byte 20 and ihl * 4. */
  options: Uint8Array;
}

/**
 * What the builder takes. Omitted fields get defaults (version 4, TTL 64,
 * zeros elsewhere); ihl, totalLength and checksum are computed unless given.
 */
export interface Ipv4HeaderInit {
  version?: number;
  ihl?: number;
  dscp?: number;
  ecn?: number;
  /** The whole second byte; an alternative to dscp + ecn, not to be combined with them. */
  tos?: number;
  totalLength?: number;
  identification?: number;
  /** An object, or the 3-bit field value (reserved 0x4, DF 0x2, MF 0x1). */
  flags?: Partial<Ipv4Flags> | number;
  fragmentOffset?: number;
  ttl?: number;
  protocol: number;
  checksum?: number;
  source: Ipv4AddressInput;
  destination: Ipv4AddressInput;
  /** Raw option bytes; padded with zeros to a multiple of 4 (or to ihl * 4 when ihl is given). */
  options?: Uint8Array;
  /** Bytes appended after the packet, outside total length (e.g. Ethernet padding seen by a parser). */
  trailer?: Uint8Array;
}

export interface Ipv4Packet extends Ipv4Header {
  checksumValid: boolean;
  /** Bytes from ihl * 4 up to total length (a view into the input). */
  payload: Uint8Array;
  /** Bytes after total length, e.g. Ethernet minimum-frame padding (a view into the input). */
  trailer: Uint8Array;
  /** Payload bytes that total length promises but the input lacks; non-zero only with allowTruncatedPayload. */
  missingLength: number;
}

export interface ParseIpv4Options {
  /**
   * Accept input shorter than total length (the header itself must be whole):
   * the payload is what is there and missingLength says how much is absent.
   * ICMP errors quote datagrams this way.
   */
  allowTruncatedPayload?: boolean;
}

function checkField(name: string, value: number, bits: number): number {
  return checkUnsignedField('IPv4', name, value, bits);
}

/** The 3-bit flags field value from either form. */
export function ipv4FlagsValue(flags: Partial<Ipv4Flags> | number | undefined): number {
  if (flags === undefined) return 0;
  if (typeof flags === 'number') return checkField('flags', flags, 3);
  return (
    (flags.reserved ? FLAG_RESERVED : 0) |
    (flags.dontFragment ? FLAG_DONT_FRAGMENT : 0) |
    (flags.moreFragments ? FLAG_MORE_FRAGMENTS : 0)
  );
}

function tosValue(header: Ipv4HeaderInit): number {
  if (header.tos !== undefined) {
    if (header.dscp !== undefined || header.ecn !== undefined) {
      throw new RangeError('IPv4: give either tos or dscp/ecn, not both');
    }
    return checkField('tos', header.tos, 8);
  }
  return (checkField('dscp', header.dscp ?? 0, 6) << 2) | checkField('ecn', header.ecn ?? 0, 2);
}

/** Header length in bytes that the builder will write for these fields. */
export function ipv4HeaderLength(header: Pick<Ipv4HeaderInit, 'ihl' | 'options'>): number {
  const optionsLength = header.options?.length ?? 0;
  if (header.ihl !== undefined) return OPTIONS + Math.max(optionsLength, header.ihl * 4 - OPTIONS);
  return OPTIONS + ((optionsLength + 3) & ~3);
}

/**
 * Writes the header (options and padding included, checksum filled unless
 * given) at buffer[offset]; the caller puts the payload right after it.
 * `payloadLength` only feeds the computed total length. Returns the header length.
 */
export function emitIpv4Into(buffer: Uint8Array, offset: number, header: Ipv4HeaderInit, payloadLength: number): number {
  const options = header.options ?? EMPTY;
  const headerLength = ipv4HeaderLength(header);
  let ihl: number;
  if (header.ihl !== undefined) {
    ihl = checkField('ihl', header.ihl, 4);
  } else {
    ihl = headerLength / 4;
    if (ihl > 15) throw new RangeError(`IPv4 options take ${headerLength - OPTIONS} bytes; a header holds at most 40`);
  }
  let totalLength: number;
  if (header.totalLength !== undefined) {
    totalLength = checkField('totalLength', header.totalLength, 16);
  } else {
    totalLength = headerLength + payloadLength;
    if (totalLength > 0xffff) throw new RangeError(`IPv4 packet of ${totalLength} bytes exceeds 65535`);
  }
  const version = checkField('version', header.version ?? 4, 4);
  const flags = ipv4FlagsValue(header.flags);
  const fragmentOffset = checkField('fragmentOffset', header.fragmentOffset ?? 0, 13);
  const identification = checkField('identification', header.identification ?? 0, 16);
  const ttl = checkField('ttl', header.ttl ?? 64, 8);
  const protocol = checkField('protocol', header.protocol, 8);
  const source = ipv4AddressBytes(header.source);
  const destination = ipv4AddressBytes(header.destination);
  if (offset < 0 || buffer.length - offset < headerLength) {
    throw new RangeError(`IPv4 header needs ${headerLength} bytes at offset ${offset}; buffer has ${buffer.length - offset}`);
  }

  const b = buffer;
  const o = offset;
  b[o + VERSION_IHL] = (version << 4) | ihl;
  b[o + TOS] = tosValue(header);
  b[o + TOTAL_LENGTH] = totalLength >>> 8;
  b[o + TOTAL_LENGTH + 1] = totalLength & 0xff;
  b[o + IDENTIFICATION] = identification >>> 8;
  b[o + IDENTIFICATION + 1] = identification & 0xff;
  b[o + FLAGS_FRAGMENT_OFFSET] = (flags << 5) | (fragmentOffset >>> 8);
  b[o + FLAGS_FRAGMENT_OFFSET + 1] = fragmentOffset & 0xff;
  b[o + TTL] = ttl;
  b[o + PROTOCOL] = protocol;
  b[o + CHECKSUM] = 0;
  b[o + CHECKSUM + 1] = 0;
  b.set(source, o + SOURCE);
  b.set(destination, o + DESTINATION);
  b.set(options, o + OPTIONS);
  b.fill(0, o + OPTIONS + options.length, o + headerLength);

  let checksum: number;
  if (header.checksum !== undefined) {
    checksum = checkField('checksum', header.checksum, 16);
  } else {
    // Cover the header as its IHL describes it, but never less than the fixed part.
    const covered = ihl >= 5 ? ihl * 4 : OPTIONS;
    checksum = checksumFinish(checksumAdd(0, b, o, o + covered));
  }
  b[o + CHECKSUM] = checksum >>> 8;
  b[o + CHECKSUM + 1] = checksum & 0xff;
  return headerLength;
}

/** Header, payload and trailer as one new array. */
export function buildIpv4(header: Ipv4HeaderInit, payload: Uint8Array = EMPTY): Uint8Array {
  const trailer = header.trailer ?? EMPTY;
  const headerLength = ipv4HeaderLength(header);
  const bytes = new Uint8Array(headerLength + payload.length + trailer.length);
  emitIpv4Into(bytes, 0, header, payload.length);
  bytes.set(payload, headerLength);
  bytes.set(trailer, headerLength + payload.length);
  return bytes;
}

/**
 * A zero-copy view of an IPv4 packet at bytes[start, end). `point()` checks
 * that the version is 4 and the whole header (options included) is there;
 * the payload may be cut short (an ICMP quote, a snaplen), which
 * `missingLength` reports. `payloadStart`/`payloadEnd` are indexes into
 * `bytes`, so checksums and inner views work on ranges without subarrays.
 */
export class Ipv4View extends HeaderView {
  /** Points at bytes[start, end) and checks the header; returns why it cannot be read, or undefined. */
  point(bytes: Uint8Array, start = 0, end = bytes.length): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    const available = end - start;
    if (available < 1) return truncatedError('ipv4', 'empty input', 0);
    const version = this.version;
    if (version !== 4) return malformedError('ipv4', `version is ${version}, not 4`, VERSION_IHL);
    const ihl = this.ihl;
    if (ihl < 5) return malformedError('ipv4', `IHL is ${ihl} words; the minimum is 5`, VERSION_IHL);
    if (available < IPV4_MIN_HEADER_LENGTH) {
      return truncatedError('ipv4', `need ${IPV4_MIN_HEADER_LENGTH} bytes for the fixed header, have ${available}`, available);
    }
    const headerLength = ihl * 4;
    if (available < headerLength) return truncatedError('ipv4', `IHL says ${headerLength} header bytes, have ${available}`, available);
    const totalLength = this.totalLength;
    if (totalLength < headerLength) {
      return malformedError('ipv4', `total length ${totalLength} is less than the header length ${headerLength}`, TOTAL_LENGTH);
    }
    return undefined;
  }

  get version(): number {
    return this.u8(VERSION_IHL) >>> 4;
  }
  /** Header length in 32-bit words. */
  get ihl(): number {
    return this.u8(VERSION_IHL) & 0x0f;
  }
  get headerLength(): number {
    return (this.u8(VERSION_IHL) & 0x0f) * 4;
  }
  get tos(): number {
    return this.u8(TOS);
  }
  get dscp(): number {
    return this.u8(TOS) >>> 2;
  }
  get ecn(): number {
    return this.u8(TOS) & 0x3;
  }
  get totalLength(): number {
    return this.u16(TOTAL_LENGTH);
  }
  get identification(): number {
    return this.u16(IDENTIFICATION);
  }
  /** The 3-bit flags field: reserved 0x4, DF 0x2, MF 0x1. */
  get flags(): number {
    return this.u8(FLAGS_FRAGMENT_OFFSET) >>> 5;
  }
  get dontFragment(): boolean {
    return (this.flags & FLAG_DONT_FRAGMENT) !== 0;
  }
  get moreFragments(): boolean {
    return (this.flags & FLAG_MORE_FRAGMENTS) !== 0;
  }
  /** In units of 8 bytes. */
  get fragmentOffset(): number {
    return this.u16(FLAGS_FRAGMENT_OFFSET) & 0x1fff;
  }
  /** True for every fragment but a whole datagram: MF set or a non-zero offset. */
  get isFragment(): boolean {
    return (this.u16(FLAGS_FRAGMENT_OFFSET) & 0x3fff) !== 0;
  }
  get ttl(): number {
    return this.u8(TTL);
  }
  get protocol(): number {
    return this.u8(PROTOCOL);
  }
  get checksum(): number {
    return this.u16(CHECKSUM);
  }
  /** The source address as an unsigned 32-bit number (a cheap map key). */
  get sourceNumber(): number {
    return this.u32(SOURCE);
  }
  get destinationNumber(): number {
    return this.u32(DESTINATION);
  }
  /** Dotted quad; allocates a string. */
  get source(): string {
    return formatIpv4Address(this.bytes, this.start + SOURCE);
  }
  get destination(): string {
    return formatIpv4Address(this.bytes, this.start + DESTINATION);
  }
  /** Index in `bytes` of the source address (4 bytes). */
  get sourceAt(): number {
    return this.start + SOURCE;
  }
  get destinationAt(): number {
    return this.start + DESTINATION;
  }
  /** Raw option bytes with their padding (a view). */
  get options(): Uint8Array {
    return this.bytes.subarray(this.start + OPTIONS, this.start + this.headerLength);
  }
  /** True when the header sums right. */
  get checksumValid(): boolean {
    return foldChecksum(checksumAdd(0, this.bytes, this.start, this.start + this.headerLength)) === 0xffff;
  }
  /** The verdict on the header checksum; `knownValid` skips the sum when checksumValid already said so. */
  checksumVerdict(scope?: Pick<ChecksumScope, 'knownValid'>): ChecksumVerdict {
    return checkChecksum(this.bytes, this.start, this.start + this.headerLength, this.start + CHECKSUM, scope);
  }
  /** Index in `bytes` where the payload starts. */
  get payloadStart(): number {
    return this.start + this.headerLength;
  }
  /** Index in `bytes` where the payload ends: total length, or the end of what is there. */
  get payloadEnd(): number {
    return Math.min(this.end, this.start + this.totalLength);
  }
  /** Payload bytes total length promises but the input lacks. */
  get missingLength(): number {
    return Math.max(0, this.start + this.totalLength - this.end);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.payloadStart, this.payloadEnd);
  }
  /** Bytes after total length, e.g. Ethernet padding. */
  get trailer(): Uint8Array {
    return this.bytes.subarray(this.payloadEnd, this.end);
  }
  /** Unfolded pseudo-header sum for an upper layer of `length` bytes carried here (TCP, UDP). */
  pseudoHeaderSum(protocol: number, length: number): number {
    return ipv4PseudoHeaderSum(this.bytes, this.bytes, protocol, length, this.start + SOURCE, this.start + DESTINATION);
  }
}

/** Parses an IPv4 packet; never throws. `payload`, `trailer` and `options` are views into `bytes`. */
export function parseIpv4(bytes: Uint8Array, parseOptions: ParseIpv4Options = {}): ParseResult<Ipv4Packet> {
  const view = new Ipv4View();
  const error = view.point(bytes);
  if (error !== undefined) return { ok: false, error };
  const missingLength = view.missingLength;
  if (missingLength > 0 && !parseOptions.allowTruncatedPayload) {
    return truncated('ipv4', `total length is ${view.totalLength}, have ${bytes.length} bytes`, bytes.length);
  }
  return parsed(ipv4PacketFromView(view));
}

/** Every field of the packet the view looks at (after a successful point()); payload, trailer and options are views. */
export function ipv4PacketFromView(view: Ipv4View): Ipv4Packet {
  const flags = view.flags;
  return {
    version: view.version,
    ihl: view.ihl,
    dscp: view.dscp,
    ecn: view.ecn,
    totalLength: view.totalLength,
    identification: view.identification,
    flags: {
      reserved: (flags & FLAG_RESERVED) !== 0,
      dontFragment: (flags & FLAG_DONT_FRAGMENT) !== 0,
      moreFragments: (flags & FLAG_MORE_FRAGMENTS) !== 0,
    },
    fragmentOffset: view.fragmentOffset,
    ttl: view.ttl,
    protocol: view.protocol,
    checksum: view.checksum,
    source: view.source,
    destination: view.destination,
    options: view.options,
    checksumValid: view.checksumValid,
    payload: view.payload,
    trailer: view.trailer,
    missingLength: view.missingLength,
  };
}
