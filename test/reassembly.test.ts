// IPv4 and IPv6 reassembly and IPv4 options against tshark on real captures
// (fixtures/ip-fragments.pcap: iputils pings of 2000 and 4000 bytes fragmented
// at MTU 1500; fixtures/iputils-ping6-fragmented.pcap: ping -6 -s 2000, request
// and reply in two fragments each; fixtures/ip-options.pcap: ping -R, -T
// tsonly, -T tsandaddr through a router namespace): summary lines with
// reassembly on and off, the fragment list and the option trees of -V. Plus
// the reassembler's own rules (out-of-order fragments, holes, bounds, the
// IPv6 unfragmentable part) on hand-made fragments.
//
// Needs tshark; with CI=true a missing tshark fails the test.
import { describe, expect, it } from 'vitest';
import { CaptureDissector } from '../src/dissection/capture-dissector.ts';
import { formatSummaryLine } from '../src/render/packet-summary.ts';
import { IpProtocol } from '../src/wire/ipv4.ts';
import { buildIpv6 } from '../src/wire/ipv6.ts';
import { LINKTYPE } from '../src/wire/link-type.ts';
import { buildUdp } from '../src/wire/udp.ts';
import { FragmentReassembler, MAX_PENDING, PENDING_TIMEOUT_NS, fragmentListText } from '../src/dissection/ip-reassembly.ts';
import { parseIpv4Options } from '../src/wire/ipv4-options.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { fixtureCaptureFiles } from './helpers/fixture-packets.ts';
import { runTool, runTshark } from './helpers/run-tool.ts';

const skip = skipReason(['tshark'], { root: false });
const fixture = (name: string) => fixtureCaptureFiles().find((f) => f.endsWith(`/${name}`))!;

/** The lines of one layer's -V block (from its heading to the next top-level line), checksum lines aside. */
function layerBlocks(text: string, heading: string): string[] {
  const blocks: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith(heading)) current = [];
    else if (current && !line.startsWith(' ')) {
      blocks.push(current.join('\n'));
      current = undefined;
    }
    // Our tree adds the computed checksum; tshark shows "[validation disabled]".
    if (current && !/Header Checksum|checksum status|Calculated Checksum/i.test(line)) current.push(line);
  }
  return blocks;
}

