// The tcp-probe engine: one hand-built TCP segment per port (a SYN with
// Linux's options by default; any flags, numbers and payload on request),
// each reply classified the way nmap does:
//
//   SYN probe:      SYN-ACK -> open (and we answer it with a RST, as nmap),
//                   RST -> closed, silence or ICMP unreachable -> filtered;
//   ACK in probe:   RST -> unfiltered, silence / ICMP -> filtered;
//   FIN/NULL/Xmas:  RST -> closed, silence -> open|filtered, ICMP -> filtered.
//
// A silent port gets the probe again (`retries`), each attempt waiting
// `timeoutMs`. All ports are probed at once, so the run takes about
// (retries + 1) * timeout whatever their number.
import { Ipv4Sender } from '../net/ipv4-sender.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, RawSocket, SendError } from '../net/raw-socket.ts';
import { sourceAddressFor } from '../net/routes.ts';
import { IcmpType } from '../wire/icmp.ts';
import { ipv4AddressBytes, ipv4AddressNumber } from '../wire/ipv4-address.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { answerOf, describeTransport, ReplyViews, requestKey, type SentRequest } from '../wire/reply-matching.ts';
import { receivedChecksum, type ReceivedChecksum } from '../wire/checksum.ts';
import { buildTcp, tcpChecksumVerdict, TcpFlag, tcpSynOptions, TcpView, type TcpOption } from '../wire/tcp.ts';
import {
  copyTcpOption,
  randomEphemeralPort,
  randomSequenceNumber,
  type TcpSegmentSummary,
} from './tcp-common.ts';

export type PortState = 'open' | 'closed' | 'filtered' | 'unfiltered' | 'open|filtered';
export type PortReason = 'syn-ack' | 'rst' | 'tcp-reply' | 'no-response' | 'icmp-unreachable';

export interface TcpProbeOptions {
  /** IPv4 address (resolve names first). */
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
  /** Wait per attempt, ms (default 1000). */
  readonly timeoutMs?: number;
  /** Attempts after the first for a silent port (default 1). */
  readonly retries?: number;
  /** Gap between two probes, ms (default 0: back to back). */
  readonly intervalMs?: number;
  /** SO_MARK for the raw socket. */
  readonly socketMark?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TcpProbeEvent) => void;
  /** After the sockets are open, before the first probe: open captures, drop privileges. */
  readonly onSocketOpen?: (info: TcpProbeStart) => void | Promise<void>;
}

export interface TcpProbeStart {
  readonly destination: string;
  readonly source: string;
  readonly routeSource: string;
  readonly sourcePort: number;
  readonly headerIncluded: boolean;
  readonly flags: number;
  readonly options: readonly TcpOption[];
  readonly ports: readonly number[];
  /** Bytes of one probe, IPv4 header included. */
  readonly probeBytes: number;
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
  icmp?: { from: string; type: number; code: number };
}

const nowMs = () => performance.timeOrigin + performance.now();

