// Classic libpcap capture files (tcpdump.org/manpages/pcap-savefile.5.html,
// draft-ietf-opsawg-pcap), as pure codecs over byte arrays.
//
//   file header (24 bytes): magic | major 2 | minor 4 | thiszone | sigfigs | snaplen | linktype
//   record header (16 bytes): ts seconds | ts µs or ns | captured length | original length
//   then `captured length` bytes of frame
//
// All fields are in the writer's byte order, which the magic reveals:
// 0xa1b2c3d4 means microsecond timestamps, 0xa1b23c4d nanosecond ones; read
// byte-swapped, each says the file is in the other byte order.
//
// PcapDecoder is push-style: feed it chunks of any size, get back the
// records completed so far. It never throws on bad input; a corrupt or cut
// record ends decoding with a ParseError whose `offset` is the absolute byte
// offset of that record's header, after every complete record before it.
//
// What counts as corrupt follows Wireshark (wiretap/libpcap.c) and libpcap
// (sf-pcap.c): a captured length above the maximum for the file is an error
// (Wireshark's maximum is 262144 for ordinary link types, so a larger length
// is a damaged header, not a big packet); a captured length above the file's
// snaplen, or above the original length, is tolerated by both and so here.
// Because this project's own writer may declare a snaplen above 262144, the
// default maximum is max(262144, snaplen), capped at 256 MiB.

import { type ParseError, type ParseResult, malformed, parsed, truncated } from './parse-result.ts';

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
/** Alexey Kuznetzov's "modified" pcap (24-byte record headers): recognised only to be refused clearly. */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
/** First 4 bytes of a pcapng file (Section Header Block type, the same in both byte orders). */
export const PCAPNG_MAGIC = 0x0a0d0d0a;

export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;

/** tcpdump's and Wireshark's default snapshot length. */
export const DEFAULT_SNAPLEN = 262144;
/** Wireshark's largest captured length for ordinary link types (WTAP_MAX_PACKET_SIZE_STANDARD). */
export const STANDARD_MAX_CAPTURED_LENGTH = 262144;
/** Above this no record is believed, whatever the header's snaplen says. */
export const MAX_CAPTURED_LENGTH_CEILING = 256 * 1024 * 1024;

/** Default corrupt-record bound for a file declaring `snaplen`: max(262144, snaplen), at most 256 MiB. */
export function defaultMaxCapturedLength(snaplen: number): number {
  return Math.min(MAX_CAPTURED_LENGTH_CEILING, Math.max(STANDARD_MAX_CAPTURED_LENGTH, snaplen));
}

// ---------------------------------------------------------------------------
// Byte access

