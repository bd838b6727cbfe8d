import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildTcp,
  emitTcpInto,
  parseTcp,
  parseTcpOptions,
  TcpFlag,
  tcpFlagNames,
  tcpFlagsValue,
  tcpHeaderLength,
  tcpOptionsLength,
  tcpSynOptions,
  type ParsedTcpSegment,
  type TcpOption,
  type TcpPseudoHeader,
  type TcpSegmentInit,
} from '../src/wire/tcp.ts';
import { formatIpv6Address, parseIpv6Address } from '../src/wire/ipv6-address.ts';
import { parseIpv4 } from '../src/wire/ipv4.ts';
import { unwrap } from '../src/wire/parse-result.ts';
import { fromHex as hex, toHex } from './helpers/hex.ts';


// Segments as Linux sends them (checksums cross-checked with scapy).
const CLIENT = { source: '10.0.0.5', destination: '203.0.113.34' };
const SERVER = { source: '203.0.113.34', destination: '10.0.0.5' };

/** Linux SYN: MSS 1460, SACK permitted, TSval/TSecr 0, NOP, window scale 7; window 64240. */
const SYN = hex(
  `be5c 01bb 5c1f2d9a 00000000 a002 faf0 0244 0000
   020405b4 0402 080a a9fd10d5 00000000 01 030307`,
);

/** The SYN-ACK: the same layout, TSecr echoing the SYN's TSval, window scale 9. */
const SYN_ACK = hex(
  `01bb be5c 2b7e0c51 5c1f2d9b a012 fe88 bd6d 0000
   020405b4 0402 080a 3e32cb29 a9fd10d5 01 030309`,
);

/** A bare ACK, no options (as seen when timestamps are off). */
const ACK = hex('be5c 01bb 5c1f2d9b 2b7e0c52 5010 01f6 e614 0000');

/** curl's request: PSH+ACK, NOP NOP timestamps, 75 bytes of HTTP. */
const HTTP_GET = hex(
  `be5c 0050 5c1f2d9b 2b7e0c52 8018 01f6 45e3 0000
   0101080a a9fd10e8 3e32cb3c
   474554202f20485454502f312e310d0a486f73743a206578616d706c652e636f6d0d0a
   557365722d4167656e743a206375726c2f372e38382e310d0a4163636570743a202a2f2a0d0a0d0a`,
);
const HTTP_PSEUDO = { source: '10.0.0.5', destination: '203.0.113.34' };

/** A duplicate ACK with one SACK block, after NOP NOP timestamps and NOP NOP. */
const SACK = hex(
  `be5c 01bb 5c1f2f3a 2b7e1206 b010 01f5 1eef 0000
   0101080a a9fd1110 3e32cb64 0101050a 2b7e17ae 2b7e1d56`,
);

/** RST+ACK from a closed port 22, window 0. */
const RST_ACK = hex('0016 9c41 00000000 00000002 5014 0000 ff69 0000');
const RST_PSEUDO = { source: '10.0.0.9', destination: '10.0.0.5' };

/** An ECN-setup SYN (RFC 3168): SYN|ECE|CWR, MSS only. */
const SYN_ECN = hex('9c40 0016 00000001 00000000 60c2 faf0 ec10 0000 020405b4');
const SYN_ECN_PSEUDO = { source: '10.0.0.5', destination: '10.0.0.9' };

/** A Linux SYN over IPv6: MSS 1440. */
const SYN_IPV6 = hex(
  `c4ec 0050 1a2b3c4d 00000000 a002 fd20 4212 0000
   020405a0 0402 080a e931a84e 00000000 01 030307`,
);
const IPV6_PSEUDO = { source: '2001:db8::5', destination: '2001:db8:1::34' };

/** The whole SYN as captured, IP header included. */
const SYN_PACKET = hex(`4500 003c 8f3c 4000 4006 6558 0a000005 cb007122 ${toHex(SYN)}`);

const CAPTURED: [string, Uint8Array, TcpPseudoHeader][] = [
  ['SYN', SYN, CLIENT],
  ['SYN_ACK', SYN_ACK, SERVER],
  ['ACK', ACK, CLIENT],
  ['HTTP_GET', HTTP_GET, HTTP_PSEUDO],
  ['SACK', SACK, CLIENT],
  ['RST_ACK', RST_ACK, RST_PSEUDO],
  ['SYN_ECN', SYN_ECN, SYN_ECN_PSEUDO],
  ['SYN_IPV6', SYN_IPV6, IPV6_PSEUDO],
];

