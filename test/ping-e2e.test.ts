// End-to-end tests of `src/ping.ts` against real kernels, each in network
// namespaces the test creates and removes (test/helpers/netns.ts). No packet
// leaves them: peers are 10.211-213.x.x addresses inside the namespaces, and
// the runs that need no peer (privileges, bad input) run in a namespace that
// has only `lo`.
//
// Needs root (namespaces, nftables, raw sockets) and iproute2, ethtool,
// nftables, iputils-ping, tshark, util-linux. With CI=true a missing
// prerequisite fails the test; otherwise the test is skipped with the reason.
import { mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, type TestContext } from 'vitest';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { IcmpType, parseIcmp } from '../src/wire/icmp.ts';
import { IpProtocol, parseIpv4 } from '../src/wire/ipv4.ts';
import { decodeLinkLayer } from '../src/wire/link-type.ts';
import { PAYLOAD_INDEX, TRUNCATED_DATA } from './helpers/corrupt-responder-constants.ts';
import {
  type Namespace,
  createChain,
  createIsolated,
  createPair,
  leftoverNamespaces,
  NAME_PREFIX,
  REPO_ROOT,
  run,
  teardownAll,
  tsxCommand,
} from './helpers/netns.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';
import {
  againstResponder,
  bindingEnv,
  BINDINGS,
  escapeRegExp as escape,
  expectRttLine,
  iputilsPing,
  lines,
  need,
  PING_TIMEOUT_MS,
  pingWith,
  type Prerequisite,
  replyLine,
  RTT,
  RTT_LINE,
  RTT_SOURCE,
  shape,
  show,
  statistics,
  unavailable,
} from './helpers/ping-runs.ts';

function nft(ns: Namespace, script: string): void {
  ns.check(['nft', '-f', '-'], { input: script });
}

// ---------------------------------------------------------------------------

