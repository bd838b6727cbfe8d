// RFC 1071 Internet checksum, with partial sums that compose (pseudo-header +
// header + payload without concatenating) and the RFC 1624 incremental update.
//
// Sums are kept as plain JS numbers and folded only at the end: a float64 holds
// integers exactly up to 2^53, so even a 4 GiB buffer of 32-bit words cannot
// overflow the accumulator. Folding late is what makes the large-buffer path fast.

/** Below this length a 16-bit big-endian loop beats setting up a 32-bit view. */
const WIDE_PATH_MIN = 128;

/** Host byte order decides how a Uint32Array view reads the wire bytes. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Folds a running sum to 16 bits (end-around carry), without complementing. */
export function foldChecksum(sum: number): number {
  // sum is a non-negative integer below 2^53. `>>> 0` takes it modulo 2^32
  // exactly, and 2^16 = 1 (mod 0xffff), so the 16-bit pieces simply add up.
  if (sum > 0xffffffff) {
    const high = (sum / 0x100000000) >>> 0;
    const low = sum >>> 0;
    sum = (low >>> 16) + (low & 0xffff) + (high >>> 16) + (high & 0xffff);
  } else {
    sum = (sum >>> 16) + (sum & 0xffff);
  }
  sum = (sum >>> 16) + (sum & 0xffff);
  return (sum >>> 16) + (sum & 0xffff);
}

// Creating a typed-array view costs as much as summing a few hundred bytes, so
// the view of the last (pooled or reused) backing buffer is kept. Only modest
// buffers are kept, so a large one is never held alive by the cache.
const VIEW_CACHE_MAX_BYTES = 1 << 20;
let cachedBuffer: ArrayBufferLike | undefined;
let cachedView: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

function wordView(buffer: ArrayBufferLike): Uint32Array {
  if (buffer === cachedBuffer && cachedView.length === buffer.byteLength >>> 2) return cachedView;
  const view = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  if (buffer.byteLength <= VIEW_CACHE_MAX_BYTES) {
    cachedBuffer = buffer;
    cachedView = view;
  }
  return view;
}

function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >>> 8);
}

/**
 * Sum of the 16-bit big-endian words of data[start, end), as if data[start]
 * were at an even offset of the packet. An odd final byte is padded with zero
 * on the right (RFC 1071 section 4.1). The result is unfolded.
 */
function sumRange(data: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length < WIDE_PATH_MIN) {
    let sum = 0;
    let other = 0;
    let i = start;
    const unrolledEnd = end - 7;
    for (; i < unrolledEnd; i += 8) {
      sum += ((data[i] << 8) | data[i + 1]) + ((data[i + 2] << 8) | data[i + 3]);
      other += ((data[i + 4] << 8) | data[i + 5]) + ((data[i + 6] << 8) | data[i + 7]);
    }
    const evenEnd = start + (length & ~1);
    for (; i < evenEnd; i += 2) sum += (data[i] << 8) | data[i + 1];
    if (i < end) sum += data[i] << 8;
    return sum + other;
  }
  // Wide path: align to 4 bytes in memory, then add 32-bit words into two
  // float64 accumulators.
  const head = (4 - ((data.byteOffset + start) & 3)) & 3;
  let sum = 0;
  // Leading bytes, treated as big-endian words at packet offsets 0..head-1.
  for (let k = 0; k < head; k++) sum += k & 1 ? data[start + k] : data[start + k] << 8;
  const wordStart = start + head;
  const words = (end - wordStart) >>> 2;
  const view = wordView(data.buffer);
  let a = 0;
  let b = 0;
  let w = (data.byteOffset + wordStart) >>> 2;
  const last = w + words;
  // Eight words a turn into two chains, paired so each addition has an
  // independent partner: this is what gets past the native C loop.
  const unrolledEnd = last - 7;
  for (; w < unrolledEnd; w += 8) {
    a += view[w] + view[w + 1] + (view[w + 2] + view[w + 3]);
    b += view[w + 4] + view[w + 5] + (view[w + 6] + view[w + 7]);
  }
  for (; w < last; w++) a += view[w];
  // A 32-bit word sum folded to 16 bits equals the sum of its 16-bit halves,
  // read in host byte order. On a little-endian host those halves are
  // byte-swapped relative to the wire; starting at an odd packet offset
  // (head odd) swaps them once more.
  let wide = foldChecksum(a + b);
  if (HOST_LITTLE_ENDIAN !== ((head & 1) === 1)) wide = swap16(wide);
  sum += wide;
  // Trailing bytes, continuing the packet's word alignment.
  const tailStart = wordStart + words * 4;
  for (let i = tailStart; i < end; i++) sum += (i - start) & 1 ? data[i] : data[i] << 8;
  return sum;
}

