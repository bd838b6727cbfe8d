// The I/O-free TCP connection (src/engine/tcp/connection.ts), one behaviour
// per test in smoltcp's style: segments from the peer are built with the
// wire builder and parsed back, what the connection sends goes through the
// same codec, and time is a number the test passes in. No sockets, no root.
import { describe, expect, it } from 'vitest';
import {
  TcpConnection,
  type OutgoingSegment,
  type TcpConnectionConfig,
  type TcpConnectionEvent,
  type TcpState,
} from '../src/engine/tcp/connection.ts';
import { connectionEndpoints, segmentForConnection } from '../src/engine/tcp-session.ts';
import { ReplyViews } from '../src/wire/reply-matching.ts';
import { RenoCongestion } from '../src/engine/tcp/congestion.ts';
import { RttEstimator } from '../src/engine/tcp/rtt-estimator.ts';
import { SackScoreboard } from '../src/engine/tcp/sack-scoreboard.ts';
import { buildIpv4, IpProtocol } from '../src/wire/ipv4.ts';
import { buildTcp, parseTcp, TcpFlag, type ParsedTcpSegment, type TcpOption, type TcpSackBlock } from '../src/wire/tcp.ts';
import { seqAdd, seqDiff, seqGt, seqLt, seqMax } from '../src/wire/tcp-sequence.ts';

const LOCAL_PORT = 40000;
const REMOTE_PORT = 80;
const ISS = 1000;
const IRS = 5000;
const PSEUDO = { source: '10.0.0.1', destination: '10.0.0.2' };
const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

function makeConfig(overrides: Partial<TcpConnectionConfig> = {}): TcpConnectionConfig {
  return {
    localPort: LOCAL_PORT,
    remotePort: REMOTE_PORT,
    iss: ISS,
    mss: 1000,
    windowScale: undefined,
    timestamps: false,
    sack: true,
    receiveBuffer: 65535,
    initialRtoMs: 1000,
    minRtoMs: 200,
    maxRtoMs: 60_000,
    synRetries: 4,
    maxRetries: 5,
    idleTimeoutMs: 1_000_000,
    timeWaitMs: 250,
    ...overrides,
  };
}

interface PeerSegment {
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: TcpOption[];
  payload?: Uint8Array;
}

/** A segment from the peer, through the wire codec. */
function fromPeer(segment: PeerSegment): ParsedTcpSegment {
  const bytes = buildTcp(
    {
      sourcePort: REMOTE_PORT,
      destinationPort: LOCAL_PORT,
      sequenceNumber: segment.seq >>> 0,
      acknowledgmentNumber: (segment.ack ?? 0) >>> 0,
      flags: segment.flags,
      window: segment.window ?? 65535,
      options: segment.options,
      payload: segment.payload,
    },
    { source: PSEUDO.destination, destination: PSEUDO.source },
  );
  const parsed = parseTcp(bytes, { source: PSEUDO.destination, destination: PSEUDO.source });
  if (!parsed.ok) throw new Error('test segment does not parse');
  return parsed.value;
}

/** What the connection sent, as the peer would parse it off the wire. */
function onWire(outgoing: readonly OutgoingSegment[]): ParsedTcpSegment[] {
  return outgoing.map((o) => {
    const parsed = parseTcp(buildTcp(o.segment, PSEUDO), PSEUDO);
    if (!parsed.ok || !parsed.value.checksumValid) throw new Error('connection emitted a bad segment');
    return parsed.value;
  });
}

const bytes = (n: number, fill = 0x61) => new Uint8Array(n).fill(fill);
const sack = (...blocks: TcpSackBlock[]): TcpOption[] => [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks }];
const sackBlocksOf = (s: ParsedTcpSegment) => s.options.flatMap((o) => (o.kind === 'sack' ? o.blocks : []));

interface Harness {
  conn: TcpConnection;
  events: TcpConnectionEvent[];
  states: () => string[];
}

function harness(overrides: Partial<TcpConnectionConfig> = {}): Harness {
  const events: TcpConnectionEvent[] = [];
  const conn = new TcpConnection(makeConfig({ ...overrides, onEvent: (e) => events.push(e) }));
  return { conn, events, states: () => events.flatMap((e) => (e.type === 'state' ? [`${e.from}->${e.to}`] : [])) };
}