afterEach(async () => {
  const problems = await teardownAll();
  expect(problems, 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe.each(BINDINGS)('ping end to end, in network namespaces, over the %s binding', (binding) => {
  const ping = (ns: Namespace, args: readonly string[], timeoutMs = PING_TIMEOUT_MS) => pingWith(binding, ns, args, timeoutMs);
  /** need() plus the binding under test. */
  const needHere = (ctx: TestContext, ...what: Prerequisite[]) => need(ctx, ...what, ...(binding === 'linux' ? (['linux-binding'] as const) : []));
  it('gets replies from a real kernel and prints them as iputils does', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, addressB: peer } = createPair();
    const ours = await ping(a, ['-c', '3', '-i', '0.2', peer]);
    expect(ours.status, show(ours)).toBe(0);
    expect(ours.stderr, show(ours)).toBe('');
    const out = lines(ours.stdout);
    expect(out, show(ours)).toHaveLength(8);
    expect(out[0]).toBe(`PING ${peer} (${peer}) 56(84) bytes of data.`);
    for (const sequence of [1, 2, 3]) expect(out[sequence], show(ours)).toMatch(replyLine(peer, sequence));
    expect(out[4]).toBe('');
    expect(out[5]).toBe(`--- ${peer} ping statistics ---`);
    expect(out[6]).toMatch(/^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$/);
    expectRttLine(out[7]);

    const theirs = await iputilsPing(a, ['-c', '3', '-i', '0.2', peer]);
    expect(theirs.status, show(theirs)).toBe(0);
    expect(shape(ours.stdout)).toEqual(shape(theirs.stdout));
  });

  it('counts exactly the requests a firewall drops', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, addressB: peer } = createPair();
    nft(
      b,
      `table inet plt {
        chain input {
          type filter hook input priority 0; policy accept;
          icmp type echo-request icmp sequence { 2, 4 } drop
        }
      }`,
    );
    const [ours, theirs] = await Promise.all([
      ping(a, ['-c', '5', '-i', '0.2', peer]),
      iputilsPing(a, ['-c', '5', '-i', '0.2', peer]),
    ]);
    expect(ours.status, show(ours)).toBe(0);
    const stats = statistics(ours.stdout, peer);
    expect(stats).toMatchObject({ transmitted: 5, received: 3, duplicates: 0, errors: 0, loss: '40' });
    const replies = lines(ours.stdout).filter((line) => line.startsWith('64 bytes'));
    expect(replies.map((line) => /icmp_seq=(\d+)/.exec(line)![1])).toEqual(['1', '3', '5']);
    expect(shape(ours.stdout), show(theirs)).toEqual(shape(theirs.stdout));
  });

  it('reports 100% loss and exits 1 when every request is dropped', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, addressB: peer } = createPair();
    nft(
      b,
      `table inet plt {
        chain input {
          type filter hook input priority 0; policy accept;
          icmp type echo-request drop
        }
      }`,
    );
    const args = ['-c', '2', '-i', '0.2', '-W', '1', peer];
    const [ours, theirs] = await Promise.all([ping(a, args), iputilsPing(a, args)]);
    expect(ours.status, show(ours)).toBe(1);
    expect(ours.stdout).toMatch(/^2 packets transmitted, 0 received, 100% packet loss, time \d+ms$/m);
    expect(ours.stdout).not.toMatch(/^rtt /m);
    expect(ours.durationMs, 'bounded by -W 1').toBeLessThan(6000);
    expect(theirs.status, show(theirs)).toBe(1);
    expect(shape(ours.stdout), show(theirs)).toEqual(shape(theirs.stdout));
  });

  it('marks duplicated replies and counts them apart from received', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'nft', 'iputils');
    const { a, b, addressA, addressB: peer, deviceB } = createPair();
    // Every echo reply B sends also goes out a second time, as a copy.
    nft(
      b,
      `table ip plt {
        chain output {
          type filter hook output priority 0; policy accept;
          icmp type echo-reply dup to ${addressA} device ${deviceB}
        }
      }`,
    );
    const ours = await ping(a, ['-c', '3', '-i', '0.2', peer]);
    expect(ours.status, show(ours)).toBe(0);
    const out = lines(ours.stdout);
    // Each of seq 1 and 2 comes twice; the run ends on the first reply to seq 3,
    // as iputils' does, so its copy is never read.
    expect(out.slice(1, 6), show(ours)).toEqual([
      expect.stringMatching(replyLine(peer, 1)),
      expect.stringMatching(replyLine(peer, 1, 64, ' (DUP!)')),
      expect.stringMatching(replyLine(peer, 2)),
      expect.stringMatching(replyLine(peer, 2, 64, ' (DUP!)')),
      expect.stringMatching(replyLine(peer, 3)),
    ]);
    expect(statistics(ours.stdout, peer)).toMatchObject({ transmitted: 3, received: 3, duplicates: 2, errors: 0, loss: '0' });
    expect(ours.stdout).toMatch(/^3 packets transmitted, 3 received, \+2 duplicates, 0% packet loss, time \d+ms$/m);

    const theirs = await iputilsPing(a, ['-c', '3', '-i', '0.2', peer]);
    expect(shape(ours.stdout), show(theirs)).toEqual(shape(theirs.stdout));
  });

  it('reports Destination Host Unreachable for an address nobody answers ARP for', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, addressA, absentAddress } = createPair();
    // Two absent addresses, run side by side to halve the ~3 s of ARP retries.
    const otherAbsent = absentAddress.replace(/\d+$/, '98');
    const [ours, theirs] = await Promise.all([
      ping(a, ['-c', '3', '-i', '0.5', absentAddress]),
      iputilsPing(a, ['-c', '3', '-i', '0.5', otherAbsent]),
    ]);
    expect(ours.status, show(ours)).toBe(1);
    const out = lines(ours.stdout);
    for (const sequence of [1, 2, 3]) {
      expect(out[sequence], show(ours)).toBe(`From ${addressA} icmp_seq=${sequence} Destination Host Unreachable`);
    }
    expect(statistics(ours.stdout, absentAddress)).toMatchObject({ transmitted: 3, received: 0, errors: 3, loss: '100' });
    expect(theirs.status, show(theirs)).toBe(1);
    // Same lines as iputils, "pipe 3" included (three requests were waiting on ARP).
    expect(shape(ours.stdout), show(theirs)).toEqual(shape(theirs.stdout, { [otherAbsent]: absentAddress }));
  });

  it('reports Time to live exceeded from the router with -t 1', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { client, routerClientSide, serverAddress } = createChain();
    // The path works: one hop, so the server's reply arrives with ttl 63.
    const through = await ping(client, ['-c', '1', serverAddress]);
    expect(through.status, show(through)).toBe(0);
    expect(lines(through.stdout)[1]).toMatch(replyLine(serverAddress, 1, 63));

    const args = ['-c', '2', '-i', '0.2', '-t', '1', serverAddress];
    const ours = await ping(client, args);
    expect(ours.status, show(ours)).toBe(1);
    const out = lines(ours.stdout);
    expect(out[1]).toBe(`From ${routerClientSide} icmp_seq=1 Time to live exceeded`);
    expect(out[2]).toBe(`From ${routerClientSide} icmp_seq=2 Time to live exceeded`);
    expect(statistics(ours.stdout, serverAddress)).toMatchObject({ transmitted: 2, received: 0, errors: 2, loss: '100' });
    expect(ours.durationMs, 'ends once every request is answered by an error').toBeLessThan(5000);
    const theirs = await iputilsPing(client, args);
    expect(shape(ours.stdout), show(theirs)).toEqual(shape(theirs.stdout));
  });

  it('runs two pings to the same host at once, each counting only its own replies', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, addressB: peer } = createPair();
    // The long run is under way before the short ones start, so they overlap
    // whatever the start-up time of node; iputils runs alongside as a third.
    const long = a.spawn(tsxCommand('src/ping.ts', ['-D', '-c', '25', '-i', '0.1', peer]), { timeoutMs: PING_TIMEOUT_MS, env: bindingEnv(binding) });
    await long.waitForOutput(/icmp_seq=1 /, 10_000);
    const [short, theirs] = await Promise.all([
      ping(a, ['-D', '-c', '5', '-i', '0.1', peer]),
      iputilsPing(a, ['-c', '5', '-i', '0.1', peer]),
    ]);
    const longResult = await long.exited;
    const spans: Array<[number, number]> = [];
    for (const [result, count] of [
      [longResult, 25],
      [short, 5],
    ] as const) {
      expect(result.status, show(result)).toBe(0);
      const replies = lines(result.stdout).filter((line) => / bytes from /.test(line));
      expect(replies, show(result)).toHaveLength(count);
      replies.forEach((line, i) => {
        expect(line).toMatch(new RegExp(`^\\[\\d+\\.\\d{6}\\] 64 bytes from ${escape(peer)}: icmp_seq=${i + 1} ttl=64 time=${RTT} ms$`));
      });
      expect(result.stdout).not.toContain('DUP!');
      expect(statistics(result.stdout, peer)).toMatchObject({ transmitted: count, received: count, duplicates: 0, errors: 0, loss: '0' });
      const stamps = replies.map((line) => Number(/^\[([\d.]+)\]/.exec(line)![1]));
      spans.push([stamps[0], stamps[stamps.length - 1]]);
    }
    // They really ran at the same time: the short run's replies fall inside the long run's.
    expect(spans[1][0], 'the runs overlapped').toBeGreaterThan(spans[0][0]);
    expect(spans[1][1], 'the runs overlapped').toBeLessThan(spans[0][1]);
    expect(theirs.status, show(theirs)).toBe(0);
    expect(statistics(theirs.stdout, peer)).toMatchObject({ transmitted: 5, received: 5, duplicates: 0, errors: 0 });
  });


  it('prints truncated and altered replies as iputils does, and counts them as iputils counts them', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, b, addressB: peer } = createPair();
    b.sysctl('net.ipv4.icmp_echo_ignore_all', 1);
    const plan = 'ok,checksum,payload,truncated,ok';
    const args = ['-c', '5', '-i', '0.2', '-W', '2', peer];
    const ours = await againstResponder(binding, a, b, plan, tsxCommand('src/ping.ts', args));
    const theirs = await againstResponder(binding, a, b, plan, ['ping', ...args]);
    expect(ours.status, show(ours)).toBe(0);
    expect(theirs.status, show(theirs)).toBe(0);

    // Data byte i of iputils' default payload is i; the responder flipped every bit of one.
    const flipped = (PAYLOAD_INDEX & 0xff) ^ 0xff;
    const data = Array.from({ length: 56 - 16 }, (_, i) => (i + 16 === PAYLOAD_INDEX ? flipped : i + 16).toString(16));
    const out = lines(ours.stdout);
    expect(out.slice(1, 9), show(ours)).toEqual([
      expect.stringMatching(replyLine(peer, 1)),
      // iputils 20221126 no longer marks a bad checksum; we keep the marker.
      expect.stringMatching(replyLine(peer, 2, 64, ' (BAD CHECKSUM!)')),
      expect.stringMatching(replyLine(peer, 3)),
      `wrong data byte #${PAYLOAD_INDEX} should be 0x${PAYLOAD_INDEX.toString(16)} but was 0x${flipped.toString(16)}`,
      `#16\t${data.slice(0, 32).join(' ')} `,
      `#48\t${data.slice(32).join(' ')} `,
      `${8 + TRUNCATED_DATA} bytes from ${peer}: icmp_seq=4 ttl=64 (truncated)`,
      expect.stringMatching(replyLine(peer, 5)),
    ]);
    expect(statistics(ours.stdout, peer)).toMatchObject({ transmitted: 5, received: 5, duplicates: 0, errors: 0, loss: '0' });
    // Line for line as iputils, timings aside and our checksum marker removed.
    expect(shape(ours.stdout, { ' (BAD CHECKSUM!)': '' }), show(theirs)).toEqual(shape(theirs.stdout));
  });

  it('names where its RTTs come from: summary.rttSource in --json, a line on stderr with -v', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, addressB: peer } = createPair();
    const json = await ping(a, ['-c', '2', '-i', '0.2', '--json', peer]);
    expect(json.status, show(json)).toBe(0);
    const summary = JSON.parse(lines(json.stdout).at(-1)!);
    expect(summary).toMatchObject({ type: 'summary', transmitted: 2, received: 2, rttSource: RTT_SOURCE[binding] });

    const verbose = await ping(a, ['-v', '-c', '2', '-i', '0.2', peer]);
    expect(verbose.status, show(verbose)).toBe(0);
    expect(lines(verbose.stderr), show(verbose)).toEqual([
      binding === 'linux'
        ? 'ping: rtt source: kernel timestamps (SO_TIMESTAMPNS), send time taken in C before sendto (Linux binding)'
        : 'ping: rtt source: javascript clocks around the raw-socket binding',
    ]);
    // stdout stays iputils' own (its -v adds socket lines of its own, so compare with a plain run).
    const theirs = await iputilsPing(a, ['-c', '2', '-i', '0.2', peer]);
    expect(shape(verbose.stdout), show(theirs)).toEqual(shape(theirs.stdout));
  });

  it('stops at connect with "Network is unreachable" and exit 2 when there is no route, as iputils', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    // A namespace with only lo: no route to 10.214.0.1.
    const { ns } = createIsolated();
    const args = ['-c', '3', '-i', '0.2', '10.214.0.1'];
    const [ours, theirs] = await Promise.all([ping(ns, args), iputilsPing(ns, args)]);
    expect(theirs.status, show(theirs)).toBe(2);
    expect(theirs.stdout).toBe('');
    expect(lines(theirs.stderr)).toEqual(['ping: connect: Network is unreachable']);
    expect(ours.status, show(ours)).toBe(2);
    expect(ours.stdout, show(ours)).toBe('');
    expect(lines(ours.stderr), show(ours)).toEqual(['ping: connect: Network is unreachable']);
  });

  it('-w sends as many requests as iputils: 2 for -w 2, 5 for -w 1 -i 0.2', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, addressB: peer } = createPair();
    for (const [args, sent] of [
      [['-w', '2', peer], 2],
      [['-w', '1', '-i', '0.2', peer], 5],
    ] as const) {
      const [ours, theirs] = await Promise.all([ping(a, args), iputilsPing(a, args)]);
      expect(theirs.status, show(theirs)).toBe(0);
      expect(statistics(theirs.stdout, peer), show(theirs)).toMatchObject({ transmitted: sent, received: sent });
      expect(ours.status, show(ours)).toBe(0);
      expect(statistics(ours.stdout, peer), show(ours)).toMatchObject({ transmitted: sent, received: sent });
      expect(shape(ours.stdout), show(theirs)).toEqual(shape(theirs.stdout));
    }
  });

  it('-p prints iputils\' PATTERN line and fills the data with it', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, addressB: peer } = createPair();
    const args = ['-c', '2', '-i', '0.2', '-p', 'ff00', peer];
    const [ours, theirs] = await Promise.all([ping(a, args), iputilsPing(a, args)]);
    expect(ours.status, show(ours)).toBe(0);
    expect(lines(ours.stdout).slice(0, 2)).toEqual(['PATTERN: 0xff00', `PING ${peer} (${peer}) 56(84) bytes of data.`]);
    expect(shape(ours.stdout), show(theirs)).toEqual(shape(theirs.stdout));
    // -q prints no PATTERN line, in iputils as here.
    const quiet = await ping(a, ['-q', ...args]);
    expect(lines(quiet.stdout)[0]).toBe(`PING ${peer} (${peer}) 56(84) bytes of data.`);
  });

  it('-f draws a "." per request and "\\b \\b" per reply, as iputils', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, addressB: peer } = createPair();
    const args = ['-f', '-c', '20', peer];
    const [ours, theirs] = await Promise.all([ping(a, args), iputilsPing(a, args)]);
    expect(ours.status, show(ours)).toBe(0);
    expect(theirs.status, show(theirs)).toBe(0);
    // On a veth pair every reply comes before the next request, so the marks are exact.
    expect(JSON.stringify(lines(ours.stdout)[1])).toBe(JSON.stringify('.\b \b'.repeat(20)));
    expect(lines(ours.stdout)[1]).toBe(lines(theirs.stdout)[1]);
    const flood = (text: string) => shape(text).map((line) => line.replace(/^(rtt min.*), ipg\/ewma [\d./]+ ms$/, '$1, ipg/ewma <t> ms'));
    expect(flood(ours.stdout), show(theirs)).toEqual(flood(theirs.stdout));
  });

  it('-l sends its preload at once (sendmmsg on the Linux binding), as iputils: same lines, pipe included', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, addressB: peer } = createPair();
    const args = ['-l', '3', '-c', '5', '-i', '0.2', peer];
    const [ours, theirs] = await Promise.all([ping(a, args), iputilsPing(a, args)]);
    expect(ours.status, show(ours)).toBe(0);
    expect(theirs.status, show(theirs)).toBe(0);
    expect(statistics(ours.stdout, peer)).toMatchObject({ transmitted: 5, received: 5 });
    // The burst is on the wire before any reply is read: three requests were out at once.
    expect(lines(ours.stdout).at(-1), show(ours)).toMatch(/, pipe 3$/);
    expect(shape(ours.stdout), show(theirs)).toEqual(shape(theirs.stdout));
  });

  it('--pcap records every request and reply, with valid checksums', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'cap', 'tshark');
    const { a, addressA, addressB: peer } = createPair();
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-pcap-`));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'ping.pcap');

    const result = await ping(a, ['-c', '3', '-i', '0.2', '--json', '--pcap', file, peer]);
    expect(result.status, show(result)).toBe(0);
    const summary = JSON.parse(lines(result.stdout).at(-1)!);
    expect(summary).toMatchObject({ type: 'summary', transmitted: 3, received: 3 });
    expect(checkJsonOutput(result.stdout, 'ping').problems, show(result)).toEqual([]);

    const packets = await decodeEchoes(file);
    expect(packets.every((p) => p.ipChecksumValid && p.icmpChecksumValid), JSON.stringify(packets)).toBe(true);
    expect(packets.map((p) => `${p.type} ${p.source}>${p.destination} id=${p.identifier} seq=${p.sequence}`)).toEqual([
      `request ${addressA}>${peer} id=${summary.identifier} seq=1`,
      `reply ${peer}>${addressA} id=${summary.identifier} seq=1`,
      `request ${addressA}>${peer} id=${summary.identifier} seq=2`,
      `reply ${peer}>${addressA} id=${summary.identifier} seq=2`,
      `request ${addressA}>${peer} id=${summary.identifier} seq=3`,
      `reply ${peer}>${addressA} id=${summary.identifier} seq=3`,
    ]);
    expectTsharkClean(file, 6);
  });

  it('--hdrincl sends requests whose IPv4 header ping built itself, and they are answered', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'cap');
    const { a, addressB: peer } = createPair();
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-hdrincl-`));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'hdrincl.pcap');

    const result = await ping(a, ['-c', '3', '-i', '0.2', '-t', '33', '--hdrincl', '--pcap', file, peer]);
    expect(result.status, show(result)).toBe(0);
    expect(statistics(result.stdout, peer)).toMatchObject({ transmitted: 3, received: 3 });
    const requests = (await decodeEchoes(file)).filter((p) => p.type === 'request');
    expect(requests).toHaveLength(3);
    // TTL 33 came from our header (IP_TTL is ignored with IP_HDRINCL); the kernel
    // would have set DF. Its checksum the kernel fills in either way.
    for (const request of requests) {
      expect(request).toMatchObject({ ttl: 33, dontFragment: false, ipChecksumValid: true, icmpChecksumValid: true });
    }
  });

  it('--pcap leaves a complete file and prints the statistics after SIGINT', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'cap', 'tshark');
    const { a, addressB: peer } = createPair();
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-pcap-`));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'sigint.pcap');

    // No -c: only the signal ends it (-w 15 just bounds it should the signal never come).
    const child = a.spawn(tsxCommand('src/ping.ts', ['-i', '0.2', '-w', '15', '--pcap', file, peer]), { timeoutMs: 20_000, env: bindingEnv(binding) });
    await child.waitForOutput(/icmp_seq=5 /, 10_000);
    // `ip netns exec` execs its command: the child's pid is node's own.
    const pid = child.pid!;
    expect(realpathSync(readlinkSync(`/proc/${pid}/exe`))).toBe(realpathSync(process.execPath));
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('src/ping.ts');
    child.signal('SIGINT');
    const result = await child.exited;
    expect(result.status, show(result)).toBe(0);
    expect(result.signal).toBeNull();
    const stats = statistics(result.stdout, peer);
    expect(stats.transmitted, show(result)).toBeGreaterThanOrEqual(5);
    // A request sent in the instant before the signal may still be in flight.
    expect(stats.received).toBeGreaterThanOrEqual(stats.transmitted - 1);
    expect(result.stdout).toMatch(new RegExp(RTT_LINE.source, 'm'));

    const packets = await decodeEchoes(file);
    expect(packets.every((p) => p.ipChecksumValid && p.icmpChecksumValid)).toBe(true);
    const requests = packets.filter((p) => p.type === 'request').map((p) => p.sequence);
    const replies = packets.filter((p) => p.type === 'reply').map((p) => p.sequence);
    expect(requests, 'every request sent is in the file').toEqual(Array.from({ length: stats.transmitted }, (_, i) => i + 1));
    expect(replies.slice(0, stats.received), 'every reply counted is in the file').toEqual(
      Array.from({ length: stats.received }, (_, i) => i + 1),
    );
    expect(replies.length).toBeLessThanOrEqual(stats.transmitted);
    expectTsharkClean(file, requests.length + replies.length);
  });

  it('explains in one line how to get privileges when run unprivileged', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'setpriv');
    const { ns } = createIsolated();
    const asNobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all'];
    // nobody must be able to read the code it runs; if not, this checkout cannot test it.
    const readable = ns.run([...asNobody, 'sh', '-c', 'test -r src/ping.ts && test -r node_modules/tsx/package.json']);
    if (readable.status !== 0) unavailable(ctx, `user nobody cannot read ${REPO_ROOT} or its node_modules`);

    const result = await ns.runAsync([...asNobody, ...tsxCommand('src/ping.ts', ['-c', '1', '127.0.0.1'])], { timeoutMs: 20_000, env: bindingEnv(binding) });
    expect(result.status, show(result)).toBe(2);
    expect(result.stdout).toBe('');
    const errLines = lines(result.stderr);
    expect(errLines, show(result)).toHaveLength(1);
    expect(errLines[0]).toMatch(/^ping: /);
    expect(errLines[0]).toMatch(/sudo/);
    expect(errLines[0]).toMatch(/setcap/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('rejects bad input with one line on stderr and exit status 2', async (ctx) => {
    needHere(ctx, 'netns');
    const { ns } = createIsolated();
    // Name lookups in this namespace read a private hosts file only: no DNS query can go out.
    ns.isolateResolver();
    const cases: Array<{ args: string[]; message: RegExp }> = [
      { args: ['-c', '1', 'no-such-host.invalid'], message: /no-such-host\.invalid: Name or service not known/ },
      { args: ['-c', '0', '127.0.0.1'], message: /-c/ },
      { args: ['-s', '70000', '127.0.0.1'], message: /70000/ },
      { args: ['-t', '0', '127.0.0.1'], message: /-t/ },
      { args: ['-t', '256', '127.0.0.1'], message: /-t.*256|256.*-t/ },
      { args: ['-p', 'xyz', '127.0.0.1'], message: /pattern.*xyz/ },
      { args: ['-i', 'abc', '127.0.0.1'], message: /-i.*abc/ },
      { args: ['-c', '1'], message: /[Dd]estination/ },
      { args: [], message: /[Dd]estination/ },
    ];
    const results = await Promise.all(cases.map(({ args }) => ping(ns, args, 15_000)));
    results.forEach((result, i) => {
      expect(result.status, show(result)).toBe(2);
      expect(result.stdout, show(result)).toBe('');
      const errLines = lines(result.stderr);
      expect(errLines, show(result)).toHaveLength(1);
      expect(errLines[0], show(result)).toMatch(/^ping: /);
      expect(errLines[0], show(result)).toMatch(cases[i].message);
      expect(result.durationMs, `${show(result)}\nthe resolver must not hang`).toBeLessThan(10_000);
    });
  });
});

// ---------------------------------------------------------------------------
// Reading back a capture

interface EchoPacket {
  type: 'request' | 'reply';
  source: string;
  destination: string;
  identifier: number;
  sequence: number;
  ipChecksumValid: boolean;
  icmpChecksumValid: boolean;
  ttl: number;
  dontFragment: boolean;
}

/** Every ICMP echo in a capture file, decoded link → IPv4 → ICMP with the lab's codecs. */
async function decodeEchoes(file: string): Promise<EchoPacket[]> {
  const packets: EchoPacket[] = [];
  for await (const record of readCaptureFile(file)) {
    const link = decodeLinkLayer(record.linkType, record.data);
    expect(link.ok, `link layer of record at ${record.offset}`).toBe(true);
    if (!link.ok || link.value.protocol !== 0x0800) continue;
    const ip = parseIpv4(link.value.payload);
    expect(ip.ok, `IPv4 of record at ${record.offset}`).toBe(true);
    if (!ip.ok || ip.value.protocol !== IpProtocol.ICMP) continue;
    const icmp = parseIcmp(ip.value.payload);
    expect(icmp.ok, `ICMP of record at ${record.offset}`).toBe(true);
    if (!icmp.ok || icmp.value.kind !== 'echo') continue;
    packets.push({
      type: icmp.value.type === IcmpType.EchoRequest ? 'request' : 'reply',
      source: ip.value.source,
      destination: ip.value.destination,
      identifier: icmp.value.identifier,
      sequence: icmp.value.sequence,
      ipChecksumValid: ip.value.checksumValid,
      icmpChecksumValid: icmp.value.checksumValid,
      ttl: ip.value.ttl,
      dontFragment: ip.value.flags.dontFragment,
    });
  }
  return packets;
}

/** tshark reads the whole file: `count` ICMP packets, checksums good, nothing malformed or cut short. */
function expectTsharkClean(file: string, count: number): void {
  const fields = run(
    ['tshark', '-r', file, '-o', 'ip.check_checksum:TRUE', '-Y', 'icmp', '-T', 'fields',
      '-e', 'ip.checksum.status', '-e', 'icmp.checksum.status', '-e', '_ws.malformed'],
    { timeoutMs: 30_000 },
  );
  expect(fields.status, fields.stderr).toBe(0);
  expect(fields.stderr).not.toMatch(/cut short|malformed|isn't a capture file/i);
  const rows = lines(fields.stdout).filter(Boolean);
  expect(rows).toHaveLength(count);
  // checksum.status 1 is "Good"; _ws.malformed is empty when the dissectors found nothing wrong.
  for (const row of rows) expect(row.split('\t')).toEqual(['1', '1', '']);
  const bad = run(['tshark', '-r', file, '-o', 'ip.check_checksum:TRUE', '-Y', '_ws.malformed || _ws.expert.severity >= error'], {
    timeoutMs: 30_000,
  });
  expect(bad.status, bad.stderr).toBe(0);
  expect(bad.stdout).toBe('');
}
