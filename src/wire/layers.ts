// Scapy-short packet composition: `ip({ dst }).icmp({ id, seq }).payload('hi')`,
// `ipv6({ dst: 'fd00::2' }).icmp6({ id, seq }).payload('hi')`.
// Each layer holds only the fields the user set; build() fills the rest with
// the defaults below (scapy's, so the same fields give scapy's bytes) and
// computes lengths, protocol numbers and checksums unless they were set, so a
// wrong packet stays possible. Packets are immutable: every call returns a
// new one, so a base packet can be reused for many probes. Pure: no I/O.

import { IpProtocol, buildIpv4, parseIpv4, type Ipv4HeaderInit } from './ipv4.ts';
import { buildIcmp, IcmpType, parseIcmp } from './icmp.ts';
import { buildTcp, parseTcp, TcpFlag, type TcpOption } from './tcp.ts';
import { buildUdp, parseUdp } from './udp.ts';
import { buildIcmpv6, Icmpv6Type } from './icmpv6.ts';
import { buildIpv6, Ipv6View, ipv6ExtensionHeadersOf, type Ipv6ExtensionHeaderInit } from './ipv6.ts';

export type LayerName = 'ip' | 'ipv6' | 'icmp' | 'icmp6' | 'tcp' | 'udp' | 'raw';

/** TCP flags as scapy writes them ('S', 'SA', 'FPU'; letters F S R P A U E C N) or the 9-bit number. */
export type TcpFlagsText = string | number;
/** IPv4 flags: 'DF', 'MF', 'DF+MF', 'evil' or the 3-bit number. */
export type IpFlagsText = string | number;

export interface IpFields {
  version?: number;
  ihl?: number;
  tos?: number;
  len?: number;
  id?: number;
  flags?: IpFlagsText;
  frag?: number;
  ttl?: number;
  proto?: number;
  chksum?: number;
  src?: string;
  dst?: string;
  options?: Uint8Array;
}

/** scapy's IPv6 field names; `ext` lists extension headers (src/wire/ipv6.ts), lengths and next headers filled. */
export interface Ipv6Fields {
  version?: number;
  tc?: number;
  fl?: number;
  plen?: number;
  nh?: number;
  hlim?: number;
  src?: string;
  dst?: string;
  ext?: readonly Ipv6ExtensionHeaderInit[];
}

/** ICMPv6 (any type); id and seq are bytes 4-7 as for echo. */
export interface Icmp6Fields {
  type?: number;
  code?: number;
  chksum?: number;
  id?: number;
  seq?: number;
}

export interface IcmpFields {
  type?: number;
  code?: number;
  chksum?: number;
  id?: number;
  seq?: number;
}

export interface TcpFields {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  dataofs?: number;
  reserved?: number;
  flags?: TcpFlagsText;
  window?: number;
  chksum?: number;
  urgptr?: number;
  options?: readonly TcpOption[];
}

export interface UdpFields {
  sport?: number;
  dport?: number;
  len?: number;
  chksum?: number;
}

export interface LayerFieldsOf {
  ip: IpFields;
  ipv6: Ipv6Fields;
  icmp: IcmpFields;
  icmp6: Icmp6Fields;
  tcp: TcpFields;
  udp: UdpFields;
  raw: { load?: Uint8Array };
}

export type Layer = { [K in LayerName]: { readonly name: K; readonly fields: Readonly<LayerFieldsOf[K]> } }[LayerName];

/** One field as `ls()` lists it: its name, what it is, and the default build() uses. */
export interface FieldDescription {
  readonly name: string;
  readonly type: string;
  /** The default, or a note such as '(computed)' when build() derives it. */
  readonly default: string;
}

const COMPUTED = '(computed)';

