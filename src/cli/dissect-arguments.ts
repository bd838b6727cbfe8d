// dissect's command line: files first, then (optionally) a filter as
// trailing words, tcpdump style, or with -Y:
//
//   dissect -V capture.pcap tcp and port 80
//   dissect -Y 'icmp or host 10.0.0.1' a.pcap b.pcapng
//
// The filter starts at the first positional word that can start one (icmp,
// tcp, udp, arp, ip, host, port, src, dst, not, !, "("): a file named like
// that is read as ./tcp.

import { parseArgs } from 'node:util';
import { FILTER_START_WORDS, FilterNestingError, FilterSyntaxError, parseDisplayFilter, type PacketFilter } from '../dissection/display-filter.ts';
import { parseNumberOption, UsageError } from './run-cli.ts';

export const DISSECT_USAGE = `Usage: dissect [options] FILE... [FILTER]

Reads pcap and pcapng files and shows every packet: one summary line each
(like tshark), or the views below.

Options:
  -V               the full field tree of every layer (instead of the summary line)
  -x               hex and ASCII dump of each packet
  --diagram        RFC-style header diagrams (IPv4, ICMP, TCP, UDP) with this packet's values
  --checksum       every checksum computed step by step (RFC 1071)
  -Y, --filter EXPR
                   only packets matching EXPR (the same language as trailing FILTER words)
  -c COUNT         stop after COUNT shown packets
  --json           one JSON object per packet (and per unreadable file), one per line
  --no-tcp-analysis
                   no TCP sequence analysis (retransmissions, duplicate ACKs...; on by
                   default, as in tshark); -o tcp.analyze_sequence_numbers:FALSE is the same
  --no-ip-reassembly
                   leave IPv4 fragments apart (by default the fragment completing a
                   datagram shows its ICMP/TCP/UDP); -o ip.defragment:FALSE is the same
  -h, --help       this help

FILTER: icmp, tcp, udp, arp, ip, [src|dst] host ADDR, [src|dst] port N,
combined with and / or / not and parentheses, e.g.:  dissect f.pcap tcp and port 80

Exit status: 0 when every file was read to its end, 1 when some file could not
be (the others were shown), 2 when nothing could be read or on a usage error.
`;

export interface DissectOptions {
  readonly files: readonly string[];
  readonly filter?: PacketFilter;
  readonly filterText?: string;
  readonly tree: boolean;
  readonly hex: boolean;
  readonly diagram: boolean;
  readonly checksum: boolean;
  readonly json: boolean;
  readonly count?: number;
  readonly help: boolean;
  /** TCP sequence analysis (tshark's tcp.analyze_sequence_numbers). */
  readonly tcpAnalysis: boolean;
  /** IPv4 reassembly (tshark's ip.defragment). */
  readonly ipReassembly: boolean;
}

/** dissect's options: what the parser reads and shell completion offers. */
export const DISSECT_OPTIONS = {
  verbose: { type: 'boolean', short: 'V' },
  hex: { type: 'boolean', short: 'x' },
  diagram: { type: 'boolean' },
  checksum: { type: 'boolean' },
  filter: { type: 'string', short: 'Y' },
  count: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  'no-tcp-analysis': { type: 'boolean' },
  'no-ip-reassembly': { type: 'boolean' },
  /** tshark's preference switch; only tcp.analyze_sequence_numbers is known. */
  option: { type: 'string', short: 'o', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The tshark preferences -o accepts, and the option each sets. */
const PREFERENCES = { 'tcp.analyze_sequence_numbers': 'tcpAnalysis', 'ip.defragment': 'ipReassembly' } as const;

/** tshark's `-o NAME:TRUE|FALSE` for the preferences above: the settings they give, or a usage error. */
function preferenceSettings(preferences: readonly string[], initial: { tcpAnalysis: boolean; ipReassembly: boolean }) {
  const settings = { ...initial };
  for (const preference of preferences) {
    const match = /^([a-z_.]+):(true|false)$/i.exec(preference);
    const key = match ? PREFERENCES[match[1] as keyof typeof PREFERENCES] : undefined;
    if (!match || !key) throw new UsageError(`unknown preference '${preference}' for -o (known: ${Object.keys(PREFERENCES).map((p) => `${p}:TRUE|FALSE`).join(', ')})`);
    settings[key] = match[2].toLowerCase() === 'true';
  }
  return settings;
}

export function parseDissectArguments(args: readonly string[]): DissectOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: DISSECT_OPTIONS,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see dissect -h)`);
  }
  const { values, positionals } = parsed;
  const base = {
    tree: values.verbose ?? false,
    hex: values.hex ?? false,
    diagram: values.diagram ?? false,
    checksum: values.checksum ?? false,
    json: values.json ?? false,
    help: values.help ?? false,
    ...preferenceSettings(values.option ?? [], { tcpAnalysis: !(values['no-tcp-analysis'] ?? false), ipReassembly: !(values['no-ip-reassembly'] ?? false) }),
  };
  if (base.help) return { ...base, files: [] };
  const filterStart = positionals.findIndex((word) => FILTER_START_WORDS.has(word.toLowerCase()));
  const files = filterStart === -1 ? positionals : positionals.slice(0, filterStart);
  const trailing = filterStart === -1 ? [] : positionals.slice(filterStart);
  if (files.length === 0) throw new UsageError('no capture file given (see dissect -h)');
  const parts = [values.filter, trailing.length > 0 ? trailing.join(' ') : undefined].filter((p): p is string => p !== undefined);
  const filterText = parts.length === 2 ? `(${parts[0]}) and (${parts[1]})` : parts[0];
  let filter: PacketFilter | undefined;
  if (filterText !== undefined) {
    try {
      filter = parseDisplayFilter(filterText);
    } catch (error) {
      // Too deep a filter is long: the reason alone, not the text.
      if (error instanceof FilterNestingError) throw new UsageError(error.message);
      if (error instanceof FilterSyntaxError) throw new UsageError(`bad filter '${filterText}': ${error.message}`);
      throw error;
    }
  }
  const count = values.count === undefined ? undefined : parseNumberOption('-c', values.count, { min: 1 });
  return { ...base, files, ...(filter ? { filter, filterText } : {}), ...(count !== undefined ? { count } : {}) };
}
