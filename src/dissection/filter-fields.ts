// The fields tshark's display filters and `-T fields -e` name, as one table:
// each row is a field's name, its type (how a filter literal is read and
// compared, how tshark prints it) and a reader that pushes the field's
// occurrences in one DissectedPacket. A protocol's fields are rows here;
// adding a protocol (IPv6, ICMPv6, TCP analysis) is adding rows.
//
// Occurrences follow Wireshark: a field appears once per place it is in the
// packet, so `ip.addr` has two (source, then destination), and an ICMP error
// also carries the IP and TCP/UDP/ICMP headers it quotes (tshark's `ip.src`
// of a time-exceeded message is "10.77.2.1,10.77.2.2").

import { formatIpv6Address, parseIpv6Address } from '../wire/ipv6-address.ts';
import type { DissectedPacket, IcmpLayer, Icmpv6Layer, Ipv4Layer, Ipv6Layer, TcpLayer, UdpLayer } from './packet-model.ts';

/**
 * How a field's values are compared and printed:
 * - uint: numbers (printed in decimal, or hex with `hexDigits`)
 * - bool: 1 or 0
 * - ipv4: the address as an unsigned 32-bit number
 * - ipv6: the address as its 16 bytes
 * - ether: the MAC address as a 48-bit number
 * - float: seconds (printed with 9 decimals)
 * - string: text
 * - bytes: raw bytes (printed as hex without separators)
 * - protocol: the protocol's bytes; a protocol name alone tests its presence
 */
export type FieldType = 'uint' | 'bool' | 'ipv4' | 'ipv6' | 'ether' | 'float' | 'string' | 'bytes' | 'protocol';

export type FieldValue = number | string | Uint8Array;

export interface FieldDefinition {
  readonly name: string;
  readonly type: FieldType;
  /** tshark prints this uint field as 0x followed by this many hex digits. */
  readonly hexDigits?: number;
  /** Pushes the field's occurrences in this packet, outermost first. */
  readonly read: (packet: DissectedPacket, out: FieldValue[]) => void;
}

/** The IPv4 headers of a packet, outermost first: its own, then the one an ICMP error quotes. */
function eachIpv4(p: DissectedPacket, visit: (ip: Ipv4Layer) => void): void {
  if (p.ipv4) visit(p.ipv4);
  const quoted = p.icmp?.quoted?.ip;
  if (quoted) visit(quoted);
}

/** The IPv6 headers of a packet, outermost first: its own, then the one an ICMPv6 error quotes. */
function eachIpv6(p: DissectedPacket, visit: (ip: Ipv6Layer) => void): void {
  if (p.ipv6) visit(p.ipv6);
  const quoted = p.icmpv6?.quoted?.ipv6;
  if (quoted) visit(quoted);
}

function eachTcp(p: DissectedPacket, visit: (tcp: TcpLayer) => void): void {
  if (p.tcp) visit(p.tcp);
  const quoted = p.icmp?.quoted?.tcp ?? p.icmpv6?.quoted?.tcp;
  if (quoted) visit(quoted);
}

function eachUdp(p: DissectedPacket, visit: (udp: UdpLayer) => void): void {
  if (p.udp) visit(p.udp);
  const quoted = p.icmp?.quoted?.udp ?? p.icmpv6?.quoted?.udp;
  if (quoted) visit(quoted);
}

function eachIcmpv6(p: DissectedPacket, visit: (icmp: Icmpv6Layer) => void): void {
  if (p.icmpv6) visit(p.icmpv6);
  const quoted = p.icmpv6?.quoted?.icmpv6;
  if (quoted) visit(quoted);
}

function eachIcmp(p: DissectedPacket, visit: (icmp: IcmpLayer) => void): void {
  if (p.icmp) visit(p.icmp);
  const quoted = p.icmp?.quoted?.icmp;
  if (quoted) visit(quoted);
}

