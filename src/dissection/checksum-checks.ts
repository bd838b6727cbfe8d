// Verdicts on stored checksums: right, wrong (and what it should be), or
// not checkable because the bytes it covers were not all captured. The
// offload trap gets its own flag: a sender whose NIC computes TCP/UDP
// checksums (CHECKSUM_PARTIAL) hands the packet to the capture with only the
// pseudo-header sum in the field, so a capture on that host shows a "wrong"
// checksum that is right on the wire.
import { checksumAdd, checksumFinish, foldChecksum } from '../wire/checksum.ts';
import type { ChecksumCheck } from './packet-model.ts';

export interface ChecksumScope {
  /** Sum of the pseudo-header (TCP, UDP); none for the IPv4 header and ICMP. */
  readonly pseudoHeaderSum?: number;
  /** False when some covered bytes are missing: the verdict is then 'unverified' with `reason`. */
  readonly complete?: boolean;
  readonly reason?: string;
  /** UDP: 0 means "no checksum", and a computed 0 is sent as 0xffff. */
  readonly udp?: boolean;
  /** A codec already verified the checksum right over the same bytes: no need to sum them again. */
  readonly knownValid?: boolean;
}

/**
 * Checks the RFC 1071 checksum stored at `bytes[checksumOffset]` (an
 * absolute index) over bytes[start, end) plus the scope's pseudo-header sum.
 * Takes a range rather than a subarray: a view per packet costs more than
 * the check itself on small packets.
 */
export function checkChecksum(bytes: Uint8Array, start: number, end: number, checksumOffset: number, scope: ChecksumScope = {}): ChecksumCheck {
  const stored = (bytes[checksumOffset] << 8) | bytes[checksumOffset + 1];
  const udp = scope.udp === true;
  if (udp && stored === 0) return { stored, status: 'not-present' };
  if (scope.complete === false) return { stored, status: 'unverified', reason: scope.reason ?? 'the packet is cut short' };
  if (scope.knownValid === true) return { stored, status: 'correct', expected: stored };
  const pseudoHeaderSum = scope.pseudoHeaderSum;
  // Sums are exact integers, so taking the stored word back out equals summing with the field as 0.
  const sumWithoutField = checksumAdd(pseudoHeaderSum ?? 0, bytes, start, end) - stored;
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
