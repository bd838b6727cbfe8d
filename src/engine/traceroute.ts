// The traceroute engine: probes with TTL 1, 2, 3, ... (IP_TTL, set before
// each sendto) until the destination answers. Each router that drops a probe
// whose TTL ran out sends ICMP Time Exceeded quoting the probe's first bytes,
// which say which probe it was:
//
// - ICMP mode (default): echo requests; the quote holds identifier and
//   sequence; the destination answers with an echo reply.
// - TCP mode: SYNs to one port, each probe with its own sequence number (in
//   the quote's first 8 bytes of TCP); the destination answers with SYN-ACK
//   (open; we answer with a RST) or RST (closed), whose ACK is that number + 1.
//
// `probesPerHop` probes go out back to back for a hop; the hop ends when all
// are answered or after `waitMs`.
import { randomInt } from 'node:crypto';
import { Ipv4Sender } from '../net/ipv4-sender.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, RawSocket, SendError } from '../net/raw-socket.ts';
import { sourceAddressFor } from '../net/routes.ts';
import { buildIcmpEcho, IcmpType } from '../wire/icmp.ts';
import { ipv4AddressBytes, ipv4AddressNumber } from '../wire/ipv4-address.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { answerOf, describeTransport, ReplyViews, requestKey, type AnswerKind, type SentRequest } from '../wire/reply-matching.ts';
import { buildTcp, TcpFlag, tcpSynOptions } from '../wire/tcp.ts';
import { randomEphemeralPort, randomSequenceNumber } from './tcp-common.ts';
import { seqAdd } from '../wire/tcp-sequence.ts';

export type TracerouteMode = 'icmp' | 'tcp';

export interface TracerouteOptions {
  /** IPv4 address (resolve names first). */
  readonly destination: string;
  readonly mode?: TracerouteMode;
  /** TCP mode: destination port (default 80). */
  readonly port?: number;
  /** TCP mode: source port (default random). */
  readonly sourcePort?: number;
  readonly firstTtl?: number;
  /** -m (default 30). */
  readonly maxTtl?: number;
  /** -q (default 3). */
  readonly probesPerHop?: number;
  /** -w in ms (default 5000). */
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TracerouteEvent) => void;
  /** After the sockets are open, before the first probe: open captures, drop privileges. */
  readonly onSocketOpen?: (start: TracerouteStart) => void | Promise<void>;
}

export interface TracerouteStart {
  readonly destination: string;
  readonly source: string;
  readonly mode: TracerouteMode;
  readonly port?: number;
  readonly sourcePort?: number;
  readonly maxTtl: number;
  /** Bytes of one probe, IPv4 header included (traceroute's "60 byte packets"). */
  readonly packetLength: number;
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
  /** The TTL the reply arrived with. */
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
  ttl: number;
  probe: number;
  /** What the probe expects back (src/wire/reply-matching.ts). */
  request: SentRequest;
  sentAt: number;
  result?: ProbeResult;
}

