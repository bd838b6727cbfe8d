// One line per packet in the layout of tshark's default output:
//
//     1   0.000000    10.77.1.1 → 10.77.1.2    ICMP 98 Echo (ping) request  id=0x1aa9, seq=1/256, ttl=64
//
// number (width 5), time since the first frame (width 10), source (right,
// 12), "→", destination (left, 12), protocol, frame length, info. The info
// strings follow Wireshark's (packet-icmp.c, packet-tcp.c, packet-udp.c,
// packet-arp.c); checksum failures and cut or broken packets are appended as
// bracketed markers, since a lab needs to see them on the summary line.

import { IcmpType, icmpQueryFieldLittleEndian, icmpQueryIdentifiers } from '../wire/icmp.ts';
import { ipProtocolName, wiresharkIcmpCodeName, wiresharkIcmpTypeName, etherTypeName } from '../dissection/wireshark-names.ts';
import type { SummaryChecksum, SummaryView } from '../dissection/packet-model.ts';
import { analysisMarkers } from '../dissection/tcp-analysis.ts';
import { httpSummary } from '../dissection/http-info.ts';
import { TcpFlag, tcpFlagNames } from '../wire/tcp.ts';
import { formatSecondsNs } from './capture-time.ts';
import { PLAIN_STYLE, type TextStyle } from './terminal-style.ts';
import { linkTypeName } from '../wire/link-type.ts';
import { formatLinkLayerAddress, icmpv6CodeName, icmpv6TypeName, Icmpv6Type } from '../wire/icmpv6.ts';

export interface PacketColumns {
  readonly source: string;
  readonly destination: string;
  readonly protocol: string;
  readonly info: string;
}

const flagListCache = new Map<number, string>();

/**
 * "SYN, ACK" as Wireshark lists set flags (lowest bit first, "Reserved" last
 * when any of the 3 reserved bits is set), "<None>" when none are set.
 */
export function tcpFlagList(flags: number, reserved = 0): string {
  const key = flags | (reserved << 9);
  let text = flagListCache.get(key);
  if (text === undefined) {
    const names = tcpFlagNames(flags, 'AE');
    if (reserved !== 0) names.push('Reserved');
    text = names.length === 0 ? '<None>' : names.join(', ');
    flagListCache.set(key, text);
  }
  return text;
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}

function tcpInfo(tcp: NonNullable<SummaryView['tcp']>): string {
  const s = tcp.segment;
  const c = tcp.conversation;
  const seq = c ? c.relativeSeq : s.sequenceNumber;
  // "[TCP Retransmission] " and the like come first, as tshark prepends them.
  let info = `${analysisMarkers(c?.analysis)}${s.sourcePort} → ${s.destinationPort} [${tcpFlagList(s.flags, s.reserved)}] Seq=${seq}`;
  if (s.flags & TcpFlag.ACK) info += ` Ack=${c ? c.relativeAck : s.acknowledgmentNumber}`;
  info += ` Win=${c ? c.calculatedWindow : s.window}`;
  if (s.flags & TcpFlag.URG) info += ` Urg=${s.urgentPointer}`;
  info += ` Len=${tcp.payloadLength}`;
  const ackBase = c && c.ackIsRelative ? (s.acknowledgmentNumber - c.relativeAck) >>> 0 : 0;
  for (const option of s.options) {
    switch (option.kind) {
      case 'mss':
        info += ` MSS=${option.value}`;
        break;
      case 'sack-permitted':
        info += ' SACK_PERM';
        break;
      case 'timestamps':
        info += ` TSval=${option.value} TSecr=${option.echoReply}`;
        break;
      case 'window-scale':
        info += ` WS=${2 ** Math.min(option.shift, 14)}`;
        break;
      case 'sack':
        for (const block of option.blocks) info += ` SLE=${(block.left - ackBase) >>> 0} SRE=${(block.right - ackBase) >>> 0}`;
        break;
      default:
        break;
    }
  }
  return info;
}

function icmpInfo(packet: SummaryView): string {
  const icmp = packet.icmp!;
  const m = icmp.message;
  let info = wiresharkIcmpTypeName(m.type).padEnd(20);
  const codeName = wiresharkIcmpCodeName(m.type, m.code);
  if (codeName !== undefined) info += ` (${codeName})`;
  let identifier: number | undefined;
  let sequence: number | undefined;
  if (m.kind === 'echo' || m.kind === 'timestamp') {
    identifier = m.identifier;
    sequence = m.sequence;
  } else if (m.kind === 'other' && m.type >= IcmpType.InformationRequest && m.type <= IcmpType.AddressMaskReply) {
    ({ identifier, sequence } = icmpQueryIdentifiers(m.restOfHeader));
  }
  if (identifier !== undefined && sequence !== undefined) {
    info += ` id=0x${hex4(identifier)}, seq=${sequence}/${icmpQueryFieldLittleEndian(sequence)}, ttl=${packet.ipv4!.packet.ttl}`;
  }
  if (icmp.requestFrame !== undefined) info += ` (request in ${icmp.requestFrame})`;
  return info;
}

