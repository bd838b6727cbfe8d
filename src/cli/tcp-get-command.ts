// What `tcp-get` does (sudo tsx src/tcp-get.ts [options] http://host[:port]/path).
//
// Fetches a web page over a TCP connection built by hand on raw sockets: the
// handshake, the GET, acknowledgments, reassembly, retransmissions and the
// FINs are all ours (src/engine/tcp-session.ts, src/engine/http-get.ts).
import { isIPv4 } from 'node:net';
import { parseCommandLine, parseNumberOption, UsageError } from './run-cli.ts';
import { type CommandEnv, type CommandIo, processEnv, writeText } from './command-io.ts';
import { type JsonRecord, recordPrinter } from './json-output.ts';
import { PrivilegedStart } from './privileged-start.ts';
import { type BuiltHeader, builtDatagram, ShowWire } from './show-wire.ts';
import { PLAIN_STYLE } from '../render/terminal-style.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { headerValue, httpGet, HttpUrlError, parseHttpUrl, type HttpGetResult, type HttpUrl } from '../engine/http-get.ts';
import { defaultMss, randomEphemeralPort } from '../engine/tcp-common.ts';
import { TcpConnectError, type TcpEndpoints, type TcpSessionEvent, type TcpSessionResult } from '../engine/tcp-session.ts';
import { LiveCapture, loadCapModule } from '../net/capture.ts';
import { findStaleKernelRstBlocks, KernelRstBlock, RAW_SOCKET_MARK, removeStaleKernelRstBlocks, type FirewallBackend, type StaleKernelRstBlock } from '../net/firewall.ts';
import { interfaceForAddress, interfaceMtu, resolveHost, sourceAddressFor, withoutScope, type AddressFamily } from '../net/routes.ts';
import { TcpTrace } from '../render/tcp-trace.ts';

/** cap takes 64 KiB per frame in immediate mode: 64 MiB holds ~1000 segments. */
const PCAP_BUFFER_BYTES = 64 << 20;

export const TCP_GET_USAGE = `Usage: tcp-get [options] URL

Fetches http://host[:port]/path over a TCP connection made by hand on raw
sockets (needs root or CAP_NET_RAW). The body goes to stdout.

This host's kernel has no socket for the connection and answers the server's
SYN-ACK with a RST, which kills it: use --block-kernel-rst (needs
CAP_NET_ADMIN) to drop those RSTs with a firewall rule while tcp-get runs.

Options:
  -i, --include          print the response head (status line, headers) before the body
  -v, --verbose          trace every segment, state change and timeout on stderr
  --json                 one JSON object per segment, state change and timeout, then the
                         response (head and body) and a summary, instead of the body
  --block-kernel-rst     drop this connection's kernel RSTs with a firewall rule (nftables,
                         iptables if nft fails), removed on every exit
  --firewall BACKEND     auto (default), nft or iptables
  --remove-stale-rules   remove the rules of runs that were killed (kill -9) before they could,
                         then exit; every run says when there are such rules
  --pcap FILE            record the exchange on the egress interface into a pcap file
  --show-wire            capture the SYN and the first data segment as they leave and show
                         built vs sent on stderr (every field the kernel filled or changed)
  -4, -6                 IPv4 or IPv6 only, for a host name (an address literal names its family)
  --source ADDR          IPv4 source address (default: the route's; another one means IP_HDRINCL)
  --sport PORT           source port (default: random, 32768-60999)
  --hdrincl              build the IPv4 header ourselves (IP_HDRINCL)
  --ttl TTL              IP time to live
  --mss BYTES            MSS to advertise (default: egress MTU - 40, IPv6 - 60)
  --window BYTES         receive window (default 1048576)
  --wscale SHIFT         window scale to offer, 0-14 (default 7)
  --no-wscale            offer no window scaling (window <= 65535)
  --no-sack              offer no SACK
  --no-timestamps        offer no timestamps
  --rto MS               first retransmission timeout (default 1000)
  --syn-retries N        SYN retransmissions before giving up (default 4)
  --max-time SECONDS     give up after this long (default 120)
  -h, --help             this help

Exit status: 0 when the whole response arrived, 1 when the connection or the
response failed, 2 on bad input or missing privileges, 52 when the server
closed without replying (as curl).
`;