/** The fields of each layer, in wire order, with scapy's defaults. */
export const LAYER_FIELDS: { readonly [K in Exclude<LayerName, 'raw'>]: readonly FieldDescription[] } = {
  ip: [
    { name: 'version', type: '4 bits', default: '4' },
    { name: 'ihl', type: '4 bits', default: COMPUTED },
    { name: 'tos', type: 'byte', default: '0' },
    { name: 'len', type: 'short', default: COMPUTED },
    { name: 'id', type: 'short', default: '1' },
    { name: 'flags', type: "'DF' | 'MF' | 3 bits", default: '0' },
    { name: 'frag', type: '13 bits', default: '0' },
    { name: 'ttl', type: 'byte', default: '64' },
    { name: 'proto', type: 'byte', default: '(from the layer above)' },
    { name: 'chksum', type: 'short', default: COMPUTED },
    { name: 'src', type: 'IPv4 address', default: "'127.0.0.1' to 127/8, else '0.0.0.0' (send() asks the route)" },
    { name: 'dst', type: 'IPv4 address', default: "'127.0.0.1'" },
    { name: 'options', type: 'bytes', default: '(none)' },
  ],
  icmp: [
    { name: 'type', type: 'byte', default: '8 (echo-request)' },
    { name: 'code', type: 'byte', default: '0' },
    { name: 'chksum', type: 'short', default: COMPUTED },
    { name: 'id', type: 'short', default: '0' },
    { name: 'seq', type: 'short', default: '0' },
  ],
  tcp: [
    { name: 'sport', type: 'short', default: '20' },
    { name: 'dport', type: 'short', default: '80' },
    { name: 'seq', type: 'int', default: '0' },
    { name: 'ack', type: 'int', default: '0' },
    { name: 'dataofs', type: '4 bits', default: COMPUTED },
    { name: 'reserved', type: '3 bits', default: '0' },
    { name: 'flags', type: "'S' | 'SA' | ... | 9 bits", default: "'S'" },
    { name: 'window', type: 'short', default: '8192' },
    { name: 'chksum', type: 'short', default: COMPUTED },
    { name: 'urgptr', type: 'short', default: '0' },
    { name: 'options', type: 'TcpOption[]', default: '[]' },
  ],
  udp: [
    { name: 'sport', type: 'short', default: '53' },
    { name: 'dport', type: 'short', default: '53' },
    { name: 'len', type: 'short', default: COMPUTED },
    { name: 'chksum', type: 'short', default: COMPUTED },
  ],
  ipv6: [
    { name: 'version', type: '4 bits', default: '6' },
    { name: 'tc', type: 'byte', default: '0' },
    { name: 'fl', type: '20 bits', default: '0' },
    { name: 'plen', type: 'short', default: COMPUTED },
    { name: 'nh', type: 'byte', default: '(from the header above)' },
    { name: 'hlim', type: 'byte', default: '64' },
    { name: 'src', type: 'IPv6 address', default: "'::1' to ::1, else '::' (send() asks the route)" },
    { name: 'dst', type: 'IPv6 address', default: "'::1'" },
    { name: 'ext', type: 'Ipv6ExtensionHeaderInit[]', default: '[]' },
  ],
  icmp6: [
    { name: 'type', type: 'byte', default: '128 (echo-request)' },
    { name: 'code', type: 'byte', default: '0' },
    { name: 'chksum', type: 'short', default: COMPUTED },
    { name: 'id', type: 'short', default: '0' },
    { name: 'seq', type: 'short', default: '0' },
  ],
};

/** A mistake in what the user asked for (an unknown field, a bad flag letter): one line, no stack needed. */
export class LayerFieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerFieldError';
  }
}

const TCP_FLAG_LETTERS: Record<string, number> = {
  F: TcpFlag.FIN, S: TcpFlag.SYN, R: TcpFlag.RST, P: TcpFlag.PSH, A: TcpFlag.ACK, U: TcpFlag.URG, E: TcpFlag.ECE, C: TcpFlag.CWR, N: TcpFlag.NS,
};

export function tcpFlagsFromText(flags: TcpFlagsText): number {
  if (typeof flags === 'number') return flags;
  let value = 0;
  for (const letter of flags.toUpperCase()) {
    const bit = TCP_FLAG_LETTERS[letter];
    if (bit === undefined) throw new LayerFieldError(`tcp flags: '${letter}' is not one of F S R P A U E C N (e.g. 'S', 'SA', 'FA')`);
    value |= bit;
  }
  return value;
}

