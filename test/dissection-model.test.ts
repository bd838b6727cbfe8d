// The pieces under dissect and craft, without spawning them: checksum
// walkthroughs against the codecs' checksums (random packets), diagram rows
// for random option layouts, the filter language, TCP relative numbering and
// window scaling, --struct's byte accounting, and the summary fast path
// against the full dissection.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packStructArguments, StructArgumentError } from '../src/crafting/struct-values.ts';
import { CaptureDissector } from '../src/dissection/capture-dissector.ts';
import { icmpWalkthrough, isWalkthrough, packetChecksumExplanations, tcpWalkthrough } from '../src/dissection/checksum-walkthrough.ts';
import { FilterSyntaxError } from '../src/dissection/display-filter.ts';
import { parseShorthandFilter } from '../src/dissection/shorthand-filter.ts';
import { packetLayouts } from '../src/dissection/header-layout.ts';
import type { DissectedPacket } from '../src/dissection/packet-model.ts';
import { TcpConversationTracker } from '../src/dissection/tcp-conversations.ts';
import { DIAGRAM_WIDTH, headerDiagramLines } from '../src/render/header-diagram.ts';
import { structExplanationLines } from '../src/render/struct-explanation.ts';
import { formatSummaryLine } from '../src/render/packet-summary.ts';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { fixtureCaptureFiles } from './helpers/fixture-packets.ts';
import { foldChecksum, ipv4PseudoHeaderSum } from '../src/wire/checksum.ts';
import { buildIcmp } from '../src/wire/icmp.ts';
import { buildIpv4, IpProtocol } from '../src/wire/ipv4.ts';
import { LINKTYPE } from '../src/wire/link-type.ts';
import { buildTcp, TcpFlag, type TcpOption } from '../src/wire/tcp.ts';

function dissectDatagram(datagram: Uint8Array, dissector = new CaptureDissector()): DissectedPacket {
  return dissector.dissect({
    data: datagram,
    linkType: LINKTYPE.RAW,
    capturedLength: datagram.length,
    originalLength: datagram.length,
    timestampSeconds: 1_700_000_000,
    timestampFraction: 0,
    fractionsPerSecond: 1e6,
  });
}

const address = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));

const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  fc.nat(0xffff).map<TcpOption>((value) => ({ kind: 'mss', value })),
  fc.nat(14).map<TcpOption>((shift) => ({ kind: 'window-scale', shift })),
  fc.constant<TcpOption>({ kind: 'sack-permitted' }),
  fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)).map<TcpOption>(([value, echoReply]) => ({ kind: 'timestamps', value, echoReply })),
  fc.array(fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)), { minLength: 1, maxLength: 2 }).map<TcpOption>((edges) => ({
    kind: 'sack',
    blocks: edges.map(([left, right]) => ({ left, right })),
  })),
);

/** Options that fit in 40 bytes. */
const tcpOptions = fc.array(tcpOption, { maxLength: 6 }).filter((options) => {
  const length = options.reduce((n, o) => n + (o.kind === 'sack' ? 2 + 8 * o.blocks.length : ({ nop: 1, mss: 4, 'window-scale': 3, 'sack-permitted': 2, timestamps: 10 } as Record<string, number>)[o.kind]), 0);
  return length <= 40;
});

