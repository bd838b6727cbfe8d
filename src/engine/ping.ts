// The ping engine: sends hand-built ICMP echo requests through a raw socket,
// matches replies and ICMP errors to their requests, and reports one event
// per request, reply or error. The CLI only renders these events.
import { randomInt } from 'node:crypto';
import { Ipv4Sender } from '../net/ipv4-sender.ts';
import { IPV6_HEADER_INCLUDED_PROTOCOL, Ipv6Sender } from '../net/ipv6-sender.ts';
import { type EchoPumpRecord, openRawSocket, type OpenRawSocketOptions, type PacketSocket, type RttSource, type SocketBinding } from '../net/packet-socket.ts';
import { IPPROTO_ICMP, type PmtuDiscovery, SendError, SocketOptionError } from '../net/raw-socket.ts';
import { addressFamilyOf, sourceAddressFor, withoutScope } from '../net/routes.ts';
import { emitIcmpEchoInto, IcmpType, iputilsEchoPayload, IPUTILS_TIMEVAL_LENGTH, writeIputilsTimestamp } from '../wire/icmp.ts';
import { emitIcmpv6EchoInto, Icmpv6Type, icmpv6PseudoHeaderSum } from '../wire/icmpv6.ts';
import { ipv4AddressNumber } from '../wire/ipv4-address.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { ipv6AddressBytes } from '../wire/ipv6-address.ts';
import { answerOf, emptyRequest, ipv6AddressFold, ReplyViews } from '../wire/reply-matching.ts';
import { RttAccumulator, type RttStatistics } from './rtt-accumulator.ts';

export interface PingOptions {
  /** IPv4 or IPv6 address to ping (resolve names before); a link-local IPv6 one with its scope, fe80::1%eth0. */
  readonly destination: string;
  /** 4 or 6; taken from the destination when left out. */
  readonly family?: 4 | 6;
  /** -c: stop after this many requests (or, with a deadline, this many replies). */
  readonly count?: number;
  /** -i in milliseconds; 1000 by default, 0 in flood mode. */
  readonly intervalMs?: number;
  /** -s: echo data bytes; 56 by default. */
  readonly payloadSize?: number;
  /** -t: IPv4 time to live or IPv6 hop limit. */
  readonly ttl?: number;
  /**
   * --hdrincl: build the IP header here instead of letting the kernel write
   * it: IP_HDRINCL on IPv4; on IPv6 the requests go out through a second,
   * IPPROTO_RAW socket, with the ICMPv6 checksum computed here.
   */
  readonly headerIncluded?: boolean;
  /** -W in milliseconds: how long to wait for a reply when none came yet (10 s, as iputils). */
  readonly timeoutMs?: number;
  /** -w in milliseconds: stop everything after this long. */
  readonly deadlineMs?: number;
  /** -p: pattern bytes repeated over the echo data. */
  readonly pattern?: Uint8Array;
  /** -f: send the next request as soon as a reply arrives, at least 100 per second. */
  readonly flood?: boolean;
  /**
   * -l: requests sent at once at the start without waiting for replies (1 by
   * default). The Linux binding sends the burst with sendmmsg(); a flood then
   * keeps this many in flight.
   */
  readonly preload?: number;
  /** The ICMP identifier (-e); random by default so concurrent pings never share one. */
  readonly identifier?: number;
  /** -I IFACE: send and receive through this interface only (SO_BINDTODEVICE). */
  readonly device?: string;
  /** -I ADDRESS: bind the socket to this local address, the requests' source (the Linux binding only). */
  readonly sourceAddress?: string;
  /** -Q: the TOS byte (IP_TOS) or the IPv6 traffic class (IPV6_TCLASS) of the requests: DSCP and ECN. */
  readonly tos?: number;
  /** -M: path MTU discovery (IP_MTU_DISCOVER, IPV6_MTU_DISCOVER): 'do' never fragments (IPv4: sets DF), 'dont' fragments. */
  readonly pmtuDiscovery?: PmtuDiscovery;
  /** -b: SO_BROADCAST, and echo replies taken from any address (every host on the link answers a broadcast). */
  readonly broadcast?: boolean;
  /**
   * -U: iputils' "full user-to-user latency": the receive time is read in JS
   * when the reply is handled, not the kernel's stamp, so the RTT includes the
   * wake-up and the callback chain (the raw-socket path always measures so).
   */
  readonly userLatency?: boolean;
  /** Aborting ends the run at once; the summary still comes back. */
  readonly signal?: AbortSignal;
  /**
   * Called for every event. A flood makes two per packet, so the 'sent' and
   * 'reply' objects are reused for the next event of their type: copy what
   * you keep past the call (the CLI's --json does).
   */
  readonly onEvent?: (event: PingEvent) => void;
  /** Which socket binding to use ('auto' by default: the Linux binding when built); see openRawSocket(). */
  readonly binding?: OpenRawSocketOptions['binding'];
  /** Called once the socket is open, before the first send: the CLI drops privileges here. */
  /** Called with each request's ICMP(v6) message as built, right before it is sent (--show-wire copies the first). */
  readonly onRequest?: (sequence: number, message: Uint8Array) => void;
  readonly onSocketOpen?: (socket: { readonly binding: SocketBinding; readonly rttSource: RttSource }) => void | Promise<void>;
}

