// ICMPv4 codec (RFC 792, with RFC 1191 next-hop MTU and RFC 1812 codes).
//
// Every ICMP message is an 8-byte header (type, code, checksum, 4 bytes whose
// meaning depends on the type) and a body. Messages are a union on `kind`
// rather than on `type`, because the catch-all kind has `type: number`, which
// would defeat narrowing on a numeric discriminant.
//
// Error messages quote the datagram that caused them. The quote is parsed into
// a view (IPv4 header + the transport fields routers include) but tolerantly:
// a broken quote is reported in `quoted` and never fails the outer parse.

import { checkChecksum, checksumAdd, checksumFinish, foldChecksum, type ChecksumScope, type ChecksumVerdict } from './checksum.ts';
import { formatIpv4Address, ipv4AddressBytes, type Ipv4AddressInput } from './ipv4-address.ts';
import { IpProtocol, Ipv4View, parseIpv4, type Ipv4Packet } from './ipv4.ts';
import { parsed, truncated, truncatedError, type ParseError, type ParseResult } from './parse-result.ts';
import { checkUnsignedField, write16, write32 } from './header-fields.ts';
import { HeaderView } from './header-view.ts';
import { TcpField, TcpView } from './tcp.ts';
import { UdpField, UdpView } from './udp.ts';

export const IcmpType = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  SourceQuench: 4,
  Redirect: 5,
  AlternateHostAddress: 6,
  EchoRequest: 8,
  RouterAdvertisement: 9,
  RouterSolicitation: 10,
  TimeExceeded: 11,
  ParameterProblem: 12,
  Timestamp: 13,
  TimestampReply: 14,
  InformationRequest: 15,
  InformationReply: 16,
  AddressMaskRequest: 17,
  AddressMaskReply: 18,
  Traceroute: 30,
  ExtendedEchoRequest: 42,
  ExtendedEchoReply: 43,
} as const;

export const IcmpUnreachableCode = {
  NetUnreachable: 0,
  HostUnreachable: 1,
  ProtocolUnreachable: 2,
  PortUnreachable: 3,
  FragmentationNeeded: 4,
  SourceRouteFailed: 5,
  DestinationNetworkUnknown: 6,
  DestinationHostUnknown: 7,
  SourceHostIsolated: 8,
  NetworkProhibited: 9,
  HostProhibited: 10,
  NetworkUnreachableForTos: 11,
  HostUnreachableForTos: 12,
  CommunicationProhibited: 13,
  HostPrecedenceViolation: 14,
  PrecedenceCutoff: 15,
} as const;

export const IcmpRedirectCode = { Network: 0, Host: 1, TosAndNetwork: 2, TosAndHost: 3 } as const;
export const IcmpTimeExceededCode = { TtlExceeded: 0, FragmentReassemblyTimeExceeded: 1 } as const;
export const IcmpParameterProblemCode = { PointerIndicatesError: 0, MissingRequiredOption: 1, BadLength: 2 } as const;

const TYPE_NAMES: Record<number, string> = {
  0: 'Echo Reply',
  3: 'Destination Unreachable',
  4: 'Source Quench',
  5: 'Redirect',
  6: 'Alternate Host Address',
  8: 'Echo Request',
  9: 'Router Advertisement',
  10: 'Router Solicitation',
  11: 'Time Exceeded',
  12: 'Parameter Problem',
  13: 'Timestamp',
  14: 'Timestamp Reply',
  15: 'Information Request',
  16: 'Information Reply',
  17: 'Address Mask Request',
  18: 'Address Mask Reply',
  30: 'Traceroute',
  42: 'Extended Echo Request',
  43: 'Extended Echo Reply',
};

const CODE_NAMES: Record<number, readonly string[]> = {
  3: [
    'Net Unreachable',
    'Host Unreachable',
    'Protocol Unreachable',
    'Port Unreachable',
    'Fragmentation Needed and DF Set',
    'Source Route Failed',
    'Destination Network Unknown',
    'Destination Host Unknown',
    'Source Host Isolated',
    'Network Administratively Prohibited',
    'Host Administratively Prohibited',
    'Network Unreachable for TOS',
    'Host Unreachable for TOS',
    'Communication Administratively Prohibited',
    'Host Precedence Violation',
    'Precedence Cutoff in Effect',
  ],
  5: ['Redirect for Network', 'Redirect for Host', 'Redirect for TOS and Network', 'Redirect for TOS and Host'],
  11: ['TTL Exceeded in Transit', 'Fragment Reassembly Time Exceeded'],
  12: ['Pointer Indicates the Error', 'Missing a Required Option', 'Bad Length'],
};