/** Handshake done at t=0..10: ESTABLISHED, our ACK sent; peer's window and options as given. */
function established(
  overrides: Partial<TcpConnectionConfig> = {},
  synAck: { window?: number; options?: TcpOption[] } = {},
): Harness {
  const h = harness(overrides);
  h.conn.connect(0);
  h.conn.dispatch(0);
  h.conn.process(10, fromPeer({ seq: IRS, ack: ISS + 1, flags: SYN | ACK, window: synAck.window ?? 65535, options: synAck.options ?? [{ kind: 'mss', value: 1000 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sack-permitted' }] }));
  h.conn.dispatch(10);
  expect(h.conn.state).toBe('ESTABLISHED');
  return h;
}

const payloadLength = (s: ParsedTcpSegment) => s.payload.length;

describe('SeqNumber arithmetic (wire/tcp-sequence.ts)', () => {
  it('wraps at 2^32 and compares across the wrap', () => {
    expect(seqAdd(0xffffffff, 2)).toBe(1);
    expect(seqAdd(0, -1)).toBe(0xffffffff);
    expect(seqDiff(1, 0xffffffff)).toBe(2);
    expect(seqLt(0xfffffff0, 5)).toBe(true);
    expect(seqGt(5, 0xfffffff0)).toBe(true);
    expect(seqMax(0xfffffff0, 5)).toBe(5);
  });
});

describe('handshake', () => {
  it('syn-sent -> syn-ack -> established: SYN with our options, then the ACK of the SYN-ACK', () => {
    const h = harness({ windowScale: 7, timestamps: true, timestampOffset: 100 });
    h.conn.connect(0);
    expect(h.conn.state).toBe('SYN-SENT');
    const [syn] = onWire(h.conn.dispatch(0));
    expect(syn.flags).toBe(SYN);
    expect(syn.sequenceNumber).toBe(ISS);
    expect(syn.options).toEqual([
      { kind: 'mss', value: 1000 },
      { kind: 'sack-permitted' },
      { kind: 'timestamps', value: 100, echoReply: 0 },
      { kind: 'nop' },
      { kind: 'window-scale', shift: 7 },
    ]);
    expect(h.conn.pollAt()).toBe(1000); // the SYN's retransmission timer

    const verdict = h.conn.process(20, fromPeer({
      seq: IRS, ack: ISS + 1, flags: SYN | ACK, window: 29200,
      options: [{ kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }, { kind: 'timestamps', value: 777, echoReply: 100 }, { kind: 'nop' }, { kind: 'window-scale', shift: 7 }],
    }));
    expect(verdict).toBe('accepted');
    expect(h.conn.state).toBe('ESTABLISHED');
    expect(h.conn.peer).toEqual({ mss: 1460, windowScale: 7, sackPermitted: true, timestamps: true });
    expect(h.conn.effectiveMss).toBe(1000 - 12);
    expect(h.conn.sendWindow).toBe(29200); // a SYN's window is never scaled
    expect(h.conn.srttMs).toBe(20);
    const [ack] = onWire(h.conn.dispatch(20));
    expect(ack.flags).toBe(ACK);
    expect(ack.sequenceNumber).toBe(ISS + 1);
    expect(ack.acknowledgmentNumber).toBe(IRS + 1);
    expect(ack.options).toContainEqual({ kind: 'timestamps', value: 120, echoReply: 777 });
    expect(h.states()).toEqual(['CLOSED->SYN-SENT', 'SYN-SENT->ESTABLISHED']);
  });

  it('simultaneous open: SYN crosses SYN, we answer SYN-ACK from SYN-RECEIVED', () => {
    const h = harness();
    h.conn.connect(0);
    h.conn.dispatch(0);
    expect(h.conn.process(5, fromPeer({ seq: IRS, flags: SYN, options: [{ kind: 'mss', value: 1200 }] }))).toBe('accepted');
    expect(h.conn.state).toBe('SYN-RECEIVED');
    const [synAck] = onWire(h.conn.dispatch(5));
    expect(synAck.flags).toBe(SYN | ACK);
    expect(synAck.sequenceNumber).toBe(ISS);
    expect(synAck.acknowledgmentNumber).toBe(IRS + 1);
    // The peer's SYN-ACK (its answer to our SYN) completes the open.
    expect(h.conn.process(8, fromPeer({ seq: IRS, ack: ISS + 1, flags: SYN | ACK }))).toBe('accepted');
    expect(h.conn.state).toBe('ESTABLISHED');
    expect(h.states()).toEqual(['CLOSED->SYN-SENT', 'SYN-SENT->SYN-RECEIVED', 'SYN-RECEIVED->ESTABLISHED']);
    h.conn.send(bytes(10));
    const [data] = onWire(h.conn.dispatch(9));
    expect(data.sequenceNumber).toBe(ISS + 1);
    expect(data.payload.length).toBe(10);
  });

  it('retransmits the SYN with a doubled RTO, then gives up after synRetries', () => {
    const h = harness({ synRetries: 2 });
    h.conn.connect(0);
    h.conn.dispatch(0);
    const first = h.conn.dispatch(1000);
    expect(first).toHaveLength(1);
    expect(first[0].retransmission).toBe(true);
    expect(h.conn.pollAt()).toBe(1000 + 2000);
    h.conn.dispatch(3000);
    expect(h.conn.pollAt()).toBe(3000 + 4000);
    h.conn.dispatch(7000);
    expect(h.conn.closed).toMatchObject({ reason: 'timeout', detail: 'no answer to 3 SYNs (is port 80 filtered?)' });
  });
});

describe('closing', () => {
  it('we close first: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, then CLOSED after the wait', () => {
    const h = established();
    h.conn.close(20);
    const [fin] = onWire(h.conn.dispatch(20));
    expect(fin.flags).toBe(FIN | ACK);
    expect(fin.sequenceNumber).toBe(ISS + 1);
    expect(h.conn.state).toBe('FIN-WAIT-1');
    h.conn.process(30, fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK }));
    expect(h.conn.state).toBe('FIN-WAIT-2');
    h.conn.process(40, fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: FIN | ACK }));
    expect(h.conn.state).toBe('TIME-WAIT');
    const [ack] = onWire(h.conn.dispatch(40));
    expect(ack.flags).toBe(ACK);
    expect(ack.acknowledgmentNumber).toBe(IRS + 2);
    expect(h.conn.pollAt()).toBe(40 + 250);
    h.conn.dispatch(290);
    expect(h.conn.closed).toMatchObject({ reason: 'closed', finalState: 'CLOSED' });
    expect(h.states().slice(2)).toEqual(['ESTABLISHED->FIN-WAIT-1', 'FIN-WAIT-1->FIN-WAIT-2', 'FIN-WAIT-2->TIME-WAIT', 'TIME-WAIT->CLOSED']);
  });

  it('the peer closes first: CLOSE-WAIT, our FIN from LAST-ACK, CLOSED on its ACK', () => {
    const h = established();
    h.conn.process(20, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: FIN | ACK, payload: bytes(5) }));
    expect(h.conn.state).toBe('CLOSE-WAIT');
    expect(h.conn.peerFinished).toBe(true);
    const [ack] = onWire(h.conn.dispatch(20));
    expect(ack.acknowledgmentNumber).toBe(IRS + 1 + 5 + 1);
    h.conn.close(21);
    expect(h.conn.state).toBe('LAST-ACK');
    const [fin] = onWire(h.conn.dispatch(21));
    expect(fin.flags).toBe(FIN | ACK);
    h.conn.process(30, fromPeer({ seq: IRS + 7, ack: ISS + 2, flags: ACK }));
    expect(h.conn.closed).toMatchObject({ reason: 'closed', finalState: 'CLOSED' });
    expect(h.states().slice(2)).toEqual(['ESTABLISHED->CLOSE-WAIT', 'CLOSE-WAIT->LAST-ACK', 'LAST-ACK->CLOSED']);
  });

  it('simultaneous close: FINs cross, CLOSING, then TIME-WAIT on the ACK of ours', () => {
    const h = established();
    h.conn.close(20);
    h.conn.dispatch(20);
    h.conn.process(25, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: FIN | ACK })); // does not ACK our FIN
    expect(h.conn.state).toBe('CLOSING');
    const [ack] = onWire(h.conn.dispatch(25));
    expect(ack.acknowledgmentNumber).toBe(IRS + 2);
    h.conn.process(30, fromPeer({ seq: IRS + 2, ack: ISS + 2, flags: ACK }));
    expect(h.conn.state).toBe('TIME-WAIT');
    expect(h.states().slice(2)).toEqual(['ESTABLISHED->FIN-WAIT-1', 'FIN-WAIT-1->CLOSING', 'CLOSING->TIME-WAIT']);
  });

  it('both at once: the peer FIN that also ACKs ours goes FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT', () => {
    const h = established();
    h.conn.close(20);
    h.conn.dispatch(20);
    h.conn.process(25, fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: FIN | ACK }));
    expect(h.states().slice(2)).toEqual(['ESTABLISHED->FIN-WAIT-1', 'FIN-WAIT-1->FIN-WAIT-2', 'FIN-WAIT-2->TIME-WAIT']);
  });

  it('our FIN waits for the data before it and takes the sequence number after the last byte', () => {
    const h = established({}, { window: 1500 });
    h.conn.send(bytes(3000));
    h.conn.close(20);
    // 500 more bytes would fit, but a small segment while data is in flight is silly-window sending.
    const first = onWire(h.conn.dispatch(20));
    expect(first.map((s) => [s.sequenceNumber - ISS, payloadLength(s), s.flags & FIN])).toEqual([[1, 1000, 0]]);
    h.conn.process(30, fromPeer({ seq: IRS + 1, ack: ISS + 1001, flags: ACK, window: 3000 }));
    const rest = onWire(h.conn.dispatch(30));
    expect(rest.map((s) => [s.sequenceNumber - ISS, payloadLength(s), s.flags & FIN])).toEqual([[1001, 1000, 0], [2001, 1000, 0], [3001, 0, FIN]]);
  });

  it('TIME-WAIT: a FIN sent again is ACKed again and the wait starts over', () => {
    const h = established();
    h.conn.close(20);
    h.conn.dispatch(20);
    h.conn.process(25, fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: FIN | ACK }));
    h.conn.dispatch(25);
    expect(h.conn.pollAt()).toBe(275);
    expect(h.conn.process(200, fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: FIN | ACK }))).toBe('duplicate');
    const [ack] = onWire(h.conn.dispatch(200));
    expect(ack.acknowledgmentNumber).toBe(IRS + 2);
    expect(h.conn.pollAt()).toBe(450);
    h.conn.dispatch(300);
    expect(h.conn.state).toBe('TIME-WAIT');
    h.conn.dispatch(450);
    expect(h.conn.state).toBe('CLOSED');
  });
});

