// Built vs sent: the datagram the lab built beside the one a capture saw
// leave, field by field. A raw socket does not send what it is given as is:
// without IP_HDRINCL the kernel writes the whole IP header (its own
// identification, DF from path MTU discovery, the socket's TTL, the source
// of the route, the header checksum); with it the kernel still fills the
// total length and the header checksum, and an id or source left 0 (raw(7)).
// A TCP stack with checksum offload leaves only the pseudo-header sum in the
// field for the NIC. This module names every field that differs and says who
// changed it and why; rendering is src/render/built-vs-sent.ts.

import { ETHERTYPE } from '../wire/ethernet.ts';
import { Icmpv6Field } from '../wire/icmpv6.ts';
import { TcpField } from '../wire/tcp.ts';
import { UdpField } from '../wire/udp.ts';
import { packetChecksumExplanations, isWalkthrough } from './checksum-walkthrough.ts';
import { type Ipv6Datagram, readIpv6Datagram } from './ipv6-datagram.ts';
import type { DissectedPacket } from './packet-model.ts';

export interface FieldChange {
  /** 'IPv4', 'IPv6', 'ICMP', 'ICMPv6', 'TCP', 'UDP'. */
  readonly layer: string;
  readonly field: string;
  readonly built: string;
  readonly sent: string;
  /** Who filled or changed it, and why. */
  readonly why: string;
}

export interface BuiltVsSent {
  /** The datagrams compared, IP header first. */
  readonly built: Uint8Array;
  readonly sent: Uint8Array;
  readonly changes: readonly FieldChange[];
  /** Offsets (in the datagram) of every byte that differs, including bytes one side lacks. */
  readonly differingOffsets: readonly number[];
}

/** A field of a dissected packet, read as comparable text (undefined when the packet lacks the layer). */
interface FieldReader {
  readonly layer: string;
  readonly field: string;
  readonly read: (packet: DissectedPacket) => string | undefined;
  readonly why: (built: DissectedPacket, sent: DissectedPacket, writer: HeaderWriter) => string;
}

const hex4 = (value: number): string => `0x${value.toString(16).padStart(4, '0')}`;
const withDecimal = (value: number): string => `${hex4(value)} (${value})`;
const setOrNot = (on: boolean): string => (on ? 'set' : 'not set');

/**
 * Who wrote the IP header that left: the kernel from the socket's settings
 * (a raw socket without IP_HDRINCL, or the kernel's own TCP or ping socket),
 * or the lab with IP_HDRINCL, the kernel filling only what raw(7) says.
 */
export type HeaderWriter = 'kernel' | 'hdrincl';

const KERNEL_HEADER = 'the kernel wrote the IP header (no IP_HDRINCL)';

/** Whether the stored transport checksum is the pseudo-header sum alone: a stack relying on checksum offload. */
function offloaded(packet: DissectedPacket, title: string): boolean {
  const explanation = packetChecksumExplanations(packet).find((e) => e.title === title);
  return explanation !== undefined && isWalkthrough(explanation) && explanation.offloadPartialSum;
}

function transportChecksumWhy(title: string): FieldReader['why'] {
  return (built, sent) => {
    if (offloaded(sent, title)) {
      return 'checksum offload: the stack left only the pseudo-header sum for the NIC to finish; the capture saw the packet before the NIC';
    }
    const verdict = (p: DissectedPacket) => (title === 'TCP checksum' ? p.tcp : title === 'UDP checksum' ? p.udp : p.icmp)?.checksum.status;
    if (verdict(sent) === 'correct' && verdict(built) !== 'correct') return 'filled in on the way out (the lab left it wrong or to be filled)';
    return 'computed over a different pseudo-header (the source the kernel chose)';
  };
}

