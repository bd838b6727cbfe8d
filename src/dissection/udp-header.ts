// UDP header (RFC 768), decoded here only because src/wire has no UDP codec
// yet and dissect meets UDP in captures (the probes an ICMP port-unreachable
// quotes, for one). When a wire codec lands, this file should give way to it.
import { read16 } from '../wire/header-fields.ts';
import { parsed, truncated, type ParseResult } from '../wire/parse-result.ts';

export const UDP_HEADER_LENGTH = 8;

export interface UdpHeader {
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** Header + data, as the length field says. */
  readonly length: number;
  /** 0 means the sender computed none (allowed over IPv4). */
  readonly checksum: number;
  /** Bytes after the header, bounded by the length field when it fits (a view). */
  readonly payload: Uint8Array;
}

/** Never throws; the payload stops at the length field when that is shorter than the input. */
export function parseUdpHeader(bytes: Uint8Array): ParseResult<UdpHeader> {
  if (bytes.length < UDP_HEADER_LENGTH) {
    return truncated('udp', `need ${UDP_HEADER_LENGTH} header bytes, have ${bytes.length}`, bytes.length);
  }
  const length = read16(bytes, 4);
  const end = length >= UDP_HEADER_LENGTH && length <= bytes.length ? length : bytes.length;
  return parsed({
    sourcePort: read16(bytes, 0),
    destinationPort: read16(bytes, 2),
    length,
    checksum: read16(bytes, 6),
    payload: bytes.subarray(UDP_HEADER_LENGTH, end),
  });
}
