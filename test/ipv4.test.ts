import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildIpv4,
  emitIpv4Into,
  ipv4FlagsValue,
  ipv4HeaderLength,
  IpProtocol,
  parseIpv4,
  type Ipv4HeaderInit,
  type Ipv4Packet,
} from '../src/wire/ipv4.ts';
import { unwrap } from '../src/wire/parse-result.ts';
import { fromHex as hex, toHex } from './helpers/hex.ts';


// Packets as Linux puts them on the wire (checksums cross-checked with scapy).
const IPUTILS_DATA =
  '00f1536500000000 40e2010000000000 101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637';

/** iputils ping 192.168.1.23 -> 198.51.100.1: DF set (Linux PMTU discovery), TTL 64. */
const ECHO_REQUEST = hex(`4500 0054 3f2a 4000 4001 0f8b c0a80117 c6336401  0800 97d5 0b1e 0001 ${IPUTILS_DATA}`);

/** The reply: identification 0, no DF, TTL 57 after seven hops. */
const ECHO_REPLY = hex(`4500 0054 0000 0000 3901 95b5 c6336401 c0a80117  0000 9fd5 0b1e 0001 ${IPUTILS_DATA}`);

/** ping -R 192.168.1.1: IHL 15, options NOP + Record Route (len 39, pointer 4, nine empty slots). */
const RECORD_ROUTE = hex(
  `4f00 007c 1c46 4000 4001 68c7 c0a80117 c0a80101
   01072704 000000000000000000000000000000000000000000000000000000000000000000000000
   0800 97d4 0b1f 0001 ${IPUTILS_DATA}`,
);

/** A bare TCP ACK (40 bytes) in a minimum Ethernet frame: 6 bytes of padding follow total length. */
const ACK_WITH_ETHERNET_PADDING = hex(
  `4500 0028 8f3d 4000 4006 656b 0a000005 cb007122
   be5c 01bb 5c1f2d9b 2b7e0c52 5010 01f6 e614 0000
   000000000000`,
);

/** ICMP time exceeded from a Linux router: TOS 0xc0 (DSCP CS6 for network control). */
const TIME_EXCEEDED = hex(
  `45c0 0070 8c41 0000 4001 6a23 c0a80101 c0a80117
   0b00 f4ff 00000000
   4500 0054 3f2b 4000 0101 4e8a c0a80117 c6336401 0800 97d4 0b1e 0002 ${IPUTILS_DATA}`,
);

const CAPTURED: Record<string, Uint8Array> = {
  ECHO_REQUEST,
  ECHO_REPLY,
  RECORD_ROUTE,
  ACK_WITH_ETHERNET_PADDING,
  TIME_EXCEEDED,
};

const address = fc.uint8Array({ minLength: 4, maxLength: 4 });

