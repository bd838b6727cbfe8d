import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checksumAdd,
  checksumFinish,
  foldChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  updateChecksum,
  verifyChecksum,
} from '../src/wire/checksum.ts';
import { fromHex as hex } from './helpers/hex.ts';

/** The textbook definition, written as plainly as possible, as the oracle. */
function referenceChecksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) {
    sum += data[i] * 256 + (i + 1 < data.length ? data[i + 1] : 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return 0xffff - sum;
}


describe('internetChecksum', () => {
  it('matches the numeric example of RFC 1071 section 3', () => {
    // 00 01 f2 03 f4 f5 f6 f7: the sum is 2ddf0, folded ddf2, complement 220d.
    const data = hex('0001f203f4f5f6f7');
    expect(foldChecksum(checksumAdd(0, data))).toBe(0xddf2);
    expect(internetChecksum(data)).toBe(0x220d);
  });

  it('checksums a real IPv4 header to the value it carries', () => {
    // iputils ping 10.0.0.1 -> 10.0.0.2, header checksum 0x415c in place.
    const header = hex('45000054 e54a4000 4001 415c 0a000001 0a000002');
    expect(verifyChecksum(header)).toBe(true);
    const zeroed = header.slice();
    zeroed[10] = 0;
    zeroed[11] = 0;
    expect(internetChecksum(zeroed)).toBe(0x415c);
    expect(verifyChecksum(zeroed)).toBe(false);
  });

  it('pads an odd final byte with zero on the right', () => {
    expect(internetChecksum(hex('01'))).toBe(0xfeff);
    expect(internetChecksum(hex('0001f2'))).toBe(~(0x0001 + 0xf200) & 0xffff);
  });

  it('gives 0xffff for empty and all-zero data', () => {
    expect(internetChecksum(new Uint8Array(0))).toBe(0xffff);
    expect(internetChecksum(new Uint8Array(1500))).toBe(0xffff);
  });

  it('agrees with the reference at every length and memory alignment', () => {
    const backing = new Uint8Array(4096 + 16);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 7919 + 13) & 0xff;
    for (let offset = 0; offset < 8; offset++) {
      for (const length of [0, 1, 2, 3, 5, 19, 20, 63, 64, 127, 128, 129, 130, 131, 1499, 1500, 4096]) {
        const view = backing.subarray(offset, offset + length);
        expect(internetChecksum(view), `offset ${offset} length ${length}`).toBe(referenceChecksum(view));
      }
    }
  });

  it('agrees with the reference on random data (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(7), (bytes, shift) => {
        const backing = new Uint8Array(bytes.length + shift);
        backing.set(bytes, shift);
        return internetChecksum(backing.subarray(shift)) === referenceChecksum(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('composes pieces of any length without concatenating (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (pieces) => {
        const whole = Uint8Array.from(pieces.flatMap((p) => [...p]));
        return internetChecksum(...pieces) === referenceChecksum(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('chains even-length partial sums with checksumAdd', () => {
    const pseudo = hex('0a0000010a000002 0006 0014');
    const header = hex('a0a4 1f90 00000001 00000000 5002 faf0 0000 0000');
    const chained = checksumFinish(checksumAdd(checksumAdd(0, pseudo), header));
    expect(chained).toBe(referenceChecksum(Uint8Array.from([...pseudo, ...header])));
  });
});

describe('foldChecksum', () => {
  it('reduces any sum below 2^53 to its ones-complement residue (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 53n - 1n }), (big) => {
        const folded = foldChecksum(Number(big));
        const residue = Number(big % 0xffffn);
        return folded === (residue === 0 ? 0xffff : residue);
      }),
      { numRuns: 2000 },
    );
    expect(foldChecksum(0)).toBe(0);
    expect(foldChecksum(2 ** 53 - 1)).toBe(Number((2n ** 53n - 1n) % 0xffffn));
  });
});

describe('pseudo-header sums', () => {
  it('equal the checksum sum of the literal IPv4 pseudo-header', () => {
    const src = hex('0a000001');
    const dst = hex('0a000002');
    const literal = hex('0a000001 0a000002 00 06 05dc');
    expect(foldChecksum(ipv4PseudoHeaderSum(src, dst, 6, 1500))).toBe(foldChecksum(checksumAdd(0, literal)));
  });

  it('equal the checksum sum of the literal IPv6 pseudo-header', () => {
    const src = hex('fe800000000000000000000000000001');
    const dst = hex('fe800000000000000000000000000002');
    const literal = hex('fe800000000000000000000000000001 fe800000000000000000000000000002 00012345 000000 06');
    expect(foldChecksum(ipv6PseudoHeaderSum(src, dst, 6, 0x12345))).toBe(foldChecksum(checksumAdd(0, literal)));
  });
});

describe('updateChecksum (RFC 1624)', () => {
  it('reproduces the example of RFC 1624 section 5', () => {
    // m = 0x5555 -> m' = 0x3285 with the rest summing to 0xCD7A: HC = 0xDD2F, HC' = 0x0000.
    expect(updateChecksum(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('matches a full recomputation after changing one word (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 200 }), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (bytes, at, word) => {
        const data = bytes.length % 2 ? Uint8Array.from([...bytes, 0]) : bytes.slice();
        const index = (at % (data.length / 2)) * 2;
        const before = internetChecksum(data);
        const oldWord = (data[index] << 8) | data[index + 1];
        data[index] = word >> 8;
        data[index + 1] = word & 0xff;
        const after = internetChecksum(data);
        const updated = updateChecksum(before, oldWord, word);
        // Ones' complement has two zeros; both are the same checksum value.
        return updated === after || (updated ^ after) === 0xffff && (updated === 0 || after === 0);
      }),
      { numRuns: 1000 },
    );
  });
});
