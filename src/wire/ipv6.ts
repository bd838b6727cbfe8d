// IPv6 header codec (RFC 8200) with its extension headers walked and kept.
//
// The fixed header is 40 bytes; extension headers form a chain through their
// first byte (next header) until an upper-layer protocol, "no next header"
// (59) or a type we cannot walk. The view walks the chain when pointed and
// keeps where each header starts, so a receive loop finds the upper layer
// without allocating. The builder fills the payload length, the chain's next
// header bytes and each extension header's length and padding unless the
// caller sets them; the parser keeps every byte so that building its result
// gives the input back byte for byte.

import { ipv6PseudoHeaderSum } from './checksum.ts';
import { checkUnsignedField, read16, read32, write16, write32 } from './header-fields.ts';
import { HeaderView } from './header-view.ts';
import { IpProtocol } from './ipv4.ts';
import { formatIpv6Address, ipv6AddressBytes, type Ipv6AddressInput } from './ipv6-address.ts';
import { malformed, malformedError, parsed, truncated, truncatedError, type ParseError, type ParseResult } from './parse-result.ts';

// Field offsets (RFC 8200 section 3): smoltcp's `mod field`.
export const Ipv6Field = {
  /** Version (4 bits), traffic class (8), flow label (20). */
  VERSION_TC_FLOW: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SOURCE: 8,
  DESTINATION: 24,
  /** The first extension header or the upper-layer header. */
  PAYLOAD: 40,
} as const;
const { VERSION_TC_FLOW, PAYLOAD_LENGTH, NEXT_HEADER, HOP_LIMIT, SOURCE, DESTINATION, PAYLOAD } = Ipv6Field;

export const IPV6_HEADER_LENGTH = 40;
/** The minimum link MTU (RFC 8200 section 5): the largest ICMPv6 error a node sends. */
export const IPV6_MINIMUM_MTU = 1280;

/** Extension header types (IANA "IPv6 Extension Header Types"). */
export const Ipv6ExtensionType = {
  HopByHop: 0,
  Routing: 43,
  Fragment: 44,
  EncapsulatingSecurityPayload: 50,
  Authentication: 51,
  NoNextHeader: 59,
  DestinationOptions: 60,
  Mobility: 135,
  HostIdentity: 139,
  Shim6: 140,
  Experimental1: 253,
  Experimental2: 254,
} as const;

/** Fragment header (RFC 8200 4.5): next header, reserved, offset(13)/res(2)/M(1), identification. */
export const Ipv6FragmentField = { NEXT_HEADER: 0, RESERVED: 1, OFFSET_FLAGS: 2, IDENTIFICATION: 4 } as const;
export const IPV6_FRAGMENT_HEADER_LENGTH = 8;

/** The most extension headers a view records; a longer chain is cut (and reported) there. */
export const IPV6_MAX_EXTENSION_HEADERS = 16;

const EMPTY = new Uint8Array(0);

/**
 * How long the extension header of `type` at b[at] is, reading its length
 * byte; -1 when `type` is not an extension header the chain can be walked
 * through (an upper layer, ESP, no next header, or unknown). The caller
 * checks b[at + 1] exists.
 */
function extensionLength(type: number, b: Uint8Array, at: number): number {
  if (!isIpv6ExtensionType(type)) return -1;
  if (type === Ipv6ExtensionType.Fragment) return IPV6_FRAGMENT_HEADER_LENGTH;
  // RFC 4302: payload length in 4-byte units, less 2.
  if (type === Ipv6ExtensionType.Authentication) return (b[at + 1] + 2) * 4;
  // The others (RFC 8200's and RFC 6564's uniform format): length in 8-byte units, less the first 8.
  return (b[at + 1] + 1) * 8;
}