interface EventBase {
  readonly sequence: number;
  /** Wall-clock time of the event, ms since the epoch. */
  readonly timeMs: number;
}

export type PingEvent =
  | ({ readonly type: 'sent' } & EventBase)
  | ({
      readonly type: 'send-error';
      readonly message: string;
      /** EMSGSIZE: larger than the path MTU and DF set (-M do); counted in `errors`, as iputils counts its local error. */
      readonly tooLong?: boolean;
    } & EventBase)
  | ({
      readonly type: 'reply';
      readonly from: string;
      /** ICMP bytes received, header included, as iputils counts them. */
      readonly bytes: number;
      /** TTL (IPv4) or hop limit (IPv6); -1 when unknown (IPv6 on raw-socket, which reads no ancillary data). */
      readonly ttl: number;
      /** Absent when the data is too short to be timed (iputils: under 16 bytes). */
      readonly rttMs?: number;
      readonly duplicate: boolean;
      /** Shorter than the request's data: iputils prints "(truncated)" instead of the time and checks no data. */
      readonly truncated?: boolean;
      /** The reply's ICMP checksum is wrong. iputils counts such a reply as any other; we mark it. */
      readonly badChecksum?: boolean;
      /** The first data byte past the timeval that differs from what was sent (iputils still counts the reply). */
      readonly wrongByte?: { readonly index: number; readonly expected: number; readonly actual: number };
      /** With wrongByte: the reply's data bytes from offset 16 on, for iputils' hex dump. */
      readonly receivedData?: readonly number[];
    } & EventBase)
  | ({
      readonly type: 'icmp-error';
      readonly from: string;
      /** ICMP type over IPv4, ICMPv6 type (1-4) over IPv6. */
      readonly icmpType: number;
      readonly icmpCode: number;
      /** ICMP "frag needed" next-hop MTU, or the ICMPv6 packet too big MTU. */
      readonly nextHopMtu?: number;
      /** ICMPv6 parameter problem: the pointer. */
      readonly pointer?: number;
    } & EventBase);

export type { RttStatistics } from './rtt-accumulator.ts';

