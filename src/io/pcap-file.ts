// Capture files on disk: a streaming reader for pcap and pcapng, and a
// classic pcap writer. The byte-level work is in src/wire/pcap.ts and
// src/wire/pcapng.ts; this module adds files, buffers and errors.
//
// Reading. openCaptureFile(path) reads the start of the file, tells pcap from
// pcapng by the magic, decodes the header (info) and then streams records:
//
//   const capture = await openCaptureFile('in.pcap');
//   console.log(capture.info.linkType);
//   for await (const record of capture) { ... }
//
// The file is read front to back (never by position) into a reused buffer
// (1 MiB by default), so a pipe, a FIFO or standard input (the path "-")
// reads like a file, and memory stays flat however large the input is (a 2 GB file of
// 27 M records reads in under 200 MiB RSS). Record data are copied out of that
// buffer by default (copyData: true): a record stays valid for as long as you
// keep it. (Copies of records up to 4 KiB share 64 KiB slabs, like Node's
// Buffer pool: never overwritten, but one kept record keeps its slab alive.)
// With copyData: false a record's data is a view into the read buffer, valid
// only until the next record is requested; that saves the copy for loops that
// look at each packet once. Either way the reader streams well over a million
// small records a second: ~1.5-2.6 M/s copied, ~2.4-4 M/s as views, and
// ~3-9 M/s through batches(), on the 2-core lab machine.
//
// A truncated or corrupt file ends the iteration with a CaptureFileError whose
// `offset` is the absolute byte offset of the bad record header or block,
// thrown after every complete record before it has been delivered.
//
// Writing. PcapWriter writes each record with one synchronous writev() call
// (header + data) straight to the file descriptor: nothing is buffered in
// this process, so once write() returns the record is in the OS and survives
// the process dying. A SIGINT handler may call closeSync() and exit, leaving
// a complete file that tshark and capinfos read without complaint:
//
//   const writer = PcapWriter.openSync('out.pcap', { linkType: LINKTYPE.ETHERNET });
//   process.on('SIGINT', () => { writer.closeSync(); process.exit(130); });
//   writer.write(frame);                       // timestamp: now
//   writer.write(frame, 1_700_000_000_123n * 1_000_000n);   // bigint ns
//
// To copy a file exactly, open the writer with the header the reader found
// and hand it the records as read: every field the reader accepts (a
// fraction of a second or more, reserved link-type bits, snaplen 0, records
// longer than snaplen) is written back unchanged.
//
//   const capture = await openCaptureFile('in.pcap');   // a pcap file
//   const copy = PcapWriter.openSync('out.pcap', capture.info.header);
//   for await (const record of capture) copy.writeRecord(record);
//
// flushSync() is therefore a no-op kept for callers written against a
// buffering writer. One syscall per record costs a microsecond or two, far
// below what a raw-socket lab produces.

import * as fs from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';

import type { ParseError } from '../wire/parse-result.ts';
import {
  type CaptureDecodeStep,
  type CaptureRecord,
  DEFAULT_SNAPLEN,
  PCAP_RECORD_HEADER_LENGTH,
  type PcapHeader,
  type PcapHeaderInput,
  PcapDecoder,
  type PcapTimestampInput,
  encodePcapHeader,
  toPcapTimestamp,
  writePcapRecordHeader,
} from '../wire/pcap.ts';
import { type PcapngInterface, type PcapngSectionHeader, PcapngDecoder, detectCaptureFormat } from '../wire/pcapng.ts';

export type { CaptureRecord } from '../wire/pcap.ts';

export const DEFAULT_READ_BUFFER_SIZE = 1 << 20;

/** A capture file that is cut short or corrupt; `offset` names the byte where the bad part starts. */
export class CaptureFileError extends Error {
  override readonly name = 'CaptureFileError';
  readonly kind: ParseError['kind'];
  readonly layer: string;
  /** Absolute byte offset of the bad record header / block (0 for a bad file header). */
  readonly offset: number;

  constructor(
    readonly path: string,
    readonly parseError: ParseError,
  ) {
    const offset = parseError.offset ?? 0;
    super(`${path}: ${parseError.layer}: ${parseError.kind}: ${parseError.message} (at byte ${offset})`);
    this.kind = parseError.kind;
    this.layer = parseError.layer;
    this.offset = offset;
  }
}