describe('RST', () => {
  /** Puts a fresh connection in `state`; returns it and the RCV.NXT a RST must carry. */
  function inState(state: TcpState): { h: Harness; rcvNxt: number } {
    if (state === 'SYN-SENT') {
      const h = harness();
      h.conn.connect(0);
      h.conn.dispatch(0);
      return { h, rcvNxt: IRS };
    }
    if (state === 'SYN-RECEIVED') {
      const h = harness();
      h.conn.connect(0);
      h.conn.dispatch(0);
      h.conn.process(1, fromPeer({ seq: IRS, flags: SYN }));
      h.conn.dispatch(1);
      return { h, rcvNxt: IRS + 1 };
    }
    const h = established();
    let rcvNxt = IRS + 1;
    const peerFin = () => {
      h.conn.process(20, fromPeer({ seq: rcvNxt, ack: h.conn.sendNext, flags: FIN | ACK }));
      rcvNxt++;
    };
    if (state === 'FIN-WAIT-1' || state === 'FIN-WAIT-2' || state === 'CLOSING' || state === 'TIME-WAIT') {
      h.conn.close(15);
      h.conn.dispatch(15);
      if (state === 'FIN-WAIT-2' || state === 'TIME-WAIT') h.conn.process(16, fromPeer({ seq: rcvNxt, ack: ISS + 2, flags: ACK }));
      if (state === 'CLOSING') {
        h.conn.process(20, fromPeer({ seq: rcvNxt, ack: ISS + 1, flags: FIN | ACK }));
        rcvNxt++;
      }
      if (state === 'TIME-WAIT') peerFin();
    }
    if (state === 'CLOSE-WAIT' || state === 'LAST-ACK') {
      peerFin();
      if (state === 'LAST-ACK') {
        h.conn.close(21);
        h.conn.dispatch(21);
      }
    }
    h.conn.dispatch(22);
    expect(h.conn.state).toBe(state);
    return { h, rcvNxt };
  }

  it.each([
    ['SYN-SENT', 'refused'],
    ['SYN-RECEIVED', 'refused'],
    ['ESTABLISHED', 'reset'],
    ['FIN-WAIT-1', 'reset'],
    ['FIN-WAIT-2', 'reset'],
    ['CLOSE-WAIT', 'reset'],
    ['CLOSING', 'closed'],
    ['LAST-ACK', 'closed'],
    ['TIME-WAIT', 'closed'],
  ] as const)('in %s an acceptable RST ends the connection (%s)', (state, reason) => {
    const { h, rcvNxt } = inState(state);
    const flags = state === 'SYN-SENT' ? RST | ACK : RST;
    expect(h.conn.process(50, fromPeer({ seq: state === 'SYN-SENT' ? 0 : rcvNxt, ack: ISS + 1, flags }))).toBe('accepted');
    expect(h.conn.closed).toMatchObject({ reason, finalState: state });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.conn.dispatch(51)).toEqual([]);
  });

  it('ignores a RST outside the window, and one without ACK in SYN-SENT', () => {
    const { h, rcvNxt } = inState('ESTABLISHED');
    expect(h.conn.process(50, fromPeer({ seq: rcvNxt + 100_000, flags: RST }))).toBe('out-of-window');
    expect(h.conn.state).toBe('ESTABLISHED');
    const s = inState('SYN-SENT').h;
    expect(s.conn.process(50, fromPeer({ seq: 0, flags: RST }))).toBe('unexpected');
    expect(s.conn.state).toBe('SYN-SENT');
  });

  it('a RST right after the handshake, before the peer acknowledged anything, is flagged', () => {
    const { h, rcvNxt } = inState('ESTABLISHED');
    h.conn.process(50, fromPeer({ seq: rcvNxt, flags: RST }));
    expect(h.conn.closed?.resetAfterHandshake).toBe(true);
  });

  it('abort() sends RST+ACK and ends the connection', () => {
    const { h } = inState('ESTABLISHED');
    h.conn.abort(60);
    const [rst] = onWire(h.conn.dispatch(60));
    expect(rst.flags).toBe(RST | ACK);
    expect(rst.acknowledgmentNumber).toBe(IRS + 1);
    expect(h.conn.closed?.reason).toBe('aborted');
  });
});

