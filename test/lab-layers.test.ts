// The scapy-short layer composition (src/wire/layers.ts): the bytes equal the
// wire builders' output for the same fields and scapy's for the same
// packet, defaults are scapy's, every field can be overridden (wrong packets
// included), parsing never throws, and mistakes are one clear line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildIcmpEcho } from '../src/wire/icmp.ts';
import { buildIpv4, IpProtocol } from '../src/wire/ipv4.ts';
import { icmp, ip, ipv6, LAYER_FIELDS, LayerFieldError, Packet, parsePacket, tcp } from '../src/wire/layers.ts';
import { buildTcp, TcpFlag } from '../src/wire/tcp.ts';
import { buildUdp } from '../src/wire/udp.ts';
import { IN_CI } from './helpers/ci-requirements.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('layers: the same bytes as the wire builders', () => {
  it('ip/icmp echo with a payload', () => {
    const built = ip({ dst: '127.0.0.1', id: 7, ttl: 9 }).icmp({ id: 0x1234, seq: 1 }).payload('hi').build();
    const icmpBytes = buildIcmpEcho({ identifier: 0x1234, sequence: 1, payload: 'hi' });
    const expected = buildIpv4({ protocol: IpProtocol.ICMP, source: '127.0.0.1', destination: '127.0.0.1', identification: 7, ttl: 9 }, icmpBytes);
    expect(hex(built)).toBe(hex(expected));
  });

  it('ip/tcp SYN, checksum over the pseudo-header', () => {
    const built = ip({ src: '10.0.0.1', dst: '10.0.0.2' }).tcp({ sport: 1234, dport: 80, flags: 'S', seq: 1000 }).build();
    const segment = buildTcp(
      { sourcePort: 1234, destinationPort: 80, sequenceNumber: 1000, flags: TcpFlag.SYN, window: 8192 },
      { source: '10.0.0.1', destination: '10.0.0.2' },
    );
    const expected = buildIpv4({ protocol: IpProtocol.TCP, source: '10.0.0.1', destination: '10.0.0.2', identification: 1 }, segment);
    expect(hex(built)).toBe(hex(expected));
  });

  it('ip/udp with a payload', () => {
    const built = ip({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ sport: 5000, dport: 53 }).payload('q').build();
    const datagram = buildUdp({ sourcePort: 5000, destinationPort: 53, payload: new TextEncoder().encode('q') }, { source: '10.0.0.1', destination: '10.0.0.2' });
    const expected = buildIpv4({ protocol: IpProtocol.UDP, source: '10.0.0.1', destination: '10.0.0.2', identification: 1 }, datagram);
    expect(hex(built)).toBe(hex(expected));
  });
});

describe('layers: fields set by hand stay wrong', () => {
  it('keeps a checksum, length and protocol given by hand', () => {
    const bytes = ip({ dst: '127.0.0.1', chksum: 0xdead, len: 99, proto: 200 }).icmp({ chksum: 0xbeef }).build();
    expect(hex(bytes.subarray(10, 12))).toBe('dead');
    expect((bytes[2] << 8) | bytes[3]).toBe(99);
    expect(bytes[9]).toBe(200);
    expect(hex(bytes.subarray(22, 24))).toBe('beef');
  });

  it('does not change the packet it was made from (each call returns a new one)', () => {
    const base = ip({ dst: '127.0.0.1' }).icmp({ seq: 1 });
    const changed = base.with('icmp', { seq: 2 }).with('ip', { ttl: 1 });
    expect(base.layer('icmp')).toEqual({ seq: 1 });
    expect(changed.layer('icmp')).toEqual({ seq: 2 });
    expect(changed.build()[8]).toBe(1);
  });

  it('builds an ICMP message alone, as a socket without IP_HDRINCL takes it', () => {
    expect(hex(icmp({ id: 1, seq: 2 }).build())).toBe(hex(buildIcmpEcho({ identifier: 1, sequence: 2 })));
  });
});

