// TCP sequence numbers (RFC 9293 section 3.4): 32-bit values compared modulo
// 2^32, so that a connection keeps working when its numbers wrap. Plain
// functions on numbers (smoltcp's SeqNumber, without a wrapper object), so
// that handling a segment allocates nothing for its arithmetic.

/** A sequence number: an unsigned 32-bit integer. */
export type SeqNumber = number;

/** a + n modulo 2^32 (n may be negative). */
export function seqAdd(a: SeqNumber, n: number): SeqNumber {
  return (a + n) >>> 0;
}

/** a - b as a signed 32-bit distance (positive when a is after b). */
export function seqDiff(a: SeqNumber, b: SeqNumber): number {
  return (a - b) | 0;
}

export const seqLt = (a: SeqNumber, b: SeqNumber): boolean => seqDiff(a, b) < 0;
export const seqLe = (a: SeqNumber, b: SeqNumber): boolean => seqDiff(a, b) <= 0;
export const seqGt = (a: SeqNumber, b: SeqNumber): boolean => seqDiff(a, b) > 0;
export const seqGe = (a: SeqNumber, b: SeqNumber): boolean => seqDiff(a, b) >= 0;

/** The later of two sequence numbers. */
export function seqMax(a: SeqNumber, b: SeqNumber): SeqNumber {
  return seqDiff(a, b) >= 0 ? a : b;
}

/** The earlier of two sequence numbers. */
export function seqMin(a: SeqNumber, b: SeqNumber): SeqNumber {
  return seqDiff(a, b) <= 0 ? a : b;
}

/** start <= seq < start + length, modulo 2^32. */
export function seqInRange(seq: SeqNumber, start: SeqNumber, length: number): boolean {
  const offset = seqDiff(seq, start);
  return offset >= 0 && offset < length;
}
