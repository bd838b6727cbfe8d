// ICMPv6 codec (RFC 4443), with neighbor discovery (RFC 4861), its common
// options (RFC 4861 4.6, RFC 8106 RDNSS) and multicast listener discovery
// (MLDv1 RFC 2710, MLDv2 reports RFC 3810).
//
// Like ICMPv4, every message is type, code, checksum and a body, and the
// messages are a union on `kind`. Unlike ICMPv4 the checksum covers the IPv6
// pseudo-header (RFC 4443 2.3), so building needs the addresses (or an
// explicit checksum) and verifying is possible only when they are known: a
// raw AF_INET6 socket hands over the message without its IPv6 header.
//
// Error messages quote as much of the offending packet as fits in the
// minimum MTU; the quote is parsed tolerantly (IPv6 header, extension
// headers, then the transport fields quoted) and a broken quote never fails
// the outer parse.

import { checkChecksum, checksumAdd, checksumFinish, foldChecksum, ipv6PseudoHeaderSum, type ChecksumScope, type ChecksumVerdict } from './checksum.ts';
import { checkUnsignedField, read16, read32, write16, write32 } from './header-fields.ts';
import { echoPayloadBytes, emitIcmpEchoInto, IcmpHeaderView, parseQuotedPorts, quotedIcmpHeader, type EchoPayloadInit, type QuotedIcmpHeader, type QuotedPorts } from './icmp.ts';
import { IpProtocol } from './ipv4.ts';
import { formatIpv6Address, ipv6AddressBytes, type Ipv6AddressInput } from './ipv6-address.ts';
import { Ipv6View, parseIpv6, type Ipv6Packet } from './ipv6.ts';
import { malformedError, parsed, type ParseError, type ParseResult } from './parse-result.ts';

export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
  MulticastListenerQuery: 130,
  MulticastListenerReport: 131,
  MulticastListenerDone: 132,
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
  Redirect: 137,
  MulticastListenerReportV2: 143,
} as const;

export const Icmpv6UnreachableCode = {
  NoRoute: 0,
  AdministrativelyProhibited: 1,
  BeyondScope: 2,
  AddressUnreachable: 3,
  PortUnreachable: 4,
  SourceAddressFailedPolicy: 5,
  RejectRoute: 6,
  SourceRoutingHeaderError: 7,
  HeadersTooLong: 8,
} as const;
export const Icmpv6TimeExceededCode = { HopLimitExceeded: 0, FragmentReassemblyTimeExceeded: 1 } as const;
export const Icmpv6ParameterProblemCode = {
  ErroneousHeaderField: 0,
  UnrecognizedNextHeader: 1,
  UnrecognizedOption: 2,
  IncompleteHeaderChain: 3,
} as const;

// Names as tshark prints them (packet-icmpv6.c), so dissect and craft agree with Wireshark.
const TYPE_NAMES: Record<number, string> = {
  1: 'Destination Unreachable',
  2: 'Packet Too Big',
  3: 'Time Exceeded',
  4: 'Parameter Problem',
  100: 'Private experimentation',
  101: 'Private experimentation',
  127: 'Reserved for expansion of ICMPv6 error messages',
  128: 'Echo (ping) request',
  129: 'Echo (ping) reply',
  130: 'Multicast Listener Query',
  131: 'Multicast Listener Report',
  132: 'Multicast Listener Done',
  133: 'Router Solicitation',
  134: 'Router Advertisement',
  135: 'Neighbor Solicitation',
  136: 'Neighbor Advertisement',
  137: 'Redirect',
  138: 'Router Renumbering',
  139: 'Node Information Query',
  140: 'Node Information Reply',
  141: 'Inverse Neighbor Discovery Solicitation',
  142: 'Inverse Neighbor Discovery Advertisement',
  143: 'Multicast Listener Report Message v2',
  144: 'Home Agent Address Discovery Request',
  145: 'Home Agent Address Discovery Reply',
  146: 'Mobile Prefix Solicitation',
  147: 'Mobile Prefix Advertisement',
  148: 'Certification Path Solicitation',
  149: 'Certification Path Advertisement',
  150: 'Experimental Mobility',
  151: 'Multicast Router Advertisement',
  152: 'Multicast Router Solicitation',
  153: 'Multicast Router Termination',
  154: 'FMIPv6',
  155: 'RPL Control',
  156: 'Locator Update',
  157: 'Duplicate Address Request',
  158: 'Duplicate Address Confirmation',
  159: 'MPL Control Message',
  160: 'Extended Echo request',
  161: 'Extended Echo reply',
  200: 'Private experimentation',
  201: 'Private experimentation',
  255: 'Reserved for expansion of ICMPv6 informational messages',
};

const CODE_NAMES: Record<number, readonly string[]> = {
  1: [
    'no route to destination',
    'Administratively prohibited',
    'Beyond scope of source address',
    'Address unreachable',
    'Port unreachable',
    'Source address failed ingress/egress policy',
    'Reject route to destination',
    'Error in Source Routing Header',
  ],
  3: ['hop limit exceeded in transit', 'fragment reassembly time exceeded'],
  4: [
    'erroneous header field encountered',
    'unrecognized Next Header type encountered',
    'unrecognized IPv6 option encountered',
    'IPv6 First Fragment has incomplete IPv6 Header Chain',
  ],
};

/** tshark's name of an ICMPv6 type, or undefined for an unassigned one. */
export function icmpv6TypeName(type: number): string | undefined {
  return TYPE_NAMES[type];
}

/** tshark's name of a code of the given type, or undefined when the type has no named codes. */
export function icmpv6CodeName(type: number, code: number): string | undefined {
  return CODE_NAMES[type]?.[code];
}

/**
 * The text iputils ping prints after "From ADDR icmp_seq=N " for an ICMPv6
 * message that is not an echo reply (ping/ping6_common.c, print_icmp, as
 * iputils 20221126 prints it: later releases name unreachable codes 5 and 6,
 * which it calls "Unknown code 5"; test/icmpv6-iputils.test.ts checks it
 * against the installed ping), e.g.
 * "Destination unreachable: Address unreachable", "Time exceeded: Hop limit",
 * "Packet too big: mtu=1280", "Parameter problem: Unknown header at 40".
 * `info` is bytes 4-7 (the MTU or the pointer).
 */
