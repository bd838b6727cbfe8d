// Which received packet answers which sent one, per layer, in one place
// (scapy's `answers()` and `hashret()` in layers/inet.py).
//
// A received packet is read once into "the request it would answer", in the
// request's orientation: a reply's addresses and ports swapped back, a reply
// type mapped to its query type, an ICMP error's quoted datagram taken as is.
// Matching a request is then a comparison of the same fields on both sides,
// and `requestKey(request)` equals `views.key` after reading any of its
// answers, so a table of many outstanding requests finds one in O(1).
//
// The rules, per layer:
// - IPv4: a reply comes from the request's destination to its source (the
//   source may be unknown, 0, when the kernel writes the header). An ICMP
//   error may come from anyone (the destination or a router on the way): it
//   answers when its quote is our datagram, same addresses and protocol.
// - ICMP: echo, timestamp, information and address mask requests are answered
//   by their reply type with the same identifier and sequence. An error's
//   quote must hold the same type and, when quoted, bytes 4-7. An ICMP error
//   is never answered by another error (RFC 1122 3.2.2).
// - TCP: a segment from dst:dport to our sport, acknowledging no more than
//   we sent when it carries ACK; a SYN-ACK answers only a SYN, and nothing
//   answers a RST. A quote must hold our ports, and our sequence number when
//   it reaches it (routers may quote only 8 bytes).
// - UDP: a datagram from dst:dport to our sport; a quote must hold our ports.
// - Loopback raw sockets see our outgoing packets: our own looped-back packet
//   (same transport checksum and fields) is never an answer.
// - IPv6 and ICMPv6 follow the same rules (RFC 4443: echo reply 129 answers
//   echo request 128; types below 128 are errors quoting our packet, after
//   its extension headers). Addresses are 16 bytes: requests and views carry
//   a 32-bit fold of each (ipv6AddressFold) for keys and a first cheap
//   comparison, and the 16 bytes themselves, compared exactly before a match
//   is declared. A raw AF_INET6 socket delivers the transport bytes without
//   the IPv6 header (RFC 3542), so `readTransport` takes the addresses the
//   socket reported instead.
//
// Pure and allocation-free on the receive path: `ReplyViews` keeps one view
// per layer and is re-pointed for every packet; nothing here throws on bad bytes.

import { IcmpField, IcmpHeaderView, IcmpType, IcmpView, isIcmpErrorType } from './icmp.ts';
import { Icmpv6Type, Icmpv6View } from './icmpv6.ts';
import { IpProtocol, Ipv4View } from './ipv4.ts';
import { ipv6AddressBytes, type Ipv6AddressInput } from './ipv6-address.ts';
import { read32 } from './header-fields.ts';
import { Ipv6View } from './ipv6.ts';
import { TcpField, TcpFlag, TcpView } from './tcp.ts';
import { UdpField, UdpView } from './udp.ts';

export type AnswerKind = 'reply' | 'icmp-error';

/** Returned by key functions when the fields a key needs were not there. */
export const NO_KEY = -1;

/**
 * What a sent packet expects back. Every field is a number so that all
 * requests share one object shape; fields of other protocols are 0.
 */
export interface SentRequest {
  /** 4 or 6. */
  family: number;
  /** IpProtocol.ICMP, ICMPv6, TCP or UDP. */
  protocol: number;
  /**
   * Our IPv4 address as a 32-bit number; 0 when unknown (the kernel writes
   * it), which matches any. IPv6: the fold of `sourceAddress` (ipv6AddressFold).
   */
  source: number;
  destination: number;
  /** IPv6: the 16-byte addresses (the source all zeros when unknown); empty for IPv4. */
  sourceAddress: Uint8Array;
  destinationAddress: Uint8Array;
  /** ICMP: the type sent, and bytes 4-7 (identifier and sequence for queries). */
  icmpType: number;
  identifier: number;
  sequence: number;
  /** TCP and UDP. */
  sourcePort: number;
  destinationPort: number;
  /** TCP. */
  sequenceNumber: number;
  acknowledgmentNumber: number;
  tcpFlags: number;
  /** TCP: sequence space the segment takes (data + SYN + FIN), so a reply acknowledges at most seq + this. UDP: the length field. */
  segmentLength: number;
  /** The transport checksum sent: with the fields above, it tells our own looped-back packet. */
  checksum: number;
}

