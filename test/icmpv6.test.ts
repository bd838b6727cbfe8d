// The ICMPv6 codec (src/wire/icmpv6.ts) on real packets
// (test/helpers/ipv6-captures.ts): echo and the errors iputils ping met, with
// their quotes parsed; NDP and MLDv2 as the kernel sent them; checksums over
// the pseudo-header; round trips; names against tshark's; iputils' words.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { iputilsEchoPayload } from '../src/wire/icmp.ts';
import {
  buildIcmpv6,
  buildIcmpv6Echo,
  emitIcmpv6EchoInto,
  formatLinkLayerAddress,
  icmpv6CodeName,
  icmpv6PseudoHeaderSum,
  Icmpv6Type,
  icmpv6TypeName,
  Icmpv6View,
  iputilsIcmpv6Text,
  parseIcmpv6,
  parseNdpOptions,
  type Icmpv6MessageInit,
  type ParsedIcmpv6Message,
} from '../src/wire/icmpv6.ts';
import { IpProtocol } from '../src/wire/ipv4.ts';
import { formatIpv6Address } from '../src/wire/ipv6-address.ts';
import { buildIpv6, Ipv6View } from '../src/wire/ipv6.ts';
import { unwrap } from '../src/wire/parse-result.ts';
import { fromHex, toHex } from './helpers/hex.ts';
import { IN_CI } from './helpers/ci-requirements.ts';
import {
  ADDRESS_UNREACHABLE,
  ECHO_REPLY,
  ECHO_REQUEST,
  MLDV2_REPORT_HBH,
  NEIGHBOR_ADVERTISEMENT,
  NEIGHBOR_SOLICITATION,
  PACKET_TOO_BIG,
  PORT_UNREACHABLE,
  TIME_EXCEEDED,
} from './helpers/ipv6-captures.ts';

/** The ICMPv6 message of a captured packet and its pseudo-header addresses. */
function icmpOf(packet: Uint8Array): { message: Uint8Array; pseudo: { source: string; destination: string } } {
  const view = new Ipv6View();
  expect(view.point(packet)).toBeUndefined();
  expect(view.upperLayerProtocol).toBe(IpProtocol.ICMPv6);
  return { message: view.upperLayer, pseudo: { source: view.source, destination: view.destination } };
}

function parseCaptured(packet: Uint8Array): ParsedIcmpv6Message {
  const { message, pseudo } = icmpOf(packet);
  const parsed = unwrap(parseIcmpv6(message, pseudo));
  expect(parsed.checksumVerdict.status).toBe('correct');
  return parsed;
}

/** The builder's input for a parsed message: the same fields, checksum included. */
function initOf(message: ParsedIcmpv6Message): Icmpv6MessageInit {
  const { checksumVerdict: _verdict, checksumValid: _valid, ...fields } = message;
  return fields as Icmpv6MessageInit;
}

const ALL = { ECHO_REQUEST, ECHO_REPLY, TIME_EXCEEDED, PORT_UNREACHABLE, ADDRESS_UNREACHABLE, PACKET_TOO_BIG, NEIGHBOR_SOLICITATION, NEIGHBOR_ADVERTISEMENT, MLDV2_REPORT_HBH };

