// dissect's packet filter: a small tcpdump-like language over the decoded
// layers.
//
//   icmp | tcp | udp | arp | ip
//   host ADDR | src host ADDR | dst host ADDR
//   port N    | src port N    | dst port N
//   EXPR and EXPR, EXPR or EXPR, not EXPR, ( EXPR )   (also &&, ||, !)
//
// `and` binds tighter than `or`; `host` looks at the outer IPv4 addresses (and
// ARP's), `port` at TCP and UDP ports, as tcpdump does.
//
// Parentheses and `not` may nest at most MAX_FILTER_DEPTH levels (tcpdump's
// and tshark's parsers have limits too): deeper is a FilterNestingError, not
// a stack overflow. Chains of `and` / `or` do not nest: a filter of 20,000
// terms is one flat list, evaluated in a loop.

import { parseIpv4Address } from '../wire/ipv4-address.ts';
import type { SummaryView } from './packet-model.ts';

/** Takes a SummaryView, so it works on the summary fast path's packets as on full ones. */
export type PacketFilter = (packet: SummaryView) => boolean;

export class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

/** Parenthesised groups and `not`s nested deeper than this are refused. */
export const MAX_FILTER_DEPTH = 256;

/** A filter nested deeper than MAX_FILTER_DEPTH. */
export class FilterNestingError extends FilterSyntaxError {
  constructor() {
    super(`filter nested too deeply (at most ${MAX_FILTER_DEPTH} levels)`);
    this.name = 'FilterNestingError';
  }
}

function anyOf(terms: PacketFilter[]): PacketFilter {
  if (terms.length === 1) return terms[0];
  return (p) => {
    for (let i = 0; i < terms.length; i++) if (terms[i](p)) return true;
    return false;
  };
}

function allOf(terms: PacketFilter[]): PacketFilter {
  if (terms.length === 1) return terms[0];
  return (p) => {
    for (let i = 0; i < terms.length; i++) if (!terms[i](p)) return false;
    return true;
  };
}

/** Words that can start a filter: dissect takes the first such positional word as the start of one. */
export const FILTER_START_WORDS: ReadonlySet<string> = new Set(['icmp', 'tcp', 'udp', 'arp', 'ip', 'host', 'port', 'src', 'dst', 'not', '!', '(']);

function tokenize(text: string): string[] {
  return text.match(/&&|\|\||[()!]|[^\s()!&|]+|[&|]/g) ?? [];
}

class Parser {
  private position = 0;
  /** Open parentheses and `not`s around the current position. */
  private depth = 0;
  constructor(private readonly tokens: string[]) {}

  parse(): PacketFilter {
    if (this.tokens.length === 0) throw new FilterSyntaxError('empty filter');
    const filter = this.or();
    if (this.position < this.tokens.length) throw new FilterSyntaxError(`unexpected '${this.tokens[this.position]}'`);
    return filter;
  }

  private peek(): string | undefined {
    return this.tokens[this.position]?.toLowerCase();
  }

  private next(what: string): string {
    const token = this.tokens[this.position++];
    if (token === undefined) throw new FilterSyntaxError(`${what} expected at the end of the filter`);
    return token;
  }

  private enter(): void {
    if (++this.depth > MAX_FILTER_DEPTH) throw new FilterNestingError();
  }

  private or(): PacketFilter {
    const terms = [this.and()];
    while (this.peek() === 'or' || this.peek() === '||') {
      this.position++;
      terms.push(this.and());
    }
    return anyOf(terms);
  }

  private and(): PacketFilter {
    const terms = [this.not()];
    while (this.peek() === 'and' || this.peek() === '&&') {
      this.position++;
      terms.push(this.not());
    }
    return allOf(terms);
  }

  private not(): PacketFilter {
    if (this.peek() === 'not' || this.peek() === '!') {
      this.position++;
      this.enter();
      const inner = this.not();
      this.depth--;
      return (p) => !inner(p);
    }
    return this.primary();
  }

  private primary(): PacketFilter {
    const token = this.next('a protocol, host or port').toLowerCase();
    switch (token) {
      case '(': {
        this.enter();
        const inner = this.or();
        if (this.next("')'") !== ')') throw new FilterSyntaxError("')' expected");
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
      case 'src':
      case 'dst': {
        const what = this.next("'host' or 'port'").toLowerCase();
        if (what === 'host') return this.host(token);
        if (what === 'port') return this.port(token);
        throw new FilterSyntaxError(`'host' or 'port' expected after '${token}', got '${what}'`);
      }
      case 'host':
        return this.host('either');
      case 'port':
        return this.port('either');
      default:
        throw new FilterSyntaxError(`unknown filter word '${token}' (known: icmp, tcp, udp, arp, ip, host, port, src, dst, and, or, not)`);
    }
  }

  private host(direction: 'src' | 'dst' | 'either'): PacketFilter {
    const text = this.next('an IPv4 address');
    try {
      parseIpv4Address(text);
    } catch {
      throw new FilterSyntaxError(`'${text}' is not an IPv4 address`);
    }
    return (p) => {
      const source = p.ipv4?.packet.source ?? p.arp?.packet.senderIp;
      const destination = p.ipv4?.packet.destination ?? p.arp?.packet.targetIp;
      if (direction === 'src') return source === text;
      if (direction === 'dst') return destination === text;
      return source === text || destination === text;
    };
  }

  private port(direction: 'src' | 'dst' | 'either'): PacketFilter {
    const text = this.next('a port number');
    const port = Number(text);
    if (!/^\d+$/.test(text) || port > 65535) throw new FilterSyntaxError(`'${text}' is not a port number (0-65535)`);
    return (p) => {
      const ports = p.tcp ? p.tcp.segment : p.udp ? p.udp.header : undefined;
      if (!ports) return false;
      if (direction === 'src') return ports.sourcePort === port;
      if (direction === 'dst') return ports.destinationPort === port;
      return ports.sourcePort === port || ports.destinationPort === port;
    };
  }
}

/** Compiles a filter from its text (or its words, joined); throws FilterSyntaxError (FilterNestingError when nested too deeply). */
export function parseDisplayFilter(text: string | readonly string[]): PacketFilter {
  const source = typeof text === 'string' ? text : text.join(' ');
  return new Parser(tokenize(source)).parse();
}
