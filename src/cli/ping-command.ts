// What `ping` does (sudo tsx src/ping.ts [options] HOST): iputils-style ping
// with hand-built ICMP. Kept apart from src/ping.ts so tests and the bench can
// run it in-process.
import { lookupService } from 'node:dns/promises';
import { PingConnectError, type PingEvent, type PingSummary, runPing } from '../engine/ping.ts';
import { loadCapModule } from '../net/capture.ts';
import { linuxBindingUnavailableReason } from '../net/linux-raw-socket.ts';
import { loadRawSocketModule, type PmtuDiscovery, SocketOptionError } from '../net/raw-socket.ts';
import { addressFamilyOf, type AddressFamily, interfaceForAddress, interfaceMtu, resolveHost, sourceAddressFor, withoutScope } from '../net/routes.ts';
import {
  describeIcmpError,
  formatDataDump,
  formatIcmpErrorLine,
  formatLocalMessageTooLong,
  formatNoAnswerLine,
  formatPingHeader,
  formatReplyLine,
  formatStatistics,
  formatTimestampPrefix,
  formatWrongDataLine,
} from '../render/ping-text.ts';
import { PLAIN_STYLE } from '../render/terminal-style.ts';
import { iputilsIcmpv6Text } from '../wire/icmpv6.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { type CommandEnv, type CommandIo, linePrinter, processEnv, writeText } from './command-io.ts';
import { recordPrinter } from './json-output.ts';
import { packageVersion } from './package-version.ts';
import { PrivilegedStart } from './privileged-start.ts';
import { builtDatagram, echoKey, ShowWire } from './show-wire.ts';
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
  -I IFACE|ADDR send through this interface (SO_BINDTODEVICE) or from this source address
  -O            report a request still unanswered when the next one goes out
  -a            audible: ring the terminal bell on each reply
  -U            user-to-user latency: receive time read in JS, not the kernel's stamp
  -M PMTUDISC   path MTU discovery: do (never fragment; IPv4: set DF), want, dont, probe
  -Q TOS        IPv4 TOS byte or IPv6 traffic class, decimal or 0x hex (DSCP and ECN)
  -b            allow pinging a broadcast address
  -e ID         ICMP identifier, 0..65535 (random by default)
  -V            print the version and exit
  --hdrincl     build the IP header here (IPv4: IP_HDRINCL; IPv6: an IPPROTO_RAW socket) instead of the kernel
  --pcap FILE   record requests, replies and ICMP errors into a pcap file
  --show-wire   capture the first request as it leaves and show built vs sent (every field the
                kernel filled or changed), then its reply as captured
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
  readonly showWire?: boolean;
  readonly headerIncluded: boolean;
  readonly json: boolean;
  readonly help: boolean;
  /** -I IFACE. */
  readonly device?: string;
  /** -I ADDRESS. */
  readonly sourceAddress?: string;
  readonly outstanding?: boolean;
  readonly audible?: boolean;
  readonly userLatency?: boolean;
  readonly pmtuDiscovery?: PmtuDiscovery;
  readonly tos?: number;
  readonly broadcast?: boolean;
  readonly identifier?: number;
  readonly version?: boolean;
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
  'show-wire': { type: 'boolean' },
  hdrincl: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  interface: { type: 'string', short: 'I' },
  outstanding: { type: 'boolean', short: 'O' },
  audible: { type: 'boolean', short: 'a' },
  latency: { type: 'boolean', short: 'U' },
  pmtudisc: { type: 'string', short: 'M' },
  tos: { type: 'string', short: 'Q' },
  broadcast: { type: 'boolean', short: 'b' },
  identifier: { type: 'string', short: 'e' },
  version: { type: 'boolean', short: 'V' },
} as const;

const PMTU_MODES: readonly PmtuDiscovery[] = ['do', 'want', 'dont', 'probe'];

