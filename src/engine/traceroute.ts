// The traceroute engine: probes with TTL 1, 2, 3, ... (IP_TTL, set before
// each sendto) until the destination answers. Each router that drops a probe
// whose TTL ran out sends ICMP Time Exceeded quoting the probe's first bytes,
// which say which probe it was:
//
// - UDP mode (default, as traceroute(8)): datagrams to port 33434, 33435, ...
//   one port per probe, so the quote's destination port says which probe it
//   was; the destination answers with ICMP port unreachable. The datagrams go
//   out through a raw UDP socket (the kernel writes the IP header, we write
//   the UDP header and its checksum) rather than a datagram socket reading
//   IP_RECVERR as traceroute(8) does: the same raw-socket binding then sends
//   every mode and both families, and stamps the send time in C like the
//   ICMP socket stamps the answer, so the RTTs of all modes are measured alike.
// - ICMP mode (-I): echo requests; the quote holds identifier and
//   sequence; the destination answers with an echo reply.
// - TCP mode: SYNs to one port, each probe with its own sequence number (in
//   the quote's first 8 bytes of TCP); the destination answers with SYN-ACK
//   (open; we answer with a RST) or RST (closed), whose ACK is that number + 1.
//
// Probes go out as traceroute(8) 2.1 sends them: up to `simultaneousProbes`
// (-N, 16) in flight over several TTLs at once, each waited for at most
// `waitMs` but less once an answer from its own hop or a later one gives an
// RTT to go by (-w MAX,HERE,NEAR), so silent hops cost one wait together, not
// one each. Hops are reported in order, each once all its probes are done.
import { randomInt } from 'node:crypto';
import { openRawSocket, type OpenRawSocketOptions, type PacketSocket, type RttSource } from '../net/packet-socket.ts';
import { SendError } from '../net/raw-socket.ts';
import { addressFamilyOf, sourceAddressFor, withoutScope, type AddressFamily } from '../net/routes.ts';
import { buildIcmpEcho, IcmpType } from '../wire/icmp.ts';
import { buildIcmpv6Echo, Icmpv6Type } from '../wire/icmpv6.ts';
import { ipv4AddressBytes, ipv4AddressNumber } from '../wire/ipv4-address.ts';
import { ipv6AddressBytes } from '../wire/ipv6-address.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { answerOf, describeTransport, describeTransport6, ReplyViews, requestKey, type AnswerKind, type SentRequest } from '../wire/reply-matching.ts';
import { buildTcp, TcpFlag, tcpSynOptions } from '../wire/tcp.ts';
import { buildUdp } from '../wire/udp.ts';
import { defaultMss, kernelHeaderSender, randomEphemeralPort, randomSequenceNumber } from './tcp-common.ts';
import { WakeableSleep } from './wakeable-sleep.ts';
import { seqAdd } from '../wire/tcp-sequence.ts';

export type TracerouteMode = 'udp' | 'icmp' | 'tcp';

export interface TracerouteOptions {
  /** IPv4 or IPv6 address (resolve names first); the probes' family is the address's. */
  readonly destination: string;
  readonly mode?: TracerouteMode;
  /** TCP mode: destination port (default 80). UDP mode: the first probe's port (default 33434), one more for each probe. */
  readonly port?: number;
  /** TCP and UDP modes: source port (default random). */
  readonly sourcePort?: number;
  readonly firstTtl?: number;
  /** -m (default 30). */
  readonly maxTtl?: number;
  /** -q (default 3). */
  readonly probesPerHop?: number;
  /** -N: probes in flight at once (default 16, as traceroute(8)). */
  readonly simultaneousProbes?: number;
  /** -w MAX in ms (default 5000): the longest wait for a probe's answer. */
  readonly waitMs?: number;
  /** -w ,HERE (default 3): wait at most HERE times the RTT of an answer from the probe's own hop (0: never). */
  readonly hereFactor?: number;
  /** -w ,,NEAR (default 10): else NEAR times the RTT of an answer from a later hop (0: never). */
  readonly nearFactor?: number;
  /** -z in ms (default 0): the least time between two probes. */
  readonly sendWaitMs?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TracerouteEvent) => void;
  /** After the sockets are open, before the first probe: open captures, drop privileges. */
  /** Which socket binding ('auto' by default: the Linux binding when built); see openRawSocket(). */
  readonly binding?: OpenRawSocketOptions['binding'];
  readonly onSocketOpen?: (start: TracerouteStart) => void | Promise<void>;
}

