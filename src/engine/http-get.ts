// HTTP/1.1 GET over the hand-made TCP session (tcp-session.ts): the request
// with Host and Connection: close, and an incremental response parser for the
// three ways a body can end (RFC 9112 section 6): Content-Length, chunked
// transfer coding, or the server closing the connection.
//
// The body handler may return a promise (a slow consumer): the session is
// paused until it settles, so unread data stays in the TCP receive buffer and
// the window we advertise shrinks, instead of piling up in memory here. Once
// the response is complete we close our side and do not wait for a server
// that keeps the connection open.
import { TcpConnectError, TcpSession, type TcpSessionEvent, type TcpSessionOptions, type TcpSessionResult } from './tcp-session.ts';

// ---------------------------------------------------------------------------
// URLs

export interface HttpUrl {
  /** Host as written in the URL: a name, a dotted quad, or an IPv6 address without its brackets. */
  readonly host: string;
  readonly port: number;
  /** Path and query, at least '/'. */
  readonly path: string;
  /** The Host header: host (an IPv6 address in brackets, as curl sends it), plus ':port' unless it is 80. */
  readonly hostHeader: string;
}

export class HttpUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpUrlError';
  }
}

/** Parses `http://host[:port]/path`; anything else is an HttpUrlError with one line of explanation. */
export function parseHttpUrl(text: string): HttpUrl {
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text);
  if (!schemeMatch) throw new HttpUrlError(`bad URL '${text}': expected http://host[:port]/path`);
  const scheme = schemeMatch[1].toLowerCase();
  if (scheme === 'https') throw new HttpUrlError(`bad URL '${text}': https needs TLS, which this hand-made TCP client does not do; use http://`);
  if (scheme !== 'http') throw new HttpUrlError(`bad URL '${text}': only http:// is supported`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HttpUrlError(`bad URL '${text}': expected http://host[:port]/path`);
  }
  if (url.username || url.password) throw new HttpUrlError(`bad URL '${text}': user:password@ is not supported`);
  const authorityHost = url.hostname;
  if (authorityHost === '') throw new HttpUrlError(`bad URL '${text}': no host`);
  // WHATWG URL keeps an IPv6 literal in brackets (and has already checked it is one); the address is inside them.
  const host = authorityHost.startsWith('[') ? authorityHost.slice(1, -1) : authorityHost;
  // URL accepts ':0'; a TCP port must be 1..65535. (It rejects > 65535 itself.)
  const explicitPort = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*:(\d*)(?:[/?#]|$)/.exec(text)?.[1];
  const port = url.port === '' ? 80 : Number(url.port);
  if (explicitPort !== undefined && (explicitPort === '' || port < 1)) throw new HttpUrlError(`bad URL '${text}': bad port`);
  if (port < 1 || port > 65535) throw new HttpUrlError(`bad URL '${text}': bad port`);
  const path = `${url.pathname || '/'}${url.search}`;
  return { host, port, path, hostHeader: port === 80 ? authorityHost : `${authorityHost}:${port}` };
}

/** The request bytes: GET with Host, User-Agent, Accept and Connection: close. */
export function buildGetRequest(url: Pick<HttpUrl, 'path' | 'hostHeader'>, userAgent = 'packet-lab-tcp-get/0.1'): Uint8Array {
  const text =
    `GET ${url.path} HTTP/1.1\r\n` +
    `Host: ${url.hostHeader}\r\n` +
    `User-Agent: ${userAgent}\r\n` +
    'Accept: */*\r\n' +
    'Connection: close\r\n' +
    '\r\n';
  return new TextEncoder().encode(text);
}

// ---------------------------------------------------------------------------
// Responses

export interface HttpResponseHead {
  readonly httpVersion: string;
  readonly statusCode: number;
  readonly reasonPhrase: string;
  /** In order received; names as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The head bytes exactly as received, status line to the empty line. */
  readonly raw: Uint8Array;
}

export type BodyFraming = 'content-length' | 'chunked' | 'until-close' | 'none';

export class HttpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpParseError';
  }
}

export interface HttpResponseHandlers {
  onHead?(head: HttpResponseHead): void;
  onBody?(chunk: Uint8Array): void;
  onComplete?(): void;
}

const MAX_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 4096;

type ChunkState = 'size' | 'data' | 'data-end' | 'trailers';

/** Header value by case-insensitive name (the last one wins). */
export function headerValue(head: HttpResponseHead, name: string): string | undefined {
  const lower = name.toLowerCase();
  let value: string | undefined;
  for (const [key, v] of head.headers) if (key.toLowerCase() === lower) value = v;
  return value;
}

/** Feeds on response bytes as they arrive; calls the handlers; throws HttpParseError on a broken response. */
export class HttpResponseParser {
  framing: BodyFraming | undefined;
  head: HttpResponseHead | undefined;
  bodyBytes = 0;
  complete = false;
  /** Interim (1xx) responses that were skipped. */
  interim: HttpResponseHead[] = [];