/** True for the types the chain is walked through (see extensionLength). */
export function isIpv6ExtensionType(type: number): boolean {
  switch (type) {
    case Ipv6ExtensionType.HopByHop:
    case Ipv6ExtensionType.Routing:
    case Ipv6ExtensionType.Fragment:
    case Ipv6ExtensionType.Authentication:
    case Ipv6ExtensionType.DestinationOptions:
    case Ipv6ExtensionType.Mobility:
    case Ipv6ExtensionType.HostIdentity:
    case Ipv6ExtensionType.Shim6:
    case Ipv6ExtensionType.Experimental1:
    case Ipv6ExtensionType.Experimental2:
      return true;
    default:
      return false;
  }
}

/**
 * A zero-copy view of an IPv6 packet at bytes[start, end). `point()` checks
 * the version and the 40-byte fixed header and walks the extension headers
 * that were captured; the payload may be cut short (an ICMPv6 quote, a
 * snaplen), which `missingLength` reports, and a chain cut or malformed on
 * the way is reported by `extensionError` without failing `point()`, so a
 * quote can still be read as far as it goes.
 */
export class Ipv6View extends HeaderView {
  /** Index in `bytes` of each extension header walked (the first `extensionCount` are valid). */
  readonly extensionStarts = new Int32Array(IPV6_MAX_EXTENSION_HEADERS);
  /** The type of each extension header walked. */
  readonly extensionTypes = new Uint8Array(IPV6_MAX_EXTENSION_HEADERS);
  extensionCount = 0;
  /** The header after the last walked extension header: the upper-layer protocol, or 59 "no next header". */
  upperLayerProtocol = 0;
  /** Index in `bytes` where the upper layer starts (meaningful when `extensionError` is undefined). */
  upperLayerStart = 0;
  /** Index in `bytes` of the fragment header, or -1. */
  fragmentAt = -1;
  /** Why the walk stopped before the upper layer (a cut or a bad length), or undefined. */
  extensionError: ParseError | undefined = undefined;