export function iputilsIcmpv6Text(type: number, code: number, info: number): string {
  switch (type) {
    case Icmpv6Type.DestinationUnreachable:
      return `Destination unreachable: ${IPUTILS_UNREACHABLE[code] ?? `Unknown code ${code}`}`;
    case Icmpv6Type.PacketTooBig:
      return `Packet too big: mtu=${info >>> 0}${code !== 0 ? `, code=${code}` : ''}`;
    case Icmpv6Type.TimeExceeded:
      return `Time exceeded: ${code === 0 ? 'Hop limit' : code === 1 ? 'Defragmentation failure' : `code ${code}`}`;
    case Icmpv6Type.ParameterProblem: {
      const what = IPUTILS_PARAMETER_PROBLEM[code] ?? `code ${code} `;
      return `Parameter problem: ${what}at ${info >>> 0}`;
    }
    case Icmpv6Type.EchoRequest:
      return 'Echo request';
    case Icmpv6Type.EchoReply:
      return 'Echo reply';
    case Icmpv6Type.MulticastListenerQuery:
      return 'MLD Query';
    case Icmpv6Type.MulticastListenerReport:
      return 'MLD Report';
    case Icmpv6Type.MulticastListenerDone:
      return 'MLD Reduction';
    default:
      return `unknown icmp type: ${type}`;
  }
}

const IPUTILS_UNREACHABLE: Record<number, string> = {
  0: 'No route',
  1: 'Administratively prohibited',
  2: 'Beyond scope of source address',
  3: 'Address unreachable',
  4: 'Port unreachable',
};

const IPUTILS_PARAMETER_PROBLEM: Record<number, string> = {
  0: 'Wrong header field ',
  1: 'Unknown header ',
  2: 'Unknown option ',
};

export const ICMPV6_HEADER_LENGTH = 8;

// Field offsets (RFC 4443 2.1, 3, 4; RFC 4861 4; RFC 2710 3; RFC 3810 5.2).
export const Icmpv6Field = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  /** Bytes 4-7, whose meaning depends on the type. */
  REST_OF_HEADER: 4,
  IDENTIFIER: 4,
  SEQUENCE: 6,
  /** Packet too big. */
  MTU: 4,
  /** Parameter problem: a 32-bit byte offset into the quoted packet. */
  POINTER: 4,
  BODY: 8,
  /** Neighbor solicitation/advertisement and redirect: the target address. */
  TARGET: 8,
  /** Redirect: the destination address. */
  REDIRECT_DESTINATION: 24,
  /** MLD: maximum response delay (ms) in bytes 4-5, multicast address at 8. */
  MLD_MAXIMUM_RESPONSE_DELAY: 4,
  MLD_MULTICAST_ADDRESS: 8,
  /** MLDv2 report: number of records in bytes 6-7, records from byte 8. */
  MLDV2_RECORD_COUNT: 6,
} as const;
const { TYPE, CODE, CHECKSUM, REST_OF_HEADER, BODY } = Icmpv6Field;

const EMPTY = new Uint8Array(0);

/** Where the NDP options start in each NDP message (RFC 4861 4.1-4.5). */
const NDP_OPTIONS_AT: Record<number, number> = {
  [Icmpv6Type.RouterSolicitation]: 8,
  [Icmpv6Type.RouterAdvertisement]: 16,
  [Icmpv6Type.NeighborSolicitation]: 24,
  [Icmpv6Type.NeighborAdvertisement]: 24,
  [Icmpv6Type.Redirect]: 40,
};

// ---------------------------------------------------------------------------
// Messages

/** The transport fields an ICMPv6 error quotes: TCP and UDP as ICMPv4's, or an ICMPv6 header. */
export type QuotedTransport6 =
  | QuotedPorts
  | QuotedIcmpHeader<'icmpv6'>;

export interface QuotedIpv6Datagram {
  /** The quoted IPv6 header and extension headers; `payload` holds what was quoted of the upper layer, `missingLength` what was cut. */
  ip: Ipv6Packet;
  /** Absent for other protocols, non-first fragments, or a quote too short to reach the ports. */
  transport?: QuotedTransport6;
}

export interface Icmpv6Echo {
  kind: 'echo';
  type: 128 | 129;
  code: number;
  checksum?: number;
  identifier: number;
  sequence: number;
  payload: Uint8Array;
}

interface Icmpv6ErrorBase {
  code: number;
  checksum?: number;
  /** The quoted bytes: as much of the offending packet as fits. */
  original: Uint8Array;
  /** Parsed view of `original`, filled by the parser; the builder ignores it. */
  quoted: ParseResult<QuotedIpv6Datagram>;
}

export interface Icmpv6DestinationUnreachable extends Icmpv6ErrorBase {
  kind: 'destination-unreachable';
  type: 1;
  /** Bytes 4-7 (RFC 4884 puts the original datagram length, in 8-byte words, in byte 4). */
  unused: number;
}

export interface Icmpv6PacketTooBig extends Icmpv6ErrorBase {
  kind: 'packet-too-big';
  type: 2;
  mtu: number;
}

export interface Icmpv6TimeExceeded extends Icmpv6ErrorBase {
  kind: 'time-exceeded';
  type: 3;
  unused: number;
}

export interface Icmpv6ParameterProblem extends Icmpv6ErrorBase {
  kind: 'parameter-problem';
  type: 4;
  /** Byte offset of the offending octet in the quoted packet. */
  pointer: number;
}

// NDP options (RFC 4861 4.6): type, length in 8-byte units, data.

export interface NdpLinkLayerAddressOption {
  kind: 'source-link-layer-address' | 'target-link-layer-address';
  /** In 8-byte units; filled unless given. */
  length?: number;
  /** The link-layer address (6 bytes on Ethernet), padding excluded when the builder fills it. */
  address: Uint8Array;
}

