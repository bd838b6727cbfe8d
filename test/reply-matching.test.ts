// The one request/reply matcher (src/wire/reply-matching.ts), per layer, on
// packets built with the wire builders: what answers, what does not, and
// that a request and its answers agree on the table key.
import { describe, expect, it } from 'vitest';
import { buildIcmp, buildIcmpEcho, IcmpType, IcmpUnreachableCode } from '../src/wire/icmp.ts';
import { ipv4AddressNumber } from '../src/wire/ipv4-address.ts';
import { buildIpv4, IpProtocol } from '../src/wire/ipv4.ts';
import {
  answerOf,
  answers,
  answersConnection,
  describeRequest,
  describeTransport,
  icmpQueryKey,
  NO_KEY,
  ReplyViews,
  requestKey,
  type SentRequest,
  type TcpConnectionEndpoints,
} from '../src/wire/reply-matching.ts';
import { buildTcp, TcpFlag, type TcpSegmentInit } from '../src/wire/tcp.ts';
import { buildUdp } from '../src/wire/udp.ts';
import { EchoRequestMatcher } from '../src/dissection/echo-matching.ts';
import fc from 'fast-check';
import { buildIcmpv6, buildIcmpv6Echo } from '../src/wire/icmpv6.ts';
import { parseIpv6Address } from '../src/wire/ipv6-address.ts';
import { buildIpv6, Ipv6View } from '../src/wire/ipv6.ts';
import { describeTransport6, ipv6AddressFold } from '../src/wire/reply-matching.ts';
import {
  ADDRESS_UNREACHABLE,
  ECHO_REPLY as ECHO_REPLY_6,
  ECHO_REQUEST,
  ECHO_REQUEST_HOP_LIMIT_1,
  ECHO_REQUEST_TO_ABSENT,
  FIRST_FRAGMENT,
  PACKET_TOO_BIG,
  SECOND_FRAGMENT,
  PORT_UNREACHABLE,
  TIME_EXCEEDED,
  UDP_PROBE,
} from './helpers/ipv6-captures.ts';

const US = '192.0.2.10';
const PEER = '198.51.100.7';
const ROUTER = '203.0.113.1';
const OTHER = '198.51.100.99';

const views = new ReplyViews();

function ip(source: string, destination: string, protocol: number, payload: Uint8Array, ttl = 64): Uint8Array {
  return buildIpv4({ source, destination, protocol, ttl, identification: 0x1234 }, payload);
}

function echo(type: 0 | 8, identifier: number, sequence: number, source = US, destination = PEER): Uint8Array {
  return ip(source, destination, IpProtocol.ICMP, buildIcmpEcho({ type, identifier, sequence, payload: 'packet-lab 0123456789' }));
}

function tcp(source: string, destination: string, segment: TcpSegmentInit): Uint8Array {
  return ip(source, destination, IpProtocol.TCP, buildTcp(segment, { source, destination }));
}

/** An ICMP error from `from` quoting `datagram`, whole or cut to its header + `quoteBytes` bytes. */
function icmpError(from: string, type: 3 | 11, code: number, datagram: Uint8Array, quoteBytes?: number): Uint8Array {
  const original = quoteBytes === undefined ? datagram : datagram.subarray(0, 20 + quoteBytes);
  const message =
    type === 11 ? buildIcmp({ kind: 'time-exceeded', code, original }) : buildIcmp({ kind: 'destination-unreachable', code, original });
  return ip(from, US, IpProtocol.ICMP, message);
}

function describe_(datagram: Uint8Array): SentRequest {
  const request = describeRequest(datagram);
  if (!request) throw new Error('not a request');
  return request;
}

/** The key the received packet carries equals the request's (hashret). */
function expectSameKey(request: SentRequest, received: Uint8Array): void {
  views.read(received);
  expect(views.key).not.toBe(NO_KEY);
  expect(views.key).toBe(requestKey(request));
}

