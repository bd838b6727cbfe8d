// What tshark's summary line shows for a TCP segment that starts an HTTP/1.x
// message: the request or status line. tshark's HTTP dissector runs on its
// registered ports (http.tcp.port) and, with TCP reassembly on (its default),
// a message whose headers or body go on in later segments is shown as
//     TCP ... HTTP/1.0 200 OK  [TCP segment of a reassembled PDU]
// while one that fits in the segment is
//     HTTP ... GET /file HTTP/1.1
//     HTTP ... HTTP/1.1 200 OK  (text/html)
// Segments tshark flags as retransmitted or out of order, and keep-alives, are
// not handed to HTTP (tcp.no_subdissector_on_error). Later segments of a
// message are not reassembled here: they keep their TCP line.

/** tshark 4.0's default http.tcp.port range. */
const HTTP_PORTS = new Set([80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710]);
const METHODS = new Set(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT']);
/** How far into a segment the end of the headers is looked for. */
const HEADER_SCAN_LIMIT = 16384;
/** Longer first lines are not taken for HTTP's (tshark has no such limit; real ones are short). */
const FIRST_LINE_LIMIT = 8192;

export interface HttpMessageStart {
  readonly kind: 'request' | 'response';
  /** The request or status line, without CRLF. */
  readonly firstLine: string;
  /** The whole message (headers and body, by Content-Length) is in this segment. */
  readonly complete: boolean;
  /** The Content-Type header, when the message has one. */
  readonly contentType: string | undefined;
}

export const isHttpPort = (sourcePort: number, destinationPort: number): boolean => HTTP_PORTS.has(sourcePort) || HTTP_PORTS.has(destinationPort);

/** The HTTP/1.x message `payload` starts, or undefined when it starts none. */
export function httpMessageStart(payload: Uint8Array): HttpMessageStart | undefined {
  if (payload.length < 14) return undefined;
  const first = payload[0];
  // Cheap rejection before decoding: requests start with an upper-case method, responses with "HTTP/".
  if (first < 0x41 || first > 0x5a) return undefined;
  // The first line, found byte by byte: body segments rarely get past this.
  const scanEnd = Math.min(payload.length - 1, FIRST_LINE_LIMIT);
  let lineEnd = -1;
  for (let i = 0; i < scanEnd; i++) {
    const byte = payload[i];
    if (byte === 0x0d && payload[i + 1] === 0x0a) {
      lineEnd = i;
      break;
    }
    if (byte < 0x20 || byte > 0x7e) return undefined;
  }
  if (lineEnd < 0) return undefined;
  const firstLine = latin1(payload, 0, lineEnd);
  let kind: HttpMessageStart['kind'];
  if (/^HTTP\/1\.[01] \d{3}( |$)/.test(firstLine)) kind = 'response';
  else {
    const match = /^([A-Z]+) \S+ HTTP\/1\.[01]$/.exec(firstLine);
    if (!match || !METHODS.has(match[1])) return undefined;
    kind = 'request';
  }
  const text = latin1(payload, 0, Math.min(payload.length, HEADER_SCAN_LIMIT));
  const headerEnd = text.indexOf('\r\n\r\n');
  let complete = false;
  let contentType: string | undefined;
  if (headerEnd >= 0) {
    const headers = text.slice(lineEnd + 2, headerEnd);
    const length = /^content-length:[ \t]*(\d+)/im.exec(headers);
    contentType = /^content-type:[ \t]*([^\r\n;]*)/im.exec(headers)?.[1].trim();
    const body = payload.length - (headerEnd + 4);
    // A response without Content-Length runs to the end of the connection.
    complete = length ? body >= Number(length[1]) : kind === 'request';
  }
  return { kind, firstLine, complete, contentType };
}

/** The protocol column and info text tshark shows for the segment. */
export function httpSummary(message: HttpMessageStart): { protocol: string; info: string } {
  if (!message.complete) return { protocol: 'TCP', info: `${message.firstLine}  [TCP segment of a reassembled PDU]` };
  const type = message.kind === 'response' && message.contentType ? ` (${message.contentType})` : '';
  return { protocol: 'HTTP', info: `${message.firstLine} ${type}` };
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return LATIN1.decode(bytes.subarray(start, end));
}

const LATIN1 = new TextDecoder('latin1');
