// dissect's command line. Files are positional (or -r FILE, as in tshark;
// "-" is standard input); filters come in two languages, told apart by where
// they are given:
//
//   -Y EXPR        tshark's display-filter language (ip.addr == A && tcp.port == 80)
//   -f EXPR        the tcpdump-style shorthand (host A and port 80), tcpdump's precedence
//   trailing words after the files: a filter in either language, one quoted
//                  argument or several words. It starts at the first
//                  positional whose first word is a shorthand word (icmp,
//                  icmp6, tcp, udp, arp, ip, ip6, host, net, port, src, dst,
//                  not, !, "(")
//                  or a display-filter field (ip.addr, tcp.port, frame.len,
//                  ...); shorthand is tried first (so `tcp or udp and host A`
//                  reads as tcpdump does), the display language when the
//                  text starts with a field or is not valid shorthand. With
//                  -r every positional is filter text. A file named like a
//                  filter word is read as ./tcp.
//
//   dissect -V capture.pcap tcp and port 80
//   dissect -r capture.pcap -Y 'ip.addr == 10.0.0.1 && tcp.flags.syn == 1'
//   cat capture.pcap | dissect - 'icmp or udp'
//   dissect -r f.pcap -T fields -e frame.number -e ip.src -E separator=,
//   dissect -r f.pcap -q -z follow,tcp,ascii,0

import { parseArgs } from 'node:util';
import { FilterNestingError, FilterSyntaxError, parseDisplayFilter, type DisplayFilter } from '../dissection/display-filter.ts';
import { FILTER_FIELDS } from '../dissection/filter-fields.ts';
import { FILTER_START_WORDS, firstFilterWord, parseShorthandFilter, type PacketFilter } from '../dissection/shorthand-filter.ts';
import type { SummaryTimeFormat } from '../render/summary-time.ts';
import type { FieldsLayout } from '../render/tshark-fields.ts';
import { parseNumberOption, UsageError } from './run-cli.ts';

export const DISSECT_USAGE = `Usage: dissect [options] FILE... [FILTER]
       dissect -r FILE [options] [FILTER]

Reads pcap and pcapng files ("-" is standard input; a pipe or a FIFO is read
as it arrives) and shows every packet: one summary line each (like tshark),
or the views below.

Options:
  -r FILE          read FILE (as tshark -r); then every positional word is filter text
  -V               the full field tree of every layer (instead of the summary line)
  -x               hex and ASCII dump of each packet
  --diagram        RFC-style header diagrams (IPv4, ICMP, TCP, UDP) with this packet's values
  --checksum       every checksum computed step by step (RFC 1071)
  -Y EXPR          only packets matching EXPR, a tshark display filter:
                   ip.addr == 10.0.0.1 && tcp.port in {80, 443}, tcp.flags.syn == 1,
                   frame.len > 100, icmp.type == 8, ip.src == 10.0.0.0/8, !arp
  -f EXPR          only packets matching EXPR, tcpdump-style shorthand (as FILTER below)
  -c COUNT         stop after COUNT shown packets
  -t FORMAT        summary time: r relative (default), a absolute, ad absolute with date,
                   d delta, dd delta displayed, e epoch, u UTC, ud UTC with date
  -T fields|json|text
                   -T fields: one line per packet with the -e fields, tab-separated;
                   -T json: tshark's JSON array (_source.layers.frame/eth/ip/tcp ...)
  -e FIELD         a field for -T fields (repeatable), as tshark names it
  -E OPTION        -T fields formatting: header=y|n, separator=/t|/s|CHAR,
                   quote=d|s|n, occurrence=f|l|a, aggregator=,|/s|CHAR
  -q               no per-packet output (with -z)
  -z STATISTIC     after reading: follow,tcp,ascii,N (the bytes of TCP stream N)
                   or conv,tcp (TCP conversations), as tshark prints them
  --json           one JSON object per packet (and per unreadable file), one per line
  --no-tcp-analysis
                   no TCP sequence analysis (retransmissions, duplicate ACKs...; on by
                   default, as in tshark); -o tcp.analyze_sequence_numbers:FALSE is the same
  --no-ip-reassembly
                   leave IPv4 fragments apart (by default the fragment completing a
                   datagram shows its ICMP/TCP/UDP); -o ip.defragment:FALSE is the same
  -h, --help       this help

FILTER (after the files): the tcpdump-style shorthand, icmp, icmp6, tcp, udp,
arp, ip, ip6, [src|dst] host ADDR (IPv4 or IPv6), [src|dst] net A.B.C.D/N,
[src|dst] port N, combined
with and / or / not (equal precedence, left to right, as tcpdump) and
parentheses, e.g.  dissect f.pcap tcp and port 80   -- or a display filter
starting with a field, e.g.  dissect f.pcap 'ip.addr == 10.0.0.1'

Exit status: 0 when every file was read to its end, 1 when some file could not
be (the others were shown), 2 when nothing could be read or on a usage error,
130 after Ctrl-C (what was read is summed up first).
`;

