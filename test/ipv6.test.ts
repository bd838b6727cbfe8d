// The IPv6 codec (src/wire/ipv6.ts) on real packets (test/helpers/ipv6-captures.ts):
// fields, the extension header walk, round trips byte for byte, typed
// errors, built chains against scapy's bytes; and UDP/TCP over IPv6
// (pseudo-header, RFC 8200 8.1's zero-checksum rule).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IpProtocol } from '../src/wire/ipv4.ts';
import {
  buildIpv6,
  emitIpv6Into,
  IPV6_HEADER_LENGTH,
  Ipv6ExtensionType,
  ipv6HeaderLength,
  Ipv6View,
  parseIpv6,
  type Ipv6ExtensionHeaderInit,
  type Ipv6HeaderInit,
  type Ipv6Packet,
} from '../src/wire/ipv6.ts';
import { buildUdp, parseUdp, UdpView } from '../src/wire/udp.ts';
import { buildTcp, parseTcp, TcpView } from '../src/wire/tcp.ts';
import { unwrap } from '../src/wire/parse-result.ts';
import { fromHex, toHex } from './helpers/hex.ts';
import { IN_CI } from './helpers/ci-requirements.ts';
import {
  ECHO_REQUEST,
  FIRST_FRAGMENT,
  MLDV2_REPORT_HBH,
  NEIGHBOR_SOLICITATION,
  PORT_UNREACHABLE,
  SECOND_FRAGMENT,
  TIME_EXCEEDED,
  UDP_PROBE,
} from './helpers/ipv6-captures.ts';

/** The builder's input that reproduces a parsed packet. */
function initOf(packet: Ipv6Packet): Ipv6HeaderInit {
  return {
    version: packet.version,
    trafficClass: packet.trafficClass,
    flowLabel: packet.flowLabel,
    payloadLength: packet.payloadLength,
    nextHeader: packet.nextHeader,
    hopLimit: packet.hopLimit,
    protocol: packet.protocol,
    source: packet.source,
    destination: packet.destination,
    extensionHeaders: packet.extensionHeaders,
    trailer: packet.trailer,
  };
}

const CAPTURED = { ECHO_REQUEST, FIRST_FRAGMENT, SECOND_FRAGMENT, MLDV2_REPORT_HBH, NEIGHBOR_SOLICITATION, TIME_EXCEEDED, UDP_PROBE, PORT_UNREACHABLE };

describe('IPv6 header fields of a captured echo request', () => {
  const view = new Ipv6View();
  it('points and reads every field', () => {
    expect(view.point(ECHO_REQUEST)).toBeUndefined();
    expect(view.version).toBe(6);
    expect(view.trafficClass).toBe(0);
    expect(view.flowLabel).toBe(0x49b96);
    expect(view.payloadLength).toBe(64);
    expect(view.nextHeader).toBe(IpProtocol.ICMPv6);
    expect(view.hopLimit).toBe(64);
    expect(view.source).toBe('fd00:212:1::1');
    expect(view.destination).toBe('fd00:213:1::2');
    expect(toHex(view.sourceBytes)).toBe('fd000212000100000000000000000001');
    expect(view.extensionCount).toBe(0);
    expect(view.upperLayerProtocol).toBe(IpProtocol.ICMPv6);
    expect(view.upperLayerStart).toBe(IPV6_HEADER_LENGTH);
    expect(view.payloadEnd).toBe(104);
    expect(view.hasUpperLayerHeader).toBe(true);
    expect(view.isFragment).toBe(false);
  });

  it('parses to the same fields', () => {
    const packet = unwrap(parseIpv6(ECHO_REQUEST));
    expect(packet).toMatchObject({ version: 6, flowLabel: 0x49b96, hopLimit: 64, protocol: 58, source: 'fd00:212:1::1', extensionHeaders: [] });
    expect(packet.payload.length).toBe(64);
    expect(packet.payload[0]).toBe(128);
  });

  it('traffic class splits into DSCP and ECN', () => {
    const bytes = buildIpv6({ dscp: 46, ecn: 1, flowLabel: 0xfffff, protocol: 59, source: '::1', destination: '::1' });
    view.point(bytes);
    expect([view.trafficClass, view.dscp, view.ecn, view.flowLabel]).toEqual([(46 << 2) | 1, 46, 1, 0xfffff]);
    expect(toHex(bytes.subarray(0, 4))).toBe('6b9fffff');
  });
});