export interface PingSummary {
  readonly destination: string;
  readonly family: 4 | 6;
  readonly identifier: number;
  readonly transmitted: number;
  readonly received: number;
  readonly duplicates: number;
  /** ICMP errors. Corrupt replies (bad checksum, altered data, truncated) count as received, as iputils counts them. */
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
  /**
   * Where the RTTs come from: 'kernel' (send time read in C right before
   * sendto(), receive time SO_TIMESTAMPNS: the Linux binding) or 'javascript'
   * (both read in JS: raw-socket).
   */
  readonly rttSource: RttSource;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const SEQUENCE_SPACE = 0x10000;
/** iputils' lingertime: how long to wait after the last request when no reply came at all. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Flood sends at least this often even when replies stop (iputils: 100 per second). */
const FLOOD_FALLBACK_MS = 10;

/** performance.timeOrigin is a getter that is not free: read once (a flood reads the clock per packet). */
const TIME_ORIGIN = performance.timeOrigin;
/** ms since the epoch with sub-ms precision, from the monotonic clock. */
const wallClockMs = () => TIME_ORIGIN + performance.now();

/** Thrown when the first request cannot even be routed: iputils' connect() probe fails the same way ("ping: connect: ..."). */
export class PingConnectError extends Error {
  constructor(readonly reason: string) {
    super(`connect: ${reason}`);
    this.name = 'PingConnectError';
  }
}

/** A send refused for its size (EMSGSIZE), on either binding. */
const MESSAGE_TOO_LONG = /EMSGSIZE|Message too long/;

/** errno codes a send fails with when there is no route (iputils' connect() probe reports them and exits 2). */
const NO_ROUTE = /ENETUNREACH|Network is unreachable|EHOSTUNREACH|No route to host/;

/** ICMPv6 types a ping socket is handed (ICMP6_FILTER): echo replies and the four errors, no NDP or MLD. */
const PING6_TYPES = [Icmpv6Type.EchoReply, 1, 2, 3, 4];

export async function runPing(options: PingOptions): Promise<PingSummary> {
  const destination = options.destination;
  const family = options.family ?? addressFamilyOf(destination) ?? 4;
  const v6 = family === 6;
  const payloadSize = options.payloadSize ?? 56;
  const flood = options.flood ?? false;
  const intervalMs = options.intervalMs ?? (flood ? 0 : 1000);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const count = options.count;
  const deadlineMs = options.deadlineMs;
  const identifier = options.identifier ?? randomInt(0, 0x10000);
  const emit = options.onEvent ?? (() => {});
  const broadcast = options.broadcast ?? false;
  const userLatency = options.userLatency ?? false;
  const timed = payloadSize >= IPUTILS_TIMEVAL_LENGTH;
  const replyDriven = intervalMs === 0;
  const preload = Math.max(1, options.preload ?? 1);
  /** iputils' token bucket starts with preload - 1 intervals: the burst, then one request per interval. */
  const slotOf = (sent: number) => Math.max(0, sent - preload + 1);

  // The data every request carries; its first 16 bytes are rewritten with the
  // send time for each request (iputils' struct timeval layout).
  const payload = iputilsEchoPayload({ seconds: 0, microseconds: 0, size: payloadSize, pattern: options.pattern });
  const packet = Buffer.alloc(8 + payloadSize);
  // Per-sequence state, indexed by the 16-bit sequence number (it wraps).
  const sentAt = new Float64Array(SEQUENCE_SPACE).fill(Number.NaN);
  const answered = new Uint8Array(SEQUENCE_SPACE);

  let transmitted = 0;
  let received = 0;
  let duplicates = 0;
  let errors = 0;
  const rtts = new RttAccumulator();
  let pipeSize = 0;
  let lastSendAt = 0;
  let finished = false;
  let interrupted = false;
  let connectError: PingConnectError | undefined;

  const socket = openRawSocket({
    family,
    protocol: v6 ? IpProtocol.ICMPv6 : IPPROTO_ICMP,
    socketReceiveBuffer: 4 * 1024 * 1024,
    // A flood reads 64 datagrams per call into the binding (measured: ~4% faster than 16 over 100 000 packets).
    batchSize: replyDriven ? 64 : undefined,
    binding: options.binding,
  });
  // IPv6 with --hdrincl: requests go out through an IPPROTO_RAW socket (it receives nothing).
  let sendSocket: PacketSocket | undefined;
  /** Sends one ICMP(v6) message to the destination. */
  let sendMessage: (message: Uint8Array) => number;
  /** --hdrincl over IPv6: the pseudo-header's sum, for the checksum we then compute ourselves. */
  let pseudoSum: number | undefined;
  try {
    if (v6) {
      // Only a saving (NDP and MLD stay in the kernel); replies are matched without it too.
      try {
        socket.setIcmpv6Filter(PING6_TYPES);
      } catch {
        // an out-of-date Linux binding build: carry on unfiltered
      }
      const headerIncluded = options.headerIncluded ?? false;
      let source: string | undefined;
      if (headerIncluded) {
        source = await sourceAddressFor(destination);
        sendSocket = openRawSocket({ family: 6, protocol: IPV6_HEADER_INCLUDED_PROTOCOL, binding: options.binding });
        pseudoSum = icmpv6PseudoHeaderSum(
          { source: withoutScope(source), destination: withoutScope(destination) },
          8 + payloadSize,
        );
      }
      const sender = new Ipv6Sender(sendSocket ?? socket, {
        headerIncluded,
        protocol: IpProtocol.ICMPv6,
        destination,
        source,
        hopLimit: options.ttl,
        trafficClass: options.tos,
      });
      sendMessage = (message) => sender.send(message);
    } else {
      const sender = new Ipv4Sender(socket, {
        headerIncluded: options.headerIncluded ?? false,
        protocol: IpProtocol.ICMP,
        destination,
        ttl: options.ttl,
        tos: options.tos,
        dontFragment: options.pmtuDiscovery === 'do' || options.pmtuDiscovery === 'probe',
      });
      sendMessage = (message) => sender.send(message);
    }
    applySocketOptions(socket, options, v6);
  } catch (error) {
    socket.close();
    sendSocket?.close();
    throw error;
  }
  /** The socket whose send times count: the one requests go out through. */
  const timingSocket = sendSocket ?? socket;
  /** Writes echo request `sequence` into `buffer`. */
  const emitRequest = v6
    ? (buffer: Uint8Array, sequence: number) => emitIcmpv6EchoInto(buffer, 0, { identifier, sequence, payload }, pseudoSum)
    : (buffer: Uint8Array, sequence: number) => emitIcmpEchoInto(buffer, 0, { identifier, sequence, payload });
  /**
   * A flood on the Linux binding sends from C: each fresh echo reply read
   * makes the binding send the next request at once (native/echo_pump.h), and
   * the handler below counts what it sent. Not for --hdrincl (two sockets),
   * -b (replies from many hosts) or --show-wire (which copies each request as built here).
   */
  let pump =
    replyDriven && !sendSocket && !options.headerIncluded && !broadcast && !options.onRequest ? socket.echoPump : undefined;
  // Reset right before the first request (after onSocketOpen), so pacing and -w count from there.
  let startedAt = performance.now();
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
    pump?.disarm();
    clearTimeout(sendTimer);
    clearTimeout(lingerTimer);
    clearTimeout(deadlineTimer);
    resolveDone();
  };