/** The scapy letters of a flags value ('SA'). */
export function tcpFlagsText(flags: number): string {
  return Object.entries(TCP_FLAG_LETTERS).filter(([, bit]) => flags & bit).map(([letter]) => letter).join('');
}

export function ipFlagsFromText(flags: IpFlagsText): number {
  if (typeof flags === 'number') return flags;
  let value = 0;
  for (const word of flags.split(/[+|, ]+/).filter(Boolean)) {
    const bit = { DF: 2, MF: 1, EVIL: 4 }[word.toUpperCase()];
    if (bit === undefined) throw new LayerFieldError(`ip flags: '${word}' is not DF, MF or evil`);
    value |= bit;
  }
  return value;
}

const utf8 = new TextEncoder();

export type PayloadInput = Uint8Array | string;

function payloadBytes(data: PayloadInput): Uint8Array {
  if (typeof data === 'string') return utf8.encode(data);
  if (data instanceof Uint8Array) return data;
  // A number here used to reach the ICMP builder as a "payload" of undefined length (RangeError: offset is out of bounds).
  throw new LayerFieldError(`payload must be text or a Uint8Array, not ${describeValue(data)} (for N zero bytes: payload(new Uint8Array(N)))`);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** The largest value of a numeric field, from the width ls() shows ('byte', 'short', 'int', '13 bits'). */
function maximumOf(type: string): number | undefined {
  if (type === 'byte') return 0xff;
  if (type === 'short') return 0xffff;
  if (type === 'int') return 0xffff_ffff;
  const bits = /^(\d+) bits$/.exec(type);
  return bits ? 2 ** Number(bits[1]) - 1 : undefined;
}

/**
 * Every field checked when the layer is made, so a wrong value is one line
 * naming the field, not a RangeError or TypeError from deep in a builder.
 * Addresses are only checked for being text: dst may be a host name that
 * send() resolves (build() says so if it is not an address).
 */
function checkFields(layer: Exclude<LayerName, 'raw'>, fields: object): void {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new LayerFieldError(`${layer}() takes an object of fields, e.g. ${layer}({ ${LAYER_FIELDS[layer][0].name}: ... }), not ${describeValue(fields)}`);
  }
  const known = LAYER_FIELDS[layer];
  for (const [name, value] of Object.entries(fields)) {
    const field = known.find((f) => f.name === name);
    if (!field) {
      throw new LayerFieldError(`${layer} has no field '${name}'; its fields: ${known.map((f) => f.name).join(', ')}`);
    }
    if (value === undefined) continue;
    const wrong = (what: string) => new LayerFieldError(`${layer}.${name} must be ${what}, not ${describeValue(value)}`);
    switch (name) {
      case 'src':
      case 'dst':
        if (typeof value !== 'string') throw wrong(`an ${layer === 'ipv6' ? 'IPv6' : 'IPv4'} address as text`);
        continue;
      case 'flags': {
        const maximum = layer === 'tcp' ? 0x1ff : 7;
        if (typeof value === 'string') continue; // letters checked by the layer (tcpFlagsFromText, ipFlagsFromText)
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > maximum) {
          throw wrong(`${layer === 'tcp' ? "letters ('S', 'SA')" : "'DF', 'MF', 'evil'"} or an integer 0-${maximum}`);
        }
        continue;
      }
      case 'options':
        if (layer === 'ip' && !(value instanceof Uint8Array)) throw wrong('a Uint8Array (the option bytes)');
        if (layer === 'tcp' && !(Array.isArray(value) && value.every((o) => typeof o === 'object' && o !== null && typeof o.kind === 'string'))) {
          throw wrong("an array of TCP options ({ kind: 'mss', value: 1460 }, ...)");
        }
        continue;
      case 'ext':
        if (!(Array.isArray(value) && value.every((h) => typeof h === 'object' && h !== null && typeof h.kind === 'string'))) {
          throw wrong("an array of extension headers ({ kind: 'fragment', ... }, ...)");
        }
        continue;
      default: {
        const maximum = maximumOf(field.type);
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (maximum !== undefined && value > maximum)) {
          throw wrong(`an integer 0-${maximum ?? 'max'} (${field.type})`);
        }
      }
    }
  }
}