describe('parseTcp on captured segments', () => {
  it('reads every field of a Linux SYN', () => {
    const s = unwrap(parseTcp(SYN, CLIENT));
    expect(s).toEqual({
      sourcePort: 48732,
      destinationPort: 443,
      sequenceNumber: 0x5c1f2d9a,
      acknowledgmentNumber: 0,
      dataOffset: 10,
      reserved: 0,
      flags: TcpFlag.SYN,
      window: 64240,
      checksum: 0x0244,
      urgentPointer: 0,
      options: [
        { kind: 'mss', value: 1460 },
        { kind: 'sack-permitted' },
        { kind: 'timestamps', value: 0xa9fd10d5, echoReply: 0 },
        { kind: 'nop' },
        { kind: 'window-scale', shift: 7 },
      ],
      payload: new Uint8Array(0),
      headerLength: 40,
      checksumValid: true,
    } satisfies ParsedTcpSegment);
  });

  it('reads the SYN-ACK, SACK blocks, a payload and ECN flags', () => {
    const synAck = unwrap(parseTcp(SYN_ACK, SERVER));
    expect(tcpFlagNames(synAck.flags)).toEqual(['SYN', 'ACK']);
    expect(synAck.acknowledgmentNumber).toBe(0x5c1f2d9b);
    expect(synAck.options[2]).toEqual({ kind: 'timestamps', value: 0x3e32cb29, echoReply: 0xa9fd10d5 });
    expect(synAck.checksumValid).toBe(true);

    const sack = unwrap(parseTcp(SACK, CLIENT));
    expect(sack.dataOffset).toBe(11);
    expect(sack.options.at(-1)).toEqual({ kind: 'sack', blocks: [{ left: 0x2b7e17ae, right: 0x2b7e1d56 }] });

    const get = unwrap(parseTcp(HTTP_GET, HTTP_PSEUDO));
    expect(tcpFlagNames(get.flags)).toEqual(['PSH', 'ACK']);
    expect(Buffer.from(get.payload).toString('latin1')).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: example\.com\r\n/);
    expect(get.payload.length).toBe(75);
    expect(get.checksumValid).toBe(true);

    const ecn = unwrap(parseTcp(SYN_ECN, SYN_ECN_PSEUDO));
    expect(tcpFlagNames(ecn.flags)).toEqual(['SYN', 'ECE', 'CWR']);

    const rst = unwrap(parseTcp(RST_ACK, RST_PSEUDO));
    expect(tcpFlagNames(rst.flags)).toEqual(['RST', 'ACK']);
    expect(rst.window).toBe(0);
  });

  it('verifies the checksum over the IPv6 pseudo-header, from text or bytes', () => {
    expect(unwrap(parseTcp(SYN_IPV6, IPV6_PSEUDO)).checksumValid).toBe(true);
    const asBytes = { source: parseIpv6Address(IPV6_PSEUDO.source), destination: parseIpv6Address(IPV6_PSEUDO.destination) };
    expect(unwrap(parseTcp(SYN_IPV6, asBytes)).checksumValid).toBe(true);
    expect(unwrap(parseTcp(SYN_IPV6, { ...IPV6_PSEUDO, ipv6: true })).checksumValid).toBe(true);
    // The IPv4 pseudo-header does not validate an IPv6 segment.
    expect(unwrap(parseTcp(SYN_IPV6, CLIENT)).checksumValid).toBe(false);
  });

  it('gives a checksum verdict only when given a pseudo-header', () => {
    expect(unwrap(parseTcp(SYN)).checksumValid).toBeUndefined();
    expect(unwrap(parseTcp(SYN, SERVER)).checksumValid).toBe(true); // the sum is symmetric in the addresses
    expect(unwrap(parseTcp(SYN, { source: '10.0.0.6', destination: '203.0.113.34' })).checksumValid).toBe(false);
    const r = parseTcp(SYN, { source: 'nonsense', destination: '10.0.0.1' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'malformed', layer: 'tcp' });
  });

  it('parses the TCP inside a whole captured packet', () => {
    const ip = unwrap(parseIpv4(SYN_PACKET));
    expect(unwrap(parseTcp(ip.payload, ip)).checksumValid).toBe(true);
  });

  for (const [name, bytes, pseudo] of CAPTURED) {
    it(`re-encodes ${name} byte for byte from its parsed fields`, () => {
      const s = unwrap(parseTcp(bytes, pseudo));
      expect(s.checksumValid).toBe(true);
      expect(toHex(buildTcp(s))).toBe(toHex(bytes));
      // And with data offset and checksum left to the builder.
      expect(toHex(buildTcp({ ...s, dataOffset: undefined, checksum: undefined }, pseudo))).toBe(toHex(bytes));
    });

    it(`returns a typed error for every header prefix of ${name} and judges the rest`, () => {
      const headerLength = unwrap(parseTcp(bytes)).headerLength;
      for (let n = 0; n < bytes.length; n++) {
        const r = parseTcp(bytes.subarray(0, n), pseudo);
        if (n < headerLength) {
          expect(r.ok, `prefix ${n}`).toBe(false);
          if (!r.ok) expect(r.error).toMatchObject({ kind: 'truncated', layer: 'tcp' });
        } else {
          // A cut payload still parses (TCP has no length field); the checksum over the shorter segment fails.
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.value.checksumValid, `prefix ${n}`).toBe(false);
        }
      }
    });
  }
});