  /**
   * With -w and an interval, iputils sends request k (from 0) only when its
   * slot k x interval falls before the deadline: 2 requests for -w 2, 5 for
   * -w 1 -i 0.2. Judged on the schedule, not on when a timer happened to fire.
   */
  const pastDeadline = () => deadlineMs !== undefined && !replyDriven && slotOf(transmitted) * intervalMs >= deadlineMs;

  /** Whether another request may go out now. */
  const maySend = () => {
    if (finished || pastDeadline()) return false;
    if (count === undefined) return true;
    // With a deadline, -c counts replies: keep sending until enough came back.
    return deadlineMs !== undefined ? received < count : transmitted < count;
  };

  /** After the last request: stop once all are answered, or after the linger time. */
  const checkComplete = () => {
    // Past the last slot before -w, the deadline timer ends the run, as iputils' does.
    if (finished || maySend() || pastDeadline() || count === undefined) return;
    if (deadlineMs !== undefined ? received >= count : received + errors >= transmitted) {
      finish(false);
      return;
    }
    if (!lingerTimer) {
      // iputils: wait -W for a first reply, otherwise two round trips.
      const linger = received > 0 ? Math.max(2 * rtts.max, FLOOD_FALLBACK_MS) : timeoutMs;
      lingerTimer = setTimeout(() => finish(false), Math.max(0, lastSendAt + linger - performance.now()));
    }
  };

  /** iputils' acknowledge(): how many requests were out when this one was answered. */
  const acknowledge = (sequence: number) => {
    const outstanding = (transmitted - sequence + SEQUENCE_SPACE) % SEQUENCE_SPACE;
    if (outstanding <= 0x7fff && outstanding + 1 > pipeSize) pipeSize = outstanding + 1;
  };