describe('checksum walkthrough', () => {
  it('arrives at the ICMP checksum the codec computes, for any message, and at a different value for a wrong one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(0xffff), fc.option(fc.nat(0xffff)), (payload, identifier, wrong) => {
        const message = buildIcmp({ kind: 'echo', identifier, sequence: 1, payload, ...(wrong === null ? {} : { checksum: wrong }) });
        const right = buildIcmp({ kind: 'echo', identifier, sequence: 1, payload });
        const packet = dissectDatagram(buildIpv4({ protocol: IpProtocol.ICMP, source: '10.0.0.1', destination: '10.0.0.2' }, message));
        const walk = icmpWalkthrough(packet.icmp!, message);
        if (!isWalkthrough(walk)) throw new Error(walk.unavailable);
        const rightValue = (right[2] << 8) | right[3];
        expect(walk.computed === rightValue || (walk.computed ^ rightValue) === 0xffff).toBe(true);
        expect(walk.words).toHaveLength(Math.ceil(message.length / 2));
        expect(walk.words.find((w) => w.isChecksumField)?.value).toBe(0);
        for (const fold of walk.folds) expect(fold.after).toBe(fold.carry + fold.low);
        expect(walk.folded).toBeLessThanOrEqual(0xffff);
        expect(walk.matches).toBe(packet.icmp!.checksum.status === 'correct');
        if (walk.matches) expect(walk.verificationSum).toBe(0xffff);
      }),
      { numRuns: 300 },
    );
  });

  it('includes the pseudo-header for TCP and flags the offload trap only when the field holds the pseudo-header sum', () => {
    fc.assert(
      fc.property(address, address, tcpOptions, fc.uint8Array({ maxLength: 100 }), fc.boolean(), (source, destination, options, payload, offload) => {
        const fields = { sourcePort: 40000, destinationPort: 80, flags: TcpFlag.SYN, options, payload };
        const right = buildTcp(fields, { source, destination });
        const pseudo = foldChecksum(ipv4PseudoHeaderSum(Uint8Array.from(source.split('.').map(Number)), Uint8Array.from(destination.split('.').map(Number)), 6, right.length));
        const segment = offload ? buildTcp({ ...fields, checksum: pseudo }, { source, destination }) : right;
        const datagram = buildIpv4({ protocol: IpProtocol.TCP, source, destination }, segment);
        const packet = dissectDatagram(datagram);
        const walk = tcpWalkthrough(packet.tcp!, datagram.subarray(0, 20), segment);
        if (!isWalkthrough(walk)) throw new Error(walk.unavailable);
        expect(walk.words.slice(0, 6).every((w) => w.part === 'pseudo-header')).toBe(true);
        expect(walk.words[5].value).toBe(segment.length);
        expect(walk.computed).toBe((right[16] << 8) | right[17]);
        const trap = offload && pseudo !== ((right[16] << 8) | right[17]);
        expect(walk.offloadPartialSum).toBe(trap);
        expect(packet.tcp!.checksum.offloadPartialSum === true).toBe(trap);
      }),
      { numRuns: 300 },
    );
  });

  it('explains every checksum of a packet in order, outermost first', () => {
    const segment = buildTcp({ sourcePort: 1, destinationPort: 2 }, { source: '10.0.0.1', destination: '10.0.0.2' });
    const packet = dissectDatagram(buildIpv4({ protocol: IpProtocol.TCP, source: '10.0.0.1', destination: '10.0.0.2' }, segment));
    expect(packetChecksumExplanations(packet).map((e) => e.title)).toEqual(['IPv4 header checksum', 'TCP checksum']);
  });
});

describe('header diagrams', () => {
  it('draws every row exactly 65 wide and covers every header bit, whatever the options', () => {
    fc.assert(
      fc.property(tcpOptions, fc.nat(0x1ff), (options, flags) => {
        const segment = buildTcp({ sourcePort: 443, destinationPort: 50000, flags, options }, { source: '10.0.0.1', destination: '10.0.0.2' });
        const packet = dissectDatagram(buildIpv4({ protocol: IpProtocol.TCP, source: '10.0.0.1', destination: '10.0.0.2' }, segment));
        const [ipLayout, tcpLayout] = packetLayouts(packet);
        expect(ipLayout.fields.reduce((n, f) => n + f.bits, 0)).toBe(160);
        expect(tcpLayout.fields.reduce((n, f) => n + f.bits, 0)).toBe(packet.tcp!.segment.headerLength * 8);
        const box = headerDiagramLines(tcpLayout).filter((line) => line.startsWith('|') || line.startsWith('+'));
        expect(box.every((line) => line.length === DIAGRAM_WIDTH)).toBe(true);
        // Two text lines and a border per 32-bit row, plus the top border.
        expect(box.length).toBe(1 + 3 * (packet.tcp!.segment.headerLength / 4));
      }),
      { numRuns: 200 },
    );
  });

  it('shows set flags as letters and clear ones as dots', () => {
    const segment = buildTcp({ sourcePort: 1, destinationPort: 2, flags: TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE }, { source: '10.0.0.1', destination: '10.0.0.2' });
    const packet = dissectDatagram(buildIpv4({ protocol: IpProtocol.TCP, source: '10.0.0.1', destination: '10.0.0.2' }, segment));
    const lines = headerDiagramLines(packetLayouts(packet)[1]);
    expect(lines).toContain('|   5   |  0  |.|.|E|.|A|.|.|S|.|             65535             |');
  });
});