  private headBuffer: Uint8Array = new Uint8Array(0);
  private remaining = 0;
  private chunkState: ChunkState = 'size';
  private line = '';

  constructor(private readonly handlers: HttpResponseHandlers = {}) {}

  push(chunk: Uint8Array): void {
    let data = chunk;
    while (data.length > 0 && !this.complete) {
      if (!this.head) {
        data = this.takeHead(data);
        continue;
      }
      data = this.takeBody(data);
    }
  }

  /** The connection ended (peer's FIN). Completes a body that runs until close; else a short body is an error. */
  end(): void {
    if (this.complete) return;
    if (this.head && this.framing === 'until-close') {
      this.finish();
      return;
    }
    if (!this.head) throw new HttpParseError('connection closed before a complete response head');
    if (this.framing === 'content-length') {
      throw new HttpParseError(`connection closed ${this.remaining} bytes before the end of the body (Content-Length)`);
    }
    throw new HttpParseError('connection closed in the middle of a chunked body');
  }

  private takeHead(data: Uint8Array): Uint8Array {
    const joined = concat(this.headBuffer, data);
    const end = findHeadEnd(joined, Math.max(0, this.headBuffer.length - 3));
    if (end < 0) {
      if (joined.length > MAX_HEAD) throw new HttpParseError(`response head longer than ${MAX_HEAD} bytes`);
      this.headBuffer = joined;
      return new Uint8Array(0);
    }
    this.headBuffer = new Uint8Array(0);
    const raw = joined.slice(0, end);
    const head = parseHead(raw);
    const rest = joined.subarray(end);
    if (head.statusCode >= 100 && head.statusCode < 200 && head.statusCode !== 101) {
      this.interim.push(head);
      return rest;
    }
    this.head = head;
    this.framing = framingOf(head);
    if (this.framing === 'content-length') this.remaining = Number(headerValue(head, 'content-length'));
    this.handlers.onHead?.(head);
    if (this.framing === 'none' || (this.framing === 'content-length' && this.remaining === 0)) this.finish();
    return rest;
  }

  private takeBody(data: Uint8Array): Uint8Array {
    switch (this.framing) {
      case 'until-close':
        this.body(data);
        return new Uint8Array(0);
      case 'content-length': {
        const take = Math.min(this.remaining, data.length);
        this.body(data.subarray(0, take));
        this.remaining -= take;
        if (this.remaining === 0) this.finish();
        // Bytes past Content-Length are not part of this response: ignored.
        return new Uint8Array(0);
      }
      case 'chunked':
        return this.takeChunked(data);
      default:
        return new Uint8Array(0);
    }
  }

  private takeChunked(data: Uint8Array): Uint8Array {
    let i = 0;
    while (i < data.length && !this.complete) {
      if (this.chunkState === 'data') {
        const take = Math.min(this.remaining, data.length - i);
        this.body(data.subarray(i, i + take));
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.chunkState = 'data-end';
        continue;
      }
      // Line-oriented states: read up to LF.
      const newline = data.indexOf(0x0a, i);
      const stop = newline < 0 ? data.length : newline;
      this.line += Buffer.from(data.subarray(i, stop)).toString('latin1');
      if (this.line.length > MAX_CHUNK_LINE) throw new HttpParseError('chunked body: line too long');
      i = stop;
      if (newline < 0) break;
      i++; // the LF
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      if (this.chunkState === 'size') {
        const sizeText = line.split(';')[0].trim();
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new HttpParseError(`chunked body: bad chunk size '${line}'`);
        const size = parseInt(sizeText, 16);
        if (!Number.isSafeInteger(size)) throw new HttpParseError(`chunked body: chunk size '${sizeText}' too large`);
        if (size === 0) this.chunkState = 'trailers';
        else {
          this.remaining = size;
          this.chunkState = 'data';
        }
      } else if (this.chunkState === 'data-end') {
        if (line !== '') throw new HttpParseError('chunked body: chunk data longer than its size');
        this.chunkState = 'size';
      } else if (this.chunkState === 'trailers') {
        if (line === '') this.finish();
      }
    }
    return new Uint8Array(0);
  }

  private body(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.bodyBytes += chunk.length;
    this.handlers.onBody?.(chunk);
  }