/** RFC name of an ICMP type, or undefined for an unassigned one. */
export function icmpTypeName(type: number): string | undefined {
  return TYPE_NAMES[type];
}

/** RFC name of a code of the given type, or undefined when the type has no named codes. */
export function icmpCodeName(type: number, code: number): string | undefined {
  return CODE_NAMES[type]?.[code];
}

export const ICMP_HEADER_LENGTH = 8;

// Field offsets (RFC 792): smoltcp's `mod field`.
export const IcmpField = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  /** Bytes 4-7, whose meaning depends on the type. */
  REST_OF_HEADER: 4,
  IDENTIFIER: 4,
  SEQUENCE: 6,
  /** Destination unreachable, code 4 (RFC 1191). */
  NEXT_HOP_MTU: 6,
  /** Parameter problem. */
  POINTER: 4,
  /** Redirect. */
  GATEWAY: 4,
  BODY: 8,
} as const;
const { TYPE, CODE, CHECKSUM, REST_OF_HEADER, BODY } = IcmpField;

/** A timestamp message (RFC 792) is exactly this long; others of type 13/14 parse as 'other'. */
const TIMESTAMP_MESSAGE_LENGTH = 20;

const EMPTY = new Uint8Array(0);

/** The transport fields a quote carries, each present only if the quote reaches it. */
export type QuotedTransport =
  | { protocol: 'tcp'; sourcePort: number; destinationPort: number; sequenceNumber?: number }
  | { protocol: 'udp'; sourcePort: number; destinationPort: number; length?: number; checksum?: number }
  | QuotedIcmpHeader<'icmp'>;

/** A quoted ICMP or ICMPv6 header: each field only if it was quoted; identifier and sequence only for a query. */
export interface QuotedIcmpHeader<P extends 'icmp' | 'icmpv6'> {
  protocol: P;
  type: number;
  code: number;
  checksum?: number;
  identifier?: number;
  sequence?: number;
}

/** The TCP and UDP members of QuotedTransport, which ICMPv4 and ICMPv6 errors quote alike. */
export type QuotedPorts = Extract<QuotedTransport, { protocol: 'tcp' | 'udp' }>;

export interface QuotedDatagram {
  /** The quoted IPv4 header; `payload` holds what was quoted of the rest, `missingLength` what was cut. */
  ip: Ipv4Packet;
  /** Absent for other protocols, non-first fragments, or a quote too short to reach the ports. */
  transport?: QuotedTransport;
}

export interface IcmpEcho {
  kind: 'echo';
  type: 0 | 8;
  code: number;
  checksum?: number;
  identifier: number;
  sequence: number;
  payload: Uint8Array;
}

interface IcmpErrorBase {
  code: number;
  checksum?: number;
  /** The quoted bytes: the offending datagram's header and start, plus any RFC 4884 extension. */
  original: Uint8Array;
  /** Parsed view of `original`, filled by the parser; the builder ignores it. */
  quoted: ParseResult<QuotedDatagram>;
}

export interface IcmpDestinationUnreachable extends IcmpErrorBase {
  kind: 'destination-unreachable';
  type: 3;
  /** Bytes 4-5 (RFC 4884 puts the original datagram length, in words, in byte 5). */
  unused: number;
  /** Bytes 6-7: the next-hop MTU for code 4 (RFC 1191); unused otherwise. */
  nextHopMtu: number;
}

export interface IcmpSourceQuench extends IcmpErrorBase {
  kind: 'source-quench';
  type: 4;
  unused: number;
}

export interface IcmpRedirect extends IcmpErrorBase {
  kind: 'redirect';
  type: 5;
  gateway: string;
}

export interface IcmpTimeExceeded extends IcmpErrorBase {
  kind: 'time-exceeded';
  type: 11;
  /** Bytes 4-7 (RFC 4884 puts the original datagram length, in words, in byte 5). */
  unused: number;
}

export interface IcmpParameterProblem extends IcmpErrorBase {
  kind: 'parameter-problem';
  type: 12;
  /** Byte offset of the offending octet in the original datagram (code 0). */
  pointer: number;
  /** Bytes 5-7. */
  unused: number;
}

export interface IcmpTimestamp {
  kind: 'timestamp';
  type: 13 | 14;
  code: number;
  checksum?: number;
  identifier: number;
  sequence: number;
  /** Milliseconds since midnight UT (RFC 792). */
  originateTimestamp: number;
  receiveTimestamp: number;
  transmitTimestamp: number;
}

/** Any other type, or a timestamp message of the wrong length: kept raw. */
export interface IcmpOther {
  kind: 'other';
  type: number;
  code: number;
  checksum?: number;
  /** Bytes 4-7, exactly 4 bytes. */
  restOfHeader: Uint8Array;
  payload: Uint8Array;
}