describe('buildTcp', () => {
  it('builds the captured SYN from fields and tcpSynOptions', () => {
    const options = tcpSynOptions({ mss: 1460, sackPermitted: true, timestampValue: 0xa9fd10d5, windowScale: 7 });
    expect(toHex(buildTcp({ sourcePort: 48732, destinationPort: 0, options }, CLIENT).subarray(20))).toBe(
      '020405b40402080aa9fd10d50000000001030307',
    );
    const built = buildTcp(
      { sourcePort: 48732, destinationPort: 443, sequenceNumber: 0x5c1f2d9a, flags: { syn: true }, window: 64240, options },
      CLIENT,
    );
    expect(toHex(built)).toBe(toHex(SYN));
  });

  it('builds the SYN-ACK, the HTTP request and the IPv6 SYN', () => {
    expect(
      toHex(
        buildTcp(
          {
            sourcePort: 443,
            destinationPort: 48732,
            sequenceNumber: 0x2b7e0c51,
            acknowledgmentNumber: 0x5c1f2d9b,
            flags: TcpFlag.SYN | TcpFlag.ACK,
            window: 65160,
            options: tcpSynOptions({ mss: 1460, sackPermitted: true, timestampValue: 0x3e32cb29, timestampEchoReply: 0xa9fd10d5, windowScale: 9 }),
          },
          SERVER,
        ),
      ),
    ).toBe(toHex(SYN_ACK));
    expect(
      toHex(
        buildTcp(
          {
            sourcePort: 48732,
            destinationPort: 80,
            sequenceNumber: 0x5c1f2d9b,
            acknowledgmentNumber: 0x2b7e0c52,
            flags: { psh: true, ack: true },
            window: 502,
            options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', value: 0xa9fd10e8, echoReply: 0x3e32cb3c }],
            payload: HTTP_GET.subarray(32),
          },
          HTTP_PSEUDO,
        ),
      ),
    ).toBe(toHex(HTTP_GET));
    const syn6 = { sourcePort: 50412, destinationPort: 80, sequenceNumber: 0x1a2b3c4d, flags: TcpFlag.SYN, window: 64800 };
    const options = tcpSynOptions({ mss: 1440, sackPermitted: true, timestampValue: 0xe931a84e, windowScale: 7 });
    expect(toHex(buildTcp({ ...syn6, options }, IPV6_PSEUDO))).toBe(toHex(SYN_IPV6));
  });

  it('writes a caller-given wrong checksum, and the parser flags it', () => {
    const built = buildTcp({ sourcePort: 1, destinationPort: 2, flags: TcpFlag.SYN, checksum: 0xbeef });
    expect(toHex(built.subarray(16, 18))).toBe('beef');
    const s = unwrap(parseTcp(built, CLIENT));
    expect(s.checksum).toBe(0xbeef);
    expect(s.checksumValid).toBe(false);
  });

  it('flags a flipped payload bit in a captured segment', () => {
    const bad = HTTP_GET.slice();
    bad[40] ^= 0x20;
    expect(unwrap(parseTcp(bad, HTTP_PSEUDO)).checksumValid).toBe(false);
  });

  it('needs a pseudo-header or an explicit checksum', () => {
    expect(() => buildTcp({ sourcePort: 1, destinationPort: 2 })).toThrow(TypeError);
    expect(toHex(buildTcp({ sourcePort: 1, destinationPort: 2, checksum: 0 }).subarray(16, 18))).toBe('0000');
  });

  it('places the NS/AE bit and the reserved bits in byte 12', () => {
    const built = buildTcp({ sourcePort: 1, destinationPort: 2, flags: { ns: true, cwr: true, fin: true }, reserved: 0b101 }, CLIENT);
    expect(built[12]).toBe(0x5b); // data offset 5, reserved 101, NS 1
    expect(built[13]).toBe(0x81);
    const s = unwrap(parseTcp(built, CLIENT));
    expect(s.reserved).toBe(5);
    expect(s.flags).toBe(0x181);
    expect(tcpFlagNames(s.flags)).toEqual(['FIN', 'CWR', 'NS']);
    expect(tcpFlagsValue({ ae: true })).toBe(0x100);
  });

  it('names every flag in Wireshark order', () => {
    expect(tcpFlagNames(0x1ff)).toEqual(['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'NS']);
    expect(tcpFlagNames(0)).toEqual([]);
    // Wireshark 4 (tshark 4.0 prints "[FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE]").
    expect(tcpFlagNames(0x1ff, 'AE').join(', ')).toBe('FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE');
    expect(tcpFlagNames(0x102)).toEqual(['SYN', 'NS']);
    expect(tcpFlagsValue({ syn: true, ece: true, cwr: true })).toBe(0xc2);
  });

  it('pads options with zeros up to a given data offset, or writes a wrong one as given', () => {
    const padded = buildTcp({ sourcePort: 1, destinationPort: 2, dataOffset: 8, options: [{ kind: 'mss', value: 536 }] }, CLIENT);
    expect(padded.length).toBe(32);
    expect(toHex(padded.subarray(20))).toBe('02040218' + '00'.repeat(8));
    expect(unwrap(parseTcp(padded, CLIENT)).options).toEqual([{ kind: 'mss', value: 536 }, { kind: 'eol' }]);

    // Data offset 5 while 4 bytes of options follow: they read as payload.
    const lying = buildTcp({ sourcePort: 1, destinationPort: 2, dataOffset: 5, options: [{ kind: 'mss', value: 536 }] }, CLIENT);
    expect(lying.length).toBe(24);
    const s = unwrap(parseTcp(lying, CLIENT));
    expect(s.options).toEqual([]);
    expect(toHex(s.payload)).toBe('02040218');
    expect(s.checksumValid).toBe(true);

    const tooSmall = buildTcp({ sourcePort: 1, destinationPort: 2, dataOffset: 3 }, CLIENT);
    expect(tooSmall[12] >>> 4).toBe(3);
  });

  it('pads odd-length options to a multiple of 4', () => {
    const built = buildTcp({ sourcePort: 1, destinationPort: 2, options: [{ kind: 'nop' }, { kind: 'window-scale', shift: 14 }, { kind: 'nop' }] }, CLIENT);
    expect(built[12] >>> 4).toBe(7);
    expect(toHex(built.subarray(20))).toBe('0103030e01000000');
    expect(tcpHeaderLength({ options: [{ kind: 'eol' }] })).toBe(24);
    expect(tcpOptionsLength(tcpSynOptions({ mss: 1, sackPermitted: true, timestampValue: 1, windowScale: 1 }))).toBe(20);
  });

  it('rejects values that do not fit their fields', () => {
    const base = { sourcePort: 1, destinationPort: 2 };
    expect(() => buildTcp({ ...base, sourcePort: 65536 }, CLIENT)).toThrow(RangeError);
    expect(() => buildTcp({ ...base, sequenceNumber: 2 ** 32 }, CLIENT)).toThrow(RangeError);
    expect(() => buildTcp({ ...base, sequenceNumber: -1 }, CLIENT)).toThrow(RangeError);
    expect(() => buildTcp({ ...base, flags: 0x200 }, CLIENT)).toThrow(RangeError);
    expect(() => buildTcp({ ...base, reserved: 8 }, CLIENT)).toThrow(RangeError);
    expect(() => buildTcp({ ...base, dataOffset: 16 }, CLIENT)).toThrow(RangeError);
    expect(() => buildTcp({ ...base, options: [{ kind: 'mss', value: 70000 }] }, CLIENT)).toThrow(RangeError);
    expect(() => buildTcp({ ...base, options: [{ kind: 'raw', bytes: new Uint8Array(41) }] }, CLIENT)).toThrow(RangeError);
    expect(() => buildTcp({ ...base, options: [{ kind: 'unknown', type: 99, data: new Uint8Array(254) }] }, { ...CLIENT })).toThrow(RangeError);
    expect(() => buildTcp(base, { source: '10.0.0.1', destination: '::1' })).toThrow(RangeError);
  });

  it('emits into a reused buffer at an offset', () => {
    const buffer = new Uint8Array(200).fill(0xee);
    const segment: TcpSegmentInit = {
      sourcePort: 48732,
      destinationPort: 443,
      sequenceNumber: 0x5c1f2d9a,
      flags: TcpFlag.SYN,
      window: 64240,
      options: tcpSynOptions({ mss: 1460, sackPermitted: true, timestampValue: 0xa9fd10d5, windowScale: 7 }),
    };
    const pseudo = { source: Uint8Array.of(10, 0, 0, 5), destination: Uint8Array.of(203, 0, 113, 34) };
    expect(emitTcpInto(buffer, 20, segment, pseudo)).toBe(40);
    expect(toHex(buffer.subarray(20, 60))).toBe(toHex(SYN));
    expect(buffer[19]).toBe(0xee);
    expect(buffer[60]).toBe(0xee);
    expect(() => emitTcpInto(new Uint8Array(59), 20, segment, pseudo)).toThrow(RangeError);
    // Padding must be written, not assumed from a fresh buffer.
    const dirty = new Uint8Array(64).fill(0xee);
    const n = emitTcpInto(dirty, 0, { sourcePort: 1, destinationPort: 2, options: [{ kind: 'mss', value: 1460 }, { kind: 'nop' }] }, pseudo);
    expect(toHex(dirty.subarray(20, n))).toBe('020405b401000000');
    expect(unwrap(parseTcp(dirty.subarray(0, n), pseudo)).checksumValid).toBe(true);
  });
});

describe('tcpSynOptions', () => {
  it('lays options out as Linux does with any of them turned off', () => {
    const bytesOf = (options: TcpOption[]) => toHex(buildTcp({ sourcePort: 1, destinationPort: 2, options }, CLIENT).subarray(20));
    expect(bytesOf(tcpSynOptions({ mss: 1460, timestampValue: 1, windowScale: 7 }))).toBe('020405b40101080a000000010000000001030307');
    expect(bytesOf(tcpSynOptions({ mss: 1460, sackPermitted: true, windowScale: 7 }))).toBe('020405b40101040201030307');
    expect(bytesOf(tcpSynOptions({ mss: 1460 }))).toBe('020405b4');
    expect(tcpSynOptions({})).toEqual([]);
  });
});

describe('malformed options and headers', () => {
  /** A 20-byte header with `area` as its options, data offset covering them. */
  const withOptions = (area: string) => {
    const options = hex(area);
    return buildTcp({ sourcePort: 1, destinationPort: 2, dataOffset: 5 + options.length / 4, options: [{ kind: 'raw', bytes: options }] }, CLIENT);
  };

  const cases: [string, string, TcpOption[]][] = [
    ['a length-0 option', '0500 0000', [{ kind: 'raw', bytes: hex('05000000') }]],
    ['a length-1 option after a NOP', '01 02 01 00', [{ kind: 'nop' }, { kind: 'raw', bytes: hex('020100') }]],
    ['an option past the end', '01 01 08 0a', [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'raw', bytes: hex('080a') }]],
    ['a kind byte with no room for its length', '01 01 01 1e', [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'raw', bytes: hex('1e') }]],
    ['an MSS of the wrong length', '0203 05 00', [{ kind: 'unknown', type: 2, data: hex('05') }, { kind: 'eol' }]],
    ['a window scale of the wrong length', '0304 0e00', [{ kind: 'unknown', type: 3, data: hex('0e00') }]],
    ['an empty SACK', '0502 0000', [{ kind: 'unknown', type: 5, data: hex('') }, { kind: 'eol' }]],
    ['a SACK with a partial block', '050a 00000001 00000002 0504 0000 0000', [
      { kind: 'sack', blocks: [{ left: 1, right: 2 }] },
      { kind: 'unknown', type: 5, data: hex('0000') },
      { kind: 'eol' },
    ]],
    ['an unknown kind (TCP Fast Open cookie)', '2206 a1b2c3d4 0101', [{ kind: 'unknown', type: 34, data: hex('a1b2c3d4') }, { kind: 'nop' }, { kind: 'nop' }]],
    ['non-zero padding after EOL', '020405b4 00 01 ff 00', [{ kind: 'mss', value: 1460 }, { kind: 'eol' }, { kind: 'raw', bytes: hex('01ff00') }]],
    ['zero padding after EOL', '030307 00 00000000', [{ kind: 'window-scale', shift: 7 }, { kind: 'eol' }]],
  ];

  for (const [what, area, expected] of cases) {
    it(`keeps ${what} so the header re-encodes exactly`, () => {
      const bytes = withOptions(area);
      const s = unwrap(parseTcp(bytes, CLIENT));
      expect(s.checksumValid).toBe(true);
      expect(s.options).toEqual(expected);
      expect(toHex(buildTcp(s))).toBe(toHex(bytes));
      expect(toHex(buildTcp({ ...s, checksum: undefined }, CLIENT))).toBe(toHex(bytes));
    });
  }

  it('drops all-zero padding after EOL and restores it from the data offset', () => {
    const bytes = withOptions('020405b4 00 000000');
    const s = unwrap(parseTcp(bytes));
    expect(s.options).toEqual([{ kind: 'mss', value: 1460 }, { kind: 'eol' }]);
    expect(toHex(buildTcp(s))).toBe(toHex(bytes));
  });

  it('rejects a data offset below 5', () => {
    for (let dataOffset = 0; dataOffset < 5; dataOffset++) {
      const bad = ACK.slice();
      bad[12] = (dataOffset << 4) | (bad[12] & 0x0f);
      const r = parseTcp(bad, CLIENT);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatchObject({ kind: 'malformed', layer: 'tcp', offset: 12 });
    }
  });

  it('reports a data offset past the end of the segment', () => {
    const bad = SYN.slice();
    bad[12] = 0xf0 | (bad[12] & 0x0f); // 60 bytes of header claimed, 40 present
    const r = parseTcp(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'truncated', layer: 'tcp' });
  });
});