describe('retransmission timeout (RFC 6298)', () => {
  it('backs off exponentially and gives up after maxRetries', () => {
    const h = established({ maxRetries: 3 });
    const rto0 = h.conn.rtoMs; // from the handshake sample of 10 ms: the 200 ms floor
    expect(rto0).toBe(200);
    h.conn.send(bytes(100));
    h.conn.dispatch(100);
    let now = 100;
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const at = h.conn.pollAt()!;
      gaps.push(at - now);
      now = at;
      const [again] = h.conn.dispatch(now);
      expect(again.retransmission).toBe(true);
      expect(again.segment.sequenceNumber).toBe(ISS + 1);
    }
    expect(gaps).toEqual([200, 400, 800]);
    expect(h.events.filter((e) => e.type === 'timeout').map((e) => (e as { rtoMs: number }).rtoMs)).toEqual([400, 800, 1600]);
    const [rst] = onWire(h.conn.dispatch(h.conn.pollAt()!));
    expect(rst.flags).toBe(RST | ACK);
    expect(h.conn.closed).toMatchObject({ reason: 'timeout' });
  });

  it("Karn: an ACK after a retransmission gives no RTT sample; the next new segment does", () => {
    const h = harness();
    h.conn.connect(0);
    h.conn.dispatch(0);
    h.conn.dispatch(1000); // the SYN again
    h.conn.process(1500, fromPeer({ seq: IRS, ack: ISS + 1, flags: SYN | ACK }));
    expect(h.conn.srttMs).toBeUndefined(); // ambiguous: first SYN or second?
    expect(h.conn.rtoMs).toBe(2000); // backed-off RTO kept until a sample
    h.conn.send(bytes(100));
    h.conn.dispatch(1600);
    h.conn.process(1650, fromPeer({ seq: IRS + 1, ack: ISS + 101, flags: ACK }));
    expect(h.conn.srttMs).toBe(50);
    expect(h.conn.rtoMs).toBe(200); // 50 + 4 * 25 = 150, raised to the floor
  });

  it('the estimator follows RFC 6298 2.2-2.3', () => {
    const rtt = new RttEstimator({ initialRtoMs: 1000, minRtoMs: 1, maxRtoMs: 60_000 });
    rtt.sample(100);
    expect([rtt.srttMs, rtt.rttvarMs, rtt.rtoMs]).toEqual([100, 50, 300]);
    rtt.sample(200);
    expect(rtt.srttMs).toBeCloseTo(112.5);
    expect(rtt.rttvarMs).toBeCloseTo(62.5);
    expect(rtt.rtoMs).toBeCloseTo(362.5);
    rtt.backoff();
    expect(rtt.rtoMs).toBeCloseTo(725);
  });
});