export type IcmpErrorMessage =
  | IcmpDestinationUnreachable
  | IcmpSourceQuench
  | IcmpRedirect
  | IcmpTimeExceeded
  | IcmpParameterProblem;

export type IcmpMessage = IcmpEcho | IcmpErrorMessage | IcmpTimestamp | IcmpOther;

/** What parseIcmp returns: the checksum as read and whether it is right. */
export type ParsedIcmpMessage = IcmpMessage & { checksum: number; checksumValid: boolean };

type Loosen<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/**
 * Builder input: the type defaults from the kind (echo: 8, timestamp: 13);
 * code, rest-of-header values and bodies default to zero/empty; the checksum
 * is filled unless given.
 */
export type IcmpMessageInit =
  | Loosen<IcmpEcho, 'type' | 'code' | 'payload'>
  | Loosen<IcmpDestinationUnreachable, 'type' | 'code' | 'unused' | 'nextHopMtu' | 'quoted'>
  | Loosen<IcmpSourceQuench, 'type' | 'code' | 'unused' | 'quoted'>
  | (Loosen<Omit<IcmpRedirect, 'gateway'>, 'type' | 'code' | 'quoted'> & { gateway: Ipv4AddressInput })
  | Loosen<IcmpTimeExceeded, 'type' | 'code' | 'unused' | 'quoted'>
  | Loosen<IcmpParameterProblem, 'type' | 'code' | 'pointer' | 'unused' | 'quoted'>
  | Loosen<IcmpTimestamp, 'type' | 'code' | 'originateTimestamp' | 'receiveTimestamp' | 'transmitTimestamp'>
  | Loosen<IcmpOther, 'code' | 'restOfHeader' | 'payload'>;

function checkField(name: string, value: number, bits: number): number {
  return checkUnsignedField('ICMP', name, value, bits);
}

const DEFAULT_TYPE: Record<Exclude<IcmpMessage['kind'], 'other'>, number> = {
  echo: IcmpType.EchoRequest,
  'destination-unreachable': IcmpType.DestinationUnreachable,
  'source-quench': IcmpType.SourceQuench,
  redirect: IcmpType.Redirect,
  'time-exceeded': IcmpType.TimeExceeded,
  'parameter-problem': IcmpType.ParameterProblem,
  timestamp: IcmpType.Timestamp,
};

function bodyOf(message: IcmpMessageInit): Uint8Array {
  switch (message.kind) {
    case 'echo':
    case 'other':
      return message.payload ?? EMPTY;
    case 'timestamp':
      return EMPTY; // the 12 timestamp bytes are written as fields
    default:
      return message.original;
  }
}

/** Length in bytes of the message the builder will write. */
export function icmpLength(message: IcmpMessageInit): number {
  return message.kind === 'timestamp' ? TIMESTAMP_MESSAGE_LENGTH : ICMP_HEADER_LENGTH + bodyOf(message).length;
}

/** Writes the message at buffer[offset], checksum filled unless given; returns the bytes written. */
export function emitIcmpInto(buffer: Uint8Array, offset: number, message: IcmpMessageInit): number {
  const length = icmpLength(message);
  if (offset < 0 || buffer.length - offset < length) {
    throw new RangeError(`ICMP message needs ${length} bytes at offset ${offset}; buffer has ${buffer.length - offset}`);
  }
  const b = buffer;
  const o = offset;
  b[o + TYPE] = checkField('type', message.kind === 'other' ? message.type : (message.type ?? DEFAULT_TYPE[message.kind]), 8);
  b[o + CODE] = checkField('code', message.code ?? 0, 8);
  write16(b, o + CHECKSUM, 0);
  const rest = o + REST_OF_HEADER;
  switch (message.kind) {
    case 'echo':
      write16(b, rest, checkField('identifier', message.identifier, 16));
      write16(b, rest + 2, checkField('sequence', message.sequence, 16));
      break;
    case 'destination-unreachable':
      write16(b, rest, checkField('unused', message.unused ?? 0, 16));
      write16(b, rest + 2, checkField('nextHopMtu', message.nextHopMtu ?? 0, 16));
      break;
    case 'source-quench':
    case 'time-exceeded':
      write32(b, rest, checkField('unused', message.unused ?? 0, 32));
      break;
    case 'redirect':
      b.set(ipv4AddressBytes(message.gateway), rest);
      break;
    case 'parameter-problem':
      // pointer (8 bits) then 24 unused bits: one 32-bit word.
      write32(
        b,
        rest,
        ((checkField('pointer', message.pointer ?? 0, 8) << 24) | checkField('unused', message.unused ?? 0, 24)) >>> 0,
      );
      break;
    case 'timestamp':
      write16(b, rest, checkField('identifier', message.identifier, 16));
      write16(b, rest + 2, checkField('sequence', message.sequence, 16));
      write32(b, o + BODY, checkField('originateTimestamp', message.originateTimestamp ?? 0, 32));
      write32(b, o + BODY + 4, checkField('receiveTimestamp', message.receiveTimestamp ?? 0, 32));
      write32(b, o + BODY + 8, checkField('transmitTimestamp', message.transmitTimestamp ?? 0, 32));
      break;
    case 'other': {
      const restOfHeader = message.restOfHeader ?? new Uint8Array(4);
      if (restOfHeader.length !== 4) throw new RangeError(`ICMP restOfHeader has 4 bytes, not ${restOfHeader.length}`);
      b.set(restOfHeader, rest);
      break;
    }
  }
  b.set(bodyOf(message), o + BODY);
  const checksum =
    message.checksum !== undefined
      ? checkField('checksum', message.checksum, 16)
      : checksumFinish(checksumAdd(0, b, o, o + length));
  write16(b, o + CHECKSUM, checksum);
  return length;
}