interface TcpGetCli {
  readonly url: HttpUrl;
  /** The URL as the user wrote it, for --json. */
  readonly urlText: string;
  readonly include: boolean;
  readonly verbose: boolean;
  readonly blockKernelRst: boolean;
  readonly firewall: FirewallBackend | 'auto';
  readonly pcap?: string;
  readonly showWire?: boolean;
  readonly source?: string;
  readonly sourcePort?: number;
  readonly headerIncluded: boolean;
  readonly family?: AddressFamily;
  readonly ttl?: number;
  readonly mss?: number;
  readonly receiveWindow?: number;
  readonly windowScale?: number;
  readonly windowScaling: boolean;
  readonly sack: boolean;
  readonly timestamps: boolean;
  readonly initialRtoMs?: number;
  readonly synRetries?: number;
  readonly maxTimeMs: number;
  readonly json: boolean;
}

/** tcp-get's options: what the parser reads and shell completion offers. */
export const TCP_GET_OPTIONS = {
  include: { type: 'boolean', short: 'i' },
  verbose: { type: 'boolean', short: 'v' },
  'block-kernel-rst': { type: 'boolean' },
  firewall: { type: 'string' },
  'remove-stale-rules': { type: 'boolean' },
  pcap: { type: 'string' },
  'show-wire': { type: 'boolean' },
  source: { type: 'string' },
  sport: { type: 'string' },
  hdrincl: { type: 'boolean' },
  ttl: { type: 'string' },
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  mss: { type: 'string' },
  window: { type: 'string' },
  wscale: { type: 'string' },
  'no-wscale': { type: 'boolean' },
  'no-sack': { type: 'boolean' },
  'no-timestamps': { type: 'boolean' },
  rto: { type: 'string' },
  'syn-retries': { type: 'string' },
  'max-time': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseTcpGetArguments(args: string[]): TcpGetCli | 'help' | 'remove-stale-rules' {
  const parsed = parseCommandLine('tcp-get', args, TCP_GET_OPTIONS);
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values['remove-stale-rules']) {
    if (positionals.length > 0) throw new UsageError('--remove-stale-rules takes no URL: it only removes rules and exits');
    return 'remove-stale-rules';
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'a URL is required: tcp-get http://host[:port]/path' : `only one URL, got: ${positionals.join(' ')}`);
  }
  // WHATWG URL reads http:///path as host "path"; a URL without a host is a mistake.
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[/?#]|$)/.test(positionals[0])) throw new UsageError(`bad URL '${positionals[0]}': no host`);
  let url: HttpUrl;
  try {
    url = parseHttpUrl(positionals[0]);
  } catch (error) {
    if (error instanceof HttpUrlError) throw new UsageError(error.message);
    throw error;
  }
  const firewall = values.firewall ?? 'auto';
  if (firewall !== 'auto' && firewall !== 'nft' && firewall !== 'iptables') {
    throw new UsageError(`invalid argument for --firewall: '${firewall}' (auto, nft or iptables)`);
  }
  if (values.ipv4 && values.ipv6) throw new UsageError('-4 and -6 are exclusive');
  if (values.source !== undefined && !isIPv4(values.source)) throw new UsageError(`invalid argument for --source: '${values.source}' (an IPv4 address)`);
  const number = (name: string, text: string | undefined, range: { min?: number; max?: number }) =>
    text === undefined ? undefined : parseNumberOption(name, text, range);
  return {
    url,
    urlText: positionals[0],
    include: values.include ?? false,
    verbose: values.verbose ?? false,
    blockKernelRst: values['block-kernel-rst'] ?? false,
    firewall,
    pcap: values.pcap,
    showWire: values['show-wire'] ?? false,
    source: values.source,
    sourcePort: number('--sport', values.sport, { min: 1, max: 65535 }),
    headerIncluded: values.hdrincl ?? false,
    family: values.ipv4 ? 4 : values.ipv6 ? 6 : undefined,
    ttl: number('--ttl', values.ttl, { min: 1, max: 255 }),
    mss: number('--mss', values.mss, { min: 64, max: 65495 }),
    receiveWindow: number('--window', values.window, { min: 1, max: 0x3fffffff }),
    windowScale: number('--wscale', values.wscale, { min: 0, max: 14 }),
    windowScaling: !(values['no-wscale'] ?? false),
    sack: !(values['no-sack'] ?? false),
    timestamps: !(values['no-timestamps'] ?? false),
    initialRtoMs: number('--rto', values.rto, { min: 10, max: 60_000 }),
    synRetries: number('--syn-retries', values['syn-retries'], { min: 0, max: 10 }),
    json: values.json ?? false,
    maxTimeMs: (values['max-time'] === undefined ? 120 : parseNumberOption('--max-time', values['max-time'], { min: 0.1, integer: false })) * 1000,
  };
}