describe('filter language', () => {
  const packet = (datagram: Uint8Array) => dissectDatagram(datagram);
  const tcp = packet(buildIpv4({ protocol: IpProtocol.TCP, source: '10.0.0.1', destination: '10.0.0.2' }, buildTcp({ sourcePort: 5000, destinationPort: 80 }, { source: '10.0.0.1', destination: '10.0.0.2' })));
  const icmp = packet(buildIpv4({ protocol: IpProtocol.ICMP, source: '10.0.0.3', destination: '10.0.0.1' }, buildIcmp({ kind: 'echo', identifier: 1, sequence: 1 })));

  it.each([
    ['tcp', true, false],
    ['icmp', false, true],
    ['ip', true, true],
    ['port 80', true, false],
    ['dst port 80', true, false],
    ['src port 80', false, false],
    ['host 10.0.0.1', true, true],
    ['src host 10.0.0.1', true, false],
    ['tcp and port 80', true, false],
    // tcpdump's precedence: and / or equal, left to right: (icmp or tcp) and port 81.
    ['icmp or tcp and port 81', false, false],
    ['icmp or tcp and port 80', true, false],
    ['(icmp or tcp) and port 80', true, false],
    ['not tcp', false, true],
    ['! icmp && host 10.0.0.2', true, false],
    ['udp || arp', false, false],
  ] as [string, boolean, boolean][])('%s', (text, onTcp, onIcmp) => {
    const filter = parseShorthandFilter(text);
    expect([filter(tcp), filter(icmp)]).toEqual([onTcp, onIcmp]);
  });

  it.each(['', 'tcp and', 'port', 'port 70000', 'host 1.2.3', 'frobnicate', '(tcp', 'tcp)'])('rejects %j', (text) => {
    expect(() => parseShorthandFilter(text)).toThrow(FilterSyntaxError);
  });
});

