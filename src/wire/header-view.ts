// The base of every zero-copy header view (smoltcp's `Packet<T>`): a window
// bytes[start, end) over a buffer the view does not own, plus network-order
// reads relative to `start`. A view is re-pointed rather than re-made, so a
// receive loop or a capture reader can keep one per layer and decode each
// packet without allocating (gopacket's DecodingLayerParser lesson).
//
// Each protocol's view adds a `point()` that checks the length its fixed
// fields need and returns why not (a ParseError) instead of throwing, and
// named accessors for every field. No module outside src/wire/ should need
// a byte offset to read a header.

import { read16, read32 } from './header-fields.ts';

const EMPTY = new Uint8Array(0);

export abstract class HeaderView {
  /** The buffer looked at; shared, never copied. */
  bytes: Uint8Array = EMPTY;
  /** Index of the header's first byte in `bytes`. */
  start = 0;
  /** Index just past the last byte that belongs to this layer and what it carries. */
  end = 0;

  /** Bytes the view covers. */
  get length(): number {
    return this.end - this.start;
  }

  /**
   * Points the view at bytes[start, end) without any check: only fields that
   * end within `length` may be read. For quotes and cut captures, where a
   * header is legitimately partial.
   */
  pointUnchecked(bytes: Uint8Array, start = 0, end = bytes.length): this {
    this.bytes = bytes;
    this.start = start;
    this.end = end;
    return this;
  }

  /** True when the field ending `fieldEnd` bytes into the header was captured. */
  reaches(fieldEnd: number): boolean {
    return this.end - this.start >= fieldEnd;
  }

  /** The covered bytes as a subarray (a view, not a copy). */
  slice(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }

  // `at + this.start`, not `this.start + at`: it compiles to 3 bytes less of
  // bytecode, which brings these under V8's limit for inlining a function
  // whatever the caller's inlining budget (27 bytes). Inlined, the loads of
  // `bytes` and `start` specialise to each view class; called, they are one
  // access site shared by every view, and dissect's summary path slows by a
  // fifth.
  protected u8(at: number): number {
    return this.bytes[at + this.start];
  }

  protected u16(at: number): number {
    return read16(this.bytes, at + this.start);
  }

  protected u32(at: number): number {
    return read32(this.bytes, at + this.start);
  }
}