describe('echo', () => {
  it("reads iputils' request and the reply, checksums right over the pseudo-header", () => {
    const request = parseCaptured(ECHO_REQUEST);
    expect(request).toMatchObject({ kind: 'echo', type: 128, code: 0, identifier: 30822, sequence: 1, checksumValid: true });
    const reply = parseCaptured(ECHO_REPLY);
    expect(reply).toMatchObject({ kind: 'echo', type: 129, identifier: 30822, sequence: 1 });
    if (request.kind === 'echo' && reply.kind === 'echo') expect(toHex(reply.payload)).toBe(toHex(request.payload));
  });

  it('without the addresses the checksum is unverified; with wrong ones it is incorrect', () => {
    const { message } = icmpOf(ECHO_REQUEST);
    const parsed = unwrap(parseIcmpv6(message));
    expect(parsed.checksumVerdict.status).toBe('unverified');
    expect(parsed.checksumValid).toBeUndefined();
    const wrong = unwrap(parseIcmpv6(message, { source: 'fd00:212:1::1', destination: 'fd00:213:1::3' }));
    expect(wrong.checksumVerdict.status).toBe('incorrect');
    expect(wrong.checksumValid).toBe(false);
  });

  it("builds iputils' request from its fields, the iputils payload helper shared with IPv4", () => {
    const { message, pseudo } = icmpOf(ECHO_REQUEST);
    const view = new Icmpv6View();
    view.point(message);
    const timestamp = view.body.subarray(0, 16);
    const payload = iputilsEchoPayload({ seconds: 0, microseconds: 0 });
    payload.set(timestamp, 0);
    expect(toHex(buildIcmpv6Echo({ identifier: 30822, sequence: 1, payload }, pseudo))).toBe(toHex(message));
    expect(toHex(buildIcmpv6({ kind: 'echo', identifier: 30822, sequence: 1, payload }, pseudo))).toBe(toHex(message));
    // The hot path with the pseudo-header sum computed once.
    const buffer = new Uint8Array(message.length);
    emitIcmpv6EchoInto(buffer, 0, { identifier: 30822, sequence: 1, payload }, icmpv6PseudoHeaderSum(pseudo, message.length));
    expect(toHex(buffer)).toBe(toHex(message));
    // No pseudo-header: the field is left 0 for the kernel (raw ICMPv6 sockets fill it).
    expect(toHex(buildIcmpv6Echo({ identifier: 1, sequence: 2 }).subarray(2, 4))).toBe('0000');
  });

  it('buildIcmpv6 wants the addresses or an explicit checksum', () => {
    expect(() => buildIcmpv6({ kind: 'echo', identifier: 1, sequence: 1 })).toThrow(/pseudo-header/);
    expect(toHex(buildIcmpv6({ kind: 'echo', identifier: 1, sequence: 1, checksum: 0xbeef }))).toBe('8000beef00010001');
  });
});

describe('errors quote the packet, parsed', () => {
  it('time exceeded from the router quotes our hop-limit-1 echo request whole', () => {
    const parsed = parseCaptured(TIME_EXCEEDED);
    expect(parsed).toMatchObject({ kind: 'time-exceeded', type: 3, code: 0, unused: 0 });
    if (parsed.kind !== 'time-exceeded') return;
    const quoted = unwrap(parsed.quoted);
    expect(quoted.ip).toMatchObject({ source: 'fd00:212:1::1', destination: 'fd00:213:1::2', hopLimit: 1, protocol: 58, missingLength: 0 });
    expect(quoted.transport).toEqual({ protocol: 'icmpv6', type: 128, code: 0, checksum: expect.any(Number), identifier: 30823, sequence: 1 });
  });

  it('port unreachable from the server quotes our UDP datagram', () => {
    const parsed = parseCaptured(PORT_UNREACHABLE);
    expect(parsed).toMatchObject({ kind: 'destination-unreachable', code: 4 });
    if (parsed.kind !== 'destination-unreachable') return;
    expect(unwrap(parsed.quoted).transport).toMatchObject({ protocol: 'udp', sourcePort: 59685, destinationPort: 33434, length: 13 });
  });

  it('address unreachable from the router quotes the echo request to the absent host', () => {
    const parsed = parseCaptured(ADDRESS_UNREACHABLE);
    expect(parsed).toMatchObject({ kind: 'destination-unreachable', code: 3 });
    if (parsed.kind !== 'destination-unreachable') return;
    const quoted = unwrap(parsed.quoted);
    expect(quoted.ip.destination).toBe('fd00:213:1::99');
    expect(quoted.transport).toMatchObject({ protocol: 'icmpv6', type: 128, identifier: 30867, sequence: 1 });
  });

  it("packet too big from the router of a 1280-byte link: the MTU, and as much of the 1448-byte request as fits in 1280", () => {
    const parsed = parseCaptured(PACKET_TOO_BIG);
    expect(parsed).toMatchObject({ kind: 'packet-too-big', code: 0, mtu: 1280 });
    expect(PACKET_TOO_BIG.length).toBe(1280);
    if (parsed.kind !== 'packet-too-big') return;
    const quoted = unwrap(parsed.quoted);
    expect(quoted.ip).toMatchObject({ payloadLength: 1408, missingLength: 1448 - 1232 });
    expect(quoted.transport).toMatchObject({ protocol: 'icmpv6', type: 128, identifier: 15754, sequence: 1 });
    expect(iputilsIcmpv6Text(parsed.type, parsed.code, parsed.mtu)).toBe('Packet too big: mtu=1280');
  });

  it('packet too big carries the MTU; parameter problem a 32-bit pointer; a quote cut anywhere still parses', () => {
    const pseudo = { source: 'fd00::fe', destination: 'fd00::1' };
    const { message: original } = icmpOf(ECHO_REQUEST);
    const quotedPacket = ECHO_REQUEST;
    for (const cut of [40, 44, 47, 48, quotedPacket.length]) {
      const tooBig = unwrap(parseIcmpv6(buildIcmpv6({ kind: 'packet-too-big', mtu: 1280, original: quotedPacket.subarray(0, cut) }, pseudo), pseudo));
      expect(tooBig).toMatchObject({ kind: 'packet-too-big', mtu: 1280, checksumValid: true });
      if (tooBig.kind !== 'packet-too-big') continue;
      const quoted = unwrap(tooBig.quoted);
      expect(quoted.ip.missingLength).toBe(quotedPacket.length - cut);
      expect(quoted.transport?.protocol).toBe(cut >= 42 ? 'icmpv6' : undefined);
      expect(quoted.transport && 'identifier' in quoted.transport ? quoted.transport.identifier : undefined).toBe(cut >= 48 ? 30822 : undefined);
    }
    const problem = unwrap(parseIcmpv6(buildIcmpv6({ kind: 'parameter-problem', code: 1, pointer: 6, original: quotedPacket }, pseudo), pseudo));
    expect(problem).toMatchObject({ kind: 'parameter-problem', code: 1, pointer: 6 });
    // A quote too short for an IPv6 header is reported in `quoted`, not as a failed parse.
    const short = unwrap(parseIcmpv6(buildIcmpv6({ kind: 'time-exceeded', original: original.subarray(0, 8) }, pseudo)));
    expect(short.kind === 'time-exceeded' && short.quoted.ok).toBe(false);
  });
});