describe('TCP conversations', () => {
  it('numbers from each ISN, starts mid-stream captures at 1 and scales windows only when both SYNs agreed', () => {
    const tracker = new TcpConversationTracker();
    const seg = (fromClient: boolean, seq: number, ack: number, flags: number, window: number, windowScaleOption?: number) =>
      tracker.track({
        source: fromClient ? 1 : 2,
        sourcePort: fromClient ? 5000 : 80,
        destination: fromClient ? 2 : 1,
        destinationPort: fromClient ? 80 : 5000,
        sequenceNumber: seq,
        acknowledgmentNumber: ack,
        flags,
        window,
        windowScaleOption,
        payloadLength: 0,
        frame: 0,
        timeNs: 0,
        options: [],
      });
    const syn = seg(true, 1000, 0, TcpFlag.SYN, 64240, 7);
    expect(syn).toMatchObject({ stream: 0, relativeSeq: 0, nextRelativeSeq: 1, calculatedWindow: 64240 });
    const synAck = seg(false, 0xfffffff0, 1001, TcpFlag.SYN | TcpFlag.ACK, 65160, 2);
    expect(synAck).toMatchObject({ relativeSeq: 0, relativeAck: 1, ackIsRelative: true });
    const ack = seg(true, 1001, 0xfffffff1, TcpFlag.ACK, 100);
    expect(ack).toMatchObject({ relativeSeq: 1, relativeAck: 1, windowScale: 7, calculatedWindow: 12800 });
    const wrapped = seg(false, 0x00000010, 1001, TcpFlag.ACK, 100);
    expect(wrapped.relativeSeq).toBe(0x20); // across the 2^32 wrap
    expect(wrapped.calculatedWindow).toBe(400);
    // Without the ACK flag the field is shown raw, as Wireshark does (a RST with ack 0).
    expect(seg(true, 1001, 0, TcpFlag.RST, 0)).toMatchObject({ relativeSeq: 1, relativeAck: 0, ackIsRelative: false });
    // Same ports, a new ISN in a SYN: a new conversation.
    expect(seg(true, 5, 0, TcpFlag.SYN, 1).stream).toBe(1);

    const midStream = new TcpConversationTracker().track({ source: 3, sourcePort: 1, destination: 4, destinationPort: 2, sequenceNumber: 500, acknowledgmentNumber: 9, flags: TcpFlag.PSH, window: 10, windowScaleOption: undefined, payloadLength: 5, frame: 1, timeNs: 0, options: [] });
    expect(midStream).toMatchObject({ relativeSeq: 1, relativeAck: 9, ackIsRelative: false, windowScale: -1, calculatedWindow: 10, nextRelativeSeq: 6 });
  });
});

describe('--struct values', () => {
  it('places each item, takes Python integers in any base and explains zero padding in both byte orders', () => {
    const big = packStructArguments('!QQ', ['0x48656c6c6f', '0x20776f726c6421']);
    expect(big.items.map((i) => [i.offset, i.size])).toEqual([[0, 8], [8, 8]]);
    expect(structExplanationLines(big).join('\n')).toContain('4 zero bytes are not separators');
    const little = packStructArguments('<IH', ['0x41', '0o102']);
    expect(Buffer.from(little.bytes).toString('hex')).toBe('410000004200');
    expect(structExplanationLines(little).join('\n')).toContain('3 trailing zero bytes');
    const native = packStructArguments('bI5s?d', ['-1', '4294967295', 'hello', 'true', '0.5']);
    expect(native.items.map((i) => [i.code, i.offset, i.size])).toEqual([['b', 0, 1], ['I', 4, 4], ['5s', 8, 5], ['?', 13, 1], ['d', 16, 8]]);
    expect(() => packStructArguments('!H', ['x'])).toThrow(StructArgumentError);
    expect(() => packStructArguments('!Z', ['1'])).toThrow(/bad struct format/);
  });
});

