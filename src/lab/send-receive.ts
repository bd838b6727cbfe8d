// send, sr1 and sr: the API's packets on raw sockets, answers matched with
// the wire layer's shared reply matcher (describeRequest/answerOf), the same
// one ping, traceroute and craft use. Packets go out whole (IP_HDRINCL), so
// what build() gives is what leaves, wrong fields included; the kernel still
// fills a zero IP id, a zero source and the total length (raw(7)).

import { openRawSocket, type PacketSocket } from '../net/packet-socket.ts';
import { resolveIpv4, sourceAddressFor } from '../net/routes.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { LayerFieldError } from '../wire/layers.ts';
import { answerOf, describeRequest, ReplyViews, type SentRequest } from '../wire/reply-matching.ts';
import { LabPacket } from './lab-packet.ts';

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

/** Sockets by IP protocol: one to send each protocol through, and ICMP always, for errors that quote what we sent. */
function openSockets(outgoing: readonly Outgoing[]): Map<number, PacketSocket> {
  const protocols = new Set<number>([IpProtocol.ICMP, ...outgoing.map((o) => o.datagram[9] ?? IpProtocol.ICMP)]);
  const sockets = new Map<number, PacketSocket>();
  try {
    for (const protocol of protocols) sockets.set(protocol, openRawSocket({ protocol, headerIncluded: true }));
  } catch (error) {
    for (const socket of sockets.values()) socket.close();
    throw error;
  }
  return sockets;
}

/**
 * Sends the packets and collects the first answer to each, until all are
 * answered or `timeout` ms after the last one went out (bounded either way).
 */
async function exchange(packets: readonly LabPacket[], options: SendOptions, stopAfterFirst: boolean): Promise<SrResult> {
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!(timeout >= 0)) throw new LayerFieldError(`timeout must be a number of ms >= 0, not ${String(timeout)}`);
  const outgoing = await prepare(packets);
  const sockets = openSockets(outgoing);
  const views = new ReplyViews();
  let waiting = outgoing.filter((o) => o.request).length;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  try {
    for (const socket of sockets.values()) {
      socket.onError(() => {});
      socket.onPacket((bytes, _source, receivedAt) => {
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
    }
    for (const o of outgoing) {
      const socket = sockets.get(o.datagram[9] ?? IpProtocol.ICMP)!;
      socket.send(o.datagram, o.destination);
      o.sentAtMs = socket.lastSendTime;
      // Loopback answers inside sendto(): read what is already queued.
      for (const socket of sockets.values()) socket.receivePending();
      if (waiting === 0) break;
    }
    if (waiting > 0) {
      const timer = setTimeout(done, timeout);
      await finished;
      clearTimeout(timer);
    }
  } finally {
    for (const socket of sockets.values()) socket.close();
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
  const sockets = openSockets(outgoing);
  try {
    for (const o of outgoing) sockets.get(o.datagram[9] ?? IpProtocol.ICMP)!.send(o.datagram, o.destination);
  } finally {
    for (const socket of sockets.values()) socket.close();
  }
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