describe('Icmpv6View', () => {
  it('reads the fields where they lie and points an IPv6 view at the quote, no copies', () => {
    const ip = new Ipv6View();
    ip.point(TIME_EXCEEDED);
    const icmp = new Icmpv6View();
    expect(icmp.point(ip.bytes, ip.upperLayerStart, ip.payloadEnd)).toBeUndefined();
    expect([icmp.type, icmp.code, icmp.isError, icmp.kind]).toEqual([3, 0, true, 'time-exceeded']);
    expect(icmp.checksumVerdict(ip.pseudoHeaderSum(IpProtocol.ICMPv6, icmp.length)).status).toBe('correct');
    expect(icmp.checksumValid(ip.pseudoHeaderSum(IpProtocol.ICMPv6, icmp.length))).toBe(true);
    const quoted = new Ipv6View();
    expect(icmp.quote(quoted)).toBeUndefined();
    expect(quoted.bytes).toBe(TIME_EXCEEDED);
    expect([quoted.hopLimit, quoted.destination, quoted.upperLayerProtocol]).toEqual([1, 'fd00:213:1::2', 58]);
    const inner = new Icmpv6View();
    inner.point(quoted.bytes, quoted.upperLayerStart, quoted.payloadEnd);
    expect([inner.isEcho, inner.identifier, inner.sequence]).toEqual([true, 30823, 1]);
    ip.point(PACKET_TOO_BIG);
    icmp.point(ip.bytes, ip.upperLayerStart, ip.payloadEnd);
    expect(icmp.mtu).toBe(1280);
    ip.point(NEIGHBOR_SOLICITATION);
    icmp.point(ip.bytes, ip.upperLayerStart, ip.payloadEnd);
    expect([icmp.kind, icmp.target]).toEqual(['neighbor-solicitation', 'fd00:212:1::fe']);
  });

  it('says why a message cannot be read', () => {
    expect(new Icmpv6View().point(fromHex('8000'))).toMatchObject({ kind: 'truncated', layer: 'icmpv6' });
    expect(parseIcmpv6(fromHex('800000000001'))).toMatchObject({ ok: false, error: { kind: 'truncated' } });
    // NDP messages too short for their fixed part are kept as 'other', not misread.
    expect(unwrap(parseIcmpv6(fromHex('8700 0000 00000000 fd00'))).kind).toBe('other');
  });
});