describe('summary fast path', () => {
  const record = (data: Uint8Array, linkType: number, index: number, capturedLength = data.length) => ({
    data: data.subarray(0, capturedLength),
    linkType,
    capturedLength,
    originalLength: data.length,
    timestampSeconds: 1_700_000_000 + index,
    timestampFraction: index * 7,
    fractionsPerSecond: 1e6,
  });
  const tookFastPath = (view: object) => !('link' in view) || (view as { link?: unknown }).link === undefined;

  it('gives the same summary line as the full dissection for every packet of every fixture', async () => {
    let fast = 0;
    for (const file of fixtureCaptureFiles()) {
      const summarizer = new CaptureDissector();
      const dissector = new CaptureDissector();
      for await (const r of readCaptureFile(file)) {
        const view = summarizer.summarize(r);
        if (tookFastPath(view)) fast++;
        expect(formatSummaryLine(view, 6), file).toBe(formatSummaryLine(dissector.dissect(r), 6));
      }
    }
    expect(fast).toBeGreaterThan(150);
  });

  const packetArbitrary = fc.record({
    kind: fc.constantFrom('tcp', 'icmp', 'udp'),
    client: fc.boolean(),
    seq: fc.nat(0xffffffff),
    ack: fc.nat(0xffffffff),
    flags: fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0xc2, 0x29, 0x1ff),
    options: tcpOptions,
    payload: fc.uint8Array({ maxLength: 40 }),
    icmpType: fc.constantFrom(0, 8, 8, 13, 3),
    sequence: fc.nat(3),
    mutation: fc.constantFrom('none', 'none', 'none', 'checksum', 'ip-checksum', 'cut', 'fragment', 'ihl', 'data-offset', 'udp-length', 'offload'),
    link: fc.constantFrom(LINKTYPE.RAW, LINKTYPE.ETHERNET, LINKTYPE.LINUX_SLL),
  });

  it('agrees with the full dissection on random packet sequences, good and broken', () => {
    let fastCount = 0;
    fc.assert(
      fc.property(fc.array(packetArbitrary, { minLength: 1, maxLength: 12 }), (packets) => {
        const summarizer = new CaptureDissector();
        const dissector = new CaptureDissector();
        packets.forEach((p, index) => {
          const source = p.client ? '10.0.0.1' : '10.0.0.2';
          const destination = p.client ? '10.0.0.2' : '10.0.0.1';
          const pseudo = { source, destination };
          let transport: Uint8Array;
          let protocol: number;
          if (p.kind === 'tcp') {
            protocol = IpProtocol.TCP;
            const fields = { sourcePort: p.client ? 5000 : 80, destinationPort: p.client ? 80 : 5000, sequenceNumber: p.seq, acknowledgmentNumber: p.ack, flags: p.flags, options: p.options, payload: p.payload };
            transport = buildTcp(fields, pseudo);
            if (p.mutation === 'checksum') transport[16] ^= 0x40;
            if (p.mutation === 'data-offset') transport[12] = (15 << 4) | (transport[12] & 0x0f);
            if (p.mutation === 'offload') {
              const sum = foldChecksum(ipv4PseudoHeaderSum(Uint8Array.of(10, 0, 0, p.client ? 1 : 2), Uint8Array.of(10, 0, 0, p.client ? 2 : 1), 6, transport.length));
              transport = buildTcp({ ...fields, checksum: sum }, pseudo);
            }
          } else if (p.kind === 'icmp') {
            protocol = IpProtocol.ICMP;
            transport = buildIcmp({ kind: 'other', type: p.icmpType, code: 0, restOfHeader: Uint8Array.of(0, 1, 0, p.sequence), payload: p.payload });
            if (p.mutation === 'checksum') transport[2] ^= 0x01;
          } else {
            protocol = IpProtocol.UDP;
            transport = new Uint8Array(8 + p.payload.length);
            transport.set([0x13, 0x88, 0x00, 0x35, (transport.length >> 8) & 0xff, transport.length & 0xff, 0, 0]);
            transport.set(p.payload, 8);
            if (p.mutation === 'udp-length') transport[5] ^= 0x02;
            if (p.mutation === 'checksum') transport[7] = 0x01;
          }
          let datagram = buildIpv4({ protocol, source, destination, identification: index, flags: p.mutation === 'fragment' ? 1 : 2 }, transport);
          if (p.mutation === 'ip-checksum') datagram[10] ^= 0x10;
          if (p.mutation === 'ihl') datagram[0] = 0x44;
          const frame = p.link === LINKTYPE.ETHERNET
            ? Uint8Array.from([...new Uint8Array(12), 0x08, 0x00, ...datagram])
            : p.link === LINKTYPE.LINUX_SLL
              ? Uint8Array.from([0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00, ...datagram])
              : datagram;
          const captured = p.mutation === 'cut' ? Math.max(1, frame.length - 3) : frame.length;
          const view = summarizer.summarize(record(frame, p.link, index, captured));
          if (tookFastPath(view)) fastCount++;
          expect(formatSummaryLine(view, 6)).toBe(formatSummaryLine(dissector.dissect(record(frame, p.link, index, captured)), 6));
        });
      }),
      { numRuns: 300 },
    );
    expect(fastCount).toBeGreaterThan(300);
  });
});