/** Sends `count` full segments (1000 bytes) at t=20 into a big window; returns their sequence numbers. */
function inFlight(h: Harness, count: number): number[] {
  h.conn.send(bytes(count * 1000));
  const sent = onWire(h.conn.dispatch(20));
  expect(sent).toHaveLength(count);
  return sent.map((s) => s.sequenceNumber);
}

describe('congestion control and loss recovery', () => {
  it('Reno: slow start adds an MSS per ACK, congestion avoidance about one per window; halves on loss', () => {
    const reno = new RenoCongestion(1000, 10);
    reno.onAck(1000);
    expect(reno.cwnd).toBe(11_000);
    reno.onEnterRecovery(20_000);
    expect([reno.ssthresh, reno.cwnd]).toEqual([10_000, 10_000]);
    reno.onAck(1000);
    expect(reno.cwnd).toBe(10_100);
    reno.onRetransmitTimeout(8000);
    expect([reno.ssthresh, reno.cwnd]).toEqual([4000, 1000]);
  });

  it('fast retransmit on the third duplicate ACK (no SACK): the first segment again, cwnd halved', () => {
    const h = established({}, { options: [{ kind: 'mss', value: 1000 }] }); // no SACK-permitted
    const seqs = inFlight(h, 10);
    const dup = () => h.conn.process(30, fromPeer({ seq: IRS + 1, ack: seqs[0], flags: ACK }));
    dup();
    dup();
    expect(h.conn.dispatch(30)).toEqual([]);
    dup();
    const [again] = h.conn.dispatch(30);
    expect(again.retransmission).toBe(true);
    expect(again.segment.sequenceNumber).toBe(seqs[0]);
    expect(again.segment.payload?.length).toBe(1000);
    expect(h.conn.slowStartThreshold).toBe(5000);
    expect(h.conn.inRecovery).toBe(true);
    expect(h.conn.stats.fastRetransmits).toBe(1);
    // The full ACK ends recovery.
    h.conn.process(40, fromPeer({ seq: IRS + 1, ack: seqs[9] + 1000, flags: ACK }));
    expect(h.conn.inRecovery).toBe(false);
    expect(h.conn.congestionWindow).toBe(5000);
  });

  it('SACK recovery retransmits only the holes, never SACKed data', () => {
    const h = established();
    const seqs = inFlight(h, 10);
    const end = (i: number) => seqs[i] + 1000;
    // Segments 0 and 4 were lost; the peer SACKs 1-3, then 5-9 as they arrive.
    const acks = [
      sack({ left: seqs[1], right: end(1) }),
      sack({ left: seqs[1], right: end(2) }),
      sack({ left: seqs[1], right: end(3) }),
      sack({ left: seqs[5], right: end(5) }, { left: seqs[1], right: end(3) }),
    ];
    const sent: OutgoingSegment[] = [];
    for (const options of acks) {
      h.conn.process(30, fromPeer({ seq: IRS + 1, ack: seqs[0], flags: ACK, options }));
      sent.push(...h.conn.dispatch(30));
    }
    expect(h.conn.sackedRanges()).toEqual([{ left: seqs[1], right: end(3) }, { left: seqs[5], right: end(5) }]);
    for (const i of [6, 7, 8, 9]) {
      h.conn.process(31, fromPeer({ seq: IRS + 1, ack: seqs[0], flags: ACK, options: sack({ left: seqs[5], right: end(i) }, { left: seqs[1], right: end(3) }) }));
      sent.push(...h.conn.dispatch(31));
    }
    const retransmitted = sent.filter((o) => o.retransmission).map((o) => [o.segment.sequenceNumber, o.segment.payload?.length]);
    expect(retransmitted).toEqual([[seqs[0], 1000], [seqs[4], 1000]]);
    // Nothing SACKed went out again, and the full ACK ends recovery.
    h.conn.process(40, fromPeer({ seq: IRS + 1, ack: end(9), flags: ACK }));
    expect(h.conn.inRecovery).toBe(false);
    expect(h.conn.unacknowledged).toBe(0);
  });

  it('after a timeout, going back from SND.UNA skips what the peer SACKed', () => {
    const h = established();
    const seqs = inFlight(h, 4);
    h.conn.process(30, fromPeer({ seq: IRS + 1, ack: seqs[0], flags: ACK, options: sack({ left: seqs[2], right: seqs[3] + 1000 }) }));
    h.conn.dispatch(30);
    const resent = h.conn.dispatch(h.conn.pollAt()!);
    expect(resent.map((o) => o.segment.sequenceNumber)).toEqual([seqs[0]]); // cwnd is one segment now
    h.conn.process(500, fromPeer({ seq: IRS + 1, ack: seqs[1], flags: ACK, options: sack({ left: seqs[2], right: seqs[3] + 1000 }) }));
    const next = h.conn.dispatch(500);
    expect(next.map((o) => o.segment.sequenceNumber)).toEqual([seqs[1]]);
  });
});

