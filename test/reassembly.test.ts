// IPv4 reassembly and IPv4 options against tshark on real captures
// (fixtures/ip-fragments.pcap: iputils pings of 2000 and 4000 bytes fragmented
// at MTU 1500; fixtures/ip-options.pcap: ping -R, -T tsonly, -T tsandaddr
// through a router namespace): summary lines with reassembly on and off, the
// fragment list and the option trees of -V. Plus the reassembler's own rules
// (out-of-order fragments, holes, bounds) on hand-made fragments.
//
// Needs tshark; with CI=true a missing tshark fails the test.
import { describe, expect, it } from 'vitest';
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