export interface NdpPrefixInformationOption {
  kind: 'prefix-information';
  length?: number;
  prefixLength: number;
  /** L (on-link) flag. */
  onLink: boolean;
  /** A (autonomous address-configuration) flag. */
  autonomous: boolean;
  /** The other 6 flag bits, kept so they round-trip. */
  reservedFlags: number;
  validLifetime: number;
  preferredLifetime: number;
  reserved: number;
  prefix: string;
}

export interface NdpMtuOption {
  kind: 'mtu';
  length?: number;
  reserved: number;
  mtu: number;
}

export interface NdpRecursiveDnsServerOption {
  kind: 'recursive-dns-server';
  length?: number;
  reserved: number;
  lifetime: number;
  servers: string[];
}

/** Any other option (redirected header included), or a malformed tail: the whole option raw, type and length bytes included. */
export interface NdpRawOption {
  kind: 'raw';
  type: number;
  bytes: Uint8Array;
}

export type NdpOption = NdpLinkLayerAddressOption | NdpPrefixInformationOption | NdpMtuOption | NdpRecursiveDnsServerOption | NdpRawOption;

export const NdpOptionType = {
  SourceLinkLayerAddress: 1,
  TargetLinkLayerAddress: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
  RecursiveDnsServer: 25,
} as const;

export interface Icmpv6RouterSolicitation {
  kind: 'router-solicitation';
  type: 133;
  code: number;
  checksum?: number;
  reserved: number;
  options: NdpOption[];
}

export interface Icmpv6RouterAdvertisement {
  kind: 'router-advertisement';
  type: 134;
  code: number;
  checksum?: number;
  currentHopLimit: number;
  /** M (managed address configuration) flag. */
  managed: boolean;
  /** O (other configuration) flag. */
  other: boolean;
  /** The other 6 flag bits (H, Prf, P, ...), kept raw. */
  reservedFlags: number;
  /** Seconds. */
  routerLifetime: number;
  /** Milliseconds. */
  reachableTime: number;
  /** Milliseconds. */
  retransTimer: number;
  options: NdpOption[];
}

export interface Icmpv6NeighborSolicitation {
  kind: 'neighbor-solicitation';
  type: 135;
  code: number;
  checksum?: number;
  reserved: number;
  target: string;
  options: NdpOption[];
}

export interface Icmpv6NeighborAdvertisement {
  kind: 'neighbor-advertisement';
  type: 136;
  code: number;
  checksum?: number;
  /** R: the sender is a router. */
  router: boolean;
  /** S: sent in answer to a solicitation. */
  solicited: boolean;
  /** O: override an existing cache entry. */
  override: boolean;
  /** The 29 reserved bits. */
  reserved: number;
  target: string;
  options: NdpOption[];
}

export interface Icmpv6Redirect {
  kind: 'redirect';
  type: 137;
  code: number;
  checksum?: number;
  reserved: number;
  /** The better first hop. */
  target: string;
  /** The destination being redirected. */
  destination: string;
  options: NdpOption[];
}

/** MLDv1 query (130; an MLDv2 query too, its extra fields in `rest`), report (131) and done (132). */
export interface Icmpv6MulticastListener {
  kind: 'mld';
  type: 130 | 131 | 132;
  code: number;
  checksum?: number;
  /** Milliseconds. */
  maximumResponseDelay: number;
  reserved: number;
  multicastAddress: string;
  /** Bytes after the address: an MLDv2 query's flags, QQIC, sources. */
  rest: Uint8Array;
}

export interface MldAddressRecord {
  /** 1..6: MODE_IS_INCLUDE .. BLOCK_OLD_SOURCES (RFC 3810 5.2.12). */
  recordType: number;
  /** In 32-bit words; filled from auxiliaryData unless given. */
  auxiliaryDataLength?: number;
  /** Filled from sources unless given. */
  sourceCount?: number;
  multicastAddress: string;
  sources: string[];
  auxiliaryData: Uint8Array;
}

export interface Icmpv6MldV2Report {
  kind: 'mldv2-report';
  type: 143;
  code: number;
  checksum?: number;
  reserved: number;
  /** Filled from records unless given. */
  recordCount?: number;
  records: MldAddressRecord[];
  /** Bytes after the last record the count announces (or a record cut short). */
  trailing: Uint8Array;
}

/** Any other type: kept raw. */
export interface Icmpv6Other {
  kind: 'other';
  type: number;
  code: number;
  checksum?: number;
  /** Bytes 4-7. */
  restOfHeader: Uint8Array;
  payload: Uint8Array;
}

export type Icmpv6ErrorMessage = Icmpv6DestinationUnreachable | Icmpv6PacketTooBig | Icmpv6TimeExceeded | Icmpv6ParameterProblem;
export type Icmpv6NdpMessage =
  | Icmpv6RouterSolicitation
  | Icmpv6RouterAdvertisement
  | Icmpv6NeighborSolicitation
  | Icmpv6NeighborAdvertisement
  | Icmpv6Redirect;

export type Icmpv6Message = Icmpv6Echo | Icmpv6ErrorMessage | Icmpv6NdpMessage | Icmpv6MulticastListener | Icmpv6MldV2Report | Icmpv6Other;

/**
 * What parseIcmpv6 returns: the checksum as read, and its verdict when the
 * pseudo-header addresses were given ('unverified' otherwise).
 */
export type ParsedIcmpv6Message = Icmpv6Message & { checksum: number; checksumVerdict: ChecksumVerdict; checksumValid?: boolean };