const NO_ADDRESS = new Uint8Array(0);
const UNSPECIFIED_IPV6 = new Uint8Array(16);

/**
 * A 16-byte IPv6 address at bytes[at] folded to a 32-bit number for keys
 * and a first comparison: 0 exactly for the unspecified address (::), which
 * like IPv4's 0 stands for "unknown". Two addresses with the same fold are
 * told apart by comparing their bytes.
 */
export function ipv6AddressFold(bytes: Uint8Array, at = 0): number {
  const w0 = read32(bytes, at);
  const w1 = read32(bytes, at + 4);
  const w2 = read32(bytes, at + 8);
  const w3 = read32(bytes, at + 12);
  if ((w0 | w1 | w2 | w3) === 0) return 0;
  // A cheap multiply-xor fold: the keys mix it again (mixKey), and equal folds are confirmed on the bytes.
  let h = Math.imul(w0 ^ ((w1 << 13) | (w1 >>> 19)), 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3 ^ (w3 >>> 16), 0xc2b2ae35);
  h = (h ^ (h >>> 15)) >>> 0;
  return h === 0 ? 1 : h;
}

function addressNumber4(address: Uint8Array): number {
  return read32(address, 0);
}

/** True when a[aAt..aAt+16) equals b[bAt..bAt+16). */
function sameIpv6Address(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): boolean {
  for (let i = 0; i < 16; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

/** A request with every field 0, to fill in (or to reuse, changing one field per lookup). */
export function emptyRequest(): SentRequest {
  return {
    family: 4,
    protocol: 0,
    source: 0,
    destination: 0,
    sourceAddress: NO_ADDRESS,
    destinationAddress: NO_ADDRESS,
    icmpType: 0,
    identifier: 0,
    sequence: 0,
    sourcePort: 0,
    destinationPort: 0,
    sequenceNumber: 0,
    acknowledgmentNumber: 0,
    tcpFlags: 0,
    segmentLength: 0,
    checksum: 0,
  };
}

/** ICMP query types and the type of their reply (RFC 792, 950). */
const REPLY_TYPE_OF: Record<number, number> = {
  [IcmpType.EchoRequest]: IcmpType.EchoReply,
  [IcmpType.Timestamp]: IcmpType.TimestampReply,
  [IcmpType.InformationRequest]: IcmpType.InformationReply,
  [IcmpType.AddressMaskRequest]: IcmpType.AddressMaskReply,
};

/** The query type a reply type answers, or -1 when `type` is not a reply. */
export function icmpRequestTypeOf(replyType: number): number {
  switch (replyType) {
    case IcmpType.EchoReply:
      return IcmpType.EchoRequest;
    case IcmpType.TimestampReply:
      return IcmpType.Timestamp;
    case IcmpType.InformationReply:
      return IcmpType.InformationRequest;
    case IcmpType.AddressMaskReply:
      return IcmpType.AddressMaskRequest;
    default:
      return -1;
  }
}

/** The reply type of a query type, or undefined when nothing replies to it. */
export function icmpReplyTypeOf(requestType: number): number | undefined {
  return REPLY_TYPE_OF[requestType];
}

// ---------------------------------------------------------------------------
// Describing what we sent

/**
 * Describes a transport message we send (the bytes sendto() gets when the
 * kernel writes the IPv4 header). `source` 0: unknown. Undefined when the
 * bytes are too short for the protocol's header, or the protocol is not
 * ICMP, TCP or UDP.
 */
export function describeTransport(
  protocol: number,
  source: number,
  destination: number,
  transport: Uint8Array,
  start = 0,
  end = transport.length,
  views: ReplyViews = new ReplyViews(),
): SentRequest | undefined {
  if (protocol === IpProtocol.ICMPv6) return undefined;
  const request = emptyRequest();
  request.protocol = protocol;
  request.source = source >>> 0;
  request.destination = destination >>> 0;
  return describeTransportInto(request, transport, start, end, views);
}

/**
 * Describes a transport message we send over IPv6 (ICMPv6, TCP or UDP; the
 * bytes sendto() gets on a raw AF_INET6 socket). `source` undefined (or ::)
 * when the kernel picks it, which matches a reply to any of our addresses.
 */
export function describeTransport6(
  protocol: number,
  source: Ipv6AddressInput | undefined,
  destination: Ipv6AddressInput,
  transport: Uint8Array,
  start = 0,
  end = transport.length,
  views: ReplyViews = new ReplyViews(),
): SentRequest | undefined {
  if (protocol === IpProtocol.ICMP) return undefined;
  const request = emptyRequest();
  request.family = 6;
  request.protocol = protocol;
  request.sourceAddress = source === undefined ? UNSPECIFIED_IPV6 : ipv6AddressBytes(source);
  request.destinationAddress = ipv6AddressBytes(destination);
  request.source = ipv6AddressFold(request.sourceAddress);
  request.destination = ipv6AddressFold(request.destinationAddress);
  return describeTransportInto(request, transport, start, end, views);
}

function describeTransportInto(request: SentRequest, transport: Uint8Array, start: number, end: number, views: ReplyViews): SentRequest | undefined {
  switch (request.protocol) {
    case IpProtocol.ICMP:
    case IpProtocol.ICMPv6: {
      // The same 8-byte header in both versions.
      const icmp: IcmpHeaderView = request.protocol === IpProtocol.ICMP ? views.icmp : views.icmp6;
      if (icmp.point(transport, start, end) !== undefined) return undefined;
      request.icmpType = icmp.type;
      request.identifier = icmp.identifier;
      request.sequence = icmp.sequence;
      request.checksum = icmp.checksum;
      return request;
    }
    case IpProtocol.TCP: {
      const tcp = views.tcp;
      if (tcp.point(transport, start, end) !== undefined) return undefined;
      request.sourcePort = tcp.sourcePort;
      request.destinationPort = tcp.destinationPort;
      request.sequenceNumber = tcp.sequenceNumber;
      request.acknowledgmentNumber = tcp.acknowledgmentNumber;
      request.tcpFlags = tcp.flags;
      request.segmentLength = tcp.segmentLength;
      request.checksum = tcp.checksum;
      return request;
    }
    case IpProtocol.UDP: {
      const udp = views.udp;
      if (udp.point(transport, start, end) !== undefined) return undefined;
      request.sourcePort = udp.sourcePort;
      request.destinationPort = udp.destinationPort;
      request.segmentLength = udp.lengthField;
      request.checksum = udp.checksum;
      return request;
    }
    default:
      return undefined;
  }
}

/** Describes an IPv4 or IPv6 datagram we send (IP_HDRINCL, a packet socket, or a packet from a capture). */
export function describeRequest(datagram: Uint8Array, views: ReplyViews = new ReplyViews()): SentRequest | undefined {
  if (datagram.length > 0 && datagram[0] >>> 4 === 6) {
    const ip6 = views.ip6;
    if (ip6.point(datagram) !== undefined || !ip6.hasUpperLayerHeader) return undefined;
    return describeTransport6(ip6.upperLayerProtocol, ip6.sourceBytes, ip6.destinationBytes, datagram, ip6.upperLayerStart, ip6.payloadEnd, views);
  }
  const ip = views.ip;
  if (ip.point(datagram) !== undefined) return undefined;
  if (ip.fragmentOffset !== 0) return undefined;
  return describeTransport(ip.protocol, ip.sourceNumber, ip.destinationNumber, datagram, ip.payloadStart, ip.payloadEnd, views);
}

// ---------------------------------------------------------------------------
// Keys (hashret)

const TRANSPORT_SHIFT = 0x10000;

/**
 * Mixes the fields that identify an exchange into a 52-bit number (two
 * MurmurHash3 lanes), so the same request on either side gives the same key.
 * A key is a hash: a table confirms a hit with `answerOf`.
 */
function mixKey(protocol: number, requester: number, target: number, high: number, low: number): number {
  const transport = (high * TRANSPORT_SHIFT + low) >>> 0;
  const a = finalize(mix(mix(mix(protocol + 0x9e3779b9, requester), target), transport));
  const b = finalize(mix(mix(mix(protocol ^ 0x7f4a7c15, transport), target), requester));
  return (a & 0xfffff) * 0x1_0000_0000 + b;
}

function mix(hash: number, value: number): number {
  let k = Math.imul(value, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  const h = hash ^ k;
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

function finalize(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The key of an ICMP query (or of any ICMP message, by its bytes 4-7) between two hosts. */
export function icmpQueryKey(requester: number, target: number, requestType: number, identifier: number, sequence: number): number {
  return mixKey(IpProtocol.ICMP * 0x100 + requestType, requester >>> 0, target >>> 0, identifier, sequence);
}

/** The key of an ICMPv6 echo between two hosts (addresses as ipv6AddressFold gives them). */
export function icmpv6QueryKey(requester: number, target: number, requestType: number, identifier: number, sequence: number): number {
  return mixKey(IpProtocol.ICMPv6 * 0x100 + requestType, requester >>> 0, target >>> 0, identifier, sequence);
}

/** icmpQueryKey or icmpv6QueryKey. */
type QueryKeyOf = typeof icmpQueryKey;

/** The key of a TCP or UDP exchange, in the request's orientation. */
export function portsKey(protocol: number, requester: number, target: number, sourcePort: number, destinationPort: number): number {
  return mixKey(protocol * 0x100, requester >>> 0, target >>> 0, sourcePort, destinationPort);
}

/**
 * The request's key; equal to `views.key` after `views.read()` of any of its
 * answers. Needs the source: NO_KEY when it is unknown (0).
 */
export function requestKey(request: SentRequest): number {
  if (request.source === 0) return NO_KEY;
  if (request.protocol === IpProtocol.ICMP) {
    return icmpQueryKey(request.source, request.destination, request.icmpType, request.identifier, request.sequence);
  }
  if (request.protocol === IpProtocol.ICMPv6) {
    return icmpv6QueryKey(request.source, request.destination, request.icmpType, request.identifier, request.sequence);
  }
  return portsKey(request.protocol, request.source, request.destination, request.sourcePort, request.destinationPort);
}

// ---------------------------------------------------------------------------
// Reading what arrived

/**
 * One view per layer, for received packets and the datagram an ICMP error
 * quotes, plus what `read()` found: the request the packet would answer, in
 * the request's orientation. Keep one per receive loop; `read` allocates nothing.
 */
export class ReplyViews {
  readonly ip = new Ipv4View();
  readonly ip6 = new Ipv6View();
  readonly icmp = new IcmpView();
  readonly icmp6 = new Icmpv6View();
  readonly tcp = new TcpView();
  readonly udp = new UdpView();
  /** An ICMP error's quote: the IPv4 header and what was quoted of the transport header. */
  readonly quotedIp = new Ipv4View();
  readonly quotedIcmp = new IcmpView();
  /** An ICMPv6 error's quote: the IPv6 header and extension headers. */
  readonly quotedIp6 = new Ipv6View();
  readonly quotedIcmp6 = new Icmpv6View();
  readonly quotedTcp = new TcpView();
  readonly quotedUdp = new UdpView();

  /** What the last read packet can be: a reply (or any TCP/UDP segment), an ICMP error, or nothing to match. */
  kind: AnswerKind | undefined = undefined;
  /** 4 or 6: the family of the last read packet. */
  family = 4;
  /** The request's protocol. */
  protocol = 0;
  /**
   * The request's source: the reply's destination, or the quote's source.
   * IPv6: its fold, and 0 when a stripped-header read was not told it.
   */
  requester = 0;
  /** The request's destination: the reply's source, or the quote's destination. */
  target = 0;
  /** IPv6: where the requester's and the target's 16 bytes lie (for the exact comparison after the folds agree). */
  requesterBytes: Uint8Array = NO_ADDRESS;
  requesterAt = 0;
  targetBytes: Uint8Array = NO_ADDRESS;
  targetAt = 0;
  /** ICMP: the request's type (a reply's query type, or the quoted type). */
  icmpType = -1;
  /** ICMP: bytes 4-7 are known (always for replies; for quotes, when quoted). */
  hasQueryFields = false;
  identifier = 0;
  sequence = 0;
  /** TCP and UDP ports, in the request's orientation. */
  sourcePort = 0;
  destinationPort = 0;
  /** TCP errors: the quoted sequence number, when the quote reaches it. */
  hasSequenceNumber = false;
  sequenceNumber = 0;
  /** The key of the request this answers (see requestKey), or NO_KEY. */
  key = NO_KEY;

  /**
   * Points the views at an IPv4 datagram as received and works out which
   * request it could answer. Returns `kind`: undefined when it answers
   * nothing (unreadable, a query, another protocol, a non-first fragment).
   */
  read(bytes: Uint8Array, start = 0, end = bytes.length): AnswerKind | undefined {
    this.kind = undefined;
    this.key = NO_KEY;
    this.hasQueryFields = false;
    this.hasSequenceNumber = false;
    if (end > start && bytes[start] >>> 4 === 6) return this.read6(bytes, start, end);
    this.family = 4;
    const ip = this.ip;
    if (ip.point(bytes, start, end) !== undefined || ip.fragmentOffset !== 0) return undefined;
    this.requester = ip.destinationNumber;
    this.target = ip.sourceNumber;
    return this.readUpper(ip.protocol, bytes, ip.payloadStart, ip.payloadEnd);
  }

  /** An IPv6 packet as received (a packet socket, a capture, IPV6_HDRINCL): the upper layer after the extension headers. */
  private read6(bytes: Uint8Array, start: number, end: number): AnswerKind | undefined {
    this.family = 6;
    const ip = this.ip6;
    if (ip.point(bytes, start, end) !== undefined || !ip.hasUpperLayerHeader) return undefined;
    this.requesterBytes = bytes;
    this.requesterAt = ip.destinationAt;
    this.targetBytes = bytes;
    this.targetAt = ip.sourceAt;
    this.requester = ipv6AddressFold(bytes, this.requesterAt);
    this.target = ipv6AddressFold(bytes, this.targetAt);
    return this.readUpper(ip.upperLayerProtocol, bytes, ip.upperLayerStart, ip.payloadEnd);
  }

  /**
   * Reads what a raw socket that strips the IP header delivers (AF_INET6
   * always does, RFC 3542): the transport bytes, the sender's address from
   * recvfrom() and, when known (IPV6_PKTINFO), the address it was sent to.
   * Addresses are 16 bytes for family 6, 4 for family 4. Without
   * `destinationAddress` the requester is unknown (0) and a reply matches a
   * request from any of our addresses but has no key. ICMPv6 errors need no
   * addresses: their quote carries both.
   */
  readTransport(
    family: 4 | 6,
    protocol: number,
    bytes: Uint8Array,
    sourceAddress: Uint8Array,
    destinationAddress?: Uint8Array,
    start = 0,
    end = bytes.length,
  ): AnswerKind | undefined {
    this.kind = undefined;
    this.key = NO_KEY;
    this.hasQueryFields = false;
    this.hasSequenceNumber = false;
    this.family = family;
    if (family === 6) {
      if (sourceAddress.length !== 16 || (destinationAddress !== undefined && destinationAddress.length !== 16)) return undefined;
      this.targetBytes = sourceAddress;
      this.targetAt = 0;
      this.target = ipv6AddressFold(sourceAddress);
      this.requesterBytes = destinationAddress ?? UNSPECIFIED_IPV6;
      this.requesterAt = 0;
      this.requester = destinationAddress === undefined ? 0 : ipv6AddressFold(destinationAddress);
    } else {
      if (sourceAddress.length !== 4 || (destinationAddress !== undefined && destinationAddress.length !== 4)) return undefined;
      this.target = addressNumber4(sourceAddress);
      this.requester = destinationAddress === undefined ? 0 : addressNumber4(destinationAddress);
    }
    return this.readUpper(protocol, bytes, start, end);
  }

  /** The transport layer at bytes[start, end), the addresses already set. */
  private readUpper(protocol: number, bytes: Uint8Array, payloadStart: number, payloadEnd: number): AnswerKind | undefined {
    this.protocol = protocol;
    if (protocol === IpProtocol.TCP) {
      const tcp = this.tcp;
      if (tcp.point(bytes, payloadStart, payloadEnd) !== undefined) return undefined;
      this.sourcePort = tcp.destinationPort;
      this.destinationPort = tcp.sourcePort;
      if (this.requester !== 0) this.key = portsKey(protocol, this.requester, this.target, this.sourcePort, this.destinationPort);
      return (this.kind = 'reply');
    }
    if (protocol === IpProtocol.UDP) {
      const udp = this.udp;
      if (udp.point(bytes, payloadStart, payloadEnd) !== undefined) return undefined;
      this.sourcePort = udp.destinationPort;
      this.destinationPort = udp.sourcePort;
      if (this.requester !== 0) this.key = portsKey(protocol, this.requester, this.target, this.sourcePort, this.destinationPort);
      return (this.kind = 'reply');
    }
    if (protocol === IpProtocol.ICMPv6) return this.readIcmpv6(bytes, payloadStart, payloadEnd);
    if (protocol !== IpProtocol.ICMP || this.family !== 4) return undefined;
    const icmp = this.icmp;
    if (icmp.point(bytes, payloadStart, payloadEnd) !== undefined) return undefined;
    const type = icmp.type;
    const requestType = icmpRequestTypeOf(type);
    if (requestType >= 0) {
      return this.readQueryReply(icmp, requestType, icmpQueryKey);
    }
    if (!isIcmpErrorType(type)) return undefined;
    return this.readQuote();
  }

  /** ICMPv6: an echo reply answers its request; an error (type < 128) quotes ours. */
  private readIcmpv6(bytes: Uint8Array, start: number, end: number): AnswerKind | undefined {
    const icmp = this.icmp6;
    if (this.family !== 6 || icmp.point(bytes, start, end) !== undefined) return undefined;
    const type = icmp.type;
    if (type === Icmpv6Type.EchoReply) return this.readQueryReply(icmp, Icmpv6Type.EchoRequest, icmpv6QueryKey);
    if (type >= 128) return undefined;
    const quoted = this.quotedIp6;
    if (icmp.quote(quoted) !== undefined || !quoted.hasUpperLayerHeader) return undefined;
    const quotedBytes = quoted.bytes;
    this.requesterBytes = quotedBytes;
    this.requesterAt = quoted.sourceAt;
    this.targetBytes = quotedBytes;
    this.targetAt = quoted.destinationAt;
    this.requester = ipv6AddressFold(quotedBytes, this.requesterAt);
    this.target = ipv6AddressFold(quotedBytes, this.targetAt);
    const protocol = quoted.upperLayerProtocol;
    this.protocol = protocol;
    const upperStart = quoted.upperLayerStart;
    const upperEnd = quoted.payloadEnd;
    if (protocol === IpProtocol.ICMPv6) return this.readQuotedQuery(this.quotedIcmp6.pointUnchecked(quotedBytes, upperStart, upperEnd), icmpv6QueryKey);
    return this.readQuotedPorts(protocol, quotedBytes, upperStart, upperEnd);
  }

  /** An ICMP error: the request is the quoted datagram, whoever sent the error. */
  private readQuote(): AnswerKind | undefined {
    const quoted = this.quotedIp;
    if (this.icmp.quote(quoted) !== undefined || quoted.fragmentOffset !== 0) return undefined;
    const bytes = quoted.bytes;
    const start = quoted.payloadStart;
    const end = quoted.payloadEnd;
    const protocol = quoted.protocol;
    this.protocol = protocol;
    this.requester = quoted.sourceNumber;
    this.target = quoted.destinationNumber;
    if (protocol === IpProtocol.ICMP) return this.readQuotedQuery(this.quotedIcmp.pointUnchecked(bytes, start, end), icmpQueryKey);
    return this.readQuotedPorts(protocol, bytes, start, end);
  }

  /**
   * An ICMP or ICMPv6 query reply (both keep identifier and sequence in
   * bytes 4-7), answering a request of `requestType`; keyed when the
   * requester is known.
   */
  private readQueryReply(icmp: IcmpHeaderView, requestType: number, queryKey: QueryKeyOf): AnswerKind {
    this.icmpType = requestType;
    this.hasQueryFields = true;
    this.identifier = icmp.identifier;
    this.sequence = icmp.sequence;
    if (this.requester !== 0) this.key = queryKey(this.requester, this.target, requestType, this.identifier, this.sequence);
    return (this.kind = 'reply');
  }

  /** A quoted ICMP or ICMPv6 message, however short the quote: its type, and a query's identifier and sequence when quoted. */
  private readQuotedQuery(icmp: IcmpHeaderView, queryKey: QueryKeyOf): AnswerKind | undefined {
    if (!icmp.reaches(IcmpField.CODE)) return undefined;
    this.icmpType = icmp.type;
    if (icmp.reaches(IcmpField.BODY)) {
      this.hasQueryFields = true;
      this.identifier = icmp.identifier;
      this.sequence = icmp.sequence;
      this.key = queryKey(this.requester, this.target, this.icmpType, this.identifier, this.sequence);
    }
    return (this.kind = 'icmp-error');
  }

  /** A quoted TCP or UDP header, however short the quote: the ports, and TCP's sequence number when it reaches it. */
  private readQuotedPorts(protocol: number, bytes: Uint8Array, start: number, end: number): AnswerKind | undefined {
    switch (protocol) {
      case IpProtocol.TCP: {
        const tcp = this.quotedTcp.pointUnchecked(bytes, start, end);
        if (!tcp.reaches(TcpField.SEQUENCE_NUMBER)) return undefined;
        this.sourcePort = tcp.sourcePort;
        this.destinationPort = tcp.destinationPort;
        if (tcp.reaches(TcpField.ACKNOWLEDGMENT_NUMBER)) {
          this.hasSequenceNumber = true;
          this.sequenceNumber = tcp.sequenceNumber;
        }
        this.key = portsKey(protocol, this.requester, this.target, this.sourcePort, this.destinationPort);
        return (this.kind = 'icmp-error');
      }
      case IpProtocol.UDP: {
        const udp = this.quotedUdp.pointUnchecked(bytes, start, end);
        if (!udp.reaches(UdpField.LENGTH)) return undefined;
        this.sourcePort = udp.sourcePort;
        this.destinationPort = udp.destinationPort;
        this.key = portsKey(protocol, this.requester, this.target, this.sourcePort, this.destinationPort);
        return (this.kind = 'icmp-error');
      }
      default:
        return undefined;
    }
  }
}

// ---------------------------------------------------------------------------
// Matching

/** a - b in sequence space (RFC 9293), as a signed 32-bit number. */
function sequenceDistance(a: number, b: number): number {
  return (a - b) | 0;
}

/** The exact comparison behind equal IPv6 folds: the target always, the requester when both sides know it. */
function sameAddresses6(request: SentRequest, views: ReplyViews): boolean {
  if (!sameIpv6Address(views.targetBytes, views.targetAt, request.destinationAddress, 0)) return false;
  return request.source === 0 || views.requester === 0 || sameIpv6Address(views.requesterBytes, views.requesterAt, request.sourceAddress, 0);
}

/** True when the last read packet is our own TCP segment or UDP datagram, looped back. */
function isOwnLoopedBack(request: SentRequest, views: ReplyViews): boolean {
  if (request.protocol === IpProtocol.TCP) {
    const tcp = views.tcp;
    return (
      tcp.checksum === request.checksum &&
      tcp.sequenceNumber === request.sequenceNumber &&
      tcp.acknowledgmentNumber === request.acknowledgmentNumber &&
      tcp.flags === request.tcpFlags
    );
  }
  // UDP: with sport == dport an echoed datagram looks just like ours; ours wins.
  return views.udp.checksum === request.checksum && views.udp.lengthField === request.segmentLength;
}

/**
 * TCP's own rules for a reply (as scapy's TCP.answers): nothing answers a
 * RST (RFC 9293 3.10.7); a SYN answers only with ACK, and only a SYN; an ACK
 * covers at most what we sent, seq .. seq + segment length.
 */
function tcpReplyFits(request: SentRequest, tcp: TcpView): boolean {
  if (request.tcpFlags & TcpFlag.RST) return false;
  const flags = tcp.flags;
  if (flags & TcpFlag.SYN && (!(flags & TcpFlag.ACK) || !(request.tcpFlags & TcpFlag.SYN))) return false;
  if (!(flags & TcpFlag.ACK)) return true;
  const acknowledged = sequenceDistance(tcp.acknowledgmentNumber, request.sequenceNumber);
  return acknowledged >= 0 && acknowledged <= request.segmentLength;
}

/**
 * Whether the packet last read into `views` answers `request`, and how.
 * Checksums are not looked at: a corrupt reply is still the reply (ping
 * reports it as such).
 */
export function answerOf(request: SentRequest, views: ReplyViews): AnswerKind | undefined {
  const kind = views.kind;
  if (kind === undefined || views.protocol !== request.protocol || views.target !== request.destination) return undefined;
  // A requester of 0 is unknown on either side: the kernel picked our address, or a stripped-header read was not told it.
  if (request.source !== 0 && views.requester !== 0 && views.requester !== request.source) return undefined;
  if (views.family !== request.family || (request.family === 6 && !sameAddresses6(request, views))) return undefined;
  if (kind === 'reply') {
    if (request.protocol === IpProtocol.ICMP || request.protocol === IpProtocol.ICMPv6) {
      // read() maps a reply type to its query type, so a looped-back request never gets here.
      return views.icmpType === request.icmpType && views.identifier === request.identifier && views.sequence === request.sequence
        ? 'reply'
        : undefined;
    }
    if (views.sourcePort !== request.sourcePort || views.destinationPort !== request.destinationPort) return undefined;
    if (isOwnLoopedBack(request, views)) return undefined;
    if (request.protocol === IpProtocol.TCP && !tcpReplyFits(request, views.tcp)) return undefined;
    return 'reply';
  }
  // An ICMP error about an ICMP error is never sent (RFC 1122 3.2.2, RFC 4443 2.4(e)): ours looped back would otherwise match.
  if (request.protocol === IpProtocol.ICMP || request.protocol === IpProtocol.ICMPv6) {
    const requestIsError = request.protocol === IpProtocol.ICMP ? isIcmpErrorType(request.icmpType) : request.icmpType < 128;
    if (requestIsError || views.icmpType !== request.icmpType) return undefined;
    if (views.hasQueryFields && (views.identifier !== request.identifier || views.sequence !== request.sequence)) return undefined;
    return 'icmp-error';
  }
  if (views.sourcePort !== request.sourcePort || views.destinationPort !== request.destinationPort) return undefined;
  if (request.protocol === IpProtocol.TCP && views.hasSequenceNumber && views.sequenceNumber !== request.sequenceNumber) {
    return undefined;
  }
  return 'icmp-error';
}

/** Reads `bytes` (an IPv4 or IPv6 datagram as received) into `views` and says whether it answers `request`. */
export function answers(request: SentRequest, bytes: Uint8Array, views: ReplyViews): AnswerKind | undefined {
  views.read(bytes);
  return answerOf(request, views);
}

// ---------------------------------------------------------------------------
// A TCP connection

/** The two ends of a TCP connection, as our side sees them. */
export interface TcpConnectionEndpoints {
  /** Our address as a 32-bit number; 0 matches any. */
  source: number;
  sourcePort: number;
  destination: number;
  destinationPort: number;
  /**
   * Optional send window [sendUnacknowledged, sendNext): when both are set,
   * an ICMP error must quote a sequence number in it (RFC 5927 section 4.1,
   * against blind ICMP attacks). Left out, any quoted number is taken.
   */
  sendUnacknowledged?: number;
  sendNext?: number;
  /** 6 for IPv6: `source` and `destination` are then folds (ipv6AddressFold) of these 16-byte addresses, compared exactly. */
  family?: 4 | 6;
  sourceAddress?: Uint8Array;
  destinationAddress?: Uint8Array;
}

/**
 * Whether the packet last read into `views` belongs to the connection: a
 * segment from the peer's address and port to our port ('reply'; the
 * connection's own state machine judges its numbers), or an ICMP error
 * quoting one of our segments ('icmp-error').
 */
export function connectionAnswerOf(connection: TcpConnectionEndpoints, views: ReplyViews): AnswerKind | undefined {
  const kind = views.kind;
  if (
    kind === undefined ||
    views.protocol !== IpProtocol.TCP ||
    views.target !== connection.destination ||
    (connection.source !== 0 && views.requester !== 0 && views.requester !== connection.source) ||
    views.sourcePort !== connection.sourcePort ||
    views.destinationPort !== connection.destinationPort ||
    views.family !== (connection.family ?? 4)
  ) {
    return undefined;
  }
  if (views.family === 6) {
    if (!sameIpv6Address(views.targetBytes, views.targetAt, connection.destinationAddress ?? UNSPECIFIED_IPV6, 0)) return undefined;
    const ours = connection.sourceAddress;
    if (connection.source !== 0 && views.requester !== 0 && ours !== undefined && !sameIpv6Address(views.requesterBytes, views.requesterAt, ours, 0)) {
      return undefined;
    }
  }
  if (kind === 'icmp-error' && views.hasSequenceNumber) {
    const { sendUnacknowledged, sendNext } = connection;
    if (sendUnacknowledged !== undefined && sendNext !== undefined) {
      const offset = sequenceDistance(views.sequenceNumber, sendUnacknowledged);
      // A SYN-SENT window is [iss, iss + 1); an empty one still takes its first number (a retransmitted segment).
      if (offset < 0 || offset > Math.max(0, sequenceDistance(sendNext, sendUnacknowledged) - 1)) return undefined;
    }
  }
  return kind;
}

/** Reads `bytes` into `views` and says whether it belongs to the connection. */
export function answersConnection(connection: TcpConnectionEndpoints, bytes: Uint8Array, views: ReplyViews): AnswerKind | undefined {
  views.read(bytes);
  return connectionAnswerOf(connection, views);
}
