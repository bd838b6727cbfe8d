// What `tcp-probe` does (sudo tsx src/tcp-probe.ts [options] HOST -p PORTS).
//
// Sends one hand-built TCP segment per port (a SYN with MSS, SACK-permitted,
// timestamps and window scale by default; hping3-style switches craft
// anything else) and reports each port open, closed or filtered, as nmap.
import { isIPv4 } from 'node:net';
import { parsePort, parsePortList } from './port-list.ts';
import { interruption, parseCommandLine, parseNumberOption, UsageError } from './run-cli.ts';
import { type CommandEnv, type CommandIo, linePrinter, processEnv, writeText } from './command-io.ts';
import { recordPrinter } from './json-output.ts';
import { PrivilegedStart } from './privileged-start.ts';
import { type BuiltHeader, builtDatagram, ShowWire } from './show-wire.ts';
import { loadCapModule } from '../net/capture.ts';
import { PLAIN_STYLE } from '../render/terminal-style.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { runTcpProbe, type TcpProbeEvent, type TcpProbeStart, type TcpProbeSummary } from '../engine/tcp-probe.ts';
import { tcpHeaderLength, tcpSynOptions, TcpFlag, type TcpOption } from '../wire/tcp.ts';
import { interfaceForAddress, resolveHost, withoutScope, type AddressFamily } from '../net/routes.ts';
import { formatPortLine, formatProbeHeader, formatProbeSummary, PROBE_TABLE_HEADER } from '../render/tcp-probe-text.ts';
import { defaultMss, randomSequenceNumber } from '../engine/tcp-common.ts';

export const TCP_PROBE_USAGE = `Usage: tcp-probe [options] HOST -p PORTS

Sends one hand-built TCP segment per port through a raw socket (needs root or
CAP_NET_RAW) and reports each port: open (SYN-ACK, answered with a RST as nmap
does), closed (RST) or filtered (silence, or ICMP unreachable).

Options:
  -p, --ports PORTS     ports and ranges, e.g. 22,80,8000-8010 (required)
  -4, -6                IPv4 or IPv6 only (default: the address's family, or the name's first address)
  -S -A -F -R -P -U -E -C
                        flags SYN ACK FIN RST PSH URG ECE CWR (default: -S alone)
  --seq N               sequence number (default random)
  --ack N               acknowledgment number (default 0)
  --window N            window (default 64240)
  --ttl N               IP time to live
  --data TEXT           payload
  --no-options          no TCP options (a SYN gets MSS, SACK-permitted, timestamps, window scale)
  --mss N               MSS option value (default 1460)
  --wscale N            window scale option (default 7)
  --no-sack             leave SACK-permitted out
  --no-timestamps       leave the timestamps option out
  --badsum              send a wrong TCP checksum
  --source ADDR         IPv4 source address (default: the route's; another one means IP_HDRINCL)
  --sport PORT          source port (default random, 32768-60999)
  --hdrincl             build the IPv4 header here (IP_HDRINCL) instead of the kernel
  --ip-id N             IPv4 identification with --hdrincl (default random; 0: the kernel picks)
  -w, --timeout SECS    a fixed wait per attempt (default: adapted to the RTTs as
                        nmap does: 1 s at first, then SRTT + 4 RTTVAR, 0.1-10 s)
  --retries N           probes again to silent ports (default 1)
  --pcap FILE           record probes, replies and ICMP errors into a pcap file
  --show-wire           capture the first probe as it leaves and show built vs sent (every field
                        the kernel filled or changed)
  --json                one JSON object per port, then a summary
  -h, --help            this help

Exit status: 0 when any port answered, 1 when none did, 2 on errors.
`;

const FLAG_SWITCHES = [
  ['S', 'syn', TcpFlag.SYN],
  ['A', 'ack-flag', TcpFlag.ACK],
  ['F', 'fin', TcpFlag.FIN],
  ['R', 'rst', TcpFlag.RST],
  ['P', 'push', TcpFlag.PSH],
  ['U', 'urg', TcpFlag.URG],
  ['E', 'ece', TcpFlag.ECE],
  ['C', 'cwr', TcpFlag.CWR],
] as const;

/** The IPv4 total length field's limit, and the header without options (tcp-probe sends none). */
const MAX_IPV4_LENGTH = 65535;
const IPV4_HEADER_LENGTH = 20;

interface TcpProbeCli {
  readonly host: string;
  readonly family?: AddressFamily;
  readonly ports: number[];
  readonly flags: number;
  readonly sequenceNumber?: number;
  readonly acknowledgmentNumber?: number;
  readonly window?: number;
  readonly ttl?: number;
  readonly payload?: Uint8Array;
  readonly options?: TcpOption[];
  /** The MSS option holds the IPv4 default (no --mss): over IPv6 it becomes IPv6's. */
  readonly defaultMssOption: boolean;
  readonly badChecksum: boolean;
  readonly source?: string;
  readonly sourcePort?: number;
  readonly headerIncluded: boolean;
  readonly identification?: number;
  readonly timeoutMs?: number;
  readonly retries: number;
  readonly pcap?: string;
  readonly showWire: boolean;
  readonly json: boolean;
}

