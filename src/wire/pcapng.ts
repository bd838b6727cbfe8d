// pcapng capture files (draft-ietf-opsawg-pcapng), reading side, as a pure
// push-style codec. A file is a sequence of blocks:
//
//   block type (4) | block total length (4) | body ... | block total length (4)
//
// Each section starts with a Section Header Block whose byte-order magic
// (0x1a2b3c4d) sets the byte order of the blocks up to the next SHB. The
// Interface Description Blocks of a section are numbered from 0 in order;
// each gives its link type, snaplen and timestamp resolution (if_tsresol,
// default microseconds) and offset (if_tsoffset). Packets come in Enhanced
// Packet Blocks (and the older Simple and Obsolete Packet Blocks); every
// other block type is skipped by its length.
//
// Errors follow Wireshark (wiretap/pcapng.c): a block length below 12, not a
// multiple of 4, or above a sanity bound; a trailing length that differs from
// the leading one; a packet whose captured length overruns its block or the
// interface's maximum; a packet naming an interface not yet described.
// Error offsets are the absolute byte offset of the offending block.

import { type ParseError, malformed, parsed, type ParseResult } from './parse-result.ts';
import {
  type CaptureDecoderOptions,
  CaptureRecord,
  ChunkedCaptureDecoder,
  MAX_CAPTURED_LENGTH_CEILING,
  PCAPNG_MAGIC,
  defaultMaxCapturedLength,
  readU16,
  readU32,
} from './pcap.ts';

export const PCAPNG_BLOCK_TYPE = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  OBSOLETE_PACKET: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  NAME_RESOLUTION: 0x00000004,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
  DECRYPTION_SECRETS: 0x0000000a,
  CUSTOM: 0x00000bad,
} as const;

export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Smallest block: type, length, trailing length. */
export const PCAPNG_MIN_BLOCK_LENGTH = 12;
/** Largest block believed by default (a packet block may carry up to 256 MiB of packet). */
export const PCAPNG_MAX_BLOCK_LENGTH = MAX_CAPTURED_LENGTH_CEILING + 4096;

const OPT_ENDOFOPT = 0;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;

export interface PcapngSectionHeader {
  readonly littleEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Absolute offset of the SHB. */
  readonly offset: number;
}

export interface PcapngInterface {
  /** Index within its section (what packet blocks refer to). */
  readonly index: number;
  /** Which section (0 for the first SHB). */
  readonly section: number;
  readonly linkType: number;
  /** 0 means no limit. */
  readonly snaplen: number;
  /** Timestamp units per second (if_tsresol; 1e6 by default). */
  readonly fractionsPerSecond: number;
  /** if_tsoffset: seconds added to every timestamp of the interface (default 0). */
  readonly timestampOffset: number;
  readonly name?: string;
  readonly description?: string;
  /** if_fcslen: FCS bytes at the end of each frame, when stated. */
  readonly fcsLength?: number;
}

interface InterfaceState extends PcapngInterface {
  readonly maxCapturedLength: number;
  /** Units as a bigint when too large for the fast path. */
  readonly unitsBig: bigint | null;
}

/** 'pcap', 'pcapng' or null from a file's first 4 bytes. */
export function detectCaptureFormat(bytes: Uint8Array): 'pcap' | 'pcapng' | null {
  if (bytes.length < 4) return null;
  const magic = readU32(bytes, 0, false);
  if (magic === PCAPNG_MAGIC) return 'pcapng';
  if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) return 'pcap';
  return null;
}