type Loosen<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** Builder input: the type defaults from the kind (echo: 128, mld: 131); codes, reserved fields and bodies default to zero/empty. */
export type Icmpv6MessageInit =
  | Loosen<Icmpv6Echo, 'type' | 'code' | 'payload'>
  | Loosen<Icmpv6DestinationUnreachable, 'type' | 'code' | 'unused' | 'quoted'>
  | Loosen<Icmpv6PacketTooBig, 'type' | 'code' | 'quoted'>
  | Loosen<Icmpv6TimeExceeded, 'type' | 'code' | 'unused' | 'quoted'>
  | Loosen<Icmpv6ParameterProblem, 'type' | 'code' | 'pointer' | 'quoted'>
  | Loosen<Icmpv6RouterSolicitation, 'type' | 'code' | 'reserved' | 'options'>
  | Loosen<
      Icmpv6RouterAdvertisement,
      'type' | 'code' | 'currentHopLimit' | 'managed' | 'other' | 'reservedFlags' | 'routerLifetime' | 'reachableTime' | 'retransTimer' | 'options'
    >
  | (Loosen<Omit<Icmpv6NeighborSolicitation, 'target'>, 'type' | 'code' | 'reserved' | 'options'> & { target: Ipv6AddressInput })
  | (Loosen<Omit<Icmpv6NeighborAdvertisement, 'target'>, 'type' | 'code' | 'router' | 'solicited' | 'override' | 'reserved' | 'options'> & {
      target: Ipv6AddressInput;
    })
  | (Loosen<Omit<Icmpv6Redirect, 'target' | 'destination'>, 'type' | 'code' | 'reserved' | 'options'> & {
      target: Ipv6AddressInput;
      destination: Ipv6AddressInput;
    })
  | Loosen<Icmpv6MulticastListener, 'type' | 'code' | 'maximumResponseDelay' | 'reserved' | 'rest'>
  | Loosen<Icmpv6MldV2Report, 'type' | 'code' | 'reserved' | 'trailing'>
  | Loosen<Icmpv6Other, 'code' | 'restOfHeader' | 'payload'>;

/** The addresses of the IPv6 header around the message: the checksum covers them (RFC 4443 2.3). */
export interface Icmpv6PseudoHeader {
  source: Ipv6AddressInput;
  destination: Ipv6AddressInput;
}

function checkField(name: string, value: number, bits: number): number {
  return checkUnsignedField('ICMPv6', name, value, bits);
}

/** Unfolded pseudo-header sum for an ICMPv6 message of `length` bytes. */
export function icmpv6PseudoHeaderSum(pseudo: Icmpv6PseudoHeader, length: number): number {
  return ipv6PseudoHeaderSum(ipv6AddressBytes(pseudo.source), ipv6AddressBytes(pseudo.destination), IpProtocol.ICMPv6, length);
}

const DEFAULT_TYPE: Record<Exclude<Icmpv6Message['kind'], 'other'>, number> = {
  echo: Icmpv6Type.EchoRequest,
  'destination-unreachable': Icmpv6Type.DestinationUnreachable,
  'packet-too-big': Icmpv6Type.PacketTooBig,
  'time-exceeded': Icmpv6Type.TimeExceeded,
  'parameter-problem': Icmpv6Type.ParameterProblem,
  'router-solicitation': Icmpv6Type.RouterSolicitation,
  'router-advertisement': Icmpv6Type.RouterAdvertisement,
  'neighbor-solicitation': Icmpv6Type.NeighborSolicitation,
  'neighbor-advertisement': Icmpv6Type.NeighborAdvertisement,
  redirect: Icmpv6Type.Redirect,
  mld: Icmpv6Type.MulticastListenerReport,
  'mldv2-report': Icmpv6Type.MulticastListenerReportV2,
};

// --- NDP options

const roundUp8 = (n: number): number => (n + 7) & ~7;

/** Bytes one option takes on the wire. */
export function ndpOptionLength(option: NdpOption): number {
  if (option.kind === 'raw') return option.bytes.length;
  if (option.length !== undefined) return Math.max(option.length * 8, ndpOptionContentLength(option));
  return roundUp8(ndpOptionContentLength(option));
}

function ndpOptionContentLength(option: Exclude<NdpOption, NdpRawOption>): number {
  switch (option.kind) {
    case 'source-link-layer-address':
    case 'target-link-layer-address':
      return 2 + option.address.length;
    case 'prefix-information':
      return 32;
    case 'mtu':
      return 8;
    case 'recursive-dns-server':
      return 8 + 16 * option.servers.length;
  }
}

export function ndpOptionsLength(options: readonly NdpOption[] | undefined): number {
  let length = 0;
  for (const option of options ?? []) length += ndpOptionLength(option);
  return length;
}

function emitNdpOption(b: Uint8Array, o: number, option: NdpOption): number {
  const length = ndpOptionLength(option);
  if (option.kind === 'raw') {
    b.set(option.bytes, o);
    return length;
  }
  b.fill(0, o, o + length);
  b[o + 1] = checkField('option length', option.length ?? length / 8, 8);
  switch (option.kind) {
    case 'source-link-layer-address':
    case 'target-link-layer-address':
      b[o] = option.kind === 'source-link-layer-address' ? NdpOptionType.SourceLinkLayerAddress : NdpOptionType.TargetLinkLayerAddress;
      b.set(option.address, o + 2);
      break;
    case 'prefix-information':
      b[o] = NdpOptionType.PrefixInformation;
      b[o + 2] = checkField('prefixLength', option.prefixLength, 8);
      b[o + 3] = (option.onLink ? 0x80 : 0) | (option.autonomous ? 0x40 : 0) | checkField('prefix reservedFlags', option.reservedFlags, 6);
      write32(b, o + 4, checkField('validLifetime', option.validLifetime, 32));
      write32(b, o + 8, checkField('preferredLifetime', option.preferredLifetime, 32));
      write32(b, o + 12, checkField('prefix reserved', option.reserved, 32));
      b.set(ipv6AddressBytes(option.prefix), o + 16);
      break;
    case 'mtu':
      b[o] = NdpOptionType.Mtu;
      write16(b, o + 2, checkField('mtu reserved', option.reserved, 16));
      write32(b, o + 4, checkField('mtu', option.mtu, 32));
      break;
    case 'recursive-dns-server':
      b[o] = NdpOptionType.RecursiveDnsServer;
      write16(b, o + 2, checkField('rdnss reserved', option.reserved, 16));
      write32(b, o + 4, checkField('lifetime', option.lifetime, 32));
      option.servers.forEach((server, i) => b.set(ipv6AddressBytes(server), o + 8 + 16 * i));
      break;
  }
  return length;
}