export function buildIcmp(message: IcmpMessageInit): Uint8Array {
  const bytes = new Uint8Array(icmpLength(message));
  emitIcmpInto(bytes, 0, message);
  return bytes;
}

/** Echo data: bytes, UTF-8 text, or iputils' `-p` fill (the pattern repeated from data byte 0). */
export type EchoPayloadInit = Uint8Array | string | { pattern: Uint8Array; length: number };

export interface IcmpEchoInit {
  /** 8 (request, the default) or 0 (reply). */
  type?: 0 | 8;
  code?: number;
  identifier: number;
  sequence: number;
  payload?: EchoPayloadInit;
  checksum?: number;
}

/** Fills `length` bytes with `pattern` repeated from byte 0. */
export function patternFill(pattern: Uint8Array, length: number): Uint8Array {
  checkField('pattern length', length, 31);
  const bytes = new Uint8Array(length);
  if (pattern.length === 0) return bytes;
  for (let i = 0; i < length; i++) bytes[i] = pattern[i % pattern.length];
  return bytes;
}

const utf8 = new TextEncoder();

/** The bytes of echo data given in any EchoPayloadInit form (ICMPv4 and ICMPv6 alike). */
export function echoPayloadBytes(payload: EchoPayloadInit | undefined): Uint8Array {
  if (payload === undefined) return EMPTY;
  if (typeof payload === 'string') return utf8.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  return patternFill(payload.pattern, payload.length);
}

export function buildIcmpEcho(init: IcmpEchoInit): Uint8Array {
  const payload = echoPayloadBytes(init.payload);
  const bytes = new Uint8Array(ICMP_HEADER_LENGTH + payload.length);
  emitIcmpEchoInto(bytes, 0, {
    type: init.type,
    code: init.code,
    identifier: init.identifier,
    sequence: init.sequence,
    payload,
    checksum: init.checksum,
  });
  return bytes;
}

export interface IcmpEchoFields {
  type?: number;
  code?: number;
  identifier: number;
  sequence: number;
  payload?: Uint8Array;
  checksum?: number;
  /** Unfolded sum added to the message's: ICMPv6's pseudo-header (RFC 4443 2.3); none for ICMPv4. */
  checksumBase?: number;
}

/** Up to this payload size one pass that copies and sums beats TypedArray.set plus a separate sum. */
const FUSED_COPY_MAX = 256;

/** Copies `source` to b[offset] and returns its unfolded 16-bit big-endian word sum, in one pass. */
function copyAndSum(b: Uint8Array, offset: number, source: Uint8Array): number {
  const n = source.length;
  let even = 0;
  let odd = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const x0 = source[i];
    const x1 = source[i + 1];
    const x2 = source[i + 2];
    const x3 = source[i + 3];
    b[offset + i] = x0;
    b[offset + i + 1] = x1;
    b[offset + i + 2] = x2;
    b[offset + i + 3] = x3;
    even += (x0 << 8) | x1;
    odd += (x2 << 8) | x3;
  }
  for (; i < n; i++) {
    const x = source[i];
    b[offset + i] = x;
    even += i & 1 ? x : x << 8;
  }
  return even + odd;
}

/**
 * Hot path: writes an echo message into a reused buffer and returns the
 * bytes written. The checksum is summed from the field values and the source
 * payload, so the header is never read back.
 */
