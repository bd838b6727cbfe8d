// ping -6 end to end, line for line against iputils 20221126 `ping -6` on the
// same namespaces (timings aside): replies, ::1, a link-local address with
// its scope, Time exceeded from a router (hop limit 1), Address unreachable
// (no neighbor answers), Packet too big from a 1280-MTU link, -p, -s, -w, -f,
// -l, --pcap and --json, the statistics and exit codes, and the bad-input
// cases, each over both socket bindings. No packet leaves the namespaces
// (test/helpers/netns.ts, IPv6 ULA addresses added nodad, NDP only on the veths).
//
// raw-socket reads no ancillary data, so over IPv6 it cannot know a reply's
// hop limit: our ping then prints no "ttl=", as iputils does without
// IPV6_HOPLIMIT, and those runs are compared with iputils' lines less "ttl=N".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, type TestContext } from 'vitest';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { Icmpv6Type, parseIcmpv6 } from '../src/wire/icmpv6.ts';
import { parseIpv6 } from '../src/wire/ipv6.ts';
import { decodeLinkLayer } from '../src/wire/link-type.ts';
import { type Namespace, createChain, createIsolated, createPair, leftoverNamespaces, NAME_PREFIX, teardownAll } from './helpers/netns.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';
import {
  BINDINGS,
  escapeRegExp,
  iputilsPing,
  lines,
  need,
  pingWith,
  type Prerequisite,
  RTT,
  RTT_SOURCE,
  shape,
  show,
  statistics,
} from './helpers/ping-runs.ts';

