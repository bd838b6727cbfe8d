// `ping -f` end to end, over both socket bindings, against iputils 20221126
// `ping -f` on the same namespaces (timings aside). On the Linux binding a
// flood sends from C (the echo pump, native/echo_pump.h): each fresh echo
// reply read sends the next request at once, and replies the pump found plain
// skip the TypeScript parser. raw-socket has no pump (JS sends each request),
// so both bindings agreeing with iputils is the point: counts on the wire
// (nftables counters in the peer), sequence wrap past 65535, drops,
// duplicates, corrupt replies, IPv6, -l preload and -w with -c.
//
// Every flood is bounded by -c (and -W/-w where a reply may never come), and
// small enough to take well under a second or two on a veth pair. Runs that
// read a counter run one at a time, so the counter sees one ping only.
//
// Needs root (namespaces, nftables, raw sockets), iproute2, ethtool, nftables
// and iputils-ping. With CI=true a missing prerequisite fails the test.
import { afterAll, afterEach, describe, expect, it, type TestContext } from 'vitest';
import { type Namespace, type RunResult, createPair, leftoverNamespaces, teardownAll, tsxCommand } from './helpers/netns.ts';
import {
  againstResponder,
  BINDINGS,
  iputilsPing,
  lines,
  need,
  PING_TIMEOUT_MS,
  pingWith,
  type Prerequisite,
  shape,
  show,
  type Statistics,
  statistics,
} from './helpers/ping-runs.ts';

const COUNTER_TABLE = 'flood';

/**
 * Installs, in `ns`, a table of named counters, one per `name: match` entry
 * (hooked on input for requests and output for replies as `hook` says),
 * with `extra` rules before them in the input chain (e.g. a drop rule).
 */
function installCounters(ns: Namespace, counters: Record<string, { hook: 'input' | 'output'; match: string }>, extra = ''): void {
  const declare = Object.keys(counters).map((name) => `counter ${name} {}`).join('\n');
  const rules = (hook: 'input' | 'output') =>
    Object.entries(counters)
      .filter(([, c]) => c.hook === hook)
      .map(([name, c]) => `${c.match} counter name ${name}`)
      .join('\n');
  ns.check(['nft', '-f', '-'], {
    input: `table inet ${COUNTER_TABLE} {
      ${declare}
      chain input {
        type filter hook input priority 0; policy accept;
        ${extra}
        ${rules('input')}
      }
      chain output {
        type filter hook output priority 0; policy accept;
        ${rules('output')}
      }
    }
    `,
  });
}