/**
 * Parses NDP options; never throws. A zero length or an option running past
 * the end (RFC 4861 says to drop the packet) ends the list with the rest
 * kept as one raw option, so the message still round-trips.
 */
export function parseNdpOptions(bytes: Uint8Array, start = 0, end = bytes.length): NdpOption[] {
  const options: NdpOption[] = [];
  let at = start;
  while (at < end) {
    const length = end - at >= 2 ? bytes[at + 1] * 8 : 0;
    if (length === 0 || at + length > end) {
      options.push({ kind: 'raw', type: bytes[at], bytes: bytes.subarray(at, end) });
      break;
    }
    options.push(ndpOptionAt(bytes, at, length));
    at += length;
  }
  return options;
}

function ndpOptionAt(b: Uint8Array, at: number, length: number): NdpOption {
  const type = b[at];
  const lengthUnits = b[at + 1];
  switch (type) {
    case NdpOptionType.SourceLinkLayerAddress:
    case NdpOptionType.TargetLinkLayerAddress:
      return {
        kind: type === NdpOptionType.SourceLinkLayerAddress ? 'source-link-layer-address' : 'target-link-layer-address',
        length: lengthUnits,
        address: b.subarray(at + 2, at + length),
      };
    case NdpOptionType.PrefixInformation:
      if (length < 32) break;
      return {
        kind: 'prefix-information',
        length: lengthUnits,
        prefixLength: b[at + 2],
        onLink: (b[at + 3] & 0x80) !== 0,
        autonomous: (b[at + 3] & 0x40) !== 0,
        reservedFlags: b[at + 3] & 0x3f,
        validLifetime: read32(b, at + 4),
        preferredLifetime: read32(b, at + 8),
        reserved: read32(b, at + 12),
        prefix: formatIpv6Address(b, at + 16),
      };
    case NdpOptionType.Mtu:
      if (length !== 8) break;
      return { kind: 'mtu', length: lengthUnits, reserved: read16(b, at + 2), mtu: read32(b, at + 4) };
    case NdpOptionType.RecursiveDnsServer: {
      if (length < 24 || (length - 8) % 16 !== 0) break;
      const servers: string[] = [];
      for (let s = at + 8; s < at + length; s += 16) servers.push(formatIpv6Address(b, s));
      return { kind: 'recursive-dns-server', length: lengthUnits, reserved: read16(b, at + 2), lifetime: read32(b, at + 4), servers };
    }
  }
  return { kind: 'raw', type, bytes: b.subarray(at, at + length) };
}

/** "aa:bb:cc:dd:ee:ff" for a link-layer address option's bytes. */
export function formatLinkLayerAddress(address: Uint8Array): string {
  return Array.from(address, (x) => x.toString(16).padStart(2, '0')).join(':');
}

// --- MLDv2 records

const MLD_RECORD_HEADER_LENGTH = 20;

function mldRecordLength(record: MldAddressRecord): number {
  return MLD_RECORD_HEADER_LENGTH + 16 * record.sources.length + record.auxiliaryData.length;
}

function emitMldRecord(b: Uint8Array, o: number, record: MldAddressRecord): number {
  b[o] = checkField('recordType', record.recordType, 8);
  b[o + 1] = checkField('auxiliaryDataLength', record.auxiliaryDataLength ?? record.auxiliaryData.length >>> 2, 8);
  write16(b, o + 2, checkField('sourceCount', record.sourceCount ?? record.sources.length, 16));
  b.set(ipv6AddressBytes(record.multicastAddress), o + 4);
  let at = o + MLD_RECORD_HEADER_LENGTH;
  for (const source of record.sources) {
    b.set(ipv6AddressBytes(source), at);
    at += 16;
  }
  b.set(record.auxiliaryData, at);
  return mldRecordLength(record);
}

function parseMldRecords(b: Uint8Array, start: number, end: number, count: number): { records: MldAddressRecord[]; trailing: Uint8Array } {
  const records: MldAddressRecord[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    if (end - at < MLD_RECORD_HEADER_LENGTH) break;
    const auxiliaryDataLength = b[at + 1];
    const sourceCount = read16(b, at + 2);
    const length = MLD_RECORD_HEADER_LENGTH + 16 * sourceCount + 4 * auxiliaryDataLength;
    if (at + length > end) break;
    const sources: string[] = [];
    for (let s = 0; s < sourceCount; s++) sources.push(formatIpv6Address(b, at + MLD_RECORD_HEADER_LENGTH + 16 * s));
    const auxStart = at + MLD_RECORD_HEADER_LENGTH + 16 * sourceCount;
    records.push({
      recordType: b[at],
      auxiliaryDataLength,
      sourceCount,
      multicastAddress: formatIpv6Address(b, at + 4),
      sources,
      auxiliaryData: b.subarray(auxStart, auxStart + 4 * auxiliaryDataLength),
    });
    at += length;
  }
  return { records, trailing: b.subarray(at, end) };
}

// --- Building

/** Bytes after the 8-byte header that the builder writes. */
function bodyLength(message: Icmpv6MessageInit): number {
  switch (message.kind) {
    case 'echo':
    case 'other':
      return message.payload?.length ?? 0;
    case 'destination-unreachable':
    case 'packet-too-big':
    case 'time-exceeded':
    case 'parameter-problem':
      return message.original.length;
    case 'router-solicitation':
      return ndpOptionsLength(message.options);
    case 'router-advertisement':
      return 8 + ndpOptionsLength(message.options);
    case 'neighbor-solicitation':
    case 'neighbor-advertisement':
      return 16 + ndpOptionsLength(message.options);
    case 'redirect':
      return 32 + ndpOptionsLength(message.options);
    case 'mld':
      return 16 + (message.rest?.length ?? 0);
    case 'mldv2-report': {
      let length = message.trailing?.length ?? 0;
      for (const record of message.records) length += mldRecordLength(record);
      return length;
    }
  }
}