const IPV4_FIELDS: readonly FieldReader[] = [
  { layer: 'IPv4', field: 'Version', read: (p) => p.ipv4 && `${p.ipv4.packet.version}`, why: () => 'the kernel wrote its own header' },
  { layer: 'IPv4', field: 'Header length', read: (p) => p.ipv4 && `${p.ipv4.headerLength} bytes`, why: () => 'the kernel wrote its own header, with its own options' },
  {
    layer: 'IPv4',
    field: 'DSCP/ECN',
    read: (p) => p.ipv4 && `${p.ipv4.packet.dscp}/${p.ipv4.packet.ecn}`,
    why: (_b, _s, writer) => (writer === 'kernel' ? `the socket's IP_TOS (0 unless set): ${KERNEL_HEADER}` : 'changed on the way out'),
  },
  { layer: 'IPv4', field: 'Total length', read: (p) => p.ipv4 && `${p.ipv4.packet.totalLength}`, why: () => 'always filled in by the kernel (raw(7))' },
  {
    layer: 'IPv4',
    field: 'Identification',
    read: (p) => p.ipv4 && withDecimal(p.ipv4.packet.identification),
    why: (_b, _s, writer) => (writer === 'kernel' ? `the kernel's own IP ID: ${KERNEL_HEADER}` : 'the kernel fills an IP ID left 0 (raw(7))'),
  },
  { layer: 'IPv4', field: 'Reserved bit', read: (p) => p.ipv4 && setOrNot(p.ipv4.packet.flags.reserved), why: () => 'the kernel wrote its own header' },
  {
    layer: 'IPv4',
    field: "Don't fragment",
    read: (p) => p.ipv4 && setOrNot(p.ipv4.packet.flags.dontFragment),
    why: (_b, _s, writer) =>
      writer === 'kernel' ? 'path MTU discovery (IP_MTU_DISCOVER, net.ipv4.ip_no_pmtu_disc=0) sets DF on what the kernel sends' : 'changed on the way out',
  },
  { layer: 'IPv4', field: 'More fragments', read: (p) => p.ipv4 && setOrNot(p.ipv4.packet.flags.moreFragments), why: () => 'the kernel fragmented the datagram' },
  { layer: 'IPv4', field: 'Fragment offset', read: (p) => p.ipv4 && `${p.ipv4.packet.fragmentOffset}`, why: () => 'the kernel fragmented the datagram' },
  {
    layer: 'IPv4',
    field: 'Time to live',
    read: (p) => p.ipv4 && `${p.ipv4.packet.ttl}`,
    why: (_b, _s, writer) =>
      writer === 'kernel' ? `the socket's TTL (IP_TTL; net.ipv4.ip_default_ttl unless set): ${KERNEL_HEADER}` : 'changed on the way out',
  },
  { layer: 'IPv4', field: 'Protocol', read: (p) => p.ipv4 && `${p.ipv4.packet.protocol}`, why: () => "the socket's protocol" },
  {
    layer: 'IPv4',
    field: 'Header checksum',
    read: (p) => p.ipv4 && hex4(p.ipv4.checksum.stored),
    why: () => 'always computed by the kernel (raw(7)), over the header it sent',
  },
  {
    layer: 'IPv4',
    field: 'Source address',
    read: (p) => p.ipv4?.packet.source,
    why: (_b, _s, writer) => (writer === 'kernel' ? `the route's source address: ${KERNEL_HEADER}` : 'the kernel fills a source left 0 with the address of the route'),
  },
  { layer: 'IPv4', field: 'Destination address', read: (p) => p.ipv4?.packet.destination, why: () => 'the address given to sendto()' },
];

const TRANSPORT_FIELDS: readonly FieldReader[] = [
  { layer: 'ICMP', field: 'Type', read: (p) => p.icmp && `${p.icmp.message.type}`, why: () => 'changed on the way out' },
  { layer: 'ICMP', field: 'Code', read: (p) => p.icmp && `${p.icmp.message.code}`, why: () => 'changed on the way out' },
  { layer: 'ICMP', field: 'Checksum', read: (p) => p.icmp && hex4(p.icmp.checksum.stored), why: transportChecksumWhy('ICMP checksum') },
  { layer: 'TCP', field: 'Source port', read: (p) => p.tcp && `${p.tcp.segment.sourcePort}`, why: () => 'changed on the way out' },
  { layer: 'TCP', field: 'Destination port', read: (p) => p.tcp && `${p.tcp.segment.destinationPort}`, why: () => 'changed on the way out' },
  { layer: 'TCP', field: 'Sequence number', read: (p) => p.tcp && `${p.tcp.segment.sequenceNumber}`, why: () => 'changed on the way out' },
  { layer: 'TCP', field: 'Checksum', read: (p) => p.tcp && hex4(p.tcp.checksum.stored), why: transportChecksumWhy('TCP checksum') },
  { layer: 'UDP', field: 'Source port', read: (p) => p.udp && `${p.udp.header.sourcePort}`, why: () => 'changed on the way out' },
  { layer: 'UDP', field: 'Destination port', read: (p) => p.udp && `${p.udp.header.destinationPort}`, why: () => 'changed on the way out' },
  { layer: 'UDP', field: 'Length', read: (p) => p.udp && `${p.udp.header.length}`, why: () => 'changed on the way out' },
  { layer: 'UDP', field: 'Checksum', read: (p) => p.udp && hex4(p.udp.checksum.stored), why: transportChecksumWhy('UDP checksum') },
];