/** Packets each counter of installCounters() saw; the table goes, so the next run counts from 0 (numgen included). */
function takeCounters(ns: Namespace): Record<string, number> {
  const listing = ns.check(['nft', 'list', 'table', 'inet', COUNTER_TABLE]).stdout;
  ns.check(['nft', 'delete', 'table', 'inet', COUNTER_TABLE]);
  const found: Record<string, number> = {};
  // "counter NAME {\n packets N bytes M\n }" for named counters; "comment" anonymous ones are not used.
  for (const match of listing.matchAll(/counter (\w+) \{\s*packets (\d+) bytes \d+/g)) found[match[1]] = Number(match[2]);
  // The drop rule's own anonymous counter: "... counter packets N bytes M drop".
  const dropped = /counter packets (\d+) bytes \d+ drop/.exec(listing);
  if (dropped) found.dropped = Number(dropped[1]);
  return found;
}

/**
 * iputils' flood summary adds ", ipg/ewma A/B ms" (and ", pipe N" when N > 1)
 * to the rtt line: blank the times, and the pipe, which each test checks
 * against expectPipe() instead.
 */
function floodShape(text: string): string[] {
  return shape(text).map((line) =>
    line.replace(/^(rtt min.*), ipg\/ewma [\d./]+ ms$/, '$1, ipg/ewma <t> ms').replace(/^(rtt min.*), pipe \d+,/, '$1, pipe <p>,'),
  );
}

/** The ", pipe N" figure of the rtt line, or undefined when there is none. */
function pipeOf(stdout: string): number | undefined {
  const match = /^rtt .*, pipe (\d+)(?:,|$)/m.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

/**
 * The pipe, bounded both ways. It is at least the preload: the preloaded
 * requests all leave before any reply is read. It may pass the preload by
 * one request per pause of 10 ms without a reply read: iputils' flood rule
 * (pinger(): send when 10 ms have passed, even with `preload` in flight),
 * which ours keeps (floodTick). A loaded machine makes such pauses (measured:
 * raw-socket -l 64, JS RTT max 16 ms, pipe 65, iputils 64 on the same pair),
 * so a few are allowed; a pump sending two requests per reply would run far past.
 */
function expectPipe(result: RunResult, preload: number): void {
  const pipe = pipeOf(result.stdout) ?? 1; // iputils prints no pipe of 1
  expect(pipe, show(result)).toBeGreaterThanOrEqual(preload);
  expect(pipe, show(result)).toBeLessThanOrEqual(preload + 4);
}

/** The line of flood marks (without -q): "." per request sent, "\b \b" per reply. */
const MARKS_LINE = /^[.\b ]+$/m;

function marks(stdout: string): { sent: number; answered: number } {
  const line = MARKS_LINE.exec(stdout)?.[0] ?? '';
  const answered = line.split('\b \b').length - 1;
  return { sent: line.match(/\./g)?.length ?? 0, answered };
}

/** Both runs exited 0 and print the same lines, timings aside, and a pipe as expectPipe() says. */
function expectSameAsIputils(ours: RunResult, theirs: RunResult, preload = 1): void {
  expectPipe(ours, preload);
  expectPipe(theirs, preload);
  expect(ours.status, show(ours)).toBe(0);
  expect(ours.stderr, show(ours)).toBe('');
  expect(theirs.status, show(theirs)).toBe(0);
  expect(floodShape(ours.stdout), `${show(ours)}\n${show(theirs)}`).toEqual(floodShape(theirs.stdout));
}

const ECHO_COUNTERS = {
  requests: { hook: 'input', match: 'icmp type echo-request' },
  replies: { hook: 'output', match: 'icmp type echo-reply' },
} as const;
const ECHO6_COUNTERS = {
  requests: { hook: 'input', match: 'icmpv6 type echo-request' },
  replies: { hook: 'output', match: 'icmpv6 type echo-reply' },
} as const;

afterEach(async () => {
  const problems = await teardownAll();
  expect(problems, 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe.each(BINDINGS)('ping -f end to end, in network namespaces, over the %s binding', (binding) => {
  const ping = (ns: Namespace, args: readonly string[], timeoutMs = PING_TIMEOUT_MS) => pingWith(binding, ns, args, timeoutMs);
  const needHere = (ctx: TestContext, ...what: Prerequisite[]) => need(ctx, ...what, ...(binding === 'linux' ? (['linux-binding'] as const) : []));

  /**
   * Runs ours, then iputils, with the same arguments, each with fresh
   * counters in `peerNs`; returns both runs and what each put on the wire.
   */
  async function countedRuns(
    a: Namespace,
    peerNs: Namespace,
    args: readonly string[],
    counters: Parameters<typeof installCounters>[1] = ECHO_COUNTERS,
    extra = '',
  ) {
    installCounters(peerNs, counters, extra);
    const ours = await ping(a, args);
    const oursWire = takeCounters(peerNs);
    installCounters(peerNs, counters, extra);
    const theirs = await iputilsPing(a, args);
    const theirsWire = takeCounters(peerNs);
    return { ours, oursWire, theirs, theirsWire };
  }

  /** The statistics both agree on, exact. */
  function expectStatistics(result: RunResult, host: string, expected: Partial<Statistics>): void {
    // Without -q the marks line ends where iputils' blank line would be.
    expect(statistics(result.stdout.replace(MARKS_LINE, ''), host), show(result)).toMatchObject(expected);
  }

  it('-f -q -c 5000 puts exactly 5000 requests on the wire and counts 5000 replies, as iputils', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, addressB: peer } = createPair();
    const { ours, oursWire, theirs, theirsWire } = await countedRuns(a, b, ['-f', '-q', '-c', '5000', peer]);
    expectSameAsIputils(ours, theirs);
    expectStatistics(ours, peer, { transmitted: 5000, received: 5000, duplicates: 0, errors: 0, loss: '0' });
    expect(oursWire, show(ours)).toEqual({ requests: 5000, replies: 5000 });
    expect(theirsWire, show(theirs)).toEqual({ requests: 5000, replies: 5000 });
    // -q: the banner, the blank line and the statistics only; no marks.
    expect(lines(ours.stdout), show(ours)).toHaveLength(5);
    expect(lines(ours.stdout)[1]).toBe('');
  });

  it('-f -q -l 64 -c 5000: 5000 requests on the wire, pipe 64, as iputils', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, addressB: peer } = createPair();
    const { ours, oursWire, theirs, theirsWire } = await countedRuns(a, b, ['-f', '-q', '-l', '64', '-c', '5000', peer]);
    expectSameAsIputils(ours, theirs, 64);
    expectStatistics(ours, peer, { transmitted: 5000, received: 5000, duplicates: 0, errors: 0, loss: '0' });
    expect(oursWire, show(ours)).toEqual({ requests: 5000, replies: 5000 });
    expect(theirsWire, show(theirs)).toEqual({ requests: 5000, replies: 5000 });
    // The 64 preloaded requests leave before any reply is read, and each reply
    // then sends one more: 64 out at once, more only after a 10 ms pause (expectPipe).
    expect(pipeOf(ours.stdout), show(ours)).toBeGreaterThanOrEqual(64);
  });

  it('-f -q -c 70000 wraps the sequence past 65535 to 0: every request sent once per sequence turn, every reply counted', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, addressB: peer } = createPair();
    // Request k carries sequence k mod 65536: 1..65535, 0 (k = 65536), 1..4464 (k = 65537..70000):
    // 0 and 4465..65535 go out once, 1..4464 twice.
    const seq = (n: number) => ({ hook: 'input' as const, match: `icmp type echo-request icmp sequence ${n}` });
    const counters = { ...ECHO_COUNTERS, seq0: seq(0), seq1: seq(1), seq65535: seq(65535), seq4464: seq(4464), seq4465: seq(4465) };
    const { ours, oursWire, theirs, theirsWire } = await countedRuns(a, b, ['-f', '-q', '-c', '70000', peer], counters);
    expectSameAsIputils(ours, theirs);
    expectStatistics(ours, peer, { transmitted: 70000, received: 70000, duplicates: 0, errors: 0, loss: '0' });
    const wire = { requests: 70000, replies: 70000, seq0: 1, seq1: 2, seq65535: 1, seq4464: 2, seq4465: 1 };
    expect(oursWire, show(ours)).toEqual(wire);
    expect(theirsWire, show(theirs)).toEqual(wire);
  });

  it('-f -q -c 2000 with every 50th request dropped: received is 2000 minus the drops the peer counted, loss as iputils', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, addressB: peer } = createPair();
    // numgen starts at 0 with each fresh table: requests 1, 51, ..., 1951 (40) are dropped, the last one is not.
    // -W 1 only bounds the wait should the last reply not come.
    const drop = 'icmp type echo-request numgen inc mod 50 == 0 counter drop';
    const { ours, oursWire, theirs, theirsWire } = await countedRuns(a, b, ['-f', '-q', '-W', '1', '-c', '2000', peer], ECHO_COUNTERS, drop);
    expectSameAsIputils(ours, theirs);
    // Dropped requests never reach the counter rule after the drop rule.
    expect(oursWire, show(ours)).toEqual({ requests: 1960, replies: 1960, dropped: 40 });
    expect(theirsWire, show(theirs)).toEqual({ requests: 1960, replies: 1960, dropped: 40 });
    expectStatistics(ours, peer, { transmitted: 2000, received: 2000 - oursWire.dropped, duplicates: 0, errors: 0, loss: '2' });
    expectStatistics(theirs, peer, { transmitted: 2000, received: 2000 - theirsWire.dropped, loss: '2' });
  });

  it('-f -q -c 500 with every reply duplicated by the peer: 500 received and the duplicates iputils counts', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, addressA, addressB: peer, deviceB } = createPair();
    // Every echo reply B sends goes out a second time, as a copy (after the original).
    b.check(['nft', '-f', '-'], {
      input: `table ip plt {
        chain output {
          type filter hook output priority 0; policy accept;
          icmp type echo-reply dup to ${addressA} device ${deviceB}
        }
      }
      `,
    });
    const args = ['-f', '-q', '-c', '500', peer];
    const ours = await ping(a, args);
    const theirs = await iputilsPing(a, args);
    expect(ours.status, show(ours)).toBe(0);
    expect(theirs.status, show(theirs)).toBe(0);
    const mine = statistics(ours.stdout, peer);
    const reference = statistics(theirs.stdout, peer);
    expect(mine, show(ours)).toMatchObject({ transmitted: 500, received: 500, errors: 0, loss: '0' });
    expect(reference, show(theirs)).toMatchObject({ transmitted: 500, received: 500, errors: 0, loss: '0' });
    // Each reply's copy comes right behind it, and a flood sends the next
    // request on the original: so the copies of 1..499 are all read before
    // the run ends. The run ends on the first reply to 500, so its copy is
    // read only if it was already queued in the same drain: iputils counts
    // 499 (on every run measured), and a faster or slower reader could count 500.
    expect(mine.duplicates, show(ours)).toBeGreaterThanOrEqual(499);
    expect(mine.duplicates, show(ours)).toBeLessThanOrEqual(500);
    expect(Math.abs(mine.duplicates - reference.duplicates), `${show(ours)}\n${show(theirs)}`).toBeLessThanOrEqual(1);
    // Otherwise line for line as iputils.
    const withoutDuplicates = (text: string) => floodShape(text).map((line) => line.replace(/, \+\d+ duplicates,/, ', +<n> duplicates,'));
    expect(withoutDuplicates(ours.stdout), show(theirs)).toEqual(withoutDuplicates(theirs.stdout));
  });


  it('-f -c 5 against corrupt replies: the same marks and statistics as iputils -f, each corrupt reply counted', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, b, addressB: peer } = createPair();
    b.sysctl('net.ipv4.icmp_echo_ignore_all', 1);
    const plan = 'ok,checksum,payload,truncated,ok';
    const args = ['-f', '-c', '5', '-W', '2', peer];
    const ours = await againstResponder(binding, a, b, plan, tsxCommand('src/ping.ts', args));
    const theirs = await againstResponder(binding, a, b, plan, ['ping', ...args]);
    // A "." per request, a "\b \b" per reply, bad ones included: iputils -f
    // prints nothing else for them. Their order is the responder's timing (a
    // reply later than 10 ms lets the next request go first), so count them.
    expect(marks(ours.stdout), show(ours)).toEqual({ sent: 5, answered: 5 });
    expect(marks(theirs.stdout), show(theirs)).toEqual({ sent: 5, answered: 5 });
    const withoutMarks = (text: string) => floodShape(text.replace(MARKS_LINE, '<marks>'));
    expectSameAsIputils({ ...ours, stdout: withoutMarks(ours.stdout).join('\n') }, { ...theirs, stdout: withoutMarks(theirs.stdout).join('\n') });
    expectStatistics(ours, peer, { transmitted: 5, received: 5, duplicates: 0, errors: 0, loss: '0' });

    // What each reply was, from --json: the pump leaves every non-plain reply
    // to the TypeScript parser, which names what is wrong with it.
    const json = await againstResponder(binding, a, b, plan, tsxCommand('src/ping.ts', ['--json', ...args]));
    expect(json.status, show(json)).toBe(0);
    const events = lines(json.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    const replies = events.filter((event) => event.type === 'reply');
    expect(replies.map((r) => r.sequence), show(json)).toEqual([1, 2, 3, 4, 5]);
    expect(replies.map((r) => [r.badChecksum === true, r.wrongByte !== undefined, r.truncated === true]), show(json)).toEqual([
      [false, false, false],
      [true, false, false],
      [false, true, false],
      [false, false, true],
      [false, false, false],
    ]);
    // Every request went out once, each before its reply.
    const order = events.filter((e) => e.type === 'sent' || e.type === 'reply').map((e) => `${String(e.type)} ${String(e.sequence)}`);
    expect(order.filter((e) => e.startsWith('sent ')), show(json)).toEqual([1, 2, 3, 4, 5].map((n) => `sent ${n}`));
    for (const n of [1, 2, 3, 4, 5]) expect(order.indexOf(`sent ${n}`), show(json)).toBeLessThan(order.indexOf(`reply ${n}`));
    expect(lines(json.stdout).at(-1)).toMatch(/"transmitted":5,"received":5,"duplicates":0,"errors":0,/);
  });

  it('-6 -f -q -c 3000 and -6 -f -q -l 32 -c 3000 to a ULA address: the same statistics as iputils ping -6 -f', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, address6B: peer } = createPair({ ipv6: true });
    for (const preload of [[], ['-l', '32']]) {
      const { ours, oursWire, theirs, theirsWire } = await countedRuns(a, b, ['-6', '-f', '-q', ...preload, '-c', '3000', peer], ECHO6_COUNTERS);
      expectSameAsIputils(ours, theirs, preload.length > 0 ? 32 : 1);
      expectStatistics(ours, peer, { transmitted: 3000, received: 3000, duplicates: 0, errors: 0, loss: '0' });
      expect(oursWire, show(ours)).toEqual({ requests: 3000, replies: 3000 });
      expect(theirsWire, show(theirs)).toEqual({ requests: 3000, replies: 3000 });
    }
  });

  it('-f -q -w 1 -c 3000: -c counts replies, and the run stops at the 3000th, as iputils', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, addressB: peer } = createPair();
    const { ours, oursWire, theirs, theirsWire } = await countedRuns(a, b, ['-f', '-q', '-w', '1', '-c', '3000', peer]);
    // With -w, -c counts replies: both stop at the 3000th. A request more than
    // 3000 goes out only after a 10 ms pause without a reply (expectPipe), and
    // is in flight when the run stops: then "3001 transmitted, 0.0333333%
    // loss". So the count sent is checked against the wire and the pipe, and
    // blanked in the lines.
    const sentCount = (text: string) => floodShape(text).map((line) => line.replace(/^\d+ packets transmitted, (\d+) received, [\d.]+% packet loss/, '<n> packets transmitted, $1 received, <l>% packet loss'));
    expectSameAsIputils({ ...ours, stdout: sentCount(ours.stdout).join('\n') }, { ...theirs, stdout: sentCount(theirs.stdout).join('\n') });
    for (const [run, wire] of [[ours, oursWire], [theirs, theirsWire]] as const) {
      const stats = statistics(run.stdout, peer);
      expect(stats, show(run)).toMatchObject({ received: 3000, duplicates: 0, errors: 0 });
      // Such a request leaves with one in flight, whose reply, read after it, makes the pipe 2 or more:
      // without a pipe, not one request more than the 3000 answered.
      expect(stats.transmitted, show(run)).toBeGreaterThanOrEqual(3000);
      expect(stats.transmitted, show(run)).toBeLessThanOrEqual(3000 + (pipeOf(run.stdout) ?? 1) - 1);
      // What it says it sent is what the peer got and answered.
      expect(wire, show(run)).toEqual({ requests: stats.transmitted, replies: stats.transmitted });
    }
  });
});
