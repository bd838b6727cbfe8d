// dissect over IPv6: the -V wording for what only IPv6 has (extension
// headers, NDP flags and options, MLDv2 records, a fragment header), the
// zero UDP checksum rule (RFC 8200 8.1: absent over IPv4, wrong over IPv6),
// echo pairing, and the summary fast path held equal to the full dissection
// on random IPv6 packets, good and broken, on three link types. The tshark
// comparisons (every field, every summary line) are in
// test/wireshark-agreement.test.ts and test/dissect-cli.test.ts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { CaptureDissector, type FrameInput } from '../src/dissection/capture-dissector.ts';
import { formatSummaryLine } from '../src/render/packet-summary.ts';
import { buildIcmpv6 } from '../src/wire/icmpv6.ts';
import { buildIpv4, IpProtocol } from '../src/wire/ipv4.ts';
import { buildIpv6, type Ipv6ExtensionHeaderInit } from '../src/wire/ipv6.ts';
import { LINKTYPE } from '../src/wire/link-type.ts';
import { encodePcap } from '../src/wire/pcap.ts';
import { buildTcp } from '../src/wire/tcp.ts';
import { buildUdp } from '../src/wire/udp.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';
import { runTool } from './helpers/run-tool.ts';

const fixture = (name: string) => `fixtures/${name}`;
const dir = mkdtempSync(join(tmpdir(), 'packet-lab-dissect6-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function packets(args: string[]): Record<string, any>[] {
  const { records, problems } = checkJsonOutput(runTool('dissect', ['--json', ...args]).stdout, 'dissect');
  expect(problems).toEqual([]);
  return records.filter((r) => r.type === 'packet');
}

describe('dissect -V over IPv6', () => {
  it('draws the hop-by-hop router alert an MLDv2 report carries, and its address record', () => {
    const tree = runTool('dissect', ['-V', '-c', '1', fixture('mldv2.pcap')]).stdout;
    expect(tree).toContain('    Next Header: IPv6 Hop-by-Hop Option (0)\n');
    expect(tree).toContain('    IPv6 Hop-by-Hop Option\n        Next Header: ICMPv6 (58)\n        Length: 0\n        [Length: 8 bytes]\n        Router Alert\n');
    expect(tree).toContain('            Router Alert: MLD (0)\n');
    expect(tree).toContain('    Type: Multicast Listener Report Message v2 (143)\n');
    expect(tree).toContain('    Multicast Address Record Changed to exclude: ff15::77\n        Record Type: Changed to exclude (4)\n');
    expect(tree).toContain('[Protocols in frame: eth:ethertype:ipv6:ipv6.hopopts:icmpv6]');
  });

  it('shows the neighbor advertisement flags bit by bit and its target link-layer address option', () => {
    const tree = runTool('dissect', ['-V', '-c', '2', fixture('ndp6.pcap')]).stdout;
    expect(tree).toContain('    Flags: 0x60000000, Solicited, Override\n');
    expect(tree).toContain('        0... .... .... .... .... .... .... .... = Router: Not set\n');
    expect(tree).toContain('        .1.. .... .... .... .... .... .... .... = Solicited: Set\n');
    expect(tree).toContain('    ICMPv6 Option (Target link-layer address : 02:70:6c:06:00:02)\n        Type: Target link-layer address (2)\n        Length: 1 (8 bytes)\n');
    expect(tree).toContain('    Target Address: fd00:77:1::3\n');
  });

  it('shows a fragment header and the fragment bytes, not a message it cannot see whole', () => {
    const tree = runTool('dissect', ['-V', '-c', '1', fixture('iputils-ping6-fragmented.pcap')]).stdout;
    expect(tree).toContain('    Fragment Header for IPv6\n        Next header: ICMPv6 (58)\n        Reserved octet: 0x00\n');
    expect(tree).toContain('        0000 0000 0000 0... = Offset: 0 (0 bytes)\n');
    expect(tree).toContain('        .... .... .... ...1 = More Fragments: Yes\n');
    expect(tree).toContain('Data (1448 bytes)\n');
    expect(tree).not.toContain('Internet Control Message Protocol v6');
  });
});

describe('dissect --json over IPv6', () => {
  it('pairs each echo reply with its request, with the time between them, on every link type', () => {
    for (const name of ['iputils-ping6.pcap', 'sll-any6.pcap', 'sll2-any6.pcap', 'loopback-null6.pcap', 'raw-ip6.pcap']) {
      const all = packets([fixture(name)]);
      const replies = all.filter((p) => p.icmpv6?.type === 129);
      expect(replies.length, name).toBeGreaterThanOrEqual(3);
      for (const reply of replies) {
        const request = all[reply.icmpv6.requestFrame - 1];
        expect(request.icmpv6, name).toMatchObject({ type: 128, identifier: reply.icmpv6.identifier, sequence: reply.icmpv6.sequence });
        expect(request.ipv6.source).toBe(reply.ipv6.destination);
        expect(reply.icmpv6.responseTimeMs).toBeCloseTo(reply.relativeTimeMs - request.relativeTimeMs, 6);
      }
    }
  });

  it('quotes the probe a port unreachable answers: IPv6 header and UDP ports', () => {
    const error = packets([fixture('traceroute6-udp.pcap')])[3];
    expect(error.icmpv6).toMatchObject({ type: 1, code: 4, codeName: 'Port unreachable' });
    expect(error.icmpv6.quoted.ipv6).toMatchObject({ hopLimit: 1, protocol: 17, source: 'fd00:77:2::2', destination: 'fd00:77:3::2' });
    expect(error.icmpv6.quoted.udp).toMatchObject({ destinationPort: 33435, length: 40, checksum: { status: 'correct' } });
  });

  it('calls a zero UDP checksum absent over IPv4 and wrong over IPv6 (RFC 8200 8.1)', () => {
    const payload = new TextEncoder().encode('zero checksum');
    const udp = buildUdp({ sourcePort: 40000, destinationPort: 33434, checksum: 0, payload });
    const frames = [
      buildIpv4({ protocol: IpProtocol.UDP, source: '10.0.0.1', destination: '10.0.0.2' }, udp),
      buildIpv6({ protocol: IpProtocol.UDP, source: 'fd00::1', destination: 'fd00::2' }, udp),
      buildIpv6({ protocol: IpProtocol.UDP, source: 'fd00::1', destination: 'fd00::2' }, buildUdp({ sourcePort: 40000, destinationPort: 33434, payload }, { source: 'fd00::1', destination: 'fd00::2' })),
    ];
    const file = join(dir, 'udp-zero-checksum.pcap');
    writeFileSync(file, encodePcap({ linkType: LINKTYPE.RAW }, frames.map((data, i) => ({ data, timestamp: { seconds: 1_700_000_000, fraction: i } }))));
    const [v4, v6, right] = packets([file]);
    expect(v4.udp.checksum).toMatchObject({ value: 0, status: 'not-present' });
    expect(v6.udp.checksum).toMatchObject({ value: 0, status: 'incorrect', zeroIllegal: true });
    expect(v6.udp.checksum.expected).toBe(right.udp.checksum.value);
    expect(right.udp.checksum.status).toBe('correct');
    const lines = runTool('dissect', [file]).stdout.trim().split('\n');
    expect(lines[0]).not.toContain('CHECKSUM INCORRECT');
    expect(lines[1]).toMatch(/fd00::1 → fd00::2 +UDP 61 40000 → 33434 Len=13 \[UDP CHECKSUM INCORRECT\]$/);
  });
});

describe('the IPv6 summary fast path', () => {
  const record = (data: Uint8Array, linkType: number, index: number, captured = data.length): FrameInput => ({
    data: data.subarray(0, captured),
    linkType,
    capturedLength: captured,
    originalLength: data.length,
    timestampSeconds: 1_700_000_000 + index,
    timestampFraction: index * 7,
    fractionsPerSecond: 1e6,
  });
  const tookFastPath = (view: object) => !('link' in view) || (view as { link?: unknown }).link === undefined;

  const arbitrary = fc.record({
    kind: fc.constantFrom('echo', 'ns', 'na', 'unreachable', 'mld', 'udp', 'tcp'),
    client: fc.boolean(),
    identifier: fc.nat(3),
    sequence: fc.nat(3),
    flags: fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x04),
    seq: fc.nat(0xffffffff),
    payload: fc.uint8Array({ maxLength: 40 }),
    extension: fc.constantFrom('none', 'none', 'hop-by-hop', 'destination', 'first-fragment', 'later-fragment', 'split'),
    mutation: fc.constantFrom('none', 'none', 'none', 'checksum', 'cut', 'payload-length', 'udp-zero'),
    link: fc.constantFrom(LINKTYPE.RAW, LINKTYPE.ETHERNET, LINKTYPE.LINUX_SLL2),
  });

  it('gives the same line as the full dissection on random IPv6 packets, good and broken', () => {
    let fast = 0;
    fc.assert(
      fc.property(fc.array(arbitrary, { minLength: 1, maxLength: 10 }), (list) => {
        const summarizer = new CaptureDissector();
        const dissector = new CaptureDissector();
        list.forEach((p, index) => {
          const source = p.client ? 'fd00::1' : 'fd00::2';
          const destination = p.client ? 'fd00::2' : 'fd00::1';
          const pseudo = { source, destination };
          let protocol: number = IpProtocol.ICMPv6;
          let transport: Uint8Array;
          switch (p.kind) {
            case 'echo':
              transport = buildIcmpv6({ kind: 'echo', type: p.client ? 128 : 129, identifier: p.identifier, sequence: p.sequence, payload: p.payload }, pseudo);
              break;
            case 'ns':
              transport = buildIcmpv6({ kind: 'neighbor-solicitation', target: destination, options: [{ kind: 'source-link-layer-address', address: Uint8Array.of(2, 0, 0, 0, 0, 1) }] }, pseudo);
              break;
            case 'na':
              transport = buildIcmpv6({ kind: 'neighbor-advertisement', target: source, solicited: p.client, override: true, options: [{ kind: 'target-link-layer-address', address: Uint8Array.of(2, 0, 0, 0, 0, 2) }] }, pseudo);
              break;
            case 'unreachable': {
              const quoted = buildIpv6({ protocol: IpProtocol.UDP, source: destination, destination: source }, buildUdp({ sourcePort: 5000, destinationPort: 33434, payload: p.payload }, { source: destination, destination: source }));
              transport = buildIcmpv6({ kind: 'destination-unreachable', code: 4, original: quoted }, pseudo);
              break;
            }
            case 'mld':
              transport = buildIcmpv6({ kind: 'mldv2-report', records: [{ recordType: 4, multicastAddress: 'ff15::77', sources: [], auxiliaryData: new Uint8Array(0) }] }, pseudo);
              break;
            case 'udp':
              protocol = IpProtocol.UDP;
              transport = buildUdp({ sourcePort: 5000, destinationPort: 53, payload: p.payload, ...(p.mutation === 'udp-zero' ? { checksum: 0 } : {}) }, pseudo);
              break;
            default:
              protocol = IpProtocol.TCP;
              transport = buildTcp({ sourcePort: p.client ? 5000 : 80, destinationPort: p.client ? 80 : 5000, sequenceNumber: p.seq, acknowledgmentNumber: 1, flags: p.flags, payload: p.payload }, pseudo);
          }
          if (p.mutation === 'checksum') transport[transport.length > 7 ? 7 : 0] ^= 0x01;
          const extensionHeaders: Ipv6ExtensionHeaderInit[] =
            p.extension === 'hop-by-hop'
              ? [{ kind: 'hop-by-hop', options: Uint8Array.of(5, 2, 0, 0) }]
              : p.extension === 'destination'
                ? [{ kind: 'destination-options' }]
                : p.extension === 'first-fragment'
                  ? [{ kind: 'fragment', identification: index, moreFragments: true }]
                  : p.extension === 'later-fragment'
                    ? [{ kind: 'fragment', identification: index, fragmentOffset: 2 }]
                    : [];
          // 'split': the packet in two fragments, reassembled in the second.
          const fragmentOf = (offset: number, data: Uint8Array, more: boolean) =>
            buildIpv6({ protocol, source, destination, hopLimit: 64 - index, extensionHeaders: [{ kind: 'fragment', fragmentOffset: offset / 8, moreFragments: more, identification: 1000 + index }] }, data);
          const packets =
            p.extension === 'split'
              ? [fragmentOf(0, transport.subarray(0, 8), true), fragmentOf(8, transport.subarray(8), false)]
              : [buildIpv6({ protocol, source, destination, hopLimit: 64 - index, extensionHeaders }, transport)];
          for (const packet of packets) {
            if (p.mutation === 'payload-length') packet[5] ^= 0x04;
            const frame =
              p.link === LINKTYPE.ETHERNET
                ? Uint8Array.from([...new Uint8Array(12), 0x86, 0xdd, ...packet])
                : p.link === LINKTYPE.LINUX_SLL2
                  ? Uint8Array.from([0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...packet])
                  : packet;
            const captured = p.mutation === 'cut' ? Math.max(1, frame.length - 3) : frame.length;
            const view = summarizer.summarize(record(frame, p.link, index, captured));
            if (tookFastPath(view)) fast++;
            expect(formatSummaryLine(view, 6)).toBe(formatSummaryLine(dissector.dissect(record(frame, p.link, index, captured)), 6));
          }
        });
      }),
      { numRuns: 300 },
    );
    expect(fast).toBeGreaterThan(300);
  });
});