  // The per-packet events, reused (see onEvent).
  const sentEvent: Mutable<Extract<PingEvent, { type: 'sent' }>> = { type: 'sent', sequence: 0, timeMs: 0 };
  /**
   * Counts request `sequence` as sent: `sentTime` (epoch ms) starts its RTT,
   * `eventTime` is its event's time, `now` (performance.now()) paces the next.
   */
  const countSent = (sequence: number, sentTime: number, eventTime: number, now: number) => {
    answered[sequence] = 0;
    sentAt[sequence] = sentTime;
    transmitted++;
    lastSendAt = now;
    sentEvent.sequence = sequence;
    sentEvent.timeMs = eventTime;
    emit(sentEvent);
  };
  /** The send time `wallMs` as iputils' timeval at the start of the data. */
  const writeTimestamp = (wallMs: number) => {
    const micros = Math.floor(wallMs * 1000);
    writeIputilsTimestamp(payload, Math.floor(micros / 1e6), micros % 1e6);
  };
  const replyEvent: Mutable<Extract<PingEvent, { type: 'reply' }>> = {
    type: 'reply',
    sequence: 0,
    timeMs: 0,
    from: '',
    bytes: 0,
    ttl: -1,
    rttMs: undefined,
    duplicate: false,
    truncated: undefined,
    badChecksum: undefined,
    wrongByte: undefined,
    receivedData: undefined,
  };

  /** Sends the next request; `readNow` reads replies that came during sendto() at once (not within a -l burst). */
  const sendOne = (readNow = true): boolean => {
    const sequence = (transmitted + 1) % SEQUENCE_SPACE;
    // One clock read per request: the timeval it carries and the pacing's send time.
    const now = performance.now();
    const wallMs = TIME_ORIGIN + now;
    try {
      if (pump) pump.send(1); // the pump writes the request: its sequence is this one
      else {
        if (timed) writeTimestamp(wallMs);
        emitRequest(packet, sequence);
        options.onRequest?.(sequence, packet);
        sendMessage(packet);
      }
    } catch (error) {
      if (error instanceof SendError && error.wouldBlock) return false; // retried by the caller's pacing
      // iputils connects its socket first and exits 2 when there is no route; the first send finds the same.
      if (transmitted === 0 && NO_ROUTE.test((error as Error).message)) {
        connectError = new PingConnectError('Network is unreachable');
        finish(true);
        return true;
      }
      transmitted++;
      sentAt[sequence] = Number.NaN;
      lastSendAt = now;
      const message = (error as Error).message;
      // Larger than the path MTU with DF set (-M do): iputils reports it as a local error and counts it.
      const tooLong = MESSAGE_TOO_LONG.test(message) || undefined;
      if (tooLong) errors++;
      emit({ type: 'send-error', sequence, timeMs: wallMs, message, tooLong });
      return true;
    }
    // The send time as the socket took it: in C right before sendto() on the
    // Linux binding, in JS right before the call on raw-socket (epoch ms).
    countSent(sequence, timingSocket.lastSendTime, wallMs, now);
    // Loopback and veth peers often answer within sendto() itself: read the
    // reply now rather than after an event-loop wake-up, which would add to the RTT.
    if (readNow) socket.receivePending();
    return true;
  };

  /**
   * -l: the first `preload` requests at once. On the Linux binding in
   * batches of sendmmsg(), the echo pump's when it is armed (kernel-written
   * headers only: IP_HDRINCL frames share one buffer); one sendto() each
   * otherwise, or when a batch fails.
   */
  const burstPackets: Buffer[] = [];
  const sendBurst = () => {
    let left = Math.min(preload, count ?? preload);
    const batch = (pump || socket.sendBatch) && socket.batchSendTime && !options.headerIncluded ? Math.min(socket.maxBatch ?? 1, left) : 1;
    // (With IPv6 the kernel writes the ICMPv6 checksum of every batched message too.)
    while (left > 0 && maySend()) {
      const n = Math.min(batch, left);
      if (n <= 1) {
        if (!sendOne(false)) break; // send buffer full: the pacing carries on
        left--;
        continue;
      }
      const wallMs = wallClockMs();
      let sent: number;
      try {
        sent = pump ? pump.send(n) : sendBuiltBatch(n, wallMs);
      } catch {
        sent = 0; // sendOne() below reports the error as iputils would, per request
      }
      const now = performance.now();
      for (let i = 0; i < sent; i++) {
        const sentTime = socket.batchSendTime!(i);
        countSent((transmitted + 1) % SEQUENCE_SPACE, sentTime, pump ? sentTime : wallMs, now);
      }
      left -= sent;
      if (sent < n && left > 0) {
        if (!sendOne(false)) break;
        left--;
      }
    }
    socket.receivePending();
  };