  private finish(): void {
    if (this.complete) return;
    this.complete = true;
    this.handlers.onComplete?.();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Index just past the empty line ending the head (CRLF CRLF, or bare LF LF), or -1. */
function findHeadEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

function parseHead(raw: Uint8Array): HttpResponseHead {
  const lines = Buffer.from(raw).toString('latin1').split(/\r?\n/);
  const status = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!status) throw new HttpParseError(`not an HTTP response: '${lines[0].slice(0, 80)}'`);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpParseError(`bad header line: '${line.slice(0, 80)}'`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { httpVersion: status[1], statusCode: Number(status[2]), reasonPhrase: status[3] ?? '', headers, raw };
}

function framingOf(head: HttpResponseHead): BodyFraming {
  const code = head.statusCode;
  if ((code >= 100 && code < 200) || code === 204 || code === 304) return 'none';
  const transferEncoding = headerValue(head, 'transfer-encoding');
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.split(',').map((c) => c.trim().toLowerCase());
    // RFC 9112 6.3: chunked last means chunked; otherwise the body runs until close.
    return codings[codings.length - 1] === 'chunked' ? 'chunked' : 'until-close';
  }
  const contentLength = headerValue(head, 'content-length');
  if (contentLength !== undefined) {
    const values = new Set(contentLength.split(',').map((v) => v.trim()));
    const [value] = [...values];
    if (values.size !== 1 || !/^\d+$/.test(value)) throw new HttpParseError(`bad Content-Length: '${contentLength}'`);
    return 'content-length';
  }
  return 'until-close';
}

// ---------------------------------------------------------------------------
// GET

export interface HttpGetOptions extends Omit<TcpSessionOptions, 'destinationPort'> {
  readonly url: HttpUrl;
  readonly userAgent?: string;
  readonly onHead?: (head: HttpResponseHead) => void;
  /** A promise pauses reading until it settles (backpressure, e.g. stdout's 'drain'). */
  readonly onBody?: (chunk: Uint8Array) => void | Promise<void>;
  /** Called with the session once it is established. */
  readonly onConnected?: (session: TcpSession) => void;
}

export interface HttpGetResult {
  readonly head?: HttpResponseHead;
  readonly framing?: BodyFraming;
  readonly bodyBytes: number;
  /** The response arrived whole (its framing says it is all there). */
  readonly complete: boolean;
  /** Why the response is not complete, in one line. */
  readonly error?: string;
  /** The server closed the connection without sending a byte (curl's "Empty reply from server"). */
  readonly emptyReply: boolean;
  readonly session: TcpSessionResult;
}

/**
 * Connects, sends the GET, streams the response through the handlers, and
 * closes with FINs. Throws TcpConnectError when the handshake fails (the
 * error carries the session result).
 */
export async function httpGet(options: HttpGetOptions): Promise<HttpGetResult> {
  let parseError: string | undefined;
  let session: TcpSession | undefined;
  let responseBytes = 0;
  let emptyReply = false;
  /** Body handlers still busy with earlier chunks; reading waits for all of them. */
  let busyConsumers = 0;
  const onBody = (chunk: Uint8Array) => {
    const busy = options.onBody?.(chunk);
    if (!busy) return;
    busyConsumers++;
    session?.pause();
    const done = () => {
      if (--busyConsumers === 0) session?.resume();
    };
    busy.then(done, done);
  };
  const parser = new HttpResponseParser({
    onHead: options.onHead,
    onBody,
    // The whole response is in: close our side.
    onComplete: () => session?.end(),
  });
  const onEvent = (event: TcpSessionEvent) => {
    options.onEvent?.(event);
    // Our FIN is acknowledged after a complete response: nothing more is
    // wanted from the server, so do not wait for its FIN (a keep-alive server
    // may hold the connection open for its idle timeout).
    if (event.type === 'state' && event.to === 'FIN-WAIT-2' && parser.complete && !parseError) session?.release();
  };
  session = await TcpSession.connect({ ...options, onEvent, destinationPort: options.url.port });
  options.onConnected?.(session);
  const established = session;
  established.onData = (chunk) => {
    responseBytes += chunk.length;
    if (parseError) return;
    try {
      parser.push(chunk);
    } catch (error) {
      parseError = (error as Error).message;
      established.abort('error', `bad response: ${parseError}`);
    }
  };
  established.onPeerEnd = () => {
    if (responseBytes === 0 && !parseError) {
      emptyReply = true;
      parseError = 'empty reply from server';
    } else if (!parseError) {
      try {
        parser.end();
      } catch (error) {
        parseError = (error as Error).message;
      }
    }
    // The peer is done; so are we (our FIN goes after the request, if still unacknowledged).
    established.end();
  };
  established.write(buildGetRequest(options.url, options.userAgent));
  if (parser.complete) established.end();
  const result = await established.closed;
  let error = parseError;
  if (!parser.complete && !error) error = result.message ?? `connection ended (${result.reason}) before the response was complete`;
  return {
    head: parser.head,
    framing: parser.framing,
    bodyBytes: parser.bodyBytes,
    complete: parser.complete && parseError === undefined,
    error: parser.complete && parseError === undefined ? undefined : error,
    emptyReply,
    session: result,
  };
}

export { TcpConnectError };
