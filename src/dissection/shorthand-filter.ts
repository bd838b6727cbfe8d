// dissect's tcpdump-style shorthand (`-f` or words after the file names):
//
//   icmp | icmp6 | tcp | udp | arp | ip | ip6
//   host ADDR | src host ADDR | dst host ADDR     (IPv4 or IPv6)
//   net A.B.C.D/N | src net ... | dst net ...
//   port N    | src port N    | dst port N
//   EXPR and EXPR, EXPR or EXPR, not EXPR, ( EXPR )   (also &&, ||, !)
//
// As in tcpdump (pcap-filter(7)), `and` and `or` have the same precedence
// and group left to right: `udp or icmp and host X` is `(udp or icmp) and
// host X`; `not` binds tighter than both. `host` looks at the outer IPv4 or
// IPv6 addresses (and ARP's), `port` at TCP and UDP ports, as tcpdump does.
//
// It reads the SummaryView, so it runs on the summary fast path. Parentheses
// and `not` nest at most MAX_FILTER_DEPTH levels; a chain of `and` / `or` is
// one flat list evaluated in a loop, however long.

import { parseIpv4Address } from '../wire/ipv4-address.ts';
import { formatIpv6Address } from '../wire/ipv6-address.ts';
import { FilterSyntaxError, FilterTokenParser } from './display-filter.ts';
import { ipv4Number, ipv6Bytes } from './filter-fields.ts';
import type { SummaryView } from './packet-model.ts';

/** Takes a SummaryView, so it works on the summary fast path's packets as on full ones. */
export type PacketFilter = (packet: SummaryView) => boolean;

/** Words that can start a shorthand filter: dissect takes the first positional word starting with one as the start of the filter. */
export const FILTER_START_WORDS: ReadonlySet<string> = new Set(['icmp', 'icmp6', 'tcp', 'udp', 'arp', 'ip', 'ip6', 'host', 'net', 'port', 'src', 'dst', 'not', '!', '(']);

interface Token {
  readonly text: string;
  readonly column: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(/&&|\|\||[()!]|[^\s()!&|]+|[&|]/g)) tokens.push({ text: match[0], column: match.index + 1 });
  return tokens;
}

/** The first word of a shorthand filter, lower-cased ('' when there is none): what tells a filter from a file name. */
export function firstFilterWord(text: string): string {
  return tokenize(text)[0]?.text.toLowerCase() ?? '';
}

type Direction = 'src' | 'dst' | 'either';

class Parser extends FilterTokenParser<Token, SummaryView> {
  parse(): PacketFilter {
    if (this.tokens.length === 0) throw new FilterSyntaxError('empty filter', 1);
    const filter = this.sequence();
    const extra = this.tokens[this.position];
    if (extra) throw new FilterSyntaxError(extra.text === ')' ? "')' without a matching '('" : `unexpected '${extra.text}'`, extra.column);
    return filter;
  }

  private peek(): string | undefined {
    return this.tokens[this.position]?.text.toLowerCase();
  }

  /** Terms joined by and / or, equal precedence, folded left to right. */
  private sequence(): PacketFilter {
    const terms = [this.not()];
    const ors: boolean[] = [];
    for (;;) {
      const word = this.peek();
      if (word === 'and' || word === '&&') ors.push(false);
      else if (word === 'or' || word === '||') ors.push(true);
      else break;
      const operator = this.tokens[this.position++];
      if (this.position >= this.tokens.length) throw new FilterSyntaxError(`expected a test after '${operator.text}'`, this.endColumn);
      terms.push(this.not());
    }
    if (terms.length === 1) return terms[0];
    if (ors.every((or) => !or)) return (p) => terms.every((term) => term(p));
    if (ors.every((or) => or)) return (p) => terms.some((term) => term(p));
    return (p) => {
      let result = terms[0](p);
      for (let i = 1; i < terms.length; i++) {
        // Short-circuit as tcpdump's generated code does: `x or ...` true skips the or-terms, false skips the and-terms.
        if (ors[i - 1] ? !result : result) result = terms[i](p);
      }
      return result;
    };
  }

  protected atNot(): boolean {
    const word = this.peek();
    return word === 'not' || word === '!';
  }