describe('parseIpv4 on captured packets', () => {
  it('reads every field of an iputils echo request', () => {
    const p = unwrap(parseIpv4(ECHO_REQUEST));
    expect(p).toMatchObject({
      version: 4,
      ihl: 5,
      dscp: 0,
      ecn: 0,
      totalLength: 84,
      identification: 0x3f2a,
      flags: { reserved: false, dontFragment: true, moreFragments: false },
      fragmentOffset: 0,
      ttl: 64,
      protocol: IpProtocol.ICMP,
      checksum: 0x0f8b,
      source: '192.168.1.23',
      destination: '198.51.100.1',
      checksumValid: true,
      missingLength: 0,
    });
    expect(p.options.length).toBe(0);
    expect(p.payload.length).toBe(64);
    expect(p.payload[0]).toBe(8);
    expect(p.trailer.length).toBe(0);
  });

  it('reads the reply, TOS and options', () => {
    const reply = unwrap(parseIpv4(ECHO_REPLY));
    expect(reply.flags.dontFragment).toBe(false);
    expect(reply.ttl).toBe(57);
    expect(reply.checksumValid).toBe(true);

    const te = unwrap(parseIpv4(TIME_EXCEEDED));
    expect([te.dscp, te.ecn]).toEqual([48, 0]);
    expect(te.checksumValid).toBe(true);

    const rr = unwrap(parseIpv4(RECORD_ROUTE));
    expect(rr.ihl).toBe(15);
    expect(rr.options.length).toBe(40);
    expect(toHex(rr.options.subarray(0, 4))).toBe('01072704');
    expect(rr.checksumValid).toBe(true);
    expect(rr.payload.length).toBe(64);
  });

  it('bounds the payload by total length and keeps Ethernet padding as the trailer', () => {
    const p = unwrap(parseIpv4(ACK_WITH_ETHERNET_PADDING));
    expect(p.totalLength).toBe(40);
    expect(p.payload.length).toBe(20);
    expect(toHex(p.trailer)).toBe('000000000000');
    expect(p.checksumValid).toBe(true);
  });

  it('returns views into the input, not copies', () => {
    const p = unwrap(parseIpv4(ECHO_REQUEST));
    expect(p.payload.buffer).toBe(ECHO_REQUEST.buffer);
    expect(p.payload.byteOffset).toBe(ECHO_REQUEST.byteOffset + 20);
  });

  for (const [name, bytes] of Object.entries(CAPTURED)) {
    it(`re-encodes ${name} byte for byte from its parsed fields`, () => {
      const p = unwrap(parseIpv4(bytes));
      expect(toHex(buildIpv4(p, p.payload))).toBe(toHex(bytes));
    });

    it(`rebuilds ${name} from fields alone, with lengths and checksum computed`, () => {
      const p = unwrap(parseIpv4(bytes));
      const init: Ipv4HeaderInit = {
        dscp: p.dscp,
        ecn: p.ecn,
        identification: p.identification,
        flags: p.flags,
        fragmentOffset: p.fragmentOffset,
        ttl: p.ttl,
        protocol: p.protocol,
        source: p.source,
        destination: p.destination,
        options: p.options,
        trailer: p.trailer,
      };
      expect(toHex(buildIpv4(init, p.payload))).toBe(toHex(bytes));
    });

    it(`returns a typed error for every proper prefix of ${name} and never throws`, () => {
      const p = unwrap(parseIpv4(bytes));
      for (let n = 0; n < p.totalLength; n++) {
        const r = parseIpv4(bytes.subarray(0, n));
        expect(r.ok, `prefix ${n}`).toBe(false);
        if (!r.ok) {
          expect(r.error.kind).toBe('truncated');
          expect(r.error.layer).toBe('ipv4');
        }
      }
    });
  }
});