/** Walks an options list; returns an error message, or null when well formed. */
function walkOptions(
  buf: Uint8Array,
  start: number,
  end: number,
  le: boolean,
  visit: (code: number, valueStart: number, valueLength: number) => string | null,
): string | null {
  let p = start;
  while (end - p >= 4) {
    const code = readU16(buf, p, le);
    const length = readU16(buf, p + 2, le);
    if (code === OPT_ENDOFOPT) return null;
    if (p + 4 + length > end) return `option ${code} of length ${length} overruns its block`;
    const problem = visit(code, p + 4, length);
    if (problem) return problem;
    p += 4 + ((length + 3) & ~3);
  }
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Parses an if_tsresol byte into units per second. */
export function tsresolUnits(value: number): ParseResult<number> {
  const exponent = value & 0x7f;
  const units = value & 0x80 ? 2 ** exponent : 10 ** exponent;
  if (!Number.isSafeInteger(units)) return malformed('pcapng', `if_tsresol ${value} is finer than this reader supports`);
  return parsed(units);
}

/**
 * Splits a 64-bit timestamp (hi, lo words) into whole seconds and remainder
 * for `units` per second, without bigint when units <= 2^36: long division
 * over four 16-bit digits keeps every intermediate below 2^53.
 */
function splitTimestamp(hi: number, lo: number, units: number, unitsBig: bigint | null): [number, number] {
  if (unitsBig === null) {
    // Unrolled over the digits hi>>>16, hi&0xffff, lo>>>16, lo&0xffff.
    let cur = hi >>> 16;
    let d = Math.floor(cur / units);
    let r = cur - d * units;
    let q = d;
    cur = r * 65536 + (hi & 0xffff);
    d = Math.floor(cur / units);
    r = cur - d * units;
    q = q * 65536 + d;
    cur = r * 65536 + (lo >>> 16);
    d = Math.floor(cur / units);
    r = cur - d * units;
    q = q * 65536 + d;
    cur = r * 65536 + (lo & 0xffff);
    d = Math.floor(cur / units);
    r = cur - d * units;
    q = q * 65536 + d;
    return [q, r];
  }
  const ts = (BigInt(hi) << 32n) | BigInt(lo);
  return [Number(ts / unitsBig), Number(ts % unitsBig)];
}

export interface PcapngDecoderOptions extends CaptureDecoderOptions {
  /** Largest block believed; default PCAPNG_MAX_BLOCK_LENGTH. */
  readonly maxBlockLength?: number;
}

/** Push-style pcapng decoder: feed chunks, get records; see the file comment. */
export class PcapngDecoder extends ChunkedCaptureDecoder {
  private section: PcapngSectionHeader | null = null;
  private sectionCount = 0;
  private le = true;
  private current: InterfaceState[] = [];
  private readonly all: PcapngInterface[] = [];
  private readonly maxBlockLength: number;
  private readonly maxOption: number | undefined;

  constructor(options: PcapngDecoderOptions = {}) {
    super(options);
    this.maxBlockLength = options.maxBlockLength ?? PCAPNG_MAX_BLOCK_LENGTH;
    this.maxOption = options.maxCapturedLength;
  }

  /** The Section Header Block in force (the latest one read), or null before the first. */
  get sectionHeader(): PcapngSectionHeader | null {
    return this.section;
  }

  /** Every interface described so far, across sections, in file order. */
  get interfaces(): readonly PcapngInterface[] {
    return this.all;
  }

  /** Interfaces of the current section, indexed as packet blocks refer to them. */
  get sectionInterfaces(): readonly PcapngInterface[] {
    return this.current;
  }

  protected headLength(): number {
    return PCAPNG_MIN_BLOCK_LENGTH;
  }

  private blockError(message: string, kind: 'truncated' | 'malformed' = 'malformed'): ParseError {
    return { kind, layer: 'pcapng', message, offset: this.unitOffset };
  }

  protected unitLength(buf: Uint8Array, pos: number): number {
    const type = readU32(buf, pos, false);
    let le = this.le;
    if (type === PCAPNG_MAGIC) {
      const bom = readU32(buf, pos + 8, true);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (readU32(buf, pos + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
      else {
        this.fail(this.blockError(`Section Header Block at byte ${this.unitOffset} has a bad byte-order magic 0x${bom.toString(16)}`));
        return -1;
      }
    } else if (this.section === null) {
      this.fail(this.blockError(`not a pcapng file: it does not start with a Section Header Block (0x${type.toString(16).padStart(8, '0')})`));
      return -1;
    }
    const length = readU32(buf, pos + 4, le);
    if (length < PCAPNG_MIN_BLOCK_LENGTH || length % 4 !== 0 || length > this.maxBlockLength) {
      this.fail(
        this.blockError(
          `block at byte ${this.unitOffset} has total length ${length}` +
            (length < PCAPNG_MIN_BLOCK_LENGTH
              ? ', less than the minimum of 12'
              : length % 4 !== 0
                ? ', not a multiple of 4'
                : `, more than the maximum of ${this.maxBlockLength}`) +
            ': the file is corrupt',
        ),
      );
      return -1;
    }
    return length;
  }

  protected consumeUnit(buf: Uint8Array, pos: number, length: number, copy: boolean, records: CaptureRecord[]): boolean {
    const type = readU32(buf, pos, false);
    if (type === PCAPNG_MAGIC) return this.sectionHeaderBlock(buf, pos, length);
    const le = this.le;
    const trailer = readU32(buf, pos + length - 4, le);
    if (trailer !== length) {
      this.fail(this.blockError(`block at byte ${this.unitOffset}: trailing length ${trailer} differs from leading length ${length}`));
      return false;
    }
    switch (readU32(buf, pos, le)) {
      case PCAPNG_BLOCK_TYPE.INTERFACE_DESCRIPTION:
        return this.interfaceBlock(buf, pos, length);
      case PCAPNG_BLOCK_TYPE.ENHANCED_PACKET: {
        if (length < 32) return this.tooShort('Enhanced Packet Block', length, 32);
        return this.packet(buf, pos, length, copy, records, readU32(buf, pos + 8, le), readU32(buf, pos + 12, le), readU32(buf, pos + 16, le), readU32(buf, pos + 20, le), readU32(buf, pos + 24, le), 28);
      }
      case PCAPNG_BLOCK_TYPE.OBSOLETE_PACKET: {
        if (length < 32) return this.tooShort('Packet Block', length, 32);
        return this.packet(buf, pos, length, copy, records, readU16(buf, pos + 8, le), readU32(buf, pos + 12, le), readU32(buf, pos + 16, le), readU32(buf, pos + 20, le), readU32(buf, pos + 24, le), 28);
      }
      case PCAPNG_BLOCK_TYPE.SIMPLE_PACKET: {
        if (length < 16) return this.tooShort('Simple Packet Block', length, 16);
        const iface = this.current[0];
        if (!iface) {
          this.fail(this.blockError(`Simple Packet Block at byte ${this.unitOffset} before any Interface Description Block`));
          return false;
        }
        const originalLength = readU32(buf, pos + 8, le);
        let captured = Math.min(originalLength, length - 16);
        if (iface.snaplen !== 0) captured = Math.min(captured, iface.snaplen);
        return this.packet(buf, pos, length, copy, records, 0, 0, 0, captured, originalLength, 12);
      }
      default:
        return true;
    }
  }

  private tooShort(what: string, length: number, minimum: number): boolean {
    this.fail(this.blockError(`${what} at byte ${this.unitOffset} is ${length} bytes, less than the minimum of ${minimum}`));
    return false;
  }

  private sectionHeaderBlock(buf: Uint8Array, pos: number, length: number): boolean {
    const le = readU32(buf, pos + 8, true) === PCAPNG_BYTE_ORDER_MAGIC;
    if (length < 28) return this.tooShort('Section Header Block', length, 28);
    const trailer = readU32(buf, pos + length - 4, le);
    if (trailer !== length) {
      this.fail(this.blockError(`block at byte ${this.unitOffset}: trailing length ${trailer} differs from leading length ${length}`));
      return false;
    }
    const versionMajor = readU16(buf, pos + 12, le);
    const versionMinor = readU16(buf, pos + 14, le);
    if (versionMajor !== 1) {
      this.fail(this.blockError(`unsupported pcapng version ${versionMajor}.${versionMinor}`));
      return false;
    }
    this.le = le;
    this.section = { littleEndian: le, versionMajor, versionMinor, offset: this.unitOffset };
    this.sectionCount++;
    this.current = [];
    return true;
  }

  private interfaceBlock(buf: Uint8Array, pos: number, length: number): boolean {
    if (length < 20) return this.tooShort('Interface Description Block', length, 20);
    const le = this.le;
    const linkType = readU16(buf, pos + 8, le);
    const snaplen = readU32(buf, pos + 12, le);
    let fractionsPerSecond = 1e6;
    let timestampOffset = 0;
    let name: string | undefined;
    let description: string | undefined;
    let fcsLength: number | undefined;
    const problem = walkOptions(buf, pos + 16, pos + length - 4, le, (code, start, size) => {
      switch (code) {
        case IF_TSRESOL: {
          if (size < 1) return 'if_tsresol option is empty';
          const r = tsresolUnits(buf[start]);
          if (!r.ok) return r.error.message;
          fractionsPerSecond = r.value;
          return null;
        }
        case IF_TSOFFSET: {
          if (size < 8) return 'if_tsoffset option is shorter than 8 bytes';
          const hi = readU32(buf, le ? start + 4 : start, le) | 0;
          const lo = readU32(buf, le ? start : start + 4, le);
          timestampOffset = hi * 4294967296 + lo;
          return null;
        }
        case IF_NAME:
          name = utf8.decode(buf.subarray(start, start + size)).replace(/\0+$/, '');
          return null;
        case IF_DESCRIPTION:
          description = utf8.decode(buf.subarray(start, start + size)).replace(/\0+$/, '');
          return null;
        case IF_FCSLEN:
          if (size >= 1) fcsLength = buf[start];
          return null;
        default:
          return null;
      }
    });
    if (problem) {
      this.fail(this.blockError(`Interface Description Block at byte ${this.unitOffset}: ${problem}`));
      return false;
    }
    const iface: InterfaceState = {
      index: this.current.length,
      section: this.sectionCount - 1,
      linkType,
      snaplen,
      fractionsPerSecond,
      timestampOffset,
      ...(name === undefined ? {} : { name }),
      ...(description === undefined ? {} : { description }),
      ...(fcsLength === undefined ? {} : { fcsLength }),
      maxCapturedLength: this.maxOption ?? defaultMaxCapturedLength(snaplen),
      unitsBig: fractionsPerSecond > 2 ** 36 ? BigInt(fractionsPerSecond) : null,
    };
    this.current.push(iface);
    const { maxCapturedLength: _m, unitsBig: _u, ...visible } = iface;
    this.all.push(visible);
    return true;
  }

  private packet(
    buf: Uint8Array,
    pos: number,
    length: number,
    copy: boolean,
    records: CaptureRecord[],
    interfaceId: number,
    tsHigh: number,
    tsLow: number,
    capturedLength: number,
    originalLength: number,
    dataStart: number,
  ): boolean {
    const iface = this.current[interfaceId];
    if (!iface) {
      this.fail(
        this.blockError(`packet block at byte ${this.unitOffset} names interface ${interfaceId}, but only ${this.current.length} are described`),
      );
      return false;
    }
    if (capturedLength > length - dataStart - 4) {
      this.fail(this.blockError(`packet block at byte ${this.unitOffset}: captured length ${capturedLength} overruns the ${length}-byte block`));
      return false;
    }
    if (capturedLength > iface.maxCapturedLength) {
      this.fail(
        this.blockError(
          `packet block at byte ${this.unitOffset} claims ${capturedLength} captured bytes, more than the maximum of ${iface.maxCapturedLength}: the file is corrupt`,
        ),
      );
      return false;
    }
    const [seconds, fraction] = splitTimestamp(tsHigh, tsLow, iface.fractionsPerSecond, iface.unitsBig);
    const start = pos + dataStart;
    const end = start + capturedLength;
    records.push(
      new CaptureRecord(
        seconds + iface.timestampOffset,
        fraction,
        iface.fractionsPerSecond,
        capturedLength,
        originalLength,
        copy ? this.copyOut(buf, start, end) : buf.subarray(start, end),
        this.unitOffset,
        iface.linkType,
        interfaceId,
      ),
    );
    return true;
  }

  protected endError(pending: Uint8Array): ParseError | null {
    const offset = this.unitOffset;
    if (this.section === null && pending.length === 0) {
      return { kind: 'truncated', layer: 'pcapng', message: 'empty input: no Section Header Block', offset };
    }
    if (pending.length === 0) return null;
    if (pending.length < PCAPNG_MIN_BLOCK_LENGTH) {
      return {
        kind: 'truncated',
        layer: 'pcapng',
        message: `input ends inside the block header at byte ${offset} (${pending.length} bytes)`,
        offset,
      };
    }
    const type = readU32(pending, 0, false);
    const le = type === PCAPNG_MAGIC ? readU32(pending, 8, true) === PCAPNG_BYTE_ORDER_MAGIC : this.le;
    return {
      kind: 'truncated',
      layer: 'pcapng',
      message: `input ends inside the block at byte ${offset}: ${pending.length} of ${readU32(pending, 4, le)} bytes present`,
      offset,
    };
  }
}

/** Decodes a whole pcapng file held in memory. */
export function decodePcapng(
  bytes: Uint8Array,
  options: PcapngDecoderOptions = {},
): { interfaces: readonly PcapngInterface[]; records: CaptureRecord[]; error: ParseError | null } {
  const decoder = new PcapngDecoder(options);
  const step = decoder.push(bytes);
  const end = step.error ? step : decoder.end();
  return { interfaces: decoder.interfaces, records: step.records, error: end.error };
}
