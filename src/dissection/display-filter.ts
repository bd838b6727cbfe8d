// tshark's display-filter language (the part people type), over the field
// table of filter-fields.ts:
//
//   ip.addr == 10.77.1.1 && tcp.port == 80        field comparisons
//   ==  !=  <  >  <=  >=   eq ne lt gt le ge      (also any_eq, all_ne, ===, !==)
//   tcp.payload contains "GET"   http matches "^GET"
//   tcp.port in {80, 443, 8000..8080}             sets (commas or spaces) and ranges
//   tcp.flags & 0x12                              a bit test
//   tcp    tcp.analysis.flags                     existence of a protocol or field
//   ip.src == 10.0.0.0/8                          CIDR
//   &&  ||  !   and  or  not   ( ... )            `and` binds tighter than `or`
//
// Numbers are decimal, 0x hex or 0-prefixed octal, as in Wireshark. As in
// Wireshark 4, `!=` means "no occurrence equals" (all_ne: `ip.addr != A`
// drops every packet with A on either side), and any comparison of a field
// the packet lacks is false.
//
// Errors name the column (1-based) they were found at. Parentheses and
// negations nest at most MAX_FILTER_DEPTH levels (a FilterNestingError, not a
// stack overflow); chains of && and || are flat lists evaluated in a loop.

import { ipv4Number, ipv6Bytes, macNumber, FILTER_FIELDS, type FieldDefinition, type FieldValue } from './filter-fields.ts';
import type { DissectedPacket } from './packet-model.ts';

/** A compiled tshark-style display filter: it reads the full dissection. */
export type DisplayFilter = (packet: DissectedPacket) => boolean;

export class FilterSyntaxError extends Error {
  constructor(
    readonly reason: string,
    /** 1-based column in the filter text, when the error has one place. */
    readonly column?: number,
  ) {
    super(column === undefined ? reason : `column ${column}: ${reason}`);
    this.name = 'FilterSyntaxError';
  }
}

/** Parenthesised groups and negations nested deeper than this are refused. */
export const MAX_FILTER_DEPTH = 256;

/** A filter nested deeper than MAX_FILTER_DEPTH. */
export class FilterNestingError extends FilterSyntaxError {
  constructor() {
    super(`filter nested too deeply (at most ${MAX_FILTER_DEPTH} levels)`);
    this.name = 'FilterNestingError';
  }
}

/**
 * What the display-filter and shorthand parsers share, whatever their
 * grammar: a cursor over the tokens, the nesting limit, and `not` nested
 * right to left (each grammar says which token is a `not`). P is the packet
 * the compiled filter reads.
 */
export abstract class FilterTokenParser<T extends { readonly text: string; readonly column: number }, P> {
  protected position = 0;
  protected depth = 0;

  constructor(
    protected readonly tokens: readonly T[],
    protected readonly endColumn: number,
  ) {}

  /** True when the token at the cursor negates what follows. */
  protected abstract atNot(): boolean;
  /** A test or a parenthesised group. */
  protected abstract primary(): (packet: P) => boolean;

  /** The next token, or an error at the end of the filter saying what was expected. */
  protected next(expected: string): T {
    const token = this.tokens[this.position++];
    if (!token) throw new FilterSyntaxError(`expected ${expected}`, this.endColumn);
    return token;
  }

  /** One level deeper (a group or a negation); refused past MAX_FILTER_DEPTH. */
  protected enter(): void {
    if (++this.depth > MAX_FILTER_DEPTH) throw new FilterNestingError();
  }

  protected not(): (packet: P) => boolean {
    if (this.atNot()) {
      this.position++;
      this.enter();
      const inner = this.not();
      this.depth--;
      return (p) => !inner(p);
    }
    return this.primary();
  }
}

/** Words of the tcpdump-style shorthand: named in the error when typed in a display filter. */
const SHORTHAND_WORDS = new Set(['host', 'port', 'src', 'dst', 'net', 'ip6', 'icmp6']);

interface Token {
  /** 'word', 'string', or the operator / punctuation itself. */
  readonly kind: string;
  readonly text: string;
  /** 1-based column of its first character. */
  readonly column: number;
}