/**
 * Adds data[start, end) to a running ones'-complement sum (unfolded). Chain
 * calls to checksum discontiguous pieces; every piece but the last must have
 * an even length, as a pseudo-header and a header always do. `internetChecksum`
 * accepts pieces of any length.
 */
export function checksumAdd(sum: number, data: Uint8Array, start = 0, end = data.length): number {
  return sum + sumRange(data, start, end);
}

/** Folds and complements a running sum into the 16-bit checksum field value. */
export function checksumFinish(sum: number): number {
  return ~foldChecksum(sum) & 0xffff;
}

/**
 * The RFC 1071 Internet checksum of the concatenation of `pieces`, computed
 * without concatenating them. Pieces may have odd lengths: a piece that starts
 * at an odd offset of the whole is summed byte-swapped (RFC 1071 section 2(B)).
 */
export function internetChecksum(...pieces: Uint8Array[]): number {
  let sum = 0;
  let odd = false;
  for (const piece of pieces) {
    const partial = sumRange(piece, 0, piece.length);
    sum += odd ? swap16(foldChecksum(partial)) : partial;
    if (piece.length & 1) odd = !odd;
  }
  return checksumFinish(sum);
}

/**
 * True when data (with its checksum field left in place) sums to 0xffff,
 * that is, the stored checksum is right. `initialSum` carries a pseudo-header.
 */
export function verifyChecksum(data: Uint8Array, initialSum = 0): boolean {
  return foldChecksum(initialSum + sumRange(data, 0, data.length)) === 0xffff;
}

/**
 * RFC 1624 incremental update (equation 3): the new checksum after one 16-bit
 * word of the covered data changes from `oldWord` to `newWord`, without
 * re-reading the packet. HC' = ~(~HC + ~m + m').
 */