  /** Points at bytes[start, end), checks the fixed header and walks the extension headers; returns why it cannot be read, or undefined. */
  point(bytes: Uint8Array, start = 0, end = bytes.length): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    const available = end - start;
    if (available < 1) return truncatedError('ipv6', 'empty input', 0);
    const version = bytes[start] >>> 4;
    if (version !== 6) return malformedError('ipv6', `version is ${version}, not 6`, VERSION_TC_FLOW);
    if (available < IPV6_HEADER_LENGTH) {
      return truncatedError('ipv6', `need ${IPV6_HEADER_LENGTH} bytes for the fixed header, have ${available}`, available);
    }
    this.walk();
    return undefined;
  }

  private walk(): void {
    const b = this.bytes;
    const limit = this.payloadEnd;
    let type = b[this.start + NEXT_HEADER];
    let at = this.start + PAYLOAD;
    let count = 0;
    this.fragmentAt = -1;
    this.extensionError = undefined;
    while (isIpv6ExtensionType(type)) {
      if (count === IPV6_MAX_EXTENSION_HEADERS) {
        this.extensionError = malformedError('ipv6', `more than ${IPV6_MAX_EXTENSION_HEADERS} extension headers`, at - this.start);
        break;
      }
      if (limit - at < 2) {
        this.extensionError = truncatedError('ipv6', `extension header ${type} cut before its length`, at - this.start);
        break;
      }
      const length = extensionLength(type, b, at);
      if (at + length > limit) {
        const promised = this.start + PAYLOAD + this.payloadLength;
        this.extensionError =
          at + length > promised
            ? malformedError('ipv6', `extension header ${type} of ${length} bytes runs past the payload length`, at + 1 - this.start)
            : truncatedError('ipv6', `extension header ${type} of ${length} bytes is cut`, at - this.start);
        break;
      }
      this.extensionStarts[count] = at;
      this.extensionTypes[count] = type;
      if (type === Ipv6ExtensionType.Fragment) this.fragmentAt = at;
      count++;
      type = b[at];
      at += length;
    }
    this.extensionCount = count;
    this.upperLayerProtocol = type;
    this.upperLayerStart = at;
  }

  get version(): number {
    return this.u8(VERSION_TC_FLOW) >>> 4;
  }
  get trafficClass(): number {
    return (this.u16(VERSION_TC_FLOW) >>> 4) & 0xff;
  }
  get dscp(): number {
    return this.trafficClass >>> 2;
  }
  get ecn(): number {
    return this.trafficClass & 0x3;
  }
  get flowLabel(): number {
    return this.u32(VERSION_TC_FLOW) & 0xfffff;
  }
  /** Bytes after the fixed header (extension headers included), as the field says. */
  get payloadLength(): number {
    return this.u16(PAYLOAD_LENGTH);
  }
  /** The fixed header's next header: the first extension header's type, or the upper layer. */
  get nextHeader(): number {
    return this.u8(NEXT_HEADER);
  }
  get hopLimit(): number {
    return this.u8(HOP_LIMIT);
  }
  /** RFC 5952 text; allocates a string. */
  get source(): string {
    return formatIpv6Address(this.bytes, this.start + SOURCE);
  }
  get destination(): string {
    return formatIpv6Address(this.bytes, this.start + DESTINATION);
  }
  /** Index in `bytes` of the source address (16 bytes). */
  get sourceAt(): number {
    return this.start + SOURCE;
  }
  get destinationAt(): number {
    return this.start + DESTINATION;
  }
  /** The 16 source bytes (a view). */
  get sourceBytes(): Uint8Array {
    return this.bytes.subarray(this.start + SOURCE, this.start + SOURCE + 16);
  }
  get destinationBytes(): Uint8Array {
    return this.bytes.subarray(this.start + DESTINATION, this.start + DESTINATION + 16);
  }
  /** Index in `bytes` just past the fixed header. */
  get payloadStart(): number {
    return this.start + PAYLOAD;
  }
  /** Index in `bytes` where the payload ends: the payload length, or the end of what is there. */
  get payloadEnd(): number {
    return Math.min(this.end, this.start + PAYLOAD + this.u16(PAYLOAD_LENGTH));
  }
  /** Payload bytes the payload length promises but the input lacks. */
  get missingLength(): number {
    return Math.max(0, this.start + PAYLOAD + this.u16(PAYLOAD_LENGTH) - this.end);
  }
  /** Everything after the fixed header up to the payload length (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.start + PAYLOAD, this.payloadEnd);
  }
  /** The upper layer's bytes (a view); empty when the walk did not reach it. */
  get upperLayer(): Uint8Array {
    return this.extensionError === undefined ? this.bytes.subarray(this.upperLayerStart, this.payloadEnd) : EMPTY;
  }
  /** Bytes after the payload length, e.g. Ethernet padding. */
  get trailer(): Uint8Array {
    return this.bytes.subarray(this.payloadEnd, this.end);
  }
  get hasFragmentHeader(): boolean {
    return this.fragmentAt >= 0;
  }
  /** Fragment offset in 8-byte units; 0 without a fragment header. */
  get fragmentOffset(): number {
    return this.fragmentAt < 0 ? 0 : read16(this.bytes, this.fragmentAt + Ipv6FragmentField.OFFSET_FLAGS) >>> 3;
  }
  /** The M flag; false without a fragment header. */
  get moreFragments(): boolean {
    return this.fragmentAt >= 0 && (this.bytes[this.fragmentAt + Ipv6FragmentField.OFFSET_FLAGS + 1] & 1) === 1;
  }
  /** The fragment header's identification; 0 without one. */
  get fragmentIdentification(): number {
    return this.fragmentAt < 0 ? 0 : read32(this.bytes, this.fragmentAt + Ipv6FragmentField.IDENTIFICATION);
  }
  /** The fragment header's next header (the first fragmentable header's type); 0 without one. */
  get fragmentNextHeader(): number {
    return this.fragmentAt < 0 ? 0 : this.bytes[this.fragmentAt + Ipv6FragmentField.NEXT_HEADER];
  }
  /** The fragmentable part a fragment carries: the bytes after its fragment header, to the payload end. */
  get fragmentData(): Uint8Array {
    const end = this.payloadEnd;
    return this.bytes.subarray(Math.min(this.fragmentAt + IPV6_FRAGMENT_HEADER_LENGTH, end), end);
  }
  /** True for a fragment of a larger packet (an atomic fragment, offset 0 without M, is not). */
  get isFragment(): boolean {
    return this.fragmentAt >= 0 && (read16(this.bytes, this.fragmentAt + Ipv6FragmentField.OFFSET_FLAGS) & 0xfff9) !== 0;
  }
  /** True when the upper-layer header is here to read: walk complete and not a non-first fragment. */
  get hasUpperLayerHeader(): boolean {
    return this.extensionError === undefined && this.fragmentOffset === 0 && this.upperLayerProtocol !== Ipv6ExtensionType.NoNextHeader;
  }
  /**
   * Index in `bytes` of the final destination's 16 bytes: the destination
   * field, or with a routing header that has segments left, the last
   * address it will visit (RFC 8200 8.1): the last one listed for types 0
   * and 2, the first of the segment list for segment routing (type 4).
   */
  get finalDestinationAt(): number {
    const b = this.bytes;
    for (let i = 0; i < this.extensionCount; i++) {
      if (this.extensionTypes[i] !== Ipv6ExtensionType.Routing) continue;
      const at = this.extensionStarts[i];
      const length = (b[at + 1] + 1) * 8;
      if (b[at + 3] === 0) break;
      const routingType = b[at + 2];
      if ((routingType === 0 || routingType === 2) && length >= 24) return at + 8 + Math.floor((length - 8) / 16) * 16 - 16;
      if (routingType === 4 && length >= 24) return at + 8;
      break;
    }
    return this.start + DESTINATION;
  }
  /** Unfolded pseudo-header sum for an upper layer of `length` bytes carried here (TCP, UDP, ICMPv6), to the final destination. */
  pseudoHeaderSum(protocol: number, length: number): number {
    return ipv6PseudoHeaderSum(this.bytes, this.bytes, protocol, length, this.start + SOURCE, this.finalDestinationAt);
  }
}