/** MSS from the egress interface's MTU, less the IP and TCP headers (40 bytes over IPv4, 60 over IPv6). */
function mssFor(source: string, family: AddressFamily): number {
  const fallback = defaultMss(family);
  const device = interfaceForAddress(source);
  const mtu = device ? interfaceMtu(device) : undefined;
  return mtu !== undefined && mtu > 100 ? Math.min(defaultMss(family, mtu), 65495) : fallback;
}

/**
 * Watches the egress interface for RSTs of this connection that tcp-get did
 * not send: the kernel's. Only a confirmation for the explanation; capture is
 * optional, so anything failing here just leaves it off.
 */
class KernelRstWatch {
  seen = 0;
  private constructor(private readonly capture: LiveCapture) {
    capture.onPacket(() => {
      this.seen++;
    });
  }
  static open(device: string, local: TcpEndpoints): KernelRstWatch | undefined {
    try {
      loadCapModule();
      // libpcap cannot index the TCP header of IPv6 packets (tcp[...]); without extension headers the flags are at ip6[40 + 13].
      const rst = local.family === 6 ? 'ip6[53] & 4 != 0' : 'tcp[tcpflags] & tcp-rst != 0';
      const filter =
        `tcp and src host ${withoutScope(local.source)} and src port ${local.sourcePort} and dst host ${withoutScope(local.destination)} ` +
        `and dst port ${local.destinationPort} and ${rst}`;
      return new KernelRstWatch(LiveCapture.open({ device, filter }));
    } catch {
      return undefined;
    }
  }
  close(): void {
    this.capture.close();
  }
}

function explainFailure(result: TcpSessionResult, local: TcpEndpoints | undefined, ownRsts: number, watch: KernelRstWatch | undefined, blocking: boolean): string {
  if (result.reason === 'reset' && result.resetAfterHandshake && !blocking) {
    const kernelRsts = watch ? Math.max(0, watch.seen - ownRsts) : 0;
    const seen = kernelRsts > 0 ? ` (${kernelRsts} such RST${kernelRsts > 1 ? 's' : ''} seen leaving this host)` : '';
    const port = local ? `${local.source}:${local.sourcePort}` : 'this connection';
    return (
      `${result.message}: this host's kernel has no socket for ${port}, so it answered the server's SYN-ACK ` +
      `with a RST of its own${seen} and the server dropped the connection; run again with --block-kernel-rst ` +
      '(a firewall rule that drops those kernel RSTs while tcp-get runs)'
    );
  }
  return result.message ?? result.reason;
}

function describeStale(names: readonly string[]): string {
  const what = names.length === 1 ? 'firewall rule left by a killed tcp-get run' : 'firewall rules left by killed tcp-get runs';
  return `${names.length} ${what}: ${names.join(', ')}`;
}

/** --json: a session event as a record of the shared schema. */
function sessionEventRecord(event: TcpSessionEvent): JsonRecord {
  switch (event.type) {
    case 'sent':
      return { type: 'segment', direction: 'sent', timeMs: event.timeMs, retransmission: event.retransmission, segment: event.segment };
    case 'received':
      return { type: 'segment', direction: 'received', timeMs: event.timeMs, verdict: event.verdict, checksum: event.checksum, segment: event.segment };
    case 'state':
      return { type: 'state', timeMs: event.timeMs, from: event.from, to: event.to };
    case 'timeout':
      return { type: 'retransmission-timeout', timeMs: event.timeMs, what: event.what, attempt: event.attempt, rtoMs: event.rtoMs };
    case 'icmp':
      return { type: 'icmp-error', timeMs: event.timeMs, from: event.from, icmpType: event.icmpType, icmpCode: event.icmpCode };
    case 'note':
      return { type: 'note', timeMs: event.timeMs, message: event.message };
  }
}