describe('buildIpv4', () => {
  it('builds the captured echo request from a scapy-style minimal description', () => {
    const icmp = ECHO_REQUEST.subarray(20);
    const built = buildIpv4(
      { identification: 0x3f2a, flags: { dontFragment: true }, protocol: IpProtocol.ICMP, source: '192.168.1.23', destination: '198.51.100.1' },
      icmp,
    );
    expect(toHex(built)).toBe(toHex(ECHO_REQUEST));
  });

  it('accepts addresses as bytes and flags as the 3-bit number', () => {
    const built = buildIpv4(
      {
        identification: 0x3f2a,
        flags: 0b010,
        protocol: 1,
        source: Uint8Array.of(192, 168, 1, 23),
        destination: Uint8Array.of(198, 51, 100, 1),
      },
      ECHO_REQUEST.subarray(20),
    );
    expect(toHex(built)).toBe(toHex(ECHO_REQUEST));
  });

  it('writes a caller-given wrong checksum, and the parser flags it', () => {
    const built = buildIpv4({ protocol: 6, source: '10.0.0.1', destination: '10.0.0.2', checksum: 0xdead });
    expect(toHex(built.subarray(10, 12))).toBe('dead');
    const p = unwrap(parseIpv4(built));
    expect(p.checksum).toBe(0xdead);
    expect(p.checksumValid).toBe(false);
  });

  it('flags a single flipped bit in a captured header', () => {
    const bad = ECHO_REQUEST.slice();
    bad[8] ^= 0x01; // TTL 64 -> 65 without fixing the checksum
    expect(unwrap(parseIpv4(bad)).checksumValid).toBe(false);
  });

  it('writes caller-given wrong lengths (IHL, total length) as given', () => {
    const built = buildIpv4({ protocol: 1, source: '10.0.0.1', destination: '10.0.0.2', ihl: 4, totalLength: 1000 }, Uint8Array.of(1, 2));
    expect(built.length).toBe(22);
    expect(built[0]).toBe(0x44);
    expect((built[2] << 8) | built[3]).toBe(1000);
    const r = parseIpv4(built);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'malformed', layer: 'ipv4', offset: 0 });
  });

  it('pads options with zeros to a 4-byte boundary and counts them in IHL', () => {
    const built = buildIpv4({ protocol: 1, source: '10.0.0.1', destination: '10.0.0.2', options: Uint8Array.of(0x94, 0x04, 0, 0, 1) });
    expect(built.length).toBe(28);
    expect(built[0]).toBe(0x47);
    expect(toHex(built.subarray(20))).toBe('9404000001000000');
    expect(unwrap(parseIpv4(built)).checksumValid).toBe(true);
  });

  it('pads options up to a given IHL', () => {
    const built = buildIpv4({ protocol: 1, source: '10.0.0.1', destination: '10.0.0.2', ihl: 8, options: Uint8Array.of(1) });
    expect(built.length).toBe(32);
    expect(toHex(unwrap(parseIpv4(built)).options)).toBe('01' + '00'.repeat(11));
  });

  it('takes either tos or dscp/ecn', () => {
    const base = { protocol: 1, source: '10.0.0.1', destination: '10.0.0.2' };
    expect(buildIpv4({ ...base, tos: 0xb9 })[1]).toBe(0xb9);
    expect(buildIpv4({ ...base, dscp: 46, ecn: 1 })[1]).toBe(0xb9);
    expect(() => buildIpv4({ ...base, tos: 1, dscp: 1 })).toThrow(RangeError);
  });

  it('keeps the reserved flag bit', () => {
    const built = buildIpv4({ protocol: 1, source: '10.0.0.1', destination: '10.0.0.2', flags: { reserved: true }, fragmentOffset: 0x1fff });
    expect(toHex(built.subarray(6, 8))).toBe('9fff');
    expect(unwrap(parseIpv4(built)).flags).toEqual({ reserved: true, dontFragment: false, moreFragments: false });
    expect(ipv4FlagsValue({ reserved: true, moreFragments: true })).toBe(5);
  });

  it('rejects values that do not fit their fields', () => {
    const base = { protocol: 1, source: '10.0.0.1', destination: '10.0.0.2' };
    expect(() => buildIpv4({ ...base, ttl: 256 })).toThrow(RangeError);
    expect(() => buildIpv4({ ...base, identification: -1 })).toThrow(RangeError);
    expect(() => buildIpv4({ ...base, fragmentOffset: 0x2000 })).toThrow(RangeError);
    expect(() => buildIpv4({ ...base, dscp: 1.5 })).toThrow(RangeError);
    expect(() => buildIpv4({ ...base, flags: 8 })).toThrow(RangeError);
    expect(() => buildIpv4({ ...base, source: '10.0.0.256' })).toThrow(RangeError);
    expect(() => buildIpv4({ ...base, options: new Uint8Array(41) })).toThrow(RangeError);
    expect(() => buildIpv4(base, new Uint8Array(65516))).toThrow(RangeError);
  });

  it('emits into a reused buffer at an offset, header only', () => {
    const buffer = new Uint8Array(100).fill(0xee);
    const n = emitIpv4Into(buffer, 10, { identification: 0x3f2a, flags: 2, protocol: 1, source: '192.168.1.23', destination: '198.51.100.1' }, 64);
    expect(n).toBe(20);
    expect(toHex(buffer.subarray(10, 30))).toBe(toHex(ECHO_REQUEST.subarray(0, 20)));
    expect(buffer[9]).toBe(0xee);
    expect(buffer[30]).toBe(0xee);
    expect(() => emitIpv4Into(new Uint8Array(19), 0, { protocol: 1, source: '198.51.100.1', destination: '198.51.100.1' }, 0)).toThrow(RangeError);
    expect(ipv4HeaderLength({ options: new Uint8Array(3) })).toBe(24);
    // Padding must be written, not assumed from a fresh buffer.
    const dirty = new Uint8Array(40).fill(0xee);
    const withOptions = emitIpv4Into(dirty, 0, { protocol: 1, source: '198.51.100.1', destination: '198.51.100.1', options: Uint8Array.of(1), ihl: 7 }, 0);
    expect(withOptions).toBe(28);
    expect(toHex(dirty.subarray(20, 28))).toBe('0100000000000000');
    expect(unwrap(parseIpv4(dirty.subarray(0, 28))).checksumValid).toBe(true);
  });
});

