// The scapy-short layers over IPv6 (src/wire/layers.ts): ipv6()/icmp6()
// compose like ip()/icmp(), give the wire builders' bytes and scapy's,
// keep hand-set fields, and parseLayers reads IPv6 packets back.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildIcmpv6Echo } from '../src/wire/icmpv6.ts';
import { IpProtocol } from '../src/wire/ipv4.ts';
import { buildIpv6 } from '../src/wire/ipv6.ts';
import { icmp6, ip, ipv6, LAYER_FIELDS, LayerFieldError, parseLayers, parsePacket } from '../src/wire/layers.ts';
import { buildTcp, TcpFlag } from '../src/wire/tcp.ts';
import { buildUdp } from '../src/wire/udp.ts';
import { toHex } from './helpers/hex.ts';
import { IN_CI } from './helpers/ci-requirements.ts';
import { ECHO_REQUEST, FIRST_FRAGMENT, MLDV2_REPORT_HBH, SECOND_FRAGMENT, UDP_PROBE } from './helpers/ipv6-captures.ts';

describe('ipv6 layers: the same bytes as the wire builders', () => {
  it('ipv6/icmp6 echo with a payload', () => {
    const built = ipv6({ dst: 'fd00::2', src: 'fd00::1', hlim: 9 }).icmp6({ id: 1, seq: 1 }).payload('hi').build();
    const pseudo = { source: 'fd00::1', destination: 'fd00::2' };
    const expected = buildIpv6({ protocol: IpProtocol.ICMPv6, hopLimit: 9, ...pseudo }, buildIcmpv6Echo({ identifier: 1, sequence: 1, payload: 'hi' }, pseudo));
    expect(toHex(built)).toBe(toHex(expected));
  });

  it('ipv6/udp and ipv6/tcp with checksums over the IPv6 pseudo-header', () => {
    const pseudo = { source: 'fd00::1', destination: 'fd00::2' };
    expect(toHex(ipv6({ src: 'fd00::1', dst: 'fd00::2' }).udp({ sport: 5000, dport: 53 }).payload('q').build())).toBe(
      toHex(buildIpv6({ protocol: 17, ...pseudo }, buildUdp({ sourcePort: 5000, destinationPort: 53, payload: new TextEncoder().encode('q') }, pseudo))),
    );
    expect(toHex(ipv6({ src: 'fd00::1', dst: 'fd00::2' }).tcp({ dport: 22, flags: 'S' }).build())).toBe(
      toHex(buildIpv6({ protocol: 6, ...pseudo }, buildTcp({ sourcePort: 20, destinationPort: 22, flags: TcpFlag.SYN, window: 8192 }, pseudo))),
    );
  });

  it('defaults: ::1 to ::1, hop limit 64, next header 59 with nothing above', () => {
    const bytes = ipv6().build();
    expect(bytes.length).toBe(40);
    expect([bytes[6], bytes[7]]).toEqual([59, 64]);
    expect(toHex(bytes.subarray(8, 40))).toBe('00000000000000000000000000000001'.repeat(2));
    expect(toHex(ipv6({ dst: 'fd00::2' }).build().subarray(8, 24))).toBe('0'.repeat(32));
  });

  it('extension headers from `ext`, chained and padded', () => {
    const bytes = ipv6({ src: 'fd00::1', dst: 'fd00::2', ext: [{ kind: 'hop-by-hop', options: Uint8Array.of(5, 2, 0, 0) }] }).icmp6({ id: 3 }).build();
    expect([bytes[6], bytes[40], bytes[41]]).toEqual([0, 58, 0]);
    expect(parsePacket(bytes).layer('icmp6')).toMatchObject({ type: 128, id: 3 });
  });
});

