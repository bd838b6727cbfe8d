// The zero-copy header views, in smoltcp's test style: one captured packet
// per protocol (the tcpdump -nn -vv line above its bytes) drives tests of
// every accessor, of point()'s typed errors on short and malformed input
// (never a throw, checked on random bytes), of a TCP header cut inside its
// options, of an ICMP error's quote read through quote(), and of the UDP and
// ARP codecs' byte-for-byte round trips, including lengths and checksums set
// wrong on purpose. Frames come from fixtures/ unless said otherwise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArpOpcode, ArpView, buildArp, parseArp } from '../src/wire/arp.ts';
import { foldChecksum } from '../src/wire/checksum.ts';
import { buildEthernet, ETHERTYPE, EthernetView } from '../src/wire/ethernet.ts';
import { IcmpType, IcmpView, icmpQueryFieldLittleEndian, icmpQueryIdentifiers, parseIcmp } from '../src/wire/icmp.ts';
import { IpProtocol, Ipv4View, parseIpv4 } from '../src/wire/ipv4.ts';
import { decodeLinkLayer, LINKTYPE, LinkLayerView } from '../src/wire/link-type.ts';
import { LinuxSll2View, LinuxSllView } from '../src/wire/linux-sll.ts';
import { buildNull, LoopbackView } from '../src/wire/loopback-null.ts';
import type { ParseError } from '../src/wire/parse-result.ts';
import {
  buildTcp,
  parseTcp,
  TCP_FLAG_NAMES,
  tcpChecksumVerdict,
  tcpdumpFlagLetters,
  TcpFlag,
  tcpFlagNames,
  tcpPseudoHeaderSum,
  tcpSegmentFromView,
  TcpView,
} from '../src/wire/tcp.ts';
import { buildUdp, parseUdp, udpPseudoHeaderSum, UdpView } from '../src/wire/udp.ts';
import { fromHex as hex, toHex } from './helpers/hex.ts';

// iputils-ping.pcap frame 1, Ethernet:
// IP (tos 0x0, ttl 64, id 8533, offset 0, flags [DF], proto ICMP (1), length 84)
//     10.77.1.1 > 10.77.1.2: ICMP echo request, id 6825, seq 1, length 64
const ICMP_ECHO_FRAME = Uint8Array.of(
  0x02, 0x70, 0x6c, 0x01, 0x00, 0x02, 0x02, 0x70, 0x6c, 0x01, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
  0x00, 0x54, 0x21, 0x55, 0x40, 0x00, 0x40, 0x01, 0x02, 0xb8, 0x0a, 0x4d, 0x01, 0x01, 0x0a, 0x4d,
  0x01, 0x02, 0x08, 0x00, 0x86, 0x7a, 0x1a, 0xa9, 0x00, 0x01, 0x54, 0x84, 0x04, 0x6b, 0x00, 0x00,
  0x00, 0x00, 0x37, 0x19, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
  0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
  0x36, 0x37,
);

// curl-http.pcap frame 1, Ethernet:
// IP (tos 0x0, ttl 64, id 3353, offset 0, flags [DF], proto TCP (6), length 60)
//     10.77.1.1.47586 > 10.77.1.2.80: Flags [S], cksum 0x2f28 (correct), seq 3238951263, win 64240,
//     options [mss 1460,sackOK,TS val 1276495505 ecr 0,nop,wscale 10], length 0
const TCP_SYN_FRAME = Uint8Array.of(
  0x02, 0x70, 0x6c, 0x01, 0x00, 0x02, 0x02, 0x70, 0x6c, 0x01, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
  0x00, 0x3c, 0x0d, 0x19, 0x40, 0x00, 0x40, 0x06, 0x17, 0x07, 0x0a, 0x4d, 0x01, 0x01, 0x0a, 0x4d,
  0x01, 0x02, 0xb9, 0xe2, 0x00, 0x50, 0xc1, 0x0e, 0x79, 0x5f, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
  0xfa, 0xf0, 0x2f, 0x28, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x4c, 0x15,
  0xc6, 0x91, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
);

// icmp-errors.pcap frame 17, Ethernet:
// IP (tos 0x0, ttl 64, id 6836, offset 0, flags [DF], proto UDP (17), length 51)
//     10.77.2.2.40000 > 10.77.3.2.33434: [udp sum ok] UDP, length 23
const UDP_FRAME = Uint8Array.of(
  0x02, 0x70, 0x6c, 0x02, 0x00, 0x01, 0x02, 0x70, 0x6c, 0x02, 0x00, 0x02, 0x08, 0x00, 0x45, 0x00,
  0x00, 0x33, 0x1a, 0xb4, 0x40, 0x00, 0x40, 0x11, 0x06, 0x69, 0x0a, 0x4d, 0x02, 0x02, 0x0a, 0x4d,
  0x03, 0x02, 0x9c, 0x40, 0x82, 0x9a, 0x00, 0x1f, 0x5a, 0xcd, 0x70, 0x61, 0x63, 0x6b, 0x65, 0x74,
  0x2d, 0x6c, 0x61, 0x62, 0x20, 0x75, 0x64, 0x70, 0x20, 0x70, 0x72, 0x6f, 0x62, 0x65, 0x20, 0x30,
  0x0a,
);