describe('parseIpv4 on malformed input', () => {
  it('rejects a version other than 4', () => {
    const v6 = ECHO_REQUEST.slice();
    v6[0] = 0x65;
    const r = parseIpv4(v6);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'malformed', layer: 'ipv4', offset: 0 });
  });

  it('rejects IHL below 5', () => {
    for (let ihl = 0; ihl < 5; ihl++) {
      const bad = ECHO_REQUEST.slice();
      bad[0] = 0x40 | ihl;
      const r = parseIpv4(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('malformed');
    }
  });

  it('rejects a total length shorter than the header', () => {
    const bad = RECORD_ROUTE.slice();
    bad[2] = 0;
    bad[3] = 59; // IHL says 60
    const r = parseIpv4(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'malformed', offset: 2 });
  });

  it('reports an IHL that runs past the input as truncation', () => {
    const r = parseIpv4(RECORD_ROUTE.subarray(0, 40));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('truncated');
  });

  it('with allowTruncatedPayload, returns what there is and how much is missing', () => {
    const cut = ECHO_REQUEST.subarray(0, 28);
    const p = unwrap(parseIpv4(cut, { allowTruncatedPayload: true }));
    expect(p.payload.length).toBe(8);
    expect(p.missingLength).toBe(56);
    expect(p.trailer.length).toBe(0);
    // Rebuilding with the parsed total length reproduces the cut bytes.
    expect(toHex(buildIpv4(p, p.payload))).toBe(toHex(cut));
    // The header itself must still be whole.
    expect(parseIpv4(ECHO_REQUEST.subarray(0, 19), { allowTruncatedPayload: true }).ok).toBe(false);
  });
});

describe('IPv4 properties', () => {
  const headerInit = fc.record({
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    identification: fc.integer({ min: 0, max: 0xffff }),
    flags: fc.record({ reserved: fc.boolean(), dontFragment: fc.boolean(), moreFragments: fc.boolean() }),
    fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
    ttl: fc.integer({ min: 0, max: 255 }),
    protocol: fc.integer({ min: 0, max: 255 }),
    source: address,
    destination: address,
    options: fc.uint8Array({ maxLength: 40 }),
  });

  it('parse(build(x)) gives x back with the defaults filled', () => {
    fc.assert(
      fc.property(headerInit, fc.uint8Array({ maxLength: 300 }), (init, payload) => {
        const bytes = buildIpv4(init, payload);
        const p = unwrap(parseIpv4(bytes));
        const optionsLength = (init.options.length + 3) & ~3;
        const paddedOptions = new Uint8Array(optionsLength);
        paddedOptions.set(init.options);
        const expected: Ipv4Packet = {
          ...init,
          version: 4,
          ihl: 5 + optionsLength / 4,
          totalLength: 20 + optionsLength + payload.length,
          checksum: p.checksum,
          source: init.source.join('.'),
          destination: init.destination.join('.'),
          options: paddedOptions,
          checksumValid: true,
          payload,
          trailer: new Uint8Array(0),
          missingLength: 0,
        };
        expect(p).toEqual(expected);
      }),
    );
  });

  /** Random bytes with a plausible first byte and total length, so that parsing usually succeeds. */
  const ipv4ish = fc
    .tuple(fc.integer({ min: 5, max: 15 }), fc.uint8Array({ minLength: 60, maxLength: 200 }), fc.nat(), fc.nat())
    .map(([ihl, bytes, a, b]) => {
      const out = bytes.slice(0, Math.max(ihl * 4, 20 + (a % (bytes.length - 19))));
      out[0] = 0x40 | ihl;
      const totalLength = ihl * 4 + (b % (out.length - ihl * 4 + 1));
      out[2] = totalLength >>> 8;
      out[3] = totalLength & 0xff;
      return out;
    });

  it('build(parse(bytes)) == bytes whenever parse succeeds', () => {
    let successes = 0;
    fc.assert(
      fc.property(ipv4ish, (bytes) => {
        const r = parseIpv4(bytes);
        if (!r.ok) return;
        successes++;
        expect(toHex(buildIpv4(r.value, r.value.payload))).toBe(toHex(bytes));
      }),
      { numRuns: 500 },
    );
    expect(successes).toBeGreaterThan(400);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (bytes, allowTruncatedPayload) => {
        const r = parseIpv4(bytes, { allowTruncatedPayload });
        if (r.ok) expect(toHex(buildIpv4(r.value, r.value.payload))).toBe(toHex(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
