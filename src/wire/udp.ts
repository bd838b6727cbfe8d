// UDP datagram codec (RFC 768; over IPv6, RFC 8200 section 8.1).
//
// The builder fills the length and the checksum unless the caller sets them,
// so a datagram with a wrong length or checksum can be crafted. A computed
// checksum of 0 is sent as 0xffff, because 0 means "no checksum" over IPv4
// (and is not allowed over IPv6, where the sender must compute one).

import {
  checkChecksum,
  checksumAdd,
  checksumFinish,
  foldChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  type ChecksumScope,
  type ChecksumVerdict,
} from './checksum.ts';
import { checkUnsignedField, write16 } from './header-fields.ts';
import { HeaderView } from './header-view.ts';
import { ipv4AddressBytes, type Ipv4AddressInput } from './ipv4-address.ts';
import { ipv6AddressBytes, type Ipv6AddressInput } from './ipv6-address.ts';
import { malformedError, parsed, truncatedError, type ParseError, type ParseResult } from './parse-result.ts';

const UDP_PROTOCOL = 17;

// Field offsets (RFC 768): smoltcp's `mod field`.
export const UdpField = {
  SOURCE_PORT: 0,
  DESTINATION_PORT: 2,
  LENGTH: 4,
  CHECKSUM: 6,
  PAYLOAD: 8,
} as const;
const { SOURCE_PORT, DESTINATION_PORT, LENGTH, CHECKSUM, PAYLOAD } = UdpField;

export const UDP_HEADER_LENGTH = 8;

const EMPTY = new Uint8Array(0);

/**
 * A zero-copy view of a UDP datagram at bytes[start, end). `point()` checks
 * the 8 header bytes; the payload stops at the length field when that is
 * shorter than what is there, and `lengthMatches` tells whether they agree.
 */
export class UdpView extends HeaderView {
  /** Points at bytes[start, end) and checks the header; returns why it cannot be read, or undefined. */
  point(bytes: Uint8Array, start = 0, end = bytes.length): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    const available = end - start;
    if (available < UDP_HEADER_LENGTH) return truncatedError('udp', `need ${UDP_HEADER_LENGTH} header bytes, have ${available}`, available);
    return undefined;
  }

  get sourcePort(): number {
    return this.u16(SOURCE_PORT);
  }
  get destinationPort(): number {
    return this.u16(DESTINATION_PORT);
  }
  /** Header + data, as the length field says. */
  get lengthField(): number {
    return this.u16(LENGTH);
  }
  /** 0 means the sender computed none (allowed over IPv4 only). */
  get checksum(): number {
    return this.u16(CHECKSUM);
  }
  /** True when the length field equals the bytes the view covers. */
  get lengthMatches(): boolean {
    return this.u16(LENGTH) === this.end - this.start;
  }
  /** Index in `bytes` where the payload ends: the length field when it fits, else the end. */
  get payloadEnd(): number {
    const length = this.u16(LENGTH);
    return length >= UDP_HEADER_LENGTH && length <= this.end - this.start ? this.start + length : this.end;
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.start + PAYLOAD, this.payloadEnd);
  }
  /** True when the datagram, as far as the length field goes, sums right with `pseudoHeaderSum`. */
  checksumValid(pseudoHeaderSum: number): boolean {
    return foldChecksum(checksumAdd(pseudoHeaderSum, this.bytes, this.start, this.payloadEnd)) === 0xffff;
  }
  /**
   * The verdict on the stored checksum over the datagram (as far as the
   * length field goes) and `pseudoHeaderSum`: a computed 0 is expected as
   * 0xffff (RFC 768); a stored 0 is 'not-present' over IPv4 and 'incorrect'
   * (zeroIllegal) over IPv6, `scope.ipv6` (RFC 8200 8.1).
   */
  checksumVerdict(pseudoHeaderSum: number, scope?: Pick<ChecksumScope, 'complete' | 'reason' | 'ipv6'>): ChecksumVerdict {
    return checkChecksum(this.bytes, this.start, this.payloadEnd, this.start + CHECKSUM, { ...scope, pseudoHeaderSum, udp: true });
  }
}

export interface UdpDatagram {
  sourcePort: number;
  destinationPort: number;
  /** Header + data, as the length field says. */
  length: number;
  /** 0 means the sender computed none. */
  checksum: number;
  /** Bytes after the header, bounded by the length field when it fits (a view). */
  payload: Uint8Array;
}

export interface ParsedUdpDatagram extends UdpDatagram {
  /**
   * Present only when parseUdp was given a pseudo-header and the checksum
   * is not 0 over IPv4; over IPv6 a 0 is false (RFC 8200 8.1).
   */
  checksumValid?: boolean;
}

export interface UdpDatagramInit {
  sourcePort: number;
  destinationPort: number;
  /** Filled with 8 + payload length unless given. */
  length?: number;
  /** Filled from the pseudo-header unless given; give 0 for "no checksum" over IPv4 (illegal over IPv6, but it can be sent). */
  checksum?: number;
  payload?: Uint8Array;
}