// Text addresses repeat from packet to packet: their numbers are computed once (bounded).
const ADDRESS_CACHE_MAX = 4096;
const ipv4Numbers = new Map<string, number>();
const macNumbers = new Map<string, number>();

/** A dotted quad as an unsigned 32-bit number; NaN for anything else. */
export function ipv4Number(text: string): number {
  let n = ipv4Numbers.get(text);
  if (n === undefined) {
    const parts = text.split('.');
    n = parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255) ? parts.reduce((acc, part) => acc * 256 + Number(part), 0) : NaN;
    if (ipv4Numbers.size >= ADDRESS_CACHE_MAX) ipv4Numbers.clear();
    ipv4Numbers.set(text, n);
  }
  return n;
}

/** A MAC address (aa:bb:cc:dd:ee:ff, aa-bb-..., aabb.ccdd.eeff) as a 48-bit number; NaN for anything else. */
export function macNumber(text: string): number {
  let n = macNumbers.get(text);
  if (n === undefined) {
    const hex = text.replace(/[:.-]/g, '');
    const separated = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(text) || /^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/.test(text);
    n = separated && hex.length === 12 ? parseInt(hex, 16) : NaN;
    if (macNumbers.size >= ADDRESS_CACHE_MAX) macNumbers.clear();
    macNumbers.set(text, n);
  }
  return n;
}

const ipv6ByText = new Map<string, Uint8Array | null>();

/** IPv6 text as its 16 bytes; null for anything else. Cached: captures repeat their addresses. */
export function ipv6Bytes(text: string): Uint8Array | null {
  let bytes = ipv6ByText.get(text);
  if (bytes === undefined) {
    try {
      bytes = parseIpv6Address(text);
    } catch {
      bytes = null;
    }
    if (ipv6ByText.size >= ADDRESS_CACHE_MAX) ipv6ByText.clear();
    ipv6ByText.set(text, bytes);
  }
  return bytes;
}

function pushIpv6(out: FieldValue[], text: string): void {
  const bytes = ipv6Bytes(text);
  if (bytes) out.push(bytes);
}