describe('ICMP queries', () => {
  const sent = echo(8, 0x4242, 7);
  const request = describe_(sent);

  it('describes what was sent', () => {
    expect(request).toMatchObject({
      protocol: IpProtocol.ICMP,
      source: ipv4AddressNumber(US),
      destination: ipv4AddressNumber(PEER),
      icmpType: IcmpType.EchoRequest,
      identifier: 0x4242,
      sequence: 7,
    });
  });

  it('an echo reply with the same identifier and sequence from the destination is the reply', () => {
    const reply = echo(0, 0x4242, 7, PEER, US);
    expect(answers(request, reply, views)).toBe('reply');
    expectSameKey(request, reply);
  });

  it('a wrong identifier, a wrong sequence or a wrong source is not', () => {
    expect(answers(request, echo(0, 0x4243, 7, PEER, US), views)).toBeUndefined();
    expect(answers(request, echo(0, 0x4242, 8, PEER, US), views)).toBeUndefined();
    expect(answers(request, echo(0, 0x4242, 7, OTHER, US), views)).toBeUndefined();
    expect(answers(request, echo(0, 0x4242, 7, PEER, OTHER), views)).toBeUndefined();
  });

  it('our own request looped back is not a reply (loopback raw sockets see outgoing packets)', () => {
    const loop = echo(8, 0x4242, 7, '127.0.0.1', '127.0.0.1');
    const loopRequest = describe_(loop);
    expect(answers(loopRequest, loop, views)).toBeUndefined();
    expect(views.kind).toBeUndefined();
    expect(answers(loopRequest, echo(0, 0x4242, 7, '127.0.0.1', '127.0.0.1'), views)).toBe('reply');
  });

  it('an unknown source (the kernel writes it) matches a reply to any of our addresses', () => {
    const transport = buildIcmpEcho({ identifier: 0x4242, sequence: 7 });
    const kernelSourced = describeTransport(IpProtocol.ICMP, 0, ipv4AddressNumber(PEER), transport)!;
    expect(answers(kernelSourced, echo(0, 0x4242, 7, PEER, OTHER), views)).toBe('reply');
    expect(requestKey(kernelSourced)).toBe(NO_KEY);
  });

  it('timestamp, information and address mask requests are answered by their reply types only', () => {
    const pairs = [
      [IcmpType.Timestamp, IcmpType.TimestampReply],
      [IcmpType.InformationRequest, IcmpType.InformationReply],
      [IcmpType.AddressMaskRequest, IcmpType.AddressMaskReply],
    ];
    for (const [query, reply] of pairs) {
      const restOfHeader = new Uint8Array([0x12, 0x34, 0x00, 0x05]);
      const sentQuery = ip(US, PEER, IpProtocol.ICMP, buildIcmp({ kind: 'other', type: query, restOfHeader }));
      const queryRequest = describe_(sentQuery);
      const answer = ip(PEER, US, IpProtocol.ICMP, buildIcmp({ kind: 'other', type: reply, restOfHeader }));
      expect(answers(queryRequest, answer, views)).toBe('reply');
      expectSameKey(queryRequest, answer);
      expect(answers(queryRequest, echo(0, 0x1234, 5, PEER, US), views)).toBeUndefined();
    }
  });

  it('an echo reply answers nothing when we sent an echo reply', () => {
    const replyRequest = describe_(echo(0, 9, 1));
    expect(answers(replyRequest, echo(0, 9, 1, PEER, US), views)).toBeUndefined();
  });
});

