// BSD loopback encapsulations: a 4-byte address family before the packet.
//
// DLT_NULL (LINKTYPE_NULL = 0): the family is in the byte order of the host
// that wrote the capture, which the file does not record. As Wireshark and
// tcpdump do, read it little-endian and, when the upper 16 bits are not zero
// (AF_ values are small), take it as big-endian instead. A family of 0 reads
// the same both ways and is reported little-endian.
//
// DLT_LOOP (LINKTYPE_LOOP = 108, OpenBSD): the same header, always big-endian.
//
// AF values differ between systems: IPv4 is 2 everywhere, IPv6 is 24 (NetBSD,
// OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly) or 30 (macOS, iOS).

import { ETHERTYPE } from './ethernet.ts';
import { HeaderView } from './header-view.ts';
import { type ParseError, type ParseResult, parsed, truncated, truncatedError } from './parse-result.ts';

export const LOOPBACK_HEADER_LENGTH = 4;

export const BSD_AF = {
  INET: 2,
  INET6_BSD: 24,
  INET6_FREEBSD: 28,
  INET6_DARWIN: 30,
} as const;

export interface NullHeader {
  /** Address family as the writer meant it. */
  readonly family: number;
  /** Byte order the family was found in (detected for DLT_NULL; always false for DLT_LOOP). */
  readonly littleEndian: boolean;
}

export interface NullFrame extends NullHeader {
  readonly payload: Uint8Array;
}

export interface NullHeaderInput {
  readonly family: number;
  /** Default true: most capture hosts are little-endian. */
  readonly littleEndian?: boolean;
}

/** EtherType for a BSD address family: 2 -> IPv4, 24/28/30 -> IPv6, otherwise null. */
export function etherTypeForBsdFamily(family: number): number | null {
  switch (family) {
    case BSD_AF.INET:
      return ETHERTYPE.IPV4;
    case BSD_AF.INET6_BSD:
    case BSD_AF.INET6_FREEBSD:
    case BSD_AF.INET6_DARWIN:
      return ETHERTYPE.IPV6;
    default:
      return null;
  }
}

const le32 = (b: Uint8Array): number => (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
const be32 = (b: Uint8Array): number => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;

/** DLT_NULL: family in either byte order, detected as Wireshark does. */
export function parseNull(bytes: Uint8Array): ParseResult<NullFrame> {
  if (bytes.length < LOOPBACK_HEADER_LENGTH) {
    return truncated('null', `a NULL/loopback header needs 4 bytes, got ${bytes.length}`, bytes.length);
  }
  const little = le32(bytes);
  const littleEndian = (little & 0xffff0000) === 0;
  return parsed({
    family: littleEndian ? little : be32(bytes),
    littleEndian,
    payload: bytes.subarray(LOOPBACK_HEADER_LENGTH),
  });
}

/** DLT_LOOP: family always big-endian. */
export function parseLoop(bytes: Uint8Array): ParseResult<NullFrame> {
  if (bytes.length < LOOPBACK_HEADER_LENGTH) {
    return truncated('loop', `a LOOP header needs 4 bytes, got ${bytes.length}`, bytes.length);
  }
  return parsed({ family: be32(bytes), littleEndian: false, payload: bytes.subarray(LOOPBACK_HEADER_LENGTH) });
}

function writeFamily(out: Uint8Array, family: number, littleEndian: boolean): void {
  if (!Number.isInteger(family) || family < 0 || family > 0xffffffff) {
    throw new RangeError(`family must be an integer in 0..0xffffffff, not ${family}`);
  }
  if (littleEndian) {
    out[0] = family & 0xff;
    out[1] = (family >>> 8) & 0xff;
    out[2] = (family >>> 16) & 0xff;
    out[3] = family >>> 24;
  } else {
    out[0] = family >>> 24;
    out[1] = (family >>> 16) & 0xff;
    out[2] = (family >>> 8) & 0xff;
    out[3] = family & 0xff;
  }
}

/**
 * DLT_NULL header + payload. Note that a reader can only tell the byte order
 * back for families 1..0xffff (0 is read as little-endian, larger values are
 * not AF_ values).
 */
export function buildNull(header: NullHeaderInput, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(LOOPBACK_HEADER_LENGTH + payload.length);
  writeFamily(out, header.family, header.littleEndian ?? true);
  out.set(payload, LOOPBACK_HEADER_LENGTH);
  return out;
}

/** DLT_LOOP header + payload (family big-endian). */
export function buildLoop(header: { readonly family: number }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(LOOPBACK_HEADER_LENGTH + payload.length);
  writeFamily(out, header.family, false);
  out.set(payload, LOOPBACK_HEADER_LENGTH);
  return out;
}

/**
 * A zero-copy view of a DLT_NULL or DLT_LOOP header at bytes[start, end);
 * `point()` checks its 4 bytes. `bigEndianOnly` is DLT_LOOP.
 */
export class LoopbackView extends HeaderView {
  private loop = false;

  point(bytes: Uint8Array, start = 0, end = bytes.length, bigEndianOnly = false): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    this.loop = bigEndianOnly;
    const available = end - start;
    if (available < LOOPBACK_HEADER_LENGTH) {
      const what = bigEndianOnly ? 'a LOOP header' : 'a NULL/loopback header';
      return truncatedError(bigEndianOnly ? 'loop' : 'null', `${what} needs 4 bytes, got ${available}`, available);
    }
    return undefined;
  }
  /** Byte order the family was found in: see the top of this file. */
  get littleEndian(): boolean {
    // Read little-endian, the upper 16 bits of a small AF value are bytes 2-3.
    return !this.loop && this.u16(2) === 0;
  }
  get family(): number {
    return this.littleEndian ? this.u8(0) | (this.u8(1) << 8) : this.u32(0);
  }
  get payloadStart(): number {
    return this.start + LOOPBACK_HEADER_LENGTH;
  }
}
