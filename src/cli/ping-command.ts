// What `ping` does (sudo tsx src/ping.ts [options] HOST): iputils-style ping
// with hand-built ICMP. Kept apart from src/ping.ts so tests and the bench can
// run it in-process.
import { reverse } from 'node:dns/promises';
import { PingConnectError, type PingEvent, type PingSummary, runPing } from '../engine/ping.ts';
import { type AddressFamily, interfaceForAddress, resolveHost, sourceAddressFor, withoutScope } from '../net/routes.ts';
import {
  describeIcmpError,
  formatDataDump,
  formatIcmpErrorLine,
  formatPingHeader,
  formatReplyLine,
  formatStatistics,
  formatTimestampPrefix,
  formatWrongDataLine,
} from '../render/ping-text.ts';
import { iputilsIcmpv6Text } from '../wire/icmpv6.ts';
import { type CommandEnv, type CommandIo, linePrinter, processEnv, writeText } from './command-io.ts';
import { recordPrinter } from './json-output.ts';
import { PrivilegedStart } from './privileged-start.ts';
import { interruption, parseCommandLine, parseNumberOption, UsageError } from './run-cli.ts';
import type { ByteSink } from './text-output.ts';

export const PING_USAGE = `Usage: ping [options] HOST

Sends hand-built ICMP or ICMPv6 echo requests through a raw socket (needs root or CAP_NET_RAW).
HOST is an IPv4 or IPv6 address (a link-local one with its interface: fe80::1%eth0) or a name.

Options:
  -4            IPv4 only: resolve HOST to an A record
  -6            IPv6 only: resolve HOST to an AAAA record
  -c COUNT      stop after COUNT requests (with -w: after COUNT replies)
  -i INTERVAL   seconds between requests (default 1; fractions allowed)
  -s SIZE       echo data bytes (default 56, at most 65507 over IPv4, 65527 over IPv6)
  -t TTL        IPv4 time to live or IPv6 hop limit (1..255)
  -W TIMEOUT    seconds to wait for a reply when none came (default 10)
  -w DEADLINE   seconds before ping exits, whatever was sent or received
  -p PATTERN    up to 16 hex bytes to fill the data with (e.g. ff00)
  -q            quiet: only the first line and the statistics
  -f            flood: a dot per request, a backspace per reply
  -l PRELOAD    send PRELOAD requests at once at the start (more than 3 needs root)
  -n            numeric output: no reverse name lookups
  -D            print a timestamp before each line
  -v            verbose: say on stderr where RTTs are measured (kernel timestamps or JS clocks)
  --hdrincl     build the IP header here (IPv4: IP_HDRINCL; IPv6: an IPPROTO_RAW socket) instead of the kernel
  --pcap FILE   record requests, replies and ICMP errors into a pcap file
  --json        one JSON object per event, then a summary object
  -h, --help    this help
`;

interface PingCli {
  readonly host: string;
  /** -4 or -6; undefined: from the address, or the resolver's first answer for a name. */
  readonly family?: AddressFamily;
  readonly count?: number;
  readonly intervalMs?: number;
  readonly payloadSize: number;
  readonly ttl?: number;
  readonly timeoutMs?: number;
  readonly deadlineMs?: number;
  readonly pattern?: Uint8Array;
  readonly quiet: boolean;
  readonly flood: boolean;
  readonly preload?: number;
  readonly numeric: boolean;
  readonly timestamps: boolean;
  readonly verbose: boolean;
  readonly pcap?: string;
  readonly headerIncluded: boolean;
  readonly json: boolean;
  readonly help: boolean;
}

const MAX_PAYLOAD = 65507; // 65535 - 20 (IPv4 header) - 8 (ICMP header)
const MAX_PAYLOAD6 = 65527; // 65535 (IPv6 payload length) - 8 (ICMPv6 header)
/** iputils: the shortest interval between requests a user other than root may ask for. */
const MIN_USER_INTERVAL_MS = 2;

