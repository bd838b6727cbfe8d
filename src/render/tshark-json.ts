// tshark's `-T json` shape: an array of {_index, _type, _score, _source:
// {layers: {frame, eth, ip, icmp|tcp|udp|arp}}}, every value a string as
// tshark writes it, flag bits under "<field>_tree" objects, and the datagram
// an ICMP error quotes nested in the icmp (icmpv6) object (its own ip and tcp/udp/icmp),
// as Wireshark's tree has it. The fields are those of dissect's field table
// (filter-fields.ts), each with tshark's name and value; fields tshark keeps
// deeper in its tree (addresses' _tree, options) are left out. dissect's own
// --json (one object per line, its own schema) is unchanged.

import { FILTER_FIELDS, formatFieldValue, type FieldDefinition, type FieldValue } from '../dissection/filter-fields.ts';
import type { DissectedPacket } from '../dissection/packet-model.ts';
import { formatEpoch, formatSecondsNs, formatUtcDate } from './capture-time.ts';

/** Layers in tshark's order, and the fields each shows (in its tree's order). */
const LAYERS: readonly (readonly [string, readonly string[]])[] = [
  ['frame', ['frame.time', 'frame.time_epoch', 'frame.time_relative', 'frame.number', 'frame.len', 'frame.cap_len']],
  ['eth', ['eth.dst', 'eth.src', 'eth.type']],
  [
    'ip',
    [
      'ip.version', 'ip.hdr_len', 'ip.dsfield', 'ip.dsfield_tree', 'ip.len', 'ip.id', 'ip.flags', 'ip.flags_tree',
      'ip.frag_offset', 'ip.ttl', 'ip.proto', 'ip.checksum', 'ip.src', 'ip.dst',
    ],
  ],
  ['ipv6', ['ipv6.version', 'ipv6.tclass', 'ipv6.flow', 'ipv6.plen', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.src', 'ipv6.dst']],
  ['icmp', ['icmp.type', 'icmp.code', 'icmp.checksum', 'icmp.ident', 'icmp.seq', 'icmp.seq_le', 'icmp.resp_to']],
  ['icmpv6', ['icmpv6.type', 'icmpv6.code', 'icmpv6.checksum', 'icmpv6.echo.identifier', 'icmpv6.echo.sequence_number']],
  [
    'tcp',
    [
      'tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.len', 'tcp.seq', 'tcp.seq_raw', 'tcp.nxtseq', 'tcp.ack', 'tcp.ack_raw', 'tcp.hdr_len',
      'tcp.flags', 'tcp.flags_tree', 'tcp.window_size_value', 'tcp.window_size', 'tcp.checksum', 'tcp.urgent_pointer', 'tcp.payload',
    ],
  ],
  ['udp', ['udp.srcport', 'udp.dstport', 'udp.length', 'udp.checksum']],
  ['arp', ['arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4']],
];

/** Subtrees: "ip.flags_tree" holds ip.flags.rb, ip.flags.df, ip.flags.mf. */
const TREES: ReadonlyMap<string, readonly string[]> = new Map([
  ['ip.dsfield_tree', ['ip.dsfield.dscp', 'ip.dsfield.ecn']],
  ['ip.flags_tree', ['ip.flags.rb', 'ip.flags.df', 'ip.flags.mf']],
  ['tcp.flags_tree', ['tcp.flags.res', 'tcp.flags.ae', 'tcp.flags.cwr', 'tcp.flags.ece', 'tcp.flags.urg', 'tcp.flags.ack', 'tcp.flags.push', 'tcp.flags.reset', 'tcp.flags.syn', 'tcp.flags.fin']],
]);

const EXACT_TIMES: ReadonlyMap<string, (p: DissectedPacket) => string> = new Map([
  ['frame.time', (p: DissectedPacket) => formatUtcDate(p.frame.timestampSeconds, p.frame.nanoseconds)],
  ['frame.time_epoch', (p: DissectedPacket) => formatEpoch(p.frame.timestampSeconds, p.frame.nanoseconds)],
  ['frame.time_relative', (p: DissectedPacket) => formatSecondsNs(p.frame.relativeNs, 9)],
]);

type JsonObject = [string, string | JsonObject][];

/** A value as tshark's JSON writes it: like -T fields, but bytes colon-separated. */
function jsonValue(field: FieldDefinition, value: FieldValue): string {
  if (field.type === 'bytes') return Array.from(value as Uint8Array, (b) => b.toString(16).padStart(2, '0')).join(':');
  return formatFieldValue(field, value);
}

function fieldEntries(packet: DissectedPacket, names: readonly string[], values: FieldValue[]): JsonObject {
  const entries: JsonObject = [];
  for (const name of names) {
    const tree = TREES.get(name);
    if (tree) {
      const inner = fieldEntries(packet, tree, values);
      if (inner.length > 0) entries.push([name, inner]);
      continue;
    }
    const exact = EXACT_TIMES.get(name);
    if (exact) {
      entries.push([name, exact(packet)]);
      continue;
    }
    const field = FILTER_FIELDS.get(name);
    if (!field) continue;
    values.length = 0;
    field.read(packet, values);
    if (values.length > 0) entries.push([name, jsonValue(field, values[0])]);
  }
  return entries;
}

/** The packet's own layers, without what its ICMP or ICMPv6 error quotes. */
function outerOnly(packet: DissectedPacket): DissectedPacket {
  if (packet.icmp?.quoted) return { ...packet, icmp: { ...packet.icmp, quoted: undefined } };
  if (packet.icmpv6?.quoted) return { ...packet, icmpv6: { ...packet.icmpv6, quoted: undefined } };
  return packet;
}

/** Only the quoted datagram, as a packet of its own for the field readers. */
function quotedOnly(packet: DissectedPacket): DissectedPacket | undefined {
  const quoted = packet.icmp?.quoted;
  if (quoted) return { ...packet, link: undefined, arp: undefined, ipv4: quoted.ip, ipv6: undefined, icmp: quoted.icmp, icmpv6: undefined, tcp: quoted.tcp, udp: quoted.udp };
  const quoted6 = packet.icmpv6?.quoted;
  if (quoted6) return { ...packet, link: undefined, arp: undefined, ipv4: undefined, ipv6: quoted6.ipv6, icmp: undefined, icmpv6: quoted6.icmpv6, tcp: quoted6.tcp, udp: quoted6.udp };
  return undefined;
}

function layerObjects(packet: DissectedPacket, values: FieldValue[], skipFrame: boolean): JsonObject {
  const layers: JsonObject = [];
  for (const [layer, names] of LAYERS) {
    if (skipFrame && (layer === 'frame' || layer === 'eth')) continue;
    // ip.version is also IPv6's (a hidden field, as in Wireshark): no ip object for an IPv6 packet.
    if (layer === 'ip' && !packet.ipv4) continue;
    const entries = fieldEntries(packet, names, values);
    if (entries.length > 0) layers.push([layer, entries]);
  }
  return layers;
}

function write(object: JsonObject, indent: string): string {
  if (object.length === 0) return '{}';
  const inner = `${indent}  `;
  const lines = object.map(([key, value]) => `${inner}${JSON.stringify(key)}: ${typeof value === 'string' ? JSON.stringify(value) : write(value, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** One packet's element of tshark's -T json array (without the separating comma). */
export function formatTsharkJsonPacket(packet: DissectedPacket): string {
  const values: FieldValue[] = [];
  const layers = layerObjects(outerOnly(packet), values, false);
  const quoted = quotedOnly(packet);
  if (quoted) {
    const icmp = layers.find(([name]) => name === 'icmp' || name === 'icmpv6');
    if (icmp && typeof icmp[1] !== 'string') icmp[1].push(...layerObjects(quoted, values, true));
  }
  const date = new Date(packet.frame.timestampSeconds * 1000).toISOString().slice(0, 10);
  const element: JsonObject = [
    ['_index', `packets-${date}`],
    ['_type', 'doc'],
    ['_source', [['layers', layers]]],
  ];
  // tshark writes "_score": null between _type and _source.
  return write(element, '  ').replace('"_type": "doc",', '"_type": "doc",\n    "_score": null,');
}