describe('layers: mistakes are one clear line', () => {
  it.each([
    [() => ip({ ttl: 1, foo: 2 } as never), "ip has no field 'foo'; its fields: version, ihl, tos, len, id, flags, frag, ttl, proto, chksum, src, dst, options"],
    [() => ip().tcp({ flags: 'SX' }), "tcp flags: 'X' is not one of F S R P A U E C N (e.g. 'S', 'SA', 'FA')"],
    [() => ip({ flags: 'XF' }), "ip flags: 'XF' is not DF, MF or evil"],
    [() => ip().icmp({ seq: -1 }), 'icmp.seq must be an integer 0-65535 (short), not -1'],
    // Was RangeError "offset is out of bounds": the number reached the ICMP builder as a payload of undefined length.
    [() => ip().icmp().payload(5 as never).build(), 'payload must be text or a Uint8Array, not 5 (for N zero bytes: payload(new Uint8Array(N)))'],
    [() => ip({ ttl: 256 }), 'ip.ttl must be an integer 0-255 (byte), not 256'],
    [() => ip().tcp({ flags: 512 }), "tcp.flags must be letters ('S', 'SA') or an integer 0-511, not 512"],
    [() => ip({ dst: 42 as never }), 'ip.dst must be an IPv4 address as text, not 42'],
    [() => ipv6({ fl: 0x100000 }), 'ipv6.fl must be an integer 0-1048575 (20 bits), not 1048576'],
    [() => ip({ dst: 'localhost' }).icmp().build(), 'cannot build ip(dst=localhost) / icmp(): not an IPv4 address: "localhost"'],
    [() => ip({ options: 'x' as never }), 'ip.options must be a Uint8Array (the option bytes), not "x"'],
    [() => ip().payload('x').icmp(), 'nothing goes above the payload: put .icmp() before .payload()'],
    [() => ip().icmp().tcp(), 'tcp goes above ip or ipv6, not above icmp'],
    [() => tcp().build(), 'tcp needs an ip layer below it for its checksum (or set chksum)'],
  ])('%#', (make, message) => {
    expect(make).toThrow(LayerFieldError);
    expect(make).toThrow(message);
  });
});