function defaultSource(destination: string): string {
  return destination.startsWith('127.') ? '127.0.0.1' : '0.0.0.0';
}

function defaultSource6(destination: string): string {
  return destination === '::1' ? '::1' : '::';
}

/** The network layer each transport goes above. */
const NETWORK_OF: Partial<Record<LayerName, 'ip' | 'ipv6'>> = { icmp: 'ip', icmp6: 'ipv6' };

/**
 * A packet: its layers from the bottom up. Subclasses (the lab's packets with
 * show() and summary()) get their own kind back from every method through
 * `derive`.
 */
export class Packet {
  readonly layers: readonly Layer[];
  /** The bytes as received, for a parsed packet: build() returns them unchanged. */
  readonly received: Uint8Array | undefined;

  constructor(layers: readonly Layer[], received?: Uint8Array) {
    this.layers = layers;
    this.received = received;
  }

  /** A packet of this packet's class with other layers. */
  protected derive(layers: readonly Layer[]): this {
    const Kind = this.constructor as new (layers: readonly Layer[]) => this;
    return new Kind(layers);
  }

  private above(layer: Layer): this {
    const top = this.layers[this.layers.length - 1];
    if (top?.name === 'raw') throw new LayerFieldError(`nothing goes above the payload: put .${layer.name}() before .payload()`);
    if (layer.name !== 'raw' && top) {
      const below = NETWORK_OF[layer.name];
      if (below !== undefined ? top.name !== below : top.name !== 'ip' && top.name !== 'ipv6') {
        throw new LayerFieldError(`${layer.name} goes above ${below ?? 'ip or ipv6'}, not above ${top.name}`);
      }
    }
    return this.derive([...this.layers, layer]);
  }

  /** The IPv4 layer: the bottom of a packet (ip() is the usual way to start one). */
  ip(fields: IpFields = {}): this {
    checkFields('ip', fields);
    if (fields.flags !== undefined) ipFlagsFromText(fields.flags);
    if (this.layers.length) throw new LayerFieldError('ip goes at the bottom: start with ip(...) and add the layers above it');
    return this.derive([{ name: 'ip', fields: { ...fields } }]);
  }

  /** The IPv6 layer: the bottom of a packet (ipv6() is the usual way to start one). */
  ipv6(fields: Ipv6Fields = {}): this {
    checkFields('ipv6', fields);
    if (this.layers.length) throw new LayerFieldError('ipv6 goes at the bottom: start with ipv6(...) and add the layers above it');
    return this.derive([{ name: 'ipv6', fields: { ...fields } }]);
  }

  /** ICMPv6 above ipv6 (echo request by default); its checksum covers the IPv6 pseudo-header. */
  icmp6(fields: Icmp6Fields = {}): this {
    checkFields('icmp6', fields);
    return this.above({ name: 'icmp6', fields: { ...fields } });
  }

  icmp(fields: IcmpFields = {}): this {
    checkFields('icmp', fields);
    return this.above({ name: 'icmp', fields: { ...fields } });
  }

  tcp(fields: TcpFields = {}): this {
    checkFields('tcp', fields);
    if (fields.flags !== undefined) tcpFlagsFromText(fields.flags);
    return this.above({ name: 'tcp', fields: { ...fields } });
  }

  udp(fields: UdpFields = {}): this {
    checkFields('udp', fields);
    return this.above({ name: 'udp', fields: { ...fields } });
  }

  /** The bytes above the last header (scapy's Raw): text as UTF-8, or bytes. */
  payload(data: PayloadInput): this {
    return this.above({ name: 'raw', fields: { load: payloadBytes(data) } });
  }

  /** The layer's fields as set (no defaults), or undefined when the packet has no such layer. */
  layer<K extends LayerName>(name: K): Readonly<LayerFieldsOf[K]> | undefined {
    return this.layers.find((l) => l.name === name)?.fields as Readonly<LayerFieldsOf[K]> | undefined;
  }