/** Length in bytes of the message the builder will write. */
export function icmpv6Length(message: Icmpv6MessageInit): number {
  return ICMPV6_HEADER_LENGTH + bodyLength(message);
}

function emitOptions(b: Uint8Array, at: number, options: readonly NdpOption[] | undefined): void {
  for (const option of options ?? []) at += emitNdpOption(b, at, option);
}

/**
 * Writes the message at buffer[offset] and returns the bytes written. The
 * checksum is filled over the pseudo-header unless the message gives one;
 * with neither, it throws.
 */
export function emitIcmpv6Into(buffer: Uint8Array, offset: number, message: Icmpv6MessageInit, pseudo?: Icmpv6PseudoHeader): number {
  const length = icmpv6Length(message);
  if (offset < 0 || buffer.length - offset < length) {
    throw new RangeError(`ICMPv6 message needs ${length} bytes at offset ${offset}; buffer has ${buffer.length - offset}`);
  }
  if (message.checksum === undefined && pseudo === undefined) {
    throw new TypeError('ICMPv6 checksum: give the pseudo-header ({ source, destination }) or set checksum');
  }
  const b = buffer;
  const o = offset;
  b.fill(0, o, o + length);
  b[o + TYPE] = checkField('type', message.kind === 'other' ? message.type : (message.type ?? DEFAULT_TYPE[message.kind]), 8);
  b[o + CODE] = checkField('code', message.code ?? 0, 8);
  const rest = o + REST_OF_HEADER;
  const body = o + BODY;
  switch (message.kind) {
    case 'echo':
      write16(b, rest, checkField('identifier', message.identifier, 16));
      write16(b, rest + 2, checkField('sequence', message.sequence, 16));
      b.set(message.payload ?? EMPTY, body);
      break;
    case 'destination-unreachable':
    case 'time-exceeded':
      write32(b, rest, checkField('unused', message.unused ?? 0, 32));
      b.set(message.original, body);
      break;
    case 'packet-too-big':
      write32(b, rest, checkField('mtu', message.mtu, 32));
      b.set(message.original, body);
      break;
    case 'parameter-problem':
      write32(b, rest, checkField('pointer', message.pointer ?? 0, 32));
      b.set(message.original, body);
      break;
    case 'router-solicitation':
      write32(b, rest, checkField('reserved', message.reserved ?? 0, 32));
      emitOptions(b, body, message.options);
      break;
    case 'router-advertisement':
      b[rest] = checkField('currentHopLimit', message.currentHopLimit ?? 0, 8);
      b[rest + 1] = (message.managed ? 0x80 : 0) | (message.other ? 0x40 : 0) | checkField('reservedFlags', message.reservedFlags ?? 0, 6);
      write16(b, rest + 2, checkField('routerLifetime', message.routerLifetime ?? 0, 16));
      write32(b, body, checkField('reachableTime', message.reachableTime ?? 0, 32));
      write32(b, body + 4, checkField('retransTimer', message.retransTimer ?? 0, 32));
      emitOptions(b, body + 8, message.options);
      break;
    case 'neighbor-solicitation':
      write32(b, rest, checkField('reserved', message.reserved ?? 0, 32));
      b.set(ipv6AddressBytes(message.target), body);
      emitOptions(b, body + 16, message.options);
      break;
    case 'neighbor-advertisement':
      write32(
        b,
        rest,
        ((message.router ? 0x8000_0000 : 0) +
          (message.solicited ? 0x4000_0000 : 0) +
          (message.override ? 0x2000_0000 : 0) +
          checkField('reserved', message.reserved ?? 0, 29)) >>>
          0,
      );
      b.set(ipv6AddressBytes(message.target), body);
      emitOptions(b, body + 16, message.options);
      break;
    case 'redirect':
      write32(b, rest, checkField('reserved', message.reserved ?? 0, 32));
      b.set(ipv6AddressBytes(message.target), body);
      b.set(ipv6AddressBytes(message.destination), body + 16);
      emitOptions(b, body + 32, message.options);
      break;
    case 'mld':
      write16(b, rest, checkField('maximumResponseDelay', message.maximumResponseDelay ?? 0, 16));
      write16(b, rest + 2, checkField('reserved', message.reserved ?? 0, 16));
      b.set(ipv6AddressBytes(message.multicastAddress), body);
      b.set(message.rest ?? EMPTY, body + 16);
      break;
    case 'mldv2-report': {
      write16(b, rest, checkField('reserved', message.reserved ?? 0, 16));
      write16(b, rest + 2, checkField('recordCount', message.recordCount ?? message.records.length, 16));
      let at = body;
      for (const record of message.records) at += emitMldRecord(b, at, record);
      b.set(message.trailing ?? EMPTY, at);
      break;
    }
    case 'other': {
      const restOfHeader = message.restOfHeader ?? new Uint8Array(4);
      if (restOfHeader.length !== 4) throw new RangeError(`ICMPv6 restOfHeader has 4 bytes, not ${restOfHeader.length}`);
      b.set(restOfHeader, rest);
      b.set(message.payload ?? EMPTY, body);
      break;
    }
  }
  const checksum =
    message.checksum !== undefined
      ? checkField('checksum', message.checksum, 16)
      : checksumFinish(checksumAdd(icmpv6PseudoHeaderSum(pseudo!, length), b, o, o + length));
  write16(b, o + CHECKSUM, checksum);
  return length;
}

/** The message as a new array; see emitIcmpv6Into. */
export function buildIcmpv6(message: Icmpv6MessageInit, pseudo?: Icmpv6PseudoHeader): Uint8Array {
  const bytes = new Uint8Array(icmpv6Length(message));
  emitIcmpv6Into(bytes, 0, message, pseudo);
  return bytes;
}

