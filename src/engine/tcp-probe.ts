// The tcp-probe engine: one hand-built TCP segment per port (a SYN with
// Linux's options by default; any flags, numbers and payload on request),
// each reply classified the way nmap does:
//
//   SYN probe:      SYN-ACK -> open (and we answer it with a RST, as nmap),
//                   RST -> closed, silence or ICMP unreachable -> filtered;
//   ACK in probe:   RST -> unfiltered, silence / ICMP -> filtered;
//   FIN/NULL/Xmas:  RST -> closed, silence -> open|filtered, ICMP -> filtered.
//
// Paced as nmap -sS paces (src/engine/probe-pacing.ts): a window of probes in
// flight that opens with each answer and closes on drops, a timeout from the
// measured RTTs (SRTT + 4 RTTVAR, 100 ms to 10 s), and a silent port probed
// again (`retries`) before it is called filtered. On a LAN a run takes about
// (retries + 1) * 100 ms past its sends, whatever the number of ports.
import { Ipv4Sender } from '../net/ipv4-sender.ts';
import { ProbePacing } from './probe-pacing.ts';
import { WakeableSleep } from './wakeable-sleep.ts';
import { openRawSocket, type OpenRawSocketOptions, type PacketSocket, type RttSource } from '../net/packet-socket.ts';
import { SendError } from '../net/raw-socket.ts';
import { addressFamilyOf, sourceAddressFor, withoutScope, type AddressFamily } from '../net/routes.ts';
import { IcmpType } from '../wire/icmp.ts';
import { Icmpv6Type } from '../wire/icmpv6.ts';
import { ipv4AddressBytes, ipv4AddressNumber } from '../wire/ipv4-address.ts';
import { ipv6AddressBytes } from '../wire/ipv6-address.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { answerOf, describeTransport, describeTransport6, ReplyViews, requestKey, type SentRequest } from '../wire/reply-matching.ts';
import { receivedChecksum, type ReceivedChecksum } from '../wire/checksum.ts';
import { buildTcp, tcpChecksumVerdict, TcpFlag, tcpPseudoHeaderSum, tcpSynOptions, TcpView, type TcpOption } from '../wire/tcp.ts';
import {
  defaultMss,
  kernelHeaderSender,
  type TransportSender,
  copyTcpOption,
  randomEphemeralPort,
  randomSequenceNumber,
  type TcpSegmentSummary,
} from './tcp-common.ts';

export type PortState = 'open' | 'closed' | 'filtered' | 'unfiltered' | 'open|filtered';
export type PortReason = 'syn-ack' | 'rst' | 'tcp-reply' | 'no-response' | 'icmp-unreachable';

export interface TcpProbeOptions {
  /** IPv4 or IPv6 address (resolve names first). IPv6: the kernel always writes the header (no source, IP_HDRINCL or identification of our own). */
  readonly destination: string;
  readonly ports: readonly number[];
  /** Default: the route's source. Another one makes the engine build the IPv4 header (IP_HDRINCL). */
  readonly source?: string;
  /** Default: random in the ephemeral range. */
  readonly sourcePort?: number;
  /** Build the IPv4 header ourselves (IP_HDRINCL). */
  readonly headerIncluded?: boolean;
  /** IPv4 identification with IP_HDRINCL (default random, non-zero; 0 lets the kernel choose). */
  readonly identification?: number;
  /** TCP flags (TcpFlag bits); default SYN. */
  readonly flags?: number;
  /** Default random. */
  readonly sequenceNumber?: number;
  /** Default 0. */
  readonly acknowledgmentNumber?: number;
  /** Default 64240 (Linux's first window). */
  readonly window?: number;
  readonly ttl?: number;
  readonly payload?: Uint8Array;
  /** TCP options; default: MSS, SACK-permitted, timestamps, window scale when SYN is set, none otherwise. */
  readonly options?: readonly TcpOption[];
  /** Send a wrong TCP checksum on purpose. */
  readonly badChecksum?: boolean;
  /** A fixed wait per attempt, ms. Default: adaptive, as nmap: 1000 ms until RTTs are measured, then SRTT + 4 RTTVAR within min and max. */
  readonly timeoutMs?: number;
  /** The adaptive timeout's floor, ms (default 100, nmap's --min-rtt-timeout). */
  readonly minTimeoutMs?: number;
  /** The adaptive timeout's ceiling, ms (default 10000, nmap's --max-rtt-timeout). */
  readonly maxTimeoutMs?: number;
  /** Attempts after the first for a silent port (default 1). */
  readonly retries?: number;
  /** Gap between two probes, ms (default 0: back to back). */
  readonly intervalMs?: number;
  /** SO_MARK for the raw socket. */
  readonly socketMark?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TcpProbeEvent) => void;
  /** Which socket binding ('auto' by default: the Linux binding when built); see openRawSocket(). */
  readonly binding?: OpenRawSocketOptions['binding'];
  /** After the sockets are open, before the first probe: open captures, drop privileges. */
  readonly onSocketOpen?: (info: TcpProbeStart) => void | Promise<void>;
  /** Called with each probe segment as built, right before it is sent (--show-wire copies the first). */
  readonly onProbeBuilt?: (segment: Uint8Array) => void;
}