// icmp-errors.pcap frame 14, Ethernet:
// IP (tos 0xc0, ttl 64, id 42938, offset 0, flags [none], proto ICMP (1), length 88)
//     10.77.2.1 > 10.77.2.2: ICMP host 10.77.3.2 unreachable, length 68
//     IP (tos 0x0, ttl 63, id 46537, offset 0, flags [DF], proto TCP (6), length 60)
//     10.77.2.2.55868 > 10.77.3.2.81: Flags [S], cksum 0xc537 (correct), seq 1698107331, win 64240, options [...], length 0
const UNREACHABLE_QUOTING_TCP_FRAME = Uint8Array.of(
  0x02, 0x70, 0x6c, 0x02, 0x00, 0x02, 0x02, 0x70, 0x6c, 0x02, 0x00, 0x01, 0x08, 0x00, 0x45, 0xc0,
  0x00, 0x58, 0xa7, 0xba, 0x00, 0x00, 0x40, 0x01, 0xb9, 0x8e, 0x0a, 0x4d, 0x02, 0x01, 0x0a, 0x4d,
  0x02, 0x02, 0x03, 0x01, 0x16, 0xcb, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c, 0xb5, 0xc9,
  0x40, 0x00, 0x3f, 0x06, 0x6c, 0x55, 0x0a, 0x4d, 0x02, 0x02, 0x0a, 0x4d, 0x03, 0x02, 0xda, 0x3c,
  0x00, 0x51, 0x65, 0x37, 0x0f, 0xc3, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0xc5, 0x37,
  0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xcb, 0x15, 0x53, 0x99, 0x00, 0x00,
  0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
);

// icmp-errors.pcap frame 18, Ethernet:
// IP (tos 0xc0, ttl 63, id 574, offset 0, flags [none], proto ICMP (1), length 79)
//     10.77.3.2 > 10.77.2.2: ICMP 10.77.3.2 udp port 33434 unreachable, length 59
//     IP (tos 0x0, ttl 63, id 6836, offset 0, flags [DF], proto UDP (17), length 51)
//     10.77.2.2.40000 > 10.77.3.2.33434: [udp sum ok] UDP, length 23
const PORT_UNREACHABLE_QUOTING_UDP_FRAME = Uint8Array.of(
  0x02, 0x70, 0x6c, 0x02, 0x00, 0x02, 0x02, 0x70, 0x6c, 0x02, 0x00, 0x01, 0x08, 0x00, 0x45, 0xc0,
  0x00, 0x4f, 0x02, 0x3e, 0x00, 0x00, 0x3f, 0x01, 0x5f, 0x13, 0x0a, 0x4d, 0x03, 0x02, 0x0a, 0x4d,
  0x02, 0x02, 0x03, 0x03, 0x16, 0xcb, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x33, 0x1a, 0xb4,
  0x40, 0x00, 0x3f, 0x11, 0x07, 0x69, 0x0a, 0x4d, 0x02, 0x02, 0x0a, 0x4d, 0x03, 0x02, 0x9c, 0x40,
  0x82, 0x9a, 0x00, 0x1f, 0x5a, 0xcd, 0x70, 0x61, 0x63, 0x6b, 0x65, 0x74, 0x2d, 0x6c, 0x61, 0x62,
  0x20, 0x75, 0x64, 0x70, 0x20, 0x70, 0x72, 0x6f, 0x62, 0x65, 0x20, 0x30, 0x0a,
);

// sll-any.pcap frame 1, Linux cooked v1 (tcpdump -i any -y LINUX_SLL):
// Out 02:70:6c:01:00:01 ethertype IPv4 (0x0800), length 100: 10.77.1.1 > 10.77.1.2: ICMP echo request, id 6864, seq 1, length 64
const SLL_FRAME_HEADER = Uint8Array.of(0x00, 0x04, 0x00, 0x01, 0x00, 0x06, 0x02, 0x70, 0x6c, 0x01, 0x00, 0x01, 0x00, 0x00, 0x08, 0x00);

// Written by scapy (python3-scapy 2.5), read back by tcpdump -nn -e:
// 02:70:6c:01:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.77.1.2 tell 10.77.1.1, length 28
const ARP_REQUEST = hex('000108000604000102706c0100010a4d01010000000000000a4d0102');
// 02:70:6c:01:00:02 > 02:70:6c:01:00:01, ethertype ARP (0x0806), length 42: Reply 10.77.1.2 is-at 02:70:6c:01:00:02, length 28
const ARP_REPLY = hex('000108000604000202706c0100020a4d010202706c0100010a4d0101');

const ETHERNET = 14;