  /** A copy with some fields of one layer changed (scapy's `p[IP].ttl = 1`, without mutation). */
  with<K extends Exclude<LayerName, 'raw'>>(name: K, fields: LayerFieldsOf[K]): this {
    checkFields(name, fields);
    const index = this.layers.findIndex((l) => l.name === name);
    if (index < 0) throw new LayerFieldError(`the packet has no ${name} layer (it has ${this.layers.map((l) => l.name).join(', ')})`);
    return this.derive(this.layers.map((l, i) => (i === index ? ({ name, fields: { ...l.fields, ...fields } } as Layer) : l)));
  }

  /** Payload bytes (the raw layer), empty when there is none. */
  get load(): Uint8Array {
    return (this.layer('raw')?.load as Uint8Array | undefined) ?? new Uint8Array(0);
  }

  /** The packet's bytes: defaults filled, lengths and checksums computed unless set. */
  build(): Uint8Array {
    if (this.received) return this.received;
    try {
      return buildLayers(this.layers);
    } catch (error) {
      // The wire builders check what no single field shows (an address that is
      // not one, options longer than ihl allows, a payload over 65535 bytes):
      // the user's values, so reported as their mistake, in the builder's words.
      if (error instanceof RangeError) throw new LayerFieldError(`cannot build ${this.toString()}: ${error.message}`);
      throw error;
    }
  }