// ---------------------------------------------------------------------------
// Extension headers as values

/** Hop-by-hop or destination options: the option area raw (TLVs and their padding). */
export interface Ipv6OptionsHeader {
  kind: 'hop-by-hop' | 'destination-options';
  nextHeader: number;
  /** Length in 8-byte units, less the first 8. */
  headerExtLength: number;
  /** Bytes 2.. of the header: the options with their Pad1/PadN padding. */
  options: Uint8Array;
}

export interface Ipv6RoutingHeader {
  kind: 'routing';
  nextHeader: number;
  headerExtLength: number;
  routingType: number;
  segmentsLeft: number;
  /** Bytes 4.. of the header: type-specific (for types 0, 2, 3, 4 a reserved word then addresses). */
  data: Uint8Array;
}

export interface Ipv6FragmentHeader {
  kind: 'fragment';
  nextHeader: number;
  /** Byte 1, zero on the wire; kept so it round-trips. */
  reserved: number;
  /** In 8-byte units. */
  fragmentOffset: number;
  /** The two reserved bits between the offset and M. */
  reservedFlags: number;
  moreFragments: boolean;
  identification: number;
}

export interface Ipv6AuthenticationHeader {
  kind: 'authentication';
  nextHeader: number;
  /** In 4-byte units, less 2 (RFC 4302). */
  payloadLength: number;
  reserved: number;
  spi: number;
  sequence: number;
  integrityCheckValue: Uint8Array;
}

/** Any other walkable type (mobility, HIP, shim6, experimental): the whole header raw, byte 0 included. */
export interface Ipv6RawExtensionHeader {
  kind: 'raw';
  type: number;
  nextHeader: number;
  bytes: Uint8Array;
}