function ipAt(frame: Uint8Array, start = ETHERNET): Ipv4View {
  const ip = new Ipv4View();
  expect(ip.point(frame, start)).toBeUndefined();
  return ip;
}

function expectTypedError(error: ParseError | undefined, kind: ParseError['kind'], layer: string): void {
  expect(error).toBeDefined();
  expect(error!.kind).toBe(kind);
  expect(error!.layer).toBe(layer);
}

describe('Ipv4View', () => {
  it('reads every field of a captured header where it lies', () => {
    const ip = ipAt(ICMP_ECHO_FRAME);
    expect([ip.version, ip.ihl, ip.headerLength, ip.dscp, ip.ecn, ip.totalLength]).toEqual([4, 5, 20, 0, 0, 84]);
    expect([ip.identification, ip.dontFragment, ip.moreFragments, ip.fragmentOffset, ip.isFragment]).toEqual([8533, true, false, 0, false]);
    expect([ip.ttl, ip.protocol, ip.checksum]).toEqual([64, IpProtocol.ICMP, 0x02b8]);
    expect([ip.source, ip.destination]).toEqual(['10.77.1.1', '10.77.1.2']);
    expect(ip.sourceNumber).toBe(0x0a4d0101);
    expect([ip.payloadStart, ip.payloadEnd, ip.missingLength, ip.trailer.length]).toEqual([34, 98, 0, 0]);
    expect(ip.checksumValid).toBe(true);
    expect(ip.checksumVerdict()).toEqual({ stored: 0x02b8, status: 'correct', expected: 0x02b8 });
  });

  it('says why a header cannot be read, as typed errors', () => {
    const ip = new Ipv4View();
    expectTypedError(ip.point(ICMP_ECHO_FRAME, ETHERNET, ETHERNET), 'truncated', 'ipv4');
    expectTypedError(ip.point(ICMP_ECHO_FRAME, ETHERNET, ETHERNET + 19), 'truncated', 'ipv4');
    expectTypedError(ip.point(ICMP_ECHO_FRAME, 0), 'malformed', 'ipv4'); // the MAC's first nibble is version 0
    const badIhl = ICMP_ECHO_FRAME.slice(ETHERNET);
    badIhl[0] = 0x44;
    expectTypedError(ip.point(badIhl), 'malformed', 'ipv4');
    const shortTotal = ICMP_ECHO_FRAME.slice(ETHERNET);
    shortTotal[3] = 19;
    expectTypedError(ip.point(shortTotal), 'malformed', 'ipv4');
  });

  it('reports a payload cut short instead of refusing the header, and a wrong header checksum with what it should be', () => {
    const ip = new Ipv4View();
    expect(ip.point(ICMP_ECHO_FRAME, ETHERNET, 60)).toBeUndefined();
    expect([ip.payloadEnd, ip.missingLength]).toEqual([60, 38]);
    const wrong = ICMP_ECHO_FRAME.slice();
    wrong[ETHERNET + 10] ^= 0x01;
    expect(ipAt(wrong).checksumVerdict()).toEqual({ stored: 0x03b8, status: 'incorrect', expected: 0x02b8 });
  });
});

