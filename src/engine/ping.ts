// The ping engine: sends hand-built ICMP echo requests through a raw socket,
// matches replies and ICMP errors to their requests, and reports one event
// per request, reply or error. The CLI only renders these events.
import { randomInt } from 'node:crypto';
import { Ipv4Sender } from '../net/ipv4-sender.ts';
import { IPPROTO_ICMP, RawSocket, SendError } from '../net/raw-socket.ts';
import { emitIcmpEchoInto, IcmpType, iputilsEchoPayload, IPUTILS_TIMEVAL_LENGTH, writeIputilsTimestamp } from '../wire/icmp.ts';
import { ipv4AddressNumber } from '../wire/ipv4-address.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { answerOf, emptyRequest, ReplyViews } from '../wire/reply-matching.ts';

export interface PingOptions {
  /** IPv4 address to ping (resolve names before). */
  readonly destination: string;
  /** -c: stop after this many requests (or, with a deadline, this many replies). */
  readonly count?: number;
  /** -i in milliseconds; 1000 by default, 0 in flood mode. */
  readonly intervalMs?: number;
  /** -s: echo data bytes; 56 by default. */
  readonly payloadSize?: number;
  /** -t: IP time to live. */
  readonly ttl?: number;
  /** --hdrincl: build the IPv4 header here (IP_HDRINCL) instead of letting the kernel write it. */
  readonly headerIncluded?: boolean;
  /** -W in milliseconds: how long to wait for a reply when none came yet (10 s, as iputils). */
  readonly timeoutMs?: number;
  /** -w in milliseconds: stop everything after this long. */
  readonly deadlineMs?: number;
  /** -p: pattern bytes repeated over the echo data. */
  readonly pattern?: Uint8Array;
  /** -f: send the next request as soon as a reply arrives, at least 100 per second. */
  readonly flood?: boolean;
  /** The ICMP identifier; random by default so concurrent pings never share one. */
  readonly identifier?: number;
  /** Aborting ends the run at once; the summary still comes back. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PingEvent) => void;
  /** Called with the socket once open, before the first send: the CLI drops privileges here. */
  readonly onSocketOpen?: () => void | Promise<void>;
}

interface EventBase {
  readonly sequence: number;
  /** Wall-clock time of the event, ms since the epoch. */
  readonly timeMs: number;
}

export type PingEvent =
  | ({ readonly type: 'sent' } & EventBase)
  | ({ readonly type: 'send-error'; readonly message: string } & EventBase)
  | ({
      readonly type: 'reply';
      readonly from: string;
      /** ICMP bytes received, header included, as iputils counts them. */
      readonly bytes: number;
      readonly ttl: number;
      /** Absent when the data is too short to be timed (iputils: under 16 bytes). */
      readonly rttMs?: number;
      readonly duplicate: boolean;
    } & EventBase)
  | ({
      readonly type: 'corrupt-reply';
      readonly from: string;
      readonly bytes: number;
      readonly ttl: number;
      readonly rttMs?: number;
      readonly reason: 'checksum' | 'payload';
      /** For 'payload': the first byte that differs. */
      readonly wrongByte?: { readonly index: number; readonly expected: number; readonly actual: number };
    } & EventBase)
  | ({
      readonly type: 'icmp-error';
      readonly from: string;
      readonly icmpType: number;
      readonly icmpCode: number;
      readonly nextHopMtu?: number;
    } & EventBase);

export interface RttStatistics {
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
  readonly mdevMs: number;
}

export interface PingSummary {
  readonly destination: string;
  readonly identifier: number;
  readonly transmitted: number;
  readonly received: number;
  readonly duplicates: number;
  /** ICMP errors plus corrupt replies (bad checksum or altered data). */
  readonly errors: number;
  readonly elapsedMs: number;
  readonly rtt?: RttStatistics;
  /**
   * iputils' "pipe": the most requests outstanding at once, measured when a
   * reply or an ICMP error is matched to its request (1 when each is answered
   * before the next goes out, 0 when none was). iputils prints it when > 1.
   */
  readonly pipeSize: number;
  /** Mean gap between requests and iputils' smoothed RTT, reported for flood runs. */
  readonly ipgEwma?: { readonly ipgMs: number; readonly ewmaMs: number };
  /** True when a deadline (-w) or abort cut the run short. */
  readonly interrupted: boolean;
}