/** Unsigned 32-bit read in either byte order. */
export function readU32(b: Uint8Array, p: number, littleEndian: boolean): number {
  return littleEndian
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

export function readU16(b: Uint8Array, p: number, littleEndian: boolean): number {
  return littleEndian ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}

export function writeU32(b: Uint8Array, p: number, v: number, littleEndian: boolean): void {
  if (littleEndian) {
    b[p] = v & 0xff;
    b[p + 1] = (v >>> 8) & 0xff;
    b[p + 2] = (v >>> 16) & 0xff;
    b[p + 3] = (v >>> 24) & 0xff;
  } else {
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
  }
}

export function writeU16(b: Uint8Array, p: number, v: number, littleEndian: boolean): void {
  if (littleEndian) {
    b[p] = v & 0xff;
    b[p + 1] = (v >>> 8) & 0xff;
  } else {
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
  }
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 0..${max}, not ${value}`);
  }
}

// ---------------------------------------------------------------------------
// Records, shared with pcapng

/**
 * One captured packet, from a pcap or a pcapng file.
 *
 * The timestamp is kept as the file holds it: whole seconds plus a fraction
 * counted in `fractionsPerSecond` units (1e6 for a microsecond pcap, 1e9 for
 * a nanosecond one, the interface's if_tsresol for pcapng).
 */
export class CaptureRecord {
  constructor(
    readonly timestampSeconds: number,
    /** Sub-second part in file units: µs or ns for pcap as the file says. */
    readonly timestampFraction: number,
    /** Units of timestampFraction per second. */
    readonly fractionsPerSecond: number,
    readonly capturedLength: number,
    readonly originalLength: number,
    /** The captured bytes; see the decoder's or reader's copy policy. */
    readonly data: Uint8Array,
    /** Absolute byte offset of the record header (pcap) or block (pcapng) in the file. */
    readonly offset: number,
    /** Link type of the frame: the file's for pcap, the interface's for pcapng. */
    readonly linkType: number,
    /** Interface index: always 0 for pcap. */
    readonly interfaceIndex: number = 0,
  ) {}

  /** Nanoseconds since the Unix epoch (sub-nanosecond fractions are truncated). */
  get timestampNs(): bigint {
    const units = this.fractionsPerSecond;
    let ns: bigint;
    if (1e9 % units === 0) ns = BigInt(this.timestampFraction * (1e9 / units));
    else ns = (BigInt(this.timestampFraction) * 1_000_000_000n) / BigInt(units);
    return BigInt(this.timestampSeconds) * 1_000_000_000n + ns;
  }

  /** Milliseconds since the epoch as a float (for Date; loses sub-µs precision). */
  get timestampMs(): number {
    return this.timestampSeconds * 1000 + (this.timestampFraction * 1000) / this.fractionsPerSecond;
  }
}

/** What a push-style capture decoder returns from push() and end(). */
export interface CaptureDecodeStep {
  /** Records completed by this step, in file order. */
  readonly records: CaptureRecord[];
  /** Set once the input is found cut or corrupt; decoding stops there for good. */
  readonly error: ParseError | null;
}

export interface CaptureDecoderOptions {
  /**
   * Copy each record's bytes rather than hand out a view into the chunk given
   * to push(). Default false: views, valid as long as the caller keeps that
   * chunk unchanged. Records that straddle chunks are always copies.
   *
   * Copies of records up to 4 KiB are packed into shared 64 KiB slabs (as
   * Node packs small Buffers into its pool): a record's bytes are never
   * overwritten, but `data.buffer` is shared and one kept record keeps its
   * slab alive. This halves the cost of copying a million small records.
   */
  readonly copyData?: boolean;
  /** Captured length above which a record is corrupt; default defaultMaxCapturedLength(snaplen). */
  readonly maxCapturedLength?: number;
}

const EMPTY = new Uint8Array(0);
const SLAB_SIZE = 65536;
const SLAB_MAX_COPY = 4096;

/**
 * Framing shared by the pcap and pcapng decoders: cuts a byte stream that
 * arrives in arbitrary chunks into length-prefixed units (headers, records,
 * blocks). Units wholly inside a chunk are decoded in place; the tail of a
 * chunk is carried over, and only the bytes a straddling unit still needs are
 * copied from the next chunk. Memory stays bounded by the largest unit.
 */
export abstract class ChunkedCaptureDecoder {
  protected readonly copyData: boolean;
  private carry: Uint8Array = EMPTY;
  private carryLength = 0;
  /** Absolute offset of the first byte not yet consumed (the start of the carry, if any). */
  private consumed = 0;
  private failure: ParseError | null = null;
  private ended = false;

  protected constructor(options: CaptureDecoderOptions) {
    this.copyData = options.copyData ?? false;
  }

  /** The error that stopped decoding, if any. */
  get error(): ParseError | null {
    return this.failure;
  }

  /** Bytes decoded into complete units so far (the offset of the next unit). */
  get bytesConsumed(): number {
    return this.consumed;
  }

  /** Bytes received but not yet part of a complete unit. */
  get bytesPending(): number {
    return this.carryLength;
  }

  /** Bytes needed at a unit's start to learn its length. */
  protected abstract headLength(): number;
  /** Total length of the unit at buf[pos..], given headLength() bytes; -1 after fail(). */
  protected abstract unitLength(buf: Uint8Array, pos: number): number;
  /** Decodes a complete unit; returns false after fail(). `copy` forces copying out of buf. */
  protected abstract consumeUnit(buf: Uint8Array, pos: number, length: number, copy: boolean, records: CaptureRecord[]): boolean;
  /** The error for input ending with `pending` bytes of an incomplete unit (or none). */
  protected abstract endError(pending: Uint8Array): ParseError | null;

  /** Absolute offset of the unit being decoded, for error messages. */
  protected get unitOffset(): number {
    return this.consumed;
  }

  private slab: Uint8Array = EMPTY;
  private slabUsed = 0;

  /** A copy of buf[start, end) that the caller may keep: see CaptureDecoderOptions.copyData. */
  protected copyOut(buf: Uint8Array, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > SLAB_MAX_COPY) return buf.slice(start, end);
    if (this.slabUsed + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB_SIZE);
      this.slabUsed = 0;
    }
    const out = this.slab.subarray(this.slabUsed, this.slabUsed + n);
    out.set(buf.subarray(start, end));
    this.slabUsed += (n + 7) & ~7;
    return out;
  }

  protected fail(error: ParseError): void {
    this.failure = error;
  }

  /** Feeds the next chunk; returns the records it completed. Never throws on bad input. */
  push(chunk: Uint8Array): CaptureDecodeStep {
    if (this.ended) throw new Error('push() after end()');
    const records: CaptureRecord[] = [];
    if (this.failure) return { records, error: this.failure };
    let pos = 0;
    if (this.carryLength > 0) {
      pos = this.completeCarry(chunk, records);
      if (pos < 0 || this.failure) return { records, error: this.failure };
    }
    pos = this.scan(chunk, pos, records);
    if (this.failure) return { records, error: this.failure };
    this.appendCarry(chunk, pos, chunk.length);
    return { records, error: null };
  }

  /** Signals end of input: an error if a unit is left incomplete (or nothing valid arrived). */
  end(): CaptureDecodeStep {
    if (this.failure) return { records: [], error: this.failure };
    if (!this.ended) {
      this.ended = true;
      const error = this.endError(this.carry.subarray(0, this.carryLength));
      if (error) this.failure = error;
    }
    return { records: [], error: this.failure };
  }

  private scan(buf: Uint8Array, pos: number, records: CaptureRecord[]): number {
    const end = buf.length;
    const copy = this.copyData;
    for (;;) {
      if (end - pos < this.headLength()) return pos;
      const length = this.unitLength(buf, pos);
      if (length < 0) return pos;
      if (end - pos < length) return pos;
      if (!this.consumeUnit(buf, pos, length, copy, records)) return pos;
      pos += length;
      this.consumed += length;
    }
  }

  /** Completes the carried-over unit from the chunk; returns bytes of chunk used, -1 if it used all and needs more. */
  private completeCarry(chunk: Uint8Array, records: CaptureRecord[]): number {
    let used = 0;
    const head = this.headLength();
    if (this.carryLength < head) {
      const take = Math.min(head - this.carryLength, chunk.length);
      this.appendCarry(chunk, 0, take);
      used = take;
      if (this.carryLength < head) return -1;
    }
    const length = this.unitLength(this.carry, 0);
    if (length < 0) return -1;
    if (this.carryLength < length) {
      const take = Math.min(length - this.carryLength, chunk.length - used);
      this.appendCarry(chunk, used, used + take);
      used += take;
      if (this.carryLength < length) return -1;
    }
    if (!this.consumeUnit(this.carry, 0, length, true, records)) return -1;
    this.consumed += length;
    this.carryLength = 0;
    // A unit can be large; do not keep a big buffer alive between them.
    if (this.carry.length > 1 << 16) this.carry = EMPTY;
    return used;
  }

  private appendCarry(chunk: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    const needed = this.carryLength + n;
    if (needed > this.carry.length) {
      const grown = new Uint8Array(Math.max(needed, this.carry.length * 2, 256));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(chunk.subarray(from, to), this.carryLength);
    this.carryLength = needed;
  }
}

// ---------------------------------------------------------------------------
// File header

export interface PcapHeader {
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** GMT-to-local correction, in seconds; always 0 in practice. */
  readonly thisZone: number;
  readonly sigFigs: number;
  readonly snaplen: number;
  /** LINKTYPE_ value (bits 0-25 of the link-type field). */
  readonly linkType: number;
  /** FCS bytes at the end of each frame when the file says so (F bit, bits 26 and 28-31), else null. */
  readonly fcsLength: number | null;
  /**
   * The bits of the link-type field that neither linkType nor fcsLength hold:
   * bit 27 (reserved), and bits 28-31 when the F bit is clear. 0 in files
   * libpcap writes; kept so that a file can be written back exactly as read.
   */
  readonly reservedLinkBits: number;
}

export interface PcapHeaderInput {
  readonly linkType: number;
  /** Default 262144. */
  readonly snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d). Default false. */
  readonly nanosecond?: boolean;
  /** Default true. */
  readonly littleEndian?: boolean;
  readonly versionMajor?: number;
  readonly versionMinor?: number;
  readonly thisZone?: number;
  readonly sigFigs?: number;
  /** Even number of FCS bytes, 0..30; default null (not stated). */
  readonly fcsLength?: number | null;
  /** Bit 27, and bits 28-31 when fcsLength is null, of the link-type field, as a reader found them; default 0. */
  readonly reservedLinkBits?: number;
}

// The link-type field (draft-ietf-opsawg-pcap, libpcap's LT_* macros): bits
// 0-15 the LINKTYPE_ value and 16-25 reserved (both kept in linkType), bit 26
// F (an FCS length follows), bit 27 reserved, bits 28-31 the FCS length in
// 16-bit words.
const LINKTYPE_MASK = 0x03ffffff;
const FCS_PRESENT = 0x04000000;
const RESERVED_BIT_27 = 0x08000000;
const FCS_LENGTH_BITS = 0xf0000000;

function reservedBitsAllowed(fcsStated: boolean): number {
  return fcsStated ? RESERVED_BIT_27 : (RESERVED_BIT_27 | FCS_LENGTH_BITS) >>> 0;
}

/** The 24-byte file header. Throws RangeError on out-of-range fields. */
export function encodePcapHeader(input: PcapHeaderInput): Uint8Array {
  const {
    linkType,
    snaplen = DEFAULT_SNAPLEN,
    nanosecond = false,
    littleEndian = true,
    versionMajor = PCAP_VERSION_MAJOR,
    versionMinor = PCAP_VERSION_MINOR,
    thisZone = 0,
    sigFigs = 0,
    fcsLength = null,
    reservedLinkBits = 0,
  } = input;
  checkUint('linkType', linkType, LINKTYPE_MASK);
  checkUint('snaplen', snaplen, 0xffffffff);
  checkUint('versionMajor', versionMajor, 0xffff);
  checkUint('versionMinor', versionMinor, 0xffff);
  checkUint('sigFigs', sigFigs, 0xffffffff);
  if (!Number.isInteger(thisZone) || thisZone < -0x80000000 || thisZone > 0x7fffffff) {
    throw new RangeError(`thisZone must be a signed 32-bit integer, not ${thisZone}`);
  }
  let linkField = linkType;
  if (fcsLength !== null) {
    if (!Number.isInteger(fcsLength) || fcsLength < 0 || fcsLength > 30 || fcsLength % 2 !== 0) {
      throw new RangeError(`fcsLength must be an even number of bytes in 0..30, not ${fcsLength}`);
    }
    linkField = (linkField | FCS_PRESENT | ((fcsLength / 2) << 28)) >>> 0;
  }
  const allowed = reservedBitsAllowed(fcsLength !== null);
  if (!Number.isInteger(reservedLinkBits) || reservedLinkBits < 0 || reservedLinkBits > 0xffffffff || (reservedLinkBits & ~allowed) !== 0) {
    throw new RangeError(
      `reservedLinkBits may only hold bits ${hex32(allowed)} of the link-type field${fcsLength !== null ? ' when fcsLength is given' : ''}, not ${reservedLinkBits}`,
    );
  }
  linkField = (linkField | reservedLinkBits) >>> 0;
  const out = new Uint8Array(PCAP_FILE_HEADER_LENGTH);
  writeU32(out, 0, nanosecond ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, littleEndian);
  writeU16(out, 4, versionMajor, littleEndian);
  writeU16(out, 6, versionMinor, littleEndian);
  writeU32(out, 8, thisZone >>> 0, littleEndian);
  writeU32(out, 12, sigFigs, littleEndian);
  writeU32(out, 16, snaplen, littleEndian);
  writeU32(out, 20, linkField, littleEndian);
  return out;
}

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** Byte order and resolution from the first 4 bytes, or a malformed result naming what they are instead. */
export function decodePcapMagic(bytes: Uint8Array, offset = 0): ParseResult<{ littleEndian: boolean; nanosecond: boolean }> {
  if (bytes.length - offset < 4) return truncated('pcap', `the magic number needs 4 bytes, got ${bytes.length - offset}`, offset);
  const magic = readU32(bytes, offset, false);
  switch (magic) {
    case PCAP_MAGIC_MICROSECONDS:
      return parsed({ littleEndian: false, nanosecond: false });
    case 0xd4c3b2a1:
      return parsed({ littleEndian: true, nanosecond: false });
    case PCAP_MAGIC_NANOSECONDS:
      return parsed({ littleEndian: false, nanosecond: true });
    case 0x4d3cb2a1:
      return parsed({ littleEndian: true, nanosecond: true });
    case PCAPNG_MAGIC:
      return malformed('pcap', 'this is a pcapng file, not a classic pcap file', offset);
    case PCAP_MAGIC_MODIFIED:
    case 0x34cdb2a1:
      return malformed('pcap', 'modified (Kuznetzov) pcap files are not supported', offset);
    default:
      return malformed('pcap', `not a pcap file: bad magic number ${hex32(magic)}`, offset);
  }
}

/** Decodes the 24-byte file header at the start of `bytes`. Never throws. */
export function decodePcapHeader(bytes: Uint8Array): ParseResult<PcapHeader> {
  const magic = decodePcapMagic(bytes);
  if (!magic.ok) return magic;
  const { littleEndian, nanosecond } = magic.value;
  if (bytes.length < PCAP_FILE_HEADER_LENGTH) {
    return truncated('pcap', `the file header needs 24 bytes, got ${bytes.length}`, bytes.length);
  }
  const versionMajor = readU16(bytes, 4, littleEndian);
  const versionMinor = readU16(bytes, 6, littleEndian);
  if (versionMajor !== PCAP_VERSION_MAJOR) {
    return malformed('pcap', `unsupported pcap version ${versionMajor}.${versionMinor} (only 2.x exists)`, 4);
  }
  const linkField = readU32(bytes, 20, littleEndian);
  return parsed({
    littleEndian,
    nanosecond,
    versionMajor,
    versionMinor,
    thisZone: readU32(bytes, 8, littleEndian) | 0,
    sigFigs: readU32(bytes, 12, littleEndian),
    snaplen: readU32(bytes, 16, littleEndian),
    linkType: linkField & LINKTYPE_MASK,
    fcsLength: linkField & FCS_PRESENT ? (linkField >>> 28) * 2 : null,
    reservedLinkBits: (linkField & reservedBitsAllowed((linkField & FCS_PRESENT) !== 0)) >>> 0,
  });
}

// ---------------------------------------------------------------------------
// Record header

export interface PcapRecordHeader {
  readonly timestampSeconds: number;
  /** µs or ns, as the file header says. */
  readonly timestampFraction: number;
  readonly capturedLength: number;
  readonly originalLength: number;
}

/** Writes a 16-byte record header into `target` at `offset`. Throws RangeError on out-of-range fields. */
export function writePcapRecordHeader(target: Uint8Array, offset: number, header: PcapRecordHeader, littleEndian: boolean): void {
  checkUint('timestampSeconds', header.timestampSeconds, 0xffffffff);
  checkUint('timestampFraction', header.timestampFraction, 0xffffffff);
  checkUint('capturedLength', header.capturedLength, 0xffffffff);
  checkUint('originalLength', header.originalLength, 0xffffffff);
  writeU32(target, offset, header.timestampSeconds, littleEndian);
  writeU32(target, offset + 4, header.timestampFraction, littleEndian);
  writeU32(target, offset + 8, header.capturedLength, littleEndian);
  writeU32(target, offset + 12, header.originalLength, littleEndian);
}

export function encodePcapRecordHeader(header: PcapRecordHeader, littleEndian = true): Uint8Array {
  const out = new Uint8Array(PCAP_RECORD_HEADER_LENGTH);
  writePcapRecordHeader(out, 0, header, littleEndian);
  return out;
}

/** Decodes a 16-byte record header at `offset`. Never throws. */
export function decodePcapRecordHeader(bytes: Uint8Array, offset: number, littleEndian: boolean): ParseResult<PcapRecordHeader> {
  if (bytes.length - offset < PCAP_RECORD_HEADER_LENGTH) {
    return truncated('pcap', `a record header needs 16 bytes, got ${Math.max(0, bytes.length - offset)}`, offset);
  }
  return parsed({
    timestampSeconds: readU32(bytes, offset, littleEndian),
    timestampFraction: readU32(bytes, offset + 4, littleEndian),
    capturedLength: readU32(bytes, offset + 8, littleEndian),
    originalLength: readU32(bytes, offset + 12, littleEndian),
  });
}

// ---------------------------------------------------------------------------
// Timestamps

/** A record timestamp: {seconds, fraction in the file's units}, bigint ns, a Date, or a number of ms. */
export type PcapTimestampInput = { readonly seconds: number; readonly fraction: number } | bigint | Date | number;

/**
 * Seconds and fraction (µs, or ns when `nanosecond`) for a timestamp.
 * bigint is nanoseconds since the epoch, number is milliseconds (fractions
 * allowed), {seconds, fraction} is taken as the record header's two fields,
 * already in the file's units: any 32-bit fraction, even one of a second or
 * more, since readers (this one, libpcap, Wireshark) accept such records and
 * a record read must be writable as it was. Finer precision than the file
 * holds is truncated. Throws RangeError for negative times, seconds beyond
 * 2^32 - 1, or a fraction that is not a 32-bit unsigned integer.
 */
export function toPcapTimestamp(input: PcapTimestampInput, nanosecond: boolean): { seconds: number; fraction: number } {
  const units = nanosecond ? 1e9 : 1e6;
  let seconds: number;
  let fraction: number;
  if (typeof input === 'bigint') {
    if (input < 0n) throw new RangeError(`timestamp ${input} ns is before 1970`);
    seconds = Number(input / 1_000_000_000n);
    const ns = Number(input % 1_000_000_000n);
    fraction = nanosecond ? ns : Math.floor(ns / 1000);
  } else if (typeof input === 'number' || input instanceof Date) {
    const ms = typeof input === 'number' ? input : input.getTime();
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timestamp ${ms} ms is not a time after 1970`);
    seconds = Math.floor(ms / 1000);
    fraction = Math.floor((ms - seconds * 1000) * (units / 1000));
    if (fraction >= units) {
      seconds += 1;
      fraction -= units;
    }
  } else {
    ({ seconds, fraction } = input);
    if (!Number.isInteger(fraction) || fraction < 0 || fraction > 0xffffffff) {
      throw new RangeError(`timestamp fraction must be an integer in 0..${0xffffffff} (file units, usually below ${units}), not ${fraction}`);
    }
  }
  checkUint('timestamp seconds', seconds, 0xffffffff);
  return { seconds, fraction };
}