describe('IcmpView', () => {
  it('reads an echo request: type, code, checksum, identifier, sequence and the sender clock in the data', () => {
    const ip = ipAt(ICMP_ECHO_FRAME);
    const icmp = new IcmpView();
    expect(icmp.point(ICMP_ECHO_FRAME, ip.payloadStart, ip.payloadEnd)).toBeUndefined();
    expect([icmp.type, icmp.code, icmp.checksum, icmp.identifier, icmp.sequence]).toEqual([IcmpType.EchoRequest, 0, 0x867a, 6825, 1]);
    expect([icmp.kind, icmp.isQuery, icmp.isError, icmp.length, icmp.body.length]).toEqual(['echo', true, false, 64, 56]);
    expect(icmp.checksumValid).toBe(true);
    expect(icmp.checksumVerdict().status).toBe('correct');
    // iputils writes a little-endian struct timeval: its low 32 bits of tv_sec first.
    expect(icmp.bodyUint32(0, true)).toBe(0x6b048454);
    expect(icmp.bodyUint32(0)).toBe(0x5484046b);
    expect(toHex(icmp.restOfHeaderBytes)).toBe('1aa90001');
    expect(icmpQueryIdentifiers(icmp.restOfHeaderBytes)).toEqual({ identifier: 6825, sequence: 1 });
    expect(icmpQueryFieldLittleEndian(1)).toBe(256);
  });

  it('reads an error quoting a TCP SYN through quote(), whole enough to verify the quoted checksum', () => {
    const ip = ipAt(UNREACHABLE_QUOTING_TCP_FRAME);
    const icmp = new IcmpView();
    expect(icmp.point(UNREACHABLE_QUOTING_TCP_FRAME, ip.payloadStart, ip.payloadEnd)).toBeUndefined();
    expect([icmp.type, icmp.code, icmp.kind, icmp.isError]).toEqual([IcmpType.DestinationUnreachable, 1, 'destination-unreachable', true]);
    const quoted = new Ipv4View();
    expect(icmp.quote(quoted)).toBeUndefined();
    expect([quoted.start, quoted.protocol, quoted.ttl, quoted.identification]).toEqual([icmp.bodyStart, IpProtocol.TCP, 63, 46537]);
    expect([quoted.source, quoted.destination, quoted.missingLength]).toEqual(['10.77.2.2', '10.77.3.2', 0]);
    const tcp = new TcpView();
    expect(tcp.point(UNREACHABLE_QUOTING_TCP_FRAME, quoted.payloadStart, quoted.payloadEnd)).toBeUndefined();
    expect([tcp.sourcePort, tcp.destinationPort, tcp.sequenceNumber, tcp.checksum]).toEqual([55868, 81, 1698107331, 0xc537]);
    expect(tcp.checksumVerdict(quoted.pseudoHeaderSum(IpProtocol.TCP, tcp.length)).status).toBe('correct');
  });

  it('reads an error quoting a whole UDP probe through quote()', () => {
    const ip = ipAt(PORT_UNREACHABLE_QUOTING_UDP_FRAME);
    const icmp = new IcmpView();
    expect(icmp.point(PORT_UNREACHABLE_QUOTING_UDP_FRAME, ip.payloadStart, ip.payloadEnd)).toBeUndefined();
    const quoted = new Ipv4View();
    expect(icmp.quote(quoted)).toBeUndefined();
    const udp = new UdpView();
    expect(udp.point(PORT_UNREACHABLE_QUOTING_UDP_FRAME, quoted.payloadStart, quoted.payloadEnd)).toBeUndefined();
    expect([udp.sourcePort, udp.destinationPort, udp.lengthField, udp.checksum]).toEqual([40000, 33434, 31, 0x5acd]);
    expect(udp.checksumVerdict(quoted.pseudoHeaderSum(IpProtocol.UDP, udp.lengthField)).status).toBe('correct');
  });

  it('reads a quote cut after 8 transport bytes with pointUnchecked and reaches()', () => {
    const cut = PORT_UNREACHABLE_QUOTING_UDP_FRAME.subarray(0, ETHERNET + 20 + 8 + 20 + 8);
    const icmp = new IcmpView();
    expect(icmp.point(cut, ETHERNET + 20)).toBeUndefined();
    const quoted = new Ipv4View();
    expect(icmp.quote(quoted)).toBeUndefined();
    expect(quoted.missingLength).toBe(23);
    const udp = new UdpView().pointUnchecked(cut, quoted.payloadStart, quoted.payloadEnd);
    expect([udp.reaches(8), udp.reaches(9), udp.destinationPort]).toEqual([true, false, 33434]);
  });

  it('says why a message cannot be read, and a quote that is not an IPv4 header', () => {
    const icmp = new IcmpView();
    expectTypedError(icmp.point(ICMP_ECHO_FRAME, 34, 41), 'truncated', 'icmp');
    expect(icmp.point(ICMP_ECHO_FRAME, 34)).toBeUndefined();
    expectTypedError(icmp.quote(new Ipv4View()), 'malformed', 'ipv4'); // echo data is no IPv4 header
  });
});

