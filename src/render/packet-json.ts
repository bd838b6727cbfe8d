// dissect --json: one plain object per packet, for scripts. Numbers stay
// numbers (ports, seq/ack raw and relative, checksums), byte strings are
// lower-case hex, names are Wireshark's. Field names follow the lab's codecs
// (camelCase, spelt out), not Wireshark's filter names.

import { type Ipv4Option, parseIpv4Options } from '../wire/ipv4-options.ts';
import { TCP_ANALYSIS_FLAGS, type TcpAnalysis } from '../dissection/tcp-analysis.ts';
import type { ChecksumVerdict } from '../wire/checksum.ts';
import type {
  DissectedPacket,
  IcmpLayer,
  Icmpv6Layer,
  Ipv4Layer,
  Ipv6Layer,
  QuotedDatagramLayers,
  QuotedIpv6Layers,
  ReassembledIpv4,
  ReassembledIpv6,
  TcpLayer,
  UdpLayer,
} from '../dissection/packet-model.ts';
import { ipv6OptionName, wiresharkIcmpCodeName, wiresharkIcmpTypeName } from '../dissection/wireshark-names.ts';
import { formatLinkLayerAddress, icmpv6CodeName, icmpv6TypeName, type NdpOption } from '../wire/icmpv6.ts';
import type { Ipv6ExtensionHeader } from '../wire/ipv6.ts';
import { ipv6OptionsOf } from '../wire/ipv6-options.ts';
import { linkTypeName } from '../wire/link-type.ts';
import { formatSllAddress } from '../wire/linux-sll.ts';
import type { TcpOption } from '../wire/tcp.ts';
import { formatEpoch, formatSecondsNs } from './capture-time.ts';
import { reassembledPayloadOffset } from './fragment-tree.ts';
import { hexString } from './hex-dump.ts';
import { icmpQueryFieldLittleEndian } from '../wire/icmp.ts';
import { packetColumns, tcpFlagList } from './packet-summary.ts';

type Json = Record<string, unknown>;

function checksumJson(check: ChecksumVerdict): Json {
  return {
    value: check.stored,
    status: check.status,
    ...(check.expected !== undefined ? { expected: check.expected } : {}),
    ...(check.offloadPartialSum ? { offloadPartialSum: true } : {}),
    ...(check.zeroIllegal ? { zeroIllegal: true } : {}),
    ...(check.reason ? { reason: check.reason } : {}),
  };
}

function ipv4Json(ip: Ipv4Layer): Json {
  const p = ip.packet;
  return {
    version: p.version,
    headerLength: ip.headerLength,
    dscp: p.dscp,
    ecn: p.ecn,
    totalLength: p.totalLength,
    identification: p.identification,
    flags: { ...p.flags },
    fragmentOffset: p.fragmentOffset,
    ttl: p.ttl,
    protocol: p.protocol,
    checksum: checksumJson(ip.checksum),
    source: p.source,
    destination: p.destination,
    options: hexString(p.options),
    ...(p.options.length > 0 ? { decodedOptions: parseIpv4Options(p.options).map(ipv4OptionJson) } : {}),
    ...(ip.missingLength > 0 ? { missingLength: ip.missingLength } : {}),
    ...(ip.isFragment ? { fragment: true } : {}),
    ...(ip.reassembled ? { reassembled: reassembledJson(ip.reassembled) } : {}),
  };
}

/** The fragments of a reassembled datagram and its payload length (after the IPv6 unfragmentable part). */
function reassembledJson(reassembled: ReassembledIpv4 | ReassembledIpv6): Json {
  return { length: reassembled.datagram.length - reassembledPayloadOffset(reassembled), fragments: reassembled.fragments.map((f) => ({ ...f })) };
}

function extensionHeaderJson(header: Ipv6ExtensionHeader): Json {
  switch (header.kind) {
    case 'hop-by-hop':
    case 'destination-options':
      return {
        kind: header.kind,
        nextHeader: header.nextHeader,
        headerExtLength: header.headerExtLength,
        options: ipv6OptionsOf(header.options).map((o) => ({ type: o.type, name: ipv6OptionName(o.type), length: o.length, data: hexString(o.data) })),
      };
    case 'routing':
      return { ...header, data: hexString(header.data) };
    case 'fragment':
      return { ...header };
    case 'authentication':
      return { ...header, integrityCheckValue: hexString(header.integrityCheckValue) };
    case 'raw':
      return { ...header, bytes: hexString(header.bytes) };
  }
}

