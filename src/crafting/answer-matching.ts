// Which packet arriving on a raw socket answers the one craft sent: an ICMP
// reply of the matching query type with the same identifier and sequence,
// a TCP segment from HOST:dport back to our sport, or an ICMP error (from
// HOST or any router on the way) whose quote is our packet. Raw sockets see
// every packet of their protocol, our own outgoing one included on loopback,
// so everything else is ignored.

import { IcmpType, parseIcmp } from '../wire/icmp.ts';
import { IpProtocol, parseIpv4 } from '../wire/ipv4.ts';
import { parseTcp } from '../wire/tcp.ts';

export interface SentProbe {
  readonly protocol: 'icmp' | 'tcp';
  /** Where the packet went. */
  readonly destination: string;
  /** ICMP: type, and the identifier and sequence in bytes 4-7. */
  readonly icmpType?: number;
  readonly identifier?: number;
  readonly sequence?: number;
  /** TCP ports. */
  readonly sourcePort?: number;
  readonly destinationPort?: number;
  /** The transport bytes sent, to tell our own looped-back packet from an answer. */
  readonly transport: Uint8Array;
}

export type AnswerKind = 'reply' | 'icmp-error';

/** Query types and the type of their reply (RFC 792, 950). */
const REPLY_TYPE: Record<number, number> = {
  [IcmpType.EchoRequest]: IcmpType.EchoReply,
  [IcmpType.Timestamp]: IcmpType.TimestampReply,
  [IcmpType.InformationRequest]: IcmpType.InformationReply,
  [IcmpType.AddressMaskRequest]: IcmpType.AddressMaskReply,
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether an IPv4 datagram received on a raw socket answers `probe`, and how. */
export function classifyAnswer(probe: SentProbe, datagram: Uint8Array): AnswerKind | undefined {
  const ipResult = parseIpv4(datagram, { allowTruncatedPayload: true });
  if (!ipResult.ok) return undefined;
  const ip = ipResult.value;
  if (ip.protocol === IpProtocol.TCP && probe.protocol === 'tcp') {
    const tcp = parseTcp(ip.payload);
    if (!tcp.ok || ip.source !== probe.destination) return undefined;
    if (sameBytes(ip.payload, probe.transport)) return undefined; // our own packet, looped back
    return tcp.value.sourcePort === probe.destinationPort && tcp.value.destinationPort === probe.sourcePort ? 'reply' : undefined;
  }
  if (ip.protocol !== IpProtocol.ICMP) return undefined;
  const icmpResult = parseIcmp(ip.payload);
  if (!icmpResult.ok) return undefined;
  const message = icmpResult.value;
  if (probe.protocol === 'icmp' && probe.icmpType !== undefined && REPLY_TYPE[probe.icmpType] === message.type) {
    if (ip.source !== probe.destination || ip.payload.length < 8) return undefined;
    const identifier = (ip.payload[4] << 8) | ip.payload[5];
    const sequence = (ip.payload[6] << 8) | ip.payload[7];
    return identifier === probe.identifier && sequence === probe.sequence ? 'reply' : undefined;
  }
  if (!('quoted' in message) || !message.quoted.ok) return undefined;
  const quote = message.quoted.value;
  if (quote.ip.destination !== probe.destination) return undefined;
  const transport = quote.transport;
  if (probe.protocol === 'tcp') {
    return transport?.protocol === 'tcp' && transport.sourcePort === probe.sourcePort && transport.destinationPort === probe.destinationPort
      ? 'icmp-error'
      : undefined;
  }
  if (transport?.protocol !== 'icmp' || transport.type !== probe.icmpType) return undefined;
  // Routers quote at least 8 bytes of ICMP; compare identifier and sequence when the quote holds them.
  const quoted = quote.ip.payload;
  if (quoted.length >= 8) {
    const identifier = (quoted[4] << 8) | quoted[5];
    const sequence = (quoted[6] << 8) | quoted[7];
    if (identifier !== probe.identifier || sequence !== probe.sequence) return undefined;
  }
  return 'icmp-error';
}