const flagOptions = Object.fromEntries(FLAG_SWITCHES.map(([short, long]) => [long, { type: 'boolean' as const, short }]));

/** tcp-probe's options: what the parser reads and shell completion offers. */
export const TCP_PROBE_OPTIONS = {
  ports: { type: 'string', short: 'p' },
  ...flagOptions,
  seq: { type: 'string' },
  ack: { type: 'string' },
  window: { type: 'string' },
  ttl: { type: 'string' },
  data: { type: 'string' },
  'no-options': { type: 'boolean' },
  mss: { type: 'string' },
  wscale: { type: 'string' },
  'no-sack': { type: 'boolean' },
  'no-timestamps': { type: 'boolean' },
  badsum: { type: 'boolean' },
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  source: { type: 'string' },
  sport: { type: 'string' },
  hdrincl: { type: 'boolean' },
  'ip-id': { type: 'string' },
  timeout: { type: 'string', short: 'w' },
  retries: { type: 'string' },
  pcap: { type: 'string' },
  'show-wire': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseTcpProbeArguments(args: string[]): TcpProbeCli | 'help' {
  const parsed = parseCommandLine('tcp-probe', args, TCP_PROBE_OPTIONS);
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const positionals = parsed.positionals;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'a destination host is required: tcp-probe HOST -p PORTS' : `only one destination, got: ${positionals.join(' ')}`);
  }
  if (typeof values.ports !== 'string') throw new UsageError('which ports? give -p PORTS, e.g. -p 22,80,8000-8010');
  const ports = parsePortList(values.ports, '-p');
  let flags = 0;
  for (const [, long, bit] of FLAG_SWITCHES) if (values[long]) flags |= bit;
  if (flags === 0) flags = TcpFlag.SYN;
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const number = (name: string, range: { min?: number; max?: number }) => {
    const value = text(name);
    return value === undefined ? undefined : parseNumberOption(`--${name}`, value, range);
  };
  if (values.ipv4 && values.ipv6) throw new UsageError('-4 and -6 are exclusive');
  const source = text('source');
  if (source !== undefined && !isIPv4(source)) throw new UsageError(`invalid argument for --source: '${source}' (an IPv4 address)`);
  const headerIncluded = values.hdrincl === true;
  const identification = number('ip-id', { min: 0, max: 0xffff });
  if (identification !== undefined && !headerIncluded) throw new UsageError('--ip-id needs --hdrincl (without it the kernel writes the IPv4 header)');
  let options: TcpOption[] | undefined;
  const mss = number('mss', { min: 0, max: 0xffff });
  const wscale = number('wscale', { min: 0, max: 255 });
  if (values['no-options']) {
    if (mss !== undefined || wscale !== undefined) throw new UsageError('--no-options conflicts with --mss/--wscale');
    options = [];
  } else if (mss !== undefined || wscale !== undefined || values['no-sack'] || values['no-timestamps'] || !(flags & TcpFlag.SYN)) {
    // Options on request; a non-SYN probe gets only the ones asked for.
    const syn = (flags & TcpFlag.SYN) !== 0;
    options = tcpSynOptions({
      mss: mss ?? (syn ? 1460 : undefined),
      sackPermitted: syn && !values['no-sack'],
      timestampValue: syn && !values['no-timestamps'] ? randomSequenceNumber() : undefined,
      windowScale: wscale ?? (syn ? 7 : undefined),
    });
  }
  const data = text('data');
  const payload = data === undefined ? undefined : new TextEncoder().encode(data);
  if (payload) {
    // Without options given, a SYN carries the engine's defaults: MSS, SACK-permitted, timestamps, window scale.
    const defaults = tcpSynOptions({ mss: 1460, sackPermitted: true, timestampValue: 0, windowScale: 7 });
    const room = MAX_IPV4_LENGTH - IPV4_HEADER_LENGTH - tcpHeaderLength({ options: options ?? defaults });
    if (payload.length > room) throw new UsageError(`--data is ${payload.length} bytes; one IPv4 datagram holds at most ${room} after the IPv4 and TCP headers`);
  }
  return {
    host: positionals[0],
    family: values.ipv4 ? 4 : values.ipv6 ? 6 : undefined,
    ports,
    flags,
    sequenceNumber: number('seq', { min: 0, max: 0xffffffff }),
    acknowledgmentNumber: number('ack', { min: 0, max: 0xffffffff }),
    window: number('window', { min: 0, max: 0xffff }),
    ttl: number('ttl', { min: 1, max: 255 }),
    payload,
    options,
    defaultMssOption: mss === undefined,
    badChecksum: values.badsum === true,
    source,
    sourcePort: text('sport') === undefined ? undefined : parsePort(text('sport')!, '--sport'),
    headerIncluded,
    identification,
    timeoutMs: text('timeout') === undefined ? undefined : parseNumberOption('-w', text('timeout')!, { min: 0.01, integer: false }) * 1000,
    retries: number('retries', { min: 0, max: 10 }) ?? 1,
    pcap: text('pcap'),
    showWire: values['show-wire'] === true,
    json: values.json === true,
  };
}