  /** Builds the next `n` requests here and sends them with one sendmmsg(); returns how many went out. */
  const sendBuiltBatch = (n: number, wallMs: number): number => {
    if (timed) writeTimestamp(wallMs);
    for (let i = 0; i < n; i++) {
      const sequence = (transmitted + 1 + i) % SEQUENCE_SPACE;
      burstPackets[i] ??= Buffer.alloc(8 + payloadSize);
      emitRequest(burstPackets[i], sequence);
      options.onRequest?.(sequence, burstPackets[i]);
    }
    return socket.sendBatch!(burstPackets.slice(0, n), destination);
  };

  /** Counts the request the echo pump sent on the datagram just handled, or retries the one it failed to send. */
  const countPumpSend = (record: EchoPumpRecord) => {
    if (record.sendErrno !== 0) {
      if (maySend()) sendOne(false); // the error, reported as any send's
      return;
    }
    if (record.sentSequence >= 0) countSent(record.sentSequence, record.sentAt, record.sentAt, record.sentAt - TIME_ORIGIN);
  };

  /** Interval pacing: anchored to the start so timer lateness does not accumulate. */
  const scheduleNext = () => {
    if (!maySend()) {
      checkComplete();
      return;
    }
    sendTimer = setTimeout(tick, Math.max(0, startedAt + slotOf(transmitted) * intervalMs - performance.now()));
  };

  const tick = () => {
    if (transmitted === 0 && preload > 1) sendBurst();
    else if (maySend()) sendOne();
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
    if (transmitted === 0 && preload > 1) sendBurst();
    else if (transmitted === 0 || performance.now() - lastSendAt >= FLOOD_FALLBACK_MS) sendOne();
    sendTimer = setTimeout(floodTick, Math.max(1, lastSendAt + FLOOD_FALLBACK_MS - performance.now()));
  };

  // The request each sequence number stands for: this run's identifier to the
  // destination. One description, its sequence set per lookup, so a reply or an
  // error is matched without allocating (src/wire/reply-matching.ts).
  const views = new ReplyViews();
  const expected = emptyRequest();
  if (v6) {
    expected.family = 6;
    expected.protocol = IpProtocol.ICMPv6;
    expected.destinationAddress = ipv6AddressBytes(withoutScope(destination));
    expected.destination = ipv6AddressFold(expected.destinationAddress);
    expected.icmpType = Icmpv6Type.EchoRequest;
  } else {
    expected.protocol = IpProtocol.ICMP;
    expected.destination = ipv4AddressNumber(destination);
    expected.icmpType = IcmpType.EchoRequest;
  }
  expected.identifier = identifier;
  const requestDestination = expected.destination;

  /**
   * Counts an echo reply to `sequence` of this run and reports it. A flood
   * without the pump sends the next request from here; with it, the binding
   * already has.
   */
  const countReply = (
    sequence: number,
    receivedAt: number,
    source: string,
    /** The ICMP(v6) message's length, header and data, as iputils counts it. */
    bytes: number,
    ttl: number,
    rttMs: number | undefined,
    truncated: boolean,
    badChecksum: boolean,
    wrong: ReturnType<typeof firstWrongByte>,
    receivedData: number[] | undefined,
  ) => {
    acknowledge(sequence);
    if (rttMs !== undefined) rtts.add(rttMs);
    const duplicate = answered[sequence] === 1;
    if (duplicate) duplicates++;
    else {
      answered[sequence] = 1;
      received++;
    }
    // One reused object of one shape for every reply (undefined fields are left out of --json): a flood allocates none.
    replyEvent.sequence = sequence;
    replyEvent.timeMs = receivedAt;
    replyEvent.from = source;
    replyEvent.bytes = bytes;
    replyEvent.ttl = ttl;
    replyEvent.rttMs = rttMs;
    replyEvent.duplicate = duplicate;
    replyEvent.truncated = truncated || undefined;
    replyEvent.badChecksum = badChecksum || undefined;
    replyEvent.wrongByte = wrong;
    replyEvent.receivedData = receivedData;
    emit(replyEvent);
    // A flood sends the next request as soon as a reply is in.
    if (!pump && !duplicate && replyDriven && maySend()) sendOne();
  };