export type Ipv6ExtensionHeader =
  | Ipv6OptionsHeader
  | Ipv6RoutingHeader
  | Ipv6FragmentHeader
  | Ipv6AuthenticationHeader
  | Ipv6RawExtensionHeader;

type Loosen<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/**
 * Builder input for one extension header: next header bytes are filled from
 * the chain, lengths from the contents (padded to 8 bytes: options with
 * Pad1/PadN, others with zeros) unless given.
 */
export type Ipv6ExtensionHeaderInit =
  | Loosen<Ipv6OptionsHeader, 'nextHeader' | 'headerExtLength' | 'options'>
  | Loosen<Ipv6RoutingHeader, 'nextHeader' | 'headerExtLength' | 'segmentsLeft' | 'data'>
  | Loosen<Ipv6FragmentHeader, 'nextHeader' | 'reserved' | 'fragmentOffset' | 'reservedFlags' | 'moreFragments' | 'identification'>
  | Loosen<Ipv6AuthenticationHeader, 'nextHeader' | 'payloadLength' | 'reserved' | 'sequence' | 'integrityCheckValue'>
  | Loosen<Ipv6RawExtensionHeader, 'nextHeader'>;

/** The next-header value that points at this extension header. */
export function ipv6ExtensionTypeOf(header: Ipv6ExtensionHeaderInit): number {
  switch (header.kind) {
    case 'hop-by-hop':
      return Ipv6ExtensionType.HopByHop;
    case 'destination-options':
      return Ipv6ExtensionType.DestinationOptions;
    case 'routing':
      return Ipv6ExtensionType.Routing;
    case 'fragment':
      return Ipv6ExtensionType.Fragment;
    case 'authentication':
      return Ipv6ExtensionType.Authentication;
    case 'raw':
      return header.type;
  }
}

function checkField(name: string, value: number, bits: number): number {
  return checkUnsignedField('IPv6', name, value, bits);
}

const roundUp8 = (n: number): number => (n + 7) & ~7;

/** Bytes the builder writes for this extension header. */
export function ipv6ExtensionLength(header: Ipv6ExtensionHeaderInit): number {
  switch (header.kind) {
    case 'hop-by-hop':
    case 'destination-options': {
      const content = 2 + (header.options?.length ?? 0);
      return header.headerExtLength !== undefined ? Math.max(content, (header.headerExtLength + 1) * 8) : roundUp8(content);
    }
    case 'routing': {
      const content = 4 + (header.data?.length ?? 0);
      return header.headerExtLength !== undefined ? Math.max(content, (header.headerExtLength + 1) * 8) : roundUp8(content);
    }
    case 'fragment':
      return IPV6_FRAGMENT_HEADER_LENGTH;
    case 'authentication': {
      const content = 12 + (header.integrityCheckValue?.length ?? 0);
      return header.payloadLength !== undefined ? Math.max(content, (header.payloadLength + 2) * 4) : roundUp8(content);
    }
    case 'raw':
      return header.bytes.length;
  }
}

/** Fills option padding from `from` to `to` as RFC 8200 4.2 does: Pad1 for one byte, PadN for more. */
function padOptions(b: Uint8Array, from: number, to: number): void {
  const gap = to - from;
  if (gap <= 0) return;
  if (gap === 1) {
    b[from] = 0;
    return;
  }
  b[from] = 1;
  b[from + 1] = gap - 2;
  b.fill(0, from + 2, to);
}