const SEQUENCE_SPACE = 0x10000;
/** iputils' lingertime: how long to wait after the last request when no reply came at all. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Flood sends at least this often even when replies stop (iputils: 100 per second). */
const FLOOD_FALLBACK_MS = 10;

/** ms since the epoch with sub-ms precision, from the monotonic clock. */
const wallClockMs = () => performance.timeOrigin + performance.now();

export async function runPing(options: PingOptions): Promise<PingSummary> {
  const destination = options.destination;
  const destinationNumber = ipv4AddressNumber(destination);
  const payloadSize = options.payloadSize ?? 56;
  const flood = options.flood ?? false;
  const intervalMs = options.intervalMs ?? (flood ? 0 : 1000);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const count = options.count;
  const deadlineMs = options.deadlineMs;
  const identifier = options.identifier ?? randomInt(0, 0x10000);
  const emit = options.onEvent ?? (() => {});
  const timed = payloadSize >= IPUTILS_TIMEVAL_LENGTH;
  const replyDriven = intervalMs === 0;

  // The data every request carries; its first 16 bytes are rewritten with the
  // send time for each request (iputils' struct timeval layout).
  const payload = iputilsEchoPayload({ seconds: 0, microseconds: 0, size: payloadSize, pattern: options.pattern });
  const packet = Buffer.alloc(8 + payloadSize);
  // Per-sequence state, indexed by the 16-bit sequence number (it wraps).
  const sentAt = new Float64Array(SEQUENCE_SPACE).fill(Number.NaN);
  const sentTimeval = new Uint8Array(SEQUENCE_SPACE * IPUTILS_TIMEVAL_LENGTH);
  const answered = new Uint8Array(SEQUENCE_SPACE);

  let transmitted = 0;
  let received = 0;
  let duplicates = 0;
  let errors = 0;
  let rttCount = 0;
  let rttSum = 0;
  let rttSumSquares = 0;
  let rttMin = Infinity;
  let rttMax = 0;
  let ewma = 0;
  let pipeSize = 0;
  let lastSendAt = 0;
  let finished = false;
  let interrupted = false;

  const socket = RawSocket.open({ protocol: IPPROTO_ICMP, socketReceiveBuffer: 4 * 1024 * 1024 });
  let sender: Ipv4Sender;
  try {
    sender = new Ipv4Sender(socket, {
      headerIncluded: options.headerIncluded ?? false,
      protocol: IpProtocol.ICMP,
      destination,
      ttl: options.ttl,
    });
  } catch (error) {
    socket.close();
    throw error;
  }
  const startedAt = performance.now();
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  let sendTimer: NodeJS.Timeout | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;

  const finish = (cut: boolean) => {
    if (finished) return;
    finished = true;
    interrupted = cut;
    clearTimeout(sendTimer);
    clearTimeout(lingerTimer);
    clearTimeout(deadlineTimer);
    resolveDone();
  };

  /** Whether another request may go out now. */
  const maySend = () => {
    if (finished) return false;
    if (count === undefined) return true;
    // With a deadline, -c counts replies: keep sending until enough came back.
    return deadlineMs !== undefined ? received < count : transmitted < count;
  };

  /** After the last request: stop once all are answered, or after the linger time. */
  const checkComplete = () => {
    if (finished || maySend() || count === undefined) return;
    if (deadlineMs !== undefined ? received >= count : received + errors >= transmitted) {
      finish(false);
      return;
    }
    if (!lingerTimer) {
      // iputils: wait -W for a first reply, otherwise two round trips.
      const linger = received > 0 ? Math.max(2 * rttMax, FLOOD_FALLBACK_MS) : timeoutMs;
      lingerTimer = setTimeout(() => finish(false), Math.max(0, lastSendAt + linger - performance.now()));
    }
  };

  /** iputils' acknowledge(): how many requests were out when this one was answered. */
  const acknowledge = (sequence: number) => {
    const outstanding = (transmitted - sequence + SEQUENCE_SPACE) % SEQUENCE_SPACE;
    if (outstanding <= 0x7fff && outstanding + 1 > pipeSize) pipeSize = outstanding + 1;
  };

  const sendOne = (): boolean => {
    const sequence = (transmitted + 1) % SEQUENCE_SPACE;
    const wallMs = wallClockMs();
    if (timed) {
      const micros = Math.floor(wallMs * 1000);
      writeIputilsTimestamp(payload, Math.floor(micros / 1e6), micros % 1e6);
      sentTimeval.set(payload.subarray(0, IPUTILS_TIMEVAL_LENGTH), sequence * IPUTILS_TIMEVAL_LENGTH);
    }
    emitIcmpEchoInto(packet, 0, { identifier, sequence, payload });
    answered[sequence] = 0;
    // The RTT clock starts right before sendto(), which runs synchronously.
    const now = performance.now();
    try {
      sender.send(packet);
    } catch (error) {
      if (error instanceof SendError && error.wouldBlock) return false; // retried by the caller's pacing
      transmitted++;
      sentAt[sequence] = Number.NaN;
      lastSendAt = now;
      emit({ type: 'send-error', sequence, timeMs: wallMs, message: (error as Error).message });
      return true;
    }
    sentAt[sequence] = now;
    transmitted++;
    lastSendAt = now;
    emit({ type: 'sent', sequence, timeMs: wallMs });
    // Loopback and veth peers often answer within sendto() itself: read the
    // reply now rather than after an event-loop wake-up, which would add to the RTT.
    socket.receivePending();
    return true;
  };

  /** Interval pacing: anchored to the start so timer lateness does not accumulate. */
  const scheduleNext = () => {
    if (!maySend()) {
      checkComplete();
      return;
    }
    sendTimer = setTimeout(tick, Math.max(0, startedAt + transmitted * intervalMs - performance.now()));
  };

  const tick = () => {
    if (maySend()) sendOne();
    scheduleNext();
  };

  /**
   * Interval 0 (flood without -i): replies drive the sending, one request in
   * flight as iputils does with its default preload of 1. This timer only
   * keeps the run going through loss, at least one request every 10 ms; it
   * is re-armed when it fires, never per packet.
   */
  const floodTick = () => {
    if (!maySend()) {
      checkComplete();
      return;
    }
    if (transmitted === 0 || performance.now() - lastSendAt >= FLOOD_FALLBACK_MS) sendOne();
    sendTimer = setTimeout(floodTick, Math.max(1, lastSendAt + FLOOD_FALLBACK_MS - performance.now()));
  };

  // The request each sequence number stands for: this run's identifier to the
  // destination. One description, its sequence set per lookup, so a reply or an
  // error is matched without allocating (src/wire/reply-matching.ts).
  const views = new ReplyViews();
  const expected = emptyRequest();
  expected.protocol = IpProtocol.ICMP;
  expected.destination = destinationNumber;
  expected.icmpType = IcmpType.EchoRequest;
  expected.identifier = identifier;

  socket.onPacket((datagram, source) => {
    if (finished) return;
    const receivedAt = performance.now();
    // A raw ICMP socket sees every ICMP packet on the host, our own requests included: read() drops those first.
    const kind = views.read(datagram);
    if (kind === undefined || !views.hasQueryFields) return;
    const sequence = views.sequence;
    expected.sequence = sequence;
    if (answerOf(expected, views) === undefined) return;
    const ip = views.ip;
    const icmp = views.icmp;
    const timeMs = performance.timeOrigin + receivedAt;
    if (kind === 'reply') {
      const sent = sentAt[sequence];
      if (Number.isNaN(sent)) return; // not a request of this run
      const rttMs = timed ? receivedAt - sent : undefined;
      const bytes = ip.payloadEnd - ip.payloadStart;
      const ttl = ip.ttl;
      if (!icmp.checksumValid) {
        // iputils acknowledges every reply but those with a bad checksum.
        errors++;
        emit({ type: 'corrupt-reply', sequence, timeMs, from: source, bytes, ttl, rttMs, reason: 'checksum' });
      } else {
        acknowledge(sequence);
        const wrong = firstWrongByte(icmp.bytes, icmp.bodyStart, icmp.end, payload, sentTimeval, sequence, timed);
        if (wrong) {
          errors++;
          emit({ type: 'corrupt-reply', sequence, timeMs, from: source, bytes, ttl, rttMs, reason: 'payload', wrongByte: wrong });
        } else {
          // iputils times every good reply, duplicates included.
          if (rttMs !== undefined) {
            rttCount++;
            rttSum += rttMs;
            rttSumSquares += rttMs * rttMs;
            if (rttMs < rttMin) rttMin = rttMs;
            if (rttMs > rttMax) rttMax = rttMs;
            // iputils keeps an EWMA of the RTT with weight 1/8 for the flood summary.
            ewma = ewma === 0 ? rttMs : ewma + (rttMs - ewma) / 8;
          }
          const duplicate = answered[sequence] === 1;
          if (duplicate) duplicates++;
          else {
            answered[sequence] = 1;
            received++;
          }
          emit({ type: 'reply', sequence, timeMs, from: source, bytes, ttl, rttMs, duplicate });
          // A flood sends the next request as soon as a reply is in.
          if (!duplicate && replyDriven && maySend()) sendOne();
        }
      }
      checkComplete();
      return;
    }
    // An ICMP error from the destination or a router, quoting one of our requests.
    const icmpType = icmp.type;
    errors++;
    acknowledge(sequence);
    emit({
      type: 'icmp-error',
      sequence,
      timeMs,
      from: source,
      icmpType,
      icmpCode: icmp.code,
      nextHopMtu: icmpType === IcmpType.DestinationUnreachable ? icmp.nextHopMtu : undefined,
    });
    checkComplete();
  });
  let socketError: Error | undefined;
  socket.onError((error) => {
    socketError = error;
    finish(true);
  });

  const onAbort = () => finish(true);
  try {
    await options.onSocketOpen?.();
    if (options.signal?.aborted) finish(true);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (deadlineMs !== undefined) deadlineTimer = setTimeout(() => finish(true), deadlineMs);
    if (!finished) (replyDriven ? floodTick : tick)();
    await done;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    socket.close();
  }
  if (socketError) throw socketError;

  // iputils' "time": from the start to the last request sent.
  const elapsedMs = transmitted > 0 ? lastSendAt - startedAt : 0;
  let rtt: RttStatistics | undefined;
  if (rttCount > 0) {
    const avg = rttSum / rttCount;
    rtt = { minMs: rttMin, avgMs: avg, maxMs: rttMax, mdevMs: Math.sqrt(Math.max(0, rttSumSquares / rttCount - avg * avg)) };
  }
  const ipgEwma =
    (flood || intervalMs === 0) && rttCount > 0 && transmitted > 1
      ? { ipgMs: (lastSendAt - startedAt) / (transmitted - 1), ewmaMs: ewma }
      : undefined;
  return { destination, identifier, transmitted, received, duplicates, errors, elapsedMs, rtt, pipeSize, ipgEwma, interrupted };
}

/**
 * The first byte of a reply's data, bytes[dataStart, dataEnd), that differs
 * from what this run sent with that sequence (read in place: no subarray per reply).
 */
function firstWrongByte(
  bytes: Uint8Array,
  dataStart: number,
  dataEnd: number,
  template: Uint8Array,
  sentTimeval: Uint8Array,
  sequence: number,
  timed: boolean,
): { index: number; expected: number; actual: number } | undefined {
  const timevalAt = sequence * IPUTILS_TIMEVAL_LENGTH;
  const dataLength = dataEnd - dataStart;
  const length = Math.max(dataLength, template.length);
  for (let i = 0; i < length; i++) {
    const expected = timed && i < IPUTILS_TIMEVAL_LENGTH ? sentTimeval[timevalAt + i] : template[i];
    const actual = i < dataLength ? bytes[dataStart + i] : undefined;
    if (actual !== expected) return { index: i, expected: expected ?? 0, actual: actual ?? 0 };
  }
  return undefined;
}
