// What `traceroute` does (sudo tsx src/traceroute.ts [options] HOST): the
// route to HOST, hop by hop, with hand-built UDP probes to ports 33434 upward
// (the default, as traceroute(8)), ICMP echo probes (-I) or TCP SYN probes (-T).
import { lookupService } from 'node:dns/promises';
import { parsePort } from './port-list.ts';
import { interruption, parseCommandLine, parseNumberOption, UsageError } from './run-cli.ts';
import { type CommandEnv, type CommandIo, linePrinter, processEnv, writeText } from './command-io.ts';
import { recordPrinter } from './json-output.ts';
import { PrivilegedStart } from './privileged-start.ts';
import { runTraceroute, type HopResult, type TracerouteMode, type TracerouteEvent, type TracerouteStart, type TracerouteSummary } from '../engine/traceroute.ts';
import { interfaceForAddress, resolveHost, withoutScope, type AddressFamily } from '../net/routes.ts';
import { formatHopLine, formatTracerouteHeader } from '../render/traceroute-text.ts';

export const TRACEROUTE_USAGE = `Usage: traceroute [options] HOST

Prints the route to HOST: probes with TTL 1, 2, 3, ... built by hand and sent
through a raw socket (needs root or CAP_NET_RAW); each router on the way
answers with ICMP Time Exceeded.

Options:
  -4, -6        IPv4 or IPv6 only (default: the address's family, or the name's first address)
  -U            UDP probes to ports 33434, 33435, ... one per probe (the default);
                the destination answers with ICMP port unreachable
  -I            ICMP echo probes (ICMPv6 over IPv6)
  -T            TCP SYN probes (to port -p)
  -p PORT       -T: the TCP port (default 80); -U: the first UDP port (default 33434)
  -f FIRST_TTL  start at this TTL (default 1)
  -m MAX_TTL    at most this many hops (default 30)
  -q NQUERIES   probes per hop (default 3)
  -w WAIT       seconds to wait for the probes of a hop (default 5)
  -n            numeric output: no reverse name lookups
  --pcap FILE   record probes and answers into a pcap file
  --json        one JSON object per hop, then a summary
  -h, --help    this help

Exit status: 0 when the destination answered, 1 when it did not, 2 on errors.
`;

interface TracerouteCli {
  readonly host: string;
  readonly family?: AddressFamily;
  readonly mode: TracerouteMode;
  readonly port?: number;
  readonly firstTtl: number;
  readonly maxTtl: number;
  readonly probesPerHop: number;
  readonly waitMs: number;
  readonly numeric: boolean;
  readonly pcap?: string;
  readonly json: boolean;
}

/** traceroute's options: what the parser reads and shell completion offers. */
export const TRACEROUTE_OPTIONS = {
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  udp: { type: 'boolean', short: 'U' },
  icmp: { type: 'boolean', short: 'I' },
  tcp: { type: 'boolean', short: 'T' },
  port: { type: 'string', short: 'p' },
  'first-ttl': { type: 'string', short: 'f' },
  'max-hops': { type: 'string', short: 'm' },
  queries: { type: 'string', short: 'q' },
  wait: { type: 'string', short: 'w' },
  numeric: { type: 'boolean', short: 'n' },
  pcap: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseTracerouteArguments(args: string[]): TracerouteCli | 'help' {
  const parsed = parseCommandLine('traceroute', args, TRACEROUTE_OPTIONS);
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'a destination host is required' : `only one destination, got: ${positionals.join(' ')}`);
  }
  if (values.ipv4 && values.ipv6) throw new UsageError('-4 and -6 are exclusive');
  if ([values.udp, values.icmp, values.tcp].filter(Boolean).length > 1) throw new UsageError('-U, -I and -T are exclusive');
  if (values.port !== undefined && values.icmp) throw new UsageError('-p is for UDP and TCP probes, not -I');
  const maxTtl = values['max-hops'] === undefined ? 30 : parseNumberOption('-m', values['max-hops'], { min: 1, max: 255 });
  const firstTtl = values['first-ttl'] === undefined ? 1 : parseNumberOption('-f', values['first-ttl'], { min: 1, max: 255 });
  if (firstTtl > maxTtl) throw new UsageError(`first hop out of range: -f ${firstTtl} is past -m ${maxTtl}`);
  return {
    host: positionals[0],
    family: values.ipv4 ? 4 : values.ipv6 ? 6 : undefined,
    mode: values.tcp ? 'tcp' : values.icmp ? 'icmp' : 'udp',
    port: values.port === undefined ? undefined : parsePort(values.port, '-p'),
    firstTtl,
    maxTtl,
    probesPerHop: values.queries === undefined ? 3 : parseNumberOption('-q', values.queries, { min: 1, max: 10 }),
    waitMs: (values.wait === undefined ? 5 : parseNumberOption('-w', values.wait, { min: 0.01, max: 60, integer: false })) * 1000,
    numeric: values.numeric ?? false,
    pcap: values.pcap,
    json: values.json ?? false,
  };
}