describe('TcpView', () => {
  it('reads every field of a SYN with options', () => {
    const ip = ipAt(TCP_SYN_FRAME);
    const tcp = new TcpView();
    expect(tcp.point(TCP_SYN_FRAME, ip.payloadStart, ip.payloadEnd)).toBeUndefined();
    expect([tcp.sourcePort, tcp.destinationPort, tcp.sequenceNumber, tcp.acknowledgmentNumber]).toEqual([47586, 80, 3238951263, 0]);
    expect([tcp.dataOffset, tcp.headerLength, tcp.headerComplete, tcp.reserved, tcp.flags]).toEqual([10, 40, true, 0, TcpFlag.SYN]);
    expect([tcp.window, tcp.checksum, tcp.urgentPointer, tcp.payloadLength, tcp.segmentLength]).toEqual([64240, 0x2f28, 0, 0, 1]);
    expect(tcp.has(TcpFlag.SYN)).toBe(true);
    expect(tcp.has(TcpFlag.SYN | TcpFlag.ACK)).toBe(false);
    expect(tcp.options()).toEqual([
      { kind: 'mss', value: 1460 },
      { kind: 'sack-permitted' },
      { kind: 'timestamps', value: 1276495505, echoReply: 0 },
      { kind: 'nop' },
      { kind: 'window-scale', shift: 10 },
    ]);
    expect(tcp.checksumVerdict(ip.pseudoHeaderSum(IpProtocol.TCP, tcp.length))).toEqual({ stored: 0x2f28, status: 'correct', expected: 0x2f28 });
    expect(tcpSegmentFromView(tcp)).toEqual(parseTcp(tcp.slice()).ok && (parseTcp(tcp.slice()) as { value: object }).value);
  });

  it('shows a header the snaplen cut inside its options: the fixed fields and the options captured', () => {
    const cut = TCP_SYN_FRAME.subarray(0, ETHERNET + 20 + 30);
    const tcp = new TcpView();
    expect(tcp.point(cut, ETHERNET + 20)).toBeUndefined();
    expect([tcp.headerLength, tcp.headerComplete, tcp.optionBytes.length, tcp.payloadLength]).toEqual([40, false, 10, 0]);
    const segment = tcpSegmentFromView(tcp);
    expect(segment).toMatchObject({ sourcePort: 47586, destinationPort: 80, sequenceNumber: 3238951263, dataOffset: 10, headerLength: 40 });
    expect(segment.options).toEqual([{ kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }, { kind: 'raw', bytes: hex('080a4c15') }]);
    expect(segment.payload.length).toBe(0);
    expect(tcp.checksumVerdict(0, { complete: false, reason: 'cut' })).toEqual({ stored: 0x2f28, status: 'unverified', reason: 'cut' });
    expect(parseTcp(cut.subarray(ETHERNET + 20)).ok).toBe(false);
  });

  it('says why a header cannot be read, as typed errors', () => {
    const tcp = new TcpView();
    expectTypedError(tcp.point(TCP_SYN_FRAME, 34, 53), 'truncated', 'tcp');
    const lowOffset = TCP_SYN_FRAME.slice(34);
    lowOffset[12] = 0x40;
    expectTypedError(tcp.point(lowOffset), 'malformed', 'tcp');
  });

  it('gives the offload verdict the engine needs: the field holds only the pseudo-header sum', () => {
    const pseudo = { source: '10.77.1.1', destination: '10.77.1.2' };
    const fields = { sourcePort: 47586, destinationPort: 80, flags: TcpFlag.SYN };
    const right = buildTcp(fields, pseudo);
    const sum = tcpPseudoHeaderSum(pseudo, right.length);
    expect(tcpChecksumVerdict(right, sum).status).toBe('correct');
    const offloaded = buildTcp({ ...fields, checksum: foldChecksum(sum) }, pseudo);
    expect(tcpChecksumVerdict(offloaded, sum)).toMatchObject({ status: 'incorrect', offloadPartialSum: true, expected: right[16] * 256 + right[17] });
    const bad = buildTcp({ ...fields, checksum: 0x1234 }, pseudo);
    expect(tcpChecksumVerdict(bad, sum)).toEqual({ stored: 0x1234, status: 'incorrect', expected: right[16] * 256 + right[17] });
  });

  it('names flags from the one table: Wireshark lists and tcpdump letters as both tools print them', () => {
    expect(TCP_FLAG_NAMES.map((f) => f.bit)).toEqual([0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x100]);
    // hping3-syn-ece-cwr.pcap: "Flags [SEW]", "Flags [S.E]", "Flags [R]"; tcpdump 4.99 on scapy-made segments: "[FSU]", "[.U]", "[S.EW]", "[FP.]".
    expect(tcpdumpFlagLetters(TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR)).toBe('SEW');
    expect(tcpdumpFlagLetters(TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE)).toBe('S.E');
    expect(tcpdumpFlagLetters(TcpFlag.RST)).toBe('R');
    expect(tcpdumpFlagLetters(TcpFlag.FIN | TcpFlag.SYN | TcpFlag.URG)).toBe('FSU');
    expect(tcpdumpFlagLetters(TcpFlag.URG | TcpFlag.ACK)).toBe('.U');
    expect(tcpdumpFlagLetters(TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE | TcpFlag.CWR)).toBe('S.EW');
    expect(tcpdumpFlagLetters(TcpFlag.FIN | TcpFlag.PSH | TcpFlag.ACK)).toBe('FP.');
    expect(tcpdumpFlagLetters(0)).toBe('none');
    expect(tcpFlagNames(TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR | TcpFlag.AE, 'AE')).toEqual(['SYN', 'ECE', 'CWR', 'AE']);
  });
});