  /** The kernel's receive time on the Linux binding (SO_TIMESTAMPNS); now, in JS, on raw-socket or with -U. */
  const receiveTime = (kernelReceivedAt: number) => (userLatency || Number.isNaN(kernelReceivedAt) ? wallClockMs() : kernelReceivedAt);

  const handleDatagram = (datagram: Buffer, source: string, kernelReceivedAt: number, hopLimit: number, sourceAddress: Uint8Array) => {
    const receivedAt = receiveTime(kernelReceivedAt);
    // A raw ICMP socket sees every ICMP packet on the host, our own requests included: read() drops those first.
    // An IPv6 one gets no IPv6 header: the transport bytes and the sender's address from recvfrom().
    const kind = v6 ? views.readTransport(6, IpProtocol.ICMPv6, datagram, sourceAddress) : views.read(datagram);
    if (kind === undefined || !views.hasQueryFields) return;
    const sequence = views.sequence;
    expected.sequence = sequence;
    // A broadcast is answered by each host on the link, each from its own address.
    if (broadcast) expected.destination = kind === 'reply' ? views.target : requestDestination;
    if (answerOf(expected, views) === undefined) return;
    const icmp = v6 ? views.icmp6 : views.icmp;
    if (kind === 'reply') {
      const sent = sentAt[sequence];
      if (Number.isNaN(sent)) return; // not a request of this run
      // iputils counts the ICMP(v6) message: header and data.
      const bytes = v6 ? datagram.length : views.ip.payloadEnd - views.ip.payloadStart;
      const dataLength = icmp.end - icmp.bodyStart;
      // iputils times a reply whose data holds the timeval, and checks its data only when it is whole.
      const rttMs = timed && dataLength >= IPUTILS_TIMEVAL_LENGTH ? Math.max(0, receivedAt - sent) : undefined;
      const truncated = dataLength < payloadSize;
      // iputils (20221126) counts every echo reply alike, a bad checksum or altered data included; we keep
      // the "(BAD CHECKSUM!)" marker it no longer prints. An ICMPv6 socket never sees one: the kernel
      // verifies the checksum over the pseudo-header and drops bad messages before raw sockets get them.
      const badChecksum = !v6 && !views.icmp.checksumValid;
      const wrong = truncated ? undefined : firstWrongByte(icmp.bytes, icmp.bodyStart, payload);
      const receivedData = wrong ? Array.from(icmp.bytes.subarray(icmp.bodyStart + IPUTILS_TIMEVAL_LENGTH, icmp.bodyStart + payloadSize)) : undefined;
      countReply(sequence, receivedAt, source, bytes, v6 ? hopLimit : views.ip.ttl, rttMs, truncated, badChecksum, wrong, receivedData);
      return;
    }
    // An ICMP error from the destination or a router, quoting one of our requests.
    const icmpType = icmp.type;
    errors++;
    // iputils acknowledges an ICMP error over IPv4 (its "pipe" counts it), not over IPv6, where it reads
    // errors from IPV6_RECVERR and never calls acknowledge() for them (ping6_receive_error_msg).
    if (!v6) acknowledge(sequence);
    emit({
      type: 'icmp-error',
      sequence,
      timeMs: receivedAt,
      from: source,
      icmpType,
      icmpCode: icmp.code,
      nextHopMtu: v6
        ? icmpType === Icmpv6Type.PacketTooBig
          ? views.icmp6.mtu
          : undefined
        : icmpType === IcmpType.DestinationUnreachable
          ? views.icmp.nextHopMtu
          : undefined,
      pointer: v6 && icmpType === Icmpv6Type.ParameterProblem ? views.icmp6.pointer : undefined,
    });
  };

  socket.onPacket((datagram, source, kernelReceivedAt, hopLimit, sourceAddress) => {
    if (finished) return;
    handleDatagram(datagram, source, kernelReceivedAt, hopLimit, sourceAddress);
    // The pump's request went out after this datagram was read: it comes after its reply's event.
    if (pump) countPumpSend(pump.record);
    checkComplete();
  });

