// Receive-side reassembly: puts the peer's segments back in order, holds
// what arrived early (copied, so receive buffers can be reused) and says
// which SACK blocks (RFC 2018) describe it.
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, type SeqNumber } from '../../wire/tcp-sequence.ts';
import type { TcpSackBlock } from '../../wire/tcp.ts';

export type PushKind = 'in-order' | 'out-of-order' | 'duplicate' | 'out-of-window';

export interface PushResult {
  readonly kind: PushKind;
  /** Bytes now in order, in order. */
  readonly delivered: Uint8Array[];
  /** The peer's FIN is now in order (consumed one sequence number). */
  readonly finReached: boolean;
}

interface Held {
  start: number;
  data: Uint8Array;
  fin: boolean;
}

/**
 * Puts received segments back in order. `nextSeq` is RCV.NXT; segments
 * within `window` bytes of it are accepted, the rest dropped. Out-of-order
 * data is copied and held; anything already received is a duplicate.
 */
export class Reassembler {
  private next: SeqNumber;
  private finSeen = false;
  private held: Held[] = [];
  private lastHeld: Held | undefined;

  constructor(
    initialSeq: SeqNumber,
    /** The window when push() is not given one. */
    private readonly defaultWindow: number,
  ) {
    this.next = initialSeq >>> 0;
  }

  /** RCV.NXT: the next sequence number expected (past the FIN once it is in order). */
  get nextSeq(): SeqNumber {
    return this.next;
  }

  /** The peer's FIN is in order: nothing more will be accepted. */
  get finReceived(): boolean {
    return this.finSeen;
  }

  get heldBytes(): number {
    let total = 0;
    for (const h of this.held) total += h.data.length;
    return total;
  }

  /**
   * Takes a segment's text (and FIN). `window` is how far past RCV.NXT the
   * peer may send now (what we last advertised); a bare FIN at RCV.NXT is
   * taken even into a zero window, as Linux does, so a closing peer is not
   * held up by a slow reader.
   */
  push(seq: SeqNumber, data: Uint8Array, fin: boolean, window: number = this.defaultWindow): PushResult {
    const delivered: Uint8Array[] = [];
    if (this.finSeen) return { kind: 'duplicate', delivered, finReached: false };
    let start = seq >>> 0;
    let bytes = data;
    // Trim what we already have.
    const behind = seqDiff(this.next, start);
    if (behind > 0) {
      if (behind > bytes.length || (behind === bytes.length && !fin)) return { kind: 'duplicate', delivered, finReached: false };
      bytes = bytes.subarray(behind);
      start = this.next;
    }
    // Trim what is past the window (a FIN past it is dropped with it).
    const ahead = seqDiff(start, this.next);
    const bareFinAtEdge = ahead === 0 && bytes.length === 0 && fin;
    if (ahead >= window && !bareFinAtEdge) return { kind: 'out-of-window', delivered, finReached: false };
    if (ahead + bytes.length > window) {
      bytes = bytes.subarray(0, Math.max(0, window - ahead));
      fin = false;
    }
    if (ahead > 0) {
      if (this.covered(start, bytes.length, fin)) return { kind: 'duplicate', delivered, finReached: false };
      const held: Held = { start, data: Uint8Array.from(bytes), fin };
      let at = this.held.findIndex((h) => seqGt(h.start, start));
      if (at < 0) at = this.held.length;
      this.held.splice(at, 0, held);
      this.lastHeld = held;
      return { kind: 'out-of-order', delivered, finReached: false };
    }
    const kind: PushKind = 'in-order';
    let finReached = this.take(bytes, fin, delivered, true);
    // Release what the gap was holding back.
    while (!finReached && this.held.length > 0 && seqLe(this.held[0].start, this.next)) {
      const next = this.held.shift()!;
      if (next === this.lastHeld) this.lastHeld = undefined;
      const overlap = seqDiff(this.next, next.start);
      if (overlap > next.data.length || (overlap === next.data.length && !next.fin)) continue;
      finReached = this.take(next.data.subarray(overlap), next.fin, delivered, false);
    }
    if (finReached) this.held = [];
    return { kind, delivered, finReached };
  }

  /** Up to `max` SACK blocks for held data, the most recently received block first (RFC 2018). */
  sackBlocks(max: number): TcpSackBlock[] {
    const blocks: Array<TcpSackBlock & { recent: boolean }> = [];
    for (const h of this.held) {
      const end = seqAdd(h.start, h.data.length);
      const last = blocks[blocks.length - 1];
      if (last && seqGe(last.right, h.start)) {
        if (seqGt(end, last.right)) last.right = end;
        last.recent ||= h === this.lastHeld;
      } else if (h.data.length > 0) {
        blocks.push({ left: h.start, right: end, recent: h === this.lastHeld });
      }
    }
    blocks.sort((a, b) => Number(b.recent) - Number(a.recent));
    return blocks.slice(0, max).map(({ left, right }) => ({ left, right }));
  }

  private take(bytes: Uint8Array, fin: boolean, delivered: Uint8Array[], copy: boolean): boolean {
    if (bytes.length > 0) {
      delivered.push(copy ? Uint8Array.from(bytes) : bytes);
      this.next = seqAdd(this.next, bytes.length);
    }
    if (fin) {
      this.next = seqAdd(this.next, 1);
      this.finSeen = true;
      return true;
    }
    return false;
  }

  private covered(start: number, length: number, fin: boolean): boolean {
    const end = seqAdd(start, length);
    return this.held.some(
      (h) => seqLe(h.start, start) && seqGe(seqAdd(h.start, h.data.length), end) && (!fin || h.fin || seqGt(seqAdd(h.start, h.data.length), end)),
    );
  }
}
