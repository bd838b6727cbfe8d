// The fields of a header in wire order with their widths in bits and this
// packet's values: what an RFC box diagram draws (RFC 791 for IPv4, 792 for
// ICMP, 9293 for TCP, 768 for UDP, 8200 for IPv6, 4443 for ICMPv6). Laying the fields out in 32-bit rows is
// the renderer's job; this module only says what the header holds.

import type { ChecksumVerdict } from '../wire/checksum.ts';
import { TCP_FLAG_NAMES, TCP_MIN_HEADER_LENGTH, TcpFlag, type TcpOption } from '../wire/tcp.ts';
import type { DissectedPacket, IcmpLayer, Ipv4Layer, TcpLayer, UdpLayer } from './packet-model.ts';
import { Icmpv6Type, Icmpv6View, icmpv6TypeName } from '../wire/icmpv6.ts';
import { ETHERTYPE } from '../wire/ethernet.ts';
import { type Icmpv6Layer, type Ipv6Datagram, readIpv6Datagram } from './ipv6-datagram.ts';
import { ipProtocolName } from './wireshark-names.ts';

export interface LayoutField {
  /** The RFC's label. */
  readonly name: string;
  /** A shorter label for narrow fields. */
  readonly shortName?: string;
  readonly bits: number;
  /** This packet's value, as text. */
  readonly value: string;
  /** A shorter value for narrow fields. */
  readonly shortValue?: string;
}

export interface HeaderLayout {
  readonly title: string;
  /** Contiguous fields from bit 0; their bits add up to a whole number of bytes. */
  readonly fields: readonly LayoutField[];
  /** Bytes after the header (payload, data, quote), shown as one open-ended row. */
  readonly trailing?: { readonly label: string; readonly bytes: Uint8Array };
}

const hex = (value: number, digits: number): string => `0x${value.toString(16).padStart(digits, '0')}`;

const FLAGS_HIGH_BIT_FIRST = [...TCP_FLAG_NAMES].reverse();

function checksumValue(check: ChecksumVerdict): string {
  const stored = hex(check.stored, 4);
  switch (check.status) {
    case 'correct':
      return `${stored} (correct)`;
    case 'incorrect':
      return `${stored} (should be ${hex(check.expected!, 4)})`;
    case 'unverified':
      return `${stored} (unverified)`;
    case 'not-present':
      return `${stored} (none)`;
  }
}

function bytesField(name: string, bytes: Uint8Array): LayoutField {
  const hexText = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  return { name, bits: bytes.length * 8, value: hexText };
}

export function ipv4Layout(ip: Ipv4Layer, title = 'IPv4 header (RFC 791)'): HeaderLayout {
  const p = ip.packet;
  const flagNames = [p.flags.reserved ? 'R' : '', p.flags.dontFragment ? 'DF' : '', p.flags.moreFragments ? 'MF' : ''].filter(Boolean);
  const flagsValue = (p.flags.reserved ? 4 : 0) | (p.flags.dontFragment ? 2 : 0) | (p.flags.moreFragments ? 1 : 0);
  const fields: LayoutField[] = [
    { name: 'Version', shortName: 'Ver', bits: 4, value: `${p.version}` },
    { name: 'IHL', bits: 4, value: `${p.ihl}` },
    { name: 'DSCP', bits: 6, value: `${p.dscp}` },
    { name: 'ECN', bits: 2, value: `${p.ecn}` },
    { name: 'Total Length', bits: 16, value: `${p.totalLength}` },
    { name: 'Identification', bits: 16, value: `${hex(p.identification, 4)} (${p.identification})` },
    { name: 'Flags', bits: 3, value: flagNames.length ? flagNames.join(' ') : '-', shortValue: hex(flagsValue, 1) },
    { name: 'Fragment Offset', bits: 13, value: `${p.fragmentOffset}` },
    { name: 'Time to Live', shortName: 'TTL', bits: 8, value: `${p.ttl}` },
    { name: 'Protocol', bits: 8, value: `${p.protocol} (${ipProtocolName(p.protocol)})`, shortValue: `${p.protocol}` },
    { name: 'Header Checksum', bits: 16, value: checksumValue(ip.checksum), shortValue: hex(ip.checksum.stored, 4) },
    { name: 'Source Address', bits: 32, value: p.source },
    { name: 'Destination Address', bits: 32, value: p.destination },
  ];
  if (p.options.length > 0) fields.push(bytesField('Options + Padding', p.options));
  return { title: `${title}, ${ip.headerLength} bytes`, fields };
}

const ICMP_SHORT_TYPES: Record<number, string> = {
  0: 'echo reply',
  3: 'unreachable',
  4: 'quench',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'param problem',
  13: 'timestamp',
  14: 'ts reply',
};