describe('UdpView and the UDP codec', () => {
  const pseudo = { source: '10.77.2.2', destination: '10.77.3.2' };
  const datagram = () => UDP_FRAME.subarray(ETHERNET + 20);

  it('reads every field of a captured datagram', () => {
    const ip = ipAt(UDP_FRAME);
    const udp = new UdpView();
    expect(udp.point(UDP_FRAME, ip.payloadStart, ip.payloadEnd)).toBeUndefined();
    expect([udp.sourcePort, udp.destinationPort, udp.lengthField, udp.checksum, udp.lengthMatches]).toEqual([40000, 33434, 31, 0x5acd, true]);
    expect(new TextDecoder().decode(udp.payload)).toBe('packet-lab udp probe 0\n');
    expect(udp.checksumValid(ip.pseudoHeaderSum(IpProtocol.UDP, udp.lengthField))).toBe(true);
    expect(udp.checksumVerdict(ip.pseudoHeaderSum(IpProtocol.UDP, udp.lengthField)).status).toBe('correct');
  });

  it('rebuilds the captured datagram byte for byte from its fields, the builder filling length and checksum', () => {
    const parsed = parseUdp(datagram(), pseudo);
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.checksumValid).toBe(true);
    const { sourcePort, destinationPort, payload } = parsed.value;
    expect(toHex(buildUdp({ sourcePort, destinationPort, payload }, pseudo))).toBe(toHex(datagram()));
    expect(toHex(buildUdp(parsed.value))).toBe(toHex(datagram()));
  });

  it('computes the checksum scapy computes', () => {
    // scapy: IP(src="192.0.2.1", dst="198.51.100.7")/UDP(sport=5353, dport=53)/Raw(b"packet-lab") -> chksum 0x3660
    const built = buildUdp({ sourcePort: 5353, destinationPort: 53, payload: new TextEncoder().encode('packet-lab') }, { source: '192.0.2.1', destination: '198.51.100.7' });
    expect(toHex(built)).toBe('14e90035001236607061636b65742d6c6162');
  });

  it('sends a computed 0 as 0xffff and reads a stored 0 as "no checksum" (IPv4 only)', () => {
    // scapy agrees: this payload sums to a checksum of 0, which it also sends as 0xffff.
    const addresses = { source: '192.0.2.1', destination: '198.51.100.7' };
    const built = buildUdp({ sourcePort: 5353, destinationPort: 53, payload: hex('fe7f') }, addresses);
    expect(toHex(built.subarray(6, 8))).toBe('ffff');
    const sum = udpPseudoHeaderSum(addresses, built.length);
    const view = new UdpView();
    view.point(built);
    expect(view.checksumVerdict(sum)).toEqual({ stored: 0xffff, status: 'correct', expected: 0xffff });
    const none = buildUdp({ sourcePort: 5353, destinationPort: 53, payload: hex('fe7f'), checksum: 0 });
    view.point(none);
    expect(view.checksumVerdict(sum)).toEqual({ stored: 0, status: 'not-present' });
    const parsed = parseUdp(none, addresses);
    expect(parsed.ok && parsed.value.checksumValid).toBe(undefined);
  });

  it('round-trips a wrong length and a wrong checksum set on purpose, and flags both', () => {
    const payload = hex('00010203');
    const longer = buildUdp({ sourcePort: 1, destinationPort: 2, payload, length: 99 }, pseudo);
    const view = new UdpView();
    expect(view.point(longer)).toBeUndefined();
    expect([view.lengthField, view.lengthMatches, view.payload.length]).toEqual([99, false, 4]);
    const reparsed = parseUdp(longer);
    if (!reparsed.ok) throw new Error(reparsed.error.message);
    expect(toHex(buildUdp(reparsed.value))).toBe(toHex(longer));
    const shorter = buildUdp({ sourcePort: 1, destinationPort: 2, payload, length: 10 }, pseudo);
    view.point(shorter);
    expect([view.lengthMatches, toHex(view.payload)]).toEqual([false, '0001']);

    const wrong = buildUdp({ sourcePort: 40000, destinationPort: 33434, payload: datagram().subarray(8), checksum: 0x1234 });
    view.point(wrong);
    expect(view.checksumVerdict(udpPseudoHeaderSum(pseudo, wrong.length))).toEqual({ stored: 0x1234, status: 'incorrect', expected: 0x5acd });
    const again = parseUdp(wrong, pseudo);
    if (!again.ok) throw new Error(again.error.message);
    expect(again.value.checksumValid).toBe(false);
    expect(toHex(buildUdp(again.value))).toBe(toHex(wrong));
  });

  it('says why a header cannot be read', () => {
    expectTypedError(new UdpView().point(datagram().subarray(0, 7)), 'truncated', 'udp');
    expect(parseUdp(new Uint8Array(3)).ok).toBe(false);
  });
});