afterEach(async () => {
  const problems = await teardownAll();
  expect(problems, 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

/** The link-local address of `dev` in `ns`. */
function linkLocal(ns: Namespace, dev: string): string {
  return /fe80::[0-9a-f:]+/.exec(ns.check(['ip', '-6', '-o', 'addr', 'show', 'dev', dev, 'scope', 'link']).stdout)![0];
}

describe.each(BINDINGS)('ping -6 end to end, in network namespaces, over the %s binding', (binding) => {
  const ping = (ns: Namespace, args: readonly string[]) => pingWith(binding, ns, args);
  const needHere = (ctx: TestContext, ...what: Prerequisite[]) => need(ctx, ...what, ...(binding === 'linux' ? (['linux-binding'] as const) : []));
  /** The hop limit as our reply lines print it on this binding: known on the Linux binding only. */
  const ttl = (hops: number) => (binding === 'linux' ? ` ttl=${hops}` : '');
  /** iputils' output as ours must print it on this binding. */
  const theirShape = (text: string, replace: Record<string, string> = {}) =>
    shape(binding === 'linux' ? text : text.replace(/ ttl=\d+ /g, ' '), replace);

  function reply(from: string, sequence: number, hops = 64, bytes = 64): RegExp {
    return new RegExp(`^${bytes} bytes from ${escapeRegExp(from)}: icmp_seq=${sequence}${ttl(hops)} time=${RTT} ms$`);
  }

  it('gets replies and prints them as iputils ping -6 does', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, address6B: peer } = createPair({ ipv6: true });
    const args = ['-c', '3', '-i', '0.2', peer];
    const ours = await ping(a, args);
    expect(ours.status, show(ours)).toBe(0);
    expect(ours.stderr, show(ours)).toBe('');
    const out = lines(ours.stdout);
    expect(out[0]).toBe(`PING ${peer}(${peer}) 56 data bytes`);
    for (const sequence of [1, 2, 3]) expect(out[sequence], show(ours)).toMatch(reply(peer, sequence));
    expect(out.slice(4, 7)).toEqual(['', `--- ${peer} ping statistics ---`, expect.stringMatching(/^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$/)]);
    const theirs = await iputilsPing(a, args);
    expect(theirs.status, show(theirs)).toBe(0);
    expect(shape(ours.stdout), show(theirs)).toEqual(theirShape(theirs.stdout));
  });

  it('pings ::1, and a link-local address with its scope, as iputils does', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, b } = createPair({ ipv6: true });
    const peer = `${linkLocal(b, 'vethB')}%vethA`;
    for (const host of ['::1', peer]) {
      const args = ['-c', '2', '-i', '0.2', host];
      const [ours, theirs] = await Promise.all([ping(a, args), iputilsPing(a, args)]);
      expect(ours.status, show(ours)).toBe(0);
      expect(lines(ours.stdout)[0]).toBe(`PING ${host}(${host}) 56 data bytes`);
      // The reply's source carries its scope (sin6_scope_id), named as iputils names it.
      if (binding === 'linux') expect(lines(ours.stdout)[1], show(ours)).toMatch(reply(host, 1));
      expect(theirs.status, show(theirs)).toBe(0);
      // raw-socket formats a source without its scope (libuv's uv_ip6_name).
      const scopeless = binding === 'linux' ? {} : { [`from ${peer}:`]: `from ${peer.split('%')[0]}:` };
      expect(shape(ours.stdout), show(theirs)).toEqual(theirShape(theirs.stdout, scopeless));
    }
  });

  it('reports Time exceeded: Hop limit from the router with -t 1', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { client, routerClientSide6, serverAddress6 } = createChain({ ipv6: true });
    const through = await ping(client, ['-c', '1', serverAddress6]);
    expect(through.status, show(through)).toBe(0);
    expect(lines(through.stdout)[1]).toMatch(reply(serverAddress6, 1, 63));

    const args = ['-c', '2', '-i', '0.2', '-t', '1', serverAddress6];
    const ours = await ping(client, args);
    expect(ours.status, show(ours)).toBe(1);
    const out = lines(ours.stdout);
    expect(out.slice(1, 3), show(ours)).toEqual([
      `From ${routerClientSide6} icmp_seq=1 Time exceeded: Hop limit`,
      `From ${routerClientSide6} icmp_seq=2 Time exceeded: Hop limit`,
    ]);
    expect(statistics(ours.stdout, serverAddress6)).toMatchObject({ transmitted: 2, received: 0, errors: 2, loss: '100' });
    const theirs = await iputilsPing(client, args);
    expect(theirs.status, show(theirs)).toBe(1);
    expect(shape(ours.stdout), show(theirs)).toEqual(theirShape(theirs.stdout));
  });

  it('reports Destination unreachable: Address unreachable when no neighbor answers', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, address6A, absentAddress6 } = createPair({ ipv6: true });
    // Two absent addresses side by side, to halve the ~3 s of neighbor solicitations.
    const otherAbsent = absentAddress6.replace(/99$/, '98');
    const [ours, theirs] = await Promise.all([
      ping(a, ['-c', '3', '-i', '0.5', absentAddress6]),
      iputilsPing(a, ['-c', '3', '-i', '0.5', otherAbsent]),
    ]);
    expect(ours.status, show(ours)).toBe(1);
    const out = lines(ours.stdout);
    for (const sequence of [1, 2, 3]) {
      expect(out[sequence], show(ours)).toBe(`From ${address6A} icmp_seq=${sequence} Destination unreachable: Address unreachable`);
    }
    expect(statistics(ours.stdout, absentAddress6)).toMatchObject({ transmitted: 3, received: 0, errors: 3, loss: '100' });
    expect(theirs.status, show(theirs)).toBe(1);
    // No "pipe": iputils does not count ICMPv6 errors there.
    expect(shape(ours.stdout), show(theirs)).toEqual(theirShape(theirs.stdout, { [otherAbsent]: absentAddress6 }));
  });

  it('reports Packet too big: mtu=1280 from a router whose next link is 1280 bytes, then gets fragmented replies', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { client, router, server, routerClientSide6, serverAddress6 } = createChain({ ipv6: true });
    router.check(['ip', 'link', 'set', 'dev', 'vethRS', 'mtu', '1280']);
    server.check(['ip', 'link', 'set', 'dev', 'vethS', 'mtu', '1280']);
    const args = ['-c', '3', '-i', '0.2', '-s', '1400', serverAddress6];
    const ours = await ping(client, args);
    // The client learned the path MTU: forget it, so iputils meets the same router answer.
    client.check(['ip', '-6', 'route', 'flush', 'cache']);
    const theirs = await iputilsPing(client, args);
    expect(ours.status, show(ours)).toBe(0);
    const out = lines(ours.stdout);
    expect(out.slice(0, 4), show(ours)).toEqual([
      `PING ${serverAddress6}(${serverAddress6}) 1400 data bytes`,
      `From ${routerClientSide6} icmp_seq=1 Packet too big: mtu=1280`,
      expect.stringMatching(reply(serverAddress6, 2, 63, 1408)),
      expect.stringMatching(reply(serverAddress6, 3, 63, 1408)),
    ]);
    expect(statistics(ours.stdout, serverAddress6)).toMatchObject({ transmitted: 3, received: 2, errors: 1, loss: '33.3333' });
    expect(theirs.status, show(theirs)).toBe(0);
    expect(shape(ours.stdout), show(theirs)).toEqual(theirShape(theirs.stdout));
  });

  it('-p, -s 2000 (fragmented), -w 1 -i 0.2, -f and -l 3 print what iputils prints', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, address6B: peer } = createPair({ ipv6: true });
    const flood = (text: string[]) => text.map((line) => line.replace(/^(rtt min.*), ipg\/ewma [\d./]+ ms$/, '$1, ipg/ewma <t> ms'));
    for (const args of [
      ['-c', '2', '-i', '0.2', '-p', 'ff00', peer],
      ['-c', '2', '-i', '0.2', '-s', '2000', peer],
      ['-w', '1', '-i', '0.2', peer],
      ['-f', '-c', '20', peer],
      ['-l', '3', '-c', '5', '-i', '0.2', peer],
    ]) {
      const [ours, theirs] = await Promise.all([ping(a, args), iputilsPing(a, args)]);
      expect(ours.status, show(ours)).toBe(0);
      expect(theirs.status, show(theirs)).toBe(0);
      expect(flood(shape(ours.stdout)), `${args.join(' ')}\n${show(ours)}\n${show(theirs)}`).toEqual(flood(theirShape(theirs.stdout)));
    }
  });

  it('stops at connect with "Network is unreachable" and exit 2 when there is no IPv6 route, as iputils', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    // The pair has routes for its own /64 only.
    const { a } = createPair({ ipv6: true });
    const args = ['-c', '2', '-i', '0.2', 'fd00:214::1'];
    const [ours, theirs] = await Promise.all([ping(a, args), iputilsPing(a, args)]);
    expect(theirs.status, show(theirs)).toBe(2);
    expect(ours.status, show(ours)).toBe(2);
    expect(ours.stdout, show(ours)).toBe('');
    expect(lines(ours.stderr), show(ours)).toEqual(lines(theirs.stderr));
  });

  it('--pcap records ICMPv6 requests and replies on the right interface, --json fits the schema', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'cap');
    const { a, address6A, address6B: peer } = createPair({ ipv6: true });
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-pcap6-`));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'ping6.pcap');
    const result = await ping(a, ['-c', '3', '-i', '0.2', '--json', '--pcap', file, peer]);
    expect(result.status, show(result)).toBe(0);
    expect(checkJsonOutput(result.stdout, 'ping').problems, show(result)).toEqual([]);
    const records = lines(result.stdout).map((line) => JSON.parse(line));
    expect(records[0]).toMatchObject({ type: 'start', tool: 'ping', host: peer, address: peer, family: 6, payloadSize: 56, packetSize: 104 });
    const summary = records.at(-1);
    expect(summary).toMatchObject({ type: 'summary', family: 6, transmitted: 3, received: 3, rttSource: RTT_SOURCE[binding] });
    const replies = records.filter((record) => record.type === 'reply');
    expect(replies.map((record) => record.ttl)).toEqual(binding === 'linux' ? [64, 64, 64] : [undefined, undefined, undefined]);

    const seen: string[] = [];
    for await (const record of readCaptureFile(file)) {
      const link = decodeLinkLayer(record.linkType, record.data);
      expect(link.ok).toBe(true);
      if (!link.ok || link.value.protocol !== 0x86dd) continue;
      const ip = parseIpv6(link.value.payload);
      expect(ip.ok).toBe(true);
      if (!ip.ok) continue;
      const icmp = parseIcmpv6(ip.value.payload, { source: ip.value.source, destination: ip.value.destination });
      if (!icmp.ok || icmp.value.kind !== 'echo') continue;
      expect(icmp.value.checksumValid).toBe(true);
      const kind = icmp.value.type === Icmpv6Type.EchoRequest ? 'request' : 'reply';
      seen.push(`${kind} ${ip.value.source}>${ip.value.destination} hlim=${ip.value.hopLimit} id=${icmp.value.identifier} seq=${icmp.value.sequence}`);
    }
    expect(seen).toEqual(
      [1, 2, 3].flatMap((sequence) => [
        `request ${address6A}>${peer} hlim=64 id=${summary.identifier} seq=${sequence}`,
        `reply ${peer}>${address6A} hlim=64 id=${summary.identifier} seq=${sequence}`,
      ]),
    );
  });

  it('resolves a name to its AAAA record with -6, and prints it as iputils does', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'iputils');
    const { a, address6B: peer, addressB } = createPair({ ipv6: true });
    // A private hosts file: no DNS query can leave the namespace.
    a.isolateResolver(`127.0.0.1 localhost\n${addressB} peer-both\n${peer} peer-both\n${peer} peer-six\n`);
    for (const args of [
      ['-6', '-c', '2', '-i', '0.2', 'peer-both'],
      ['-c', '2', '-i', '0.2', 'peer-six'],
    ]) {
      const [ours, theirs] = await Promise.all([ping(a, args), iputilsPing(a, args)]);
      expect(ours.status, show(ours)).toBe(0);
      // The header names the address as the reply lines do: "name (address)", the name from getnameinfo().
      expect(lines(ours.stdout)[0], show(ours)).toBe(`PING ${args.at(-1)}(peer-both (${peer})) 56 data bytes`);
      expect(theirs.status, show(theirs)).toBe(0);
      expect(shape(ours.stdout), show(theirs)).toEqual(theirShape(theirs.stdout));
    }
  });

  it('--hdrincl writes the IPv6 header itself (an IPPROTO_RAW socket) and the ICMPv6 checksum, and is answered', async (ctx) => {
    needHere(ctx, 'netns', 'raw', 'cap');
    const { a, address6A, address6B: peer } = createPair({ ipv6: true });
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-hdrincl6-`));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'hdrincl6.pcap');
    const result = await ping(a, ['-c', '3', '-i', '0.2', '-t', '33', '--hdrincl', '--pcap', file, peer]);
    expect(result.status, show(result)).toBe(0);
    expect(statistics(result.stdout, peer)).toMatchObject({ transmitted: 3, received: 3 });
    const requests: string[] = [];
    for await (const record of readCaptureFile(file)) {
      const link = decodeLinkLayer(record.linkType, record.data);
      if (!link.ok || link.value.protocol !== 0x86dd) continue;
      const ip = parseIpv6(link.value.payload);
      if (!ip.ok || ip.value.source !== address6A) continue;
      const icmp = parseIcmpv6(ip.value.payload, { source: ip.value.source, destination: ip.value.destination });
      if (!icmp.ok || icmp.value.kind !== 'echo') continue;
      // Hop limit 33 and flow label 0 from our header (the kernel would have used 64 and a flow label of its own).
      requests.push(`hlim=${ip.value.hopLimit} flow=${ip.value.flowLabel} checksum=${icmp.value.checksumValid} seq=${icmp.value.sequence}`);
    }
    expect(requests).toEqual([1, 2, 3].map((sequence) => `hlim=33 flow=0 checksum=true seq=${sequence}`));
  });

  it('rejects -4 with an IPv6 literal, -6 with an IPv4 one and unknown scopes in iputils\' words, exit 2', async (ctx) => {
    needHere(ctx, 'netns', 'iputils');
    const { ns } = createIsolated();
    ns.isolateResolver('127.0.0.1 localhost\n');
    for (const args of [
      ['-4', '-c', '1', '::1'],
      ['-6', '-c', '1', '127.0.0.1'],
      ['-c', '1', 'fe80::1%nosuch'],
      ['-6', '-c', '1', 'fe80::1%nosuch'],
      ['-c', '1', '::1%lo'],
      ['-6', '-c', '1', 'localhost'],
      ['-4', '-6', '-c', '1', '::1'],
    ]) {
      const [ours, theirs] = await Promise.all([ping(ns, args), iputilsPing(ns, args)]);
      expect(theirs.status, show(theirs)).toBe(2);
      expect(ours.status, show(ours)).toBe(2);
      expect(ours.stdout, show(ours)).toBe('');
      expect(lines(ours.stderr), `${show(ours)}\n${show(theirs)}`).toEqual(lines(theirs.stderr));
    }
  });
});