/** The IPv6 datagram a frame carries, where the dissection found it (else in the link layer's payload). */
export function ipv6DatagramOf(packet: DissectedPacket): Ipv6Datagram | undefined {
  if (packet.ipv6) return readIpv6Datagram(packet.data, packet.ipv6.offset);
  const link = packet.link?.frame;
  return !packet.ipv4 && link?.protocol === ETHERTYPE.IPV6 ? readIpv6Datagram(link.payload) : undefined;
}

/** The IP datagram of a dissected frame: from its IP header to the end of what the header says (no link padding). */
export function datagramOf(packet: DissectedPacket): Uint8Array {
  const ip = packet.ipv4;
  if (!ip) return ipv6DatagramOf(packet)?.bytes ?? packet.data.subarray(packet.link?.headerLength ?? 0);
  return packet.data.subarray(ip.offset, Math.min(packet.data.length, ip.offset + ip.packet.totalLength));
}

/** The transport bytes of a frame's IPv4 or IPv6 datagram (empty when there is none). */
export function transportBytesOf(packet: DissectedPacket): Uint8Array {
  const ip = packet.ipv4;
  if (ip) return datagramOf(packet).subarray(ip.headerLength);
  return ipv6DatagramOf(packet)?.upperLayer ?? new Uint8Array(0);
}

// IPv6 (RFC 8200): no header checksum and no fragmentation fields to fill; what a kernel writes is the rest.
interface Ipv6FieldReader {
  readonly layer: string;
  readonly field: string;
  readonly read: (d: Ipv6Datagram) => string | undefined;
  readonly why: (writer: HeaderWriter) => string;
}

const KERNEL_HEADER6 = 'the kernel wrote the IPv6 header (no IPPROTO_RAW)';
const kernelOr = (text: string) => (writer: HeaderWriter) => (writer === 'kernel' ? `${text}: ${KERNEL_HEADER6}` : 'changed on the way out');

const IPV6_FIELDS: readonly Ipv6FieldReader[] = [
  { layer: 'IPv6', field: 'Traffic class', read: (d) => `0x${d.header.trafficClass.toString(16).padStart(2, '0')}`, why: kernelOr("the socket's IPV6_TCLASS (0 unless set)") },
  {
    layer: 'IPv6',
    field: 'Flow label',
    read: (d) => `0x${d.header.flowLabel.toString(16).padStart(5, '0')}`,
    why: kernelOr('the kernel\'s automatic flow label (net.ipv6.auto_flowlabels, RFC 6437)'),
  },
  { layer: 'IPv6', field: 'Payload length', read: (d) => `${d.header.payloadLength}`, why: kernelOr('filled in by the kernel') },
  { layer: 'IPv6', field: 'Next header', read: (d) => `${d.header.nextHeader}`, why: kernelOr("the socket's protocol") },
  { layer: 'IPv6', field: 'Hop limit', read: (d) => `${d.header.hopLimit}`, why: kernelOr("the socket's IPV6_UNICAST_HOPS (the interface's hop_limit unless set)") },
  { layer: 'IPv6', field: 'Source address', read: (d) => d.header.source, why: kernelOr("source address selection for the route (RFC 6724)") },
  { layer: 'IPv6', field: 'Destination address', read: (d) => d.header.destination, why: () => 'the address given to sendto()' },
  {
    layer: 'ICMPv6',
    field: 'Checksum',
    read: (d) => d.icmpv6 && hex4(d.icmpv6.checksum.stored),
    why: (writer) =>
      writer === 'kernel'
        ? 'the kernel computes the ICMPv6 checksum on a raw ICMPv6 socket (RFC 3542 section 3.1) unless IPV6_CHECKSUM is -1'
        : 'changed on the way out',
  },
  { layer: 'ICMPv6', field: 'Type', read: (d) => d.icmpv6 && `${d.icmpv6.message.type}`, why: () => 'changed on the way out' },
  { layer: 'TCP', field: 'Checksum', read: (d) => d.tcp && hex4(d.tcp.checksum.stored), why: () => 'changed on the way out' },
  { layer: 'UDP', field: 'Checksum', read: (d) => d.udp && hex4(d.udp.checksum.stored), why: () => 'changed on the way out' },
];

/** The transport's checksum field offset, so a copy can be recognised whatever the kernel wrote there. */
function checksumOffset(protocol: number): number {
  return protocol === 58 ? Icmpv6Field.CHECKSUM : protocol === 6 ? TcpField.CHECKSUM : protocol === 17 ? UdpField.CHECKSUM : -1;
}