export function updateChecksum(oldChecksum: number, oldWord: number, newWord: number): number {
  const sum = (~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldChecksum(sum) & 0xffff;
}

/**
 * The 16-bit big-endian word RFC 1071 adds at data[index]; a lone last byte
 * before `end` is padded with zero on the right (section 4.1). For code that
 * shows the sum word by word (a checksum walkthrough).
 */
export function checksumWord(data: Uint8Array, index: number, end = data.length): number {
  return index + 1 < end ? (data[index] << 8) | data[index + 1] : data[index] << 8;
}

/**
 * correct / incorrect: verified. unverified: the bytes it covers are not all
 * in the capture (snaplen, a short quote). not-present: UDP's checksum 0.
 */
export type ChecksumStatus = 'correct' | 'incorrect' | 'unverified' | 'not-present';

/**
 * The verdict on a stored checksum, the one type dissection, rendering and
 * the TCP engine report. The offload trap gets its own flag: a sender whose
 * NIC computes TCP/UDP checksums (CHECKSUM_PARTIAL) hands the packet to a
 * capture or a raw socket on that host with only the pseudo-header sum in the
 * field, so it looks wrong there and is right on the wire.
 */
export interface ChecksumVerdict {
  /** The value in the packet. */
  readonly stored: number;
  readonly status: ChecksumStatus;
  /** What the field should hold; set when verified. */
  readonly expected?: number;
  /**
   * The stored value is the pseudo-header sum alone (folded, not
   * complemented): on the wire, after the NIC, it is right.
   */
  readonly offloadPartialSum?: boolean;
  /** Why it could not be verified, or (with zeroIllegal) why it is wrong. */
  readonly reason?: string;
  /** UDP over IPv6 with 0 stored: "no checksum" is not allowed there (RFC 8200 8.1); the status is 'incorrect'. */
  readonly zeroIllegal?: boolean;
}

export interface ChecksumScope {
  /** Sum of the pseudo-header (TCP, UDP); none for the IPv4 header and ICMP. */
  readonly pseudoHeaderSum?: number;
  /** False when some covered bytes are missing: the verdict is then 'unverified' with `reason`. */
  readonly complete?: boolean;
  readonly reason?: string;
  /** UDP: 0 means "no checksum", and a computed 0 is sent as 0xffff. */
  readonly udp?: boolean;
  /** UDP over IPv6: a stored 0 is illegal (RFC 8200 8.1), not "no checksum". */
  readonly ipv6?: boolean;
  /** A codec already verified the checksum right over the same bytes: no need to sum them again. */
  readonly knownValid?: boolean;
}

/**
 * Checks the checksum stored at `data[checksumAt]` (an absolute index) over
 * data[start, end) plus the scope's pseudo-header sum. Takes a range rather
 * than a subarray: a subarray per packet costs more than the check itself on
 * small packets. The views' `checksumVerdict` methods call this with their
 * field's index.
 */
export function checkChecksum(data: Uint8Array, start: number, end: number, checksumAt: number, scope: ChecksumScope = {}): ChecksumVerdict {
  const stored = checksumWord(data, checksumAt);
  const udp = scope.udp === true;
  if (udp && stored === 0) {
    if (scope.ipv6 !== true) return { stored, status: 'not-present' };
    if (scope.complete === false) return { stored, status: 'incorrect', zeroIllegal: true, reason: 'a zero UDP checksum is illegal over IPv6' };
    let expected = checksumFinish(sumRange(data, start, end) + (scope.pseudoHeaderSum ?? 0));
    if (expected === 0) expected = 0xffff;
    return { stored, status: 'incorrect', expected, zeroIllegal: true, reason: 'a zero UDP checksum is illegal over IPv6' };
  }
  if (scope.complete === false) return { stored, status: 'unverified', reason: scope.reason ?? 'the packet is cut short' };
  if (scope.knownValid === true) return { stored, status: 'correct', expected: stored };
  const pseudoHeaderSum = scope.pseudoHeaderSum;
  // Sums are exact integers, so taking the stored word back out equals summing with the field as 0.
  const sumWithoutField = sumRange(data, start, end) + (pseudoHeaderSum ?? 0) - stored;
  let expected = checksumFinish(sumWithoutField);
  if (udp && expected === 0) expected = 0xffff;
  if (expected === stored || (!udp && foldChecksum(sumWithoutField + stored) === 0xffff)) {
    // Also right: 0x0000 and 0xffff are the same number in ones' complement.
    return { stored, status: 'correct', expected: stored };
  }
  if (pseudoHeaderSum !== undefined && stored === foldChecksum(pseudoHeaderSum)) {
    return { stored, status: 'incorrect', expected, offloadPartialSum: true };
  }
  return { stored, status: 'incorrect', expected };
}

/**
 * Sum of the IPv4 pseudo-header (RFC 9293 section 3.1): source, destination,
 * zero, protocol, upper-layer length. The addresses are the 4 bytes at
 * `source[sourceAt]` and `destination[destinationAt]`, so a view can sum
 * them where they lie in a received header. The one pseudo-header helper for
 * TCP, UDP and checksum walkthroughs over IPv4.
 */
export function ipv4PseudoHeaderSum(
  source: Uint8Array,
  destination: Uint8Array,
  protocol: number,
  length: number,
  sourceAt = 0,
  destinationAt = 0,
): number {
  const s = sourceAt;
  const d = destinationAt;
  return (
    ((source[s] << 8) | source[s + 1]) +
    ((source[s + 2] << 8) | source[s + 3]) +
    ((destination[d] << 8) | destination[d + 1]) +
    ((destination[d + 2] << 8) | destination[d + 3]) +
    (protocol & 0xff) +
    (length & 0xffff)
  );
}

/**
 * Sum of the IPv6 pseudo-header (RFC 8200 section 8.1): 16-byte source and
 * destination, 32-bit upper-layer length, next header. The addresses are
 * the 16 bytes at `source[sourceAt]` and `destination[destinationAt]`, so a
 * view can sum them where they lie.
 */
export function ipv6PseudoHeaderSum(
  source: Uint8Array,
  destination: Uint8Array,
  nextHeader: number,
  length: number,
  sourceAt = 0,
  destinationAt = 0,
): number {
  let sum = 0;
  for (let i = 0; i < 16; i += 2) {
    sum += (source[sourceAt + i] << 8) | source[sourceAt + i + 1];
    sum += (destination[destinationAt + i] << 8) | destination[destinationAt + i + 1];
  }
  return sum + Math.floor(length / 0x10000) + (length & 0xffff) + (nextHeader & 0xff);
}

/** A received TCP/UDP checksum in the tools' words (their events, trace lines and --json). */
export type ReceivedChecksum = 'valid' | 'offloaded' | 'bad';

/**
 * The verdict in those words: right; wrong in the capture but right on the
 * wire, because the sender left it for the NIC (offloadPartialSum); wrong.
 */
export function receivedChecksum(verdict: ChecksumVerdict): ReceivedChecksum {
  if (verdict.status !== 'incorrect') return 'valid';
  return verdict.offloadPartialSum ? 'offloaded' : 'bad';
}