describe('neighbor discovery', () => {
  it("reads the kernel's neighbor solicitation: target and source link-layer address", () => {
    const parsed = parseCaptured(NEIGHBOR_SOLICITATION);
    expect(parsed).toMatchObject({ kind: 'neighbor-solicitation', type: 135, target: 'fd00:212:1::fe', reserved: 0 });
    if (parsed.kind !== 'neighbor-solicitation') return;
    expect(parsed.options).toHaveLength(1);
    const [option] = parsed.options;
    expect(option.kind).toBe('source-link-layer-address');
    if (option.kind === 'source-link-layer-address') expect(formatLinkLayerAddress(option.address)).toBe('52:bd:7e:77:7e:41');
  });

  it('reads the advertisement: R, S and O set, target link-layer address', () => {
    const parsed = parseCaptured(NEIGHBOR_ADVERTISEMENT);
    expect(parsed).toMatchObject({ kind: 'neighbor-advertisement', router: true, solicited: true, override: true, reserved: 0, target: 'fd00:212:1::fe' });
    if (parsed.kind === 'neighbor-advertisement') expect(parsed.options[0]).toMatchObject({ kind: 'target-link-layer-address', length: 1 });
  });

  it('builds router advertisements with prefix, MTU and RDNSS options, and reads them back', () => {
    const pseudo = { source: 'fe80::1', destination: 'ff02::1' };
    const message: Icmpv6MessageInit = {
      kind: 'router-advertisement',
      currentHopLimit: 64,
      managed: false,
      other: true,
      routerLifetime: 1800,
      reachableTime: 30000,
      retransTimer: 1000,
      options: [
        { kind: 'source-link-layer-address', address: fromHex('020000000001') },
        { kind: 'mtu', reserved: 0, mtu: 1500 },
        { kind: 'prefix-information', prefixLength: 64, onLink: true, autonomous: true, reservedFlags: 0, validLifetime: 86400, preferredLifetime: 14400, reserved: 0, prefix: 'fd00:1::' },
        { kind: 'recursive-dns-server', reserved: 0, lifetime: 600, servers: ['fd00:1::53', 'fd00:1::54'] },
      ],
    };
    const bytes = buildIcmpv6(message, pseudo);
    expect(bytes.length).toBe(16 + 8 + 8 + 32 + 40);
    const parsed = unwrap(parseIcmpv6(bytes, pseudo));
    expect(parsed).toMatchObject({ kind: 'router-advertisement', other: true, managed: false, routerLifetime: 1800, checksumValid: true });
    if (parsed.kind !== 'router-advertisement') return;
    expect(parsed.options.map((o) => o.kind)).toEqual(['source-link-layer-address', 'mtu', 'prefix-information', 'recursive-dns-server']);
    expect(parsed.options[2]).toMatchObject({ prefix: 'fd00:1::', prefixLength: 64, onLink: true, autonomous: true, validLifetime: 86400 });
    expect(parsed.options[3]).toMatchObject({ servers: ['fd00:1::53', 'fd00:1::54'], lifetime: 600, length: 5 });
    expect(toHex(buildIcmpv6(initOf(parsed)))).toBe(toHex(bytes));
  });

  it('router solicitation and redirect; unknown and malformed options are kept raw', () => {
    const pseudo = { source: 'fe80::2', destination: 'ff02::2' };
    const rs = unwrap(parseIcmpv6(buildIcmpv6({ kind: 'router-solicitation', options: [{ kind: 'raw', type: 14, bytes: fromHex('0e01 0102030405 06') }] }, pseudo), pseudo));
    expect(rs).toMatchObject({ kind: 'router-solicitation', options: [{ kind: 'raw', type: 14 }] });
    const redirect = unwrap(parseIcmpv6(buildIcmpv6({ kind: 'redirect', target: 'fe80::9', destination: 'fd00::5' }, pseudo), pseudo));
    expect(redirect).toMatchObject({ kind: 'redirect', target: 'fe80::9', destination: 'fd00::5', options: [] });
    expect(parseNdpOptions(fromHex('0100 0000'))).toEqual([{ kind: 'raw', type: 1, bytes: fromHex('01000000') }]);
    expect(parseNdpOptions(fromHex('0502 0000 000005dc'))).toEqual([{ kind: 'raw', type: 5, bytes: fromHex('05020000000005dc') }]);
  });
});