export function icmpLayout(icmp: IcmpLayer, title = 'ICMP header (RFC 792)'): HeaderLayout {
  const m = icmp.message;
  const typeName = ICMP_SHORT_TYPES[m.type];
  const fields: LayoutField[] = [
    { name: 'Type', bits: 8, value: typeName ? `${m.type} ${typeName}` : `${m.type}`, shortValue: `${m.type}` },
    { name: 'Code', bits: 8, value: `${m.code}` },
    { name: 'Checksum', bits: 16, value: checksumValue(icmp.checksum), shortValue: hex(icmp.checksum.stored, 4) },
  ];
  let trailing: HeaderLayout['trailing'];
  switch (m.kind) {
    case 'echo':
      fields.push(
        { name: 'Identifier', bits: 16, value: `${hex(m.identifier, 4)} (${m.identifier})` },
        { name: 'Sequence Number', bits: 16, value: `${m.sequence}` },
      );
      if (m.payload.length > 0) trailing = { label: `Data (${m.payload.length} bytes)`, bytes: m.payload };
      break;
    case 'timestamp':
      fields.push(
        { name: 'Identifier', bits: 16, value: `${hex(m.identifier, 4)} (${m.identifier})` },
        { name: 'Sequence Number', bits: 16, value: `${m.sequence}` },
        { name: 'Originate Timestamp', bits: 32, value: `${m.originateTimestamp}` },
        { name: 'Receive Timestamp', bits: 32, value: `${m.receiveTimestamp}` },
        { name: 'Transmit Timestamp', bits: 32, value: `${m.transmitTimestamp}` },
      );
      break;
    case 'destination-unreachable':
      fields.push(
        { name: 'Unused', bits: 16, value: hex(m.unused, 4) },
        { name: m.code === 4 ? 'Next-Hop MTU' : 'Unused', bits: 16, value: m.code === 4 ? `${m.nextHopMtu}` : hex(m.nextHopMtu, 4) },
      );
      break;
    case 'time-exceeded':
    case 'source-quench':
      fields.push({ name: 'Unused', bits: 32, value: hex(m.unused, 8) });
      break;
    case 'redirect':
      fields.push({ name: 'Gateway Internet Address', bits: 32, value: m.gateway });
      break;
    case 'parameter-problem':
      fields.push({ name: 'Pointer', bits: 8, value: `${m.pointer}` }, { name: 'Unused', bits: 24, value: hex(m.unused, 6) });
      break;
    case 'other':
      fields.push(bytesField('Rest of Header', m.restOfHeader));
      if (m.payload.length > 0) trailing = { label: `Data (${m.payload.length} bytes)`, bytes: m.payload };
      break;
  }
  if (m.kind !== 'echo' && m.kind !== 'timestamp' && m.kind !== 'other' && m.original.length > 0 && !icmp.quoted) {
    trailing = { label: `Quoted datagram (${m.original.length} bytes)`, bytes: m.original };
  }
  return { title, fields, ...(trailing ? { trailing } : {}) };
}

const OPTION_SHORT_NAMES: Record<number, string> = { 0: 'EOL', 1: 'NOP', 2: 'MSS', 3: 'WS', 4: 'SACK_PERM', 5: 'SACK', 8: 'TS' };

function optionKindField(kind: number): LayoutField {
  const name = OPTION_SHORT_NAMES[kind];
  return { name: 'Kind', bits: 8, value: name ? `${kind} ${name}` : `${kind}`, shortValue: `${kind}` };
}

function optionFields(option: TcpOption): LayoutField[] {
  const length = (n: number): LayoutField => ({ name: 'Length', bits: 8, value: `${n}` });
  switch (option.kind) {
    case 'eol':
      return [optionKindField(0)];
    case 'nop':
      return [optionKindField(1)];
    case 'mss':
      return [optionKindField(2), length(4), { name: 'MSS', bits: 16, value: `${option.value}` }];
    case 'window-scale':
      return [optionKindField(3), length(3), { name: 'Shift', bits: 8, value: `${option.shift} (x${2 ** Math.min(option.shift, 14)})`, shortValue: `${option.shift}` }];
    case 'sack-permitted':
      return [optionKindField(4), length(2)];
    case 'sack':
      return [
        optionKindField(5),
        length(2 + 8 * option.blocks.length),
        ...option.blocks.flatMap((b): LayoutField[] => [
          { name: 'Left Edge', bits: 32, value: `${b.left}` },
          { name: 'Right Edge', bits: 32, value: `${b.right}` },
        ]),
      ];
    case 'timestamps':
      return [
        optionKindField(8),
        length(10),
        { name: 'TSval', bits: 32, value: `${option.value}` },
        { name: 'TSecr', bits: 32, value: `${option.echoReply}` },
      ];
    case 'unknown':
      return [optionKindField(option.type), length(2 + option.data.length), ...(option.data.length ? [bytesField('Option Data', option.data)] : [])];
    case 'raw':
      return [bytesField('Unparsable Option Bytes', option.bytes)];
  }
}