describe('ICMP errors match through the quote', () => {
  const sent = echo(8, 0x4242, 7);
  const request = describe_(sent);

  it('time exceeded from a router quoting 8 bytes', () => {
    const error = icmpError(ROUTER, 11, 0, sent, 8);
    expect(answers(request, error, views)).toBe('icmp-error');
    expectSameKey(request, error);
  });

  it('time exceeded quoting the whole packet', () => {
    const error = icmpError(ROUTER, 11, 0, sent);
    expect(answers(request, error, views)).toBe('icmp-error');
    expectSameKey(request, error);
  });

  it('an error quoting another sequence, identifier or destination is not ours', () => {
    expect(answers(request, icmpError(ROUTER, 11, 0, echo(8, 0x4242, 8), 8), views)).toBeUndefined();
    expect(answers(request, icmpError(ROUTER, 11, 0, echo(8, 0x4243, 7), 8), views)).toBeUndefined();
    expect(answers(request, icmpError(ROUTER, 11, 0, echo(8, 0x4242, 7, US, OTHER), 8), views)).toBeUndefined();
    expect(answers(request, icmpError(ROUTER, 11, 0, echo(8, 0x4242, 7, OTHER, PEER), 8), views)).toBeUndefined();
  });

  it('a quote of only 4 ICMP bytes matches on type (no identifier to compare) but gives no key', () => {
    const error = icmpError(ROUTER, 3, IcmpUnreachableCode.HostUnreachable, sent, 4);
    expect(answers(request, error, views)).toBe('icmp-error');
    expect(views.key).toBe(NO_KEY);
  });

  it('port unreachable quoting a UDP probe', () => {
    const probe = ip(US, PEER, IpProtocol.UDP, buildUdp({ sourcePort: 40000, destinationPort: 33434, payload: new Uint8Array(12) }, { source: US, destination: PEER }));
    const udpRequest = describe_(probe);
    const error = icmpError(PEER, 3, IcmpUnreachableCode.PortUnreachable, probe);
    expect(answers(udpRequest, error, views)).toBe('icmp-error');
    expectSameKey(udpRequest, error);
    expect(answers(udpRequest, icmpError(PEER, 3, IcmpUnreachableCode.PortUnreachable, probe, 8), views)).toBe('icmp-error');
    const otherPort = ip(US, PEER, IpProtocol.UDP, buildUdp({ sourcePort: 40000, destinationPort: 33435 }, { source: US, destination: PEER }));
    expect(answers(udpRequest, icmpError(PEER, 3, 3, otherPort), views)).toBeUndefined();
  });

  it('an ICMP error is never answered by an error (ours looped back, quoting the same)', () => {
    const quotedProbe = echo(8, 1, 1);
    const ourError = icmpError(US, 3, 3, quotedProbe);
    const errorRequest = describe_(ourError);
    expect(answers(errorRequest, ourError, views)).toBeUndefined();
  });

  it('a non-first fragment quoted has no transport header to match', () => {
    const fragment = buildIpv4({ source: US, destination: PEER, protocol: IpProtocol.ICMP, fragmentOffset: 10 }, new Uint8Array(16));
    expect(answers(request, icmpError(ROUTER, 11, 1, fragment), views)).toBeUndefined();
  });
});

describe('TCP', () => {
  const syn: TcpSegmentInit = { sourcePort: 40001, destinationPort: 80, sequenceNumber: 0xfffffff0, flags: TcpFlag.SYN };
  const sent = tcp(US, PEER, syn);
  const request = describe_(sent);
  const replyTo = (flags: number, acknowledgmentNumber: number, from = PEER, sourcePort = 80, destinationPort = 40001) =>
    tcp(from, US, { sourcePort, destinationPort, sequenceNumber: 1000, acknowledgmentNumber, flags });

  it('describes ports, numbers and the sequence space taken', () => {
    expect(request).toMatchObject({ protocol: IpProtocol.TCP, sourcePort: 40001, destinationPort: 80, sequenceNumber: 0xfffffff0, tcpFlags: TcpFlag.SYN, segmentLength: 1 });
  });

  it('SYN-ACK and RST-ACK acknowledging our SYN answer it', () => {
    const synAck = replyTo(TcpFlag.SYN | TcpFlag.ACK, 0xfffffff1);
    expect(answers(request, synAck, views)).toBe('reply');
    expectSameKey(request, synAck);
    expect(answers(request, replyTo(TcpFlag.RST | TcpFlag.ACK, 0xfffffff1), views)).toBe('reply');
  });

  it('a RST without ACK (the answer to an ACK probe) answers on the ports alone', () => {
    expect(answers(request, replyTo(TcpFlag.RST, 0), views)).toBe('reply');
  });

  it('not a segment to another port, from another port or host, or acknowledging what we never sent', () => {
    expect(answers(request, replyTo(TcpFlag.SYN | TcpFlag.ACK, 0xfffffff1, PEER, 80, 40002), views)).toBeUndefined();
    expect(answers(request, replyTo(TcpFlag.SYN | TcpFlag.ACK, 0xfffffff1, PEER, 81), views)).toBeUndefined();
    expect(answers(request, replyTo(TcpFlag.SYN | TcpFlag.ACK, 0xfffffff1, OTHER), views)).toBeUndefined();
    expect(answers(request, replyTo(TcpFlag.SYN | TcpFlag.ACK, 0xfffffff2), views)).toBeUndefined();
    expect(answers(request, replyTo(TcpFlag.RST | TcpFlag.ACK, 0xffffffef), views)).toBeUndefined();
  });

  it('a SYN without ACK, or a SYN-ACK to anything but a SYN, is no answer; nothing answers a RST', () => {
    expect(answers(request, replyTo(TcpFlag.SYN, 0), views)).toBeUndefined();
    const finProbe = describe_(tcp(US, PEER, { ...syn, flags: TcpFlag.FIN }));
    expect(answers(finProbe, replyTo(TcpFlag.SYN | TcpFlag.ACK, 0xfffffff1), views)).toBeUndefined();
    expect(answers(finProbe, replyTo(TcpFlag.RST | TcpFlag.ACK, 0xfffffff1), views)).toBe('reply');
    const rstProbe = describe_(tcp(US, PEER, { ...syn, flags: TcpFlag.RST }));
    expect(answers(rstProbe, replyTo(TcpFlag.RST, 0), views)).toBeUndefined();
    expect(answers(rstProbe, icmpError(ROUTER, 11, 0, tcp(US, PEER, { ...syn, flags: TcpFlag.RST }), 8), views)).toBe('icmp-error');
  });

  it('our own SYN looped back (sport == dport on loopback) is not an answer, a SYN-ACK is', () => {
    const loop = tcp('127.0.0.1', '127.0.0.1', { sourcePort: 5555, destinationPort: 5555, sequenceNumber: 9, flags: TcpFlag.SYN });
    const loopRequest = describe_(loop);
    expect(answers(loopRequest, loop, views)).toBeUndefined();
    const reply = tcp('127.0.0.1', '127.0.0.1', { sourcePort: 5555, destinationPort: 5555, sequenceNumber: 77, acknowledgmentNumber: 10, flags: TcpFlag.SYN | TcpFlag.ACK });
    expect(answers(loopRequest, reply, views)).toBe('reply');
  });

  it('ICMP errors quoting 8 bytes (ports and sequence) or the whole SYN', () => {
    for (const quoteBytes of [8, undefined]) {
      const error = icmpError(ROUTER, 11, 0, sent, quoteBytes);
      expect(answers(request, error, views)).toBe('icmp-error');
      expectSameKey(request, error);
    }
    const otherSequence = tcp(US, PEER, { ...syn, sequenceNumber: 5 });
    expect(answers(request, icmpError(ROUTER, 11, 0, otherSequence, 8), views)).toBeUndefined();
    // 4 bytes hold the ports only: the sequence cannot be compared.
    expect(answers(request, icmpError(ROUTER, 11, 0, otherSequence, 4), views)).toBe('icmp-error');
  });
});