export interface TracerouteStart {
  readonly destination: string;
  readonly family: AddressFamily;
  readonly source: string;
  readonly mode: TracerouteMode;
  readonly port?: number;
  readonly sourcePort?: number;
  readonly maxTtl: number;
  /** Bytes of one probe, IP header included (traceroute's "60 byte packets", 80 over IPv6). */
  readonly packetLength: number;
  /** Where RTTs come from: 'kernel' (C send stamp, SO_TIMESTAMPNS receive stamp) or 'javascript' (raw-socket). */
  readonly rttSource: RttSource;
}

export type ProbeOutcome = 'time-exceeded' | 'reply' | 'unreachable' | 'none';

export interface ProbeResult {
  readonly ttl: number;
  /** 1-based within the hop. */
  readonly probe: number;
  readonly outcome: ProbeOutcome;
  readonly from?: string;
  readonly rttMs?: number;
  /** traceroute(8)'s marks: !H !N !P !X !F-<mtu> (unreachables), !<code> otherwise. */
  readonly annotation?: string;
  /** TCP mode replies: the flags of the destination's answer. */
  readonly tcpFlags?: number;
  /** The TTL (IPv6: hop limit) the reply arrived with; absent when the socket cannot tell (raw-socket over IPv6). */
  readonly replyTtl?: number;
}

export interface HopResult {
  readonly ttl: number;
  readonly probes: readonly ProbeResult[];
  /** A probe of this hop reached the destination (or an unreachable ended the trace). */
  readonly final: boolean;
}

export type TracerouteEvent =
  | { readonly type: 'probe'; readonly result: ProbeResult }
  | { readonly type: 'hop'; readonly hop: HopResult }
  | { readonly type: 'send-error'; readonly ttl: number; readonly probe: number; readonly message: string };

export interface TracerouteSummary extends TracerouteStart {
  readonly hops: readonly HopResult[];
  readonly reached: boolean;
  readonly interrupted: boolean;
}

interface Outstanding {
  /** 0-based over the whole run. */
  index: number;
  ttl: number;
  probe: number;
  /** What the probe expects back (src/wire/reply-matching.ts). */
  request: SentRequest;
  sentAt: number;
  result?: ProbeResult;
}

/** traceroute(8)'s DEF_WAIT_PREC: added to an RTT before it is multiplied into a timeout. */
const WAIT_PRECISION_MS = 1;
const nowMs = () => performance.timeOrigin + performance.now();
const ICMP_PAYLOAD = 32; // 20 + 8 + 32 = 60 bytes, as traceroute -I
const UDP_PAYLOAD = 32; // 20 + 8 + 32 = 60 bytes, as traceroute(8)'s default
/** traceroute(8)'s first UDP port (-p changes it); each probe takes the next one. */
export const TRACEROUTE_UDP_BASE_PORT = 33434;

/** traceroute(8)'s annotation for an ICMPv6 destination unreachable code (RFC 4443 3.1). */
export function unreachableAnnotation6(code: number): string {
  switch (code) {
    case 0:
      return '!N'; // no route
    case 1:
      return '!X'; // administratively prohibited
    case 2:
      return '!S'; // beyond the scope of the source address
    case 3:
      return '!H'; // address unreachable
    case 4:
      return ''; // port unreachable: the destination answered
    default:
      return `!<${code}>`;
  }
}

/** traceroute(8)'s annotation for an ICMP destination unreachable code. */
export function unreachableAnnotation(code: number, nextHopMtu?: number): string {
  switch (code) {
    case 0:
      return '!N';
    case 1:
      return '!H';
    case 2:
      return '!P';
    case 3:
      return ''; // port unreachable: the destination answered
    case 4:
      return `!F-${nextHopMtu ?? 0}`;
    case 5:
      return '!S';
    case 13:
      return '!X';
    case 14:
      return '!V';
    case 15:
      return '!C';
    default:
      return `!<${code}>`;
  }
}