export function emitIcmpEchoInto(buffer: Uint8Array, offset: number, fields: IcmpEchoFields): number {
  const payload = fields.payload ?? EMPTY;
  const length = ICMP_HEADER_LENGTH + payload.length;
  const type = fields.type ?? IcmpType.EchoRequest;
  const code = fields.code ?? 0;
  const { identifier, sequence } = fields;
  // One combined range test keeps the hot path cheap; the slow path says which field is wrong.
  if (
    (type | code) >>> 8 !== 0 ||
    (identifier | sequence) >>> 16 !== 0 ||
    !Number.isInteger(type + code + identifier + sequence)
  ) {
    checkField('type', type, 8);
    checkField('code', code, 8);
    checkField('identifier', identifier, 16);
    checkField('sequence', sequence, 16);
  }
  if (offset < 0 || buffer.length - offset < length) {
    throw new RangeError(`ICMP echo needs ${length} bytes at offset ${offset}; buffer has ${buffer.length - offset}`);
  }
  const b = buffer;
  const o = offset;
  b[o] = type;
  b[o + 1] = code;
  b[o + 4] = identifier >>> 8;
  b[o + 5] = identifier & 0xff;
  b[o + 6] = sequence >>> 8;
  b[o + 7] = sequence & 0xff;
  let checksum = fields.checksum;
  if (checksum !== undefined) {
    checkField('checksum', checksum, 16);
    b.set(payload, o + ICMP_HEADER_LENGTH);
  } else {
    const header = ((type << 8) | code) + identifier + sequence + (fields.checksumBase ?? 0);
    const payloadSum =
      payload.length <= FUSED_COPY_MAX
        ? copyAndSum(b, o + ICMP_HEADER_LENGTH, payload)
        : (b.set(payload, o + ICMP_HEADER_LENGTH), checksumAdd(0, payload));
    checksum = checksumFinish(header + payloadSum);
  }
  b[o + 2] = checksum >>> 8;
  b[o + 3] = checksum & 0xff;
  return length;
}

export interface IputilsEchoPayloadInit {
  /** struct timeval tv_sec. */
  seconds: number;
  /** struct timeval tv_usec. */
  microseconds: number;
  /** ping -s; 56 by default. */
  size?: number;
  /** ping -p bytes. */
  pattern?: Uint8Array;
}

/** sizeof(struct timeval) on x86_64 Linux: two 64-bit little-endian longs. */
export const IPUTILS_TIMEVAL_LENGTH = 16;

function checkUint53(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`iputils ${name} must be a non-negative safe integer, got ${value}`);
  }
}

function writeUint64Le(b: Uint8Array, o: number, value: number): void {
  const low = value % 0x1_0000_0000;
  const high = Math.floor(value / 0x1_0000_0000);
  for (let i = 0; i < 4; i++) {
    b[o + i] = (low >>> (8 * i)) & 0xff;
    b[o + 4 + i] = (high >>> (8 * i)) & 0xff;
  }
}

/**
 * The echo data iputils ping sends from x86_64 Linux: every data byte i is
 * i & 0xff (or, with -p, the pattern repeated from byte 0), then when the data
 * can hold a struct timeval (size >= 16) the send time overwrites bytes 0-15.
 */
export function iputilsEchoPayload(init: IputilsEchoPayloadInit): Uint8Array {
  const size = init.size ?? 56;
  checkField('size', size, 16);
  checkUint53('seconds', init.seconds);
  checkUint53('microseconds', init.microseconds);
  let bytes: Uint8Array;
  if (init.pattern && init.pattern.length > 0) {
    bytes = patternFill(init.pattern, size);
  } else {
    bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = i & 0xff;
  }
  if (size >= IPUTILS_TIMEVAL_LENGTH) writeIputilsTimestamp(bytes, init.seconds, init.microseconds);
  return bytes;
}

/**
 * Overwrites the struct timeval at the start of echo data in place: what
 * ping does for every request it sends. The data must hold 16 bytes.
 */
export function writeIputilsTimestamp(payload: Uint8Array, seconds: number, microseconds: number): void {
  writeUint64Le(payload, 0, seconds);
  writeUint64Le(payload, 8, microseconds);
}

/** The struct timeval at the start of iputils echo data, or undefined when the data is too short. */
export function parseIputilsTimestamp(payload: Uint8Array): { seconds: number; microseconds: number } | undefined {
  if (payload.length < IPUTILS_TIMEVAL_LENGTH) return undefined;
  const readUint32Le = (o: number): number =>
    (payload[o] | (payload[o + 1] << 8) | (payload[o + 2] << 16) | (payload[o + 3] << 24)) >>> 0;
  const readUint64Le = (o: number): number => readUint32Le(o) + readUint32Le(o + 4) * 0x1_0000_0000;
  return { seconds: readUint64Le(0), microseconds: readUint64Le(8) };
}