// ---------------------------------------------------------------------------
// Whole files

export interface PcapRecordInput {
  readonly data: Uint8Array;
  /** Default: 0 (the epoch). */
  readonly timestamp?: PcapTimestampInput;
  /** Default: data.length. */
  readonly originalLength?: number;
}

/**
 * A whole pcap file in memory. Data longer than snaplen is cut, keeping the
 * original length; snaplen 0 cuts nothing (libpcap reads 0 as the link
 * type's maximum).
 */
export function encodePcap(header: PcapHeaderInput, records: Iterable<PcapRecordInput>): Uint8Array {
  const fileHeader = encodePcapHeader(header);
  const snaplen = header.snaplen ?? DEFAULT_SNAPLEN;
  const nanosecond = header.nanosecond ?? false;
  const littleEndian = header.littleEndian ?? true;
  const parts: Uint8Array[] = [fileHeader];
  let total = fileHeader.length;
  for (const record of records) {
    const captured = snaplen > 0 ? Math.min(record.data.length, snaplen) : record.data.length;
    const { seconds, fraction } = toPcapTimestamp(record.timestamp ?? 0, nanosecond);
    const out = new Uint8Array(PCAP_RECORD_HEADER_LENGTH + captured);
    writePcapRecordHeader(
      out,
      0,
      {
        timestampSeconds: seconds,
        timestampFraction: fraction,
        capturedLength: captured,
        originalLength: record.originalLength ?? record.data.length,
      },
      littleEndian,
    );
    out.set(record.data.subarray(0, captured), PCAP_RECORD_HEADER_LENGTH);
    parts.push(out);
    total += out.length;
  }
  const file = new Uint8Array(total);
  let pos = 0;
  for (const part of parts) {
    file.set(part, pos);
    pos += part.length;
  }
  return file;
}

