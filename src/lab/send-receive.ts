// send, sr1 and sr: the API's packets on raw sockets (kept between calls,
// see socket-pool.ts), answers matched with the wire layer's shared reply
// matcher (describeRequest/answerOf), the same one ping, traceroute and craft
// use. Packets go out whole, so what build() gives is what leaves, wrong
// fields and checksums included:
// - IPv4 through IP_HDRINCL; the kernel still fills a zero IP id, a zero
//   source and the total length (raw(7)).
// - IPv6 through an IPPROTO_RAW socket (IPV6_HDRINCL), which fills in nothing
//   at all; a protocol socket (58 ICMPv6 in particular) would have the kernel
//   write the ICMPv6 checksum over ours. Answers arrive on the ICMPv6, TCP and
//   UDP raw sockets WITHOUT their IPv6 header (raw(7) for AF_INET6), so an
//   answer's header is rebuilt from what the kernel tells: the sender's
//   address (recvfrom), the hop limit (IPV6_HOPLIMIT, Linux binding only; 0
//   when unknown) and our address as destination. Traffic class, flow label
//   and any extension headers of the answer are not known (0, none).

import { resolveHost, sourceAddressFor, withoutScope } from '../net/routes.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { buildIpv6 } from '../wire/ipv6.ts';
import { LayerFieldError } from '../wire/layers.ts';
import { answerOf, describeRequest, ReplyViews, type SentRequest } from '../wire/reply-matching.ts';
import { LabPacket } from './lab-packet.ts';
import { leaseSockets, type PooledPacketHandler, type SocketLease } from './socket-pool.ts';

/** IPPROTO_RAW: an IPv6 raw socket that sends whole packets (IPV6_HDRINCL) and receives nothing. */
const IPV6_WHOLE_PACKET_PROTOCOL = 255;
export interface SendOptions {
  /** How long to wait for answers after the last packet is sent, in ms (default 2000). */
  readonly timeout?: number;
}

export type AnsweredPair = readonly [sent: LabPacket, answer: LabPacket];

/** What sr() returns: scapy's (ans, unans). */
export class SrResult {
  constructor(
    readonly answered: readonly AnsweredPair[],
    readonly unanswered: readonly LabPacket[],
  ) {}

  /** One line per answered pair (`request ==> answer`), then the unanswered requests. */
  summary(): string {
    const lines = this.answered.map(([sent, answer]) => `${sent.summary()}\n  ==> ${answer.summary()}`);
    for (const sent of this.unanswered) lines.push(`${sent.summary()}\n  ==> (no answer)`);
    return lines.join('\n');
  }
}

const DEFAULT_TIMEOUT_MS = 2000;

/**
 * The packet as it will leave: a host name in dst resolved, and src, when
 * unset, the address the kernel routes from, so that the transport checksum
 * built over the pseudo-header is the one the receiver checks. The
 * destination given to sendto() keeps a link-local scope ('fe80::1%eth0').
 */
async function addressed(packet: LabPacket): Promise<{ packet: LabPacket; destination: string }> {
  const bottom = packet.layers[0]?.name;
  if (bottom !== 'ip' && bottom !== 'ipv6') {
    throw new LayerFieldError(`only IP packets can be sent: start with ip({ dst }) or ipv6({ dst }), not ${bottom ?? 'nothing'}`);
  }
  if (bottom === 'ip') {
    const ipFields = packet.layer('ip')!;
    if (packet.received) return { packet, destination: ipFields.dst ?? '127.0.0.1' };
    const { address: destination } = await resolveHost(ipFields.dst ?? '127.0.0.1', { family: 4 });
    const source = ipFields.src ?? (await sourceAddressFor(destination));
    return { packet: packet.with('ip', { dst: destination, src: source }), destination };
  }
  const fields = packet.layer('ipv6')!;
  if (packet.received) return { packet, destination: fields.dst ?? '::1' };
  const { address: destination } = await resolveHost(fields.dst ?? '::1', { family: 6 });
  // The IPv6 header goes out as built: the kernel fills no source in, so one is always written.
  const source = fields.src ?? withoutScope(await sourceAddressFor(destination));
  return { packet: packet.with('ipv6', { dst: withoutScope(destination), src: source }), destination };
}

interface Outgoing {
  readonly packet: LabPacket;
  readonly datagram: Uint8Array;
  readonly family: 4 | 6;
  /** The transport protocol (the IPv4 protocol field, or the last IPv6 next header). */
  readonly protocol: number;
  readonly destination: string;
  readonly request: SentRequest | undefined;
  /** When it left, on the sending socket's clock (ms since the epoch). */
  sentAtMs: number;
  answer: LabPacket | undefined;
}

async function prepare(packets: readonly LabPacket[]): Promise<Outgoing[]> {
  const out: Outgoing[] = [];
  for (const original of packets) {
    const { packet, destination } = await addressed(original);
    const datagram = packet.build();
    const request = describeRequest(datagram);
    const family = packet.layers[0]!.name === 'ipv6' ? 6 : 4;
    // IPv4: the socket of the protocol field, as sent (IP_HDRINCL sends any protocol's packet whole).
    const protocol = family === 4 ? (datagram[9] ?? IpProtocol.ICMP) : (request?.protocol ?? IpProtocol.IPv6NoNextHeader);
    out.push({ packet, datagram, family, protocol, destination, request, sentAtMs: 0, answer: undefined });
  }
  return out;
}