/** Types that are errors quoting a datagram (RFC 792). */
const ERROR_TYPES = new Set<number>([
  IcmpType.DestinationUnreachable,
  IcmpType.SourceQuench,
  IcmpType.Redirect,
  IcmpType.TimeExceeded,
  IcmpType.ParameterProblem,
]);

/** Query types, which carry an identifier and a sequence number (echo, timestamp, information, address mask). */
export function isIcmpQueryType(type: number): boolean {
  return type === IcmpType.EchoReply || type === IcmpType.EchoRequest || (type >= IcmpType.Timestamp && type <= IcmpType.AddressMaskReply);
}

/** Error types, whose body quotes the datagram that caused them. */
export function isIcmpErrorType(type: number): boolean {
  return ERROR_TYPES.has(type);
}

/**
 * Identifier and sequence from a query message's bytes 4-7, given on their
 * own (`restOfHeader` of a message parsed as 'other': information and
 * address mask requests and replies).
 */
export function icmpQueryIdentifiers(restOfHeader: Uint8Array): { identifier: number; sequence: number } {
  const view = new IcmpRestOfHeaderView(restOfHeader);
  return { identifier: view.identifier, sequence: view.sequence };
}

/**
 * An identifier or sequence number as a little-endian host would read the
 * field: Wireshark shows both ("seq=1/256"), since some pings write them in
 * host order.
 */
export function icmpQueryFieldLittleEndian(value: number): number {
  return ((value & 0xff) << 8) | (value >>> 8);
}

/**
 * The kind parseIcmp gives a message of this type and length: the one place
 * that decides it, so a reader that only needs the kind (a summary line)
 * agrees with the full parse.
 */
export function icmpMessageKind(type: number, length: number): IcmpMessage['kind'] {
  switch (type) {
    case IcmpType.EchoReply:
    case IcmpType.EchoRequest:
      return 'echo';
    case IcmpType.DestinationUnreachable:
      return 'destination-unreachable';
    case IcmpType.SourceQuench:
      return 'source-quench';
    case IcmpType.TimeExceeded:
      return 'time-exceeded';
    case IcmpType.Redirect:
      return 'redirect';
    case IcmpType.ParameterProblem:
      return 'parameter-problem';
    case IcmpType.Timestamp:
    case IcmpType.TimestampReply:
      return length === TIMESTAMP_MESSAGE_LENGTH ? 'timestamp' : 'other';
    default:
      return 'other';
  }
}

/**
 * The 8-byte header ICMPv4 (RFC 792) and ICMPv6 (RFC 4443 2.1) share: type,
 * code, checksum, bytes 4-7 (a query's identifier and sequence), then the
 * body. IcmpView and Icmpv6View add what differs: the checksum's scope
 * (ICMPv6 sums a pseudo-header), the type-dependent fields, the quote's IP version.
 */
export abstract class IcmpHeaderView extends HeaderView {
  /** The layer named in a truncation error. */
  protected abstract readonly layer: 'icmp' | 'icmpv6';

  /** Points at bytes[start, end) and checks the header; returns why it cannot be read, or undefined. */
  point(bytes: Uint8Array, start = 0, end = bytes.length): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    const available = end - start;
    if (available < ICMP_HEADER_LENGTH) return truncatedError(this.layer, `need ${ICMP_HEADER_LENGTH} header bytes, have ${available}`, available);
    return undefined;
  }

  get type(): number {
    return this.u8(TYPE);
  }
  get code(): number {
    return this.u8(CODE);
  }
  get checksum(): number {
    return this.u16(CHECKSUM);
  }
  /** Bytes 4-7 as one 32-bit number. */
  get restOfHeader(): number {
    return this.u32(REST_OF_HEADER);
  }
  /** Bytes 4-7 as a subarray (a view). */
  get restOfHeaderBytes(): Uint8Array {
    return this.bytes.subarray(this.start + REST_OF_HEADER, this.start + BODY);
  }
  /** Query messages: bytes 4-5. */
  get identifier(): number {
    return this.u16(IcmpField.IDENTIFIER);
  }
  /** Query messages: bytes 6-7. */
  get sequence(): number {
    return this.u16(IcmpField.SEQUENCE);
  }
  /** Index in `bytes` where the body (echo data, or an error's quote) starts. */
  get bodyStart(): number {
    return this.start + BODY;
  }
  get body(): Uint8Array {
    return this.bytes.subarray(this.start + BODY, this.end);
  }
}