describe('a TCP connection (the session)', () => {
  const connection: TcpConnectionEndpoints = {
    source: ipv4AddressNumber(US),
    sourcePort: 40001,
    destination: ipv4AddressNumber(PEER),
    destinationPort: 80,
  };
  const fromPeer = (sequenceNumber: number, flags: number = TcpFlag.ACK) =>
    tcp(PEER, US, { sourcePort: 80, destinationPort: 40001, sequenceNumber, acknowledgmentNumber: 123, flags, payload: new Uint8Array(5) });
  const ours = (sequenceNumber: number) => tcp(US, PEER, { sourcePort: 40001, destinationPort: 80, sequenceNumber, flags: TcpFlag.ACK });

  it('takes every segment from peer:port to our port, whatever its numbers', () => {
    expect(answersConnection(connection, fromPeer(1), views)).toBe('reply');
    expect(answersConnection(connection, fromPeer(0x80000000, TcpFlag.RST), views)).toBe('reply');
    expect(answersConnection(connection, tcp(PEER, US, { sourcePort: 81, destinationPort: 40001 }), views)).toBeUndefined();
    expect(answersConnection(connection, tcp(PEER, US, { sourcePort: 80, destinationPort: 40002 }), views)).toBeUndefined();
    expect(answersConnection(connection, tcp(OTHER, US, { sourcePort: 80, destinationPort: 40001 }), views)).toBeUndefined();
    expect(answersConnection({ ...connection, source: 0 }, fromPeer(1), views)).toBe('reply');
  });

  it('takes ICMP errors quoting our segments; with a send window, only those quoting a number in it', () => {
    const error = icmpError(ROUTER, 3, IcmpUnreachableCode.FragmentationNeeded, ours(1000), 8);
    expect(answersConnection(connection, error, views)).toBe('icmp-error');
    const windowed = { ...connection, sendUnacknowledged: 990, sendNext: 1010 };
    expect(answersConnection(windowed, error, views)).toBe('icmp-error');
    expect(answersConnection({ ...connection, sendUnacknowledged: 1001, sendNext: 1010 }, error, views)).toBeUndefined();
    expect(answersConnection({ ...connection, sendUnacknowledged: 990, sendNext: 1000 }, error, views)).toBeUndefined();
    // SYN-SENT: the window is the ISS alone.
    expect(answersConnection({ ...connection, sendUnacknowledged: 1000, sendNext: 1001 }, error, views)).toBe('icmp-error');
    const elsewhere = icmpError(ROUTER, 3, 4, tcp(US, PEER, { sourcePort: 40001, destinationPort: 81, sequenceNumber: 1000 }), 8);
    expect(answersConnection(connection, elsewhere, views)).toBeUndefined();
  });
});