const ICMP_PAYLOAD = 32; // 20 + 8 + 32 = 60 bytes, as traceroute -I

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
  const mode = options.mode ?? 'icmp';
  const port = options.port ?? 80;
  const firstTtl = options.firstTtl ?? 1;
  const maxTtl = options.maxTtl ?? 30;
  const perHop = options.probesPerHop ?? 3;
  const waitMs = options.waitMs ?? 5000;
  const emit = options.onEvent ?? (() => {});
  const source = await sourceAddressFor(destination);
  const pseudo = { source: ipv4AddressBytes(source), destination: ipv4AddressBytes(destination) };
  const identifier = randomInt(1, 0x10000);
  const sourcePort = options.sourcePort ?? randomEphemeralPort();
  const isn = randomSequenceNumber();
  const tcpOptions = tcpSynOptions({ mss: 1460, sackPermitted: true, timestampValue: randomSequenceNumber(), windowScale: 7 });

  const icmpSocket = RawSocket.open({ protocol: IPPROTO_ICMP, socketReceiveBuffer: 1 << 20 });
  let tcpSocket: RawSocket | undefined;
  try {
    if (mode === 'tcp') tcpSocket = RawSocket.open({ protocol: IPPROTO_TCP, socketReceiveBuffer: 1 << 20 });
  } catch (error) {
    icmpSocket.close();
    throw error;
  }
  const sender = new Ipv4Sender(tcpSocket ?? icmpSocket, {
    headerIncluded: false,
    protocol: mode === 'tcp' ? IpProtocol.TCP : IpProtocol.ICMP,
    destination,
    ttl: firstTtl,
  });
  const packetLength = 20 + (mode === 'tcp' ? 20 + 20 : 8 + ICMP_PAYLOAD);
  const start: TracerouteStart = {
    destination,
    source,
    mode,
    port: mode === 'tcp' ? port : undefined,
    sourcePort: mode === 'tcp' ? sourcePort : undefined,
    maxTtl,
    packetLength,
  };

  // Probe number n (0-based, over the whole run) is ICMP sequence n + 1, or TCP sequence isn + n.
  // ICMP probes are found by the matcher's key (it covers the sequence); TCP
  // probes share theirs (same ports), so they are found by sequence number:
  // the one an error quotes, or the one a reply's ACK follows.
  const outstanding = new Map<number, Outstanding>();
  const sourceNumber = ipv4AddressNumber(source);
  const destinationNumber = ipv4AddressNumber(destination);
  const views = new ReplyViews();
  let hopWaiting = 0;
  let wakeHop: (() => void) | undefined;
  let finished = false;
  let interrupted = false;

  /** The probe the packet just read answers as `kind`, if it is still waiting. */
  const answeredProbe = (kind: AnswerKind): Outstanding | undefined => {
    if (views.kind !== kind) return undefined;
    let entry: Outstanding | undefined;
    if (mode === 'icmp') entry = outstanding.get(views.key);
    else if (views.protocol !== IpProtocol.TCP) return undefined; // e.g. an echo reply on the ICMP socket
    else if (kind === 'icmp-error') entry = views.hasSequenceNumber ? outstanding.get(views.sequenceNumber) : undefined;
    else entry = views.tcp.has(TcpFlag.ACK) ? outstanding.get(seqAdd(views.tcp.acknowledgmentNumber, -1)) : undefined;
    if (!entry || entry.result || answerOf(entry.request, views) !== kind) return undefined;
    return entry;
  };

  const record = (entry: Outstanding, fill: (entry: Outstanding, rttMs: number) => ProbeResult) => {
    entry.result = fill(entry, performance.now() - entry.sentAt);
    emit({ type: 'probe', result: entry.result });
    hopWaiting--;
    if (hopWaiting === 0) wakeHop?.();
  };

  icmpSocket.onPacket((datagram, from) => {
    if (finished) return;
    const kind = views.read(datagram);
    if (kind === undefined) return;
    const icmp = views.icmp;
    const type = icmp.type;
    if (kind === 'reply') {
      const entry = answeredProbe('reply');
      if (!entry) return;
      const replyTtl = views.ip.ttl;
      record(entry, (probe, rttMs) => ({ ttl: probe.ttl, probe: probe.probe, outcome: 'reply', from, rttMs, replyTtl }));
      return;
    }
    if (type !== IcmpType.TimeExceeded && type !== IcmpType.DestinationUnreachable) return;
    const entry = answeredProbe('icmp-error');
    if (!entry) return;
    const unreachable = type === IcmpType.DestinationUnreachable;
    const annotation = unreachable ? unreachableAnnotation(icmp.code, icmp.nextHopMtu) || undefined : undefined;
    const replyTtl = views.ip.ttl;
    record(entry, (probe, rttMs) => ({
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

  tcpSocket?.onPacket((datagram) => {
    if (finished) return;
    views.read(datagram);
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
    const from = views.ip.source;
    const replyTtl = views.ip.ttl;
    record(entry, (probe, rttMs) => ({ ttl: probe.ttl, probe: probe.probe, outcome: 'reply', from, rttMs, tcpFlags, replyTtl }));
  });
  tcpSocket?.onError(() => {});

  const onAbort = () => {
    interrupted = true;
    wakeHop?.();
  };
  const hops: HopResult[] = [];
  let reached = false;
  let probeNumber = 0;
  try {
    await options.onSocketOpen?.(start);
    if (options.signal?.aborted) interrupted = true;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    for (let ttl = firstTtl; ttl <= maxTtl && !interrupted; ttl++) {
      const entries: Outstanding[] = [];
      hopWaiting = 0;
      const waitDone = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        wakeHop = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      for (let probe = 1; probe <= perHop; probe++) {
        const n = probeNumber++;
        let key: number;
        let bytes: Uint8Array;
        if (mode === 'icmp') {
          key = (n % 0xffff) + 1;
          bytes = buildIcmpEcho({ identifier, sequence: key, payload: new Uint8Array(ICMP_PAYLOAD).fill(0x40 + (n % 32)) });
        } else {
          key = seqAdd(isn, n);
          bytes = buildTcp(
            { sourcePort, destinationPort: port, sequenceNumber: key, flags: TcpFlag.SYN, window: 64240, options: tcpOptions },
            pseudo,
          );
        }
        const request = describeTransport(mode === 'tcp' ? IpProtocol.TCP : IpProtocol.ICMP, sourceNumber, destinationNumber, bytes)!;
        const entry: Outstanding = { ttl, probe, request, sentAt: performance.now() };
        outstanding.set(mode === 'icmp' ? requestKey(request) : key, entry);
        entries.push(entry);
        hopWaiting++;
        try {
          entry.sentAt = performance.now();
          sender.send(bytes, { ttl });
        } catch (error) {
          hopWaiting--;
          const message = error instanceof SendError ? error.message : (error as Error).message;
          entry.result = { ttl, probe, outcome: 'none' };
          emit({ type: 'send-error', ttl, probe, message });
          continue;
        }
        icmpSocket.receivePending();
        tcpSocket?.receivePending();
      }
      if (hopWaiting > 0 && !interrupted) await waitDone;
      else wakeHop?.();
      const probes = entries.map((entry) => entry.result ?? { ttl, probe: entry.probe, outcome: 'none' as const });
      const hitDestination = probes.some((p) => p.from === destination && p.outcome !== 'none');
      const final = hitDestination || probes.some((p) => p.outcome === 'unreachable');
      const hop: HopResult = { ttl, probes, final };
      hops.push(hop);
      emit({ type: 'hop', hop });
      if (final) {
        reached = hitDestination;
        break;
      }
    }
  } finally {
    finished = true;
    options.signal?.removeEventListener('abort', onAbort);
    icmpSocket.close();
    tcpSocket?.close();
  }
  return { ...start, hops, reached, interrupted };
}