/** --json: the response head, and the body as text (or hex when it is not UTF-8). */
function responseRecord(result: HttpGetResult, chunks: readonly Uint8Array[]): JsonRecord {
  const head = result.head!;
  const body = Buffer.concat(chunks);
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    text = undefined;
  }
  return {
    type: 'response',
    httpVersion: head.httpVersion,
    statusCode: head.statusCode,
    reasonPhrase: head.reasonPhrase,
    headers: head.headers.map(([name, value]) => ({ name, value })),
    framing: result.framing ?? 'none',
    bodyBytes: result.bodyBytes,
    ...(text !== undefined ? { body: text } : { bodyHex: body }),
  };
}

/** --remove-stale-rules: exit status 0 when none is left, 1 when one could not be removed. */
function removeStaleRules(io: CommandIo): number {
  const stale: StaleKernelRstBlock[] = findStaleKernelRstBlocks();
  if (stale.length === 0) {
    writeText(io.stdout, 'no firewall rules left by killed tcp-get runs\n');
    return 0;
  }
  const { removed, problems } = removeStaleKernelRstBlocks(stale);
  if (removed.length > 0) writeText(io.stdout, `removed ${describeStale(removed)}\n`);
  for (const problem of problems) writeText(io.stderr, `tcp-get: ${problem}\n`);
  return problems.length > 0 ? 1 : 0;
}