export interface Icmpv6EchoInit {
  /** 128 (request, the default) or 129 (reply). */
  type?: 128 | 129;
  code?: number;
  identifier: number;
  sequence: number;
  /** Bytes, UTF-8 text, or iputils' `-p` fill; iputilsEchoPayload (icmp.ts) makes ping's data for either family. */
  payload?: EchoPayloadInit;
  checksum?: number;
}

/** An echo request (or reply) with its checksum over the pseudo-header unless given. */
export function buildIcmpv6Echo(init: Icmpv6EchoInit, pseudo?: Icmpv6PseudoHeader): Uint8Array {
  const payload = echoPayloadBytes(init.payload);
  const bytes = new Uint8Array(ICMPV6_HEADER_LENGTH + payload.length);
  emitIcmpv6EchoInto(bytes, 0, { ...init, payload }, pseudo);
  return bytes;
}

export interface Icmpv6EchoFields {
  type?: number;
  code?: number;
  identifier: number;
  sequence: number;
  payload?: Uint8Array;
  checksum?: number;
}

/**
 * Hot path: writes an echo message into a reused buffer (ICMPv4's fused
 * copy-and-sum, plus the pseudo-header). `pseudo` may be the pseudo-header's
 * unfolded sum, computed once per destination with icmpv6PseudoHeaderSum
 * for this length. Without pseudo or checksum the field is left 0: on a raw
 * ICMPv6 socket the kernel fills it (RFC 3542 3.1).
 */
export function emitIcmpv6EchoInto(buffer: Uint8Array, offset: number, fields: Icmpv6EchoFields, pseudo?: Icmpv6PseudoHeader | number): number {
  const payloadLength = fields.payload?.length ?? 0;
  const base = pseudo === undefined ? undefined : typeof pseudo === 'number' ? pseudo : icmpv6PseudoHeaderSum(pseudo, ICMPV6_HEADER_LENGTH + payloadLength);
  return emitIcmpEchoInto(buffer, offset, {
    type: fields.type ?? Icmpv6Type.EchoRequest,
    code: fields.code,
    identifier: fields.identifier,
    sequence: fields.sequence,
    payload: fields.payload,
    checksum: fields.checksum ?? (base === undefined ? 0 : undefined),
    checksumBase: base,
  });
}

// --- Views

/** Error types (RFC 4443: types 0-127), whose body quotes the packet that caused them. */
export function isIcmpv6ErrorType(type: number): boolean {
  return type < 128;
}

/** The kind parseIcmpv6 gives a message of this type and length (the one place that decides it). */
export function icmpv6MessageKind(type: number, length: number): Icmpv6Message['kind'] {
  switch (type) {
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      return 'echo';
    case Icmpv6Type.DestinationUnreachable:
      return 'destination-unreachable';
    case Icmpv6Type.PacketTooBig:
      return 'packet-too-big';
    case Icmpv6Type.TimeExceeded:
      return 'time-exceeded';
    case Icmpv6Type.ParameterProblem:
      return 'parameter-problem';
    case Icmpv6Type.RouterSolicitation:
      return 'router-solicitation';
    case Icmpv6Type.RouterAdvertisement:
      return length >= 16 ? 'router-advertisement' : 'other';
    case Icmpv6Type.NeighborSolicitation:
      return length >= 24 ? 'neighbor-solicitation' : 'other';
    case Icmpv6Type.NeighborAdvertisement:
      return length >= 24 ? 'neighbor-advertisement' : 'other';
    case Icmpv6Type.Redirect:
      return length >= 40 ? 'redirect' : 'other';
    case Icmpv6Type.MulticastListenerQuery:
    case Icmpv6Type.MulticastListenerReport:
    case Icmpv6Type.MulticastListenerDone:
      return length >= 24 ? 'mld' : 'other';
    case Icmpv6Type.MulticastListenerReportV2:
      return 'mldv2-report';
    default:
      return 'other';
  }
}

/**
 * A zero-copy view of an ICMPv6 message at bytes[start, end). `point()`
 * checks the 4-byte type/code/checksum and the 4 bytes after (every defined
 * message has them); `quote()` points an IPv6 view at an error's quote.
 */
export class Icmpv6View extends IcmpHeaderView {
  protected readonly layer = 'icmpv6';

  /** True when the message sums right with this pseudo-header sum (icmpv6PseudoHeaderSum, or Ipv6View.pseudoHeaderSum). */
  checksumValid(pseudoHeaderSum: number): boolean {
    return foldChecksum(checksumAdd(pseudoHeaderSum, this.bytes, this.start, this.end)) === 0xffff;
  }
  /** The verdict on the stored checksum over the message and `pseudoHeaderSum`. */
  checksumVerdict(pseudoHeaderSum: number, scope?: Pick<ChecksumScope, 'complete' | 'reason' | 'knownValid'>): ChecksumVerdict {
    return checkChecksum(this.bytes, this.start, this.end, this.start + CHECKSUM, { ...scope, pseudoHeaderSum });
  }
  get kind(): Icmpv6Message['kind'] {
    return icmpv6MessageKind(this.u8(TYPE), this.end - this.start);
  }
  /** Packet too big: bytes 4-7. */
  get mtu(): number {
    return this.u32(Icmpv6Field.MTU);
  }
  /** Parameter problem: bytes 4-7. */
  get pointer(): number {
    return this.u32(Icmpv6Field.POINTER);
  }
  get isError(): boolean {
    return this.u8(TYPE) < 128;
  }
  get isEcho(): boolean {
    const type = this.u8(TYPE);
    return type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply;
  }
  /** NS/NA/redirect: the target address. */
  get target(): string {
    return formatIpv6Address(this.bytes, this.start + Icmpv6Field.TARGET);
  }
  /** Points `ip` at the quoted packet of an error message; the quote's payload may be cut. */
  quote(ip: Ipv6View): ParseError | undefined {
    return ip.point(this.bytes, this.start + BODY, this.end);
  }
}