/** The same conventions as ipv4Json: the header's fields as numbers, addresses as text, `protocol` the upper layer. */
function ipv6Json(ip: Ipv6Layer): Json {
  const p = ip.packet;
  return {
    version: p.version,
    trafficClass: p.trafficClass,
    dscp: p.trafficClass >>> 2,
    ecn: p.trafficClass & 3,
    flowLabel: p.flowLabel,
    payloadLength: p.payloadLength,
    nextHeader: p.nextHeader,
    hopLimit: p.hopLimit,
    source: p.source,
    destination: p.destination,
    headerLength: ip.headerLength,
    extensionHeaders: p.extensionHeaders.map(extensionHeaderJson),
    protocol: p.protocol,
    ...(ip.missingLength > 0 ? { missingLength: ip.missingLength } : {}),
    ...(ip.isFragment ? { fragment: true } : {}),
    ...(ip.reassembled ? { reassembled: reassembledJson(ip.reassembled) } : {}),
  };
}

function ndpOptionJson(option: NdpOption): Json {
  switch (option.kind) {
    case 'source-link-layer-address':
    case 'target-link-layer-address':
      return { kind: option.kind, address: formatLinkLayerAddress(option.address) };
    case 'raw':
      return { kind: 'raw', type: option.type, bytes: hexString(option.bytes) };
    default:
      return { ...option };
  }
}

function icmpv6Json(icmp: Icmpv6Layer): Json {
  const m = icmp.message;
  const codeName = icmpv6CodeName(m.type, m.code);
  const typeName = icmpv6TypeName(m.type);
  const json: Json = {
    type: m.type,
    ...(typeName ? { typeName } : {}),
    code: m.code,
    ...(codeName ? { codeName } : {}),
    checksum: checksumJson(icmp.checksum),
  };
  switch (m.kind) {
    case 'echo':
      Object.assign(json, { identifier: m.identifier, sequence: m.sequence });
      break;
    case 'destination-unreachable':
    case 'time-exceeded':
      json.unused = m.unused;
      break;
    case 'packet-too-big':
      json.mtu = m.mtu;
      break;
    case 'parameter-problem':
      json.pointer = m.pointer;
      break;
    case 'router-solicitation':
      json.reserved = m.reserved;
      break;
    case 'router-advertisement':
      Object.assign(json, {
        currentHopLimit: m.currentHopLimit,
        managed: m.managed,
        other: m.other,
        reservedFlags: m.reservedFlags,
        routerLifetime: m.routerLifetime,
        reachableTime: m.reachableTime,
        retransTimer: m.retransTimer,
      });
      break;
    case 'neighbor-solicitation':
      Object.assign(json, { reserved: m.reserved, target: m.target });
      break;
    case 'neighbor-advertisement':
      Object.assign(json, { router: m.router, solicited: m.solicited, override: m.override, reserved: m.reserved, target: m.target });
      break;
    case 'redirect':
      Object.assign(json, { reserved: m.reserved, target: m.target, destination: m.destination });
      break;
    case 'mld':
      Object.assign(json, { maximumResponseDelay: m.maximumResponseDelay, multicastAddress: m.multicastAddress });
      break;
    case 'mldv2-report':
      json.records = m.records.map((r) => ({
        recordType: r.recordType,
        multicastAddress: r.multicastAddress,
        sources: [...r.sources],
        auxiliaryData: hexString(r.auxiliaryData),
      }));
      break;
    case 'other':
      json.restOfHeader = hexString(m.restOfHeader);
      break;
  }
  if ('options' in m) json.options = m.options.map(ndpOptionJson);
  json.dataLength = icmp.dataLength;
  if (icmp.requestFrame !== undefined) Object.assign(json, { requestFrame: icmp.requestFrame, responseTimeNs: icmp.responseTimeNs });
  if (icmp.quoted) json.quoted = quotedIpv6Json(icmp.quoted);
  return json;
}

function quotedIpv6Json(q: QuotedIpv6Layers): Json {
  return {
    ipv6: ipv6Json(q.ipv6),
    ...(q.icmpv6 ? { icmpv6: icmpv6Json(q.icmpv6) } : {}),
    ...(q.tcp ? { tcp: tcpJson(q.tcp) } : {}),
    ...(q.udp ? { udp: udpJson(q.udp) } : {}),
    ...(!q.icmpv6 && !q.tcp && !q.udp && q.transport ? { transport: { ...q.transport } } : {}),
  };
}