describe('path MTU (RFC 8201 5.2, RFC 1191 6.4)', () => {
  it('a smaller path MTU shrinks the segments and sends what is in flight again at once; a larger one changes nothing', () => {
    const h = established();
    const seqs = inFlight(h, 4);
    expect(h.conn.pathMtuReduced(30, 1500, 20), 'segments of 1000 already fit 1500').toBe(false);
    expect(h.conn.pathMtuReduced(30, 600, 20)).toBe(true);
    expect(h.conn.effectiveMss).toBe(560);
    const resent = h.conn.dispatch(30);
    expect(resent.length).toBeGreaterThanOrEqual(2);
    expect(resent[0].segment.sequenceNumber).toBe(seqs[0]);
    expect(resent[0].retransmission).toBe(true);
    expect(resent.every((o) => (o.segment.payload?.length ?? 0) <= 560)).toBe(true);
    expect(resent.map((o) => o.segment.sequenceNumber)).toEqual(resent.map((_, i) => seqs[0] + 560 * i));
    // Not a congestion signal: no timeout counted, the same bytes may stay in flight.
    expect(h.conn.stats.pathMtuReductions).toBe(1);
    expect(h.conn.stats.timeouts).toBe(0);
    // An IPv6 report: 40-byte header.
    expect(h.conn.pathMtuReduced(40, 580, 40)).toBe(true);
    expect(h.conn.effectiveMss).toBe(520);
  });

  it('a piece sent again up to SACKed data goes out though shorter than an MSS (no silly-window wait)', () => {
    const h = established({}, { options: [{ kind: 'mss', value: 1000 }, { kind: 'sack-permitted' }] });
    const seqs = inFlight(h, 3);
    // The peer has the second and third segments; the first was too big for the path.
    h.conn.process(25, fromPeer({ seq: IRS + 1, ack: seqs[0], flags: ACK, options: sack({ left: seqs[1], right: seqs[2] + 1000 }) }));
    h.conn.pathMtuReduced(30, 640, 20);
    const resent = h.conn.dispatch(30).map((o) => [o.segment.sequenceNumber, o.segment.payload?.length]);
    expect(resent).toEqual([
      [seqs[0], 600],
      [seqs[0] + 600, 400],
    ]);
  });
});

describe('windows', () => {
  it('window scaling: the peer\'s window is shifted by its scale (not in the SYN), ours by ours', () => {
    const h = established({ windowScale: 7, receiveBuffer: 1 << 20 }, {
      window: 1000,
      options: [{ kind: 'mss', value: 1000 }, { kind: 'nop' }, { kind: 'window-scale', shift: 2 }],
    });
    expect(h.conn.sendWindow).toBe(1000);
    h.conn.process(20, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 1000 }));
    expect(h.conn.sendWindow).toBe(4000);
    h.conn.send(bytes(10_000));
    const sent = onWire(h.conn.dispatch(20));
    expect(sent.reduce((n, s) => n + payloadLength(s), 0)).toBe(4000);
    expect(sent[0].window).toBe((1 << 20) >> 7); // 8192 << 7 = 1 MiB
  });

  it('without the peer\'s window-scale option neither side scales', () => {
    const h = established({ windowScale: 7, receiveBuffer: 1 << 20 });
    h.conn.send(bytes(1));
    const [s] = onWire(h.conn.dispatch(20));
    expect(s.window).toBe(65535);
  });

  it('never sends beyond the peer\'s window, whatever ACKs and windows arrive', () => {
    const h = established({}, { window: 2500 });
    h.conn.send(bytes(50_000));
    let una = ISS + 1;
    let wnd = 2500;
    let acked = una;
    let highest = una;
    // A deterministic pseudo-random walk of ACKs, window changes (zero included) and timer runs.
    let x = 12345;
    const rand = (n: number) => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x % n);
    for (let step = 0, now = 20; step < 400; step++, now += 50) {
      for (const o of onWire(h.conn.dispatch(now))) {
        const end = seqAdd(o.sequenceNumber, o.payload.length + (o.flags & FIN ? 1 : 0));
        if (o.payload.length > 0) expect(seqDiff(end, seqAdd(una, wnd)), `segment past the window at step ${step}`).toBeLessThanOrEqual(0);
        if (seqGt(end, highest)) highest = end;
      }
      const choice = rand(4);
      if (choice === 0 && seqGt(highest, acked)) acked = seqAdd(acked, Math.min(seqDiff(highest, acked), 1 + rand(3000)));
      if (choice === 1) wnd = [0, 500, 1000, 2500, 4000][rand(5)];
      if (choice <= 1) {
        una = acked;
        h.conn.process(now, fromPeer({ seq: IRS + 1, ack: una, flags: ACK, window: wnd }));
      }
      if (h.conn.closed) break;
    }
    expect(h.conn.closed).toBeUndefined();
    expect(seqDiff(acked, ISS + 1)).toBeGreaterThan(10_000);
  });

  it('zero window: no data, persist probes with backoff, never giving up while they are answered', () => {
    const h = established({ maxRetries: 3 }, { window: 0 });
    h.conn.send(bytes(3000));
    expect(h.conn.dispatch(20)).toEqual([]);
    let now = 20;
    const gaps: number[] = [];
    for (let probe = 0; probe < 20; probe++) {
      const at = h.conn.pollAt()!;
      gaps.push(at - now);
      now = at;
      const out = onWire(h.conn.dispatch(now));
      expect(out).toHaveLength(1);
      // Linux's probe: an ACK one below SND.UNA, no data: nothing goes past the window.
      expect(out[0].sequenceNumber).toBe(ISS);
      expect(out[0].payload.length).toBe(0);
      // The peer answers, window still closed.
      h.conn.process(now + 1, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 0 }));
    }
    expect(gaps.slice(0, 5)).toEqual([200, 400, 800, 1600, 3200]);
    expect(Math.max(...gaps)).toBe(60_000); // capped at maxRtoMs
    expect(h.conn.closed).toBeUndefined();
    expect(h.conn.stats.windowProbes).toBe(20);
    // The window opens: data flows.
    h.conn.process(now + 2, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 2000 }));
    const data = onWire(h.conn.dispatch(now + 2));
    expect(data.map(payloadLength)).toEqual([1000, 1000]);
  });

  it('zero window: gives up after maxRetries probes that nobody answers', () => {
    const h = established({ maxRetries: 3 }, { window: 0 });
    h.conn.send(bytes(10));
    h.conn.dispatch(20);
    for (let i = 0; i < 10 && !h.conn.closed; i++) h.conn.dispatch(h.conn.pollAt()!);
    expect(h.conn.stats.windowProbes).toBe(3);
    expect(h.conn.closed).toMatchObject({ reason: 'timeout', detail: 'gave up after 3 unanswered zero-window probes' });
  });

  it('a window that closes on data in flight: the RTO goes back without a retry and probes take over', () => {
    const h = established({ maxRetries: 2 }, { window: 2000 });
    h.conn.send(bytes(4000));
    h.conn.dispatch(20);
    h.conn.process(30, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 0 }));
    let now = 30;
    for (let i = 0; i < 8; i++) {
      now = h.conn.pollAt()!;
      for (const s of onWire(h.conn.dispatch(now))) expect(s.payload.length).toBe(0);
      h.conn.process(now + 1, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 0 }));
    }
    expect(h.conn.closed).toBeUndefined();
  });
});

