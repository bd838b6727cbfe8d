// Which packet arriving on a raw socket answers the one craft sent: an ICMP
// reply of the matching query type with the same identifier and sequence,
// a TCP segment or UDP datagram from HOST:dport back to our sport, or an ICMP error (from
// HOST or any router on the way) whose quote is our packet. The rules are the
// shared ones of src/wire/reply-matching.ts, applied to the bytes craft sent;
// raw sockets see every packet of their protocol, our own outgoing one
// included on loopback, and those rules leave it out.

import { ipv4AddressNumber } from '../wire/ipv4-address.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { answers, type AnswerKind, describeTransport, ReplyViews, type SentRequest } from '../wire/reply-matching.ts';

export type { AnswerKind };

export interface SentProbe {
  readonly protocol: 'icmp' | 'tcp' | 'udp';
  /** Where the packet went. */
  readonly destination: string;
  /** ICMP: type, and the identifier and sequence in bytes 4-7 (for display; matching reads `transport`). */
  readonly icmpType?: number;
  readonly identifier?: number;
  readonly sequence?: number;
  /** TCP and UDP ports (for display; matching reads `transport`). */
  readonly sourcePort?: number;
  readonly destinationPort?: number;
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

  constructor(probe: SentProbe) {
    const protocol = probe.protocol === 'icmp' ? IpProtocol.ICMP : probe.protocol === 'tcp' ? IpProtocol.TCP : IpProtocol.UDP;
    // The source is left unknown: without IP_HDRINCL the kernel picks it.
    this.request = describeTransport(protocol, 0, ipv4AddressNumber(probe.destination), probe.transport);
  }

  /** Whether an IPv4 datagram received on a raw socket answers the probe, and how. */
  classify(datagram: Uint8Array): AnswerKind | undefined {
    return this.request === undefined ? undefined : answers(this.request, datagram, this.views);
  }
}

/** Whether an IPv4 datagram received on a raw socket answers `probe`, and how (one-off; see ProbeAnswerMatcher). */
export function classifyAnswer(probe: SentProbe, datagram: Uint8Array): AnswerKind | undefined {
  return new ProbeAnswerMatcher(probe).classify(datagram);
}