describe.skipIf(skip !== undefined)(`IPv4 reassembly and options agree with tshark${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it.each([
    ['reassembly on', [], []],
    ['--no-ip-reassembly', ['--no-ip-reassembly'], ['-o', 'ip.defragment:FALSE']],
    ['-o ip.defragment:FALSE', ['-o', 'ip.defragment:FALSE'], ['-o', 'ip.defragment:FALSE']],
  ])('prints the fragmented pings as tshark does with %s', (_name, ours, theirs) => {
    const file = fixture('ip-fragments.pcap');
    const expected = runTshark(['-n', ...theirs, '-r', file]).stdout;
    expect(expected.split('\n').filter((l) => l.includes('Fragmented IP protocol')).length).toBeGreaterThan(3);
    expect(runTool('dissect', [...ours, file]).stdout).toBe(expected);
  });

  it('shows the fragment list of a reassembled datagram in -V as tshark does', () => {
    const file = fixture('ip-fragments.pcap');
    const pick = (text: string) => text.split('\n').filter((l) => /IPv4 Fragments|\[Frame: \d+, payload|Fragment count|Reassembled IPv4/.test(l));
    const theirs = pick(runTshark(['-n', '-V', '-r', file]).stdout);
    expect(theirs.filter((l) => l.includes('IPv4 Fragments'))).toContain('    [2 IPv4 Fragments (2008 bytes): #1(1480), #2(528)]');
    expect(pick(runTool('dissect', ['-V', file]).stdout)).toEqual(theirs);
  });

  it('decodes record route and timestamp options in -V as tshark does', () => {
    const file = fixture('ip-options.pcap');
    const theirs = layerBlocks(runTshark(['-n', '-V', '-r', file]).stdout, 'Internet Protocol Version 4');
    const ours = layerBlocks(runTool('dissect', ['-V', file]).stdout, 'Internet Protocol Version 4');
    expect(theirs.join('\n')).toContain('Recorded Route: 10.77.10.254');
    expect(theirs.join('\n')).toContain('Flag: Time stamp and address (0x1)');
    expect(ours).toEqual(theirs);
  });

  it('reports decoded options and reassembly in --json', () => {
    const run = runTool('dissect', ['--json', fixture('ip-options.pcap'), fixture('ip-fragments.pcap')]);
    const packets = run.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((p) => p.type === 'packet');
    const route = packets[1].ipv4.decodedOptions.find((o: { kind: string }) => o.kind === 'route');
    expect(route).toMatchObject({ type: 7, length: 39, pointer: 24 });
    expect(route.addresses.slice(0, 5)).toEqual(['10.77.9.1', '10.77.10.254', '10.77.10.2', '10.77.10.2', '10.77.9.254']);
    const reassembled = packets.find((p) => p.ipv4?.reassembled);
    expect(reassembled.ipv4.reassembled).toEqual({ length: 2008, fragments: [{ frame: 1, offset: 0, length: 1480 }, { frame: 2, offset: 1480, length: 528 }] });
    expect(reassembled.icmp).toBeDefined();
  });
});

describe.skipIf(skip !== undefined)(`IPv6 reassembly agrees with tshark${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it.each([
    ['reassembly on', [], []],
    ['--no-ip-reassembly', ['--no-ip-reassembly'], ['-o', 'ipv6.defragment:FALSE']],
    ['-o ipv6.defragment:FALSE', ['-o', 'ipv6.defragment:FALSE'], ['-o', 'ipv6.defragment:FALSE']],
    // IPv4's switch leaves IPv6 reassembly on, in tshark as here.
    ['-o ip.defragment:FALSE', ['-o', 'ip.defragment:FALSE'], ['-o', 'ip.defragment:FALSE']],
  ])('prints the fragmented ping -6 as tshark does with %s', (_name, ours, theirs) => {
    const file = fixture('iputils-ping6-fragmented.pcap');
    const expected = runTshark(['-n', ...theirs, '-r', file]).stdout;
    expect(expected.split('\n').filter((l) => l.includes('IPv6 fragment (off=')).length).toBe(2);
    expect(runTool('dissect', [...ours, file]).stdout).toBe(expected);
  });

  it('shows the fragment list and the reassembled ICMPv6 message in -V as tshark does', () => {
    const file = fixture('iputils-ping6-fragmented.pcap');
    const pick = (text: string) => text.split('\n').filter((l) => /IPv6 Fragments|\[Frame: \d+, payload|Fragment count|Reassembled IPv6|Protocols in frame/.test(l));
    const tshark = runTshark(['-n', '-V', '-r', file]).stdout;
    const dissect = runTool('dissect', ['-V', file]).stdout;
    expect(pick(tshark)).toContain('    [2 IPv6 Fragments (2008 bytes): #1(1448), #2(560)]');
    expect(pick(dissect)).toEqual(pick(tshark));
    // tshark -V prints a Data layer's bytes as a hex dump after the tree, where our tree lists Data: and [Length:].
    const icmpv6 = (text: string) => layerBlocks(text, 'Internet Control Message Protocol v6').map((b) => b.replace(/\n\s+(Data: |\[Length: ).*/g, ''));
    expect(icmpv6(tshark).join('\n')).toContain('[Response To: 2]');
    expect(icmpv6(dissect)).toEqual(icmpv6(tshark));
  });

  it('reports the reassembly in --json', () => {
    const run = runTool('dissect', ['--json', fixture('iputils-ping6-fragmented.pcap')]);
    const packets = run.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((p) => p.type === 'packet');
    expect(packets.map((p) => p.ipv6.reassembled?.fragments.map((f: { frame: number }) => f.frame))).toEqual([undefined, [1, 2], undefined, [3, 4]]);
    expect(packets[3].ipv6.reassembled).toEqual({ length: 2008, fragments: [{ frame: 3, offset: 0, length: 1448 }, { frame: 4, offset: 1448, length: 560 }] });
    expect(packets[3].icmpv6).toMatchObject({ type: 129 });
    expect(packets[0].icmpv6).toBeUndefined();
  });
});

describe('IPv6 reassembly (RFC 8200 4.5)', () => {
  const source = 'fd00::1';
  const destination = 'fd00::2';
  const udp = buildUdp({ sourcePort: 5000, destinationPort: 53, payload: Uint8Array.from({ length: 100 }, (_, i) => i) }, { source, destination });
  const hopByHop = { kind: 'hop-by-hop', options: Uint8Array.of(5, 2, 0, 0) } as const;
  /** One fragment of `udp`: data [offset, offset + length); a hop-by-hop header before the fragment header, and a next header, only the first fragment's count. */
  const fragment = (offset: number, length: number, more: boolean, hopLimit: number, nextHeader: number) =>
    buildIpv6(
      {
        protocol: nextHeader,
        source,
        destination,
        hopLimit,
        extensionHeaders: [hopByHop, { kind: 'fragment', fragmentOffset: offset / 8, moreFragments: more, identification: 0x1234 }],
      },
      udp.subarray(offset, offset + length),
    );
  const frame = (data: Uint8Array, index: number) => ({
    data,
    linkType: LINKTYPE.RAW,
    capturedLength: data.length,
    originalLength: data.length,
    timestampSeconds: 1_700_000_000 + index,
    timestampFraction: 0,
    fractionsPerSecond: 1e6,
  });
  // Out of order: the last fragment first; a later fragment's next header (here 59) does not count.
  const frames = [fragment(64, udp.length - 64, false, 7, 59), fragment(32, 32, true, 8, 59), fragment(0, 32, true, 9, IpProtocol.UDP)];

  it('rebuilds the packet from the first fragment\'s unfragmentable part and next header, in the frame that completes it', () => {
    const dissector = new CaptureDissector();
    const packets = frames.map((f, i) => dissector.dissect(frame(f, i)));
    expect(packets.slice(0, 2).map((p) => p.udp)).toEqual([undefined, undefined]);
    const last = packets[2];
    expect(last.ipv6?.reassembled?.fragments).toEqual([
      { frame: 1, offset: 64, length: udp.length - 64 },
      { frame: 2, offset: 32, length: 32 },
      { frame: 3, offset: 0, length: 32 },
    ]);
    expect(last.ipv6?.reassembled?.datagram).toEqual(buildIpv6({ protocol: IpProtocol.UDP, source, destination, hopLimit: 9, extensionHeaders: [hopByHop] }, udp));
    expect(last.ipv6?.reassembled?.payloadOffset).toBe(48);
    expect(last.udp?.header.destinationPort).toBe(53);
    expect(last.udp?.checksum.status).toBe('correct');
    expect(formatSummaryLine(last, 6)).toContain('UDP');
  });

  it('gives the same lines on the summary path as in the full dissection, on and off', () => {
    for (const ipv6Reassembly of [true, false]) {
      const summarizer = new CaptureDissector({ ipv6Reassembly });
      const dissector = new CaptureDissector({ ipv6Reassembly });
      const lines = frames.map((f, i) => [formatSummaryLine(summarizer.summarize(frame(f, i)), 6), formatSummaryLine(dissector.dissect(frame(f, i)), 6)]);
      for (const [fast, full] of lines) expect(fast).toBe(full);
      expect(lines[2][0]).toContain(ipv6Reassembly ? 'UDP' : 'Len=');
    }
  });

  it('leaves a packet with a hole apart', () => {
    const dissector = new CaptureDissector();
    const packets = [frames[0], frames[2]].map((f, i) => dissector.dissect(frame(f, i)));
    expect(packets.map((p) => p.ipv6?.reassembled)).toEqual([undefined, undefined]);
  });
});

describe('FragmentReassembler', () => {
  const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

  it('completes when the last fragment and every byte before it are there, in any order', () => {
    const r = new FragmentReassembler<string>();
    expect(r.add('a', 16, bytes(8, 2), false, 1, 0)).toBeUndefined(); // last first
    expect(r.add('a', 0, bytes(8, 0), true, 2, 1)).toBeUndefined(); // hole at 8..16
    const whole = r.add('a', 8, bytes(8, 1), true, 3, 2);
    expect(whole?.payload).toEqual(Uint8Array.from([...bytes(8, 0), ...bytes(8, 1), ...bytes(8, 2)]));
    expect(fragmentListText('IPv4', whole!)).toBe('3 IPv4 Fragments (24 bytes): #1(8), #2(8), #3(8)');
    // Done: the key starts afresh.
    expect(r.add('a', 8, bytes(8, 1), false, 4, 3)).toBeUndefined();
  });

  it('forgets datagrams past the timeout and beyond the pending limit', () => {
    const r = new FragmentReassembler<number>();
    r.add(1, 0, bytes(8, 0), true, 1, 0);
    expect(r.add(1, 8, bytes(8, 0), false, 2, PENDING_TIMEOUT_NS + 1)).toBeUndefined(); // the first part expired
    for (let key = 100; key < 100 + MAX_PENDING + 1; key++) r.add(key, 0, bytes(8, 0), true, key, PENDING_TIMEOUT_NS + 2);
    expect(r.add(100, 8, bytes(8, 0), false, 9999, PENDING_TIMEOUT_NS + 3)).toBeUndefined(); // evicted
    expect(r.add(101 + MAX_PENDING - 1, 8, bytes(8, 0), false, 9999, PENDING_TIMEOUT_NS + 3)?.payload.length).toBe(16);
  });
});

describe('parseIpv4Options', () => {
  it('decodes router alert, loose source route and stops at a bad length', () => {
    // NOP, router alert (RFC 2113: 94 04 00 00), LSRR with 2 slots (pointer 4), then a truncated option.
    const area = Uint8Array.from([1, 0x94, 4, 0, 0, 0x83, 11, 4, 10, 0, 0, 1, 10, 0, 0, 2, 0x44, 40]);
    expect(parseIpv4Options(area)).toEqual([
      { kind: 'no-operation', type: 1 },
      { kind: 'router-alert', type: 0x94, length: 4, value: 0 },
      { kind: 'route', type: 0x83, length: 11, pointer: 4, addresses: ['10.0.0.1', '10.0.0.2'] },
      { kind: 'malformed', type: 0x44, bytes: Uint8Array.from([0x44, 40]) },
    ]);
  });
});
