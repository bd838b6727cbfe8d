// Which packet arriving on a raw socket answers the one craft sent: an ICMP
// or ICMPv6 reply of the matching query type with the same identifier and
// sequence, a TCP segment or UDP datagram from HOST:dport back to our sport,
// or an ICMP(v6) error (from HOST or any router on the way) whose quote is
// our packet. The rules are the shared ones of src/wire/reply-matching.ts,
// applied to the bytes craft sent; raw sockets see every packet of their
// protocol, our own outgoing one included on loopback, and those rules leave
// it out. An IPv4 raw socket delivers the IP header; an IPv6 one delivers the
// transport bytes and the sender's address only (RFC 3542).

import { ipv4AddressNumber } from '../wire/ipv4-address.ts';
import { answerOf, answers, type AnswerKind, describeTransport, describeTransport6, ReplyViews, type SentRequest } from '../wire/reply-matching.ts';
import { craftedIpProtocol, type CraftProtocol } from './craft-request.ts';

export type { AnswerKind };

export interface SentProbe {
  readonly protocol: CraftProtocol;
  readonly family: 4 | 6;
  /** Where the packet went. */
  readonly destination: string;
  /** The transport bytes sent: what an answer is matched against, our own looped-back packet included. */
  readonly transport: Uint8Array;
}

/**
 * Matches the datagrams a socket receives against one probe: the probe is
 * described once, and one set of views is re-pointed for every datagram.
 */
export class ProbeAnswerMatcher {
  private readonly views = new ReplyViews();
  /** Undefined when the transport bytes are too short to describe (nothing can answer them). */
  private readonly request: SentRequest | undefined;

  constructor(readonly probe: SentProbe) {
    const protocol = craftedIpProtocol(probe.protocol);
    // The source is left unknown: without a header of our own the kernel picks it.
    this.request =
      probe.family === 6
        ? describeTransport6(protocol, undefined, probe.destination, probe.transport)
        : describeTransport(protocol, 0, ipv4AddressNumber(probe.destination), probe.transport);
  }

  /** Whether an IPv4 datagram received on a raw socket answers the probe, and how. */
  classify(datagram: Uint8Array): AnswerKind | undefined {
    return this.request === undefined ? undefined : answers(this.request, datagram, this.views);
  }

  /**
   * Whether what an IPv6 raw socket of `protocol` delivered (transport bytes,
   * and the sender's 16-byte address from recvfrom) answers the probe.
   */
  classifyTransport6(protocol: number, bytes: Uint8Array, sourceAddress: Uint8Array): AnswerKind | undefined {
    if (this.request === undefined || this.views.readTransport(6, protocol, bytes, sourceAddress) === undefined) return undefined;
    return answerOf(this.request, this.views);
  }
}

/** Whether an IPv4 datagram received on a raw socket answers `probe`, and how (one-off; see ProbeAnswerMatcher). */
export function classifyAnswer(probe: SentProbe, datagram: Uint8Array): AnswerKind | undefined {
  return new ProbeAnswerMatcher(probe).classify(datagram);
}