export type TimeFormat = SummaryTimeFormat;
const TIME_FORMATS: ReadonlySet<string> = new Set(['r', 'a', 'ad', 'd', 'dd', 'e', 'u', 'ud']);

export type Statistic = { readonly kind: 'follow-tcp-ascii'; readonly stream: number } | { readonly kind: 'conv-tcp' };

export interface DissectOptions {
  readonly files: readonly string[];
  /** Inputs named the tshark way (-r, or "-"): problems are reported the tshark way, on stderr. */
  readonly tsharkInput: boolean;
  /** The tcpdump-style filter (reads the summary view). */
  readonly filter?: PacketFilter;
  /** The tshark-style display filter (needs the full dissection). */
  readonly displayFilter?: DisplayFilter;
  readonly filterText?: string;
  readonly tree: boolean;
  readonly hex: boolean;
  readonly diagram: boolean;
  readonly checksum: boolean;
  readonly json: boolean;
  readonly count?: number;
  readonly time: TimeFormat;
  readonly fieldsLayout?: FieldsLayout;
  /** -T json: tshark's JSON array (--json is dissect's own one-object-per-line format). */
  readonly tsharkJson: boolean;
  readonly quiet: boolean;
  readonly statistics: readonly Statistic[];
  readonly help: boolean;
  /** TCP sequence analysis (tshark's tcp.analyze_sequence_numbers). */
  readonly tcpAnalysis: boolean;
  /** IPv4 reassembly (tshark's ip.defragment). */
  readonly ipReassembly: boolean;
}

