// Sends one crafted packet through a raw socket and waits for its answer.
// Without IP_HDRINCL the socket takes the ICMP message or TCP segment and the
// kernel adds the IPv4 header; with it we hand over the whole datagram (the
// kernel still fills in the total length, the header checksum, and a zero
// source address or IP id: raw(7)). A TCP or UDP probe gets a second, ICMP
// socket so an ICMP error quoting it (a port unreachable) is seen too. The
// sockets come from openRawSocket(): the Linux binding when built, else
// raw-socket (PACKET_LAB_SOCKET picks one).

import { openRawSocket, type PacketSocket } from '../net/packet-socket.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { type AnswerKind, ProbeAnswerMatcher, type SentProbe } from './answer-matching.ts';

export interface SendRequest {
  readonly probe: SentProbe;
  /** What goes to the socket: the transport bytes, or with headerIncluded the whole datagram. */
  readonly bytes: Uint8Array;
  readonly headerIncluded: boolean;
  /** IP_TTL for the kernel-built header (without headerIncluded the packet's own TTL would be ignored). */
  readonly ttl?: number;
  readonly waitMs: number;
  /** Called once the sockets are open, before anything is sent (craft drops root here). */
  readonly onSocketsOpen?: () => void;
}

export interface ReceivedAnswer {
  readonly kind: AnswerKind;
  /** The IPv4 datagram as received (a copy). */
  readonly datagram: Uint8Array;
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
  const matcher = new ProbeAnswerMatcher(probe);
  const sockets: PacketSocket[] = [];
  const protocol = probe.protocol === 'icmp' ? IpProtocol.ICMP : probe.protocol === 'tcp' ? IpProtocol.TCP : IpProtocol.UDP;
  try {
    sockets.push(openRawSocket({ protocol, headerIncluded: request.headerIncluded, ...(request.ttl !== undefined ? { ttl: request.ttl } : {}) }));
    if (protocol !== IpProtocol.ICMP) sockets.push(openRawSocket({ protocol: IpProtocol.ICMP }));
    request.onSocketsOpen?.();

    let settle: (answer: ReceivedAnswer | undefined) => void = () => {};
    const answered = new Promise<ReceivedAnswer | undefined>((resolve) => {
      settle = resolve;
    });
    for (const socket of sockets) {
      socket.onPacket((packet, _source, receivedAt) => {
        const kind = matcher.classify(packet);
        if (kind) settle({ kind, datagram: Uint8Array.from(packet), receivedAtMs: receivedAt });
      });
      socket.onError(() => {});
    }
    const bytesSent = sockets[0].send(request.bytes, probe.destination);
    const sentAtMs = sockets[0].lastSendTime;
    // Loopback and veth peers answer inside sendto(): read what is already queued.
    for (const socket of sockets) socket.receivePending();
    const timer = setTimeout(() => settle(undefined), request.waitMs);
    const answer = await answered;
    clearTimeout(timer);
    return answer ? { bytesSent, sentAtMs, answer } : { bytesSent, sentAtMs };
  } finally {
    for (const socket of sockets) socket.close();
  }
}