describe('receiving', () => {
  it('puts out-of-order segments back in order, with a duplicate ACK carrying SACK at once', () => {
    const h = established();
    expect(h.conn.process(20, fromPeer({ seq: IRS + 1 + 100, ack: ISS + 1, flags: ACK, payload: bytes(100, 0x62) }))).toBe('out-of-order');
    expect(h.conn.read()).toBeUndefined();
    const [dupAck] = onWire(h.conn.dispatch(20));
    expect(dupAck.acknowledgmentNumber).toBe(IRS + 1);
    expect(sackBlocksOf(dupAck)).toEqual([{ left: IRS + 101, right: IRS + 201 }]);
    expect(h.conn.process(21, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, payload: bytes(100, 0x61) }))).toBe('accepted');
    const first = h.conn.read()!;
    const second = h.conn.read()!;
    expect([first.length, first[0], second.length, second[0]]).toEqual([100, 0x61, 100, 0x62]);
    const [ack] = onWire(h.conn.dispatch(21));
    expect(ack.acknowledgmentNumber).toBe(IRS + 201);
    expect(sackBlocksOf(ack)).toEqual([]);
  });

  it('a duplicate segment is ACKed again and not delivered twice', () => {
    const h = established();
    h.conn.process(20, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, payload: bytes(10) }));
    h.conn.read();
    h.conn.dispatch(20);
    expect(h.conn.process(21, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, payload: bytes(10) }))).toBe('duplicate');
    expect(h.conn.read()).toBeUndefined();
    expect(onWire(h.conn.dispatch(21))[0].acknowledgmentNumber).toBe(IRS + 11);
  });

  it('the receive window is the room left by unread data: it shrinks to zero, then a window update when read', () => {
    const h = established({ receiveBuffer: 4000 });
    const windows: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.conn.process(20 + i, fromPeer({ seq: IRS + 1 + i * 1000, ack: ISS + 1, flags: ACK, payload: bytes(1000) }));
      windows.push(onWire(h.conn.dispatch(20 + i))[0].window);
    }
    expect(windows).toEqual([3000, 2000, 1000, 0]);
    expect(h.conn.readableBytes).toBe(4000);
    // Data into the closed window is not taken; the ACK repeats the zero window.
    expect(h.conn.process(30, fromPeer({ seq: IRS + 4001, ack: ISS + 1, flags: ACK, payload: bytes(1000) }))).toBe('out-of-window');
    expect(onWire(h.conn.dispatch(30))[0].window).toBe(0);
    // The peer's zero-window probe (an old sequence number) is answered with the window.
    expect(h.conn.process(31, fromPeer({ seq: IRS + 4000, ack: ISS + 1, flags: ACK }))).toBe('duplicate');
    expect(onWire(h.conn.dispatch(31))[0].window).toBe(0);
    // Reading a little is not worth an update (silly window avoidance); reading enough is.
    h.conn.read(500);
    expect(h.conn.wantsToSend).toBe(false);
    expect(h.conn.dispatch(32)).toEqual([]);
    expect(h.conn.read()!.length).toBe(500); // the rest of the first segment's data
    expect(h.conn.wantsToSend).toBe(true);
    const [update] = onWire(h.conn.dispatch(33));
    expect(update.flags).toBe(ACK);
    expect(update.window).toBe(1000);
    while (h.conn.read()) {
      /* drain */
    }
    expect(onWire(h.conn.dispatch(34))[0].window).toBe(4000);
    expect(h.conn.stats.windowUpdates).toBe(2);
    expect(h.conn.stats.peakUnreadBytes).toBe(4000);
    expect(h.conn.stats.minAdvertisedWindow).toBe(0);
  });

  it('the right edge of the window never moves left, even with a scale that rounds', () => {
    const h = established({ receiveBuffer: 10_000, windowScale: 7 }, { options: [{ kind: 'mss', value: 1000 }, { kind: 'nop' }, { kind: 'window-scale', shift: 7 }] });
    let edge = IRS + 1 + Math.floor(10_000 / 128) * 128;
    for (let i = 0; i < 9; i++) {
      h.conn.process(20 + i, fromPeer({ seq: IRS + 1 + i * 1000, ack: ISS + 1, flags: ACK, payload: bytes(1000) }));
      if (i % 3 === 0) h.conn.read(700);
      const [ack] = onWire(h.conn.dispatch(20 + i));
      const newEdge = seqAdd(ack.acknowledgmentNumber, ack.window * 128);
      expect(seqDiff(newEdge, edge)).toBeGreaterThanOrEqual(0);
      edge = newEdge;
    }
  });

  it('with our window closed, the peer\'s data is refused but the ACK it carries still counts', () => {
    const h = established({ receiveBuffer: 1000 });
    h.conn.send(bytes(500));
    h.conn.dispatch(15);
    h.conn.process(20, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, payload: bytes(1000) }));
    expect(onWire(h.conn.dispatch(20))[0].window).toBe(0);
    expect(h.conn.process(21, fromPeer({ seq: IRS + 1001, ack: ISS + 501, flags: ACK, payload: bytes(100) }))).toBe('out-of-window');
    expect(h.conn.unacknowledged).toBe(0);
    expect(h.conn.readableBytes).toBe(1000);
  });

  it('a bare FIN is taken into a zero window', () => {
    const h = established({ receiveBuffer: 1000 });
    h.conn.process(20, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, payload: bytes(1000) }));
    expect(onWire(h.conn.dispatch(20))[0].window).toBe(0);
    expect(h.conn.process(21, fromPeer({ seq: IRS + 1001, ack: ISS + 1, flags: FIN | ACK }))).toBe('accepted');
    expect(h.conn.state).toBe('CLOSE-WAIT');
  });

  it('the idle timer does not run while the application has unread data', () => {
    const h = established({ idleTimeoutMs: 1000, receiveBuffer: 1000 });
    h.conn.process(20, fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK | PSH, payload: bytes(1000) }));
    h.conn.dispatch(20);
    expect(h.conn.pollAt()).toBeUndefined();
    h.conn.dispatch(100_000);
    expect(h.conn.closed).toBeUndefined();
    h.conn.read();
    h.conn.dispatch(100_001);
    expect(h.conn.pollAt()).toBe(100_001 + 1000);
    h.conn.dispatch(101_001);
    expect(h.conn.closed?.reason).toBe('timeout');
  });
});