/** dissect's options: what the parser reads and shell completion offers. */
export const DISSECT_OPTIONS = {
  read: { type: 'string', short: 'r', multiple: true },
  verbose: { type: 'boolean', short: 'V' },
  hex: { type: 'boolean', short: 'x' },
  diagram: { type: 'boolean' },
  checksum: { type: 'boolean' },
  'display-filter': { type: 'string', short: 'Y' },
  filter: { type: 'string', short: 'f' },
  count: { type: 'string', short: 'c' },
  time: { type: 'string', short: 't' },
  output: { type: 'string', short: 'T' },
  field: { type: 'string', short: 'e', multiple: true },
  'field-option': { type: 'string', short: 'E', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  statistic: { type: 'string', short: 'z', multiple: true },
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

/** The filter's error as one line: "filter: column 14: expected a value after '=='". */
function filterError(error: unknown): never {
  // Too deep a filter is long: the reason alone, not the text.
  if (error instanceof FilterNestingError) throw new UsageError(error.message);
  if (error instanceof FilterSyntaxError) throw new UsageError(`filter: ${error.message}`);
  throw error;
}

function compileDisplay(text: string): DisplayFilter {
  try {
    return parseDisplayFilter(text);
  } catch (error) {
    return filterError(error);
  }
}

function compileShorthand(text: string): PacketFilter {
  try {
    return parseShorthandFilter(text);
  } catch (error) {
    return filterError(error);
  }
}

/** Whether a positional word starts a filter: its first word is shorthand or a display-filter field. */
function startsFilter(word: string): boolean {
  const first = firstFilterWord(word);
  if (FILTER_START_WORDS.has(first)) return true;
  const name = /^[a-z][a-z0-9_.-]*/i.exec(word.trimStart())?.[0] ?? '';
  return FILTER_FIELDS.has(name);
}

/** Trailing filter text: shorthand when it starts with a shorthand word and parses as one, else a display filter. */
function compileTrailing(text: string): { filter?: PacketFilter; displayFilter?: DisplayFilter } {
  if (FILTER_START_WORDS.has(firstFilterWord(text))) {
    try {
      return { filter: parseShorthandFilter(text) };
    } catch (shorthandError) {
      if (shorthandError instanceof FilterNestingError) return filterError(shorthandError);
      try {
        return { displayFilter: parseDisplayFilter(text) };
      } catch {
        return filterError(shorthandError);
      }
    }
  }
  return { displayFilter: compileDisplay(text) };
}

const SEPARATOR_WORDS: Record<string, string> = { '/t': '\t', '/s': ' ' };

function parseFieldsLayout(names: readonly string[], settings: readonly string[]): FieldsLayout {
  if (names.length === 0) throw new UsageError('-T fields needs at least one field: -e FIELD (e.g. -e frame.number -e ip.src)');
  const fields = names.map((name) => {
    const field = FILTER_FIELDS.get(name);
    if (!field) throw new UsageError(`-e: unknown field '${name}'`);
    return field;
  });
  let header = false;
  let separator = '\t';
  let quote: FieldsLayout['quote'] = '';
  let occurrence: FieldsLayout['occurrence'] = 'a';
  let aggregator = ',';
  for (const setting of settings) {
    const equals = setting.indexOf('=');
    const key = equals === -1 ? setting : setting.slice(0, equals);
    const value = equals === -1 ? '' : setting.slice(equals + 1);
    const bad = () => new UsageError(`-E: invalid value '${value}' for ${key}`);
    switch (key) {
      case 'header':
        if (value !== 'y' && value !== 'n') throw bad();
        header = value === 'y';
        break;
      case 'separator':
        if (value === '') throw bad();
        separator = SEPARATOR_WORDS[value] ?? value[0];
        break;
      case 'aggregator':
        if (value === '') throw bad();
        aggregator = SEPARATOR_WORDS[value] ?? value[0];
        break;
      case 'quote':
        if (value !== 'd' && value !== 's' && value !== 'n') throw bad();
        quote = value === 'd' ? '"' : value === 's' ? "'" : '';
        break;
      case 'occurrence':
        if (value !== 'f' && value !== 'l' && value !== 'a') throw bad();
        occurrence = value;
        break;
      default:
        throw new UsageError(`-E: unknown option '${key}' (header, separator, quote, occurrence, aggregator)`);
    }
  }
  return { fields, header, separator, quote, occurrence, aggregator };
}

function parseStatistic(text: string): Statistic {
  if (text === 'conv,tcp') return { kind: 'conv-tcp' };
  const follow = /^follow,tcp,ascii,(\d+)$/.exec(text);
  if (follow) return { kind: 'follow-tcp-ascii', stream: Number(follow[1]) };
  throw new UsageError(`-z: unsupported statistic '${text}' (known: follow,tcp,ascii,N and conv,tcp)`);
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
  const time = values.time ?? 'r';
  if (!TIME_FORMATS.has(time)) throw new UsageError(`-t: unknown time format '${time}' (r, a, ad, d, dd, e, u, ud)`);
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'fields' && output !== 'json') throw new UsageError(`-T: unsupported format '${output}' (fields, json or text)`);
  if (output === 'json' && values.json) throw new UsageError("-T json and --json are two JSON formats: choose one");
  if (output !== 'fields' && (values.field ?? []).length > 0) throw new UsageError('-e needs -T fields');
  const base = {
    tree: values.verbose ?? false,
    hex: values.hex ?? false,
    diagram: values.diagram ?? false,
    checksum: values.checksum ?? false,
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    tsharkJson: output === 'json',
    time: time as TimeFormat,
    statistics: (values.statistic ?? []).map(parseStatistic),
    help: values.help ?? false,
    ...preferenceSettings(values.option ?? [], { tcpAnalysis: !(values['no-tcp-analysis'] ?? false), ipReassembly: !(values['no-ip-reassembly'] ?? false) }),
  };
  if (base.help) return { ...base, files: [], tsharkInput: false };
  const fieldsLayout = output === 'fields' ? parseFieldsLayout(values.field ?? [], values['field-option'] ?? []) : undefined;
  const read = values.read ?? [];
  let files: string[];
  let trailing: string[];
  if (read.length > 0) {
    files = read;
    trailing = positionals;
  } else {
    const filterStart = positionals.findIndex(startsFilter);
    files = filterStart === -1 ? positionals : positionals.slice(0, filterStart);
    trailing = filterStart === -1 ? [] : positionals.slice(filterStart);
  }
  if (files.length === 0) throw new UsageError('no capture file given (see dissect -h)');
  let filter: PacketFilter | undefined;
  let displayFilter: DisplayFilter | undefined;
  const texts: string[] = [];
  if (values['display-filter'] !== undefined) {
    displayFilter = compileDisplay(values['display-filter']);
    texts.push(values['display-filter']);
  }
  if (values.filter !== undefined) {
    filter = compileShorthand(values.filter);
    texts.push(values.filter);
  }
  if (trailing.length > 0) {
    const text = trailing.join(' ');
    const compiled = compileTrailing(text);
    texts.push(text);
    if (compiled.filter) filter = both(filter, compiled.filter);
    if (compiled.displayFilter) displayFilter = both(displayFilter, compiled.displayFilter);
  }
  const count = values.count === undefined ? undefined : parseNumberOption('-c', values.count, { min: 1 });
  return {
    ...base,
    files,
    tsharkInput: read.length > 0 || files.includes('-'),
    ...(filter ? { filter } : {}),
    ...(displayFilter ? { displayFilter } : {}),
    ...(texts.length > 0 ? { filterText: texts.length === 1 ? texts[0] : texts.map((t) => `(${t})`).join(' and ') } : {}),
    ...(fieldsLayout ? { fieldsLayout } : {}),
    ...(count !== undefined ? { count } : {}),
  };
}

function both<P>(first: ((p: P) => boolean) | undefined, second: (p: P) => boolean): (p: P) => boolean {
  return first ? (p) => first(p) && second(p) : second;
}