/**
 * A zero-copy view of an ICMPv4 message at bytes[start, end). `point()`
 * checks the 8-byte header; every type-dependent field of bytes 4-7 has its
 * accessor, and `quote()` points an IPv4 view at an error's quoted datagram.
 */
export class IcmpView extends IcmpHeaderView {
  protected readonly layer = 'icmp';

  /** True when the whole message sums right. */
  get checksumValid(): boolean {
    return foldChecksum(checksumAdd(0, this.bytes, this.start, this.end)) === 0xffff;
  }
  /** The verdict on the stored checksum over the whole message. */
  checksumVerdict(scope?: Pick<ChecksumScope, 'complete' | 'reason' | 'knownValid'>): ChecksumVerdict {
    return checkChecksum(this.bytes, this.start, this.end, this.start + CHECKSUM, scope);
  }
  /** The kind parseIcmp gives this message. */
  get kind(): IcmpMessage['kind'] {
    return icmpMessageKind(this.u8(TYPE), this.end - this.start);
  }
  /** Destination unreachable code 4: bytes 6-7 (RFC 1191). */
  get nextHopMtu(): number {
    return this.u16(IcmpField.NEXT_HOP_MTU);
  }
  /** Parameter problem: byte 4. */
  get pointer(): number {
    return this.u8(IcmpField.POINTER);
  }
  /** Redirect: the gateway address in bytes 4-7, dotted. */
  get gateway(): string {
    return formatIpv4Address(this.bytes, this.start + IcmpField.GATEWAY);
  }
  get isQuery(): boolean {
    return isIcmpQueryType(this.type);
  }
  get isError(): boolean {
    return isIcmpErrorType(this.type);
  }
  /**
   * The 32-bit number `at` bytes into the body, in either byte order: echo
   * data may start with the sender's clock, which Wireshark looks for both
   * ways (packet-icmp.c). The caller checks the body holds at + 4 bytes.
   */
  bodyUint32(at: number, littleEndian = false): number {
    const i = BODY + at;
    return littleEndian ? (this.u8(i) | (this.u8(i + 1) << 8) | (this.u8(i + 2) << 16) | (this.u8(i + 3) << 24)) >>> 0 : this.u32(i);
  }
  /** Points `ip` at the quoted datagram of an error message; the quote's payload may be cut. */
  quote(ip: Ipv4View): ParseError | undefined {
    return ip.point(this.bytes, this.start + BODY, this.end);
  }
}

/**
 * The TCP or UDP fields an ICMP or ICMPv6 error quotes at bytes[start, end),
 * read through the transport views (routers quote at least 8 bytes; each
 * field only if it was quoted). Undefined for other protocols or a quote
 * too short to reach the ports.
 */
export function parseQuotedPorts(protocol: number, bytes: Uint8Array, start: number, end: number): QuotedPorts | undefined {
  switch (protocol) {
    case IpProtocol.TCP: {
      const tcp = new TcpView().pointUnchecked(bytes, start, end);
      if (!tcp.reaches(TcpField.SEQUENCE_NUMBER)) return undefined;
      const quote: QuotedPorts = { protocol: 'tcp', sourcePort: tcp.sourcePort, destinationPort: tcp.destinationPort };
      if (tcp.reaches(TcpField.ACKNOWLEDGMENT_NUMBER)) quote.sequenceNumber = tcp.sequenceNumber;
      return quote;
    }
    case IpProtocol.UDP: {
      const udp = new UdpView().pointUnchecked(bytes, start, end);
      if (!udp.reaches(UdpField.LENGTH)) return undefined;
      const quote: QuotedPorts = { protocol: 'udp', sourcePort: udp.sourcePort, destinationPort: udp.destinationPort };
      if (udp.reaches(UdpField.CHECKSUM)) quote.length = udp.lengthField;
      if (udp.reaches(UdpField.PAYLOAD)) quote.checksum = udp.checksum;
      return quote;
    }
    default:
      return undefined;
  }
}

/** The transport fields an ICMP error quotes after the quoted IPv4 header. */
function parseQuotedTransport(ip: Ipv4View): QuotedTransport | undefined {
  // Only the first fragment carries the transport header.
  if (ip.fragmentOffset !== 0) return undefined;
  const start = ip.payloadStart;
  const end = ip.payloadEnd;
  if (ip.protocol !== IpProtocol.ICMP) return parseQuotedPorts(ip.protocol, ip.bytes, start, end);
  return quotedIcmpHeader('icmp', new IcmpView().pointUnchecked(ip.bytes, start, end), isIcmpQueryType);
}

/**
 * The quoted ICMP or ICMPv6 header `icmp` points at, however short the
 * quote (undefined when it stops before the checksum); `isQuery` says which
 * types keep identifier and sequence in bytes 4-7.
 */