/** -Q as iputils reads it: decimal, or hex after 0x; the whole TOS byte. */
function parseTos(text: string): number {
  const hex = /^0[xX]/.test(text);
  const digits = hex ? text.slice(2) : text;
  if (!(hex ? /^[0-9a-fA-F]*$/ : /^[+-]?\d+$/).test(digits)) throw new UsageError(`bad TOS value: ${text}`);
  const tos = digits === '' ? 0 : parseInt(digits, hex ? 16 : 10);
  if (tos < 0 || tos > 255) throw new UsageError(`the decimal value of TOS bits must be in range 0-255: ${tos}`);
  return tos;
}

/** -e as iputils reads it: a decimal number 0..65535, with iputils' messages. */
function parseIdentifier(text: string): number {
  if (!/^\s*[+-]?\d+$/.test(text)) throw new UsageError(`invalid argument: '${text}'`);
  const value = Number(text);
  if (value < 0 || value > 0xffff) throw new UsageError(`invalid argument: '${text}': out of range: 0 <= value <= 65535`);
  return value;
}

export function parsePingArguments(args: string[]): PingCli {
  const parsed = parseCommandLine('ping', args, PING_OPTIONS);
  const { values, positionals } = parsed;
  if (values.help) return { host: '', payloadSize: 56, quiet: false, flood: false, numeric: false, timestamps: false, verbose: false, headerIncluded: false, json: false, help: true };
  if (values.version) return { host: '', payloadSize: 56, quiet: false, flood: false, numeric: false, timestamps: false, verbose: false, headerIncluded: false, json: false, help: false, version: true };
  if (values.pmtudisc !== undefined && !PMTU_MODES.includes(values.pmtudisc as PmtuDiscovery)) throw new UsageError(`invalid -M argument: ${values.pmtudisc}`);
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
    showWire: values['show-wire'] ?? false,
    headerIncluded: values.hdrincl ?? false,
    json: values.json ?? false,
    help: false,
    // iputils: an address literal is the source to bind to, anything else an interface name.
    device: values.interface !== undefined && addressFamilyOf(values.interface) === undefined ? values.interface : undefined,
    sourceAddress: values.interface !== undefined && addressFamilyOf(values.interface) !== undefined ? values.interface : undefined,
    outstanding: values.outstanding ?? false,
    audible: values.audible ?? false,
    userLatency: values.latency ?? false,
    pmtuDiscovery: values.pmtudisc as PmtuDiscovery | undefined,
    tos: values.tos === undefined ? undefined : parseTos(values.tos),
    broadcast: values.broadcast ?? false,
    identifier: values.identifier === undefined ? undefined : parseIdentifier(values.identifier),
  };
}

