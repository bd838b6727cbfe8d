// The built-vs-sent diff on its own (src/dissection/built-vs-sent.ts and its
// text in src/render/built-vs-sent.ts): datagrams built with the wire codecs
// the way craft builds one and the way a kernel rewrites it, no sockets.
import { describe, expect, it } from 'vitest';
import { CaptureDissector } from '../src/dissection/capture-dissector.ts';
import { compareBuiltAndSent, isSentCopyOf } from '../src/dissection/built-vs-sent.ts';
import type { DissectedPacket } from '../src/dissection/packet-model.ts';
import { builtVsSentLines } from '../src/render/built-vs-sent.ts';
import { foldChecksum } from '../src/wire/checksum.ts';
import { buildIpv4, type Ipv4HeaderInit, IpProtocol } from '../src/wire/ipv4.ts';
import { LINKTYPE } from '../src/wire/link-type.ts';
import { buildTcp, type TcpSegmentInit, tcpPseudoHeaderSum } from '../src/wire/tcp.ts';
import { buildUdp } from '../src/wire/udp.ts';
import { buildIcmpv6Echo } from '../src/wire/icmpv6.ts';
import { buildIpv6 } from '../src/wire/ipv6.ts';

function dissect(datagram: Uint8Array): DissectedPacket {
  return new CaptureDissector().dissect({
    data: datagram,
    linkType: LINKTYPE.RAW,
    capturedLength: datagram.length,
    originalLength: datagram.length,
    timestampSeconds: 0,
    timestampFraction: 0,
    fractionsPerSecond: 1e6,
  });
}

const SYN: TcpSegmentInit = { sourcePort: 40000, destinationPort: 80, flags: 0x02, window: 64240 };
const tcpDatagram = (ip: Partial<Ipv4HeaderInit>, segment: Uint8Array) =>
  buildIpv4({ protocol: IpProtocol.TCP, source: '10.77.1.1', destination: '10.77.1.2', ttl: 64, ...ip }, segment);