describe('extension headers', () => {
  it('walks the hop-by-hop header of an MLDv2 report (router alert + PadN)', () => {
    const view = new Ipv6View();
    view.point(MLDV2_REPORT_HBH);
    expect(view.extensionCount).toBe(1);
    expect(view.extensionTypes[0]).toBe(Ipv6ExtensionType.HopByHop);
    expect(view.upperLayerProtocol).toBe(IpProtocol.ICMPv6);
    expect(view.upperLayerStart).toBe(48);
    const packet = unwrap(parseIpv6(MLDV2_REPORT_HBH));
    expect(packet.extensionHeaders).toEqual([
      { kind: 'hop-by-hop', nextHeader: 58, headerExtLength: 0, options: fromHex('050200000100') },
    ]);
    expect(packet.payload[0]).toBe(143);
  });

  it("reads the fragment header of iputils' 2000-byte ping: first and second fragment", () => {
    const view = new Ipv6View();
    view.point(FIRST_FRAGMENT);
    expect([view.hasFragmentHeader, view.isFragment, view.fragmentOffset, view.moreFragments]).toEqual([true, true, 0, true]);
    expect(view.fragmentIdentification).toBe(0xcdd4e778);
    expect(view.upperLayerProtocol).toBe(IpProtocol.ICMPv6);
    expect(view.hasUpperLayerHeader).toBe(true);
    view.point(SECOND_FRAGMENT);
    expect([view.fragmentOffset * 8, view.moreFragments, view.fragmentIdentification]).toEqual([1448, false, 0xcdd4e778]);
    expect(view.hasUpperLayerHeader).toBe(false); // the ICMPv6 header is in the first fragment only
    const packet = unwrap(parseIpv6(SECOND_FRAGMENT));
    expect(packet.extensionHeaders).toEqual([
      { kind: 'fragment', nextHeader: 58, reserved: 0, fragmentOffset: 181, reservedFlags: 0, moreFragments: false, identification: 0xcdd4e778 },
    ]);
    expect(packet.payload.length).toBe(560);
  });

  const CHAIN: Ipv6ExtensionHeaderInit[] = [
    { kind: 'hop-by-hop', options: fromHex('05020000') },
    { kind: 'routing', routingType: 0, segmentsLeft: 1, data: fromHex('00000000 fd000000000000000000000000000003') },
    { kind: 'fragment', identification: 0x1234, moreFragments: true },
  ];

  it('builds a hop-by-hop + routing + fragment chain: next headers chained, lengths and PadN filled', () => {
    const udp = buildUdp({ sourcePort: 1234, destinationPort: 5678, payload: new TextEncoder().encode('hello') }, { source: 'fd00::1', destination: 'fd00::3' });
    const bytes = buildIpv6(
      { trafficClass: 0xb8, flowLabel: 0x12345, protocol: IpProtocol.UDP, source: 'fd00::1', destination: 'fd00::2', extensionHeaders: CHAIN },
      udp,
    );
    // scapy: IPv6(src='fd00::1',dst='fd00::2',hlim=64,fl=0x12345,tc=0xb8)/IPv6ExtHdrHopByHop(options=[RouterAlert()])
    //   /IPv6ExtHdrRouting(type=0,segleft=1,addresses=['fd00::3'])/IPv6ExtHdrFragment(id=0x1234,offset=0,m=1)/UDP(sport=1234,dport=5678)/b'hello'
    expect(toHex(bytes)).toBe(
      '6b81234500350040fd000000000000000000000000000001fd000000000000000000000000000002' +
        '2b00050200000100' +
        '2c02000100000000fd000000000000000000000000000003' +
        '1100000100001234' +
        '04d2162e000da6fc68656c6c6f',
    );
    const view = new Ipv6View();
    view.point(bytes);
    expect(Array.from(view.extensionTypes.subarray(0, view.extensionCount))).toEqual([0, 43, 44]);
    expect(view.upperLayerProtocol).toBe(IpProtocol.UDP);
    expect(view.upperLayerStart).toBe(40 + 8 + 24 + 8);
    expect([view.fragmentOffset, view.moreFragments, view.fragmentIdentification]).toEqual([0, true, 0x1234]);
    const packet = unwrap(parseIpv6(bytes));
    expect(toHex(buildIpv6(initOf(packet), packet.payload))).toBe(toHex(bytes));
    // The checksum covers the final destination, the routing header's last address (RFC 8200 8.1).
    expect(view.finalDestinationAt).toBe(40 + 8 + 8);
    const udpView = new UdpView();
    udpView.point(bytes, view.upperLayerStart, view.payloadEnd);
    expect(udpView.checksumVerdict(view.pseudoHeaderSum(IpProtocol.UDP, udpView.length), { ipv6: true }).status).toBe('correct');
  });

  it('keeps lengths the caller sets, even wrong ones, and a raw unknown header', () => {
    const bytes = buildIpv6(
      {
        protocol: 59,
        source: 'fd00::1',
        destination: 'fd00::2',
        extensionHeaders: [
          { kind: 'destination-options', headerExtLength: 1 },
          { kind: 'raw', type: Ipv6ExtensionType.Experimental1, bytes: fromHex('00 00 aabbccddeeff') },
        ],
      },
      new Uint8Array(0),
    );
    expect(bytes.length).toBe(40 + 16 + 8);
    expect(toHex(bytes.subarray(40))).toBe('fd01010c000000000000000000000000' + '3b00aabbccddeeff');
    const packet = unwrap(parseIpv6(bytes));
    expect(packet.protocol).toBe(Ipv6ExtensionType.NoNextHeader);
    expect(packet.extensionHeaders.map((h) => h.kind)).toEqual(['destination-options', 'raw']);
  });

  it('an authentication header is walked by its 4-byte length (RFC 4302)', () => {
    const bytes = buildIpv6(
      { protocol: IpProtocol.TCP, source: 'fd00::1', destination: 'fd00::2', extensionHeaders: [{ kind: 'authentication', spi: 0x100, sequence: 7, integrityCheckValue: new Uint8Array(12).fill(0xaa) }] },
      new Uint8Array(20),
    );
    const view = new Ipv6View();
    view.point(bytes);
    expect(view.upperLayerStart).toBe(40 + 24);
    expect(bytes[41]).toBe(4); // (24 / 4) - 2
    expect(unwrap(parseIpv6(bytes)).extensionHeaders[0]).toMatchObject({ kind: 'authentication', spi: 0x100, sequence: 7, payloadLength: 4 });
  });
});

