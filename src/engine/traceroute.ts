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
import { buildIcmpEcho, IcmpType, parseIcmp } from '../wire/icmp.ts';
import { ipv4AddressBytes } from '../wire/ipv4-address.ts';
import { IpProtocol, parseIpv4 } from '../wire/ipv4.ts';
import { buildTcp, parseTcp, TcpFlag, tcpSynOptions } from '../wire/tcp.ts';
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
  const outstanding = new Map<number, Outstanding>();
  let hopWaiting = 0;
  let wakeHop: (() => void) | undefined;
  let finished = false;
  let interrupted = false;

  const record = (key: number, fill: (entry: Outstanding, rttMs: number) => ProbeResult) => {
    const entry = outstanding.get(key);
    if (!entry || entry.result) return;
    entry.result = fill(entry, performance.now() - entry.sentAt);
    emit({ type: 'probe', result: entry.result });
    hopWaiting--;
    if (hopWaiting === 0) wakeHop?.();
  };

  icmpSocket.onPacket((datagram, from) => {
    if (finished) return;
    const ip = parseIpv4(datagram);
    if (!ip.ok || ip.value.protocol !== IpProtocol.ICMP) return;
    const icmp = parseIcmp(ip.value.payload);
    if (!icmp.ok) return;
    const message = icmp.value;
    if (message.kind === 'echo') {
      if (mode !== 'icmp' || message.type !== IcmpType.EchoReply || message.identifier !== identifier) return;
      record(message.sequence, (entry, rttMs) => ({
        ttl: entry.ttl,
        probe: entry.probe,
        outcome: 'reply',
        from,
        rttMs,
        replyTtl: ip.value.ttl,
      }));
      return;
    }
    if (message.kind !== 'time-exceeded' && message.kind !== 'destination-unreachable') return;
    if (!message.quoted.ok) return;
    const quote = message.quoted.value;
    const transport = quote.transport;
    if (quote.ip.destination !== destination || !transport) return;
    let key: number | undefined;
    if (mode === 'icmp' && transport.protocol === 'icmp' && transport.identifier === identifier && transport.sequence !== undefined) {
      key = transport.sequence;
    } else if (
      mode === 'tcp' &&
      transport.protocol === 'tcp' &&
      transport.sourcePort === sourcePort &&
      transport.destinationPort === port &&
      transport.sequenceNumber !== undefined
    ) {
      key = transport.sequenceNumber;
    }
    if (key === undefined) return;
    const unreachable = message.kind === 'destination-unreachable';
    record(key, (entry, rttMs) => ({
      ttl: entry.ttl,
      probe: entry.probe,
      outcome: unreachable ? 'unreachable' : 'time-exceeded',
      from,
      rttMs,
      annotation: unreachable ? unreachableAnnotation(message.code, message.kind === 'destination-unreachable' ? message.nextHopMtu : undefined) || undefined : undefined,
      replyTtl: ip.value.ttl,
    }));
  });
  icmpSocket.onError(() => {});

  tcpSocket?.onPacket((datagram) => {
    if (finished) return;
    const ip = parseIpv4(datagram);
    if (!ip.ok || ip.value.protocol !== IpProtocol.TCP || ip.value.source !== destination) return;
    const tcp = parseTcp(ip.value.payload);
    if (!tcp.ok || tcp.value.sourcePort !== port || tcp.value.destinationPort !== sourcePort) return;
    const segment = tcp.value;
    if (!(segment.flags & TcpFlag.ACK)) return;
    const key = seqAdd(segment.acknowledgmentNumber, -1);
    if ((segment.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK) && outstanding.has(key)) {
      // Close the half-open connection, as tcptraceroute does.
      try {
        sender.send(
          buildTcp({ sourcePort, destinationPort: port, sequenceNumber: segment.acknowledgmentNumber, flags: TcpFlag.RST, window: 0 }, pseudo),
          { ttl: 64 },
        );
      } catch {
        // the kernel's own RST does it too
      }
    }
    record(key, (entry, rttMs) => ({
      ttl: entry.ttl,
      probe: entry.probe,
      outcome: 'reply',
      from: ip.value.source,
      rttMs,
      tcpFlags: segment.flags,
      replyTtl: ip.value.ttl,
    }));
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
      const keys: number[] = [];
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
        const entry: Outstanding = { ttl, probe, sentAt: performance.now() };
        outstanding.set(key, entry);
        keys.push(key);
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
      const probes = keys.map((key) => {
        const entry = outstanding.get(key)!;
        return entry.result ?? { ttl, probe: entry.probe, outcome: 'none' as const };
      });
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