/** Writes one extension header at b[o] with `nextHeader` unless it sets its own; returns its length. */
function emitExtension(b: Uint8Array, o: number, header: Ipv6ExtensionHeaderInit, nextHeader: number): number {
  const length = ipv6ExtensionLength(header);
  const next = checkField('extension nextHeader', header.nextHeader ?? nextHeader, 8);
  switch (header.kind) {
    case 'hop-by-hop':
    case 'destination-options': {
      const options = header.options ?? EMPTY;
      b[o] = next;
      b[o + 1] = checkField('headerExtLength', header.headerExtLength ?? length / 8 - 1, 8);
      b.set(options, o + 2);
      padOptions(b, o + 2 + options.length, o + length);
      break;
    }
    case 'routing': {
      const data = header.data ?? EMPTY;
      b[o] = next;
      b[o + 1] = checkField('headerExtLength', header.headerExtLength ?? length / 8 - 1, 8);
      b[o + 2] = checkField('routingType', header.routingType, 8);
      b[o + 3] = checkField('segmentsLeft', header.segmentsLeft ?? 0, 8);
      b.set(data, o + 4);
      b.fill(0, o + 4 + data.length, o + length);
      break;
    }
    case 'fragment': {
      b[o] = next;
      b[o + 1] = checkField('fragment reserved', header.reserved ?? 0, 8);
      const word =
        (checkField('fragmentOffset', header.fragmentOffset ?? 0, 13) << 3) |
        (checkField('reservedFlags', header.reservedFlags ?? 0, 2) << 1) |
        (header.moreFragments ? 1 : 0);
      write16(b, o + 2, word);
      write32(b, o + 4, checkField('identification', header.identification ?? 0, 32));
      break;
    }
    case 'authentication': {
      const icv = header.integrityCheckValue ?? EMPTY;
      b[o] = next;
      b[o + 1] = checkField('AH payloadLength', header.payloadLength ?? length / 4 - 2, 8);
      write16(b, o + 2, checkField('AH reserved', header.reserved ?? 0, 16));
      write32(b, o + 4, checkField('spi', header.spi, 32));
      write32(b, o + 8, checkField('AH sequence', header.sequence ?? 0, 32));
      b.set(icv, o + 12);
      b.fill(0, o + 12 + icv.length, o + length);
      break;
    }
    case 'raw':
      b.set(header.bytes, o);
      if (length > 0) b[o] = next;
      break;
  }
  return length;
}

/** An IPv6 header as the parser reports it: every field present. */
export interface Ipv6Header {
  version: number;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  /** The fixed header's next header field. */
  nextHeader: number;
  hopLimit: number;
  source: string;
  destination: string;
  extensionHeaders: Ipv6ExtensionHeader[];
  /** After the last extension header: the upper-layer protocol, or 59. */
  protocol: number;
}

/**
 * What the builder takes. Omitted fields get defaults (version 6, hop limit
 * 64, zeros elsewhere); payloadLength, the next-header chain and extension
 * header lengths are computed unless given.
 */
export interface Ipv6HeaderInit {
  version?: number;
  /** The whole traffic class byte; an alternative to dscp + ecn. */
  trafficClass?: number;
  dscp?: number;
  ecn?: number;
  flowLabel?: number;
  payloadLength?: number;
  /** Overrides the fixed header's next header (otherwise the first extension header's type, or `protocol`). */
  nextHeader?: number;
  hopLimit?: number;
  /** The upper-layer protocol, written in the last header of the chain. */
  protocol: number;
  source: Ipv6AddressInput;
  destination: Ipv6AddressInput;
  extensionHeaders?: readonly Ipv6ExtensionHeaderInit[];
  /** Bytes appended after the packet, outside the payload length. */
  trailer?: Uint8Array;
}

export interface Ipv6Packet extends Ipv6Header {
  /** The upper layer's bytes, after the extension headers, up to the payload length (a view). */
  payload: Uint8Array;
  /** Bytes after the payload length (a view). */
  trailer: Uint8Array;
  /** Bytes the payload length promises but the input lacks; non-zero only with allowTruncatedPayload. */
  missingLength: number;
}

export interface ParseIpv6Options {
  /** Accept input shorter than the payload length (the fixed header must be whole): ICMPv6 errors quote datagrams this way. */
  allowTruncatedPayload?: boolean;
}