const PUNCTUATION = ['===', '!==', '==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '{', '}', ',', '&', '~'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterSyntaxError('the string is not closed (a " is missing)', start + 1);
        const d = text[i];
        if (d === '"') break;
        if (d === '\\') {
          const e = text[i + 1];
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
            value += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : (e ?? '');
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      i++;
      tokens.push({ kind: 'string', text: value, column: start + 1 });
      continue;
    }
    const punctuation = PUNCTUATION.find((p) => text.startsWith(p, i));
    if (punctuation) {
      tokens.push({ kind: punctuation, text: punctuation, column: i + 1 });
      i += punctuation.length;
      continue;
    }
    if (c === '=' || c === '|') throw new FilterSyntaxError(`'${c}' alone is not an operator (did you mean '${c}${c}'?)`, i + 1);
    const start = i;
    while (i < text.length && !/[\s()!=<>&|{},"~]/.test(text[i])) i++;
    tokens.push({ kind: 'word', text: text.slice(start, i), column: start + 1 });
  }
  return tokens;
}

const KEYWORD_OPERATORS: Record<string, string> = {
  and: '&&',
  or: '||',
  not: '!',
  eq: '==',
  any_eq: '==',
  ne: '!=',
  all_ne: '!=',
  all_eq: '===',
  any_ne: '!==',
  gt: '>',
  lt: '<',
  ge: '>=',
  le: '<=',
  contains: 'contains',
  matches: '~',
  in: 'in',
  bitand: '&',
};

/** A word that is an operator keyword becomes that operator's token. */
function operatorOf(token: Token | undefined): string | undefined {
  if (!token) return undefined;
  if (token.kind !== 'word') return token.kind;
  return KEYWORD_OPERATORS[token.text.toLowerCase()];
}

type ValueTest = (value: FieldValue) => boolean;

const COMPARISONS = new Set(['==', '!=', '===', '!==', '<', '>', '<=', '>=', 'contains', '~', '&']);

class Parser extends FilterTokenParser<Token, DissectedPacket> {
  private readonly values: FieldValue[] = [];

  parse(): DisplayFilter {
    if (this.tokens.length === 0) throw new FilterSyntaxError('empty filter', 1);
    const filter = this.or();
    const extra = this.tokens[this.position];
    if (extra) throw new FilterSyntaxError(extra.kind === ')' ? "')' without a matching '('" : `"${extra.text}" was unexpected here`, extra.column);
    return filter;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }


  private or(): DisplayFilter {
    const terms = [this.and()];
    while (operatorOf(this.peek()) === '||') {
      this.position++;
      terms.push(this.and());
    }
    if (terms.length === 1) return terms[0];
    return (p) => {
      for (let i = 0; i < terms.length; i++) if (terms[i](p)) return true;
      return false;
    };
  }

  private and(): DisplayFilter {
    const terms = [this.not()];
    while (operatorOf(this.peek()) === '&&') {
      const operator = this.tokens[this.position++];
      if (!this.peek()) throw new FilterSyntaxError(`expected a test after '${operator.text}'`, this.endColumn);
      terms.push(this.not());
    }
    if (terms.length === 1) return terms[0];
    return (p) => {
      for (let i = 0; i < terms.length; i++) if (!terms[i](p)) return false;
      return true;
    };
  }

  protected atNot(): boolean {
    return operatorOf(this.peek()) === '!';
  }

  protected primary(): DisplayFilter {
    const token = this.next('a field, a protocol or (');
    if (token.kind === '(') {
      this.enter();
      const inner = this.or();
      const close = this.tokens[this.position++];
      if (!close) throw new FilterSyntaxError("expected ')'", this.endColumn);
      if (close.kind !== ')') throw new FilterSyntaxError(`expected ')' before "${close.text}"`, close.column);
      this.depth--;
      return inner;
    }
    if (token.kind !== 'word' || operatorOf(token) !== undefined) {
      throw new FilterSyntaxError(`expected a field or a protocol, not "${token.text}"`, token.column);
    }
    const field = FILTER_FIELDS.get(token.text);
    if (!field) {
      const hint = SHORTHAND_WORDS.has(token.text.toLowerCase()) ? ` ('${token.text}' is tcpdump-style: give it with -f or after the file names)` : '';
      throw new FilterSyntaxError(`${token.text} is neither a field nor a protocol name${hint}`, token.column);
    }
    const operatorToken = this.peek();
    const operator = operatorOf(operatorToken);
    if (operator === 'in') {
      this.position++;
      return this.membership(field);
    }
    if (operator === undefined || !COMPARISONS.has(operator)) return this.existence(field);
    this.position++;
    const valueToken = this.next(`a value after '${operatorToken!.text}'`);
    if (valueToken.kind !== 'word' && valueToken.kind !== 'string') {
      throw new FilterSyntaxError(`expected a value after '${operatorToken!.text}', not "${valueToken.text}"`, valueToken.column);
    }
    const other = valueToken.kind === 'word' ? FILTER_FIELDS.get(valueToken.text) : undefined;
    if (other) return this.fieldComparison(field, operator, other, valueToken);
    return this.comparison(field, operator, valueToken);
  }

  /** `field OP other-field` (frame.cap_len < frame.len): some pair of occurrences passes. */
  private fieldComparison(field: FieldDefinition, operator: string, other: FieldDefinition, token: Token): DisplayFilter {
    const numeric = (type: string) => type === 'uint' || type === 'bool' || type === 'float';
    // ipv6 values are bytes: compared as bytes below.
    const comparable = field.type === other.type || (numeric(field.type) && numeric(other.type));
    if (!comparable || operator === 'contains' || operator === '~' || operator === '&') {
      throw new FilterSyntaxError(`${field.name} and ${other.name} cannot be compared with '${operator}'`, token.column);
    }
    const left: FieldValue[] = [];
    const right: FieldValue[] = [];
    const difference = (a: FieldValue, b: FieldValue): number =>
      typeof a === 'number' ? a - (b as number) : typeof a === 'string' ? (a < (b as string) ? -1 : a > (b as string) ? 1 : 0) : compareBytes(a, b as Uint8Array);
    return (p) => {
      left.length = 0;
      right.length = 0;
      field.read(p, left);
      other.read(p, right);
      for (const a of left) for (const b of right) if (ordered(operator, difference(a, b))) return true;
      return false;
    };
  }

  private existence(field: FieldDefinition): DisplayFilter {
    const values = this.values;
    return (p) => {
      values.length = 0;
      field.read(p, values);
      return values.length > 0;
    };
  }

  /** `field OP value`: any occurrence passes, except for != (none equals) and === (all equal). */
  private comparison(field: FieldDefinition, operator: string, token: Token): DisplayFilter {
    const test = valueTest(field, operator, token);
    const values = this.values;
    if (operator === '!=' || operator === '===') {
      return (p) => {
        values.length = 0;
        field.read(p, values);
        if (values.length === 0) return false;
        for (let i = 0; i < values.length; i++) if (!test(values[i])) return false;
        return true;
      };
    }
    return (p) => {
      values.length = 0;
      field.read(p, values);
      for (let i = 0; i < values.length; i++) if (test(values[i])) return true;
      return false;
    };
  }

  /** `field in {a, b, c..d}`: any occurrence equal to a member or within a range. */
  private membership(field: FieldDefinition): DisplayFilter {
    const open = this.next("'{' after 'in'");
    if (open.kind !== '{') throw new FilterSyntaxError(`expected '{' after 'in', not "${open.text}"`, open.column);
    const members: ValueTest[] = [];
    for (;;) {
      const token = this.next("a value or '}'");
      if (token.kind === '}') break;
      if (token.kind === ',') continue;
      if (token.kind !== 'word' && token.kind !== 'string') throw new FilterSyntaxError(`expected a value or '}', not "${token.text}"`, token.column);
      const range = token.kind === 'word' ? token.text.indexOf('..') : -1;
      if (range > 0) {
        const low = valueTest(field, '>=', { kind: 'word', text: token.text.slice(0, range), column: token.column });
        const high = valueTest(field, '<=', { kind: 'word', text: token.text.slice(range + 2), column: token.column + range + 2 });
        members.push((v) => low(v) && high(v));
      } else {
        members.push(valueTest(field, '==', token));
      }
    }
    if (members.length === 0) throw new FilterSyntaxError("an empty set '{}' matches nothing", this.tokens[this.position - 1].column);
    const values = this.values;
    return (p) => {
      values.length = 0;
      field.read(p, values);
      for (let i = 0; i < values.length; i++) for (let m = 0; m < members.length; m++) if (members[m](values[i])) return true;
      return false;
    };
  }
}

/** Unsigned integer literal: decimal, 0x hex, 0b binary or 0-prefixed octal, as Wireshark reads them. */
function parseInteger(text: string): number | undefined {
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = parseInt(text.slice(2), 16);
  else if (/^0[bB][01]+$/.test(text)) value = parseInt(text.slice(2), 2);
  else if (/^0[0-7]+$/.test(text)) value = parseInt(text.slice(1), 8);
  else if (/^\d+$/.test(text)) value = Number(text);
  else return undefined;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Bytes written as "text", aa:bb:cc (or - . separated), or a single byte. */
function parseBytes(token: Token): Uint8Array {
  if (token.kind === 'string') return new TextEncoder().encode(token.text);
  const text = token.text;
  if (/^[0-9a-fA-F]{1,2}$/.test(text)) return Uint8Array.of(parseInt(text, 16));
  if (/^[0-9a-fA-F]{2}([:.-][0-9a-fA-F]{2})+$/.test(text)) return Uint8Array.from(text.split(/[:.-]/), (b) => parseInt(b, 16));
  throw new FilterSyntaxError(`"${text}" is not a valid byte string (write it "quoted" or as aa:bb:cc)`, token.column);
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  const first = needle[0];
  outer: for (let i = haystack.indexOf(first); i !== -1 && i + needle.length <= haystack.length; i = haystack.indexOf(first, i + 1)) {
    for (let k = 1; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** Whether the first `bits` bits of two addresses agree. */
function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >>> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole] & mask) === (b[whole] & mask);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Latin-1 text of bytes, so a regular expression sees every byte as one character. */
function bytesText(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

function ordered(operator: string, difference: number): boolean {
  switch (operator) {
    case '==':
    case '===':
      return difference === 0;
    case '!=':
    case '!==':
      return difference !== 0;
    case '<':
      return difference < 0;
    case '>':
      return difference > 0;
    case '<=':
      return difference <= 0;
    default:
      return difference >= 0;
  }
}

function numericTest(operator: string, literal: number): ValueTest {
  switch (operator) {
    case '==':
    case '===':
      return (v) => v === literal;
    case '!=':
    case '!==':
      return (v) => v !== literal;
    case '<':
      return (v) => (v as number) < literal;
    case '>':
      return (v) => (v as number) > literal;
    case '<=':
      return (v) => (v as number) <= literal;
    default:
      return (v) => (v as number) >= literal;
  }
}

/** The test one occurrence of `field` must pass for `field OPERATOR token`. */
function valueTest(field: FieldDefinition, operator: string, token: Token): ValueTest {
  const text = token.text;
  const where = token.column;
  if (operator === 'contains' || operator === '~') {
    if (field.type === 'string' || field.type === 'bytes' || field.type === 'protocol') {
      if (operator === '~') {
        let pattern: RegExp;
        try {
          pattern = new RegExp(text, 'su');
        } catch (error) {
          throw new FilterSyntaxError(`"${text}" is not a valid regular expression: ${(error as Error).message}`, where);
        }
        return (v) => pattern.test(typeof v === 'string' ? v : bytesText(v as Uint8Array));
      }
      if (field.type === 'string') return (v) => (v as string).includes(text);
      const needle = parseBytes(token);
      return (v) => indexOfBytes(v as Uint8Array, needle) !== -1;
    }
    throw new FilterSyntaxError(`${field.name} is a ${field.type === 'uint' ? 'number' : field.type} and cannot be tested with '${operator === '~' ? 'matches' : 'contains'}'`, where);
  }
  if (operator === '&') {
    if (field.type !== 'uint' && field.type !== 'bool') throw new FilterSyntaxError(`${field.name} is not a number: '&' tests bits of numbers`, where);
    const mask = parseInteger(text);
    if (mask === undefined) throw new FilterSyntaxError(`"${text}" is not a valid number`, where);
    if (mask > 0xffffffff) throw new FilterSyntaxError(`"${text}" is wider than 32 bits`, where);
    return (v) => ((v as number) & mask) !== 0;
  }
  switch (field.type) {
    case 'uint':
    case 'bool': {
      let literal = parseInteger(text);
      if (literal === undefined && field.type === 'bool' && token.kind === 'word') {
        const lower = text.toLowerCase();
        if (lower === 'true') literal = 1;
        else if (lower === 'false') literal = 0;
      }
      if (literal === undefined) throw new FilterSyntaxError(`"${text}" is not a valid number`, where);
      if (field.type === 'bool' && literal > 1) throw new FilterSyntaxError(`${field.name} is a flag: compare it with 1 or 0 (true or false), not ${text}`, where);
      return numericTest(operator, literal);
    }
    case 'float': {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new FilterSyntaxError(`"${text}" is not a valid number`, where);
      return numericTest(operator, Number(text));
    }
    case 'ipv4': {
      const slash = text.indexOf('/');
      const address = ipv4Number(slash === -1 ? text : text.slice(0, slash));
      if (Number.isNaN(address)) throw new FilterSyntaxError(`"${text}" is not a valid IPv4 address${slash === -1 ? '' : ' and prefix'} (names are not resolved)`, where);
      if (slash === -1) return numericTest(operator, address);
      const bitsText = text.slice(slash + 1);
      const bits = /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : NaN;
      if (!(bits >= 0 && bits <= 32)) throw new FilterSyntaxError(`"/${bitsText}" is not a prefix length (0-32)`, where + slash);
      const block = 2 ** (32 - bits);
      const network = Math.floor(address / block);
      if (operator === '==' || operator === '===') return (v) => Math.floor((v as number) / block) === network;
      if (operator === '!=' || operator === '!==') return (v) => Math.floor((v as number) / block) !== network;
      // An ordering against a network compares with its first address, as Wireshark does.
      return numericTest(operator, network * block);
    }
    case 'ipv6': {
      const slash = text.indexOf('/');
      const address = ipv6Bytes(slash === -1 ? text : text.slice(0, slash));
      if (!address) throw new FilterSyntaxError(`"${text}" is not a valid IPv6 address${slash === -1 ? '' : ' and prefix'} (names are not resolved)`, where);
      const bitsText = slash === -1 ? '128' : text.slice(slash + 1);
      const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
      if (!(bits >= 0 && bits <= 128)) throw new FilterSyntaxError(`"/${bitsText}" is not a prefix length (0-128)`, where + slash);
      if (operator === '==' || operator === '===') return (v) => samePrefix(v as Uint8Array, address, bits);
      if (operator === '!=' || operator === '!==') return (v) => !samePrefix(v as Uint8Array, address, bits);
      return (v) => ordered(operator, compareBytes(v as Uint8Array, address));
    }
    case 'ether': {
      const address = macNumber(text);
      if (Number.isNaN(address)) throw new FilterSyntaxError(`"${text}" is not a valid Ethernet address (aa:bb:cc:dd:ee:ff)`, where);
      return numericTest(operator, address);
    }
    case 'string':
      return (v) => ordered(operator, (v as string) < text ? -1 : (v as string) > text ? 1 : 0);
    case 'bytes':
    case 'protocol': {
      const literal = parseBytes(token);
      return (v) => ordered(operator, compareBytes(v as Uint8Array, literal));
    }
  }
}

/** Compiles a tshark-style display filter; throws FilterSyntaxError (with a column) or FilterNestingError. */
export function parseDisplayFilter(text: string): DisplayFilter {
  return new Parser(tokenize(text), text.length + 1).parse();
}