/** The family's receiving protocols: each one sent, and ICMP/ICMPv6 always, for errors that quote what we sent. */
function protocolsOf(outgoing: readonly Outgoing[], family: 4 | 6): Set<number> {
  const errors = family === 4 ? IpProtocol.ICMP : IpProtocol.ICMPv6;
  const sent = outgoing.filter((o) => o.family === family).map((o) => o.protocol);
  // IPv6: only what a raw socket can receive (no 59, no extension header numbers).
  return new Set<number>([errors, ...(family === 4 ? sent : sent.filter((p) => p === IpProtocol.TCP || p === IpProtocol.UDP))]);
}

/** The families among the packets. */
function familiesOf(outgoing: readonly Outgoing[]): Array<4 | 6> {
  return [...new Set(outgoing.map((o) => o.family))];
}

/** The sockets a call sends with: IPv4's protocol sockets (IP_HDRINCL), IPv6's one IPPROTO_RAW socket. */
class Senders {
  private readonly v4: SocketLease | undefined;
  private readonly v6: SocketLease | undefined;

  constructor(outgoing: readonly Outgoing[]) {
    this.v4 = outgoing.some((o) => o.family === 4) ? leaseSockets(4, protocolsOf(outgoing, 4)) : undefined;
    this.v6 = outgoing.some((o) => o.family === 6) ? leaseSockets(6, [IPV6_WHOLE_PACKET_PROTOCOL]) : undefined;
  }

  /** Sends the packet whole; returns the send time on the socket's clock. Throws SendError. */
  send(o: Outgoing): number {
    const socket = o.family === 4 ? this.v4!.socket(o.protocol) : this.v6!.socket(IPV6_WHOLE_PACKET_PROTOCOL);
    socket.send(o.datagram, o.destination);
    return socket.lastSendTime;
  }
}

/**
 * An answer as a packet. IPv4 raw sockets give the whole datagram; IPv6 ones
 * the transport bytes alone, so the header is rebuilt (see the top of this file).
 */
function answerPacket(o: Outgoing, family: 4 | 6, protocol: number, bytes: Uint8Array, sourceAddress: Uint8Array, hopLimit: number, receivedAt: number): LabPacket {
  const rttMs = receivedAt - o.sentAtMs;
  if (family === 4) return LabPacket.fromDatagram(Uint8Array.from(bytes), receivedAt, rttMs);
  const datagram = buildIpv6(
    { protocol, source: Uint8Array.from(sourceAddress), destination: o.packet.layer('ipv6')!.src!, hopLimit: hopLimit >= 0 ? hopLimit : 0 },
    bytes,
  );
  return LabPacket.fromDatagram(datagram, receivedAt, rttMs);
}

/**
 * Sends the packets and collects the first answer to each, until all are
 * answered or `timeout` ms after the last one went out (bounded either way).
 */
async function exchange(packets: readonly LabPacket[], options: SendOptions, stopAfterFirst: boolean): Promise<SrResult> {
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!(timeout >= 0)) throw new LayerFieldError(`timeout must be a number of ms >= 0, not ${String(timeout)}`);
  const outgoing = await prepare(packets);
  const views = new ReplyViews();
  let waiting = outgoing.filter((o) => o.request).length;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const onPacket: PooledPacketHandler = (family, protocol, bytes, _source, receivedAt, hopLimit, sourceAddress) => {
    if (waiting === 0) return;
    if (family === 4) views.read(bytes);
    else if (views.readTransport(6, protocol, bytes, sourceAddress) === undefined) return;
    for (const o of outgoing) {
      if (o.answer || !o.request || o.family !== family || !answerOf(o.request, views)) continue;
      o.answer = answerPacket(o, family, protocol, bytes, sourceAddress, hopLimit, receivedAt);
      waiting--;
      if (waiting === 0 || stopAfterFirst) {
        waiting = 0;
        done();
      }
      break;
    }
  };
  const leases = familiesOf(outgoing).map((family) => leaseSockets(family, protocolsOf(outgoing, family), onPacket));
  try {
    const senders = new Senders(outgoing);
    for (const o of outgoing) {
      o.sentAtMs = senders.send(o);
      // Loopback answers inside sendto(): read what is already queued.
      for (const lease of leases) lease.receivePending();
      if (waiting === 0) break;
    }
    if (waiting > 0) {
      const timer = setTimeout(done, timeout);
      await finished;
      clearTimeout(timer);
    }
  } finally {
    for (const lease of leases) lease.release();
  }
  const answered: AnsweredPair[] = [];
  const unanswered: LabPacket[] = [];
  for (const o of outgoing) {
    if (o.answer) answered.push([o.packet, o.answer]);
    else unanswered.push(o.packet);
  }
  return new SrResult(answered, unanswered);
}

/** Sends packets and waits for nothing; returns how many were sent. */
export async function send(packets: LabPacket | readonly LabPacket[]): Promise<number> {
  const outgoing = await prepare(Array.isArray(packets) ? packets : [packets as LabPacket]);
  const senders = new Senders(outgoing);
  for (const o of outgoing) senders.send(o);
  return outgoing.length;
}

/** Sends one packet and returns its first answer (a reply, or an ICMP error quoting it), or undefined after `timeout` ms. */
export async function sr1(packet: LabPacket, options: SendOptions = {}): Promise<LabPacket | undefined> {
  const result = await exchange([packet], options, true);
  return result.answered[0]?.[1];
}

/** Sends packets and pairs each with its first answer; those without one after `timeout` ms are unanswered. */
export async function sr(packets: LabPacket | readonly LabPacket[], options: SendOptions = {}): Promise<SrResult> {
  return exchange(Array.isArray(packets) ? packets : [packets as LabPacket], options, false);
}