function trafficClassValue(header: Ipv6HeaderInit): number {
  if (header.trafficClass !== undefined) {
    if (header.dscp !== undefined || header.ecn !== undefined) throw new RangeError('IPv6: give either trafficClass or dscp/ecn, not both');
    return checkField('trafficClass', header.trafficClass, 8);
  }
  return (checkField('dscp', header.dscp ?? 0, 6) << 2) | checkField('ecn', header.ecn ?? 0, 2);
}

/** Bytes of the fixed header and the extension headers the builder writes. */
export function ipv6HeaderLength(header: Pick<Ipv6HeaderInit, 'extensionHeaders'>): number {
  let length = IPV6_HEADER_LENGTH;
  for (const extension of header.extensionHeaders ?? []) length += ipv6ExtensionLength(extension);
  return length;
}

/**
 * Writes the fixed header and the extension headers at buffer[offset]; the
 * caller puts the upper layer right after. `upperLayerLength` only feeds the
 * computed payload length. Returns the bytes written.
 */
export function emitIpv6Into(buffer: Uint8Array, offset: number, header: Ipv6HeaderInit, upperLayerLength: number): number {
  const extensions = header.extensionHeaders ?? [];
  const headerLength = ipv6HeaderLength(header);
  let payloadLength: number;
  if (header.payloadLength !== undefined) {
    payloadLength = checkField('payloadLength', header.payloadLength, 16);
  } else {
    payloadLength = headerLength - IPV6_HEADER_LENGTH + upperLayerLength;
    if (payloadLength > 0xffff) throw new RangeError(`IPv6 payload of ${payloadLength} bytes exceeds 65535 (jumbograms are not built)`);
  }
  const version = checkField('version', header.version ?? 6, 4);
  const trafficClass = trafficClassValue(header);
  const flowLabel = checkField('flowLabel', header.flowLabel ?? 0, 20);
  const protocol = checkField('protocol', header.protocol, 8);
  const firstNext = extensions.length > 0 ? ipv6ExtensionTypeOf(extensions[0]) : protocol;
  const nextHeader = checkField('nextHeader', header.nextHeader ?? firstNext, 8);
  const hopLimit = checkField('hopLimit', header.hopLimit ?? 64, 8);
  const source = ipv6AddressBytes(header.source);
  const destination = ipv6AddressBytes(header.destination);
  if (offset < 0 || buffer.length - offset < headerLength) {
    throw new RangeError(`IPv6 headers need ${headerLength} bytes at offset ${offset}; buffer has ${buffer.length - offset}`);
  }
  const b = buffer;
  const o = offset;
  write32(b, o + VERSION_TC_FLOW, ((version << 28) | (trafficClass << 20) | flowLabel) >>> 0);
  write16(b, o + PAYLOAD_LENGTH, payloadLength);
  b[o + NEXT_HEADER] = nextHeader;
  b[o + HOP_LIMIT] = hopLimit;
  b.set(source, o + SOURCE);
  b.set(destination, o + DESTINATION);
  let at = o + PAYLOAD;
  for (let i = 0; i < extensions.length; i++) {
    const next = i + 1 < extensions.length ? ipv6ExtensionTypeOf(extensions[i + 1]) : protocol;
    at += emitExtension(b, at, extensions[i], next);
  }
  return headerLength;
}

/** Headers, upper layer and trailer as one new array. */
export function buildIpv6(header: Ipv6HeaderInit, payload: Uint8Array = EMPTY): Uint8Array {
  const trailer = header.trailer ?? EMPTY;
  const headerLength = ipv6HeaderLength(header);
  const bytes = new Uint8Array(headerLength + payload.length + trailer.length);
  emitIpv6Into(bytes, 0, header, payload.length);
  bytes.set(payload, headerLength);
  bytes.set(trailer, headerLength + payload.length);
  return bytes;
}

