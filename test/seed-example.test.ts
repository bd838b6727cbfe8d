import { describe, expect, it } from 'vitest';
import { seedEchoRequest, seedHelloAsPayload, seedHelloAsQuads } from '../src/examples/seed-icmp.ts';
import { parseIcmp } from '../src/wire/icmp.ts';
import { verifyChecksum } from '../src/wire/checksum.ts';
import { toHex as hex } from './helpers/hex.ts';


describe("the seed blog post's ICMP examples, rewritten", () => {
  it('builds the bare echo request with a correct checksum', () => {
    const packet = seedEchoRequest(0x6679);
    // 08 00 | ~(0x0800 + 0x6679 + 0x0001) = 0x9185 | 66 79 | 00 01
    expect(hex(packet)).toBe('0800918566790001');
    expect(verifyChecksum(packet)).toBe(true);
  });

  it("puts 3 zero bytes before 'Hello' and 1 before ' world!' when packed as two Q fields", () => {
    const packet = seedHelloAsQuads(0x6679);
    expect(hex(packet.subarray(8))).toBe('00000048656c6c6f' + '0020776f726c6421');
    expect(verifyChecksum(packet)).toBe(true);
  });

  it('appends the same text as a plain payload with no zero bytes', () => {
    const packet = seedHelloAsPayload(0x6679);
    const icmp = parseIcmp(packet);
    expect(icmp.ok && icmp.value.checksumValid).toBe(true);
    expect(Buffer.from(packet.subarray(8)).toString()).toBe('Hello world!');
  });
});