export interface ReadCaptureOptions {
  /** Size of the reused read buffer; default 1 MiB. */
  readonly bufferSize?: number;
  /** Copy each record's data out of the read buffer (default true); see the file comment. */
  readonly copyData?: boolean;
  /** Captured length above which a record is corrupt; default max(262144, snaplen), at most 256 MiB. */
  readonly maxCapturedLength?: number;
  /** What the path "-" reads: standard input unless given. */
  readonly input?: Readable;
}

/** The path that names standard input, as in tshark -r - and tcpdump -r -. */
export const STANDARD_INPUT = '-';

/**
 * Where capture bytes come from, read front to back and never by position,
 * so a pipe, a FIFO or standard input reads like a file.
 */
interface ByteSource {
  /** Fills buffer[offset, offset + length) as far as the next read goes; 0 at the end. */
  read(buffer: Uint8Array, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}

/** A file or a FIFO, read sequentially (a FIFO's open already waited for its writer). */
function fileSource(handle: FileHandle): ByteSource {
  return {
    read: async (buffer, offset, length) => (await handle.read(buffer, offset, length, null)).bytesRead,
    close: () => handle.close(),
  };
}

/** A readable stream (standard input): its chunks copied into the reader's buffer, pulled one at a time. */
function streamSource(stream: Readable): ByteSource {
  const chunks = stream[Symbol.asyncIterator]();
  let pending: Uint8Array = new Uint8Array(0);
  let ended = false;
  return {
    async read(buffer, offset, length) {
      if (pending.length === 0) {
        if (ended) return 0;
        const next = await chunks.next();
        if (next.done) {
          ended = true;
          return 0;
        }
        pending = typeof next.value === 'string' ? Buffer.from(next.value, 'latin1') : (next.value as Uint8Array);
      }
      const n = Math.min(length, pending.length);
      buffer.set(n === pending.length ? pending : pending.subarray(0, n), offset);
      pending = pending.subarray(n);
      return n;
    },
    async close() {
      ended = true;
      pending = new Uint8Array(0);
      // Standard input stays open for the process; a stream of our own is released.
      if (stream !== process.stdin) stream.destroy();
      else stream.pause();
    },
  };
}

export interface PcapFileInfo {
  readonly format: 'pcap';
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly littleEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly header: PcapHeader;
}

export interface PcapngFileInfo {
  readonly format: 'pcapng';
  /** The first interface's link type, or null if no interface is described near the start of the file. */
  readonly linkType: number | null;
  /** The first interface's snaplen (0 = unlimited), or null. */
  readonly snaplen: number | null;
  /** True when the first interface's timestamps are in nanoseconds. */
  readonly nanosecond: boolean;
  /** Byte order of the first section. */
  readonly littleEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly section: PcapngSectionHeader;
  /** Interfaces described so far (all sections); grows as records are read. */
  readonly interfaces: readonly PcapngInterface[];
}

export type CaptureFileInfo = PcapFileInfo | PcapngFileInfo;

type Decoder = PcapDecoder | PcapngDecoder;

function headerKnown(decoder: Decoder): boolean {
  return decoder instanceof PcapDecoder ? decoder.header !== null : decoder.sectionHeader !== null;
}

/** An open capture file: header info, then its records once, as an async iterable. */
export class CaptureFile implements AsyncIterable<CaptureRecord> {
  private closed = false;
  private iterated = false;

  private constructor(
    readonly path: string,
    readonly info: CaptureFileInfo,
    private readonly source: ByteSource,
    private readonly decoder: Decoder,
    private readonly buffer: Uint8Array,
    /** Records (and maybe an error) decoded while reading the header. */
    private first: CaptureDecodeStep,
    private eof: boolean,
  ) {}