  protected primary(): PacketFilter {
    const token = this.next('a protocol, host, net or port');
    const word = token.text.toLowerCase();
    switch (word) {
      case '(': {
        this.enter();
        const inner = this.sequence();
        const close = this.tokens[this.position++];
        if (!close) throw new FilterSyntaxError("expected ')'", this.endColumn);
        if (close.text !== ')') throw new FilterSyntaxError(`expected ')' before '${close.text}'`, close.column);
        this.depth--;
        return inner;
      }
      case 'icmp':
        return (p) => p.icmp !== undefined;
      case 'tcp':
        return (p) => p.tcp !== undefined;
      case 'udp':
        return (p) => p.udp !== undefined;
      case 'arp':
        return (p) => p.arp !== undefined;
      case 'ip':
        return (p) => p.ipv4 !== undefined;
      case 'ip6':
        return (p) => p.ipv6 !== undefined;
      case 'icmp6':
        return (p) => p.icmpv6 !== undefined;
      case 'src':
      case 'dst': {
        const what = this.next(`'host', 'net' or 'port' after '${token.text}'`);
        const kind = what.text.toLowerCase();
        if (kind === 'host') return this.host(word);
        if (kind === 'net') return this.net(word);
        if (kind === 'port') return this.port(word);
        throw new FilterSyntaxError(`expected 'host', 'net' or 'port' after '${token.text}', not '${what.text}'`, what.column);
      }
      case 'host':
        return this.host('either');
      case 'net':
        return this.net('either');
      case 'port':
        return this.port('either');
      default:
        throw new FilterSyntaxError(
          `unknown filter word '${token.text}' (known: icmp, icmp6, tcp, udp, arp, ip, ip6, host, net, port, src, dst, and, or, not; tshark display filters go in -Y)`,
          token.column,
        );
    }
  }

  private addresses(direction: Direction, test: (address: string) => boolean): PacketFilter {
    return (p) => {
      const source = p.ipv4?.packet.source ?? p.ipv6?.packet.source ?? p.arp?.packet.senderIp;
      const destination = p.ipv4?.packet.destination ?? p.ipv6?.packet.destination ?? p.arp?.packet.targetIp;
      if (direction === 'src') return source !== undefined && test(source);
      if (direction === 'dst') return destination !== undefined && test(destination);
      return (source !== undefined && test(source)) || (destination !== undefined && test(destination));
    };
  }

  private host(direction: Direction): PacketFilter {
    const token = this.next('an IPv4 or IPv6 address');
    if (token.text.includes(':')) {
      const bytes = ipv6Bytes(token.text);
      if (!bytes) throw new FilterSyntaxError(`'${token.text}' is not an IPv6 address`, token.column);
      // The model's addresses are RFC 5952 text: compare with the same spelling.
      const text = formatIpv6Address(bytes);
      return this.addresses(direction, (address) => address === text);
    }
    try {
      parseIpv4Address(token.text);
    } catch {
      throw new FilterSyntaxError(`'${token.text}' is not an IPv4 address`, token.column);
    }
    const text = token.text;
    return this.addresses(direction, (address) => address === text);
  }

  private net(direction: Direction): PacketFilter {
    const token = this.next('a network (A.B.C.D/N)');
    const [addressText, bitsText = '32'] = token.text.split('/');
    const address = ipv4Number(addressText);
    const bits = /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : NaN;
    if (Number.isNaN(address) || !(bits >= 0 && bits <= 32)) throw new FilterSyntaxError(`'${token.text}' is not an IPv4 network (A.B.C.D/N)`, token.column);
    const block = 2 ** (32 - bits);
    const network = Math.floor(address / block);
    return this.addresses(direction, (text) => Math.floor(ipv4Number(text) / block) === network);
  }

  private port(direction: Direction): PacketFilter {
    const token = this.next('a port number');
    const port = Number(token.text);
    if (!/^\d+$/.test(token.text) || port > 65535) throw new FilterSyntaxError(`'${token.text}' is not a port number (0-65535)`, token.column);
    return (p) => {
      const ports = p.tcp ? p.tcp.segment : p.udp ? p.udp.header : undefined;
      if (!ports) return false;
      if (direction === 'src') return ports.sourcePort === port;
      if (direction === 'dst') return ports.destinationPort === port;
      return ports.sourcePort === port || ports.destinationPort === port;
    };
  }
}

/** Compiles a shorthand filter from its text (or its words, joined); throws FilterSyntaxError (FilterNestingError when nested too deeply). */
export function parseShorthandFilter(text: string | readonly string[]): PacketFilter {
  const source = typeof text === 'string' ? text : text.join(' ');
  return new Parser(tokenize(source), source.length + 1).parse();
}