/** An IPv4 option with its byte fields in hex. */
function ipv4OptionJson(option: Ipv4Option): Json {
  if (option.kind === 'other') return { ...option, data: hexString(option.data) };
  if (option.kind === 'malformed') return { ...option, bytes: hexString(option.bytes) };
  if (option.kind === 'timestamp') return { ...option, entries: option.entries.map((e) => (e.address === undefined ? { timestamp: e.timestamp } : { ...e })) };
  if (option.kind === 'route') return { ...option, addresses: [...option.addresses] };
  return { ...option };
}

function optionJson(option: TcpOption): Json {
  switch (option.kind) {
    case 'unknown':
      return { kind: 'unknown', type: option.type, data: hexString(option.data) };
    case 'raw':
      return { kind: 'raw', bytes: hexString(option.bytes) };
    case 'sack':
      return { kind: 'sack', blocks: option.blocks.map((b) => ({ ...b })) };
    default:
      return { ...option };
  }
}

function tcpJson(tcp: TcpLayer): Json {
  const s = tcp.segment;
  const c = tcp.conversation;
  return {
    sourcePort: s.sourcePort,
    destinationPort: s.destinationPort,
    ...(c ? { stream: c.stream } : {}),
    sequenceNumber: s.sequenceNumber,
    acknowledgmentNumber: s.acknowledgmentNumber,
    ...(c ? { relativeSequenceNumber: c.relativeSeq, relativeAcknowledgmentNumber: c.relativeAck, nextRelativeSequenceNumber: c.nextRelativeSeq } : {}),
    dataOffset: s.dataOffset,
    headerLength: s.headerLength,
    reserved: s.reserved,
    flags: s.flags,
    flagNames: tcpFlagList(s.flags, s.reserved).split(', ').filter((n) => n !== '<None>'),
    window: s.window,
    ...(c ? { calculatedWindow: c.calculatedWindow, windowScale: c.windowScale } : {}),
    checksum: checksumJson(tcp.checksum),
    urgentPointer: s.urgentPointer,
    options: s.options.map(optionJson),
    payloadLength: tcp.payloadLength,
    ...(c?.analysis ? { analysis: tcpAnalysisJson(c.analysis) } : {}),
  };
}

/** tshark's tcp.analysis.* of a segment: flag names as in its fields, numbers only when it shows them. */
function tcpAnalysisJson(a: TcpAnalysis): Json {
  const json: Json = { flags: TCP_ANALYSIS_FLAGS.filter((info) => a.flags & info.flag).map((info) => info.field) };
  for (const key of ANALYSIS_NUMBERS) {
    const value = a[key];
    if (value !== undefined) json[key] = value;
  }
  return json;
}

const ANALYSIS_NUMBERS = [
  'ackedFrame',
  'ackRttNs',
  'initialRttNs',
  'bytesInFlight',
  'pushBytesSent',
  'duplicateAckNumber',
  'duplicateAckFrame',
  'rtoNs',
  'rtoFrame',
] as const satisfies readonly (keyof TcpAnalysis)[];

function udpJson(udp: UdpLayer): Json {
  const h = udp.header;
  return {
    sourcePort: h.sourcePort,
    destinationPort: h.destinationPort,
    length: h.length,
    checksum: checksumJson(udp.checksum),
    payloadLength: udp.payloadLength,
  };
}

function quotedJson(q: QuotedDatagramLayers): Json {
  return {
    ipv4: ipv4Json(q.ip),
    ...(q.icmp ? { icmp: icmpJson(q.icmp) } : {}),
    ...(q.tcp ? { tcp: tcpJson(q.tcp) } : {}),
    ...(q.udp ? { udp: udpJson(q.udp) } : {}),
    ...(!q.icmp && !q.tcp && !q.udp && q.transport ? { transport: { ...q.transport } } : {}),
  };
}