  static async open(path: string, options: ReadCaptureOptions = {}): Promise<CaptureFile> {
    const bufferSize = options.bufferSize ?? DEFAULT_READ_BUFFER_SIZE;
    if (!Number.isInteger(bufferSize) || bufferSize < 64) throw new RangeError(`bufferSize must be an integer >= 64, not ${bufferSize}`);
    const source = path === STANDARD_INPUT ? streamSource(options.input ?? process.stdin) : fileSource(await open(path, 'r'));
    try {
      const buffer = new Uint8Array(bufferSize);
      let position = 0;
      let eof = false;
      let decoder: Decoder | null = null;
      const records: CaptureRecord[] = [];
      let error: ParseError | null = null;
      // Read until the header is decoded, the input is found bad, or it ends.
      while (!error && !(decoder && headerKnown(decoder))) {
        let bytesRead = await source.read(buffer, 0, bufferSize);
        // A pipe may deliver fewer bytes than asked: the magic needs 4.
        while (!decoder && bytesRead > 0 && bytesRead < 4) {
          const more = await source.read(buffer, bytesRead, bufferSize - bytesRead);
          if (more === 0) break;
          bytesRead += more;
        }
        position += bytesRead;
        if (bytesRead === 0) eof = true;
        const chunk = buffer.subarray(0, bytesRead);
        if (!decoder) {
          if (eof || bytesRead < 4) {
            throw new CaptureFileError(path, {
              kind: 'truncated',
              layer: 'capture',
              message: position === 0 ? 'empty file: no pcap or pcapng header' : `file of ${position} bytes is too short for a capture header`,
              offset: 0,
            });
          }
          const format = detectCaptureFormat(chunk);
          if (format === null) {
            const shown = Array.from(chunk.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
            throw new CaptureFileError(path, {
              kind: 'malformed',
              layer: 'capture',
              message: `not a pcap or pcapng file: it starts with ${shown}, not a known magic number`,
              offset: 0,
            });
          }
          const decoderOptions = { copyData: options.copyData ?? true, maxCapturedLength: options.maxCapturedLength };
          decoder = format === 'pcap' ? new PcapDecoder(decoderOptions) : new PcapngDecoder(decoderOptions);
        }
        const step = eof ? decoder.end() : decoder.push(chunk);
        for (const record of step.records) records.push(record);
        error = step.error;
      }
      if (!decoder || !headerKnown(decoder)) {
        // The header itself is bad or cut: nothing to iterate.
        throw new CaptureFileError(path, error ?? { kind: 'truncated', layer: 'capture', message: 'no header', offset: 0 });
      }
      return new CaptureFile(path, describe(decoder), source, decoder, buffer, { records, error }, eof);
    } catch (e) {
      await source.close();
      throw e;
    }
  }

  /**
   * Records in batches (one per buffer read): the fastest way through a big
   * file. With copyData: false a batch's data are valid until the next batch
   * is requested. Throws CaptureFileError after the last good batch.
   */
  async *batches(): AsyncGenerator<CaptureRecord[], void, undefined> {
    if (this.iterated) throw new Error(`${this.path}: a CaptureFile can be iterated only once`);
    this.iterated = true;
    try {
      const first = this.first;
      this.first = { records: [], error: null };
      if (first.records.length > 0) yield first.records;
      if (first.error) throw new CaptureFileError(this.path, first.error);
      if (this.eof) return;
      for (;;) {
        const bytesRead = await this.source.read(this.buffer, 0, this.buffer.length);
        const step = bytesRead === 0 ? this.decoder.end() : this.decoder.push(this.buffer.subarray(0, bytesRead));
        if (step.records.length > 0) yield step.records;
        if (step.error) throw new CaptureFileError(this.path, step.error);
        if (bytesRead === 0) return;
      }
    } finally {
      await this.close();
    }
  }

  /** Records one by one; see batches() for the error and validity rules. */
  [Symbol.asyncIterator](): AsyncIterableIterator<CaptureRecord> {
    return recordsOf(this.batches());
  }

  /** Closes the file (done automatically when iteration ends, breaks or throws). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

function describe(decoder: Decoder): CaptureFileInfo {
  if (decoder instanceof PcapDecoder) {
    const h = decoder.header!;
    return {
      format: 'pcap',
      linkType: h.linkType,
      snaplen: h.snaplen,
      nanosecond: h.nanosecond,
      littleEndian: h.littleEndian,
      versionMajor: h.versionMajor,
      versionMinor: h.versionMinor,
      header: h,
    };
  }
  const section = decoder.sectionHeader!;
  const interfaces = decoder.interfaces;
  const first = interfaces[0];
  return {
    format: 'pcapng',
    linkType: first ? first.linkType : null,
    snaplen: first ? first.snaplen : null,
    nanosecond: first ? first.fractionsPerSecond === 1e9 : false,
    littleEndian: section.littleEndian,
    versionMajor: section.versionMajor,
    versionMinor: section.versionMinor,
    section,
    interfaces,
  };
}

/** Opens a pcap or pcapng file and decodes its header; iterate the result for records. */
export function openCaptureFile(path: string, options: ReadCaptureOptions = {}): Promise<CaptureFile> {
  return CaptureFile.open(path, options);
}

/**
 * Flattens batches into records without an async generator per record: a
 * record already decoded is handed out with no further awaiting inside.
 */
function recordsOf(source: AsyncGenerator<CaptureRecord[], void, undefined>): AsyncIterableIterator<CaptureRecord> {
  let batch: CaptureRecord[] = [];
  let index = 0;
  const iterator: AsyncIterableIterator<CaptureRecord> = {
    async next(): Promise<IteratorResult<CaptureRecord>> {
      while (index >= batch.length) {
        const r = await source.next();
        if (r.done) return { done: true, value: undefined };
        batch = r.value;
        index = 0;
      }
      return { done: false, value: batch[index++] };
    },
    async return(): Promise<IteratorResult<CaptureRecord>> {
      batch = [];
      await source.return();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

async function* openAndRead(path: string, options: ReadCaptureOptions): AsyncGenerator<CaptureRecord[], void, undefined> {
  const file = await CaptureFile.open(path, options);
  yield* file.batches();
}

/**
 * Every record of a pcap or pcapng file, streamed; the file is opened on the
 * first next() and closed when iteration ends, breaks or throws. Use
 * openCaptureFile() to see the header info first.
 */
export function readCaptureFile(path: string, options: ReadCaptureOptions = {}): AsyncIterableIterator<CaptureRecord> {
  return recordsOf(openAndRead(path, options));
}

// ---------------------------------------------------------------------------
// Writer

/**
 * The file header's fields (a PcapHeader from a reader works as is).
 * snaplen defaults to 262144; write() cuts longer data to it, keeping the
 * original length, and 0 cuts nothing (libpcap reads 0 as the link type's
 * maximum). nanosecond (magic 0xa1b23c4d) defaults to false, littleEndian to
 * true.
 */
export type PcapWriterOptions = PcapHeaderInput;

/** The fields of a record that writeRecord copies: a CaptureRecord from a reader has them all. */
export interface PcapRecordFields {
  readonly timestampSeconds: number;
  readonly timestampFraction: number;
  readonly fractionsPerSecond: number;
  readonly originalLength: number;
  readonly data: Uint8Array;
  /** When given, it must be the writer's link type. */
  readonly linkType?: number;
}

const openFd = promisify(fs.open);
const closeFd = promisify(fs.close);

/** Wall-clock time now in ms, with sub-millisecond digits. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Classic pcap writer: every write() reaches the OS before it returns (see the file comment). */
export class PcapWriter {
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly littleEndian: boolean;
  private fd: number | null;
  private readonly recordHeader = new Uint8Array(PCAP_RECORD_HEADER_LENGTH);
  private records = 0;
  private bytes = 0;

  private constructor(
    readonly path: string,
    fd: number,
    options: PcapWriterOptions,
  ) {
    this.fd = fd;
    this.linkType = options.linkType;
    this.snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    this.nanosecond = options.nanosecond ?? false;
    this.littleEndian = options.littleEndian ?? true;
  }

  private static checked(options: PcapWriterOptions): Uint8Array {
    return encodePcapHeader(options);
  }

  /** Creates (or truncates) `path` and writes the file header. */
  static openSync(path: string, options: PcapWriterOptions): PcapWriter {
    PcapWriter.checked(options); // a bad header is refused before the file is touched
    return PcapWriter.onDescriptorSync(fs.openSync(path, 'w'), path, options);
  }

  /** Writes the file header to an already open descriptor (e.g. one opened as another user) and takes it over. */
  static onDescriptorSync(fd: number, path: string, options: PcapWriterOptions): PcapWriter {
    const header = PcapWriter.checked(options);
    const writer = new PcapWriter(path, fd, options);
    try {
      writer.writeAll([header]);
    } catch (e) {
      writer.closeSync();
      throw e;
    }
    return writer;
  }

  /** As openSync, opening the file asynchronously. */
  static async open(path: string, options: PcapWriterOptions): Promise<PcapWriter> {
    const header = PcapWriter.checked(options);
    const fd = await openFd(path, 'w');
    const writer = new PcapWriter(path, fd, options);
    try {
      writer.writeAll([header]);
    } catch (e) {
      writer.closeSync();
      throw e;
    }
    return writer;
  }

  /** Records written so far. */
  get recordsWritten(): number {
    return this.records;
  }

  /** Bytes in the file so far, header included. */
  get bytesWritten(): number {
    return this.bytes;
  }

  get isClosed(): boolean {
    return this.fd === null;
  }

  /**
   * Appends one record, synchronously. `timestamp` defaults to now; see
   * toPcapTimestamp for the accepted forms ({seconds, fraction} is in the
   * file's units). Data beyond snaplen are cut; originalLength defaults to
   * data.length.
   */
  write(data: Uint8Array, timestamp?: PcapTimestampInput, originalLength: number = data.length): void {
    if (this.fd === null) throw new Error(`${this.path}: write() after close`);
    const { seconds, fraction } = toPcapTimestamp(timestamp ?? nowMs(), this.nanosecond);
    const captured = this.snaplen > 0 ? Math.min(data.length, this.snaplen) : data.length;
    this.writeFields(seconds, fraction, captured === data.length ? data : data.subarray(0, captured), originalLength);
  }

  /**
   * Appends a record exactly as a reader delivered it: its timestamp fields,
   * original length and every captured byte (not cut to snaplen). A record
   * in other units than the file's (a pcapng record, say) has its timestamp
   * converted, truncating finer precision. Throws RangeError for a record of
   * another link type.
   */
  writeRecord(record: PcapRecordFields): void {
    if (this.fd === null) throw new Error(`${this.path}: write() after close`);
    if (record.linkType !== undefined && record.linkType !== this.linkType) {
      throw new RangeError(`record of link type ${record.linkType} in a file of link type ${this.linkType}`);
    }
    const units = this.nanosecond ? 1e9 : 1e6;
    let seconds = record.timestampSeconds;
    let fraction = record.timestampFraction;
    if (record.fractionsPerSecond !== units) {
      const perSecond = BigInt(record.fractionsPerSecond);
      ({ seconds, fraction } = toPcapTimestamp(
        BigInt(seconds) * 1_000_000_000n + (BigInt(fraction) * 1_000_000_000n) / perSecond,
        this.nanosecond,
      ));
    }
    this.writeFields(seconds, fraction, record.data, record.originalLength);
  }

  private writeFields(seconds: number, fraction: number, data: Uint8Array, originalLength: number): void {
    writePcapRecordHeader(
      this.recordHeader,
      0,
      { timestampSeconds: seconds, timestampFraction: fraction, capturedLength: data.length, originalLength },
      this.littleEndian,
    );
    this.writeAll([this.recordHeader, data]);
    this.records++;
  }

  /** No-op: records are never held in this process (kept for buffering-writer callers). */
  flushSync(): void {}

  /** Closes the file descriptor; safe to call from a signal handler, and more than once. */
  closeSync(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    fs.closeSync(fd);
  }

  async close(): Promise<void> {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    await closeFd(fd);
  }

  private writeAll(parts: Uint8Array[]): void {
    const fd = this.fd!;
    let total = 0;
    for (const p of parts) total += p.length;
    let written = fs.writevSync(fd, parts);
    while (written < total) {
      // A short write (rare on regular files): finish the rest part by part.
      let skip = written;
      const rest: Uint8Array[] = [];
      for (const p of parts) {
        if (skip >= p.length) skip -= p.length;
        else {
          rest.push(skip > 0 ? p.subarray(skip) : p);
          skip = 0;
        }
      }
      written += fs.writevSync(fd, rest);
    }
    this.bytes += total;
  }
}
