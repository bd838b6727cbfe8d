// What the peer told us it holds beyond SND.UNA (RFC 2018 SACK blocks), as
// sorted, disjoint sequence ranges: the sender's scoreboard (RFC 6675 2).
// Data in a SACKed range is never retransmitted.
import { seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin, type SeqNumber } from '../../wire/tcp-sequence.ts';
import type { TcpSackBlock } from '../../wire/tcp.ts';

interface Range {
  left: SeqNumber;
  right: SeqNumber;
}

/** More ranges than this are not worth tracking: the oldest information is dropped. */
const MAX_RANGES = 64;

export class SackScoreboard {
  private ranges: Range[] = [];

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** The right edge of the highest SACKed range (RFC 6675's HighACK side), if any. */
  get highestSacked(): SeqNumber | undefined {
    return this.ranges.length === 0 ? undefined : this.ranges[this.ranges.length - 1].right;
  }

  /**
   * Adds the blocks of one ACK that lie within (sndUna, sndMax]; others
   * (D-SACK, stale or bogus blocks) are ignored. Returns the bytes newly SACKed.
   */
  add(blocks: readonly TcpSackBlock[], sndUna: SeqNumber, sndMax: SeqNumber): number {
    let added = 0;
    for (const block of blocks) {
      const left = seqMax(block.left >>> 0, sndUna);
      const right = seqMin(block.right >>> 0, sndMax);
      if (!seqLt(left, right)) continue;
      const before = this.sackedBetween(left, right);
      this.insert(left, right);
      added += seqDiff(right, left) - before;
    }
    return added;
  }

  /** SND.UNA moved to `ack`: forget what is now cumulatively acknowledged. */
  ackTo(ack: SeqNumber): void {
    let drop = 0;
    while (drop < this.ranges.length && seqLe(this.ranges[drop].right, ack)) drop++;
    if (drop > 0) this.ranges.splice(0, drop);
    if (this.ranges.length > 0 && seqLt(this.ranges[0].left, ack)) this.ranges[0].left = ack;
  }

  clear(): void {
    this.ranges = [];
  }

  /** Bytes SACKed within [from, to). */
  sackedBetween(from: SeqNumber, to: SeqNumber): number {
    let total = 0;
    for (const r of this.ranges) {
      const left = seqMax(r.left, from);
      const right = seqMin(r.right, to);
      if (seqLt(left, right)) total += seqDiff(right, left);
    }
    return total;
  }

  /** If `seq` is inside a SACKed range, that range's right edge; else `seq`. */
  skipSacked(seq: SeqNumber): SeqNumber {
    for (const r of this.ranges) if (seqGe(seq, r.left) && seqLt(seq, r.right)) return r.right;
    return seq;
  }

  /** The left edge of the first SACKed range after `seq`, or undefined. */
  nextSackedAfter(seq: SeqNumber): SeqNumber | undefined {
    for (const r of this.ranges) if (seqGt(r.left, seq)) return r.left;
    return undefined;
  }

  /** The ranges, for tests and traces. */
  blocks(): TcpSackBlock[] {
    return this.ranges.map((r) => ({ left: r.left, right: r.right }));
  }

  private insert(left: SeqNumber, right: SeqNumber): void {
    const merged: Range = { left, right };
    const kept: Range[] = [];
    let placed = false;
    for (const r of this.ranges) {
      if (seqLt(r.right, merged.left)) kept.push(r);
      else if (seqGt(r.left, merged.right)) {
        if (!placed) {
          kept.push(merged);
          placed = true;
        }
        kept.push(r);
      } else {
        merged.left = seqMin(merged.left, r.left);
        merged.right = seqMax(merged.right, r.right);
      }
    }
    if (!placed) kept.push(merged);
    this.ranges = kept.length > MAX_RANGES ? kept.slice(kept.length - MAX_RANGES) : kept;
  }
}