export function formatIpv4Number(n: number): string {
  return `${Math.floor(n / 0x1000000) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

export function formatMacNumber(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return hex.replace(/(..)(?!$)/g, '$1:');
}

const NS_PER_SECOND = 1e9;

/** The frame's bytes from `offset` to the end of what `length` covers, as a view. */
function bytesFrom(p: DissectedPacket, offset: number, length?: number): Uint8Array {
  return length === undefined ? p.data.subarray(offset) : p.data.subarray(offset, offset + length);
}

const ETHERNET_FIELDS: FieldDefinition[] = [
  {
    name: 'eth',
    type: 'protocol',
    read: (p, out) => {
      if (p.link?.frame.kind === 'ethernet') out.push(bytesFrom(p, 0, p.link.headerLength));
    },
  },
  {
    name: 'eth.dst',
    type: 'ether',
    read: (p, out) => {
      if (p.link?.frame.kind === 'ethernet') out.push(macNumber(p.link.frame.header.destination));
    },
  },
  {
    name: 'eth.src',
    type: 'ether',
    read: (p, out) => {
      if (p.link?.frame.kind === 'ethernet') out.push(macNumber(p.link.frame.header.source));
    },
  },
  {
    // Wireshark's order: the destination's item comes first in the tree.
    name: 'eth.addr',
    type: 'ether',
    read: (p, out) => {
      if (p.link?.frame.kind === 'ethernet') out.push(macNumber(p.link.frame.header.destination), macNumber(p.link.frame.header.source));
    },
  },
  {
    name: 'eth.type',
    type: 'uint',
    hexDigits: 4,
    read: (p, out) => {
      if (p.link?.frame.kind === 'ethernet') out.push(p.link.frame.header.etherType);
    },
  },
];

const FRAME_FIELDS: FieldDefinition[] = [
  { name: 'frame', type: 'protocol', read: (p, out) => void out.push(p.data) },
  { name: 'frame.number', type: 'uint', read: (p, out) => void out.push(p.frame.number) },
  { name: 'frame.len', type: 'uint', read: (p, out) => void out.push(p.frame.originalLength) },
  { name: 'frame.cap_len', type: 'uint', read: (p, out) => void out.push(p.frame.capturedLength) },
  { name: 'frame.interface_id', type: 'uint', read: (p, out) => void out.push(p.frame.interfaceIndex) },
  { name: 'frame.time_relative', type: 'float', read: (p, out) => void out.push(p.frame.relativeNs / NS_PER_SECOND) },
  { name: 'frame.time_epoch', type: 'float', read: (p, out) => void out.push(p.frame.timestampSeconds + p.frame.nanoseconds / NS_PER_SECOND) },
  // Seconds since the epoch, as frame.time_epoch; printed as a date by the -T fields renderer.
  { name: 'frame.time', type: 'float', read: (p, out) => void out.push(p.frame.timestampSeconds + p.frame.nanoseconds / NS_PER_SECOND) },
];

const IP_FIELDS: FieldDefinition[] = [
  { name: 'ip', type: 'protocol', read: (p, out) => eachIpv4(p, (ip) => out.push(bytesFrom(p, ip.offset, ip.packet.totalLength))) },
  // Wireshark's IPv6 dissector adds ip.version too (hidden): `ip.version == 6` finds IPv6.
  {
    name: 'ip.version',
    type: 'uint',
    read: (p, out) => {
      eachIpv4(p, (ip) => out.push(ip.packet.version));
      eachIpv6(p, (ip) => out.push(ip.packet.version));
    },
  },
  { name: 'ip.hdr_len', type: 'uint', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.headerLength)) },
  { name: 'ip.dsfield', type: 'uint', hexDigits: 2, read: (p, out) => eachIpv4(p, (ip) => out.push((ip.packet.dscp << 2) | ip.packet.ecn)) },
  { name: 'ip.dsfield.dscp', type: 'uint', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.dscp)) },
  { name: 'ip.dsfield.ecn', type: 'uint', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.ecn)) },
  { name: 'ip.len', type: 'uint', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.totalLength)) },
  { name: 'ip.id', type: 'uint', hexDigits: 4, read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.identification)) },
  {
    name: 'ip.flags',
    type: 'uint',
    hexDigits: 2,
    read: (p, out) =>
      eachIpv4(p, (ip) => out.push((ip.packet.flags.reserved ? 4 : 0) | (ip.packet.flags.dontFragment ? 2 : 0) | (ip.packet.flags.moreFragments ? 1 : 0))),
  },
  { name: 'ip.flags.rb', type: 'bool', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.flags.reserved ? 1 : 0)) },
  { name: 'ip.flags.df', type: 'bool', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.flags.dontFragment ? 1 : 0)) },
  { name: 'ip.flags.mf', type: 'bool', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.flags.moreFragments ? 1 : 0)) },
  { name: 'ip.frag_offset', type: 'uint', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.fragmentOffset * 8)) },
  { name: 'ip.ttl', type: 'uint', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.ttl)) },
  { name: 'ip.proto', type: 'uint', read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.protocol)) },
  { name: 'ip.checksum', type: 'uint', hexDigits: 4, read: (p, out) => eachIpv4(p, (ip) => out.push(ip.packet.checksum)) },
  { name: 'ip.src', type: 'ipv4', read: (p, out) => eachIpv4(p, (ip) => out.push(ipv4Number(ip.packet.source))) },
  { name: 'ip.dst', type: 'ipv4', read: (p, out) => eachIpv4(p, (ip) => out.push(ipv4Number(ip.packet.destination))) },
  { name: 'ip.addr', type: 'ipv4', read: (p, out) => eachIpv4(p, (ip) => out.push(ipv4Number(ip.packet.source), ipv4Number(ip.packet.destination))) },
];

const IPV6_FIELDS: FieldDefinition[] = [
  { name: 'ipv6', type: 'protocol', read: (p, out) => eachIpv6(p, (ip) => out.push(bytesFrom(p, ip.offset, 40 + ip.packet.payloadLength))) },
  { name: 'ipv6.version', type: 'uint', read: (p, out) => eachIpv6(p, (ip) => out.push(ip.packet.version)) },
  { name: 'ipv6.tclass', type: 'uint', hexDigits: 8, read: (p, out) => eachIpv6(p, (ip) => out.push(ip.packet.trafficClass)) },
  { name: 'ipv6.flow', type: 'uint', hexDigits: 6, read: (p, out) => eachIpv6(p, (ip) => out.push(ip.packet.flowLabel)) },
  { name: 'ipv6.plen', type: 'uint', read: (p, out) => eachIpv6(p, (ip) => out.push(ip.packet.payloadLength)) },
  { name: 'ipv6.nxt', type: 'uint', read: (p, out) => eachIpv6(p, (ip) => out.push(ip.packet.nextHeader)) },
  { name: 'ipv6.hlim', type: 'uint', read: (p, out) => eachIpv6(p, (ip) => out.push(ip.packet.hopLimit)) },
  { name: 'ipv6.src', type: 'ipv6', read: (p, out) => eachIpv6(p, (ip) => pushIpv6(out, ip.packet.source)) },
  { name: 'ipv6.dst', type: 'ipv6', read: (p, out) => eachIpv6(p, (ip) => pushIpv6(out, ip.packet.destination)) },
  {
    name: 'ipv6.addr',
    type: 'ipv6',
    read: (p, out) =>
      eachIpv6(p, (ip) => {
        pushIpv6(out, ip.packet.source);
        pushIpv6(out, ip.packet.destination);
      }),
  },
];

const ICMPV6_FIELDS: FieldDefinition[] = [
  { name: 'icmpv6', type: 'protocol', read: (p, out) => eachIcmpv6(p, (icmp) => out.push(bytesFrom(p, icmp.offset, icmp.length))) },
  { name: 'icmpv6.type', type: 'uint', read: (p, out) => eachIcmpv6(p, (icmp) => out.push(icmp.message.type)) },
  { name: 'icmpv6.code', type: 'uint', read: (p, out) => eachIcmpv6(p, (icmp) => out.push(icmp.message.code)) },
  { name: 'icmpv6.checksum', type: 'uint', hexDigits: 4, read: (p, out) => eachIcmpv6(p, (icmp) => out.push(icmp.message.checksum)) },
  {
    name: 'icmpv6.echo.identifier',
    type: 'uint',
    hexDigits: 4,
    read: (p, out) => eachIcmpv6(p, (icmp) => (icmp.message.kind === 'echo' ? out.push(icmp.message.identifier) : 0)),
  },
  {
    name: 'icmpv6.echo.sequence_number',
    type: 'uint',
    read: (p, out) => eachIcmpv6(p, (icmp) => (icmp.message.kind === 'echo' ? out.push(icmp.message.sequence) : 0)),
  },
];

const ICMP_FIELDS: FieldDefinition[] = [
  { name: 'icmp', type: 'protocol', read: (p, out) => eachIcmp(p, (icmp) => out.push(bytesFrom(p, icmp.offset, icmp.length))) },
  { name: 'icmp.type', type: 'uint', read: (p, out) => eachIcmp(p, (icmp) => out.push(icmp.message.type)) },
  { name: 'icmp.code', type: 'uint', read: (p, out) => eachIcmp(p, (icmp) => out.push(icmp.message.code)) },
  { name: 'icmp.checksum', type: 'uint', hexDigits: 4, read: (p, out) => eachIcmp(p, (icmp) => out.push(icmp.message.checksum)) },
  {
    name: 'icmp.ident',
    type: 'uint',
    read: (p, out) => eachIcmp(p, (icmp) => (icmp.message.kind === 'echo' || icmp.message.kind === 'timestamp' ? out.push(icmp.message.identifier) : 0)),
  },
  {
    name: 'icmp.seq',
    type: 'uint',
    read: (p, out) => eachIcmp(p, (icmp) => (icmp.message.kind === 'echo' || icmp.message.kind === 'timestamp' ? out.push(icmp.message.sequence) : 0)),
  },
  {
    name: 'icmp.seq_le',
    type: 'uint',
    read: (p, out) =>
      eachIcmp(p, (icmp) =>
        icmp.message.kind === 'echo' || icmp.message.kind === 'timestamp' ? out.push(((icmp.message.sequence & 0xff) << 8) | (icmp.message.sequence >>> 8)) : 0,
      ),
  },
  { name: 'icmp.resp_to', type: 'uint', read: (p, out) => void (p.icmp?.requestFrame !== undefined && out.push(p.icmp.requestFrame)) },
];

/** TCP flag bits as Wireshark's tcp.flags.* booleans name them (tcp.flags is the 12-bit field: 3 reserved bits above the 9 flags). */
const TCP_FLAG_FIELDS: readonly (readonly [string, number])[] = [
  ['fin', 0x001],
  ['syn', 0x002],
  ['reset', 0x004],
  ['push', 0x008],
  ['ack', 0x010],
  ['urg', 0x020],
  ['ece', 0x040],
  ['cwr', 0x080],
  ['ae', 0x100],
];

function tcpFlagsOf(tcp: TcpLayer): number {
  return (tcp.segment.reserved << 9) | tcp.segment.flags;
}

const TCP_FIELDS: FieldDefinition[] = [
  { name: 'tcp', type: 'protocol', read: (p, out) => eachTcp(p, (tcp) => out.push(bytesFrom(p, tcp.offset, tcp.segment.headerLength + tcp.segment.payload.length))) },
  { name: 'tcp.srcport', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.sourcePort)) },
  { name: 'tcp.dstport', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.destinationPort)) },
  { name: 'tcp.port', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.sourcePort, tcp.segment.destinationPort)) },
  { name: 'tcp.stream', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => (tcp.conversation ? out.push(tcp.conversation.stream) : 0)) },
  // A quoted segment (no conversation) is usually 8 bytes: Wireshark shows no length and no raw sequence number for it.
  { name: 'tcp.len', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => (tcp.conversation ? out.push(tcp.payloadLength) : 0)) },
  { name: 'tcp.seq', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.conversation ? tcp.conversation.relativeSeq : tcp.segment.sequenceNumber)) },
  { name: 'tcp.seq_raw', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => (tcp.conversation ? out.push(tcp.segment.sequenceNumber) : 0)) },
  {
    name: 'tcp.nxtseq',
    type: 'uint',
    read: (p, out) => eachTcp(p, (tcp) => (tcp.conversation ? out.push(tcp.conversation.nextRelativeSeq) : 0)),
  },
  {
    name: 'tcp.ack',
    type: 'uint',
    // Relative only when the ACK flag makes it an acknowledgment; Wireshark shows the raw field otherwise.
    read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.conversation && tcp.segment.flags & 0x010 ? tcp.conversation.relativeAck : tcp.segment.acknowledgmentNumber)),
  },
  { name: 'tcp.ack_raw', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.acknowledgmentNumber)) },
  { name: 'tcp.hdr_len', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.headerLength)) },
  { name: 'tcp.flags', type: 'uint', hexDigits: 4, read: (p, out) => eachTcp(p, (tcp) => out.push(tcpFlagsOf(tcp))) },
  { name: 'tcp.flags.res', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.reserved)) },
  ...TCP_FLAG_FIELDS.map(
    ([name, bit]): FieldDefinition => ({ name: `tcp.flags.${name}`, type: 'bool', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.flags & bit ? 1 : 0)) }),
  ),
  { name: 'tcp.window_size_value', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.window)) },
  {
    name: 'tcp.window_size',
    type: 'uint',
    read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.conversation ? tcp.conversation.calculatedWindow : tcp.segment.window)),
  },
  { name: 'tcp.checksum', type: 'uint', hexDigits: 4, read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.checksum)) },
  { name: 'tcp.urgent_pointer', type: 'uint', read: (p, out) => eachTcp(p, (tcp) => out.push(tcp.segment.urgentPointer)) },
  {
    name: 'tcp.payload',
    type: 'bytes',
    read: (p, out) => eachTcp(p, (tcp) => (tcp.conversation && tcp.segment.payload.length > 0 ? out.push(tcp.segment.payload) : 0)),
  },
  {
    name: 'tcp.options.mss_val',
    type: 'uint',
    read: (p, out) => eachTcp(p, (tcp) => tcp.segment.options.forEach((o) => o.kind === 'mss' && out.push(o.value))),
  },
];

const UDP_FIELDS: FieldDefinition[] = [
  { name: 'udp', type: 'protocol', read: (p, out) => eachUdp(p, (udp) => out.push(bytesFrom(p, udp.offset, udp.header.length))) },
  { name: 'udp.srcport', type: 'uint', read: (p, out) => eachUdp(p, (udp) => out.push(udp.header.sourcePort)) },
  { name: 'udp.dstport', type: 'uint', read: (p, out) => eachUdp(p, (udp) => out.push(udp.header.destinationPort)) },
  { name: 'udp.port', type: 'uint', read: (p, out) => eachUdp(p, (udp) => out.push(udp.header.sourcePort, udp.header.destinationPort)) },
  { name: 'udp.length', type: 'uint', read: (p, out) => eachUdp(p, (udp) => out.push(udp.header.length)) },
  { name: 'udp.checksum', type: 'uint', hexDigits: 4, read: (p, out) => eachUdp(p, (udp) => out.push(udp.header.checksum)) },
];

const ARP_FIELDS: FieldDefinition[] = [
  { name: 'arp', type: 'protocol', read: (p, out) => void (p.arp && out.push(bytesFrom(p, p.arp.offset, p.arp.packet.length))) },
  { name: 'arp.opcode', type: 'uint', read: (p, out) => void (p.arp && out.push(p.arp.packet.opcode)) },
  { name: 'arp.src.hw_mac', type: 'ether', read: (p, out) => void (p.arp && out.push(macNumber(p.arp.packet.senderMac))) },
  { name: 'arp.dst.hw_mac', type: 'ether', read: (p, out) => void (p.arp && out.push(macNumber(p.arp.packet.targetMac))) },
  { name: 'arp.src.proto_ipv4', type: 'ipv4', read: (p, out) => void (p.arp && out.push(ipv4Number(p.arp.packet.senderIp))) },
  { name: 'arp.dst.proto_ipv4', type: 'ipv4', read: (p, out) => void (p.arp && out.push(ipv4Number(p.arp.packet.targetIp))) },
];

/** Every field dissect knows, by name. */
export const FILTER_FIELDS: ReadonlyMap<string, FieldDefinition> = new Map(
  [...FRAME_FIELDS, ...ETHERNET_FIELDS, ...IP_FIELDS, ...IPV6_FIELDS, ...ICMP_FIELDS, ...ICMPV6_FIELDS, ...TCP_FIELDS, ...UDP_FIELDS, ...ARP_FIELDS].map((field) => [field.name, field]),
);

/** The value as tshark's `-T fields` prints it. */
export function formatFieldValue(field: FieldDefinition, value: FieldValue): string {
  switch (field.type) {
    case 'uint':
      return field.hexDigits !== undefined ? `0x${(value as number).toString(16).padStart(field.hexDigits, '0')}` : String(value);
    case 'bool':
      return value ? '1' : '0';
    case 'ipv4':
      return formatIpv4Number(value as number);
    case 'ipv6':
      return formatIpv6Address(value as Uint8Array);
    case 'ether':
      return formatMacNumber(value as number);
    case 'float':
      return (value as number).toFixed(9);
    case 'string':
      return value as string;
    case 'bytes':
    case 'protocol':
      return Buffer.from(value as Uint8Array).toString('hex');
  }
}