/** ping's options: what the parser reads and shell completion offers. */
export const PING_OPTIONS = {
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  count: { type: 'string', short: 'c' },
  interval: { type: 'string', short: 'i' },
  size: { type: 'string', short: 's' },
  ttl: { type: 'string', short: 't' },
  timeout: { type: 'string', short: 'W' },
  deadline: { type: 'string', short: 'w' },
  pattern: { type: 'string', short: 'p' },
  quiet: { type: 'boolean', short: 'q' },
  flood: { type: 'boolean', short: 'f' },
  preload: { type: 'string', short: 'l' },
  numeric: { type: 'boolean', short: 'n' },
  timestamps: { type: 'boolean', short: 'D' },
  verbose: { type: 'boolean', short: 'v' },
  pcap: { type: 'string' },
  hdrincl: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parsePingArguments(args: string[]): PingCli {
  const parsed = parseCommandLine('ping', args, PING_OPTIONS);
  const { values, positionals } = parsed;
  if (values.help) return { host: '', payloadSize: 56, quiet: false, flood: false, numeric: false, timestamps: false, verbose: false, headerIncluded: false, json: false, help: true };
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'usage error: Destination address required' : `only one destination, got: ${positionals.join(' ')}`);
  }
  const seconds = (name: string, text: string, min: number) => parseNumberOption(name, text, { min, integer: false }) * 1000;
  // iputils' words for both.
  if (values.ipv4 && values.ipv6) throw new UsageError('only one -4 or -6 option may be specified');
  const family: AddressFamily | undefined = values.ipv4 ? 4 : values.ipv6 ? 6 : undefined;
  const payloadSize = values.size === undefined ? 56 : parseNumberOption('-s', values.size, { min: 0 });
  // The IPv6 limit is checked again once the family is known (a name may resolve to either).
  if (payloadSize > (family === 4 ? MAX_PAYLOAD : MAX_PAYLOAD6)) {
    throw new UsageError(`packet size ${payloadSize} is too large. Maximum is ${family === 4 ? MAX_PAYLOAD : MAX_PAYLOAD6}`);
  }
  let pattern: Uint8Array | undefined;
  if (values.pattern !== undefined) {
    const text = values.pattern;
    if (!/^[0-9a-fA-F]+$/.test(text) || text.length > 32) {
      throw new UsageError(`patterns must be specified as up to 16 bytes of hex digits: '${text}'`);
    }
    // iputils reads the pattern two hex digits at a time; an odd last digit stands alone.
    pattern = Uint8Array.from(text.match(/.{1,2}/g)!.map((pair) => parseInt(pair, 16)));
  }
  return {
    host: positionals[0],
    family,
    count: values.count === undefined ? undefined : parseNumberOption('-c', values.count, { min: 1 }),
    intervalMs: values.interval === undefined ? undefined : seconds('-i', values.interval, 0),
    payloadSize,
    ttl: values.ttl === undefined ? undefined : parseNumberOption('-t', values.ttl, { min: 1, max: 255 }),
    timeoutMs: values.timeout === undefined ? undefined : seconds('-W', values.timeout, 0),
    deadlineMs: values.deadline === undefined ? undefined : seconds('-w', values.deadline, 0),
    pattern,
    quiet: values.quiet ?? false,
    flood: values.flood ?? false,
    preload: values.preload === undefined ? undefined : parseNumberOption('-l', values.preload, { min: 1, max: 65536 }),
    numeric: values.numeric ?? false,
    timestamps: values.timestamps ?? false,
    verbose: values.verbose ?? false,
    pcap: values.pcap,
    headerIncluded: values.hdrincl ?? false,
    json: values.json ?? false,
    help: false,
  };
}

/**
 * Echo traffic with this host (fragments of large requests included), and any
 * ICMPv6 error (types below 128: they come from routers too); not neighbor
 * discovery or MLD. ip6[40] is the type when no extension header comes first.
 */