/** The extension header of `type` at b[at, at + length) as a value (views into b). */
function extensionFromBytes(type: number, b: Uint8Array, at: number, length: number): Ipv6ExtensionHeader {
  const nextHeader = b[at];
  switch (type) {
    case Ipv6ExtensionType.HopByHop:
    case Ipv6ExtensionType.DestinationOptions:
      return {
        kind: type === Ipv6ExtensionType.HopByHop ? 'hop-by-hop' : 'destination-options',
        nextHeader,
        headerExtLength: b[at + 1],
        options: b.subarray(at + 2, at + length),
      };
    case Ipv6ExtensionType.Routing:
      return {
        kind: 'routing',
        nextHeader,
        headerExtLength: b[at + 1],
        routingType: b[at + 2],
        segmentsLeft: b[at + 3],
        data: b.subarray(at + 4, at + length),
      };
    case Ipv6ExtensionType.Fragment: {
      const word = read16(b, at + 2);
      return {
        kind: 'fragment',
        nextHeader,
        reserved: b[at + 1],
        fragmentOffset: word >>> 3,
        reservedFlags: (word >>> 1) & 3,
        moreFragments: (word & 1) === 1,
        identification: read32(b, at + 4),
      };
    }
    case Ipv6ExtensionType.Authentication:
      return {
        kind: 'authentication',
        nextHeader,
        payloadLength: b[at + 1],
        reserved: read16(b, at + 2),
        spi: read32(b, at + 4),
        sequence: read32(b, at + 8),
        integrityCheckValue: b.subarray(at + 12, at + length),
      };
    default:
      return { kind: 'raw', type, nextHeader, bytes: b.subarray(at, at + length) };
  }
}

/** The extension headers the view walked, as values (views into its bytes). */
export function ipv6ExtensionHeadersOf(view: Ipv6View): Ipv6ExtensionHeader[] {
  const headers: Ipv6ExtensionHeader[] = [];
  for (let i = 0; i < view.extensionCount; i++) {
    const at = view.extensionStarts[i];
    const end = i + 1 < view.extensionCount ? view.extensionStarts[i + 1] : view.upperLayerStart;
    headers.push(extensionFromBytes(view.extensionTypes[i], view.bytes, at, end - at));
  }
  return headers;
}

/** Every field of the packet the view looks at (after a successful point()); payload and trailer are views. */
export function ipv6PacketFromView(view: Ipv6View): Ipv6Packet {
  const upperEnd = view.payloadEnd;
  return {
    version: view.version,
    trafficClass: view.trafficClass,
    flowLabel: view.flowLabel,
    payloadLength: view.payloadLength,
    nextHeader: view.nextHeader,
    hopLimit: view.hopLimit,
    source: view.source,
    destination: view.destination,
    extensionHeaders: ipv6ExtensionHeadersOf(view),
    protocol: view.upperLayerProtocol,
    payload: view.bytes.subarray(Math.min(view.upperLayerStart, upperEnd), upperEnd),
    trailer: view.trailer,
    missingLength: view.missingLength,
  };
}

/**
 * Parses an IPv6 packet and its extension headers; never throws. With
 * allowTruncatedPayload a quote may end anywhere after the fixed header:
 * the headers that were whole are kept and `payload` holds the rest.
 */
export function parseIpv6(bytes: Uint8Array, parseOptions: ParseIpv6Options = {}): ParseResult<Ipv6Packet> {
  const view = new Ipv6View();
  const error = view.point(bytes);
  if (error !== undefined) return { ok: false, error };
  if (view.missingLength > 0 && !parseOptions.allowTruncatedPayload) {
    return truncated('ipv6', `payload length is ${view.payloadLength}, have ${bytes.length - IPV6_HEADER_LENGTH} bytes after the header`, bytes.length);
  }
  const walkError = view.extensionError;
  if (walkError !== undefined && !(walkError.kind === 'truncated' && parseOptions.allowTruncatedPayload)) {
    return walkError.kind === 'truncated'
      ? truncated(walkError.layer, walkError.message, walkError.offset)
      : malformed(walkError.layer, walkError.message, walkError.offset);
  }
  return parsed(ipv6PacketFromView(view));
}