// ---------------------------------------------------------------------------
// Push-style decoder

/** Push-style pcap decoder: see the file comment. */
export class PcapDecoder extends ChunkedCaptureDecoder {
  private fileHeader: PcapHeader | null = null;
  private littleEndian = true;
  private fractionsPerSecond = 1e6;
  private maxCapturedLength = STANDARD_MAX_CAPTURED_LENGTH;
  private linkType = 0;
  private readonly maxOption: number | undefined;

  constructor(options: CaptureDecoderOptions = {}) {
    super(options);
    this.maxOption = options.maxCapturedLength;
  }

  /** The file header, once its 24 bytes have arrived. */
  get header(): PcapHeader | null {
    return this.fileHeader;
  }

  protected headLength(): number {
    // Before the file header: the magic alone tells garbage from a pcap file.
    return this.fileHeader ? PCAP_RECORD_HEADER_LENGTH : 4;
  }

  protected unitLength(buf: Uint8Array, pos: number): number {
    if (!this.fileHeader) {
      const magic = decodePcapMagic(buf, pos);
      if (!magic.ok) {
        this.fail({ ...magic.error, offset: this.unitOffset });
        return -1;
      }
      return PCAP_FILE_HEADER_LENGTH;
    }
    const capturedLength = readU32(buf, pos + 8, this.littleEndian);
    if (capturedLength > this.maxCapturedLength) {
      this.fail({
        kind: 'malformed',
        layer: 'pcap',
        message:
          `record at byte ${this.unitOffset} claims ${capturedLength} captured bytes, ` +
          `more than the maximum of ${this.maxCapturedLength}: the file is corrupt`,
        offset: this.unitOffset,
      });
      return -1;
    }
    return PCAP_RECORD_HEADER_LENGTH + capturedLength;
  }

