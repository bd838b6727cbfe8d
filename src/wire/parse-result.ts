// Parsers never throw on bad input: they return a typed result so a lab tool
// can print "[truncated]" or "[malformed: ...]" for one packet and go on.

export type ParseErrorKind = 'truncated' | 'malformed';

export interface ParseError {
  readonly kind: ParseErrorKind;
  /** The layer that failed, e.g. 'ipv4', 'tcp', 'icmp', 'ethernet', 'pcap'. */
  readonly layer: string;
  readonly message: string;
  /** Byte offset of the problem within the input given to the parser, when known. */
  readonly offset?: number;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ParseError };

export function parsed<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

/** The error alone, for views whose `point()` returns a ParseError or undefined. */
export function truncatedError(layer: string, message: string, offset?: number): ParseError {
  return { kind: 'truncated', layer, message, offset };
}

export function malformedError(layer: string, message: string, offset?: number): ParseError {
  return { kind: 'malformed', layer, message, offset };
}

export function truncated<T = never>(layer: string, message: string, offset?: number): ParseResult<T> {
  return { ok: false, error: truncatedError(layer, message, offset) };
}

export function malformed<T = never>(layer: string, message: string, offset?: number): ParseResult<T> {
  return { ok: false, error: malformedError(layer, message, offset) };
}

/** Unwraps a result, throwing a ParseFailure: for tests and callers that prefer exceptions. */
export class ParseFailure extends Error {
  constructor(readonly error: ParseError) {
    super(`${error.layer}: ${error.kind}: ${error.message}${error.offset === undefined ? '' : ` (at byte ${error.offset})`}`);
    this.name = 'ParseFailure';
  }
}

export function unwrap<T>(result: ParseResult<T>): T {
  if (result.ok) return result.value;
  throw new ParseFailure(result.error);
}