describe('IPv6 addresses', () => {
  it('parses and prints RFC 5952 text', () => {
    const cases: [string, string, string][] = [
      ['2001:db8::5', '20010db8000000000000000000000005', '2001:db8::5'],
      ['::', '00000000000000000000000000000000', '::'],
      ['::1', '00000000000000000000000000000001', '::1'],
      ['fe80::', 'fe800000000000000000000000000000', 'fe80::'],
      ['2001:DB8:0:0:1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
      ['::ffff:192.0.2.128', '00000000000000000000ffffc0000280', '::ffff:192.0.2.128'],
      ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221', '64:ff9b::c000:221'],
      ['1:2:3:4:5:6:7::', '00010002000300040005000600070000', '1:2:3:4:5:6:7:0'],
    ];
    for (const [text, bytes, canonical] of cases) {
      expect(toHex(parseIpv6Address(text))).toBe(bytes);
      expect(formatIpv6Address(hex(bytes))).toBe(canonical);
    }
  });

  it('rejects what is not an IPv6 address', () => {
    for (const bad of ['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', '::1.2.3', '::1.2.3.256', '1:2:3:4:5:6:7:8::', 'fe80::1%eth0', '1.2.3.4']) {
      expect(() => parseIpv6Address(bad), bad).toThrow(RangeError);
    }
  });

  it('round-trips any 16 bytes through text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(toHex(parseIpv6Address(formatIpv6Address(bytes)))).toBe(toHex(bytes));
      }),
    );
  });
});