describe('multicast listener discovery', () => {
  it("reads the kernel's MLDv2 report: three 'changed to exclude' records", () => {
    const parsed = parseCaptured(MLDV2_REPORT_HBH);
    expect(parsed).toMatchObject({ kind: 'mldv2-report', type: 143, recordCount: 3 });
    if (parsed.kind !== 'mldv2-report') return;
    expect(parsed.records.map((r) => [r.recordType, r.multicastAddress, r.sources])).toEqual([
      [4, 'ff02::1:ff00:0', []],
      [4, 'ff05::2', []],
      [4, 'ff02::2', []],
    ]);
    expect(parsed.trailing.length).toBe(0);
  });

  it('MLDv1 query, report and done', () => {
    const pseudo = { source: 'fe80::1', destination: 'ff02::1' };
    for (const type of [130, 131, 132] as const) {
      const bytes = buildIcmpv6({ kind: 'mld', type, maximumResponseDelay: type === 130 ? 10000 : 0, multicastAddress: 'ff02::fb' }, pseudo);
      expect(bytes.length).toBe(24);
      expect(unwrap(parseIcmpv6(bytes, pseudo))).toMatchObject({ kind: 'mld', type, multicastAddress: 'ff02::fb', checksumValid: true });
    }
  });
});

describe('round trips byte for byte', () => {
  it.each(Object.entries(ALL))('%s', (_name, packet) => {
    const { message } = icmpOf(packet);
    const parsed = unwrap(parseIcmpv6(message));
    expect(toHex(buildIcmpv6(initOf(parsed)))).toBe(toHex(message));
  });

  it('random bytes never throw, and parse → build gives them back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.constantFrom(1, 2, 3, 4, 128, 129, 130, 133, 134, 135, 136, 137, 143, 200), (bytes, type) => {
        if (bytes.length > 0) bytes[0] = type;
        const result = parseIcmpv6(bytes, { source: 'fd00::1', destination: 'fd00::2' });
        if (result.ok) expect(toHex(buildIcmpv6(initOf(result.value)))).toBe(toHex(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});

const address = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6Address(b));
const u32 = fc.nat({ max: 0xffffffff });
const messageArbitrary: fc.Arbitrary<Icmpv6MessageInit> = fc.oneof(
  fc.record({ kind: fc.constant('echo' as const), type: fc.constantFrom(128 as const, 129 as const), identifier: fc.nat(0xffff), sequence: fc.nat(0xffff), payload: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('packet-too-big' as const), mtu: u32, original: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({ kind: fc.constant('parameter-problem' as const), code: fc.nat(255), pointer: u32, original: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({ kind: fc.constant('neighbor-solicitation' as const), target: address, options: fc.array(fc.record({ kind: fc.constant('source-link-layer-address' as const), address: fc.uint8Array({ minLength: 6, maxLength: 6 }) }), { maxLength: 2 }) }),
  fc.record({ kind: fc.constant('neighbor-advertisement' as const), router: fc.boolean(), solicited: fc.boolean(), override: fc.boolean(), target: address }),
  fc.record({ kind: fc.constant('redirect' as const), target: address, destination: address, options: fc.array(fc.record({ kind: fc.constant('mtu' as const), reserved: fc.nat(0xffff), mtu: u32 }), { maxLength: 2 }) }),
  fc.record({
    kind: fc.constant('mldv2-report' as const),
    records: fc.array(fc.record({ recordType: fc.integer({ min: 1, max: 6 }), multicastAddress: address, sources: fc.array(address, { maxLength: 2 }), auxiliaryData: fc.constant(new Uint8Array(0)) }), { maxLength: 3 }),
  }),
);

describe('build → parse → build', () => {
  it('is the identity for random messages, checksums right over random addresses', () => {
    fc.assert(
      fc.property(messageArbitrary, address, address, (message, source, destination) => {
        const bytes = buildIcmpv6(message, { source, destination });
        const parsed = unwrap(parseIcmpv6(bytes, { source, destination }));
        expect(parsed.kind).toBe(message.kind);
        expect(parsed.checksumValid).toBe(true);
        expect(toHex(buildIcmpv6(initOf(parsed)))).toBe(toHex(bytes));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('names', () => {
  it("iputils ping's words for errors", () => {
    expect(iputilsIcmpv6Text(1, 3, 0)).toBe('Destination unreachable: Address unreachable');
    expect(iputilsIcmpv6Text(1, 4, 0)).toBe('Destination unreachable: Port unreachable');
    expect(iputilsIcmpv6Text(1, 0, 0)).toBe('Destination unreachable: No route');
    expect(iputilsIcmpv6Text(1, 9, 0)).toBe('Destination unreachable: Unknown code 9');
    expect(iputilsIcmpv6Text(3, 0, 0)).toBe('Time exceeded: Hop limit');
    expect(iputilsIcmpv6Text(3, 1, 0)).toBe('Time exceeded: Defragmentation failure');
    expect(iputilsIcmpv6Text(2, 0, 1280)).toBe('Packet too big: mtu=1280');
    expect(iputilsIcmpv6Text(4, 1, 40)).toBe('Parameter problem: Unknown header at 40');
    expect(iputilsIcmpv6Text(4, 0, 6)).toBe('Parameter problem: Wrong header field at 6');
  });

  it('type and code names', () => {
    expect(icmpv6TypeName(Icmpv6Type.EchoRequest)).toBe('Echo (ping) request');
    expect(icmpv6TypeName(143)).toBe('Multicast Listener Report Message v2');
    expect(icmpv6CodeName(1, 4)).toBe('Port unreachable');
    expect(icmpv6CodeName(3, 0)).toBe('hop limit exceeded in transit');
    expect(icmpv6TypeName(42)).toBeUndefined();
  });
});

const hasTshark = spawnSync('sh', ['-c', 'command -v tshark']).status === 0;

/** A pcap (LINKTYPE_RAW) holding the packets, for tshark. */
function rawPcap(packets: readonly Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(101, 20);
  const records = packets.map((p, i) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(i + 1, 0);
    record.writeUInt32LE(p.length, 8);
    record.writeUInt32LE(p.length, 12);
    return Buffer.concat([record, Buffer.from(p)]);
  });
  return Buffer.concat([header, ...records]);
}

describe.skipIf(!hasTshark && !IN_CI)('names as tshark prints them', () => {
  it('for every named type and every named code', () => {
    const source = 'fd00::1';
    const destination = 'fd00::2';
    const cases: Array<[number, number]> = [];
    for (let type = 0; type < 256; type++) {
      if (icmpv6TypeName(type) === undefined) continue;
      let code = 0;
      do cases.push([type, code]);
      while (icmpv6CodeName(type, ++code) !== undefined);
    }
    const packets = cases.map(([type, code]) =>
      buildIpv6(
        { protocol: 58, source, destination },
        buildIcmpv6({ kind: 'other', type, code, payload: type < 128 ? ECHO_REQUEST : new Uint8Array(40) }, { source, destination }),
      ),
    );
    const dir = mkdtempSync(join(tmpdir(), 'icmpv6-names-'));
    try {
      const file = join(dir, 'names.pcap');
      writeFileSync(file, rawPcap(packets));
      const run = spawnSync('tshark', ['-r', file, '-V', '-O', 'icmpv6'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(run.status, run.stderr).toBe(0);
      // The outer ICMPv6 header's lines come first in each frame: "    Type: NAME (n)" then "    Code: n (NAME)".
      const frames = run.stdout.split(/^Frame \d+:/m).slice(1);
      expect(frames).toHaveLength(cases.length);
      frames.forEach((frame, i) => {
        const [type, code] = cases[i];
        const typeLine = /^ {4}Type: (.*) \((\d+)\)$/m.exec(frame);
        expect(typeLine?.[1], `type ${type}`).toBe(icmpv6TypeName(type));
        const codeName = icmpv6CodeName(type, code);
        if (codeName !== undefined) expect(/^ {4}Code: \d+ \((.*)\)$/m.exec(frame)?.[1], `type ${type} code ${code}`).toBe(codeName);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