/** -V, in iputils' shape: "ping from iputils 20221126", then what was built. */
function versionText(): string {
  const loads = (load: () => unknown) => {
    try {
      load();
      return 'yes';
    } catch {
      return 'no';
    }
  };
  const linux = linuxBindingUnavailableReason() === undefined ? 'yes' : 'no';
  return `ping from packet-lab ${packageVersion()}\nlinux binding: ${linux}, raw-socket: ${loads(loadRawSocketModule)}, cap: ${loads(loadCapModule)}\n`;
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
  if (cli.version) {
    writeText(io.stdout, versionText());
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
  if (cli.showWire) loadCapModule(); // fails here, before any packet, when capture cannot work
  /** --show-wire: the capture of the first request and its reply. */
  let showWire: ShowWire | undefined;
  const out = linePrinter(io.stdout);
  const record = recordPrinter(io.stdout);
  const prefix = (timeMs: number) => (cli.timestamps ? formatTimestampPrefix(timeMs) : '');

  // iputils names a host given by name: "64 bytes from localhost (127.0.0.1)", the name from
  // getnameinfo() (the hosts file, then DNS), as lookupService() asks for it.
  let destinationLabel = address;
  if (!cli.numeric && !resolved.literal) {
    const name = await lookupService(address, 0).then(({ hostname }) => (hostname === withoutScope(address) ? undefined : hostname), () => undefined);
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
  // -O: sequences that got an echo reply (iputils' rcvd_test: ICMP errors do not count).
  const replied = cli.outstanding ? new Uint8Array(0x10000) : undefined;
  const bell = cli.audible ? '\x07' : '';
  /** The route's source toward the host, once the socket is open: -I's header line and -M do's MTU. */
  let routeSource: string | undefined;
  /** Local "message too long" errors under -q, which iputils leaves out of its "+N errors". */
  let quietLocalErrors = 0;
  const onEvent = (event: PingEvent) => {
    if (cli.json) {
      // A hop limit the binding could not read (IPv6 on raw-socket) is left out, not written as -1.
      record(event.type === 'reply' && event.ttl < 0 ? { ...event, ttl: undefined } : { ...event });
      return;
    }
    if (replied) {
      // iputils checks the previous request just before sending the next (even with -q).
      if (event.type === 'reply') replied[event.sequence] = 1;
      else if ((event.type === 'sent' || event.type === 'send-error') && event.sequence > 1) {
        const previous = (event.sequence - 1) & 0xffff;
        if (!replied[previous]) out(formatNoAnswerLine(previous, prefix(event.timeMs)));
      }
      if (event.type === 'sent' || event.type === 'send-error') replied[event.sequence] = 0;
    }
    if (event.type === 'send-error' && event.tooLong) {
      // iputils (receive_error_msg, both families): with -q nothing, and not
      // counted in "+N errors"; with -f an "E" only; otherwise a line on stderr.
      if (cli.quiet) quietLocalErrors++;
      else if (cli.flood) flood.add('E');
      else {
        const device = routeSource === undefined ? undefined : interfaceForAddress(routeSource);
        writeText(io.stderr, `${formatLocalMessageTooLong(device === undefined ? undefined : interfaceMtu(device), family)}\n`);
      }
      return;
    }
    if (cli.quiet) return; // iputils -q prints no flood marks either
    if (cli.flood) {
      // iputils: "." per request; "\b \b" per reply (duplicates too), erasing
      // the dot; "\bE" per ICMP error and a plain "E" per failed send.
      if (event.type === 'sent') flood.add('.');
      else if (event.type === 'reply') flood.add(`\b \b${bell}`);
      else if (event.type === 'send-error') flood.add('E');
      else if (event.type === 'icmp-error') flood.add('\bE');
      return;
    }
    switch (event.type) {
      case 'reply':
      {
        // -a: iputils rings after everything it prints about a reply, before the newline (not for a truncated one).
        const ring = event.truncated ? '' : bell;
        const reply = formatReplyLine({ ...event, from: label(event.from), timestampPrefix: prefix(event.timeMs) });
        if (event.wrongByte) {
          out(reply);
          out(formatWrongDataLine(event.wrongByte.index, event.wrongByte.expected, event.wrongByte.actual));
          const dump = formatDataDump(event.receivedData ?? []);
          dump[dump.length - 1] += ring;
          for (const line of dump) out(line);
        } else out(reply + ring);
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
  const fromLine = () => (cli.device !== undefined || cli.sourceAddress !== undefined ? { from: { source: cli.sourceAddress ?? routeSource ?? '0.0.0.0', device: cli.device ?? '' } } : {});
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
      identifier: cli.identifier,
      device: cli.device,
      sourceAddress: cli.sourceAddress,
      tos: cli.tos,
      pmtuDiscovery: cli.pmtuDiscovery,
      broadcast: cli.broadcast,
      userLatency: cli.userLatency,
      flood: cli.flood,
      preload: cli.preload,
      signal: interrupt.signal,
      onEvent,
      onRequest: cli.showWire
        ? (sequence, message) => {
            if (sequence !== 1 || !showWire || showWire.noted > 0) return;
            const source = routeSource ?? cli.sourceAddress ?? (family === 6 ? '::' : '0.0.0.0');
            const protocol = family === 6 ? IpProtocol.ICMPv6 : IpProtocol.ICMP;
            const datagram = builtDatagram({ family, protocol, source, destination: address, ttl: cli.ttl, tos: cli.tos }, message);
            const replyType = family === 6 ? 129 : 0;
            showWire.noteBuilt('the first echo request', datagram, (packet, built) => echoKey(packet) !== undefined && echoKey(packet) === echoKey(built, replyType));
          }
        : undefined,
      onSocketOpen: async (socket) => {
        // iputils connects a probe socket first and stops there when there is no route.
        const source = await sourceAddressFor(address).catch(async (error: Error) => {
          if (/ENETUNREACH/.test(error.message)) throw new PingConnectError('Network is unreachable');
          if (/EHOSTUNREACH/.test(error.message)) throw new PingConnectError('No route to host');
          // A broadcast address: iputils' probe connect() fails with EACCES unless -b set SO_BROADCAST.
          if (/EACCES/.test(error.message)) {
            if (!cli.broadcast) throw new UsageError('Do you want to ping broadcast? Then -b. If not, check your local firewall rules');
            writeText(io.stderr, 'WARNING: pinging broadcast address\n');
            return sourceAddressFor(address, { broadcast: true }).catch(() => undefined);
          }
          return undefined;
        });
        routeSource = source;
        if (cli.verbose) {
          writeText(
            io.stderr,
            socket.rttSource === 'kernel' && cli.userLatency
              ? 'ping: rtt source: user-to-user (-U): send time taken in C before sendto, receive time read in javascript (Linux binding)\n'
              : socket.rttSource === 'kernel'
                ? 'ping: rtt source: kernel timestamps (SO_TIMESTAMPNS), send time taken in C before sendto (Linux binding)\n'
                : 'ping: rtt source: javascript clocks around the raw-socket binding\n',
          );
        }
        const echoFilter = family === 6 ? icmpv6CaptureFilter(withoutScope(address)) : `icmp and (host ${address} or (icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply))`;
        // Opened while still privileged, before the first request.
        if (cli.showWire) showWire = ShowWire.open(source ?? (await sourceAddressFor(address)), echoFilter);
        const device = cli.pcap === undefined ? 'any' : (interfaceForAddress(source ?? (await sourceAddressFor(address))) ?? 'any');
        start.begin({
          // Echo traffic with this host, and any ICMP error (they come from routers).
          capture: { device, filter: echoFilter },
          header: () => (cli.json ? record({ type: 'start', tool: 'ping', ...header }) : out(formatPingHeader({ ...header, addressLabel: destinationLabel, ...fromLine() }))),
        });
      },
    });
  } catch (error) {
    showWire?.close();
    // iputils: "ping: SO_BINDTODEVICE eth9: No such device", "ping: bind: Cannot assign requested address"; exit 2.
    if (error instanceof SocketOptionError) {
      writeText(io.stderr, `ping: ${error.message}\n`);
      return 2;
    }
    if (!(error instanceof PingConnectError)) throw error;
    // iputils: "ping: connect: Network is unreachable" and exit status 2, nothing on stdout.
    writeText(io.stderr, `ping: ${error.message}\n`);
    return 2;
  } finally {
    flood.flush();
    interrupt.dispose();
    await start.finish();
  }

  if (showWire) {
    const shown = await showWire.finish(cli.headerIncluded ? 'hdrincl' : 'kernel', { json: cli.json, style: PLAIN_STYLE });
    if (cli.json) for (const r of shown.records) record(r);
    else {
      out('');
      for (const line of shown.lines) out(line);
    }
  }
  if (cli.json) {
    record({ type: 'summary', tool: 'ping', host: cli.host, ...summary });
  } else {
    // iputils opens the statistics with a newline, which also ends flood's line of marks.
    out('');
    for (const line of formatStatistics({ host: cli.host, ...summary, errors: summary.errors - quietLocalErrors })) out(line);
  }
  // iputils: 1 when no reply came, or fewer than -c before a -w deadline.
  const short = cli.deadlineMs !== undefined && cli.count !== undefined && summary.received < cli.count;
  return summary.received === 0 || short ? 1 : 0;
}