  protected consumeUnit(buf: Uint8Array, pos: number, length: number, copy: boolean, records: CaptureRecord[]): boolean {
    const le = this.littleEndian;
    if (!this.fileHeader) {
      const r = decodePcapHeader(pos === 0 && buf.length === length ? buf : buf.subarray(pos, pos + length));
      if (!r.ok) {
        this.fail({ ...r.error, offset: this.unitOffset + (r.error.offset ?? 0) });
        return false;
      }
      const h = r.value;
      this.fileHeader = h;
      this.littleEndian = h.littleEndian;
      this.fractionsPerSecond = h.nanosecond ? 1e9 : 1e6;
      this.maxCapturedLength = this.maxOption ?? defaultMaxCapturedLength(h.snaplen);
      this.linkType = h.linkType;
      return true;
    }
    const start = pos + PCAP_RECORD_HEADER_LENGTH;
    const end = pos + length;
    records.push(
      new CaptureRecord(
        readU32(buf, pos, le),
        readU32(buf, pos + 4, le),
        this.fractionsPerSecond,
        length - PCAP_RECORD_HEADER_LENGTH,
        readU32(buf, pos + 12, le),
        copy ? this.copyOut(buf, start, end) : buf.subarray(start, end),
        this.unitOffset,
        this.linkType,
        0,
      ),
    );
    return true;
  }

