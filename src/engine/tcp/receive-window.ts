// The receive side's buffer and the window it lets us advertise: in-order
// data waits here until the application reads it, and the window is the room
// left (RFC 9293 3.8.6.2.2). A slow reader shrinks the window to zero; reading
// opens it again, in steps of at least min(buffer / 2, MSS) (receiver
// silly-window avoidance). The right edge of a window once advertised never
// moves left, whatever the rounding the window scale needs.
import { seqAdd, seqDiff, seqGt, type SeqNumber } from '../../wire/tcp-sequence.ts';

const MAX_WINDOW_FIELD = 0xffff;
const EMPTY = new Uint8Array(0);

export class ReceiveWindow {
  private shift = 0;
  /** RCV.NXT + the window last advertised. */
  private edge: SeqNumber = 0;
  private lastField = 0;
  private readonly chunks: Uint8Array[] = [];
  private head = 0;
  private unread = 0;
  private peak = 0;
  private smallest: number | undefined;

  constructor(
    /** Bytes of unread data we are willing to hold: the largest window. */
    private readonly capacity: number,
    /** Our MSS: the unit of silly-window avoidance. */
    private readonly mss: number,
  ) {}

  /** Synchronized: the window starts at RCV.NXT, in units of 2^shift bytes (the agreed scale). */
  start(rcvNxt: SeqNumber, shift: number): void {
    this.edge = rcvNxt >>> 0;
    this.shift = shift;
  }

  /** Unread bytes. */
  get readable(): number {
    return this.unread;
  }

  /** The most bytes held unread at once. */
  get peakReadable(): number {
    return this.peak;
  }

  /** The smallest window advertised (bytes), once one was. */
  get smallestAdvertised(): number | undefined {
    return this.smallest;
  }

  /** The window (bytes) in the last segment sent. */
  get lastAdvertised(): number {
    return this.lastField * 2 ** this.shift;
  }

  /** In-order data for the application. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.unread += chunk.length;
    if (this.unread > this.peak) this.peak = this.unread;
  }

  /** The oldest unread data, at most `max` bytes; undefined when there is none. */
  read(max = Number.POSITIVE_INFINITY): Uint8Array | undefined {
    if (this.head >= this.chunks.length) return undefined;
    let chunk = this.chunks[this.head];
    if (chunk.length > max) {
      this.chunks[this.head] = chunk.subarray(max);
      chunk = chunk.subarray(0, max);
    } else {
      this.chunks[this.head++] = EMPTY;
      if (this.head > 64 && this.head * 2 > this.chunks.length) {
        this.chunks.splice(0, this.head);
        this.head = 0;
      }
    }
    this.unread -= chunk.length;
    return chunk;
  }

  /** What is left of the last advertised window past RCV.NXT: how far the peer may send now. */
  remaining(rcvNxt: SeqNumber): number {
    return Math.max(0, seqDiff(this.edge, rcvNxt));
  }

  /** The window field for the next (non-SYN) segment; remembers the right edge it promises. */
  advertise(rcvNxt: SeqNumber): number {
    const unit = 2 ** this.shift;
    const remaining = this.remaining(rcvNxt);
    const chosen = this.choose(remaining);
    // Round a new window down, an old one up: the edge never moves left.
    const field = Math.min(MAX_WINDOW_FIELD, chosen > remaining ? Math.floor(chosen / unit) : Math.ceil(chosen / unit));
    const edge = seqAdd(rcvNxt, field * unit);
    if (seqGt(edge, this.edge)) this.edge = edge;
    this.lastField = field;
    const bytes = field * unit;
    if (this.smallest === undefined || bytes < this.smallest) this.smallest = bytes;
    return field;
  }

  /** After a read: is the larger window worth a segment of its own (the old one was small, or it doubles)? */
  updateDue(rcvNxt: SeqNumber): boolean {
    const unit = 2 ** this.shift;
    const remaining = this.remaining(rcvNxt);
    const chosen = this.choose(remaining);
    if (Math.floor(chosen / unit) <= Math.ceil(remaining / unit)) return false;
    return remaining < this.growthThreshold() || chosen >= 2 * remaining;
  }

  /** The window to offer: the room left, once it grew by enough; else what remains of the old one. */
  private choose(remaining: number): number {
    const room = Math.max(0, this.capacity - this.unread);
    if (room > remaining && (room - remaining >= this.growthThreshold() || room === this.capacity)) return room;
    return remaining;
  }

  private growthThreshold(): number {
    return Math.min(Math.floor(this.capacity / 2), this.mss);
  }
}