describe('compareBuiltAndSent', () => {
  it("names every field the kernel wrote into its own header: the issue's id 0 -> 0x9e08, DF, checksum, and the source", () => {
    const builtSegment = buildTcp(SYN, { source: '10.77.1.1', destination: '10.77.1.2' });
    const built = dissect(tcpDatagram({}, builtSegment));
    const sent = dissect(tcpDatagram({ identification: 0x9e08, flags: { dontFragment: true }, source: '10.77.1.9' }, builtSegment));
    const comparison = compareBuiltAndSent(built, sent, 'kernel');
    expect(comparison.changes.map((c) => [c.field, c.built, c.sent])).toEqual([
      ['Identification', '0x0000 (0)', '0x9e08 (40456)'],
      ["Don't fragment", 'not set', 'set'],
      ['Header checksum', expect.stringMatching(/^0x[0-9a-f]{4}$/), expect.stringMatching(/^0x[0-9a-f]{4}$/)],
      ['Source address', '10.77.1.1', '10.77.1.9'],
      // The segment is unchanged, but its checksum no longer fits the new source: not a field that changed.
    ]);
    expect(comparison.changes[0].why).toBe("the kernel's own IP ID: the kernel wrote the IP header (no IP_HDRINCL)");
    expect(comparison.changes[3].why).toContain("the route's source address");
    // Bytes 4-7 (id, flags), 10-11 (checksum), 12-15 (source): offsets come from the codec's layout, compared to the built bytes.
    expect(comparison.differingOffsets).toEqual([4, 5, 6, 10, 11, 15]);
    expect(isSentCopyOf(built, sent)).toBe(true);
  });

  it('says the kernel filled a zero id when the lab wrote the header (IP_HDRINCL), and finds no change in an exact copy', () => {
    const segment = buildTcp(SYN, { source: '10.77.1.1', destination: '10.77.1.2' });
    const built = dissect(tcpDatagram({}, segment));
    const sent = dissect(tcpDatagram({ identification: 0x1234 }, segment));
    const [id] = compareBuiltAndSent(built, sent, 'hdrincl').changes;
    expect(id).toMatchObject({ layer: 'IPv4', field: 'Identification', why: 'the kernel fills an IP ID left 0 (raw(7))' });

    const same = compareBuiltAndSent(built, dissect(tcpDatagram({}, segment)), 'kernel');
    expect(same.changes).toEqual([]);
    expect(same.differingOffsets).toEqual([]);
    expect(builtVsSentLines(same, 'on lo').at(-1)).toBe('  the same bytes: the packet left exactly as built');
  });

  it('recognises a TCP checksum left as the pseudo-header sum: checksum offload', () => {
    const full = buildTcp(SYN, { source: '10.77.1.1', destination: '10.77.1.2' });
    const partial = buildTcp({ ...SYN, checksum: foldChecksum(tcpPseudoHeaderSum({ source: '10.77.1.1', destination: '10.77.1.2' }, full.length)) });
    const change = compareBuiltAndSent(dissect(tcpDatagram({}, full)), dissect(tcpDatagram({}, partial)), 'kernel').changes;
    expect(change).toHaveLength(1);
    expect(change[0]).toMatchObject({ layer: 'TCP', field: 'Checksum' });
    expect(change[0].why).toMatch(/^checksum offload: the stack left only the pseudo-header sum/);
  });

  it('tells a sent copy from another packet, and marks differing bytes in the text', () => {
    const udp = (sourcePort: number, checksum?: number) =>
      buildIpv4(
        { protocol: IpProtocol.UDP, source: '10.0.0.1', destination: '10.0.0.2' },
        buildUdp({ sourcePort, destinationPort: 53, payload: new TextEncoder().encode('q'), checksum }, { source: '10.0.0.1', destination: '10.0.0.2' }),
      );
    const built = dissect(udp(1000));
    expect(isSentCopyOf(built, dissect(udp(1000, 0xdead)))).toBe(true); // a checksum is not what identifies it
    expect(isSentCopyOf(built, dissect(udp(1001)))).toBe(false);
    const comparison = compareBuiltAndSent(built, dissect(udp(1000, 0xdead)), 'kernel');
    expect(comparison.changes.map((c) => `${c.layer} ${c.field}`)).toEqual(['UDP Checksum']);
    const lines = builtVsSentLines(comparison, 'on vethA');
    expect(lines[0]).toBe('Built vs sent: the datagram the lab built, and the one captured leaving on vethA');
    // The 29-byte datagrams end in a row of 5 at 0x18: the length, the checksum (26-27) and 'q'; marks under the checksum only.
    const hex = (bytes: Uint8Array) => Array.from(bytes.subarray(24), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const row = lines.findIndex((l) => l.startsWith('  0018'));
    expect(lines[row]).toBe(`  0018    ${hex(comparison.built).padEnd(23)}  ${hex(comparison.sent)}`);
    expect(hex(comparison.sent)).toBe('00 09 de ad 71');
    expect(lines[row + 1]).toBe(`${' '.repeat(35)}      ^^ ^^`);
  });

  it('IPv6: names the flow label, hop limit and source the kernel wrote, and an ICMPv6 checksum the kernel filled', () => {
    const pseudo = { source: 'fd00::1', destination: 'fd00::2' };
    const echo = buildIcmpv6Echo({ identifier: 7, sequence: 1 }, pseudo);
    const built = dissect(buildIpv6({ protocol: 58, ...pseudo, hopLimit: 9 }, echo));
    // What a kernel does with an ICMPv6 socket handed a zero checksum: fills it, and writes its own header.
    const sentPseudo = { source: 'fd00::9', destination: 'fd00::2' };
    const sent = dissect(buildIpv6({ protocol: 58, ...sentPseudo, hopLimit: 64, flowLabel: 0xb7e5f }, buildIcmpv6Echo({ identifier: 7, sequence: 1 }, sentPseudo)));
    expect(isSentCopyOf(built, sent)).toBe(true); // the checksum differs, the message does not
    const changes = compareBuiltAndSent(built, sent, 'kernel').changes;
    expect(changes.map((c) => [`${c.layer} ${c.field}`, c.built, c.sent])).toEqual([
      ['IPv6 Flow label', '0x00000', '0xb7e5f'],
      ['IPv6 Hop limit', '9', '64'],
      ['IPv6 Source address', 'fd00::1', 'fd00::9'],
      ['ICMPv6 Checksum', expect.stringMatching(/^0x/), expect.stringMatching(/^0x/)],
    ]);
    expect(changes[3].why).toMatch(/^the kernel computes the ICMPv6 checksum on a raw ICMPv6 socket/);
    expect(isSentCopyOf(built, dissect(buildIpv6({ protocol: 58, ...pseudo }, buildIcmpv6Echo({ identifier: 7, sequence: 2 }, pseudo))))).toBe(false);
  });
});