  protected endError(pending: Uint8Array): ParseError | null {
    const offset = this.unitOffset;
    if (!this.fileHeader) {
      if (pending.length === 0) return { kind: 'truncated', layer: 'pcap', message: 'empty input: no pcap file header', offset };
      return {
        kind: 'truncated',
        layer: 'pcap',
        message: `input ends inside the file header (${pending.length} of 24 bytes)`,
        offset,
      };
    }
    if (pending.length === 0) return null;
    if (pending.length < PCAP_RECORD_HEADER_LENGTH) {
      return {
        kind: 'truncated',
        layer: 'pcap',
        message: `input ends inside the record header at byte ${offset} (${pending.length} of 16 bytes)`,
        offset,
      };
    }
    const capturedLength = readU32(pending, 8, this.littleEndian);
    return {
      kind: 'truncated',
      layer: 'pcap',
      message:
        `input ends inside the record at byte ${offset}: ` +
        `${pending.length - PCAP_RECORD_HEADER_LENGTH} of ${capturedLength} captured bytes present`,
      offset,
    };
  }
}

/** Decodes a whole pcap file held in memory (record data are views into `bytes` unless copyData). */
export function decodePcap(
  bytes: Uint8Array,
  options: CaptureDecoderOptions = {},
): { header: PcapHeader | null; records: CaptureRecord[]; error: ParseError | null } {
  const decoder = new PcapDecoder(options);
  const step = decoder.push(bytes);
  const end = step.error ? step : decoder.end();
  return { header: decoder.header, records: step.records, error: end.error };
}