describe('round trips byte for byte', () => {
  it.each(Object.entries(CAPTURED))('%s', (_name, bytes) => {
    const packet = unwrap(parseIpv6(bytes));
    expect(toHex(buildIpv6(initOf(packet), packet.payload))).toBe(toHex(bytes));
  });

  it('emitIpv6Into writes the headers where asked and says how many bytes', () => {
    const header: Ipv6HeaderInit = { protocol: 17, source: 'fd00::1', destination: 'fd00::2', extensionHeaders: [{ kind: 'fragment' }] };
    const buffer = new Uint8Array(100).fill(0xee);
    expect(emitIpv6Into(buffer, 10, header, 12)).toBe(ipv6HeaderLength(header));
    expect(toHex(buffer.subarray(10, 10 + 48))).toBe(toHex(buildIpv6(header, new Uint8Array(12)).subarray(0, 48)));
    expect(buffer[9]).toBe(0xee);
  });
});

describe('typed errors, never a throw', () => {
  it.each([
    ['empty', new Uint8Array(0), 'truncated', /empty/],
    ['IPv4', fromHex('4500001c000000004001'), 'malformed', /version is 4/],
    ['cut in the fixed header', ECHO_REQUEST.subarray(0, 39), 'truncated', /40 bytes/],
    ['payload length past the end', ECHO_REQUEST.subarray(0, 100), 'truncated', /payload length is 64/],
  ])('%s', (_name, bytes, kind, message) => {
    const result = parseIpv6(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.kind).toBe(kind);
      expect(result.error.layer).toBe('ipv6');
      expect(result.error.message).toMatch(message);
    }
  });

  it('an extension header length past the payload length is malformed; a quote cut inside one is accepted as far as it goes', () => {
    const bad = Uint8Array.from(MLDV2_REPORT_HBH);
    bad[41] = 20; // hop-by-hop says 168 bytes
    const result = parseIpv6(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect([result.error.kind, result.error.offset]).toEqual(['malformed', 41]);
    const cut = MLDV2_REPORT_HBH.subarray(0, 44);
    expect(parseIpv6(cut).ok).toBe(false);
    const quoted = unwrap(parseIpv6(cut, { allowTruncatedPayload: true }));
    expect(quoted.extensionHeaders).toEqual([]);
    expect(quoted.missingLength).toBe(76 - 4);
  });

  it('random bytes never throw, and whatever parses builds back to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, version6) => {
        if (version6 && bytes.length > 0) bytes[0] = (bytes[0] & 0x0f) | 0x60;
        const result = parseIpv6(bytes);
        new Ipv6View().point(bytes);
        parseIpv6(bytes, { allowTruncatedPayload: true });
        if (result.ok) expect(toHex(buildIpv6(initOf(result.value), result.value.payload))).toBe(toHex(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});

const extensionArbitrary: fc.Arbitrary<Ipv6ExtensionHeaderInit> = fc.oneof(
  fc.record({ kind: fc.constantFrom('hop-by-hop' as const, 'destination-options' as const), options: fc.uint8Array({ maxLength: 30 }) }),
  fc.record({ kind: fc.constant('routing' as const), routingType: fc.nat(255), segmentsLeft: fc.nat(255), data: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({
    kind: fc.constant('fragment' as const),
    fragmentOffset: fc.nat(0x1fff),
    moreFragments: fc.boolean(),
    identification: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({ kind: fc.constant('authentication' as const), spi: fc.nat({ max: 0xffffffff }), integrityCheckValue: fc.uint8Array({ maxLength: 4 }).map((b) => new Uint8Array(b.length * 4)) }),
);

describe('build → parse → build', () => {
  it('is the identity for random headers and chains', () => {
    fc.assert(
      fc.property(
        fc.record({
          trafficClass: fc.nat(255),
          flowLabel: fc.nat(0xfffff),
          hopLimit: fc.nat(255),
          protocol: fc.constantFrom(6, 17, 58, 59),
          source: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          destination: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          extensionHeaders: fc.array(extensionArbitrary, { maxLength: 5 }),
        }),
        fc.uint8Array({ maxLength: 64 }),
        (header, payload) => {
          const bytes = buildIpv6(header, payload);
          const packet = unwrap(parseIpv6(bytes));
          expect(packet.extensionHeaders.length).toBe(header.extensionHeaders.length);
          expect(packet.protocol).toBe(header.protocol);
          expect(toHex(packet.payload)).toBe(toHex(payload));
          expect(toHex(buildIpv6(initOf(packet), packet.payload))).toBe(toHex(bytes));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('UDP over IPv6', () => {
  const pseudo = { source: 'fd00:212:1::1', destination: 'fd00:213:1::2' };
  const view = new Ipv6View();
  view.point(UDP_PROBE);
  const udpBytes = view.upperLayer;

  it('verifies the captured datagram with the pseudo-header, from text or from the view', () => {
    expect(unwrap(parseUdp(udpBytes, pseudo))).toMatchObject({ sourcePort: 59685, destinationPort: 33434, length: 13, checksumValid: true });
    const udp = new UdpView();
    udp.point(udpBytes);
    expect(udp.checksumVerdict(view.pseudoHeaderSum(IpProtocol.UDP, 13), { ipv6: true }).status).toBe('correct');
  });

  it('builds it back the same', () => {
    const datagram = unwrap(parseUdp(udpBytes));
    expect(toHex(buildUdp({ sourcePort: datagram.sourcePort, destinationPort: datagram.destinationPort, payload: datagram.payload }, pseudo))).toBe(toHex(udpBytes));
  });

  it('a zero checksum is illegal over IPv6 (RFC 8200 8.1), "no checksum" over IPv4', () => {
    const zero = buildUdp({ sourcePort: 1, destinationPort: 2, checksum: 0, payload: fromHex('0102') });
    expect(parseUdp(zero, pseudo)).toMatchObject({ ok: true, value: { checksumValid: false } });
    expect(unwrap(parseUdp(zero, { source: '10.0.0.1', destination: '10.0.0.2' })).checksumValid).toBeUndefined();
    const udp = new UdpView();
    udp.point(zero);
    const sum = view.pseudoHeaderSum(IpProtocol.UDP, zero.length);
    const verdict = udp.checksumVerdict(sum, { ipv6: true });
    expect(verdict).toMatchObject({ status: 'incorrect', zeroIllegal: true, stored: 0 });
    expect(verdict.expected).toBe(unwrap(parseUdp(buildUdp({ sourcePort: 1, destinationPort: 2, payload: fromHex('0102') }, pseudo))).checksum);
    expect(udp.checksumVerdict(sum).status).toBe('not-present');
  });

  it('a computed 0 is sent as 0xffff', () => {
    // Search a payload word that makes the sum come out 0, then check the builder writes 0xffff.
    const probe = buildUdp({ sourcePort: 7, destinationPort: 9, payload: new Uint8Array(2) }, pseudo);
    const word = (probe[6] << 8) | probe[7];
    const bytes = buildUdp({ sourcePort: 7, destinationPort: 9, payload: Uint8Array.of(word >> 8, word & 0xff) }, pseudo);
    expect(toHex(bytes.subarray(6, 8))).toBe('ffff');
    expect(unwrap(parseUdp(bytes, pseudo)).checksumValid).toBe(true);
  });
});

describe('TCP over IPv6', () => {
  it('build and verify with the IPv6 pseudo-header', () => {
    const pseudo = { source: 'fd00::1', destination: 'fd00::2' };
    const segment = buildTcp({ sourcePort: 40000, destinationPort: 80, sequenceNumber: 1, flags: { syn: true }, window: 64240 }, pseudo);
    const packet = buildIpv6({ protocol: IpProtocol.TCP, source: 'fd00::1', destination: 'fd00::2' }, segment);
    const view = new Ipv6View();
    view.point(packet);
    const tcp = new TcpView();
    tcp.point(packet, view.upperLayerStart, view.payloadEnd);
    expect(tcp.checksumVerdict(view.pseudoHeaderSum(IpProtocol.TCP, segment.length)).status).toBe('correct');
    expect(unwrap(parseTcp(segment, pseudo)).checksumValid).toBe(true);
    expect(unwrap(parseTcp(segment, { source: 'fd00::1', destination: 'fd00::3' })).checksumValid).toBe(false);
  });
});

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasScapy = spawnSync(PYTHON, ['-c', 'import scapy.all'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasScapy && !IN_CI)('the same bytes as scapy', () => {
  it('for an extension header chain over UDP and a TCP SYN over IPv6', () => {
    const cases: Array<[string, Uint8Array]> = [
      [
        "IPv6(src='fd00::1',dst='fd00::2',hlim=9)/IPv6ExtHdrDestOpt()/IPv6ExtHdrFragment(id=77,offset=3)/UDP(sport=53,dport=53)/b'xyz'",
        buildIpv6(
          { hopLimit: 9, protocol: 17, source: 'fd00::1', destination: 'fd00::2', extensionHeaders: [{ kind: 'destination-options' }, { kind: 'fragment', identification: 77, fragmentOffset: 3 }] },
          buildUdp({ sourcePort: 53, destinationPort: 53, payload: new TextEncoder().encode('xyz') }, { source: 'fd00::1', destination: 'fd00::2' }),
        ),
      ],
      [
        "IPv6(src='fd00::1',dst='fd00::2')/TCP(sport=40000,dport=80,flags='S',seq=1,window=64240)",
        buildIpv6(
          { protocol: 6, source: 'fd00::1', destination: 'fd00::2' },
          buildTcp({ sourcePort: 40000, destinationPort: 80, sequenceNumber: 1, flags: { syn: true }, window: 64240 }, { source: 'fd00::1', destination: 'fd00::2' }),
        ),
      ],
    ];
    const script = `from scapy.all import *\n${cases.map(([expression]) => `print(bytes(${expression}).hex())`).join('\n')}\n`;
    const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(cases.map(([, bytes]) => toHex(bytes)));
  });
});