export interface TcpProbeStart {
  readonly destination: string;
  readonly family: AddressFamily;
  readonly source: string;
  readonly routeSource: string;
  readonly sourcePort: number;
  readonly headerIncluded: boolean;
  readonly flags: number;
  readonly options: readonly TcpOption[];
  readonly ports: readonly number[];
  /** Bytes of one probe, IP header included (40 bytes of it over IPv6). */
  readonly probeBytes: number;
  /** Where RTTs come from: 'kernel' (C send stamp, SO_TIMESTAMPNS receive stamp) or 'javascript' (raw-socket). */
  readonly rttSource: RttSource;
}

export interface PortResult {
  readonly port: number;
  readonly state: PortState;
  readonly reason: PortReason;
  /** From the last probe sent to the reply, ms. */
  readonly rttMs?: number;
  readonly reply?: TcpSegmentSummary & { readonly checksum: ReceivedChecksum };
  readonly icmp?: { readonly from: string; readonly type: number; readonly code: number };
  readonly probes: number;
  /** We answered a SYN-ACK with a RST. */
  readonly resetSent: boolean;
}

export type TcpProbeEvent =
  | { readonly type: 'sent'; readonly port: number; readonly attempt: number; readonly timeMs: number; readonly segment: TcpSegmentSummary }
  | { readonly type: 'send-error'; readonly port: number; readonly message: string; readonly timeMs: number }
  | ({ readonly type: 'result'; readonly timeMs: number } & PortResult);

export interface TcpProbeSummary extends TcpProbeStart {
  readonly results: readonly PortResult[];
  /** Ports that answered with TCP (SYN-ACK, RST or anything else). */
  readonly answered: number;
  readonly elapsedMs: number;
  readonly interrupted: boolean;
}

interface PortProgress {
  readonly port: number;
  /** What the probe to this port expects back (src/wire/reply-matching.ts). */
  request?: SentRequest;
  attempts: number;
  lastSentAt: number;
  result?: PortResult;
  /** Timed out on its last attempt: no answer counts any more. */
  silent?: boolean;
  icmp?: { from: string; type: number; code: number };
}

const nowMs = () => performance.timeOrigin + performance.now();

/** The probe's options when none are given: Linux's SYN options, or nothing for other probes. */
export function defaultProbeOptions(flags: number, timestampValue: number, family: AddressFamily = 4): TcpOption[] {
  if (!(flags & TcpFlag.SYN)) return [];
  return tcpSynOptions({ mss: defaultMss(family), sackPermitted: true, timestampValue, windowScale: 7 });
}

