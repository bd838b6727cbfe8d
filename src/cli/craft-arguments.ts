// craft's command line: the protocol, then any header field by name. Numbers
// take decimal, 0x hex, 0o or 0b; a field given is used exactly as given,
// even when wrong (a checksum, a length, a data offset). TCP options go into
// the header in the order they appear on the command line.

import { parseArgs } from 'node:util';
import { type CraftLinkType, type CraftProtocol, type CraftRequest, type CraftedIpFields } from '../crafting/craft-request.ts';
import { packStructArguments, StructArgumentError, type PackedStruct } from '../crafting/struct-values.ts';
import { IcmpType, patternFill } from '../wire/icmp.ts';
import { Icmpv6Type } from '../wire/icmpv6.ts';
import { parseIpv4Address } from '../wire/ipv4-address.ts';
import { parseIpv6Address } from '../wire/ipv6-address.ts';
import { TCP_FLAG_NAMES, TcpFlag, type TcpOption } from '../wire/tcp.ts';
import { parseNumberOption, UsageError } from './run-cli.ts';

export const CRAFT_USAGE = `Usage: craft icmp|icmp6|tcp|udp [-4|-6] [fields] [views] [-w FILE] [--send HOST [--hdrincl] [--show-wire] [--wait S]]

Builds one packet from its fields and shows it (the field tree by default).
Numbers: decimal, 0x.. hex, 0o.., 0b... A field you give is kept as given,
even a wrong checksum or length; the rest are computed.

Family: icmp is IPv4 and icmp6 IPv6; tcp and udp take -4|--ipv4 or -6|--ipv6, else the family
        of an address given (--dst fd00::2 is IPv6), else IPv4
IPv4:   --src ADDR  --dst ADDR (default: the --send host, else 127.0.0.1)
        --ttl N (64)  --ip-id N (0)  --tos N (0)  --df  --ip-flags N  --frag-offset N
        --ip-checksum N  --ip-length N
IPv6:   --src ADDR  --dst ADDR (default: the --send host, else ::1)  --hop-limit N (or --ttl; 64)
        --traffic-class N (or --tos; 0)  --flow-label N (0)  --payload-length N
ICMPv6: as ICMP (icmp6), with --type echo-request|echo-reply|unreachable|packet-too-big|
        time-exceeded|parameter-problem|neighbor-solicitation|router-solicitation|... (echo-request)
ICMP:   --type N|echo-request|echo-reply|timestamp|... (echo-request)  --code N (0)
        --id N (0)  --seq N (0)  --checksum N
        data: --payload TEXT | --payload-hex HEX | --pattern HEX [--size N] | --size N
              | --struct FORMAT VALUE...   (Python struct format, e.g. --struct '!QQ' 0x48656c6c6f 0x20776f726c6421)
TCP:    --sport N (40000)  --dport N (80)  --seq N (0)  --ack N (0)  --flags SA|syn,ack|0x12 (S)
        --window N (64240)  --urg N (0)  --data-offset N  --reserved N  --checksum N
        options, in the order given: --mss N  --wscale N  --sackok  --ts VAL[:ECR]  --nop  --eol
        data: --data TEXT | --data-hex HEX
UDP:    --sport N (40000)  --dport N (33434)  --length N (8 + data)  --checksum N (0: none)
        data: --data TEXT | --data-hex HEX
        (TCP and UDP take --id as the IP identification)
Views:  -V (tree; the default when no other view is asked for)  -x  --diagram  --json
        --checksum (not followed by a number: the RFC 1071 walkthrough, as in dissect)
Output: -w FILE [--link raw|ethernet]   write the packet to a pcap; with --send, the packet as
                                        captured leaving and its answer (the capture's link type)
Send:   --send HOST   through a raw socket (root or CAP_NET_RAW); the kernel builds the IPv4 header
        --hdrincl     build the IPv4 header here and send it with IP_HDRINCL
        --show-wire   capture the packet as it leaves and show built vs sent: every field the
                      kernel filled or changed (also shown with -w)
        --wait S      seconds to wait for the answer (2): an echo reply with the same id/seq, a TCP
                      segment or UDP datagram from HOST:dport to our sport, or an ICMP error
                      quoting the packet (a port unreachable)
`;