function optionBytes(options: readonly TcpOption[]): number {
  let bits = 0;
  for (const option of options) for (const field of optionFields(option)) bits += field.bits;
  return bits / 8;
}

export function tcpLayout(tcp: TcpLayer, title = 'TCP header (RFC 9293)'): HeaderLayout {
  const s = tcp.segment;
  const c = tcp.conversation;
  const letter = (bit: number, name: string) => ((s.flags & bit) !== 0 ? name : '.');
  const flag = (bit: number, name: string): LayoutField => ({ name, bits: 1, value: letter(bit, name) });
  const window = c && c.calculatedWindow !== s.window ? `${s.window} (x${2 ** c.windowScale} = ${c.calculatedWindow})` : `${s.window}`;
  const fields: LayoutField[] = [
    { name: 'Source Port', bits: 16, value: `${s.sourcePort}` },
    { name: 'Destination Port', bits: 16, value: `${s.destinationPort}` },
    { name: 'Sequence Number', bits: 32, value: c ? `${s.sequenceNumber} (relative ${c.relativeSeq})` : `${s.sequenceNumber}` },
    {
      name: 'Acknowledgment Number',
      bits: 32,
      value: c && c.ackIsRelative && s.flags & TcpFlag.ACK ? `${s.acknowledgmentNumber} (relative ${c.relativeAck})` : `${s.acknowledgmentNumber}`,
    },
    { name: 'Data Offset', shortName: 'Offset', bits: 4, value: `${s.dataOffset}` },
    { name: 'Rsrvd', bits: 3, value: `${s.reserved}` },
    // Highest bit first, in Wireshark's letters, except bit 8 (NS in RFC 3540, AE
    // in AccECN): "N" keeps its one-letter column distinct from ACK's "A".
    ...FLAGS_HIGH_BIT_FIRST.map(({ bit, letter }) => flag(bit, bit === TcpFlag.AE ? 'N' : letter)),
    { name: 'Window', bits: 16, value: window, shortValue: `${s.window}` },
    { name: 'Checksum', bits: 16, value: checksumValue(tcp.checksum), shortValue: `0x${tcp.checksum.stored.toString(16).padStart(4, '0')}` },
    { name: 'Urgent Pointer', bits: 16, value: `${s.urgentPointer}` },
  ];
  for (const option of s.options) fields.push(...optionFields(option));
  const padding = s.headerLength - TCP_MIN_HEADER_LENGTH - optionBytes(s.options);
  if (padding > 0) fields.push({ name: 'Padding', bits: padding * 8, value: '0' });
  const trailing = s.payload.length > 0 ? { label: `Data (${tcp.payloadLength} bytes)`, bytes: s.payload } : undefined;
  return { title: `${title}, ${s.headerLength} bytes`, fields, ...(trailing ? { trailing } : {}) };
}

export function udpLayout(udp: UdpLayer, title = 'UDP header (RFC 768)'): HeaderLayout {
  const h = udp.header;
  const fields: LayoutField[] = [
    { name: 'Source Port', bits: 16, value: `${h.sourcePort}` },
    { name: 'Destination Port', bits: 16, value: `${h.destinationPort}` },
    { name: 'Length', bits: 16, value: `${h.length}` },
    { name: 'Checksum', bits: 16, value: checksumValue(udp.checksum), shortValue: `0x${udp.checksum.stored.toString(16).padStart(4, '0')}` },
  ];
  const trailing = h.payload.length > 0 ? { label: `Data (${h.payload.length} bytes)`, bytes: h.payload } : undefined;
  return { title: `${title}, 8 bytes`, fields, ...(trailing ? { trailing } : {}) };
}

/** The IPv6 header (RFC 8200 section 3): the fixed 40 bytes, then each extension header as its bytes. */
export function ipv6Layout(datagram: Ipv6Datagram, title = 'IPv6 header (RFC 8200)'): HeaderLayout {
  const h = datagram.header;
  const fields: LayoutField[] = [
    { name: 'Version', shortName: 'Ver', bits: 4, value: `${h.version}` },
    { name: 'Traffic Class', bits: 8, value: `${hex(h.trafficClass, 2)} (DSCP ${h.trafficClass >>> 2}, ECN ${h.trafficClass & 3})`, shortValue: hex(h.trafficClass, 2) },
    { name: 'Flow Label', bits: 20, value: hex(h.flowLabel, 5) },
    { name: 'Payload Length', bits: 16, value: `${h.payloadLength}` },
    { name: 'Next Header', bits: 8, value: `${h.nextHeader} (${ipProtocolName(h.nextHeader)})`, shortValue: `${h.nextHeader}` },
    { name: 'Hop Limit', bits: 8, value: `${h.hopLimit}` },
    { name: 'Source Address', bits: 128, value: h.source },
    { name: 'Destination Address', bits: 128, value: h.destination },
  ];
  const extensions = datagram.bytes.subarray(40, datagram.upperLayerOffset);
  if (extensions.length > 0) fields.push(bytesField(`Extension headers (${h.extensionHeaders.length})`, extensions));
  return { title: `${title}, ${datagram.upperLayerOffset} bytes`, fields };
}