describe('keys (hashret)', () => {
  it('agree between a request, its reply and an error quoting it, and differ between requests', () => {
    const keys = new Set<number>();
    for (let sequence = 0; sequence < 2000; sequence++) {
      const request = describe_(echo(8, 0x4242, sequence));
      const key = requestKey(request);
      expect(Number.isSafeInteger(key) && key >= 0).toBe(true);
      keys.add(key);
      if (sequence % 97 === 0) {
        expectSameKey(request, echo(0, 0x4242, sequence, PEER, US));
        expectSameKey(request, icmpError(ROUTER, 11, 0, echo(8, 0x4242, sequence), 8));
      }
    }
    expect(keys.size).toBe(2000);
  });

  it('are directed: A asking B is not B asking A', () => {
    const a = ipv4AddressNumber(US);
    const b = ipv4AddressNumber(PEER);
    expect(icmpQueryKey(a, b, IcmpType.EchoRequest, 1, 1)).not.toBe(icmpQueryKey(b, a, IcmpType.EchoRequest, 1, 1));
  });

  it('TCP probes over many ports find their port by key', () => {
    const table = new Map<number, number>();
    for (let port = 1; port <= 1024; port++) {
      table.set(requestKey(describe_(tcp(US, PEER, { sourcePort: 40001, destinationPort: port, sequenceNumber: 5, flags: TcpFlag.SYN }))), port);
    }
    expect(table.size).toBe(1024);
    views.read(tcp(PEER, US, { sourcePort: 443, destinationPort: 40001, acknowledgmentNumber: 6, flags: TcpFlag.RST | TcpFlag.ACK }));
    expect(table.get(views.key)).toBe(443);
  });
});

describe('never throws on bad bytes', () => {
  it('reads truncated, empty and random input as answering nothing', () => {
    const request = describe_(echo(8, 1, 1));
    const samples = [new Uint8Array(0), new Uint8Array([0x45]), echo(0, 1, 1, PEER, US).subarray(0, 24), new Uint8Array(40).fill(0xff)];
    let seed = 7;
    for (let i = 0; i < 500; i++) {
      const bytes = new Uint8Array(i % 80);
      for (let j = 0; j < bytes.length; j++) bytes[j] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      if (bytes.length > 0) bytes[0] = 0x45;
      samples.push(bytes);
    }
    for (const bytes of samples) {
      expect(() => answers(request, bytes, views)).not.toThrow();
      expect(() => answerOf(request, views)).not.toThrow();
    }
    expect(describeRequest(new Uint8Array(3))).toBeUndefined();
    expect(describeTransport(IpProtocol.TCP, 0, 1, new Uint8Array(10))).toBeUndefined();
  });
});

describe("dissect's echo request matcher, keyed by the same keys", () => {
  const a = ipv4AddressNumber(US);
  const b = ipv4AddressNumber(PEER);

  it('names the request a reply answers, between the same two hosts only', () => {
    const matcher = new EchoRequestMatcher();
    matcher.request(a, b, 0x4242, 1, 1, 0);
    matcher.request(b, a, 0x4242, 1, 2, 10);
    expect(matcher.reply(b, a, 0x4242, 1)?.frame).toBe(1);
    expect(matcher.reply(a, b, 0x4242, 1)?.frame).toBe(2);
    expect(matcher.reply(b, a, 0x4242, 2)).toBeUndefined();
    expect(matcher.reply(ipv4AddressNumber(OTHER), a, 0x4242, 1)).toBeUndefined();
  });

  it('keeps its memory bounded: past 65536 requests the oldest are forgotten, the newest still found', () => {
    const matcher = new EchoRequestMatcher();
    for (let i = 0; i <= 65536; i++) matcher.request(a, b, i >>> 16, i & 0xffff, i + 1, i);
    expect(matcher.reply(b, a, 0, 0)).toBeUndefined();
    expect(matcher.reply(b, a, 1, 0)?.frame).toBe(65537);
  });
});

// ---------------------------------------------------------------------------
// IPv6: the same rules through ICMPv6, and reads of raw AF_INET6 sockets,
// which deliver the transport bytes without the IPv6 header.