  /** Short scapy-like repr: `ip(dst=127.0.0.1) / icmp(id=4660, seq=1) / raw(2 bytes)`. */
  toString(): string {
    return this.layers
      .map((l) => {
        if (l.name === 'raw') return `raw(${l.fields.load?.length ?? 0} bytes)`;
        const set = Object.entries(l.fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v instanceof Uint8Array ? `${v.length} bytes` : String(v)}`);
        return `${l.name}(${set.join(', ')})`;
      })
      .join(' / ');
  }
}

/** Bytes 4-7 from id and seq. */
function idSeqBytes(id: number | undefined, seq: number | undefined): Uint8Array {
  const rest = new Uint8Array(4);
  rest[0] = (id ?? 0) >>> 8;
  rest[1] = (id ?? 0) & 0xff;
  rest[2] = (seq ?? 0) >>> 8;
  rest[3] = (seq ?? 0) & 0xff;
  return rest;
}

function buildTransport(layer: Layer | undefined, payload: Uint8Array, source: string, destination: string): Uint8Array {
  if (layer === undefined) return payload;
  const pseudo = { source, destination };
  switch (layer.name) {
    case 'icmp6': {
      const f = layer.fields;
      return buildIcmpv6(
        { kind: 'other', type: f.type ?? Icmpv6Type.EchoRequest, code: f.code ?? 0, restOfHeader: idSeqBytes(f.id, f.seq), payload, checksum: f.chksum },
        pseudo,
      );
    }
    case 'icmp': {
      const f = layer.fields;
      const rest = idSeqBytes(f.id, f.seq);
      // 'other' writes type, code and bytes 4-7 as given, whatever the type: any ICMP message can be built.
      return buildIcmp({ kind: 'other', type: f.type ?? IcmpType.EchoRequest, code: f.code ?? 0, restOfHeader: rest, payload, checksum: f.chksum });
    }
    case 'tcp': {
      const f = layer.fields;
      return buildTcp(
        {
          sourcePort: f.sport ?? 20,
          destinationPort: f.dport ?? 80,
          sequenceNumber: f.seq ?? 0,
          acknowledgmentNumber: f.ack ?? 0,
          dataOffset: f.dataofs,
          reserved: f.reserved ?? 0,
          flags: tcpFlagsFromText(f.flags ?? 'S'),
          window: f.window ?? 8192,
          checksum: f.chksum,
          urgentPointer: f.urgptr ?? 0,
          options: f.options ?? [],
          payload,
        },
        pseudo,
      );
    }
    case 'udp': {
      const f = layer.fields;
      return buildUdp({ sourcePort: f.sport ?? 53, destinationPort: f.dport ?? 53, length: f.len, checksum: f.chksum, payload }, pseudo);
    }
    default:
      return payload;
  }
}

const PROTOCOL_OF: Record<string, number> = { icmp: IpProtocol.ICMP, icmp6: IpProtocol.ICMPv6, tcp: IpProtocol.TCP, udp: IpProtocol.UDP };

function buildLayers(layers: readonly Layer[]): Uint8Array {
  const raw = layers.find((l) => l.name === 'raw');
  const payload = raw?.name === 'raw' ? (raw.fields.load ?? new Uint8Array(0)) : new Uint8Array(0);
  const transport = layers.find((l) => l.name === 'icmp' || l.name === 'icmp6' || l.name === 'tcp' || l.name === 'udp');
  const bottom = layers[0];
  if (bottom?.name === 'ipv6') {
    const f = bottom.fields;
    const destination = f.dst ?? '::1';
    const source = f.src ?? defaultSource6(destination);
    const body = buildTransport(transport, payload, source, destination);
    return buildIpv6(
      {
        version: f.version ?? 6,
        trafficClass: f.tc ?? 0,
        flowLabel: f.fl ?? 0,
        payloadLength: f.plen,
        nextHeader: f.nh,
        hopLimit: f.hlim ?? 64,
        // scapy's IPv6 alone says "no next header" (59); with a layer above, that layer's number.
        protocol: transport ? PROTOCOL_OF[transport.name] : IpProtocol.IPv6NoNextHeader,
        source,
        destination,
        extensionHeaders: f.ext,
      },
      body,
    );
  }
  const ip = layers.find((l) => l.name === 'ip');
  if (ip?.name !== 'ip') {
    if (transport && transport.name !== 'icmp' && transport.fields.chksum === undefined) {
      throw new LayerFieldError(`${transport.name} needs an ${transport.name === 'icmp6' ? 'ipv6' : 'ip'} layer below it for its checksum (or set chksum)`);
    }
    return buildTransport(transport, payload, '0.0.0.0', '0.0.0.0');
  }
  const f = ip.fields;
  const destination = f.dst ?? '127.0.0.1';
  const source = f.src ?? defaultSource(destination);
  const body = buildTransport(transport, payload, source, destination);
  const header: Ipv4HeaderInit = {
    version: f.version ?? 4,
    ihl: f.ihl,
    tos: f.tos ?? 0,
    totalLength: f.len,
    identification: f.id ?? 1,
    flags: ipFlagsFromText(f.flags ?? 0),
    fragmentOffset: f.frag ?? 0,
    ttl: f.ttl ?? 64,
    // scapy's IP alone carries protocol 0 ("hopopt"); with a layer above, that layer's number.
    protocol: f.proto ?? (transport ? PROTOCOL_OF[transport.name] : 0),
    checksum: f.chksum,
    source,
    destination,
    options: f.options,
  };
  return buildIpv4(header, body);
}

/** An IPv4 packet; add the layers above with .icmp(), .tcp(), .udp() and .payload(). */
export function ip(fields: IpFields = {}): Packet {
  return new Packet([]).ip(fields);
}

/** An IPv6 packet; add the layers above with .icmp6(), .tcp(), .udp() and .payload(). */
export function ipv6(fields: Ipv6Fields = {}): Packet {
  return new Packet([]).ipv6(fields);
}

/** An ICMPv6 message without an IPv6 layer (what a raw ICMPv6 socket sends): set chksum, or put it on ipv6() to get it computed. */
export function icmp6(fields: Icmp6Fields = {}): Packet {
  return new Packet([]).icmp6(fields);
}

/** An ICMP message without an IP layer (what a raw ICMP socket sends without IP_HDRINCL). */
export function icmp(fields: IcmpFields = {}): Packet {
  return new Packet([]).icmp(fields);
}

/** A TCP segment without an IP layer: set chksum, or put it on ip() to get it computed. */
export function tcp(fields: TcpFields = {}): Packet {
  return new Packet([]).tcp(fields);
}

/** A UDP datagram without an IP layer: set chksum, or put it on ip() to get it computed. */
export function udp(fields: UdpFields = {}): Packet {
  return new Packet([]).udp(fields);
}

/** The layers of an IPv6 packet: the header (extension headers in `ext`), then the upper layer as for IPv4. */
function parseIpv6Layers(bytes: Uint8Array): Layer[] {
  const view = new Ipv6View();
  if (view.point(bytes) !== undefined || view.missingLength > 0 || view.extensionError !== undefined) return [{ name: 'raw', fields: { load: bytes } }];
  const ext = ipv6ExtensionHeadersOf(view);
  const layers: Layer[] = [
    {
      name: 'ipv6',
      fields: {
        version: view.version, tc: view.trafficClass, fl: view.flowLabel, plen: view.payloadLength, nh: view.nextHeader, hlim: view.hopLimit,
        src: view.source, dst: view.destination, ...(ext.length ? { ext } : {}),
      },
    },
  ];
  const body = view.upperLayer;
  if (!view.hasUpperLayerHeader) return [...layers, ...rawLayer(body)];
  if (view.upperLayerProtocol === IpProtocol.ICMPv6 && body.length >= 8) {
    const fields = { type: body[0], code: body[1], chksum: (body[2] << 8) | body[3], id: (body[4] << 8) | body[5], seq: (body[6] << 8) | body[7] };
    return [...layers, { name: 'icmp6', fields }, ...rawLayer(body.subarray(8))];
  }
  return [...layers, ...transportLayers(view.upperLayerProtocol, body)];
}

function rawLayer(load: Uint8Array): Layer[] {
  return load.length ? [{ name: 'raw', fields: { load } }] : [];
}

/**
 * The layers of an IPv4 or IPv6 datagram as received. Never throws: what does
 * not parse stays as a raw payload, and build() gives the bytes back unchanged.
 */
export function parseLayers(bytes: Uint8Array): Layer[] {
  if (bytes.length > 0 && bytes[0] >>> 4 === 6) return parseIpv6Layers(bytes);
  const parsed = parseIpv4(bytes);
  if (!parsed.ok) return [{ name: 'raw', fields: { load: bytes } }];
  const p = parsed.value;
  const flags = (p.flags.reserved ? 4 : 0) | (p.flags.dontFragment ? 2 : 0) | (p.flags.moreFragments ? 1 : 0);
  const layers: Layer[] = [
    {
      name: 'ip',
      fields: {
        version: p.version, ihl: p.ihl, tos: (p.dscp << 2) | p.ecn, len: p.totalLength, id: p.identification, flags, frag: p.fragmentOffset,
        ttl: p.ttl, proto: p.protocol, chksum: p.checksum, src: p.source, dst: p.destination, ...(p.options.length ? { options: p.options } : {}),
      },
    },
  ];
  const body = p.payload;
  if (p.fragmentOffset !== 0) return [...layers, ...rawLayer(body)];
  if (p.protocol === IpProtocol.ICMP && body.length >= 8) {
    const m = parseIcmp(body);
    if (m.ok) {
      const id = (body[4] << 8) | body[5];
      const seq = (body[6] << 8) | body[7];
      return [...layers, { name: 'icmp', fields: { type: body[0], code: body[1], chksum: m.value.checksum, id, seq } }, ...rawLayer(body.subarray(8))];
    }
  }
  return [...layers, ...transportLayers(p.protocol, body)];
}

/** TCP or UDP and what they carry, or the body raw. */
function transportLayers(protocol: number, body: Uint8Array): Layer[] {
  if (protocol === IpProtocol.TCP) {
    const t = parseTcp(body);
    if (t.ok) {
      const s = t.value;
      return [
        {
          name: 'tcp',
          fields: {
            sport: s.sourcePort, dport: s.destinationPort, seq: s.sequenceNumber, ack: s.acknowledgmentNumber, dataofs: s.dataOffset,
            reserved: s.reserved, flags: tcpFlagsText(s.flags), window: s.window, chksum: s.checksum, urgptr: s.urgentPointer, options: s.options,
          },
        },
        ...rawLayer(s.payload),
      ];
    }
  }
  if (protocol === IpProtocol.UDP) {
    const u = parseUdp(body);
    if (u.ok) {
      const d = u.value;
      return [{ name: 'udp', fields: { sport: d.sourcePort, dport: d.destinationPort, len: d.length, chksum: d.checksum } }, ...rawLayer(d.payload)];
    }
  }
  return rawLayer(body);
}

/** A received IPv4 or IPv6 datagram as a packet whose layers can be read; see parseLayers. */
export function parsePacket(bytes: Uint8Array): Packet {
  return new Packet(parseLayers(bytes), bytes);
}