describe('layers: any field value builds or is a LayerFieldError', () => {
  // Values of every kind a user can type (or a script can compute): in range,
  // out of range, fractions, text, bytes, arrays, objects, null.
  const anyValue = fc.oneof(
    fc.integer({ min: -5, max: 70_000 }),
    fc.constantFrom(0, 15, 16, 255, 256, 511, 512, 65_535, 65_536, 2 ** 20, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -1, 1.5, Number.NaN, Infinity),
    fc.string({ maxLength: 6 }),
    fc.constantFrom('S', 'SA', 'DF', 'MF+DF', '::1', 'fd00::2', '127.0.0.1', '10.0.0.300', 'localhost', ''),
    fc.uint8Array({ maxLength: 60 }),
    fc.constantFrom(undefined, null, true, {}, [], [1, 2]),
    fc.constantFrom(
      [{ kind: 'mss', value: 1460 }],
      [{ kind: 'mss', value: 1e9 }],
      [{ kind: 'bogus' }],
      [{ kind: 'fragment', identification: 7, moreFragments: true }],
      [{ kind: 'hop-by-hop', options: new Uint8Array([1, 0]) }],
      [{ kind: 'routing', routingType: 300 }],
      [{ kind: 'raw', type: 60, bytes: new Uint8Array(3) }],
    ),
  );
  const fieldsOf = (layer: keyof typeof LAYER_FIELDS) =>
    fc.dictionary(fc.constantFrom(...LAYER_FIELDS[layer].map((f) => f.name)), anyValue, { maxKeys: 4 });
  const stacks = [
    ['ip', 'icmp'], ['ip', 'tcp'], ['ip', 'udp'], ['ip'], ['ipv6', 'icmp6'], ['ipv6', 'tcp'], ['ipv6', 'udp'], ['ipv6'], ['icmp'], ['icmp6'], ['tcp'], ['udp'],
  ] as const;
  const packetSpec = fc.constantFrom(...stacks).chain((stack) =>
    fc.tuple(fc.constant(stack), fc.tuple(...stack.map((layer) => fieldsOf(layer))), fc.option(anyValue, { nil: undefined })),
  );

  it('building never throws anything but LayerFieldError', () => {
    fc.assert(
      fc.property(packetSpec, ([stack, fieldSets, payload]) => {
        try {
          let packet = new Packet([]);
          stack.forEach((layer, i) => {
            packet = (packet[layer] as (fields: object) => Packet).call(packet, fieldSets[i]);
          });
          if (payload !== undefined) packet = packet.payload(payload as never);
          expect(packet.build()).toBeInstanceOf(Uint8Array);
        } catch (error) {
          if (!(error instanceof LayerFieldError)) throw error;
          expect((error as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('layers: parsing', () => {
  it('reads back what it built, and build() of a parsed packet gives the bytes unchanged', () => {
    const bytes = ip({ dst: '127.0.0.1', ttl: 3 }).tcp({ sport: 1, dport: 2, flags: 'SA', seq: 5, ack: 6 }).payload('data').build();
    const parsed = parsePacket(bytes);
    expect(parsed.layers.map((l) => l.name)).toEqual(['ip', 'tcp', 'raw']);
    expect(parsed.layer('ip')).toMatchObject({ ttl: 3, proto: 6, src: '127.0.0.1', dst: '127.0.0.1' });
    expect(parsed.layer('tcp')).toMatchObject({ sport: 1, dport: 2, flags: 'SA', seq: 5, ack: 6 });
    expect(hex(parsed.build())).toBe(hex(bytes));
  });

  it('never throws on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const packet = parsePacket(bytes);
        expect(packet.build()).toBe(bytes);
      }),
      { numRuns: 2000 },
    );
  });
});

// scapy computes the same defaults (IP id 1, TTL 64, TCP sport 20/dport 80,
// window 8192, flags S, UDP ports 53): equal fields give equal bytes.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasScapy = spawnSync(PYTHON, ['-c', 'import scapy.all'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasScapy && !IN_CI)('layers: the same bytes as scapy', () => {
  const cases: Array<[string, Uint8Array]> = [
    ["IP(dst='127.0.0.1')/ICMP(id=0x1234,seq=1)/'hi'", ip({ dst: '127.0.0.1' }).icmp({ id: 0x1234, seq: 1 }).payload('hi').build()],
    ["IP(dst='127.0.0.1',ttl=7,id=99)/ICMP(type=3,code=3)", ip({ dst: '127.0.0.1', ttl: 7, id: 99 }).icmp({ type: 3, code: 3 }).build()],
    ["IP(dst='127.0.0.1')/TCP(dport=80,flags='S')", ip({ dst: '127.0.0.1' }).tcp({ dport: 80, flags: 'S' }).build()],
    [
      "IP(src='10.1.2.3',dst='10.9.8.7',flags='DF',tos=0x10)/TCP(sport=4444,dport=443,flags='PA',seq=123456,ack=654321,window=512)/'GET /'",
      ip({ src: '10.1.2.3', dst: '10.9.8.7', flags: 'DF', tos: 0x10 }).tcp({ sport: 4444, dport: 443, flags: 'PA', seq: 123456, ack: 654321, window: 512 }).payload('GET /').build(),
    ],
    ["IP(dst='127.0.0.1',ttl=7)/UDP(sport=1000,dport=53)/'q'", ip({ dst: '127.0.0.1', ttl: 7 }).udp({ sport: 1000, dport: 53 }).payload('q').build()],
    ["IP(dst='127.0.0.1')/UDP()", ip({ dst: '127.0.0.1' }).udp().build()],
    ["IP(dst='127.0.0.1',chksum=0x1234)/ICMP(chksum=0)", ip({ dst: '127.0.0.1', chksum: 0x1234 }).icmp({ chksum: 0 }).build()],
  ];

  it('for every case', () => {
    const script = `from scapy.all import *\n${cases.map(([expression]) => `print(bytes(${expression}).hex())`).join('\n')}\n`;
    const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual(cases.map(([, bytes]) => hex(bytes)));
  });
});