const ICMPV6_SHORT_TYPES: Record<number, string> = {
  1: 'unreachable',
  2: 'too big',
  3: 'time exceeded',
  4: 'param problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'RS',
  134: 'RA',
  135: 'NS',
  136: 'NA',
  137: 'redirect',
};

/** The ICMPv6 header (RFC 4443 section 2.1) and what bytes 4-7 mean for this type; `message` is the ICMPv6 bytes. */
export function icmpv6Layout(icmp: Icmpv6Layer, message: Uint8Array, title = 'ICMPv6 header (RFC 4443)'): HeaderLayout {
  const view = new Icmpv6View();
  view.pointUnchecked(message);
  const type = view.type;
  const short = ICMPV6_SHORT_TYPES[type];
  const fields: LayoutField[] = [
    { name: 'Type', bits: 8, value: short ? `${type} ${short}` : `${type}`, shortValue: `${type}` },
    { name: 'Code', bits: 8, value: `${view.code}` },
    { name: 'Checksum', bits: 16, value: checksumValue(icmp.checksum), shortValue: hex(icmp.checksum.stored, 4) },
  ];
  if (type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply) {
    fields.push(
      { name: 'Identifier', bits: 16, value: `${hex(view.identifier, 4)} (${view.identifier})` },
      { name: 'Sequence Number', bits: 16, value: `${view.sequence}` },
    );
  } else if (type === Icmpv6Type.PacketTooBig) {
    fields.push({ name: 'MTU', bits: 32, value: `${view.mtu}` });
  } else if (type === Icmpv6Type.ParameterProblem) {
    fields.push({ name: 'Pointer', bits: 32, value: `${view.pointer}` });
  } else {
    fields.push(bytesField(type < 128 ? 'Unused' : 'Message Body (first 4 bytes)', view.restOfHeaderBytes));
  }
  const body = message.subarray(8);
  const what = type < 128 ? 'Quoted datagram' : type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply ? 'Data' : `${icmpv6TypeName(type)}, rest`;
  const trailing = body.length > 0 ? { label: `${what} (${body.length} bytes)`, bytes: body } : undefined;
  return { title, fields, ...(trailing ? { trailing } : {}) };
}

/** The diagrams of the IPv6 datagram at bytes[start, end): IPv6, then ICMPv6, TCP or UDP. */
export function ipv6PacketLayouts(bytes: Uint8Array, start = 0, end = bytes.length): HeaderLayout[] {
  const datagram = readIpv6Datagram(bytes, start, end);
  if (!datagram) return [];
  const out = [ipv6Layout(datagram)];
  if (datagram.icmpv6) out.push(icmpv6Layout(datagram.icmpv6, datagram.upperLayer));
  if (datagram.tcp) out.push(tcpLayout(datagram.tcp));
  if (datagram.udp) out.push(udpLayout(datagram.udp));
  return out;
}

/** The diagrams of a packet, outermost first; an ICMP error's quoted datagram follows its ICMP header. */
export function packetLayouts(packet: DissectedPacket): HeaderLayout[] {
  const out: HeaderLayout[] = [];
  if (packet.ipv6) return ipv6PacketLayouts(packet.data, packet.ipv6.offset);
  const link = packet.link?.frame;
  if (!packet.ipv4 && link?.protocol === ETHERTYPE.IPV6) return ipv6PacketLayouts(link.payload);
  if (packet.ipv4) out.push(ipv4Layout(packet.ipv4));
  if (packet.icmp) {
    out.push(icmpLayout(packet.icmp));
    const q = packet.icmp.quoted;
    if (q) {
      out.push(ipv4Layout(q.ip, 'Quoted IPv4 header (RFC 791)'));
      if (q.icmp) out.push(icmpLayout(q.icmp, 'Quoted ICMP header (RFC 792)'));
      if (q.tcp) out.push(tcpLayout(q.tcp, 'Quoted TCP header (RFC 9293)'));
      if (q.udp) out.push(udpLayout(q.udp, 'Quoted UDP header (RFC 768)'));
    }
  }
  if (packet.tcp) out.push(tcpLayout(packet.tcp));
  if (packet.udp) out.push(udpLayout(packet.udp));
  return out;
}