function icmpJson(icmp: IcmpLayer): Json {
  const m = icmp.message;
  const codeName = wiresharkIcmpCodeName(m.type, m.code);
  const json: Json = {
    type: m.type,
    typeName: wiresharkIcmpTypeName(m.type),
    code: m.code,
    ...(codeName ? { codeName } : {}),
    checksum: checksumJson(icmp.checksum),
  };
  switch (m.kind) {
    case 'echo':
    case 'timestamp':
      Object.assign(json, {
        identifier: m.identifier,
        identifierLe: icmpQueryFieldLittleEndian(m.identifier),
        sequence: m.sequence,
        sequenceLe: icmpQueryFieldLittleEndian(m.sequence),
      });
      if (m.kind === 'timestamp') {
        Object.assign(json, { originateTimestamp: m.originateTimestamp, receiveTimestamp: m.receiveTimestamp, transmitTimestamp: m.transmitTimestamp });
      }
      break;
    case 'destination-unreachable':
      Object.assign(json, { unused: m.unused, nextHopMtu: m.nextHopMtu });
      break;
    case 'time-exceeded':
    case 'source-quench':
      json.unused = m.unused;
      break;
    case 'redirect':
      json.gateway = m.gateway;
      break;
    case 'parameter-problem':
      Object.assign(json, { pointer: m.pointer, unused: m.unused });
      break;
    case 'other':
      json.restOfHeader = hexString(m.restOfHeader);
      break;
  }
  if (icmp.echoTimestamp) {
    const t = icmp.echoTimestamp;
    json.dataTimestamp = { seconds: t.seconds, microseconds: t.microseconds, littleEndian: t.littleEndian };
  }
  json.dataLength = icmp.dataLength;
  if (icmp.requestFrame !== undefined) Object.assign(json, { requestFrame: icmp.requestFrame, responseTimeNs: icmp.responseTimeNs });
  if (icmp.quoted) json.quoted = quotedJson(icmp.quoted);
  return json;
}

function linkJson(packet: DissectedPacket): Json | undefined {
  const link = packet.link?.frame;
  if (!link) return undefined;
  switch (link.kind) {
    case 'ethernet':
      return {
        type: 'ethernet',
        source: link.header.source,
        destination: link.header.destination,
        etherType: link.header.etherType,
        vlanTags: link.header.vlanTags.map((t) => ({ ...t })),
      };
    case 'linux-sll':
    case 'linux-sll2':
      return {
        type: link.kind,
        packetType: link.header.packetType,
        arphrdType: link.header.arphrdType,
        address: formatSllAddress(link.header),
        protocol: link.header.protocol,
        ...(link.kind === 'linux-sll2' ? { interfaceIndex: link.header.interfaceIndex } : {}),
      };
    case 'null':
    case 'loop':
      return { type: link.kind, family: link.header.family };
    case 'raw':
      return { type: 'raw', ipVersion: link.ipVersion };
    case 'unknown':
      return { type: 'unknown', linkType: link.linkType };
  }
}

export function packetJson(packet: DissectedPacket, { file, digits, hex = false }: { file?: string; digits: number; hex?: boolean }): Json {
  const f = packet.frame;
  const columns = packetColumns(packet);
  const link = linkJson(packet);
  return {
    ...(file !== undefined ? { file } : {}),
    number: f.number,
    time: formatSecondsNs(f.relativeNs, digits),
    epochTime: formatEpoch(f.timestampSeconds, f.nanoseconds),
    frameLength: f.originalLength,
    capturedLength: f.capturedLength,
    linkType: linkTypeName(f.linkType),
    protocol: columns.protocol,
    source: columns.source,
    destination: columns.destination,
    info: columns.info,
    problems: packet.problems.map((p) => ({ kind: p.kind, layer: p.layer, message: p.message })),
    ...(link ? { link } : {}),
    ...(packet.arp ? { arp: { ...packet.arp.packet } } : {}),
    ...(packet.ipv4 ? { ipv4: ipv4Json(packet.ipv4) } : {}),
    ...(packet.ipv6 ? { ipv6: ipv6Json(packet.ipv6) } : {}),
    ...(packet.icmp ? { icmp: icmpJson(packet.icmp) } : {}),
    ...(packet.icmpv6 ? { icmpv6: icmpv6Json(packet.icmpv6) } : {}),
    ...(packet.tcp ? { tcp: tcpJson(packet.tcp) } : {}),
    ...(packet.udp ? { udp: udpJson(packet.udp) } : {}),
    ...(hex ? { bytes: hexString(packet.data) } : {}),
  };
}