/** The addresses the checksum covers; IPv6 when `ipv6` is true, or when the source is IPv6 text or 16 bytes. */
export interface UdpPseudoHeader {
  source: Ipv4AddressInput | Ipv6AddressInput;
  destination: Ipv4AddressInput | Ipv6AddressInput;
  ipv6?: boolean;
}

function checkField(name: string, value: number, bits: number): number {
  return checkUnsignedField('UDP', name, value, bits);
}

/** True when the pseudo-header is IPv6's: `ipv6` says so, or the source is IPv6 text or 16 bytes. */
export function isIpv6PseudoHeader(pseudo: Pick<UdpPseudoHeader, 'source' | 'ipv6'>): boolean {
  const { source } = pseudo;
  return pseudo.ipv6 ?? (typeof source === 'string' ? source.includes(':') : source.length === 16);
}

/** Unfolded pseudo-header sum for a UDP datagram of `length` bytes. */
export function udpPseudoHeaderSum(pseudo: UdpPseudoHeader, length: number): number {
  const { source, destination } = pseudo;
  if (isIpv6PseudoHeader(pseudo)) return ipv6PseudoHeaderSum(ipv6AddressBytes(source), ipv6AddressBytes(destination), UDP_PROTOCOL, length);
  return ipv4PseudoHeaderSum(ipv4AddressBytes(source), ipv4AddressBytes(destination), UDP_PROTOCOL, length);
}

/** Bytes the builder writes: header and payload. */
export function udpLength(datagram: Pick<UdpDatagramInit, 'payload'>): number {
  return UDP_HEADER_LENGTH + (datagram.payload?.length ?? 0);
}

/**
 * Writes the datagram at buffer[offset] and returns the bytes written. The
 * checksum is filled from `pseudo` unless the datagram gives one; with
 * neither, it throws.
 */
export function emitUdpInto(buffer: Uint8Array, offset: number, datagram: UdpDatagramInit, pseudo?: UdpPseudoHeader): number {
  const payload = datagram.payload ?? EMPTY;
  const written = UDP_HEADER_LENGTH + payload.length;
  if (written > 0xffff && datagram.length === undefined) throw new RangeError(`UDP datagram of ${written} bytes exceeds 65535`);
  if (offset < 0 || buffer.length - offset < written) {
    throw new RangeError(`UDP datagram needs ${written} bytes at offset ${offset}; buffer has ${buffer.length - offset}`);
  }
  if (datagram.checksum === undefined && pseudo === undefined) {
    throw new TypeError('UDP checksum: give a pseudo-header ({ source, destination }) or set checksum (0: none)');
  }
  const b = buffer;
  const o = offset;
  write16(b, o + SOURCE_PORT, checkField('sourcePort', datagram.sourcePort, 16));
  write16(b, o + DESTINATION_PORT, checkField('destinationPort', datagram.destinationPort, 16));
  write16(b, o + LENGTH, checkField('length', datagram.length ?? written, 16));
  write16(b, o + CHECKSUM, 0);
  b.set(payload, o + PAYLOAD);
  let checksum: number;
  if (datagram.checksum !== undefined) {
    checksum = checkField('checksum', datagram.checksum, 16);
  } else {
    // The pseudo-header carries the UDP length field's value (RFC 768), which a caller may have set wrong on purpose.
    checksum = checksumFinish(checksumAdd(udpPseudoHeaderSum(pseudo!, datagram.length ?? written), b, o, o + written));
    if (checksum === 0) checksum = 0xffff;
  }
  write16(b, o + CHECKSUM, checksum);
  return written;
}

/** The datagram as a new array; see emitUdpInto. */
export function buildUdp(datagram: UdpDatagramInit, pseudo?: UdpPseudoHeader): Uint8Array {
  const bytes = new Uint8Array(udpLength(datagram));
  emitUdpInto(bytes, 0, datagram, pseudo);
  return bytes;
}

/**
 * Parses a UDP datagram (the whole IP payload); never throws. The payload
 * stops at the length field when that is shorter than the input. With a
 * pseudo-header a non-zero checksum is verified.
 */
export function parseUdp(bytes: Uint8Array, pseudo?: UdpPseudoHeader): ParseResult<ParsedUdpDatagram> {
  const view = new UdpView();
  const error = view.point(bytes);
  if (error !== undefined) return { ok: false, error };
  const datagram: ParsedUdpDatagram = udpDatagramFromView(view);
  if (pseudo !== undefined && datagram.checksum === 0 && isIpv6PseudoHeader(pseudo)) {
    datagram.checksumValid = false;
  } else if (pseudo !== undefined && datagram.checksum !== 0) {
    let sum: number;
    try {
      sum = udpPseudoHeaderSum(pseudo, view.payloadEnd - view.start);
    } catch (e) {
      return { ok: false, error: malformedError('udp', `pseudo-header: ${(e as Error).message}`) };
    }
    datagram.checksumValid = view.checksumValid(sum);
  }
  return parsed(datagram);
}

/** Every field of the datagram the view looks at (after a successful point()); the payload is a view. */
export function udpDatagramFromView(view: UdpView): UdpDatagram {
  return {
    sourcePort: view.sourcePort,
    destinationPort: view.destinationPort,
    length: view.lengthField,
    checksum: view.checksum,
    payload: view.payload,
  };
}