/** The probe's options when none are given: Linux's SYN options, or nothing for other probes. */
export function defaultProbeOptions(flags: number, timestampValue: number): TcpOption[] {
  if (!(flags & TcpFlag.SYN)) return [];
  return tcpSynOptions({ mss: 1460, sackPermitted: true, timestampValue, windowScale: 7 });
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
  const routeSource = await sourceAddressFor(destination);
  const source = options.source ?? routeSource;
  const headerIncluded = options.headerIncluded ?? source !== routeSource;
  const sourcePort = options.sourcePort ?? randomEphemeralPort();
  const flags = options.flags ?? TcpFlag.SYN;
  const sequenceNumber = (options.sequenceNumber ?? randomSequenceNumber()) >>> 0;
  const tsBase = randomSequenceNumber();
  const tcpOptions = options.options ?? defaultProbeOptions(flags, tsBase);
  const payload = options.payload ?? new Uint8Array(0);
  const timeoutMs = options.timeoutMs ?? 1000;
  const retries = options.retries ?? 1;
  const intervalMs = options.intervalMs ?? 0;
  const emit = options.onEvent ?? (() => {});
  const ports = [...options.ports];
  const progress = new Map<number, PortProgress>(ports.map((port) => [port, { port, attempts: 0, lastSentAt: 0 }]));
  const pseudo = { source: ipv4AddressBytes(source), destination: ipv4AddressBytes(destination) };
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

  const tcpSocket = RawSocket.open({ protocol: IPPROTO_TCP, socketReceiveBuffer: 1 << 20 });
  let icmpSocket: RawSocket | undefined;
  try {
    if (options.socketMark !== undefined) tcpSocket.setMark(options.socketMark);
    icmpSocket = RawSocket.open({ protocol: IPPROTO_ICMP, socketReceiveBuffer: 1 << 20 });
  } catch (error) {
    tcpSocket.close();
    throw error;
  }
  const sender = new Ipv4Sender(tcpSocket, {
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
    source,
    routeSource,
    sourcePort,
    headerIncluded,
    flags,
    options: tcpOptions,
    ports,
    probeBytes: 20 + probeFor(ports[0] ?? 1).length,
  };

  // Each port's probe, described once; replies and ICMP errors find it by key.
  const sourceNumber = ipv4AddressNumber(source);
  const destinationNumber = ipv4AddressNumber(destination);
  const byKey = new Map<number, PortProgress>();
  for (const entry of progress.values()) {
    const request = describeTransport(IpProtocol.TCP, sourceNumber, destinationNumber, probeFor(entry.port));
    if (!request) continue;
    entry.request = request;
    byKey.set(requestKey(request), entry);
  }
  const views = new ReplyViews();
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
  let resolveRound: (() => void) | undefined;
  let pending = ports.length;

  const settle = (port: number, result: PortResult) => {
    const entry = progress.get(port)!;
    if (entry.result) return;
    entry.result = result;
    pending--;
    emit({ type: 'result', timeMs: nowMs(), ...result });
    if (pending === 0) resolveRound?.();
  };

  tcpSocket.onPacket((datagram) => {
    if (finished) return;
    const receivedAt = performance.now();
    // The raw TCP socket sees every segment entering the host, our own probes too on loopback.
    views.read(datagram);
    const entry = answeredPort('reply');
    if (!entry) return;
    const port = entry.port;
    const ip = views.ip;
    const tcp = views.tcp;
    const segmentBytes = ip.payload;
    const checksum = receivedChecksum(tcpChecksumVerdict(segmentBytes, ip.pseudoHeaderSum(IpProtocol.TCP, segmentBytes.length)));
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
      rttMs: receivedAt - entry.lastSentAt,
      probes: entry.attempts,
      resetSent,
      reply: {
        source: ip.source,
        sourcePort: tcp.sourcePort,
        destination: ip.destination,
        destinationPort: tcp.destinationPort,
        flags: replyFlags,
        sequenceNumber: tcp.sequenceNumber,
        acknowledgmentNumber: tcp.acknowledgmentNumber,
        window: tcp.window,
        // The options are views into the socket's receive buffer: copied.
        options: tcp.options().map(copyTcpOption),
        payloadLength: tcp.payloadLength,
        ttl: ip.ttl,
        checksum,
      },
    });
  });
  tcpSocket.onError(() => {});

  icmpSocket.onPacket((datagram, from) => {
    if (finished) return;
    const receivedAt = performance.now();
    views.read(datagram);
    // Only an unreachable marks a port filtered (nmap); other errors leave it waiting.
    if (views.kind !== 'icmp-error' || views.icmp.type !== IcmpType.DestinationUnreachable) return;
    const entry = answeredPort('icmp-error');
    if (!entry) return;
    settle(entry.port, {
      port: entry.port,
      state: 'filtered',
      reason: 'icmp-unreachable',
      rttMs: receivedAt - entry.lastSentAt,
      probes: entry.attempts,
      resetSent: false,
      icmp: { from, type: views.icmp.type, code: views.icmp.code },
    });
  });
  icmpSocket.onError(() => {});

  const onAbort = () => {
    interrupted = true;
    resolveRound?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      resolveRound = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  try {
    await options.onSocketOpen?.(start);
    if (options.signal?.aborted) interrupted = true;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    for (let attempt = 1; attempt <= retries + 1 && !interrupted && pending > 0; attempt++) {
      for (const port of ports) {
        if (interrupted) break;
        const entry = progress.get(port)!;
        if (entry.result) continue;
        const probe = probeFor(port);
        entry.attempts = attempt;
        entry.lastSentAt = performance.now();
        try {
          sender.send(probe);
        } catch (error) {
          const message = error instanceof SendError ? error.message : (error as Error).message;
          emit({ type: 'send-error', port, message, timeMs: nowMs() });
          continue;
        }
        emit({
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
        // Replies that came during sendto() (loopback, veth) are timed now, not after a wake-up.
        tcpSocket.receivePending();
        icmpSocket.receivePending();
        if (intervalMs > 0) await sleep(intervalMs);
      }
      if (pending > 0 && !interrupted) await sleep(timeoutMs);
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