describe('TCP properties', () => {
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  /** Options in the form the parser reports, so parse(build(x)) can equal x. */
  const option: fc.Arbitrary<TcpOption> = fc.oneof(
    fc.constant({ kind: 'nop' as const }),
    fc.record({ kind: fc.constant('mss' as const), value: u16 }),
    fc.record({ kind: fc.constant('window-scale' as const), shift: fc.integer({ min: 0, max: 255 }) }),
    fc.constant({ kind: 'sack-permitted' as const }),
    fc.record({ kind: fc.constant('sack' as const), blocks: fc.array(fc.record({ left: u32, right: u32 }), { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('timestamps' as const), value: u32, echoReply: u32 }),
    fc.record({
      kind: fc.constant('unknown' as const),
      type: fc.integer({ min: 6, max: 255 }).filter((t) => t !== 8),
      data: fc.uint8Array({ maxLength: 12 }),
    }),
  );
  const optionList = fc
    .tuple(fc.array(option, { maxLength: 8 }), fc.boolean())
    .map(([options, endWithEol]) => (endWithEol ? [...options, { kind: 'eol' as const }] : options))
    .filter((options) => tcpOptionsLength(options) <= 40);

  const segment = fc.record({
    sourcePort: u16,
    destinationPort: u16,
    sequenceNumber: u32,
    acknowledgmentNumber: u32,
    reserved: fc.integer({ min: 0, max: 7 }),
    flags: fc.integer({ min: 0, max: 0x1ff }),
    window: u16,
    urgentPointer: u16,
    options: optionList,
    payload: fc.uint8Array({ maxLength: 200 }),
  });
  const pseudo = fc.oneof(
    fc.record({ source: fc.ipV4(), destination: fc.ipV4() }),
    fc.record({ source: fc.ipV6(), destination: fc.ipV6() }),
  );

  it('parse(build(x)) gives x back with data offset and checksum filled', () => {
    fc.assert(
      fc.property(segment, pseudo, (init, addresses) => {
        const bytes = buildTcp(init, addresses);
        const s = unwrap(parseTcp(bytes, addresses));
        const optionsLength = tcpOptionsLength(init.options);
        const headerLength = 20 + ((optionsLength + 3) & ~3);
        // Zero padding reads back as End of Option List, as Wireshark shows it.
        const padded = headerLength - 20 > optionsLength && init.options.at(-1)?.kind !== 'eol';
        const expected: ParsedTcpSegment = {
          ...init,
          options: padded ? [...init.options, { kind: 'eol' }] : init.options,
          dataOffset: headerLength / 4,
          checksum: s.checksum,
          headerLength,
          checksumValid: true,
        };
        expect(s).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  /** Random bytes with a data offset that fits, so that parsing usually succeeds. */
  const tcpish = fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 120 }), fc.nat()).map(([bytes, n]) => {
    const out = bytes.slice();
    const dataOffset = 5 + (n % (Math.min(15, out.length >>> 2) - 4));
    out[12] = (dataOffset << 4) | (out[12] & 0x0f);
    return out;
  });

  it('build(parse(bytes)) == bytes whenever parse succeeds, whatever the options area holds', () => {
    let successes = 0;
    fc.assert(
      fc.property(tcpish, (bytes) => {
        const r = parseTcp(bytes);
        if (!r.ok) return;
        successes++;
        expect(toHex(buildTcp(r.value))).toBe(toHex(bytes));
      }),
      { numRuns: 2000 },
    );
    expect(successes).toBe(2000);
  });

  it('parseTcpOptions of any area emits back to the same bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }).chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })), (area) => {
        const options = parseTcpOptions(area);
        const built = buildTcp({ sourcePort: 0, destinationPort: 0, dataOffset: 5 + area.length / 4, options, checksum: 0 });
        expect(toHex(built.subarray(20))).toBe(toHex(area));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.option(pseudo), (bytes, addresses) => {
        const r = parseTcp(bytes, addresses ?? undefined);
        if (r.ok) expect(toHex(buildTcp(r.value))).toBe(toHex(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