// NDP lines repeat the same few MAC addresses: each 6-byte one is formatted once (bounded).
const MAC_TEXT_MAX = 4096;
const macText = new Map<number, string>();

function linkLayerAddressText(address: Uint8Array): string {
  if (address.length !== 6) return formatLinkLayerAddress(address);
  let key = 0;
  for (let i = 0; i < 6; i++) key = key * 256 + address[i];
  let text = macText.get(key);
  if (text === undefined) {
    if (macText.size >= MAC_TEXT_MAX) macText.clear();
    text = formatLinkLayerAddress(address);
    macText.set(key, text);
  }
  return text;
}

/** tshark's info column for ICMPv6 (packet-icmpv6.c): type, code, echo ids, NDP target, flags and link-layer addresses. */
function icmpv6Info(packet: SummaryView): string {
  const icmp = packet.icmpv6!;
  const m = icmp.message;
  let info = icmpv6TypeName(m.type) ?? `Unknown (${m.type})`;
  const codeName = icmpv6CodeName(m.type, m.code);
  if (codeName !== undefined) info += ` (${codeName})`;
  switch (m.type) {
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      info += ` id=0x${hex4(m.identifier ?? 0)}, seq=${m.sequence ?? 0}, hop limit=${packet.ipv6!.packet.hopLimit}`;
      break;
    case Icmpv6Type.NeighborSolicitation:
      info += ` for ${m.target}`;
      break;
    case Icmpv6Type.NeighborAdvertisement: {
      info += ` ${m.target}`;
      const flags = [m.router ? 'rtr' : '', m.solicited ? 'sol' : '', m.override ? 'ovr' : ''].filter((f) => f !== '');
      if (flags.length > 0) info += ` (${flags.join(', ')})`;
      break;
    }
  }
  for (const option of m.options ?? []) {
    if (option.kind === 'source-link-layer-address') info += ` from ${linkLayerAddressText(option.address)}`;
    else if (option.kind === 'target-link-layer-address') info += ` is at ${linkLayerAddressText(option.address)}`;
  }
  if (icmp.requestFrame !== undefined) info += ` (request in ${icmp.requestFrame})`;
  return info;
}

/** Columns of an IPv6 packet: the upper layer's, or tshark's "IPv6 fragment (...)" line for a fragment. */
function ipv6Columns(packet: SummaryView): PacketColumns {
  const ip = packet.ipv6!;
  const { source, destination } = ip.packet;
  if (packet.tcp) return { source, destination, protocol: 'TCP', info: tcpInfo(packet.tcp) };
  if (packet.icmpv6) return { source, destination, protocol: 'ICMPv6', info: icmpv6Info(packet) };
  if (packet.udp) {
    const u = packet.udp.header;
    return { source, destination, protocol: 'UDP', info: `${u.sourcePort} → ${u.destinationPort} Len=${packet.udp.payloadLength}` };
  }
  const fragment = ip.packet.extensionHeaders.find((header) => header.kind === 'fragment');
  if (ip.isFragment && fragment?.kind === 'fragment') {
    const more = fragment.moreFragments ? 'y' : 'n';
    const ident = fragment.identification.toString(16).padStart(8, '0');
    return {
      source,
      destination,
      protocol: 'IPv6',
      info: `IPv6 fragment (off=${fragment.fragmentOffset * 8} more=${more} ident=0x${ident} nxt=${fragment.nextHeader})`,
    };
  }
  const protocol = ip.packet.protocol;
  const name = ipProtocolName(protocol);
  return { source, destination, protocol: name === 'Unknown' ? 'IPv6' : name, info: `${name === 'Unknown' ? 'Protocol' : name} (${protocol})` };
}

const isFine = (check: SummaryChecksum | undefined): boolean => check === undefined || check.status !== 'incorrect';

function checksumMarker(protocol: string, check: SummaryChecksum | undefined): string {
  if (!check || check.status !== 'incorrect') return '';
  return check.offloadPartialSum ? ` [${protocol} CHECKSUM INCORRECT (checksum offload?)]` : ` [${protocol} CHECKSUM INCORRECT]`;
}

