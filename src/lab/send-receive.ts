// send, sr1 and sr: the API's packets on raw sockets (kept between calls,
// see socket-pool.ts), answers matched with
// the wire layer's shared reply matcher (describeRequest/answerOf), the same
// one ping, traceroute and craft use. Packets go out whole (IP_HDRINCL), so
// what build() gives is what leaves, wrong fields included; the kernel still
// fills a zero IP id, a zero source and the total length (raw(7)).

import { resolveIpv4, sourceAddressFor } from '../net/routes.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { LayerFieldError } from '../wire/layers.ts';
import { answerOf, describeRequest, ReplyViews, type SentRequest } from '../wire/reply-matching.ts';
import { LabPacket } from './lab-packet.ts';
import { leaseSockets } from './socket-pool.ts';

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
 * built over the pseudo-header is the one the receiver checks.
 */
async function addressed(packet: LabPacket): Promise<LabPacket> {
  const ipFields = packet.layer('ip');
  if (!ipFields || packet.layers[0]?.name !== 'ip') {
    throw new LayerFieldError(`only IPv4 packets can be sent: start with ip({ dst }), not ${packet.layers[0]?.name ?? 'nothing'}`);
  }
  if (packet.received) return packet;
  const destination = await resolveIpv4(ipFields.dst ?? '127.0.0.1');
  const source = ipFields.src ?? (await sourceAddressFor(destination));
  return packet.with('ip', { dst: destination, src: source });
}

interface Outgoing {
  readonly packet: LabPacket;
  readonly datagram: Uint8Array;
  readonly destination: string;
  readonly request: SentRequest | undefined;
  /** When it left, on the sending socket's clock (ms since the epoch). */
  sentAtMs: number;
  answer: LabPacket | undefined;
}

async function prepare(packets: readonly LabPacket[]): Promise<Outgoing[]> {
  const out: Outgoing[] = [];
  for (const original of packets) {
    const packet = await addressed(original);
    const datagram = packet.build();
    const destination = packet.layer('ip')!.dst!;
    out.push({ packet, datagram, destination, request: describeRequest(datagram), sentAtMs: 0, answer: undefined });
  }
  return out;
}

/** The protocols to lease sockets for: each one sent, and ICMP always, for errors that quote what we sent. */
function protocolsOf(outgoing: readonly Outgoing[]): Set<number> {
  return new Set<number>([IpProtocol.ICMP, ...outgoing.map((o) => o.datagram[9] ?? IpProtocol.ICMP)]);
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
  const lease = leaseSockets(4, protocolsOf(outgoing), (bytes, _source, receivedAt) => {
    if (waiting === 0) return;
    views.read(bytes);
    for (const o of outgoing) {
      if (o.answer || !o.request || !answerOf(o.request, views)) continue;
      o.answer = LabPacket.fromDatagram(Uint8Array.from(bytes), receivedAt, receivedAt - o.sentAtMs);
      waiting--;
      if (waiting === 0 || stopAfterFirst) {
        waiting = 0;
        done();
      }
      break;
    }
  });
  try {
    for (const o of outgoing) {
      const socket = lease.socket(o.datagram[9] ?? IpProtocol.ICMP);
      socket.send(o.datagram, o.destination);
      o.sentAtMs = socket.lastSendTime;
      // Loopback answers inside sendto(): read what is already queued.
      lease.receivePending();
      if (waiting === 0) break;
    }
    if (waiting > 0) {
      const timer = setTimeout(done, timeout);
      await finished;
      clearTimeout(timer);
    }
  } finally {
    lease.release();
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
  const lease = leaseSockets(4, protocolsOf(outgoing));
  for (const o of outgoing) lease.socket(o.datagram[9] ?? IpProtocol.ICMP).send(o.datagram, o.destination);
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