export async function runTracerouteCommand(args: readonly string[], io: CommandIo, env: CommandEnv = processEnv()): Promise<number> {
  const cli = parseTracerouteArguments([...args]);
  if (cli === 'help') {
    writeText(io.stdout, TRACEROUTE_USAGE);
    return 0;
  }
  const { address } = await resolveHost(cli.host, { family: cli.family });
  const start = new PrivilegedStart(cli.pcap, env);
  const out = linePrinter(io.stdout);
  const record = recordPrinter(io.stdout);
  const names = new Map<string, string>();
  const label = (ip: string) => (cli.numeric ? ip : `${names.get(ip) ?? ip} (${ip})`);
  const resolveNames = async (hop: HopResult) => {
    if (cli.numeric) return;
    for (const probe of hop.probes) {
      if (!probe.from || names.has(probe.from)) continue;
      // getnameinfo (nsswitch: /etc/hosts first), not a raw DNS query.
      const name = await lookupService(probe.from, 0).then((r) => r.hostname, () => probe.from!);
      names.set(probe.from, name);
    }
  };

  const interrupt = interruption();
  // Hops are printed in order, each once its names are looked up.
  let printing = Promise.resolve();
  const onEvent = (event: TracerouteEvent) => {
    if (event.type === 'send-error') {
      writeText(io.stderr, `traceroute: ttl ${event.ttl}: ${event.message}\n`);
      return;
    }
    if (event.type !== 'hop') return;
    const hop = event.hop;
    printing = printing.then(async () => {
      if (cli.json) {
        record({ type: 'hop', ...hop });
        return;
      }
      await resolveNames(hop);
      out(formatHopLine(hop, label));
    });
  };
  let summary: TracerouteSummary;
  try {
    summary = await runTraceroute({
      destination: address,
      mode: cli.mode,
      port: cli.port,
      firstTtl: cli.firstTtl,
      maxTtl: cli.maxTtl,
      probesPerHop: cli.probesPerHop,
      waitMs: cli.waitMs,
      signal: interrupt.signal,
      onEvent,
      onSocketOpen: (trace: TracerouteStart) =>
        start.begin({
          capture: {
            device: interfaceForAddress(trace.source) ?? 'any',
            filter: captureFilter(trace, withoutScope(address)),
          },
          header: () => (cli.json ? record({ type: 'start', tool: 'traceroute', host: cli.host, ...trace }) : out(formatTracerouteHeader(cli.host, trace))),
        }),
    });
    await printing;
  } finally {
    interrupt.dispose();
    await start.finish();
  }
  if (cli.json) {
    const { hops, ...rest } = summary;
    record({ type: 'summary', tool: 'traceroute', host: cli.host, ...rest, hopCount: hops.length });
  }
  return summary.reached ? 0 : 1;
}

/** What --pcap records: the probes and their answers, for the trace's family. */
function captureFilter(trace: TracerouteStart, address: string): string {
  if (trace.family === 6) {
    // ICMPv6 errors (types below 128) and echo to or from the destination; libpcap reads no icmp6 type field past extension headers, so by type byte.
    const errors = 'icmp6 and ip6[40] < 128';
    if (trace.mode === 'icmp') return `(${errors}) or (icmp6 and host ${address} and (ip6[40] == 128 or ip6[40] == 129))`;
    return `(ip6 and ${trace.mode} and host ${address} and port ${trace.sourcePort}) or (${errors})`;
  }
  if (trace.mode === 'icmp') return `icmp and (host ${address} or icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-unreach)`;
  return `(${trace.mode} and host ${address} and port ${trace.sourcePort}) or (icmp and (icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-unreach))`;
}