function icmpv6CaptureFilter(address: string): string {
  return `ip6 and ((host ${address} and not (icmp6 and ip6[40] >= 130)) or (icmp6 and ip6[40] < 128))`;
}

/** Buffers flood's dots and backspaces: one write per 10 ms instead of one per packet. */
class FloodMarks {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly sink: ByteSink) {}
  add(mark: string): void {
    this.pending += mark;
    this.timer ??= setTimeout(() => this.flush(), 10);
  }
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending) writeText(this.sink, this.pending);
    this.pending = '';
  }
}

export async function runPingCommand(args: readonly string[], io: CommandIo, env: CommandEnv = processEnv()): Promise<number> {
  const cli = parsePingArguments([...args]);
  if (cli.help) {
    writeText(io.stdout, PING_USAGE);
    return 0;
  }
  // iputils' rule, by real uid: CAP_NET_RAW given to node with setcap must not let any user flood.
  const intervalMs = cli.intervalMs ?? (cli.flood ? 0 : 1000);
  // iputils: only root may preload more than 3.
  if (env.uid !== 0 && cli.preload !== undefined && cli.preload > 3) throw new UsageError(`cannot set preload to value greater than 3: ${cli.preload}`);
  if (env.uid !== 0 && intervalMs < MIN_USER_INTERVAL_MS) throw new UsageError(`cannot flood; minimal interval allowed for user is ${MIN_USER_INTERVAL_MS}ms`);
  // iputils prints the pattern as it parses -p, before anything else (not with -q).
  if (cli.pattern && !cli.quiet && !cli.json) {
    writeText(io.stdout, `PATTERN: 0x${Array.from(cli.pattern, (byte) => byte.toString(16).padStart(2, '0')).join('')}\n`);
  }
  const resolved = await resolveHost(cli.host, { family: cli.family });
  const { address, family } = resolved;
  if (family === 4 && cli.payloadSize > MAX_PAYLOAD) throw new UsageError(`packet size ${cli.payloadSize} is too large. Maximum is ${MAX_PAYLOAD}`);
  const start = new PrivilegedStart(cli.pcap, env);
  const out = linePrinter(io.stdout);
  const record = recordPrinter(io.stdout);
  const prefix = (timeMs: number) => (cli.timestamps ? formatTimestampPrefix(timeMs) : '');

  // iputils names a host given by name: "64 bytes from localhost (127.0.0.1)".
  let destinationLabel = address;
  if (!cli.numeric && !resolved.literal) {
    const name = await reverse(withoutScope(address)).then((names) => names[0], () => undefined);
    destinationLabel = `${name ?? cli.host} (${address})`;
  }
  const label = (from: string) => (from === address ? destinationLabel : from);
  // iputils' words: ping4.c's for ICMP, ping6_common.c's for ICMPv6 (whose info is the MTU or the pointer).
  const describeError = (event: Extract<PingEvent, { type: 'icmp-error' }>) =>
    family === 6
      ? iputilsIcmpv6Text(event.icmpType, event.icmpCode, event.nextHopMtu ?? event.pointer ?? 0)
      : describeIcmpError(event.icmpType, event.icmpCode, event.nextHopMtu);

  const interrupt = interruption();

  const flood = new FloodMarks(io.stdout);
  const onEvent = (event: PingEvent) => {
    if (cli.json) {
      // A hop limit the binding could not read (IPv6 on raw-socket) is left out, not written as -1.
      record(event.type === 'reply' && event.ttl < 0 ? { ...event, ttl: undefined } : { ...event });
      return;
    }
    if (cli.quiet) return; // iputils -q prints no flood marks either
    if (cli.flood) {
      // iputils: "." per request; "\b \b" per reply (duplicates too), erasing
      // the dot; "\bE" per ICMP error and a plain "E" per failed send.
      if (event.type === 'sent') flood.add('.');
      else if (event.type === 'reply') flood.add('\b \b');
      else if (event.type === 'send-error') flood.add('E');
      else if (event.type === 'icmp-error') flood.add('\bE');
      return;
    }
    switch (event.type) {
      case 'reply':
        out(formatReplyLine({ ...event, from: label(event.from), timestampPrefix: prefix(event.timeMs) }));
        if (event.wrongByte) {
          out(formatWrongDataLine(event.wrongByte.index, event.wrongByte.expected, event.wrongByte.actual));
          for (const line of formatDataDump(event.receivedData ?? [])) out(line);
        }
        break;
      case 'icmp-error':
        out(formatIcmpErrorLine(label(event.from), event.sequence, describeError(event), prefix(event.timeMs)));
        break;
      case 'send-error':
        writeText(io.stderr, `ping: sendmsg: ${event.message}\n`);
        break;
      case 'sent':
        break;
    }
  };

  // packetSize: the IP packet of a request, as iputils counts it (IPv4: 20 + 8 + data; IPv6: 40 + 8 + data).
  const header = { host: cli.host, address, family, payloadSize: cli.payloadSize, packetSize: cli.payloadSize + (family === 6 ? 48 : 28) };
  let summary: PingSummary;
  try {
    summary = await runPing({
      destination: address,
      family,
      count: cli.count,
      intervalMs: cli.intervalMs,
      payloadSize: cli.payloadSize,
      ttl: cli.ttl,
      headerIncluded: cli.headerIncluded,
      timeoutMs: cli.timeoutMs,
      deadlineMs: cli.deadlineMs,
      pattern: cli.pattern,
      flood: cli.flood,
      preload: cli.preload,
      signal: interrupt.signal,
      onEvent,
      onSocketOpen: async (socket) => {
        // iputils connects a probe socket first and stops there when there is no route.
        const source = await sourceAddressFor(address).catch((error: Error) => {
          if (/ENETUNREACH/.test(error.message)) throw new PingConnectError('Network is unreachable');
          if (/EHOSTUNREACH/.test(error.message)) throw new PingConnectError('No route to host');
          return undefined;
        });
        if (cli.verbose) {
          writeText(
            io.stderr,
            socket.rttSource === 'kernel'
              ? 'ping: rtt source: kernel timestamps (SO_TIMESTAMPNS), send time taken in C before sendto (Linux binding)\n'
              : 'ping: rtt source: javascript clocks around the raw-socket binding\n',
          );
        }
        const device = cli.pcap === undefined ? 'any' : (interfaceForAddress(source ?? (await sourceAddressFor(address))) ?? 'any');
        start.begin({
          // Echo traffic with this host, and any ICMP error (they come from routers).
          capture: { device, filter: family === 6 ? icmpv6CaptureFilter(withoutScope(address)) : `icmp and (host ${address} or (icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply))` },
          header: () => (cli.json ? record({ type: 'start', tool: 'ping', ...header }) : out(formatPingHeader(header))),
        });
      },
    });
  } catch (error) {
    if (!(error instanceof PingConnectError)) throw error;
    // iputils: "ping: connect: Network is unreachable" and exit status 2, nothing on stdout.
    writeText(io.stderr, `ping: ${error.message}\n`);
    return 2;
  } finally {
    flood.flush();
    interrupt.dispose();
    await start.finish();
  }

  if (cli.json) {
    record({ type: 'summary', tool: 'ping', host: cli.host, ...summary });
  } else {
    // iputils opens the statistics with a newline, which also ends flood's line of marks.
    out('');
    for (const line of formatStatistics({ host: cli.host, ...summary })) out(line);
  }
  // iputils: 1 when no reply came, or fewer than -c before a -w deadline.
  const short = cli.deadlineMs !== undefined && cli.count !== undefined && summary.received < cli.count;
  return summary.received === 0 || short ? 1 : 0;
}