describe('ipv6 layers: hand-set fields stay wrong, mistakes are one line', () => {
  it('keeps plen, nh and chksum', () => {
    const bytes = ipv6({ dst: '::1', plen: 3, nh: 200 }).icmp6({ chksum: 0xbeef, type: 1, code: 4 }).build();
    expect([(bytes[4] << 8) | bytes[5], bytes[6]]).toEqual([3, 200]);
    expect(toHex(bytes.subarray(40, 44))).toBe('0104beef');
  });

  it('icmp goes above ip and icmp6 above ipv6; tcp and udp above either', () => {
    expect(() => ipv6().icmp()).toThrow(LayerFieldError);
    expect(() => ipv6().icmp()).toThrow(/icmp goes above ip, not above ipv6/);
    expect(() => ip().icmp6()).toThrow(/icmp6 goes above ipv6, not above ip/);
    expect(() => ipv6().udp().build()).not.toThrow();
    expect(() => ipv6({ hop: 1 } as never)).toThrow(/ipv6 has no field 'hop'/);
    expect(() => icmp6({ id: 1 }).build()).toThrow(/icmp6 needs an ipv6 layer below it/);
    expect(toHex(icmp6({ id: 1, chksum: 0 }).build())).toBe('8000000000010000');
  });

  it('ls() knows both new layers', () => {
    expect(LAYER_FIELDS.ipv6.map((f) => f.name)).toEqual(['version', 'tc', 'fl', 'plen', 'nh', 'hlim', 'src', 'dst', 'ext']);
    expect(LAYER_FIELDS.icmp6.map((f) => f.name)).toEqual(['type', 'code', 'chksum', 'id', 'seq']);
  });
});

describe('parseLayers on IPv6', () => {
  it('reads a captured echo request', () => {
    const layers = parseLayers(ECHO_REQUEST);
    expect(layers.map((l) => l.name)).toEqual(['ipv6', 'icmp6', 'raw']);
    expect(layers[0].fields).toMatchObject({ src: 'fd00:212:1::1', dst: 'fd00:213:1::2', hlim: 64, fl: 0x49b96, nh: 58 });
    expect(layers[1].fields).toMatchObject({ type: 128, code: 0, id: 30822, seq: 1 });
  });

  it('a UDP datagram, an MLDv2 report behind hop-by-hop, fragments', () => {
    expect(parseLayers(UDP_PROBE).map((l) => l.name)).toEqual(['ipv6', 'udp', 'raw']);
    const mld = parseLayers(MLDV2_REPORT_HBH);
    expect(mld.map((l) => l.name)).toEqual(['ipv6', 'icmp6', 'raw']);
    expect((mld[0].fields as { ext?: unknown[] }).ext).toHaveLength(1);
    expect(parseLayers(FIRST_FRAGMENT).map((l) => l.name)).toEqual(['ipv6', 'icmp6', 'raw']);
    expect(parseLayers(SECOND_FRAGMENT).map((l) => l.name)).toEqual(['ipv6', 'raw']);
  });

  it('rebuilding the parsed layers (received bytes dropped) gives the same bytes', () => {
    for (const bytes of [ECHO_REQUEST, UDP_PROBE, MLDV2_REPORT_HBH]) {
      const packet = parsePacket(bytes);
      expect(toHex(packet.with('ipv6', {}).build())).toBe(toHex(bytes));
    }
  });

  it('never throws on random bytes that claim version 6', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        if (bytes.length) bytes[0] = 0x60 | (bytes[0] & 0xf);
        expect(toHex(parsePacket(bytes).build())).toBe(toHex(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasScapy = spawnSync(PYTHON, ['-c', 'import scapy.all'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasScapy && !IN_CI)('ipv6 layers: the same bytes as scapy', () => {
  it('for every case', () => {
    const cases: Array<[string, Uint8Array]> = [
      ["IPv6(dst='::1')/ICMPv6EchoRequest(id=1,seq=1,data=b'hi')", ipv6({ dst: '::1' }).icmp6({ id: 1, seq: 1 }).payload('hi').build()],
      ["IPv6(src='fd00::1',dst='fd00::2',hlim=1)/ICMPv6EchoRequest(id=0x1234,seq=7)", ipv6({ src: 'fd00::1', dst: 'fd00::2', hlim: 1 }).icmp6({ id: 0x1234, seq: 7 }).build()],
      ["IPv6(src='fd00::1',dst='fd00::2',tc=0x10,fl=0xabcde)/UDP(sport=1000,dport=53)/b'q'", ipv6({ src: 'fd00::1', dst: 'fd00::2', tc: 0x10, fl: 0xabcde }).udp({ sport: 1000, dport: 53 }).payload('q').build()],
      ["IPv6(src='fd00::1',dst='fd00::2')/TCP(dport=22,flags='S')", ipv6({ src: 'fd00::1', dst: 'fd00::2' }).tcp({ dport: 22, flags: 'S' }).build()],
      ["IPv6(dst='::1')", ipv6({ dst: '::1' }).build()],
    ];
    const script = `from scapy.all import *\n${cases.map(([expression]) => `print(bytes(${expression}).hex())`).join('\n')}\n`;
    const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(cases.map(([, bytes]) => toHex(bytes)));
  });
});