function parseQuotedTransport6(ip: Ipv6View): QuotedTransport6 | undefined {
  if (!ip.hasUpperLayerHeader) return undefined;
  const start = ip.upperLayerStart;
  const end = ip.payloadEnd;
  const protocol = ip.upperLayerProtocol;
  if (protocol !== IpProtocol.ICMPv6) return parseQuotedPorts(protocol, ip.bytes, start, end);
  return quotedIcmpHeader('icmpv6', new Icmpv6View().pointUnchecked(ip.bytes, start, end), isIcmpv6EchoType);
}

const isIcmpv6EchoType = (type: number): boolean => type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply;

/** Parses the packet an ICMPv6 error quotes; tolerant of the quote ending anywhere after the fixed header. */
export function parseQuotedIpv6Datagram(original: Uint8Array): ParseResult<QuotedIpv6Datagram> {
  const ip = parseIpv6(original, { allowTruncatedPayload: true });
  if (!ip.ok) return ip;
  const view = new Ipv6View();
  view.point(original);
  const transport = parseQuotedTransport6(view);
  return parsed(transport ? { ip: ip.value, transport } : { ip: ip.value });
}

/**
 * Parses an ICMPv6 message; never throws. With the pseudo-header's
 * addresses the checksum is verified (`checksumVerdict`, `checksumValid`);
 * without them the verdict is 'unverified'. Bodies are views into `bytes`.
 */
export function parseIcmpv6(bytes: Uint8Array, pseudo?: Icmpv6PseudoHeader): ParseResult<ParsedIcmpv6Message> {
  const view = new Icmpv6View();
  const error = view.point(bytes);
  if (error !== undefined) return { ok: false, error };
  let checksumVerdict: ChecksumVerdict;
  let checksumValid: boolean | undefined;
  if (pseudo !== undefined) {
    let sum: number;
    try {
      sum = icmpv6PseudoHeaderSum(pseudo, bytes.length);
    } catch (e) {
      return { ok: false, error: malformedError('icmpv6', `pseudo-header: ${(e as Error).message}`) };
    }
    checksumVerdict = view.checksumVerdict(sum);
    checksumValid = checksumVerdict.status === 'correct';
  } else {
    checksumVerdict = view.checksumVerdict(0, { complete: false, reason: 'the IPv6 addresses are not known' });
  }
  const message = { ...messageFromView(view), checksum: view.checksum, checksumVerdict } as ParsedIcmpv6Message;
  if (checksumValid !== undefined) message.checksumValid = checksumValid;
  return parsed(message);
}

/** The message fields (checksum aside) of the message the view looks at. */
function messageFromView(view: Icmpv6View): Icmpv6Message {
  const b = view.bytes;
  const s = view.start;
  const e = view.end;
  const type = view.type;
  const code = view.code;
  const body = view.body;
  const errorOf = () => ({ code, original: body, quoted: parseQuotedIpv6Datagram(body) });
  switch (view.kind) {
    case 'echo':
      return { kind: 'echo', type: type as 128 | 129, code, identifier: view.identifier, sequence: view.sequence, payload: body };
    case 'destination-unreachable':
      return { kind: 'destination-unreachable', type: 1, ...errorOf(), unused: view.restOfHeader };
    case 'packet-too-big':
      return { kind: 'packet-too-big', type: 2, ...errorOf(), mtu: view.mtu };
    case 'time-exceeded':
      return { kind: 'time-exceeded', type: 3, ...errorOf(), unused: view.restOfHeader };
    case 'parameter-problem':
      return { kind: 'parameter-problem', type: 4, ...errorOf(), pointer: view.pointer };
    case 'router-solicitation':
      return { kind: 'router-solicitation', type: 133, code, reserved: view.restOfHeader, options: parseNdpOptions(b, s + NDP_OPTIONS_AT[133], e) };
    case 'router-advertisement': {
      const flags = b[s + 5];
      return {
        kind: 'router-advertisement',
        type: 134,
        code,
        currentHopLimit: b[s + 4],
        managed: (flags & 0x80) !== 0,
        other: (flags & 0x40) !== 0,
        reservedFlags: flags & 0x3f,
        routerLifetime: read16(b, s + 6),
        reachableTime: read32(b, s + 8),
        retransTimer: read32(b, s + 12),
        options: parseNdpOptions(b, s + NDP_OPTIONS_AT[134], e),
      };
    }
    case 'neighbor-solicitation':
      return {
        kind: 'neighbor-solicitation',
        type: 135,
        code,
        reserved: view.restOfHeader,
        target: view.target,
        options: parseNdpOptions(b, s + NDP_OPTIONS_AT[135], e),
      };
    case 'neighbor-advertisement': {
      const word = view.restOfHeader;
      return {
        kind: 'neighbor-advertisement',
        type: 136,
        code,
        router: (word & 0x8000_0000) !== 0,
        solicited: (word & 0x4000_0000) !== 0,
        override: (word & 0x2000_0000) !== 0,
        reserved: word & 0x1fff_ffff,
        target: view.target,
        options: parseNdpOptions(b, s + NDP_OPTIONS_AT[136], e),
      };
    }
    case 'redirect':
      return {
        kind: 'redirect',
        type: 137,
        code,
        reserved: view.restOfHeader,
        target: view.target,
        destination: formatIpv6Address(b, s + Icmpv6Field.REDIRECT_DESTINATION),
        options: parseNdpOptions(b, s + NDP_OPTIONS_AT[137], e),
      };
    case 'mld':
      return {
        kind: 'mld',
        type: type as 130 | 131 | 132,
        code,
        maximumResponseDelay: read16(b, s + 4),
        reserved: read16(b, s + 6),
        multicastAddress: formatIpv6Address(b, s + 8),
        rest: b.subarray(s + 24, e),
      };
    case 'mldv2-report': {
      const recordCount = read16(b, s + Icmpv6Field.MLDV2_RECORD_COUNT);
      const { records, trailing } = parseMldRecords(b, s + 8, e, recordCount);
      return { kind: 'mldv2-report', type: 143, code, reserved: read16(b, s + 4), recordCount, records, trailing };
    }
    case 'other':
      break;
  }
  return { kind: 'other', type, code, restOfHeader: view.restOfHeaderBytes, payload: body };
}