export async function runTcpGetCommand(args: readonly string[], io: CommandIo, env: CommandEnv = processEnv()): Promise<number> {
  const cli = parseTcpGetArguments([...args]);
  if (cli === 'help') {
    writeText(io.stdout, TCP_GET_USAGE);
    return 0;
  }
  if (cli === 'remove-stale-rules') return removeStaleRules(io);
  // Rules of killed runs are said, every run (nothing else would tell); a run
  // that manages the firewall anyway removes them.
  const stale = findStaleKernelRstBlocks();
  if (stale.length > 0) {
    if (cli.blockKernelRst) {
      const { removed, problems } = removeStaleKernelRstBlocks(stale);
      if (removed.length > 0) writeText(io.stderr, `tcp-get: removed ${describeStale(removed)}\n`);
      for (const problem of problems) writeText(io.stderr, `tcp-get: ${problem}\n`);
    } else {
      writeText(io.stderr, `tcp-get: ${describeStale(stale.map((rule) => rule.name))} (remove with: tcp-get --remove-stale-rules)\n`);
    }
  }
  const resolved = await resolveHost(cli.url.host, { family: cli.family });
  const destination = resolved.address;
  // IPv6 raw TCP sockets have no IP_HDRINCL: the kernel writes the header, source included.
  if (resolved.family === 6 && (cli.source !== undefined || cli.headerIncluded)) {
    throw new UsageError(`${cli.source !== undefined ? '--source' : '--hdrincl'} is for IPv4: over IPv6 the kernel writes the header`);
  }
  const start = new PrivilegedStart(cli.pcap, env);
  if (cli.showWire) loadCapModule(); // fails here, before any packet, when capture cannot work
  /** --show-wire: the capture of the SYN and the first data segment, and the header the lab would have written around them. */
  let showWire: ShowWire | undefined;
  let builtHeader: BuiltHeader | undefined;
  let dataNoted = false;

  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // A second signal: do not wait for the RST to go out; the 'exit' hooks clean up.
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    signalled = signal;
    controller.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  const deadline = setTimeout(() => controller.abort(), cli.maxTimeMs);

  let block: KernelRstBlock | undefined;
  let watch: KernelRstWatch | undefined;
  let local: TcpEndpoints | undefined;
  let ownRsts = 0;
  const startMs = performance.timeOrigin + performance.now();
  const trace = (line: string) => writeText(io.stderr, `${line}\n`);
  const sourcePort = cli.sourcePort ?? randomEphemeralPort();
  const tracer = new TcpTrace(startMs);

  const record = recordPrinter(io.stdout);
  const bodyChunks: Uint8Array[] = [];

  const onEvent = (event: TcpSessionEvent) => {
    if (event.type === 'sent' && event.segment.flags & 0x04) ownRsts++;
    if (cli.json) record(sessionEventRecord(event));
    if (!cli.verbose) return;
    trace(tracer.format(event));
  };

  const out = io.stdout;
  let result: HttpGetResult | undefined;
  let failure: TcpSessionResult | undefined;
  try {
    try {
      result = await httpGet({
        url: cli.url,
        destination,
        source: cli.source,
        sourcePort,
        headerIncluded: cli.headerIncluded ? true : undefined,
        ttl: cli.ttl,
        mss: cli.mss ?? mssFor(cli.source ?? (await sourceAddressFor(destination)), resolved.family),
        receiveWindow: cli.receiveWindow,
        windowScale: cli.windowScale,
        windowScaling: cli.windowScaling,
        sack: cli.sack,
        timestamps: cli.timestamps,
        initialRtoMs: cli.initialRtoMs,
        synRetries: cli.synRetries,
        socketMark: cli.blockKernelRst ? RAW_SOCKET_MARK : undefined,
        signal: controller.signal,
        onEvent,
        onSegmentBuilt: (segment, payloadLength) => {
          if (!showWire || !builtHeader) return;
          if (showWire.noted === 0) showWire.noteBuilt('the SYN', builtDatagram(builtHeader, segment));
          else if (payloadLength > 0 && !dataNoted) {
            dataNoted = true;
            showWire.noteBuilt('the first data segment', builtDatagram(builtHeader, segment));
          }
        },
        onSocketOpen: (endpoints) => {
          local = endpoints;
          const device = interfaceForAddress(endpoints.routeSource) ?? 'any';
          const filter =
            `(tcp and host ${withoutScope(endpoints.destination)} and port ${endpoints.sourcePort}) or ` +
            (endpoints.family === 6
              ? '(icmp6 and ip6[40] < 128)'
              : '(icmp and icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply)');
          if (cli.showWire) {
            // Opened while still privileged; the engine's IPv4 header (with --hdrincl) sets DF, as the kernel's does.
            showWire = ShowWire.open(endpoints.routeSource, filter);
            builtHeader = {
              family: endpoints.family,
              protocol: IpProtocol.TCP,
              source: endpoints.source,
              destination: endpoints.destination,
              ttl: cli.ttl,
              dontFragment: endpoints.family === 4 && endpoints.headerIncluded,
            };
          }
          if (cli.verbose) {
            const header = endpoints.headerIncluded
              ? 'IPv4 header built here (IP_HDRINCL)'
              : `${endpoints.family === 6 ? 'IPv6' : 'IPv4'} header built by the kernel`;
            trace(`* ${endpoints.source}:${endpoints.sourcePort} -> ${endpoints.destination}:${endpoints.destinationPort} via ${device}, ${header}`);
          }
          start.begin({
            privileged: () => {
              if (cli.blockKernelRst) {
                block = KernelRstBlock.install(
                  { source: endpoints.source, destination: endpoints.destination, sourcePort: endpoints.sourcePort, destinationPort: endpoints.destinationPort },
                  { backend: cli.firewall },
                );
                if (cli.verbose) trace(`* firewall (${block.backend}), removed on exit:\n${block.description.replace(/^/gm, '    ')}`);
                env.faults?.afterFirewallInstalled?.();
              }
              if (!cli.blockKernelRst) watch = KernelRstWatch.open(device, endpoints);
            },
            capture: {
              device,
              filter,
              // Room for a window of segments arriving while this process is busy with them.
              bufferSize: PCAP_BUFFER_BYTES,
            },
            // Without a firewall rule to remove at the end, root is no longer needed.
            keepPrivileges: cli.blockKernelRst,
            header: () => {
              if (cli.json) record({ type: 'start', tool: 'tcp-get', url: cli.urlText, ...endpoints, device });
            },
          });
        },
        onHead: (head) => {
          if (cli.include && !cli.json) out.write(head.raw);
        },
        // With --json the body is kept for the response object; otherwise a slow reader
        // of stdout pauses the connection (its window closes) until it drains.
        onBody: (chunk) => {
          if (cli.json) {
            bodyChunks.push(chunk.slice());
            return undefined;
          }
          return out.write(chunk) ? undefined : out.drain();
        },
      });
    } catch (error) {
      if (error instanceof TcpConnectError) failure = error.result;
      else {
        showWire?.close();
        throw error;
      }
    }
  } finally {
    clearTimeout(deadline);
    env.faults?.beforeCleanup?.();
    // The signal handlers stay until the rule is gone: a signal now only aborts
    // (a no-op by this point), and a second one exits through the rule's 'exit' hook.
    try {
      const dropped = block?.droppedPackets();
      const problem = block?.remove();
      if (cli.verbose && block) trace(`* firewall rule removed${dropped !== undefined ? `; it dropped ${dropped} kernel RST${dropped === 1 ? '' : 's'}` : ''}`);
      if (problem) writeText(io.stderr, `tcp-get: ${problem}\n`);
      watch?.close();
      await start.finish();
    } finally {
      for (const signal of signals) process.off(signal, onSignal);
    }
  }

  const shown = await showWire?.finish(local?.headerIncluded ? 'hdrincl' : 'kernel', { json: cli.json, style: PLAIN_STYLE });
  if (shown && !cli.json) writeText(io.stderr, `${shown.lines.join('\n')}\n`);
  const sessionResult = result?.session ?? failure!;
  if (cli.json) {
    for (const r of shown?.records ?? []) record(r);
    if (result?.head) record(responseRecord(result, bodyChunks));
    record({
      type: 'summary',
      tool: 'tcp-get',
      url: cli.urlText,
      complete: result?.complete ?? false,
      reason: sessionResult.reason,
      ...(sessionResult.message !== undefined ? { message: sessionResult.message } : {}),
      ...(result?.error !== undefined ? { error: result.error } : {}),
      bodyBytes: result?.bodyBytes ?? 0,
      finalState: sessionResult.finalState,
      stats: sessionResult.stats,
      elapsedMs: performance.timeOrigin + performance.now() - startMs,
    });
  }
  if (cli.verbose) {
    const s = sessionResult.stats;
    trace(
      `* ${s.segmentsSent} segments sent (${s.retransmissions} retransmitted), ${s.segmentsReceived} received ` +
        `(${s.outOfOrder} out of order, ${s.duplicates} duplicate), ${s.bytesReceived} bytes in` +
        (s.srttMs !== undefined ? `, srtt ${s.srttMs.toFixed(3)} ms` : ''),
    );
  }
  if (signalled) {
    writeText(io.stderr, `tcp-get: interrupted by ${signalled}${sessionResult.reason === 'aborted' ? ', connection reset' : ''}\n`);
    return 128 + (signalled === 'SIGINT' ? 2 : signalled === 'SIGHUP' ? 1 : 15);
  }
  if (controller.signal.aborted && sessionResult.reason === 'aborted') {
    writeText(io.stderr, `tcp-get: gave up after --max-time ${cli.maxTimeMs / 1000} s\n`);
    return 1;
  }
  if (result?.emptyReply) {
    writeText(io.stderr, 'tcp-get: Empty reply from server\n');
    return 52;
  }
  if (!result || !result.complete) {
    const message = result?.head && result.error && sessionResult.reason === 'closed' ? result.error : explainFailure(sessionResult, local, ownRsts, watch, cli.blockKernelRst);
    writeText(io.stderr, `tcp-get: ${message}\n`);
    return 1;
  }
  if (cli.verbose && result.head) {
    const length = headerValue(result.head, 'content-length');
    trace(`* HTTP ${result.head.statusCode} ${result.head.reasonPhrase}, body ${result.bodyBytes} bytes (${result.framing}${length ? `, Content-Length ${length}` : ''})`);
  }
  return 0;
}