/**
 * Whether `captured` is the packet `built` as it left: same addresses
 * (destination; the source may be the kernel's), protocol, and transport
 * fields that identify it. Checksums and the IP fields the kernel fills are
 * left out, so the copy is found whatever the kernel changed.
 */
export function isSentCopyOf(built: DissectedPacket, captured: DissectedPacket): boolean {
  const b6 = ipv6DatagramOf(built);
  if (b6) {
    const c6 = ipv6DatagramOf(captured);
    if (!c6 || c6.header.destination !== b6.header.destination || c6.upperLayerProtocol !== b6.upperLayerProtocol) return false;
    // The same transport bytes, the checksum field (which the kernel may write) aside.
    const at = checksumOffset(b6.upperLayerProtocol);
    const x = b6.upperLayer;
    const y = c6.upperLayer;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && (i < at || i > at + 1)) return false;
    return true;
  }
  const b = built.ipv4?.packet;
  const c = captured.ipv4?.packet;
  if (!b || !c || b.destination !== c.destination || b.protocol !== c.protocol) return false;
  if (built.icmp) {
    const x = built.icmp;
    const y = captured.icmp;
    return y !== undefined && x.message.type === y.message.type && x.message.code === y.message.code && x.length === y.length && sameBytes(transportOf(built), transportOf(captured), 4);
  }
  if (built.tcp) {
    const x = built.tcp.segment;
    const y = captured.tcp?.segment;
    return y !== undefined && x.sourcePort === y.sourcePort && x.destinationPort === y.destinationPort && x.sequenceNumber === y.sequenceNumber && x.flags === y.flags;
  }
  if (built.udp) {
    const x = built.udp.header;
    const y = captured.udp?.header;
    return y !== undefined && x.sourcePort === y.sourcePort && x.destinationPort === y.destinationPort && x.length === y.length && sameBytes(x.payload, y.payload);
  }
  return sameBytes(datagramOf(built).subarray(b.ihl * 4), datagramOf(captured).subarray(c.ihl * 4));
}

/** The transport bytes (ICMP message) as dissected. */
function transportOf(packet: DissectedPacket): Uint8Array {
  const icmp = packet.icmp;
  return icmp ? packet.data.subarray(icmp.offset, icmp.offset + icmp.length) : new Uint8Array(0);
}

/** Equal from `from` on. */
export function sameBytes(a: Uint8Array, b: Uint8Array, from = 0): boolean {
  if (a.length !== b.length) return false;
  for (let i = from; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Every field that differs between the datagram built and the one captured leaving, with who changed it. */
export function compareBuiltAndSent(built: DissectedPacket, sent: DissectedPacket, writer: HeaderWriter): BuiltVsSent {
  const changes: FieldChange[] = [];
  const b6 = ipv6DatagramOf(built);
  const s6 = ipv6DatagramOf(sent);
  if (b6 && s6) {
    for (const reader of IPV6_FIELDS) {
      const before = reader.read(b6);
      const after = reader.read(s6);
      if (before !== after) changes.push({ layer: reader.layer, field: reader.field, built: before ?? '-', sent: after ?? '-', why: reader.why(writer) });
    }
  }
  for (const reader of b6 || s6 ? [] : [...IPV4_FIELDS, ...TRANSPORT_FIELDS]) {
    const before = reader.read(built);
    const after = reader.read(sent);
    if (before === undefined && after === undefined) continue;
    if (before !== after) changes.push({ layer: reader.layer, field: reader.field, built: before ?? '-', sent: after ?? '-', why: reader.why(built, sent, writer) });
  }
  const builtBytes = datagramOf(built);
  const sentBytes = datagramOf(sent);
  const differingOffsets: number[] = [];
  for (let i = 0; i < Math.max(builtBytes.length, sentBytes.length); i++) {
    if (i >= builtBytes.length || i >= sentBytes.length || builtBytes[i] !== sentBytes[i]) differingOffsets.push(i);
  }
  if (changes.length === 0 && differingOffsets.length > 0) {
    changes.push({
      layer: 'IP',
      field: 'Other bytes',
      built: `${builtBytes.length} bytes`,
      sent: `${sentBytes.length} bytes`,
      why: `${differingOffsets.length} byte${differingOffsets.length === 1 ? '' : 's'} differ outside the fields named here`,
    });
  }
  return { built: builtBytes, sent: sentBytes, changes, differingOffsets };
}