export interface CraftOptions {
  readonly request: CraftRequest;
  /** The --dst given, or undefined when it comes from --send (resolved later) or defaults. */
  readonly destinationGiven: boolean;
  readonly sourceGiven: boolean;
  readonly views: { readonly tree: boolean; readonly hex: boolean; readonly diagram: boolean; readonly checksum: boolean };
  readonly json: boolean;
  readonly write?: string;
  readonly link: CraftLinkType;
  readonly send?: string;
  readonly headerIncluded: boolean;
  /** Capture the packet as it leaves and show built vs sent (also done by -w with --send). */
  readonly showWire: boolean;
  readonly waitMs: number;
}

export type CraftArguments = { readonly help: true } | ({ readonly help: false } & CraftOptions);

/** craft's options: what the parser reads and shell completion offers. */
export const CRAFT_OPTIONS = {
  src: { type: 'string' },
  dst: { type: 'string' },
  ttl: { type: 'string' },
  'ip-id': { type: 'string' },
  tos: { type: 'string' },
  df: { type: 'boolean' },
  'ip-flags': { type: 'string' },
  'frag-offset': { type: 'string' },
  'ip-checksum': { type: 'string' },
  'ip-length': { type: 'string' },
  type: { type: 'string' },
  code: { type: 'string' },
  id: { type: 'string' },
  seq: { type: 'string' },
  checksum: { type: 'string' },
  payload: { type: 'string' },
  'payload-hex': { type: 'string' },
  pattern: { type: 'string' },
  size: { type: 'string' },
  struct: { type: 'string' },
  sport: { type: 'string' },
  dport: { type: 'string' },
  ack: { type: 'string' },
  flags: { type: 'string' },
  window: { type: 'string' },
  urg: { type: 'string' },
  'data-offset': { type: 'string' },
  reserved: { type: 'string' },
  mss: { type: 'string' },
  wscale: { type: 'string' },
  sackok: { type: 'boolean' },
  ts: { type: 'string' },
  nop: { type: 'boolean' },
  eol: { type: 'boolean' },
  data: { type: 'string' },
  'data-hex': { type: 'string' },
  length: { type: 'string' },
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  'hop-limit': { type: 'string' },
  'traffic-class': { type: 'string' },
  'flow-label': { type: 'string' },
  'payload-length': { type: 'string' },
  verbose: { type: 'boolean', short: 'V' },
  hex: { type: 'boolean', short: 'x' },
  diagram: { type: 'boolean' },
  'show-checksum': { type: 'boolean' },
  json: { type: 'boolean' },
  write: { type: 'string', short: 'w' },
  link: { type: 'string' },
  send: { type: 'string' },
  hdrincl: { type: 'boolean' },
  'show-wire': { type: 'boolean' },
  wait: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const PROTOCOLS: readonly CraftProtocol[] = ['icmp', 'icmp6', 'tcp', 'udp'];

/** Options that belong to some packet kinds only; any other option fits every kind. */
const FIELDS_OF: Record<CraftProtocol, readonly (keyof typeof CRAFT_OPTIONS)[]> = {
  icmp: ['type', 'code', 'payload', 'payload-hex', 'pattern', 'size', 'struct', 'seq'],
  icmp6: ['type', 'code', 'payload', 'payload-hex', 'pattern', 'size', 'struct', 'seq'],
  tcp: ['sport', 'dport', 'seq', 'ack', 'flags', 'window', 'urg', 'data-offset', 'reserved', 'mss', 'wscale', 'sackok', 'ts', 'nop', 'eol', 'data', 'data-hex'],
  udp: ['sport', 'dport', 'length', 'data', 'data-hex'],
};
const KIND_SPECIFIC = new Set(Object.values(FIELDS_OF).flat());

/** The packet kinds an option belongs to, e.g. "tcp and udp". */
function kindsOf(name: keyof typeof CRAFT_OPTIONS): string {
  const kinds = PROTOCOLS.filter((p) => FIELDS_OF[p].includes(name));
  return kinds.length === 1 ? kinds[0] : `${kinds.slice(0, -1).join(', ')} and ${kinds[kinds.length - 1]}`;
}

/** Header fields of one IP version only. */
const IPV4_ONLY = ['ip-id', 'df', 'ip-flags', 'frag-offset', 'ip-checksum', 'ip-length'] as const;
const IPV6_ONLY = ['flow-label', 'payload-length'] as const;

const ICMPV6_TYPE_NAMES: Record<string, number> = {
  'echo-request': Icmpv6Type.EchoRequest,
  echo: Icmpv6Type.EchoRequest,
  request: Icmpv6Type.EchoRequest,
  'echo-reply': Icmpv6Type.EchoReply,
  reply: Icmpv6Type.EchoReply,
  unreachable: Icmpv6Type.DestinationUnreachable,
  'destination-unreachable': Icmpv6Type.DestinationUnreachable,
  'packet-too-big': Icmpv6Type.PacketTooBig,
  'time-exceeded': Icmpv6Type.TimeExceeded,
  'parameter-problem': Icmpv6Type.ParameterProblem,
  'router-solicitation': Icmpv6Type.RouterSolicitation,
  'router-advertisement': Icmpv6Type.RouterAdvertisement,
  'neighbor-solicitation': Icmpv6Type.NeighborSolicitation,
  'neighbor-advertisement': Icmpv6Type.NeighborAdvertisement,
  redirect: Icmpv6Type.Redirect,
};

const ICMP_TYPE_NAMES: Record<string, number> = {
  'echo-reply': IcmpType.EchoReply,
  reply: IcmpType.EchoReply,
  unreachable: IcmpType.DestinationUnreachable,
  'destination-unreachable': IcmpType.DestinationUnreachable,
  'source-quench': IcmpType.SourceQuench,
  redirect: IcmpType.Redirect,
  'echo-request': IcmpType.EchoRequest,
  echo: IcmpType.EchoRequest,
  request: IcmpType.EchoRequest,
  'time-exceeded': IcmpType.TimeExceeded,
  'parameter-problem': IcmpType.ParameterProblem,
  timestamp: IcmpType.Timestamp,
  'timestamp-reply': IcmpType.TimestampReply,
  'address-mask-request': IcmpType.AddressMaskRequest,
  'address-mask-reply': IcmpType.AddressMaskReply,
};

/** An unsigned field value: decimal, 0x, 0o or 0b, within `bits` bits. */
export function parseFieldValue(name: string, text: string, bits: number): number {
  const trimmed = text.trim();
  if (!/^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.test(trimmed)) throw new UsageError(`--${name}: '${text}' is not a number`);
  const value = Number(trimmed);
  const max = 2 ** bits - 1;
  if (!Number.isSafeInteger(value) || value > max) throw new UsageError(`--${name}: ${text} does not fit in ${bits} bits (0..${max})`);
  return value;
}

export function parseHexBytes(name: string, text: string): Uint8Array {
  const clean = text.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new UsageError(`--${name}: '${text}' is not hex bytes (two digits a byte, e.g. 48656c6c6f)`);
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

// What --flags accepts, from the wire's one flag table: its letters (C for
// CWR, as hping3 and scapy write it) and names, plus tcpdump's '.' for ACK and
// N / ns for bit 8 (the AE bit's old name, which shares a letter with ACK).
const FLAG_LETTERS: Record<string, number> = {
  ...Object.fromEntries(TCP_FLAG_NAMES.filter((flag) => flag.bit !== TcpFlag.AE).map((flag) => [flag.letter, flag.bit])),
  '.': TcpFlag.ACK,
  N: TcpFlag.NS,
};
const FLAG_NAMES: Record<string, number> = {
  ...Object.fromEntries(TCP_FLAG_NAMES.map((flag) => [flag.name.toLowerCase(), flag.bit])),
  ns: TcpFlag.NS,
};

/** "SA", "syn,ack", "0x12", "none": the 9-bit flags value. */
export function parseTcpFlags(text: string): number {
  if (/^(none|0)$/i.test(text)) return 0;
  if (/^(0x[0-9a-f]+|0b[01]+|\d+)$/i.test(text)) return parseFieldValue('flags', text, 9);
  if (/[,]/.test(text) || /^[a-z]{2,}$/i.test(text) && FLAG_NAMES[text.toLowerCase()] !== undefined) {
    let flags = 0;
    for (const name of text.split(/[,+|]/)) {
      const bit = FLAG_NAMES[name.trim().toLowerCase()];
      if (bit === undefined) throw new UsageError(`--flags: unknown flag '${name}' (fin, syn, rst, psh, ack, urg, ece, cwr, ns/ae)`);
      flags |= bit;
    }
    return flags;
  }
  let flags = 0;
  for (const letter of text) {
    const bit = FLAG_LETTERS[letter.toUpperCase()] ?? FLAG_LETTERS[letter];
    if (bit === undefined) throw new UsageError(`--flags: unknown flag letter '${letter}' (F S R P A U E C N, or names like syn,ack)`);
    flags |= bit;
  }
  return flags;
}

function checkAddress(name: string, text: string, version: 4 | 6): string {
  try {
    if (version === 4) parseIpv4Address(text);
    else parseIpv6Address(text);
  } catch {
    throw new UsageError(`--${name}: '${text}' is not an IPv${version} address`);
  }
  return text;
}

const looksIpv6 = (text: string | undefined): boolean => text !== undefined && text.includes(':');

/**
 * The IP version: icmp is IPv4 and icmp6 IPv6; otherwise -4/-6, else the
 * family of an address literal given (--dst, --src, --send), else IPv4.
 */
function ipVersion(protocol: CraftProtocol, values: { ipv4?: boolean; ipv6?: boolean; dst?: string; src?: string; send?: string }): 4 | 6 {
  if (values.ipv4 && values.ipv6) throw new UsageError('give -4 or -6, not both');
  if (protocol === 'icmp' || protocol === 'icmp6') {
    const version = protocol === 'icmp' ? 4 : 6;
    if ((version === 4 && values.ipv6) || (version === 6 && values.ipv4)) {
      throw new UsageError(`${protocol} is ${version === 4 ? 'ICMP for IPv4: use icmp6 for IPv6' : 'ICMPv6, for IPv6 only: use icmp for IPv4'}`);
    }
    return version;
  }
  if (values.ipv4) return 4;
  if (values.ipv6) return 6;
  return looksIpv6(values.dst) || looksIpv6(values.src) || looksIpv6(values.send) ? 6 : 4;
}

/**
 * `--checksum` is both a field (--checksum 0xdead) and, as in dissect, the
 * walkthrough view (--checksum alone): followed by a number it is the field.
 */
function separateChecksumView(args: readonly string[]): string[] {
  return args.map((arg, i) => (arg === '--checksum' && !/^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.test(args[i + 1] ?? '') ? '--show-checksum' : arg));
}

export function parseCraftArguments(args: readonly string[]): CraftArguments {
  let parsed;
  try {
    parsed = parseArgs({ args: separateChecksumView(args), options: CRAFT_OPTIONS, allowPositionals: true, tokens: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see craft -h)`);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return { help: true };
  const protocol = positionals[0];
  if (!PROTOCOLS.includes(protocol as CraftProtocol)) {
    throw new UsageError(
      protocol === undefined ? 'say which packet: craft icmp|icmp6|tcp|udp ... (see craft -h)' : `unknown packet kind '${protocol}': icmp, icmp6, tcp or udp`,
    );
  }
  const extra = positionals.slice(1);
  const given = (name: keyof typeof CRAFT_OPTIONS) => values[name] !== undefined;
  for (const name of KIND_SPECIFIC) {
    if (given(name) && !FIELDS_OF[protocol as CraftProtocol].includes(name)) throw new UsageError(`--${name} is for ${kindsOf(name)} packets`);
  }
  if (extra.length > 0 && !given('struct')) throw new UsageError(`unexpected argument '${extra[0]}' (values follow --struct FORMAT)`);

  const num = (name: keyof typeof CRAFT_OPTIONS, bits: number, fallback: number): number => {
    const text = values[name];
    return typeof text === 'string' ? parseFieldValue(name, text, bits) : fallback;
  };
  const optionalNum = (name: keyof typeof CRAFT_OPTIONS, bits: number): number | undefined => {
    const text = values[name];
    return typeof text === 'string' ? parseFieldValue(name, text, bits) : undefined;
  };

  const version = ipVersion(protocol as CraftProtocol, values);
  for (const name of version === 4 ? IPV6_ONLY : IPV4_ONLY) {
    if (given(name)) throw new UsageError(`--${name} is an IPv${version === 4 ? 6 : 4} header field (this packet is IPv${version})`);
  }
  if (given('ttl') && given('hop-limit')) throw new UsageError('give --ttl or --hop-limit, not both');
  if (given('tos') && given('traffic-class')) throw new UsageError('give --tos or --traffic-class, not both');
  const hops = num(given('hop-limit') ? 'hop-limit' : 'ttl', 8, 64);
  const tos = num(given('traffic-class') ? 'traffic-class' : 'tos', 8, 0);
  const loopback = version === 4 ? '127.0.0.1' : '::1';
  const source = values.src !== undefined ? checkAddress('src', values.src, version) : loopback;
  const destination = values.dst !== undefined ? checkAddress('dst', values.dst, version) : loopback;
  // --id is the echo identifier in ICMP; in TCP and UDP, which have none, it is the IP id.
  const ipIdName = (protocol === 'tcp' || protocol === 'udp') && version === 4 && given('id') && !given('ip-id') ? 'id' : 'ip-id';
  if (version === 6 && (protocol === 'tcp' || protocol === 'udp') && given('id')) throw new UsageError('--id: an IPv6 header has no identification');
  let ipFlags = num('ip-flags', 3, 0);
  if (values.df) ipFlags |= 2;
  const ip: CraftedIpFields =
    version === 4
      ? {
          version,
          source,
          destination,
          ttl: hops,
          identification: num(ipIdName, 16, 0),
          tos,
          flags: ipFlags,
          fragmentOffset: num('frag-offset', 13, 0),
          checksum: optionalNum('ip-checksum', 16),
          totalLength: optionalNum('ip-length', 16),
        }
      : { version, source, destination, hopLimit: hops, trafficClass: tos, flowLabel: num('flow-label', 20, 0), payloadLength: optionalNum('payload-length', 16) };
  // What fits in one datagram: 65535 - 20 - 8 over IPv4; over IPv6 the payload length excludes the 40-byte header.
  const maxPayload = version === 4 ? 65507 : 65527;
  const family = `an IPv${version} datagram (at most ${maxPayload})`;

  /** TCP's and UDP's data: --data TEXT or --data-hex HEX. */
  const dataPayload = (): Uint8Array => {
    if (given('data') && given('data-hex')) throw new UsageError('give --data or --data-hex, not both');
    if (values.data !== undefined) return new TextEncoder().encode(values.data);
    return values['data-hex'] !== undefined ? parseHexBytes('data-hex', values['data-hex']) : new Uint8Array(0);
  };

  let request: CraftRequest;
  if (protocol === 'icmp' || protocol === 'icmp6') {
    const sources = ['payload', 'payload-hex', 'pattern', 'struct'].filter((n) => given(n as keyof typeof CRAFT_OPTIONS));
    if (sources.length > 1) throw new UsageError(`give one of --payload, --payload-hex, --pattern, --struct (got ${sources.map((s) => `--${s}`).join(', ')})`);
    let payload: Uint8Array = new Uint8Array(0);
    let struct: PackedStruct | undefined;
    if (values.payload !== undefined) payload = new TextEncoder().encode(values.payload);
    else if (values['payload-hex'] !== undefined) payload = parseHexBytes('payload-hex', values['payload-hex']);
    else if (values.struct !== undefined) {
      try {
        struct = packStructArguments(values.struct, extra);
      } catch (error) {
        if (error instanceof StructArgumentError) throw new UsageError(`--struct: ${error.message}`);
        throw error;
      }
      payload = struct.bytes;
    }
    if (values.size !== undefined) {
      const size = parseNumberOption('--size', values.size, { min: 0, max: 65507 });
      if (values.pattern !== undefined) payload = patternFill(parseHexBytes('pattern', values.pattern), size);
      else if (sources.length === 0) payload = new Uint8Array(size);
      else throw new UsageError('--size goes with --pattern (or alone, for zero bytes)');
    } else if (values.pattern !== undefined) {
      payload = parseHexBytes('pattern', values.pattern);
    }
    // Checked here so a big --struct or --payload is one usage line.
    if (payload.length > maxPayload) {
      const from = sources.length > 0 ? `--${sources[0]}` : '--size';
      throw new UsageError(`${from}: an ${protocol === 'icmp' ? 'ICMP' : 'ICMPv6'} payload of ${payload.length} bytes does not fit in ${family}`);
    }
    const names = protocol === 'icmp' ? ICMP_TYPE_NAMES : ICMPV6_TYPE_NAMES;
    let type: number = protocol === 'icmp' ? IcmpType.EchoRequest : Icmpv6Type.EchoRequest;
    if (values.type !== undefined) {
      const named = names[values.type.toLowerCase()];
      type = named ?? parseFieldValue('type', values.type, 8);
    }
    const common = {
      type,
      code: num('code', 8, 0),
      identifier: num('id', 16, 0),
      sequence: num('seq', 16, 0),
      checksum: optionalNum('checksum', 16),
      payload,
    };
    request =
      protocol === 'icmp6'
        ? { protocol, ip: ip as Extract<CraftedIpFields, { version: 6 }>, ...common, ...(struct ? { struct } : {}) }
        : { protocol: 'icmp', ip: ip as Extract<CraftedIpFields, { version: 4 }>, ...common, ...(struct ? { struct } : {}) };
  } else if (protocol === 'udp') {
    const payload = dataPayload();
    if (payload.length > maxPayload) {
      throw new UsageError(`--${given('data') ? 'data' : 'data-hex'}: a UDP payload of ${payload.length} bytes does not fit in ${family}`);
    }
    request = {
      protocol: 'udp',
      ip,
      sourcePort: num('sport', 16, 40000),
      destinationPort: num('dport', 16, 33434),
      length: optionalNum('length', 16),
      checksum: optionalNum('checksum', 16),
      payload,
    };
  } else {
    const payload = dataPayload();
    const options: TcpOption[] = [];
    for (const token of tokens) {
      if (token.kind !== 'option') continue;
      const text = token.value ?? '';
      switch (token.name) {
        case 'mss':
          options.push({ kind: 'mss', value: parseFieldValue('mss', text, 16) });
          break;
        case 'wscale':
          options.push({ kind: 'window-scale', shift: parseFieldValue('wscale', text, 8) });
          break;
        case 'sackok':
          options.push({ kind: 'sack-permitted' });
          break;
        case 'ts': {
          const [value, echoReply = '0'] = text.split(':');
          options.push({ kind: 'timestamps', value: parseFieldValue('ts', value, 32), echoReply: parseFieldValue('ts', echoReply, 32) });
          break;
        }
        case 'nop':
          options.push({ kind: 'nop' });
          break;
        case 'eol':
          options.push({ kind: 'eol' });
          break;
      }
    }
    request = {
      protocol: 'tcp',
      ip,
      sourcePort: num('sport', 16, 40000),
      destinationPort: num('dport', 16, 80),
      sequenceNumber: num('seq', 32, 0),
      acknowledgmentNumber: num('ack', 32, 0),
      flags: values.flags !== undefined ? parseTcpFlags(values.flags) : TcpFlag.SYN,
      window: num('window', 16, 64240),
      urgentPointer: num('urg', 16, 0),
      reserved: num('reserved', 3, 0),
      dataOffset: optionalNum('data-offset', 4),
      checksum: optionalNum('checksum', 16),
      options,
      payload,
    };
  }

  const link = values.link ?? 'raw';
  if (link !== 'raw' && link !== 'ethernet') throw new UsageError(`--link: '${link}' is not raw or ethernet`);
  if (values.hdrincl && values.send === undefined) throw new UsageError('--hdrincl goes with --send');
  if (values['show-wire'] && values.send === undefined) throw new UsageError('--show-wire goes with --send');
  const tree = values.verbose ?? false;
  const views = {
    hex: values.hex ?? false,
    diagram: values.diagram ?? false,
    checksum: values['show-checksum'] ?? false,
  };
  return {
    help: false,
    request,
    destinationGiven: values.dst !== undefined,
    sourceGiven: values.src !== undefined,
    views: { ...views, tree: tree || !(views.hex || views.diagram || views.checksum) },
    json: values.json ?? false,
    ...(values.write !== undefined ? { write: values.write } : {}),
    link,
    ...(values.send !== undefined ? { send: values.send } : {}),
    headerIncluded: values.hdrincl ?? false,
    showWire: values['show-wire'] ?? false,
    waitMs: values.wait === undefined ? 2000 : parseNumberOption('--wait', values.wait, { min: 0, max: 3600, integer: false }) * 1000,
  };
}