describe('IPv6', () => {
  const US6 = 'fd00:212:1::1';
  const PEER6 = 'fd00:213:1::2';
  const ROUTER6 = 'fd00:212:1::fe';
  const OTHER6 = 'fd00:213:1::3';
  const us6 = parseIpv6Address(US6);
  const peer6 = parseIpv6Address(PEER6);
  const router6 = parseIpv6Address(ROUTER6);

  function ip6(source: string, destination: string, protocol: number, payload: Uint8Array, hopLimit = 64): Uint8Array {
    return buildIpv6({ source, destination, protocol, hopLimit }, payload);
  }
  function echo6(type: 128 | 129, identifier: number, sequence: number, source = US6, destination = PEER6): Uint8Array {
    return ip6(source, destination, IpProtocol.ICMPv6, buildIcmpv6Echo({ type, identifier, sequence, payload: 'packet-lab 0123456789' }, { source, destination }));
  }
  function error6(from: string, kind: 'time-exceeded' | 'destination-unreachable' | 'packet-too-big', datagram: Uint8Array, quoteBytes?: number): Uint8Array {
    const original = quoteBytes === undefined ? datagram : datagram.subarray(0, quoteBytes);
    const pseudo = { source: from, destination: US6 };
    const message =
      kind === 'packet-too-big'
        ? buildIcmpv6({ kind, mtu: 1280, original }, pseudo)
        : buildIcmpv6({ kind, code: kind === 'destination-unreachable' ? 3 : 0, original }, pseudo);
    return ip6(from, US6, IpProtocol.ICMPv6, message);
  }
  /** What a raw AF_INET6 socket hands over: the packet without its IPv6 header. */
  function stripped(packet: Uint8Array): Uint8Array {
    const view = new Ipv6View();
    view.point(packet);
    return view.upperLayer;
  }

  const sent = echo6(128, 0x4242, 7);
  const request = describe_(sent);

  it('describes an echo request: family 6, folded addresses and the 16 bytes', () => {
    expect(request).toMatchObject({ family: 6, protocol: IpProtocol.ICMPv6, icmpType: 128, identifier: 0x4242, sequence: 7 });
    expect(request.source).toBe(ipv6AddressFold(us6));
    expect(request.destination).toBe(ipv6AddressFold(peer6));
    expect(Array.from(request.destinationAddress)).toEqual(Array.from(peer6));
    expect(ipv6AddressFold(new Uint8Array(16))).toBe(0);
    expect(describeTransport6(IpProtocol.ICMPv6, undefined, PEER6, stripped(sent))).toMatchObject({ source: 0, destination: request.destination });
  });

  it('the echo reply from the destination answers, whole or as a raw socket delivers it', () => {
    const reply = echo6(129, 0x4242, 7, PEER6, US6);
    expect(answers(request, reply, views)).toBe('reply');
    expectSameKey(request, reply);
    expect(views.readTransport(6, IpProtocol.ICMPv6, stripped(reply), peer6, us6)).toBe('reply');
    expect(answerOf(request, views)).toBe('reply');
    expect(views.key).toBe(requestKey(request));
    // Without IPV6_PKTINFO the socket does not say which of our addresses it came to: still ours, but no key.
    expect(views.readTransport(6, IpProtocol.ICMPv6, stripped(reply), peer6)).toBe('reply');
    expect(answerOf(request, views)).toBe('reply');
    expect(views.key).toBe(NO_KEY);
  });

  it('not a reply with another identifier or sequence, from another host, to another of ours, or our request looped back', () => {
    expect(answers(request, echo6(129, 0x4243, 7, PEER6, US6), views)).toBeUndefined();
    expect(answers(request, echo6(129, 0x4242, 8, PEER6, US6), views)).toBeUndefined();
    expect(answers(request, echo6(129, 0x4242, 7, OTHER6, US6), views)).toBeUndefined();
    expect(answers(request, echo6(129, 0x4242, 7, PEER6, 'fd00:212:1::5'), views)).toBeUndefined();
    expect(answers(request, sent, views)).toBeUndefined();
    expect(views.readTransport(6, IpProtocol.ICMPv6, stripped(sent), us6, peer6)).toBeUndefined();
  });

  it('folds equal but addresses not: the exact comparison decides', () => {
    const forged = { ...request, destinationAddress: parseIpv6Address(OTHER6) };
    expect(answers(forged, echo6(129, 0x4242, 7, PEER6, US6), views)).toBeUndefined();
  });

  it('an IPv4 reply never answers an IPv6 request, nor the reverse', () => {
    const v4 = echo(0, 0x4242, 7, PEER, US);
    expect(answers(request, v4, views)).toBeUndefined();
    expect(answers(describe_(echo(8, 0x4242, 7)), echo6(129, 0x4242, 7, PEER6, US6), views)).toBeUndefined();
  });

  it('time exceeded, address unreachable and packet too big match through the quote, however short', () => {
    for (const quoteBytes of [undefined, 48, 44]) {
      for (const kind of ['time-exceeded', 'destination-unreachable', 'packet-too-big'] as const) {
        const error = error6(ROUTER6, kind, sent, quoteBytes);
        expect(answers(request, error, views), `${kind} ${quoteBytes}`).toBe('icmp-error');
        expect(views.hasQueryFields).toBe(quoteBytes !== 44);
        // The raw socket reads it without the outer header: the quote carries the addresses.
        expect(views.readTransport(6, IpProtocol.ICMPv6, stripped(error), router6)).toBe('icmp-error');
        expect(answerOf(request, views)).toBe('icmp-error');
      }
    }
    expectSameKey(request, error6(ROUTER6, 'time-exceeded', sent));
    const other = echo6(128, 0x4242, 8);
    expect(answers(request, error6(ROUTER6, 'time-exceeded', other), views)).toBeUndefined();
    // A quote that ends inside the IPv6 header, or before the ICMPv6 type byte, answers nothing.
    expect(answers(request, error6(ROUTER6, 'time-exceeded', sent, 39), views)).toBeUndefined();
    expect(answers(request, error6(ROUTER6, 'time-exceeded', sent, 40), views)).toBeUndefined();
  });

  it('errors quoting packets with extension headers: walked to the upper layer', () => {
    const probe = buildIpv6(
      { source: US6, destination: PEER6, protocol: IpProtocol.UDP, hopLimit: 1, extensionHeaders: [{ kind: 'hop-by-hop' }, { kind: 'destination-options' }] },
      buildUdp({ sourcePort: 45000, destinationPort: 33434, payload: new Uint8Array(8) }, { source: US6, destination: PEER6 }),
    );
    const udpRequest = describe_(probe);
    expect(udpRequest).toMatchObject({ family: 6, protocol: IpProtocol.UDP, sourcePort: 45000, destinationPort: 33434 });
    expect(answers(udpRequest, error6(ROUTER6, 'time-exceeded', probe, 40 + 16 + 4), views)).toBe('icmp-error');
    expectSameKey(udpRequest, error6(ROUTER6, 'time-exceeded', probe));
    // Cut inside the extension headers: nothing to match.
    expect(answers(udpRequest, error6(ROUTER6, 'time-exceeded', probe, 50), views)).toBeUndefined();
  });

  it('TCP over IPv6: a SYN-ACK answers the SYN, from the packet or from a raw socket', () => {
    const syn = buildTcp({ sourcePort: 40000, destinationPort: 80, sequenceNumber: 1000, flags: TcpFlag.SYN }, { source: US6, destination: PEER6 });
    const synRequest = describe_(ip6(US6, PEER6, IpProtocol.TCP, syn));
    const synAck = buildTcp(
      { sourcePort: 80, destinationPort: 40000, sequenceNumber: 5, acknowledgmentNumber: 1001, flags: TcpFlag.SYN | TcpFlag.ACK },
      { source: PEER6, destination: US6 },
    );
    expect(answers(synRequest, ip6(PEER6, US6, IpProtocol.TCP, synAck), views)).toBe('reply');
    expectSameKey(synRequest, ip6(PEER6, US6, IpProtocol.TCP, synAck));
    expect(views.readTransport(6, IpProtocol.TCP, synAck, peer6, us6)).toBe('reply');
    expect(answerOf(synRequest, views)).toBe('reply');
    const connection: TcpConnectionEndpoints = {
      family: 6,
      source: ipv6AddressFold(us6),
      sourceAddress: us6,
      sourcePort: 40000,
      destination: ipv6AddressFold(peer6),
      destinationAddress: peer6,
      destinationPort: 80,
    };
    expect(answersConnection(connection, ip6(PEER6, US6, IpProtocol.TCP, synAck), views)).toBe('reply');
    expect(answersConnection(connection, ip6(OTHER6, US6, IpProtocol.TCP, synAck), views)).toBeUndefined();
    expect(answersConnection(connection, error6(ROUTER6, 'packet-too-big', ip6(US6, PEER6, IpProtocol.TCP, syn), 48), views)).toBe('icmp-error');
  });

  it('UDP over IPv6: the answer and the port unreachable', () => {
    const probe = ip6(US6, PEER6, IpProtocol.UDP, buildUdp({ sourcePort: 5000, destinationPort: 53, payload: new Uint8Array(4) }, { source: US6, destination: PEER6 }));
    const udpRequest = describe_(probe);
    const answer = ip6(PEER6, US6, IpProtocol.UDP, buildUdp({ sourcePort: 53, destinationPort: 5000, payload: new Uint8Array(9) }, { source: PEER6, destination: US6 }));
    expect(answers(udpRequest, answer, views)).toBe('reply');
    const unreachable = ip6(PEER6, US6, IpProtocol.ICMPv6, buildIcmpv6({ kind: 'destination-unreachable', code: 4, original: probe }, { source: PEER6, destination: US6 }));
    expect(answers(udpRequest, unreachable, views)).toBe('icmp-error');
  });

  it('real captures: the router quotes iputils ping -t 1, the server quotes our UDP datagram', () => {
    const hopLimited = describe_(ECHO_REQUEST_HOP_LIMIT_1);
    expect(answers(hopLimited, TIME_EXCEEDED, views)).toBe('icmp-error');
    expect(answers(describe_(ECHO_REQUEST), ECHO_REPLY_6, views)).toBe('reply');
    expect(answers(describe_(ECHO_REQUEST), TIME_EXCEEDED, views)).toBeUndefined();
    expect(answers(describe_(UDP_PROBE), PORT_UNREACHABLE, views)).toBe('icmp-error');
    expect(answers(describe_(ECHO_REQUEST_TO_ABSENT), ADDRESS_UNREACHABLE, views)).toBe('icmp-error');
    // iputils' 2000-byte ping leaves in fragments: the first one carries the ICMPv6 header, and an error quoting it matches.
    const fragmented = describe_(FIRST_FRAGMENT);
    expect(fragmented).toMatchObject({ family: 6, protocol: IpProtocol.ICMPv6, icmpType: 128, identifier: 30824, sequence: 1 });
    expect(answers(fragmented, error6(ROUTER6, 'time-exceeded', FIRST_FRAGMENT, 1232), views)).toBe('icmp-error');
    expect(describeRequest(SECOND_FRAGMENT)).toBeUndefined();
    expect(answers(fragmented, error6(ROUTER6, 'time-exceeded', SECOND_FRAGMENT, 600), views)).toBeUndefined();
    const bigRequest = describeTransport6(IpProtocol.ICMPv6, undefined, 'fd00:213:1::2', buildIcmpv6Echo({ identifier: 15754, sequence: 1 }))!;
    expect(answers(bigRequest, PACKET_TOO_BIG, views)).toBe('icmp-error');
    expect(views.readTransport(6, IpProtocol.ICMPv6, stripped(PACKET_TOO_BIG), router6)).toBe('icmp-error');
    expect(answerOf(bigRequest, views)).toBe('icmp-error');
  });

  it('readTransport reads IPv4 transport bytes too, with 4-byte addresses', () => {
    const v4request = describe_(echo(8, 0x4242, 7));
    const reply = buildIcmpEcho({ type: 0, identifier: 0x4242, sequence: 7, payload: 'packet-lab 0123456789' });
    expect(views.readTransport(4, IpProtocol.ICMP, reply, Uint8Array.of(198, 51, 100, 7), Uint8Array.of(192, 0, 2, 10))).toBe('reply');
    expect(answerOf(v4request, views)).toBe('reply');
    expect(views.key).toBe(requestKey(v4request));
    expect(views.readTransport(4, IpProtocol.ICMP, reply, Uint8Array.of(198, 51, 100, 8))).toBe('reply');
    expect(answerOf(v4request, views)).toBeUndefined();
    expect(views.readTransport(4, IpProtocol.ICMP, reply, peer6)).toBeUndefined();
  });

  it('never throws on random bytes given as IPv6 or as a stripped read', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), fc.constantFrom(6, 17, 58), (bytes, protocol) => {
        if (bytes.length > 0) bytes[0] = 0x60 | (bytes[0] & 0x0f);
        views.read(bytes);
        answerOf(request, views);
        views.readTransport(6, protocol, bytes, peer6);
        answerOf(request, views);
        views.readTransport(6, protocol, bytes, new Uint8Array(3));
      }),
      { numRuns: 3000 },
    );
  });
});
