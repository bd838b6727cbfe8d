// Sends one crafted packet through a raw socket and waits for its answer.
//
// IPv4: without IP_HDRINCL the socket takes the ICMP message, TCP segment or
// UDP datagram and the kernel adds the IPv4 header; with it we hand over the
// whole datagram (the kernel still fills in the total length, the header
// checksum, and a zero source address or IP id: raw(7)).
//
// IPv6 has no IP_HDRINCL: without a header of our own the socket of the
// transport protocol takes the transport bytes (an ICMPv6 socket writes the
// ICMPv6 checksum itself unless told not to, IPV6_CHECKSUM -1, which we do
// when the checksum was set, so a wrong one leaves wrong); with --hdrincl an
// IPPROTO_RAW socket sends the whole datagram as built and the kernel fills
// in nothing. IPv6 sockets deliver no IP header on receive: the answer comes
// as transport bytes plus the sender's address and the hop limit.
//
// A TCP or UDP probe gets a second, ICMP(v6) socket so an error quoting it (a
// port unreachable) is seen too. The sockets come from openRawSocket(): the
// Linux binding when built, else raw-socket (PACKET_LAB_SOCKET picks one).

import { openRawSocket, type PacketSocket } from '../net/packet-socket.ts';
import { IPV6_HEADER_INCLUDED_PROTOCOL } from '../net/ipv6-sender.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { type AnswerKind, ProbeAnswerMatcher, type SentProbe } from './answer-matching.ts';
import { craftedIpProtocol } from './craft-request.ts';

export interface SendRequest {
  readonly probe: SentProbe;
  /** What goes to the socket: the transport bytes, or with headerIncluded the whole datagram. */
  readonly bytes: Uint8Array;
  readonly headerIncluded: boolean;
  /** IP_TTL / IPV6_UNICAST_HOPS for a kernel-built header (without it the packet's own would be ignored). */
  readonly ttl?: number;
  /** IPv6 ICMP without a header of our own: leave the checksum given as is (the kernel writes its own otherwise). */
  readonly keepIcmpv6Checksum?: boolean;
  readonly waitMs: number;
  /** Called once the sockets are open, before anything is sent (craft drops root here). */
  readonly onSocketsOpen?: () => void;
}

export interface ReceivedAnswer {
  readonly kind: AnswerKind;
  /** IPv4: the datagram as received, header included. IPv6: the transport bytes only (a copy). */
  readonly bytes: Uint8Array;
  /** The IP protocol of `bytes` (IPv6), or of the datagram's payload. */
  readonly protocol: number;
  /** The sender, as recvfrom() gave it. */
  readonly source: string;
  /** IPv6: the hop limit from ancillary data, -1 when the binding reads none. */
  readonly hopLimit: number;
  /** Wall-clock time of arrival, ms since the epoch. */
  readonly receivedAtMs: number;
}

export interface SendOutcome {
  readonly bytesSent: number;
  readonly sentAtMs: number;
  readonly answer?: ReceivedAnswer;
}

export async function sendAndWait(request: SendRequest): Promise<SendOutcome> {
  const { probe } = request;
  const family = probe.family;
  const matcher = new ProbeAnswerMatcher(probe);
  const protocol = craftedIpProtocol(probe.protocol);
  const errorProtocol = family === 6 ? IpProtocol.ICMPv6 : IpProtocol.ICMP;
  const sockets: { socket: PacketSocket; protocol: number; receives: boolean }[] = [];
  try {
    const ttl = request.ttl !== undefined ? { ttl: request.ttl } : {};
    if (family === 6 && request.headerIncluded) {
      // IPPROTO_RAW sends only: the answer is read on a socket of the packet's protocol.
      sockets.push({ socket: openRawSocket({ family, protocol: IPV6_HEADER_INCLUDED_PROTOCOL }), protocol, receives: false });
      sockets.push({ socket: openRawSocket({ family, protocol }), protocol, receives: true });
    } else {
      const socket = openRawSocket({ family, protocol, headerIncluded: request.headerIncluded, ...ttl });
      if (family === 6 && protocol === IpProtocol.ICMPv6 && request.keepIcmpv6Checksum) socket.setKernelChecksum(false);
      sockets.push({ socket, protocol, receives: true });
    }
    if (protocol !== errorProtocol) sockets.push({ socket: openRawSocket({ family, protocol: errorProtocol }), protocol: errorProtocol, receives: true });
    request.onSocketsOpen?.();

    let settle: (answer: ReceivedAnswer | undefined) => void = () => {};
    const answered = new Promise<ReceivedAnswer | undefined>((resolve) => {
      settle = resolve;
    });
    for (const { socket, protocol: socketProtocol, receives } of sockets) {
      socket.onError(() => {});
      if (!receives) continue;
      socket.onPacket((packet, source, receivedAt, hopLimit, sourceAddress) => {
        const kind = family === 6 ? matcher.classifyTransport6(socketProtocol, packet, sourceAddress) : matcher.classify(packet);
        if (kind) settle({ kind, bytes: Uint8Array.from(packet), protocol: socketProtocol, source, hopLimit, receivedAtMs: receivedAt });
      });
    }
    const sender = sockets[0].socket;
    const bytesSent = sender.send(request.bytes, probe.destination);
    const sentAtMs = sender.lastSendTime;
    // Loopback and veth peers answer inside sendto(): read what is already queued.
    for (const { socket, receives } of sockets) if (receives) socket.receivePending();
    const timer = setTimeout(() => settle(undefined), request.waitMs);
    const answer = await answered;
    clearTimeout(timer);
    return answer ? { bytesSent, sentAtMs, answer } : { bytesSent, sentAtMs };
  } finally {
    for (const { socket } of sockets) socket.close();
  }
}