describe('ArpView and the ARP codec', () => {
  it('reads every field of a request and a reply', () => {
    const view = new ArpView();
    expect(view.point(ARP_REQUEST)).toBeUndefined();
    expect([view.hardwareType, view.protocolType, view.hardwareSize, view.protocolSize, view.opcode]).toEqual([1, 0x0800, 6, 4, ArpOpcode.Request]);
    expect([view.senderHardwareAddress, view.senderIpv4, view.targetHardwareAddress, view.targetIpv4]).toEqual([
      '02:70:6c:01:00:01',
      '10.77.1.1',
      '00:00:00:00:00:00',
      '10.77.1.2',
    ]);
    expect([view.packetLength, view.isEthernetIpv4, view.targetProtocolAt]).toEqual([28, true, 24]);
    expect(parseArp(ARP_REPLY)).toEqual({
      ok: true,
      value: {
        hardwareType: 1,
        protocolType: 0x0800,
        hardwareSize: 6,
        protocolSize: 4,
        opcode: ArpOpcode.Reply,
        senderMac: '02:70:6c:01:00:02',
        senderIp: '10.77.1.2',
        targetMac: '02:70:6c:01:00:01',
        targetIp: '10.77.1.1',
        length: 28,
      },
    });
  });

  it('rebuilds both byte for byte, from parsed fields and from the least a caller gives', () => {
    for (const bytes of [ARP_REQUEST, ARP_REPLY]) {
      const parsed = parseArp(bytes);
      if (!parsed.ok) throw new Error(parsed.error.message);
      expect(toHex(buildArp(parsed.value))).toBe(toHex(bytes));
    }
    expect(toHex(buildArp({ opcode: ArpOpcode.Request, senderMac: '02:70:6c:01:00:01', senderIp: '10.77.1.1', targetIp: '10.77.1.2' }))).toBe(toHex(ARP_REQUEST));
    // Ethernet padding after the 28 bytes is not ARP's.
    const padded = Uint8Array.from([...ARP_REPLY, ...new Uint8Array(18)]);
    expect(parseArp(padded)).toMatchObject({ ok: true, value: { length: 28 } });
  });

  it('gives typed errors for cut packets and for sizes or protocols it does not decode', () => {
    expectTypedError(new ArpView().point(ARP_REQUEST.subarray(0, 7)), 'truncated', 'arp');
    expectTypedError(new ArpView().point(ARP_REQUEST.subarray(0, 27)), 'truncated', 'arp');
    const wrongSize = buildArp({ opcode: 1, senderMac: '02:70:6c:01:00:01', senderIp: '10.77.1.1', targetIp: '10.77.1.2', hardwareSize: 8 });
    expect(wrongSize[4]).toBe(8);
    const cut = parseArp(wrongSize);
    expect(cut.ok ? undefined : cut.error.kind).toBe('truncated'); // 8-byte addresses need 32 bytes
    const ipv6 = new Uint8Array(8 + 2 * (6 + 16));
    ipv6.set(hex('000186dd06100001'));
    const result = parseArp(ipv6);
    expect(result.ok ? undefined : [result.error.kind, result.error.layer]).toEqual(['malformed', 'arp']);
    expect(() => buildArp({ opcode: 70000, senderMac: '02:70:6c:01:00:01', senderIp: '10.77.1.1', targetIp: '10.77.1.2' })).toThrow(RangeError);
  });
});