const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** Source, destination, protocol and info of a packet, without markers. */
export function packetColumns(packet: SummaryView): PacketColumns {
  const ip = packet.ipv4;
  if (ip) {
    const { source, destination } = ip.packet;
    if (packet.tcp) {
      const http = packet.tcp.http;
      if (http) {
        const { protocol, info } = httpSummary(http);
        return { source, destination, protocol, info: analysisMarkers(packet.tcp.conversation?.analysis) + info };
      }
      return { source, destination, protocol: 'TCP', info: tcpInfo(packet.tcp) };
    }
    if (packet.icmp) return { source, destination, protocol: 'ICMP', info: icmpInfo(packet) };
    if (packet.udp) {
      const u = packet.udp.header;
      return { source, destination, protocol: 'UDP', info: `${u.sourcePort} → ${u.destinationPort} Len=${packet.udp.payloadLength}` };
    }
    const p = ip.packet;
    const name = ipProtocolName(p.protocol);
    if (ip.isFragment) {
      return {
        source,
        destination,
        protocol: 'IPv4',
        info: `Fragmented IP protocol (proto=${name} ${p.protocol}, off=${p.fragmentOffset * 8}, ID=${hex4(p.identification)})`,
      };
    }
    return { source, destination, protocol: name === 'Unknown' ? 'IPv4' : name, info: `${name === 'Unknown' ? 'Protocol' : name} (${p.protocol})` };
  }
  if (packet.ipv6) return ipv6Columns(packet);
  if (packet.arp) {
    const a = packet.arp.packet;
    const eth = packet.link?.frame.kind === 'ethernet' ? packet.link.frame.header : undefined;
    const source = eth ? eth.source : a.senderMac;
    const destination = eth ? (eth.destination === BROADCAST_MAC ? 'Broadcast' : eth.destination) : a.targetMac;
    const info =
      a.opcode === 1
        ? `Who has ${a.targetIp}? Tell ${a.senderIp}`
        : a.opcode === 2
          ? `${a.senderIp} is at ${a.senderMac}`
          : `ARP opcode ${a.opcode}`;
    return { source, destination, protocol: 'ARP', info };
  }
  const link = packet.link?.frame;
  if (link?.kind === 'ethernet') {
    const type = link.header.etherType;
    const name = etherTypeName(type);
    return {
      source: link.header.source,
      destination: link.header.destination === BROADCAST_MAC ? 'Broadcast' : link.header.destination,
      protocol: name === 'Unknown' ? `0x${hex4(type)}` : name,
      info: `Ethernet II, type 0x${hex4(type)}`,
    };
  }
  return { source: '', destination: '', protocol: linkTypeName(packet.frame.linkType), info: '' };
}

/** The bracketed markers for what went wrong in a packet: cut short, malformed, bad checksums. */
export function problemMarkers(packet: SummaryView): string {
  if (
    packet.problems.length === 0 &&
    isFine(packet.ipv4?.checksum) &&
    isFine(packet.icmp?.checksum) &&
    isFine(packet.icmpv6?.checksum) &&
    isFine(packet.tcp?.checksum) &&
    isFine(packet.udp?.checksum)
  ) {
    return '';
  }
  let markers = '';
  let truncatedShown = false;
  for (const problem of packet.problems) {
    if (problem.kind === 'truncated') {
      if (!truncatedShown) markers += ' [truncated]';
      truncatedShown = true;
    } else {
      markers += ` [malformed: ${problem.layer}: ${problem.message}]`;
    }
  }
  markers += checksumMarker('IP', packet.ipv4?.checksum);
  markers += checksumMarker('ICMP', packet.icmp?.checksum);
  markers += checksumMarker('ICMPv6', packet.icmpv6?.checksum);
  markers += checksumMarker('TCP', packet.tcp?.checksum);
  markers += checksumMarker('UDP', packet.udp?.checksum);
  return markers;
}

// Address columns repeat from line to line: their padded text is made once.
const PADDED_MAX = 4096;
const paddedStart = new Map<string, string>();
const paddedEnd = new Map<string, string>();

function padded(cache: Map<string, string>, text: string, atStart: boolean): string {
  let result = cache.get(text);
  if (result === undefined) {
    if (cache.size >= PADDED_MAX) cache.clear();
    result = atStart ? text.padStart(12) : text.padEnd(12);
    cache.set(text, result);
  }
  return result;
}

/** The whole summary line; `digits` is the time resolution (6 or 9); `timeText` replaces the relative time (tshark -t). */
export function formatSummaryLine(packet: SummaryView, digits: number, style: TextStyle = PLAIN_STYLE, timeText?: string): string {
  const c = packetColumns(packet);
  const number = String(packet.frame.number).padStart(5);
  const time = (timeText ?? formatSecondsNs(packet.frame.relativeNs, digits)).padStart(10);
  const markers = problemMarkers(packet);
  const arrow = c.source === '' && c.destination === '' ? '' : `${padded(paddedStart, c.source, true)} → ${padded(paddedEnd, c.destination, false)} `;
  const protocol = style.enabled ? style.accent(c.protocol) : c.protocol;
  const line = `${number} ${time} ${arrow}${protocol} ${packet.frame.originalLength} ${c.info}`;
  return markers === '' ? line : line + style.bad(markers);
}