  /**
   * A reply the pump checked whole (native/echo_pump.h: ours, from the
   * destination, every length and byte as sent, checksum valid): counted
   * without parsing it again.
   */
  const onPlainReply = (sequence: number, source: string, kernelReceivedAt: number, hopLimit: number) => {
    if (finished) return;
    const sent = sentAt[sequence];
    if (!Number.isNaN(sent)) {
      const receivedAt = receiveTime(kernelReceivedAt);
      countReply(sequence, receivedAt, source, packet.length, hopLimit, timed ? Math.max(0, receivedAt - sent) : undefined, false, false, undefined, undefined);
    }
    countPumpSend(pump!.record);
    checkComplete();
  };
  let socketError: Error | undefined;
  socket.onError((error) => {
    socketError = error;
    finish(true);
  });

  const onAbort = () => finish(true);
  try {
    await options.onSocketOpen?.({ binding: socket.binding, rttSource: socket.rttSource });
    if (options.signal?.aborted) finish(true);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (pump && !finished) {
      emitRequest(packet, 1);
      try {
        // -c caps the requests; with -w it counts replies instead (see maySend).
        const limit = count === undefined ? {} : deadlineMs === undefined ? { sendLimit: count } : { replyLimit: count };
        pump.arm(packet, destination, { identifier, timed, ...limit, burst: preload > 1, onPlainReply });
      } catch {
        pump = undefined; // a binding built before the pump existed: JS sends each request
      }
    }
    startedAt = performance.now();
    if (deadlineMs !== undefined) deadlineTimer = setTimeout(() => finish(true), deadlineMs);
    if (!finished) (replyDriven ? floodTick : tick)();
    await done;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    socket.close();
    sendSocket?.close();
  }
  if (socketError) throw socketError;
  if (connectError) throw connectError;

  // iputils' "time": from the start to the last request sent.
  const elapsedMs = transmitted > 0 ? lastSendAt - startedAt : 0;
  const rtt: RttStatistics | undefined = rtts.statistics();
  const ipgEwma =
    (flood || intervalMs === 0) && rtts.count > 0 && transmitted > 1
      ? { ipgMs: (lastSendAt - startedAt) / (transmitted - 1), ewmaMs: rtts.ewma }
      : undefined;
  return { destination, family, identifier, transmitted, received, duplicates, errors, elapsedMs, rtt, pipeSize, ipgEwma, interrupted, rttSource: userLatency ? 'javascript' : socket.rttSource };
}

/**
 * -I, -b, -Q and -M on the socket, as iputils sets them. Over IPv6, -Q sets
 * IPV6_TCLASS and -M IPV6_MTU_DISCOVER (the sockets pick the option by their
 * family). With --hdrincl over IPv6 the requests leave through the
 * IPPROTO_RAW socket, which sends the header as built: -Q is then the traffic
 * class the Ipv6Sender writes, and -M changes nothing (the kernel never
 * fragments such a packet: one over the MTU gets the local error, as on IPv4).
 * A refusal throws SocketOptionError with iputils' text.
 */
function applySocketOptions(socket: PacketSocket, options: PingOptions, v6: boolean): void {
  const headerBuiltHere = v6 && (options.headerIncluded ?? false);
  if (options.device !== undefined) socket.bindToDevice(options.device);
  if (options.sourceAddress !== undefined) {
    if (!socket.bindAddress) throw new SocketOptionError(`-I ${options.sourceAddress}: binding to a source address needs the Linux binding (raw-socket cannot bind a raw socket)`);
    socket.bindAddress(options.sourceAddress);
  }
  if (options.broadcast) socket.setBroadcast(true);
  if (options.tos !== undefined && !headerBuiltHere) socket.setTos(options.tos);
  if (options.pmtuDiscovery !== undefined) socket.setPmtuDiscovery(options.pmtuDiscovery);
}

/**
 * The first byte of a reply's data that differs from what was sent, as iputils
 * checks it: from offset 16 (past the timeval, checked or not) to the end of
 * the request's data. The caller checks only replies at least that long.
 */
function firstWrongByte(
  bytes: Uint8Array,
  dataStart: number,
  template: Uint8Array,
): { index: number; expected: number; actual: number } | undefined {
  for (let i = IPUTILS_TIMEVAL_LENGTH; i < template.length; i++) {
    const actual = bytes[dataStart + i];
    if (actual !== template[i]) return { index: i, expected: template[i], actual };
  }
  return undefined;
}