describe('link-header views', () => {
  it('find the network layer of Ethernet, VLAN-tagged Ethernet, Linux cooked, BSD loopback and raw IP frames', () => {
    const link = new LinkLayerView();
    expect(link.point(LINKTYPE.ETHERNET, ICMP_ECHO_FRAME)).toBeUndefined();
    expect([link.protocol, link.payloadStart]).toEqual([ETHERTYPE.IPV4, 14]);
    const ip = ICMP_ECHO_FRAME.subarray(ETHERNET);
    const tagged = buildEthernet({ destination: '02:70:6c:01:00:02', source: '02:70:6c:01:00:01', vlanTags: [{ tpid: ETHERTYPE.VLAN, pcp: 0, dei: 0, vid: 7 }], etherType: ETHERTYPE.IPV4 }, ip);
    expect(link.point(LINKTYPE.ETHERNET, tagged)).toBeUndefined();
    expect([link.protocol, link.payloadStart]).toEqual([ETHERTYPE.IPV4, 18]);
    const ethernet = new EthernetView();
    ethernet.point(tagged);
    expect([ethernet.typeField, ethernet.etherType, ethernet.vlanTagCount, ethernet.destination]).toEqual([ETHERTYPE.VLAN, ETHERTYPE.IPV4, 1, '02:70:6c:01:00:02']);
    const sll = Uint8Array.from([...SLL_FRAME_HEADER, ...ip]);
    expect(link.point(LINKTYPE.LINUX_SLL, sll)).toBeUndefined();
    expect([link.protocol, link.payloadStart]).toEqual([ETHERTYPE.IPV4, 16]);
    const sllView = new LinuxSllView();
    sllView.point(sll);
    expect([sllView.packetType, sllView.arphrdType, sllView.addressLength, sllView.protocol]).toEqual([4, 1, 6, ETHERTYPE.IPV4]);
    const nullFrame = buildNull({ family: 2 }, ip);
    expect(link.point(LINKTYPE.NULL, nullFrame)).toBeUndefined();
    expect([link.protocol, link.payloadStart]).toEqual([ETHERTYPE.IPV4, 4]);
    const loopback = new LoopbackView();
    loopback.point(buildNull({ family: 30, littleEndian: false }, ip));
    expect([loopback.family, loopback.littleEndian]).toEqual([30, false]);
    expect(link.point(LINKTYPE.RAW, ip)).toBeUndefined();
    expect([link.protocol, link.payloadStart]).toEqual([ETHERTYPE.IPV4, 0]);
    expectTypedError(new LinuxSll2View().point(sll.subarray(0, 19)), 'truncated', 'linux-sll2');
    expectTypedError(link.point(LINKTYPE.ETHERNET, tagged.subarray(0, 16)), 'truncated', 'ethernet');
  });

  it('agree with decodeLinkLayer on random frames: same protocol, same network-layer start, same errors', () => {
    const linkTypes = [LINKTYPE.ETHERNET, LINKTYPE.NULL, LINKTYPE.LOOP, LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2, LINKTYPE.RAW, LINKTYPE.IPV4, 147];
    const link = new LinkLayerView();
    fc.assert(
      fc.property(fc.constantFrom(...linkTypes), fc.uint8Array({ maxLength: 40 }), fc.boolean(), (linkType, frame, vlan) => {
        if (vlan && frame.length >= 14) frame.set([0x81, 0x00], 12);
        const decoded = decodeLinkLayer(linkType, frame);
        const error = link.point(linkType, frame);
        if (!decoded.ok) {
          expect(error).toEqual(decoded.error);
          return;
        }
        expect(error).toBeUndefined();
        expect(link.protocol).toBe(decoded.value.protocol);
        expect(link.payloadStart).toBe(frame.length - decoded.value.payload.length);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('point() on random bytes', () => {
  const anyWindow = fc.uint8Array({ maxLength: 80 }).chain((bytes) =>
    fc.tuple(fc.constant(bytes), fc.nat(bytes.length)).chain(([b, start]) => fc.tuple(fc.constant(b), fc.constant(start), fc.integer({ min: start, max: b.length }))),
  );
  const isTypedError = (e: ParseError) => (e.kind === 'truncated' || e.kind === 'malformed') && typeof e.layer === 'string' && e.message.length > 0;
  const numbersIn = (values: unknown[]) => values.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0);

  it('never throws, and either gives a typed error or a view whose fields all read from captured bytes', () => {
    const ip = new Ipv4View();
    const icmp = new IcmpView();
    const tcp = new TcpView();
    const udp = new UdpView();
    const arp = new ArpView();
    fc.assert(
      fc.property(anyWindow, ([bytes, start, end]) => {
        const ipError = ip.point(bytes, start, end);
        if (ipError) expect(isTypedError(ipError)).toBe(true);
        else {
          expect(numbersIn([ip.totalLength, ip.identification, ip.ttl, ip.protocol, ip.checksum, ip.sourceNumber, ip.destinationNumber])).toBe(true);
          expect(ip.payloadEnd).toBeLessThanOrEqual(end);
          expect(ip.payloadStart).toBeLessThanOrEqual(end);
          ip.checksumVerdict();
        }
        const icmpError = icmp.point(bytes, start, end);
        if (icmpError) expect(isTypedError(icmpError)).toBe(true);
        else {
          expect(numbersIn([icmp.type, icmp.code, icmp.checksum, icmp.restOfHeader, icmp.identifier, icmp.sequence])).toBe(true);
          const quoteError = icmp.quote(new Ipv4View());
          if (quoteError) expect(isTypedError(quoteError)).toBe(true);
        }
        const tcpError = tcp.point(bytes, start, end);
        if (tcpError) expect(isTypedError(tcpError)).toBe(true);
        else {
          expect(numbersIn([tcp.sourcePort, tcp.sequenceNumber, tcp.acknowledgmentNumber, tcp.flags, tcp.window, tcp.checksum, tcp.urgentPointer])).toBe(true);
          expect(tcp.payloadStart).toBeLessThanOrEqual(end);
          expect(tcpSegmentFromView(tcp).options.length).toBeGreaterThanOrEqual(0);
        }
        const udpError = udp.point(bytes, start, end);
        if (udpError) expect(isTypedError(udpError)).toBe(true);
        else {
          expect(numbersIn([udp.sourcePort, udp.destinationPort, udp.lengthField, udp.checksum])).toBe(true);
          expect(udp.payloadEnd).toBeLessThanOrEqual(end);
        }
        const arpError = arp.point(bytes, start, end);
        if (arpError) expect(isTypedError(arpError)).toBe(true);
        else expect(arp.targetProtocolAt + arp.protocolSize).toBeLessThanOrEqual(end);
        const window = bytes.subarray(start, end);
        for (const result of [parseIpv4(window), parseIcmp(window), parseTcp(window), parseUdp(window), parseArp(window)]) {
          if (!result.ok) expect(isTypedError(result.error)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('finds the IPv4 header inside random frames that start like the captured one', () => {
    fc.assert(
      fc.property(fc.nat(ICMP_ECHO_FRAME.length), fc.nat(0xff), fc.nat(ICMP_ECHO_FRAME.length - 1), (cutAt, value, at) => {
        const frame = ICMP_ECHO_FRAME.slice(0, cutAt);
        if (at < frame.length) frame[at] = value;
        const ip = new Ipv4View();
        const error = ip.point(frame, Math.min(ETHERNET, frame.length));
        const parsed = parseIpv4(frame.subarray(Math.min(ETHERNET, frame.length)), { allowTruncatedPayload: true });
        expect(error).toEqual(parsed.ok ? undefined : parsed.error);
      }),
      { numRuns: 1000 },
    );
  });
});