export function quotedIcmpHeader<P extends 'icmp' | 'icmpv6'>(protocol: P, icmp: IcmpHeaderView, isQuery: (type: number) => boolean): QuotedIcmpHeader<P> | undefined {
  if (!icmp.reaches(IcmpField.CHECKSUM)) return undefined;
  const quote: QuotedIcmpHeader<P> = { protocol, type: icmp.type, code: icmp.code };
  if (icmp.reaches(IcmpField.REST_OF_HEADER)) quote.checksum = icmp.checksum;
  if (isQuery(quote.type) && icmp.reaches(BODY)) {
    quote.identifier = icmp.identifier;
    quote.sequence = icmp.sequence;
  }
  return quote;
}

/** Parses the datagram an ICMP error quotes; tolerant of the quote ending early. */
export function parseQuotedDatagram(original: Uint8Array): ParseResult<QuotedDatagram> {
  const ip = parseIpv4(original, { allowTruncatedPayload: true });
  if (!ip.ok) return ip;
  const view = new Ipv4View();
  view.point(original);
  const transport = parseQuotedTransport(view);
  return parsed(transport ? { ip: ip.value, transport } : { ip: ip.value });
}

/** The fields every ICMP error shares: the quote, raw and parsed. */
function errorFields<T extends object>(common: T, body: Uint8Array) {
  return { ...common, original: body, quoted: parseQuotedDatagram(body) };
}

/** Parses an ICMPv4 message; never throws. Bodies are views into `bytes`. */
export function parseIcmp(bytes: Uint8Array): ParseResult<ParsedIcmpMessage> {
  const view = new IcmpView();
  const error = view.point(bytes);
  if (error !== undefined) return { ok: false, error };
  const type = view.type;
  const code = view.code;
  const checksum = view.checksum;
  const checksumValid = view.checksumValid;
  const body = view.body;
  const common = { code, checksum, checksumValid };
  switch (view.kind) {
    case 'echo':
      return parsed({ kind: 'echo', type: type as 0 | 8, ...common, identifier: view.identifier, sequence: view.sequence, payload: body });
    case 'destination-unreachable':
      return parsed({
        kind: 'destination-unreachable',
        type: IcmpType.DestinationUnreachable,
        ...errorFields(common, body),
        unused: view.restOfHeader >>> 16,
        nextHopMtu: view.nextHopMtu,
      });
    case 'source-quench':
      return parsed({ kind: 'source-quench', type: IcmpType.SourceQuench, ...errorFields(common, body), unused: view.restOfHeader });
    case 'time-exceeded':
      return parsed({ kind: 'time-exceeded', type: IcmpType.TimeExceeded, ...errorFields(common, body), unused: view.restOfHeader });
    case 'redirect':
      return parsed({ kind: 'redirect', type: IcmpType.Redirect, ...errorFields(common, body), gateway: view.gateway });
    case 'parameter-problem':
      return parsed({
        kind: 'parameter-problem',
        type: IcmpType.ParameterProblem,
        ...errorFields(common, body),
        pointer: view.pointer,
        unused: view.restOfHeader & 0xffffff,
      });
    case 'timestamp': {
      const timestamps = new IcmpTimestampView(view);
      return parsed({
        kind: 'timestamp',
        type: type as 13 | 14,
        ...common,
        identifier: view.identifier,
        sequence: view.sequence,
        originateTimestamp: timestamps.originate,
        receiveTimestamp: timestamps.receive,
        transmitTimestamp: timestamps.transmit,
      });
    }
    case 'other':
      break;
  }
  return parsed({
    kind: 'other',
    type,
    ...common,
    restOfHeader: view.restOfHeaderBytes,
    payload: body,
  });
}

/** The three 32-bit times of a timestamp message's body (RFC 792), read where they lie. */
class IcmpTimestampView extends HeaderView {
  constructor(message: IcmpView) {
    super();
    this.pointUnchecked(message.bytes, message.bodyStart, message.end);
  }
  get originate(): number {
    return this.u32(0);
  }
  get receive(): number {
    return this.u32(4);
  }
  get transmit(): number {
    return this.u32(8);
  }
}

/** Bytes 4-7 of a query message held on their own. */
class IcmpRestOfHeaderView extends HeaderView {
  constructor(restOfHeader: Uint8Array) {
    super();
    this.pointUnchecked(restOfHeader);
  }
  get identifier(): number {
    return this.u16(IcmpField.IDENTIFIER - REST_OF_HEADER);
  }
  get sequence(): number {
    return this.u16(IcmpField.SEQUENCE - REST_OF_HEADER);
  }
}