describe('SACK scoreboard', () => {
  it('merges blocks, ignores those outside (SND.UNA, SND.MAX], and forgets what is ACKed', () => {
    const board = new SackScoreboard();
    expect(board.add([{ left: 300, right: 400 }], 100, 1000)).toBe(100);
    expect(board.add([{ left: 350, right: 500 }, { left: 600, right: 700 }], 100, 1000)).toBe(200);
    expect(board.add([{ left: 0, right: 50 }, { left: 900, right: 2000 }], 100, 1000)).toBe(100);
    expect(board.blocks()).toEqual([{ left: 300, right: 500 }, { left: 600, right: 700 }, { left: 900, right: 1000 }]);
    expect(board.sackedBetween(100, 650)).toBe(250);
    expect(board.skipSacked(320)).toBe(500);
    expect(board.nextSackedAfter(500)).toBe(600);
    board.ackTo(650);
    expect(board.blocks()).toEqual([{ left: 650, right: 700 }, { left: 900, right: 1000 }]);
  });
});

describe("the driver's segment filter (segmentForConnection)", () => {
  const endpoints = connectionEndpoints({ source: '10.0.0.1', sourcePort: LOCAL_PORT, destination: '10.0.0.2', destinationPort: REMOTE_PORT });
  const views = new ReplyViews();
  const datagram = (source: string, destination: string, sourcePort: number, destinationPort: number, protocol: number = IpProtocol.TCP) =>
    buildIpv4(
      { protocol, source, destination, ttl: 64 },
      buildTcp({ sourcePort, destinationPort, flags: ACK, payload: bytes(3) }, { source, destination }),
    );

  it('takes the peer\'s segments to our port and nothing else', () => {
    const ours = segmentForConnection(datagram('10.0.0.2', '10.0.0.1', REMOTE_PORT, LOCAL_PORT), endpoints, views);
    expect(ours?.tcp.payload.length).toBe(3);
    expect(ours?.ttl).toBe(64);
    expect(segmentForConnection(datagram('10.0.0.2', '10.0.0.1', REMOTE_PORT, LOCAL_PORT + 1), endpoints, views)).toBeUndefined();
    expect(segmentForConnection(datagram('10.0.0.2', '10.0.0.1', REMOTE_PORT + 1, LOCAL_PORT), endpoints, views)).toBeUndefined();
    expect(segmentForConnection(datagram('10.0.0.3', '10.0.0.1', REMOTE_PORT, LOCAL_PORT), endpoints, views)).toBeUndefined();
    expect(segmentForConnection(datagram('10.0.0.1', '10.0.0.2', LOCAL_PORT, REMOTE_PORT), endpoints, views)).toBeUndefined(); // our own, looped back
    expect(segmentForConnection(datagram('10.0.0.2', '10.0.0.1', REMOTE_PORT, LOCAL_PORT, IpProtocol.UDP), endpoints, views)).toBeUndefined();
  });

  it('never throws on short or broken datagrams', () => {
    const good = datagram('10.0.0.2', '10.0.0.1', REMOTE_PORT, LOCAL_PORT);
    for (let length = 0; length < good.length; length++) expect(() => segmentForConnection(good.subarray(0, length), endpoints, views)).not.toThrow();
    const badOffset = Uint8Array.from(good);
    badOffset[20 + 12] = 0x20; // TCP data offset 2 words
    expect(segmentForConnection(badOffset, endpoints, views)).toBeUndefined();
  });
});