export async function runTcpProbeCommand(args: readonly string[], io: CommandIo, env: CommandEnv = processEnv()): Promise<number> {
  const cli = parseTcpProbeArguments([...args]);
  if (cli === 'help') {
    writeText(io.stdout, TCP_PROBE_USAGE);
    return 0;
  }
  const resolved = await resolveHost(cli.host, { family: cli.family });
  const address = resolved.address;
  // IPv6 raw TCP sockets have no IP_HDRINCL: the kernel writes the header, source included.
  if (resolved.family === 6 && (cli.source !== undefined || cli.headerIncluded)) {
    throw new UsageError(`${cli.source !== undefined ? '--source' : '--hdrincl'} is for IPv4: over IPv6 the kernel writes the header`);
  }
  const start = new PrivilegedStart(cli.pcap, env);
  if (cli.showWire) loadCapModule(); // fails here, before any packet, when capture cannot work
  /** --show-wire: the capture of the first probe, and the header the lab would have written around it. */
  let showWire: ShowWire | undefined;
  let builtHeader: BuiltHeader | undefined;
  let headerIncluded = false;
  const out = linePrinter(io.stdout);
  const record = recordPrinter(io.stdout);
  const interrupt = interruption();
  const onEvent = (event: TcpProbeEvent) => {
    if (event.type === 'send-error') writeText(io.stderr, `tcp-probe: port ${event.port}: ${event.message}\n`);
  };
  let summary: TcpProbeSummary;
  try {
    summary = await runTcpProbe({
      destination: address,
      ports: cli.ports,
      flags: cli.flags,
      sequenceNumber: cli.sequenceNumber,
      acknowledgmentNumber: cli.acknowledgmentNumber,
      window: cli.window,
      ttl: cli.ttl,
      payload: cli.payload,
      options:
        resolved.family === 6 && cli.defaultMssOption
          ? cli.options?.map((option) => (option.kind === 'mss' ? { kind: 'mss' as const, value: defaultMss(6) } : option))
          : cli.options,
      badChecksum: cli.badChecksum,
      source: cli.source,
      sourcePort: cli.sourcePort,
      headerIncluded: cli.headerIncluded || undefined,
      identification: cli.identification,
      timeoutMs: cli.timeoutMs,
      retries: cli.retries,
      signal: interrupt.signal,
      onEvent,
      onProbeBuilt: (segment) => {
        if (showWire && builtHeader && showWire.noted === 0) showWire.noteBuilt('the first probe', builtDatagram(builtHeader, segment));
      },
      onSocketOpen: (probe: TcpProbeStart) => {
        const filter =
          probe.family === 6
            ? `(ip6 and tcp and host ${withoutScope(address)} and port ${probe.sourcePort}) or (icmp6 and ip6[40] == 1)`
            : `(tcp and host ${address} and port ${probe.sourcePort}) or (icmp and icmp[icmptype] == icmp-unreach)`;
        if (cli.showWire) {
          // Opened while still privileged. The engine's IPv4 header (with --hdrincl) and the kernel's for it both set DF.
          showWire = ShowWire.open(probe.routeSource, filter);
          headerIncluded = probe.headerIncluded;
          builtHeader = { family: probe.family, protocol: IpProtocol.TCP, source: probe.source, destination: address, ttl: cli.ttl, dontFragment: probe.family === 4 && probe.headerIncluded };
        }
        start.begin({
          capture: {
            device: interfaceForAddress(probe.routeSource) ?? 'any',
            filter,
          },
          header: () => {
            if (cli.json) record({ type: 'start', tool: 'tcp-probe', host: cli.host, ...probe });
            else {
              out(formatProbeHeader(cli.host, probe));
              out(PROBE_TABLE_HEADER);
            }
          },
        });
      },
    });
  } catch (error) {
    showWire?.close();
    throw error;
  } finally {
    interrupt.dispose();
    await start.finish();
  }
  const shown = await showWire?.finish(headerIncluded ? 'hdrincl' : 'kernel', { json: cli.json, style: PLAIN_STYLE });
  if (cli.json) {
    for (const r of shown?.records ?? []) record(r);
    for (const result of summary.results) record({ type: 'port', ...result });
    const { results, ...rest } = summary;
    record({ type: 'summary', tool: 'tcp-probe', host: cli.host, ...rest, counts: countStates(results) });
  } else {
    for (const result of summary.results) out(formatPortLine(result));
    out('');
    for (const line of formatProbeSummary(cli.host, summary)) out(line);
    if (shown) {
      out('');
      for (const line of shown.lines) out(line);
    }
  }
  return summary.answered > 0 ? 0 : 1;
}

function countStates(results: TcpProbeSummary['results']): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return counts;
}