/** What a TCP reply means for the port, given the probe's flags. */
export function classifyReply(probeFlags: number, replyFlags: number): { state: PortState; reason: PortReason } {
  if ((replyFlags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) return { state: 'open', reason: 'syn-ack' };
  if (replyFlags & TcpFlag.RST) {
    if (probeFlags & TcpFlag.SYN) return { state: 'closed', reason: 'rst' };
    if (probeFlags & TcpFlag.ACK) return { state: 'unfiltered', reason: 'rst' };
    return { state: 'closed', reason: 'rst' };
  }
  return { state: probeFlags & TcpFlag.SYN ? 'open' : 'unfiltered', reason: 'tcp-reply' };
}

/** What silence means for the port, given the probe's flags. */
export function classifySilence(probeFlags: number): PortState {
  if (probeFlags & (TcpFlag.SYN | TcpFlag.ACK)) return 'filtered';
  // FIN, NULL, Xmas (and RST/PSH/URG-only) probes: an open port stays silent too (RFC 9293 3.10.7.1).
  return 'open|filtered';
}

export async function runTcpProbe(options: TcpProbeOptions): Promise<TcpProbeSummary> {
  const destination = options.destination;
  const family = addressFamilyOf(destination);
  if (family === undefined) throw new Error(`not an IPv4 or IPv6 address: ${destination}`);
  const ipv6 = family === 6;
  const routeSource = await sourceAddressFor(destination);
  const source = options.source ?? routeSource;
  const headerIncluded = options.headerIncluded ?? source !== routeSource;
  if (ipv6 && (headerIncluded || options.identification !== undefined)) {
    throw new Error('over IPv6 the kernel writes the IP header: no other source address, IP_HDRINCL or identification');
  }
  const sourcePort = options.sourcePort ?? randomEphemeralPort();
  const flags = options.flags ?? TcpFlag.SYN;
  const sequenceNumber = (options.sequenceNumber ?? randomSequenceNumber()) >>> 0;
  const tsBase = randomSequenceNumber();
  const tcpOptions = options.options ?? defaultProbeOptions(flags, tsBase, family);
  const payload = options.payload ?? new Uint8Array(0);
  const retries = options.retries ?? 1;
  const intervalMs = options.intervalMs ?? 0;
  const emit = options.onEvent ?? (() => {});
  const ports = [...options.ports];
  const progress = new Map<number, PortProgress>(ports.map((port) => [port, { port, attempts: 0, lastSentAt: 0 }]));
  // Pseudo-headers take the bare addresses (a link-local scope is not on the wire).
  const pseudo = ipv6
    ? { source: ipv6AddressBytes(withoutScope(source)), destination: ipv6AddressBytes(withoutScope(destination)) }
    : { source: ipv4AddressBytes(source), destination: ipv4AddressBytes(destination) };
  const identification = options.identification ?? 1 + Math.floor(Math.random() * 0xfffe);

  const probeFor = (port: number): Uint8Array => {
    const segment = {
      sourcePort,
      destinationPort: port,
      sequenceNumber,
      acknowledgmentNumber: options.acknowledgmentNumber ?? 0,
      flags,
      window: options.window ?? 64240,
      options: tcpOptions,
      payload,
    };
    const bytes = buildTcp(segment, pseudo);
    if (!options.badChecksum) return bytes;
    // XOR with 0x5555 never gives the other form of the same ones'-complement value (0x0000 / 0xffff).
    const wrong = new TcpView().pointUnchecked(bytes).checksum ^ 0x5555;
    return buildTcp({ ...segment, checksum: wrong });
  };

  // One binding for both sockets, so the TCP send stamp and an ICMP error's receive stamp share a clock.
  const icmpProtocol = ipv6 ? IpProtocol.ICMPv6 : IpProtocol.ICMP;
  const tcpSocket = openRawSocket({ family, protocol: IpProtocol.TCP, socketReceiveBuffer: 1 << 20, binding: options.binding });
  let icmpSocket: PacketSocket | undefined;
  try {
    if (options.socketMark !== undefined) tcpSocket.setMark(options.socketMark);
    icmpSocket = openRawSocket({ family, protocol: icmpProtocol, socketReceiveBuffer: 1 << 20, binding: tcpSocket.binding });
  } catch (error) {
    tcpSocket.close();
    throw error;
  }
  const sender: TransportSender = ipv6
    ? kernelHeaderSender(tcpSocket, IpProtocol.TCP, destination, options.ttl)
    : new Ipv4Sender(tcpSocket, {
        headerIncluded,
        protocol: IpProtocol.TCP,
        source,
        destination,
        ttl: options.ttl,
        identification,
        dontFragment: true,
      });
  const start: TcpProbeStart = {
    destination,
    family,
    source,
    routeSource,
    sourcePort,
    headerIncluded,
    flags,
    options: tcpOptions,
    ports,
    probeBytes: (ipv6 ? 40 : 20) + probeFor(ports[0] ?? 1).length,
    rttSource: tcpSocket.rttSource,
  };

  // Each port's probe, described once; replies and ICMP errors find it by key.
  const sourceNumber = ipv6 ? 0 : ipv4AddressNumber(source);
  const destinationNumber = ipv6 ? 0 : ipv4AddressNumber(destination);
  const byKey = new Map<number, PortProgress>();
  for (const entry of progress.values()) {
    const probe = probeFor(entry.port);
    const request = ipv6
      ? describeTransport6(IpProtocol.TCP, pseudo.source, pseudo.destination, probe)
      : describeTransport(IpProtocol.TCP, sourceNumber, destinationNumber, probe);
    if (!request) continue;
    entry.request = request;
    byKey.set(requestKey(request), entry);
  }
  const views = new ReplyViews();
  /** Over IPv4 the whole packet; over IPv6 the transport bytes alone, the sender's address from recvfrom(). */
  const read = (socketProtocol: number, datagram: Uint8Array, from: string) =>
    ipv6 ? views.readTransport(6, socketProtocol, datagram, ipv6AddressBytes(withoutScope(from)), pseudo.source) : views.read(datagram);
  /** The port whose outstanding probe the packet just read answers, or undefined. */
  const answeredPort = (kind: 'reply' | 'icmp-error'): PortProgress | undefined => {
    if (views.kind !== kind) return undefined;
    const entry = byKey.get(views.key);
    if (!entry || !entry.request || entry.result || entry.attempts === 0) return undefined;
    return answerOf(entry.request, views) === kind ? entry : undefined;
  };

  const startedAt = performance.now();
  let finished = false;
  let interrupted = false;
  /** The main loop's sleep, ended by an answer or an interrupt. */
  const sleep = new WakeableSleep();
  let pending = ports.length;
  const inFlight = new Set<PortProgress>();
  const pacing = new ProbePacing({ fixedTimeoutMs: options.timeoutMs, minTimeoutMs: options.minTimeoutMs, maxTimeoutMs: options.maxTimeoutMs });

  const settle = (port: number, result: PortResult) => {
    const entry = progress.get(port)!;
    if (entry.result || entry.silent) return;
    entry.result = result;
    pending--;
    // Karn's rule, as nmap: only a port probed once gives an RTT that belongs to one probe.
    pacing.answered(entry.attempts === 1 ? result.rttMs : undefined, entry.attempts > 1);
    emit({ type: 'result', timeMs: nowMs(), ...result });
    sleep.answered();
  };

  /** The kernel's receive stamp (Linux binding), or now in JS (raw-socket); epoch ms like lastSentAt. */
  const receiveTime = (kernelTime: number) => (Number.isNaN(kernelTime) ? nowMs() : kernelTime);

  tcpSocket.onPacket((datagram, rawFrom, kernelTime, hopLimit) => {
    if (finished) return;
    const receivedAt = receiveTime(kernelTime);
    // The raw TCP socket sees every segment entering the host, our own probes too on loopback.
    read(IpProtocol.TCP, datagram, rawFrom);
    const entry = answeredPort('reply');
    if (!entry) return;
    const port = entry.port;
    const ip = views.ip;
    const tcp = views.tcp;
    const from = ipv6 ? withoutScope(rawFrom) : ip.source;
    const segmentBytes = ipv6 ? datagram : ip.payload;
    const pseudoSum = ipv6
      ? tcpPseudoHeaderSum({ source: ipv6AddressBytes(from), destination: pseudo.source }, segmentBytes.length)
      : ip.pseudoHeaderSum(IpProtocol.TCP, segmentBytes.length);
    const checksum = receivedChecksum(tcpChecksumVerdict(segmentBytes, pseudoSum));
    const replyFlags = tcp.flags;
    const { state, reason } = classifyReply(flags, replyFlags);
    let resetSent = false;
    if (reason === 'syn-ack') {
      // Tear the half-open connection down, as nmap does: RST with SEQ = the SYN-ACK's ACK.
      const rst = buildTcp(
        { sourcePort, destinationPort: port, sequenceNumber: tcp.acknowledgmentNumber, flags: TcpFlag.RST, window: 0 },
        pseudo,
      );
      try {
        sender.send(rst);
        resetSent = true;
      } catch {
        // The kernel's own RST does the job too.
      }
    }
    settle(port, {
      port,
      state,
      reason,
      rttMs: Math.max(0, receivedAt - entry.lastSentAt),
      probes: entry.attempts,
      resetSent,
      reply: {
        source: from,
        sourcePort: tcp.sourcePort,
        destination: ipv6 ? withoutScope(source) : ip.destination,
        destinationPort: tcp.destinationPort,
        flags: replyFlags,
        sequenceNumber: tcp.sequenceNumber,
        acknowledgmentNumber: tcp.acknowledgmentNumber,
        window: tcp.window,
        // The options are views into the socket's receive buffer: copied.
        options: tcp.options().map(copyTcpOption),
        payloadLength: tcp.payloadLength,
        // IPv6: the hop limit from ancillary data (unknown on raw-socket).
        ttl: ipv6 ? (hopLimit >= 0 ? hopLimit : undefined) : ip.ttl,
        checksum,
      },
    });
  });
  tcpSocket.onError(() => {});

  const unreachableType = ipv6 ? Icmpv6Type.DestinationUnreachable : IcmpType.DestinationUnreachable;
  icmpSocket.onPacket((datagram, rawFrom, kernelTime) => {
    if (finished) return;
    const receivedAt = receiveTime(kernelTime);
    read(icmpProtocol, datagram, rawFrom);
    const from = withoutScope(rawFrom);
    const type = ipv6 ? views.icmp6.type : views.icmp.type;
    // Only an unreachable marks a port filtered (nmap); other errors leave it waiting.
    if (views.kind !== 'icmp-error' || type !== unreachableType) return;
    const entry = answeredPort('icmp-error');
    if (!entry) return;
    settle(entry.port, {
      port: entry.port,
      state: 'filtered',
      reason: 'icmp-unreachable',
      rttMs: Math.max(0, receivedAt - entry.lastSentAt),
      probes: entry.attempts,
      resetSent: false,
      icmp: { from, type, code: ipv6 ? views.icmp6.code : views.icmp.code },
    });
  });
  icmpSocket.onError(() => {});

  const onAbort = () => {
    interrupted = true;
    sleep.wake();
  };
  const sentEvent = (port: number, attempt: number): TcpProbeEvent => ({
    type: 'sent',
    port,
    attempt,
    timeMs: nowMs(),
    segment: {
      source,
      sourcePort,
      destination,
      destinationPort: port,
      flags,
      sequenceNumber,
      acknowledgmentNumber: options.acknowledgmentNumber ?? 0,
      window: options.window ?? 64240,
      options: tcpOptions,
      payloadLength: payload.length,
    },
  });

  try {
    await options.onSocketOpen?.(start);
    if (options.signal?.aborted) interrupted = true;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // nmap -sS's rhythm: probes go out while fewer than `window` are in flight;
    // a probe leaves the flight when answered or when the timeout (from the
    // RTTs measured so far) is up, and a silent port goes back in the queue
    // for its retries, ahead of ports not yet probed.
    const fresh = [...ports];
    let nextFresh = 0;
    const retryQueue: PortProgress[] = [];
    let lastSendAt = -Infinity;
    while (pending > 0 && !interrupted) {
      const now = nowMs();
      const timeout = pacing.timeoutMs;
      let wakeAt = Infinity;
      for (const entry of inFlight) {
        if (entry.result) {
          inFlight.delete(entry);
          continue;
        }
        const deadline = entry.lastSentAt + timeout;
        if (now < deadline) {
          wakeAt = Math.min(wakeAt, deadline);
          continue;
        }
        inFlight.delete(entry);
        if (entry.attempts <= retries) retryQueue.push(entry);
        else {
          // Silent through every attempt: its verdict is silence's (classifySilence), given at the end.
          entry.silent = true;
          pending--;
        }
      }
      while (inFlight.size < pacing.window && !interrupted) {
        if (intervalMs > 0 && now - lastSendAt < intervalMs) {
          wakeAt = Math.min(wakeAt, lastSendAt + intervalMs);
          break;
        }
        let entry = retryQueue.shift();
        while (!entry && nextFresh < fresh.length) {
          const candidate = progress.get(fresh[nextFresh++])!;
          if (!candidate.result && candidate.attempts === 0) entry = candidate;
        }
        if (!entry) break;
        if (entry.result) continue;
        const port = entry.port;
        entry.attempts++;
        try {
          const probe = probeFor(port);
          options.onProbeBuilt?.(probe);
          sender.send(probe);
          // Epoch ms as the socket took it: in C right before sendto(), or in JS on raw-socket.
          entry.lastSentAt = tcpSocket.lastSendTime;
        } catch (error) {
          const message = error instanceof SendError ? error.message : (error as Error).message;
          emit({ type: 'send-error', port, message, timeMs: nowMs() });
          entry.lastSentAt = nowMs();
        }
        lastSendAt = nowMs();
        inFlight.add(entry);
        wakeAt = Math.min(wakeAt, entry.lastSentAt + timeout);
        emit(sentEvent(port, entry.attempts));
        // Replies that came during sendto() (loopback, veth) are timed now, not after a wake-up.
        tcpSocket.receivePending();
        icmpSocket.receivePending();
        if (intervalMs > 0) break;
      }
      if (pending === 0 || interrupted) break;
      if (sleep.takeAnswers()) continue;
      await sleep.sleep(wakeAt - nowMs());
    }
  } finally {
    finished = true;
    options.signal?.removeEventListener('abort', onAbort);
    tcpSocket.close();
    icmpSocket.close();
  }

  const results: PortResult[] = ports.map((port) => {
    const entry = progress.get(port)!;
    return (
      entry.result ?? {
        port,
        state: classifySilence(flags),
        reason: 'no-response',
        probes: entry.attempts,
        resetSent: false,
      }
    );
  });
  return {
    ...start,
    results,
    answered: results.filter((r) => r.reply !== undefined).length,
    elapsedMs: performance.now() - startedAt,
    interrupted,
  };
}