export async function runTraceroute(options: TracerouteOptions): Promise<TracerouteSummary> {
  const destination = options.destination;
  const mode = options.mode ?? 'udp';
  const port = options.port ?? (mode === 'udp' ? TRACEROUTE_UDP_BASE_PORT : 80);
  const firstTtl = options.firstTtl ?? 1;
  const maxTtl = options.maxTtl ?? 30;
  const perHop = options.probesPerHop ?? 3;
  const simultaneous = options.simultaneousProbes ?? 16;
  const waitMs = options.waitMs ?? 5000;
  const hereFactor = options.hereFactor ?? 3;
  const nearFactor = options.nearFactor ?? 10;
  const sendWaitMs = options.sendWaitMs ?? 0;
  const emit = options.onEvent ?? (() => {});
  const family = addressFamilyOf(destination);
  if (family === undefined) throw new Error(`not an IPv4 or IPv6 address: ${destination}`);
  const ipv6 = family === 6;
  const source = await sourceAddressFor(destination);
  // Pseudo-headers take the bare addresses (a link-local scope is not on the wire).
  const pseudo = ipv6
    ? { source: ipv6AddressBytes(withoutScope(source)), destination: ipv6AddressBytes(withoutScope(destination)) }
    : { source: ipv4AddressBytes(source), destination: ipv4AddressBytes(destination) };
  const identifier = randomInt(1, 0x10000);
  const sourcePort = options.sourcePort ?? randomEphemeralPort();
  const isn = randomSequenceNumber();
  // traceroute(8)'s UDP payload: 0x40, 0x41, ... ("@ABC...").
  const udpPayload = Uint8Array.from({ length: UDP_PAYLOAD }, (_, i) => 0x40 + i);
  const tcpOptions = tcpSynOptions({ mss: defaultMss(family), sackPermitted: true, timestampValue: randomSequenceNumber(), windowScale: 7 });

  // Both sockets come from the same binding, so their clocks compare: a TCP
  // probe's send stamp and the ICMP error's receive stamp are on one clock.
  const icmpProtocol = ipv6 ? IpProtocol.ICMPv6 : IpProtocol.ICMP;
  const icmpSocket = openRawSocket({ family, protocol: icmpProtocol, socketReceiveBuffer: 1 << 20, binding: options.binding });
  let tcpSocket: PacketSocket | undefined;
  let udpSocket: PacketSocket | undefined;
  try {
    if (mode === 'tcp') tcpSocket = openRawSocket({ family, protocol: IpProtocol.TCP, socketReceiveBuffer: 1 << 20, binding: icmpSocket.binding });
    // Sends only: what it would receive (every UDP datagram to this host) is never read.
    if (mode === 'udp') udpSocket = openRawSocket({ family, protocol: IpProtocol.UDP, binding: icmpSocket.binding });
  } catch (error) {
    icmpSocket.close();
    throw error;
  }
  const sendingSocket = tcpSocket ?? udpSocket ?? icmpSocket;
  const protocol = mode === 'tcp' ? IpProtocol.TCP : mode === 'udp' ? IpProtocol.UDP : icmpProtocol;
  const sender = kernelHeaderSender(sendingSocket, protocol, destination, firstTtl);
  const packetLength = (ipv6 ? 40 : 20) + (mode === 'tcp' ? 20 + 20 : mode === 'udp' ? 8 + UDP_PAYLOAD : 8 + ICMP_PAYLOAD);
  const start: TracerouteStart = {
    destination,
    family,
    source,
    mode,
    port: mode === 'icmp' ? undefined : port,
    sourcePort: mode === 'icmp' ? undefined : sourcePort,
    maxTtl,
    packetLength,
    rttSource: icmpSocket.rttSource,
  };

  // Probe number n (0-based, over the whole run) is ICMP sequence n + 1, UDP
  // port `port` + n, or TCP sequence isn + n.
  // ICMP and UDP probes are found by the matcher's key (it covers the
  // sequence, or the ports); TCP
  // probes share theirs (same ports), so they are found by sequence number:
  // the one an error quotes, or the one a reply's ACK follows.
  const outstanding = new Map<number, Outstanding>();
  const sourceNumber = ipv6 ? 0 : ipv4AddressNumber(source);
  const destinationNumber = ipv6 ? 0 : ipv4AddressNumber(destination);
  const describe = (bytes: Uint8Array) =>
    ipv6 ? describeTransport6(protocol, pseudo.source, pseudo.destination, bytes) : describeTransport(protocol, sourceNumber, destinationNumber, bytes);
  const views = new ReplyViews();
  /**
   * Reads a datagram from one of our sockets: over IPv4 the whole packet;
   * over IPv6 the transport bytes alone, the sender's address from recvfrom().
   */
  const read = (socketProtocol: number, datagram: Uint8Array, from: string): AnswerKind | undefined =>
    ipv6 ? views.readTransport(6, socketProtocol, datagram, ipv6AddressBytes(withoutScope(from)), pseudo.source) : views.read(datagram);
  /** The TTL / hop limit an answer arrived with: the IPv4 header's, or the IPv6 socket's ancillary data (-1: unknown). */
  const arrivedTtl = (hopLimit: number): number | undefined => (ipv6 ? (hopLimit >= 0 ? hopLimit : undefined) : views.ip.ttl);
  const timeExceededType = ipv6 ? Icmpv6Type.TimeExceeded : IcmpType.TimeExceeded;
  const unreachableType = ipv6 ? Icmpv6Type.DestinationUnreachable : IcmpType.DestinationUnreachable;
  /** The main loop's sleep, ended by an answer or an interrupt. */
  const sleep = new WakeableSleep();
  let finished = false;
  let interrupted = false;

  /** The probe the packet just read answers as `kind`, if it is still waiting. */
  const answeredProbe = (kind: AnswerKind): Outstanding | undefined => {
    if (views.kind !== kind) return undefined;
    let entry: Outstanding | undefined;
    if (mode !== 'tcp') entry = outstanding.get(views.key);
    else if (views.protocol !== IpProtocol.TCP) return undefined; // e.g. an echo reply on the ICMP socket
    else if (kind === 'icmp-error') entry = views.hasSequenceNumber ? outstanding.get(views.sequenceNumber) : undefined;
    else entry = views.tcp.has(TcpFlag.ACK) ? outstanding.get(seqAdd(views.tcp.acknowledgmentNumber, -1)) : undefined;
    if (!entry || entry.result || answerOf(entry.request, views) !== kind) return undefined;
    return entry;
  };

  /** A probe's answer ends the trace: the destination's own, or an unreachable. */
  const isFinal = (result: ProbeResult | undefined) =>
    result !== undefined && result.outcome !== 'none' && (result.from === withoutScope(destination) || result.outcome === 'unreachable');

  /** RTT = receive stamp (the kernel's, or now in JS on raw-socket) - the socket's send stamp. */
  const record = (entry: Outstanding, receivedAt: number, fill: (entry: Outstanding, rttMs: number) => ProbeResult) => {
    const at = Number.isNaN(receivedAt) ? performance.timeOrigin + performance.now() : receivedAt;
    entry.result = fill(entry, Math.max(0, at - entry.sentAt));
    emit({ type: 'probe', result: entry.result });
    // The first hop with a final answer is the last one sent to and printed, as traceroute(8).
    if (isFinal(entry.result)) end = Math.min(end, entry.index - (entry.index % perHop) + perHop);
    sleep.answered();
  };

  icmpSocket.onPacket((datagram, rawFrom, receivedAt, hopLimit) => {
    if (finished) return;
    const kind = read(icmpProtocol, datagram, rawFrom);
    if (kind === undefined) return;
    const from = ipv6 ? withoutScope(rawFrom) : rawFrom;
    const type = ipv6 ? views.icmp6.type : views.icmp.type;
    if (kind === 'reply') {
      const entry = answeredProbe('reply');
      if (!entry) return;
      const replyTtl = arrivedTtl(hopLimit);
      record(entry, receivedAt, (probe, rttMs) => ({ ttl: probe.ttl, probe: probe.probe, outcome: 'reply', from, rttMs, replyTtl }));
      return;
    }
    const tooBig = ipv6 && type === Icmpv6Type.PacketTooBig;
    if (type !== timeExceededType && type !== unreachableType && !tooBig) return;
    const entry = answeredProbe('icmp-error');
    if (!entry) return;
    const unreachable = type === unreachableType || tooBig;
    const annotation = !unreachable
      ? undefined
      : tooBig
        ? `!F-${views.icmp6.mtu}`
        : (ipv6 ? unreachableAnnotation6(views.icmp6.code) : unreachableAnnotation(views.icmp.code, views.icmp.nextHopMtu)) || undefined;
    const replyTtl = arrivedTtl(hopLimit);
    record(entry, receivedAt, (probe, rttMs) => ({
      ttl: probe.ttl,
      probe: probe.probe,
      outcome: unreachable ? 'unreachable' : 'time-exceeded',
      from,
      rttMs,
      annotation,
      replyTtl,
    }));
  });
  icmpSocket.onError(() => {});

  tcpSocket?.onPacket((datagram, rawFrom, receivedAt, hopLimit) => {
    if (finished) return;
    read(IpProtocol.TCP, datagram, rawFrom);
    const entry = answeredProbe('reply');
    if (!entry) return;
    const tcp = views.tcp;
    const tcpFlags = tcp.flags;
    if ((tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
      // Close the half-open connection, as tcptraceroute does.
      try {
        sender.send(
          buildTcp({ sourcePort, destinationPort: port, sequenceNumber: tcp.acknowledgmentNumber, flags: TcpFlag.RST, window: 0 }, pseudo),
          { ttl: 64 },
        );
      } catch {
        // the kernel's own RST does it too
      }
    }
    const from = ipv6 ? withoutScope(rawFrom) : views.ip.source;
    const replyTtl = arrivedTtl(hopLimit);
    record(entry, receivedAt, (probe, rttMs) => ({ ttl: probe.ttl, probe: probe.probe, outcome: 'reply', from, rttMs, tcpFlags, replyTtl }));
  });
  tcpSocket?.onError(() => {});

  const onAbort = () => {
    interrupted = true;
    sleep.wake();
  };
  const hops: HopResult[] = [];
  let reached = false;
  // Probe i (0-based) is probe i % perHop + 1 of TTL firstTtl + i / perHop, as in traceroute(8).
  const probes: Outstanding[] = [];
  /** One past the last probe to send and print: the end of the first hop with a final answer, or of -m. */
  let end = (maxTtl - firstTtl + 1) * perHop;
  const ttlOf = (index: number) => firstTtl + Math.floor(index / perHop);
  const answered = (entry: Outstanding | undefined) => entry?.result?.rttMs !== undefined;
  /**
   * traceroute(8)'s get_timeout(): wait `hereFactor` times the RTT of an
   * answer from the same hop, else `nearFactor` times that of an answer from
   * a later hop (the first one found), else `waitMs`; never more than waitMs.
   * The RTT gets traceroute(8)'s 1 ms of precision added first.
   */
  const timeoutOf = (index: number): number => {
    if (hereFactor > 0) {
      const hopStart = index - (index % perHop);
      for (let i = hopStart; i < hopStart + perHop; i++) {
        const entry = probes[i];
        if (answered(entry)) return Math.min(waitMs, (entry.result!.rttMs! + WAIT_PRECISION_MS) * hereFactor);
      }
    }
    if (nearFactor > 0) {
      for (let i = index - (index % perHop) + perHop; i < probes.length; i++) {
        const entry = probes[i];
        if (answered(entry)) return Math.min(waitMs, (entry.result!.rttMs! + WAIT_PRECISION_MS) * nearFactor);
      }
    }
    return waitMs;
  };
  const sendProbe = (index: number): Outstanding => {
    const n = index;
    const ttl = ttlOf(index);
    const probe = (index % perHop) + 1;
    let key: number;
    let bytes: Uint8Array;
    if (mode === 'icmp') {
      key = (n % 0xffff) + 1;
      const payload = new Uint8Array(ICMP_PAYLOAD).fill(0x40 + (n % 32));
      bytes = ipv6 ? buildIcmpv6Echo({ identifier, sequence: key, payload }, pseudo) : buildIcmpEcho({ identifier, sequence: key, payload });
    } else if (mode === 'udp') {
      // Ports past 65535 wrap to the bottom of the range, as a 16-bit port would.
      key = (port + n) & 0xffff;
      bytes = buildUdp({ sourcePort, destinationPort: key, payload: udpPayload }, pseudo);
    } else {
      key = seqAdd(isn, n);
      bytes = buildTcp({ sourcePort, destinationPort: port, sequenceNumber: key, flags: TcpFlag.SYN, window: 64240, options: tcpOptions }, pseudo);
    }
    const request = describe(bytes)!;
    const entry: Outstanding = { index, ttl, probe, request, sentAt: Number.NaN };
    probes[index] = entry;
    outstanding.set(mode === 'tcp' ? key : requestKey(request), entry);
    try {
      sender.send(bytes, { ttl });
      // Epoch ms as the socket took it: in C right before sendto(), or in JS on raw-socket.
      entry.sentAt = sendingSocket.lastSendTime;
    } catch (error) {
      const message = error instanceof SendError ? error.message : (error as Error).message;
      entry.result = { ttl, probe, outcome: 'none' };
      emit({ type: 'send-error', ttl, probe, message });
      return entry;
    }
    icmpSocket.receivePending();
    tcpSocket?.receivePending();
    return entry;
  };
  try {
    await options.onSocketOpen?.(start);
    if (options.signal?.aborted) interrupted = true;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // traceroute(8)'s loop: walk the probes from the first unprinted one;
    // expire those waited for long enough, print finished ones in order, send
    // new ones while fewer than `simultaneous` are in flight; then sleep until
    // an answer comes or the next probe's time (or send gap) is up.
    let first = 0;
    let lastSendAt = -Infinity;
    while (first < end && !interrupted) {
      const now = nowMs();
      let inFlight = 0;
      let wakeAt = Infinity;
      for (let index = first; index < end; index++) {
        let entry = probes[index];
        if (entry && !entry.result) {
          const deadline = entry.sentAt + timeoutOf(index);
          if (now >= deadline) entry.result = { ttl: entry.ttl, probe: entry.probe, outcome: 'none' };
          else wakeAt = Math.min(wakeAt, deadline);
        }
        if (entry?.result) {
          if (index === first) {
            first++;
            if (first % perHop === 0) {
              const hopProbes = probes.slice(first - perHop, first).map((p) => p.result!);
              const hitDestination = hopProbes.some((p) => p.from === withoutScope(destination) && p.outcome !== 'none');
              const final = hitDestination || hopProbes.some((p) => p.outcome === 'unreachable');
              const hop: HopResult = { ttl: hopProbes[0].ttl, probes: hopProbes, final };
              hops.push(hop);
              emit({ type: 'hop', hop });
              if (final) reached = hitDestination;
            }
          }
          continue;
        }
        if (!entry) {
          if (sendWaitMs > 0 && now - lastSendAt < sendWaitMs) {
            wakeAt = Math.min(wakeAt, lastSendAt + sendWaitMs);
            break;
          }
          entry = sendProbe(index);
          lastSendAt = now;
          if (entry.result) continue;
          wakeAt = Math.min(wakeAt, entry.sentAt + timeoutOf(index));
        }
        if (++inFlight >= simultaneous) break;
      }
      if (first >= end || interrupted) break;
      // Answers that came during the sends are already recorded: look again at once.
      if (sleep.takeAnswers()) continue;
      await sleep.sleep(wakeAt - nowMs());
    }
  } finally {
    finished = true;
    options.signal?.removeEventListener('abort', onAbort);
    icmpSocket.close();
    tcpSocket?.close();
    udpSocket?.close();
  }
  return { ...start, hops, reached, interrupted };
}
