// iputils ping's flags -I, -O, -a, -U, -M, -Q, -b, -e and -V, each run with
// iputils ping and ours on the same veth pair (test/helpers/netns.ts
// createPair) and the lines compared, timings aside (shape()). Where a flag
// changes what goes on the wire (-Q, -e, and -M over IPv6, where the kernel
// fragments at the source) an nftables counter in the peer namespace checks
// the packets too; -Q and -M run over IPv6 as well (createPair({ ipv6: true })),
// where they set IPV6_TCLASS and IPV6_MTU_DISCOVER. Every test runs over both socket
// bindings; where one cannot do a flag (-I ADDRESS on raw-socket) it must
// say so in one line and exit 2.
//
// Needs root, iproute2, ethtool, nftables and iputils-ping; CI=true turns a
// missing one into a failure.
import { afterAll, afterEach, describe, expect, it, type TestContext } from 'vitest';
import { createPair, leftoverNamespaces, type Namespace, teardownAll } from './helpers/netns.ts';
import { BINDINGS, iputilsPing, lines, need, pingWith, type Prerequisite, show, shape } from './helpers/ping-runs.ts';

afterEach(async () => {
  expect(await teardownAll(), 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

/** The packets an nftables named counter in `ns` has seen (in `table`, ip pingflags by default). */
function counted(ns: Namespace, name: string, table: readonly [family: string, name: string] = ['ip', 'pingflags']): number {
  const listed = ns.check(['nft', 'list', 'counter', ...table, name]).stdout;
  const match = /packets (\d+)/.exec(listed);
  expect(match, listed).not.toBeNull();
  return Number(match![1]);
}

/** Counters in the peer for echo requests carrying DSCP 4 (TOS 0x10) and identifier 4660. */
function countRequests(ns: Namespace): void {
  ns.check(['nft', '-f', '-'], {
    input: `table ip pingflags {
  counter tos16 {}
  counter id4660 {}
  chain input {
    type filter hook input priority 0; policy accept;
    icmp type echo-request ip dscp 4 counter name tos16
    icmp type echo-request icmp id 4660 counter name id4660
  }
}
`,
  });
}

const PINGFLAGS6 = ['ip6', 'pingflags6'] as const;

/**
 * Counters in the peer for IPv6 echo requests carrying traffic class 0x10
 * (DSCP 4, ECN 0), and for fragments. In prerouting before nf_defrag_ipv6
 * (priority -400) so fragments are counted as they came, never reassembled.
 */
function countRequests6(ns: Namespace): void {
  ns.check(['nft', '-f', '-'], {
    input: `table ip6 pingflags6 {
  counter tclass16 {}
  counter fragments {}
  chain prerouting {
    type filter hook prerouting priority -450; policy accept;
    icmpv6 type echo-request ip6 dscp 4 ip6 ecn not-ect counter name tclass16
    ip6 nexthdr ipv6-frag counter name fragments
  }
}
`,
  });
}

describe.each(BINDINGS)('ping flags against iputils, on a veth pair, over the %s binding', (binding) => {
  const ping = (ns: Namespace, args: readonly string[]) => pingWith(binding, ns, args);
  const needHere = (ctx: TestContext, ...what: Prerequisite[]) => need(ctx, 'netns', 'raw', 'iputils', ...what, ...(binding === 'linux' ? (['linux-binding'] as const) : []));

  /**
   * iputils' lines as ours must print them, timings aside: over IPv6,
   * raw-socket reads no hop limit, so ours prints no "ttl=" there (as in ping6-e2e).
   */
  const iputilsShape = (args: readonly string[], text: string) =>
    shape(binding === 'raw-socket' && args.includes('-6') ? text.replace(/ ttl=\d+ /g, ' ') : text);

  /** Runs both with `args`; both must end with `status`, and print the same lines, timings aside. */
  async function sameAsIputils(ns: Namespace, args: readonly string[], status = 0) {
    const [ours, theirs] = await Promise.all([ping(ns, args), iputilsPing(ns, args)]);
    expect(theirs.status, show(theirs)).toBe(status);
    expect(ours.status, show(ours)).toBe(status);
    expect(shape(ours.stdout), show(theirs)).toEqual(iputilsShape(args, theirs.stdout));
    expect(ours.stderr, show(theirs)).toBe(theirs.stderr);
    return { ours, theirs };
  }

  it('-I IFACE binds to the interface and names it in the header; an unknown one is refused as iputils refuses it', async (ctx) => {
    needHere(ctx);
    const { a, addressA, addressB: peer, deviceA } = createPair();
    const { ours } = await sameAsIputils(a, ['-c', '2', '-i', '0.2', '-I', deviceA, peer]);
    expect(lines(ours.stdout)[0]).toBe(`PING ${peer} (${peer}) from ${addressA} ${deviceA}: 56(84) bytes of data.`);
    // Bound to lo, the peer is out of reach: nothing comes back, as with iputils.
    const [viaLo, iputilsViaLo] = await Promise.all([ping(a, ['-c', '1', '-W', '1', '-I', 'lo', peer]), iputilsPing(a, ['-c', '1', '-W', '1', '-I', 'lo', peer])]);
    expect(viaLo.status, show(viaLo)).toBe(iputilsViaLo.status);
    expect(viaLo.stdout, show(iputilsViaLo)).toMatch(/, 0 received, /);
    const { ours: unknown } = await sameAsIputils(a, ['-c', '1', '-I', 'nosuch0', peer], 2);
    expect(unknown.stderr).toBe('ping: SO_BINDTODEVICE nosuch0: No such device\n');
    expect(unknown.stdout).toBe('');
  });

  it('-I ADDRESS sends from that address (the Linux binding), or says in one line that raw-socket cannot', async (ctx) => {
    needHere(ctx);
    const { a, addressA, addressB: peer } = createPair();
    if (binding === 'linux') {
      const { ours } = await sameAsIputils(a, ['-c', '2', '-i', '0.2', '-I', addressA, peer]);
      expect(lines(ours.stdout)[0]).toBe(`PING ${peer} (${peer}) from ${addressA} : 56(84) bytes of data.`);
      const { ours: foreign } = await sameAsIputils(a, ['-c', '1', '-I', '10.9.9.9', peer], 2);
      expect(foreign.stderr).toBe('ping: bind: Cannot assign requested address\n');
    } else {
      const ours = await ping(a, ['-c', '1', '-I', addressA, peer]);
      expect(ours.status, show(ours)).toBe(2);
      expect(ours.stdout).toBe('');
      expect(ours.stderr).toBe(`ping: -I ${addressA}: binding to a source address needs the Linux binding (raw-socket cannot bind a raw socket)\n`);
    }
  });

  it('-O reports a request still unanswered when the next goes out, and nothing when replies come', async (ctx) => {
    needHere(ctx);
    const { a, addressB: peer, absentAddress } = createPair();
    const { ours } = await sameAsIputils(a, ['-c', '2', '-i', '0.2', '-O', absentAddress], 1);
    expect(lines(ours.stdout)[1]).toBe('no answer yet for icmp_seq=1');
    const { ours: answered } = await sameAsIputils(a, ['-c', '3', '-i', '0.2', '-O', peer]);
    expect(answered.stdout).not.toContain('no answer yet');
  });

  it('-a rings the bell at the end of each reply line', async (ctx) => {
    needHere(ctx);
    const { a, addressB: peer } = createPair();
    const { ours, theirs } = await sameAsIputils(a, ['-c', '2', '-i', '0.2', '-a', peer]);
    const bells = (text: string) => lines(text).filter((line) => line.endsWith(' ms\x07')).length;
    expect(bells(ours.stdout), JSON.stringify(ours.stdout)).toBe(2);
    expect(bells(theirs.stdout)).toBe(2);
  });

  it('-U prints the same lines, its RTTs read in user space (said by -v and --json)', async (ctx) => {
    needHere(ctx);
    const { a, addressB: peer } = createPair();
    await sameAsIputils(a, ['-c', '2', '-i', '0.2', '-U', peer]);
    const verbose = await ping(a, ['-c', '1', '-U', '-v', peer]);
    expect(verbose.stderr).toBe(
      binding === 'linux'
        ? 'ping: rtt source: user-to-user (-U): send time taken in C before sendto, receive time read in javascript (Linux binding)\n'
        : 'ping: rtt source: javascript clocks around the raw-socket binding\n',
    );
    const json = await ping(a, ['-c', '1', '-U', '--json', peer]);
    expect(JSON.parse(lines(json.stdout).at(-1)!)).toMatchObject({ type: 'summary', rttSource: 'javascript' });
  });

  it('-M do refuses a packet over the MTU with iputils\' local error; -M dont fragments it; -M want and probe ping', async (ctx) => {
    needHere(ctx);
    const { a, addressB: peer } = createPair();
    const { ours: tooLong } = await sameAsIputils(a, ['-c', '1', '-M', 'do', '-s', '2000', peer], 1);
    expect(tooLong.stderr).toBe('ping: local error: message too long, mtu=1500\n');
    expect(lines(tooLong.stdout)[3]).toMatch(/^1 packets transmitted, 0 received, \+1 errors, 100% packet loss/);
    // iputils: under -q no line and no "+1 errors"; under -f an "E" and no line.
    const { ours: quiet } = await sameAsIputils(a, ['-c', '1', '-q', '-W', '1', '-M', 'do', '-s', '2000', peer], 1);
    expect(quiet.stderr).toBe('');
    const { ours: flooded } = await sameAsIputils(a, ['-c', '1', '-f', '-M', 'do', '-s', '2000', peer], 1);
    expect(lines(flooded.stdout)[1]).toBe('E');
    const { ours: fragmented } = await sameAsIputils(a, ['-c', '1', '-M', 'dont', '-s', '2000', peer]);
    expect(lines(fragmented.stdout)[1]).toMatch(/^2008 bytes from /);
    await sameAsIputils(a, ['-c', '1', '-M', 'want', peer]);
    // iputils 20221126 knows no "probe" for IPv4 (later releases do): ours only has to ping.
    const probe = await ping(a, ['-c', '1', '-M', 'probe', peer]);
    expect(probe.status, show(probe)).toBe(0);
    const { ours: bogus } = await sameAsIputils(a, ['-c', '1', '-M', 'bogus', peer], 2);
    expect(bogus.stderr).toBe('ping: invalid -M argument: bogus\n');
  });

  it('-Q sets the TOS byte on the requests; bad values are refused with iputils\' words', async (ctx) => {
    needHere(ctx, 'nft');
    const { a, b, addressB: peer } = createPair();
    countRequests(b);
    const theirs = await iputilsPing(a, ['-c', '2', '-i', '0.2', '-Q', '0x10', peer]);
    expect(counted(b, 'tos16'), show(theirs)).toBe(2);
    const ours = await ping(a, ['-c', '2', '-i', '0.2', '-Q', '0x10', peer]);
    expect(counted(b, 'tos16'), show(ours)).toBe(4);
    expect(ours.status, show(ours)).toBe(0);
    expect(shape(ours.stdout)).toEqual(shape(theirs.stdout));
    await sameAsIputils(a, ['-c', '1', '-Q', '16', peer]);
    expect(counted(b, 'tos16')).toBe(6);
    for (const bad of ['300', 'bad', '0x1g']) await sameAsIputils(a, ['-c', '1', '-Q', bad, peer], 2);
  });

  it('-6 -M do refuses a packet over the MTU with iputils\' IPv6 local error; -M dont and want let the kernel fragment it', async (ctx) => {
    needHere(ctx, 'nft');
    const { a, b, address6B: peer } = createPair({ ipv6: true });
    countRequests6(b);
    const { ours: tooLong } = await sameAsIputils(a, ['-6', '-c', '1', '-M', 'do', '-s', '2000', peer], 1);
    // ping6_common.c's words ("mtu: ", where ping4.c writes "mtu="); the 1500 of the veth.
    expect(tooLong.stderr).toBe('ping: local error: message too long, mtu: 1500\n');
    expect(lines(tooLong.stdout)).toEqual([`PING ${peer}(${peer}) 2000 data bytes`, '', `--- ${peer} ping statistics ---`, expect.stringMatching(/^1 packets transmitted, 0 received, \+1 errors, 100% packet loss, time \d+ms$/), '']);
    // The largest that fits: 1500 - 40 (IPv6) - 8 (ICMPv6).
    await sameAsIputils(a, ['-6', '-c', '1', '-M', 'do', '-s', '1452', peer]);
    const { ours: quiet } = await sameAsIputils(a, ['-6', '-c', '1', '-q', '-W', '1', '-M', 'do', '-s', '2000', peer], 1);
    expect(quiet.stderr).toBe('');
    const { ours: flooded } = await sameAsIputils(a, ['-6', '-c', '2', '-f', '-M', 'do', '-s', '2000', peer], 1);
    expect(lines(flooded.stdout)[1]).toBe('EE');
    expect(counted(b, 'fragments', PINGFLAGS6), 'nothing went out').toBe(0);

    // -M dont: the kernel fragments at the source, a fragment header in each piece (2048 bytes in two).
    const dont = ['-6', '-c', '1', '-M', 'dont', '-s', '2000', peer];
    const theirs = await iputilsPing(a, dont);
    expect(theirs.status, show(theirs)).toBe(0);
    expect(counted(b, 'fragments', PINGFLAGS6), show(theirs)).toBe(2);
    const ours = await ping(a, dont);
    expect(ours.status, show(ours)).toBe(0);
    expect(counted(b, 'fragments', PINGFLAGS6), show(ours)).toBe(4);
    expect(shape(ours.stdout)).toEqual(iputilsShape(dont, theirs.stdout));
    expect(lines(ours.stdout)[1]).toMatch(/^2008 bytes from /);
    await sameAsIputils(a, ['-6', '-c', '1', '-M', 'want', '-s', '2000', peer]);
    expect(counted(b, 'fragments', PINGFLAGS6)).toBe(8);

    // --hdrincl: the IPPROTO_RAW socket sends the packet as built and never fragments it.
    const built = await ping(a, ['-6', '-c', '1', '--hdrincl', '-M', 'dont', '-s', '2000', peer]);
    expect(built.status, show(built)).toBe(1);
    expect(built.stderr).toBe('ping: local error: message too long, mtu: 1500\n');
    expect(counted(b, 'fragments', PINGFLAGS6)).toBe(8);
    // iputils 20221126 knows no "probe" (later releases do): ours only has to ping.
    const probe = await ping(a, ['-6', '-c', '1', '-M', 'probe', peer]);
    expect(probe.status, show(probe)).toBe(0);
    const { ours: bogus } = await sameAsIputils(a, ['-6', '-c', '1', '-M', 'bogus', peer], 2);
    expect(bogus.stderr).toBe('ping: invalid -M argument: bogus\n');
  });

  it('-6 -Q sets the traffic class of the requests (IPV6_TCLASS, or the header --hdrincl builds); bad values refused as iputils refuses them', async (ctx) => {
    needHere(ctx, 'nft');
    const { a, b, address6B: peer } = createPair({ ipv6: true });
    countRequests6(b);
    const args = ['-6', '-c', '2', '-i', '0.2', '-Q', '0x10', peer];
    const theirs = await iputilsPing(a, args);
    expect(theirs.status, show(theirs)).toBe(0);
    expect(counted(b, 'tclass16', PINGFLAGS6), show(theirs)).toBe(2);
    const ours = await ping(a, args);
    expect(ours.status, show(ours)).toBe(0);
    expect(counted(b, 'tclass16', PINGFLAGS6), show(ours)).toBe(4);
    expect(shape(ours.stdout)).toEqual(iputilsShape(args, theirs.stdout));
    await sameAsIputils(a, ['-6', '-c', '1', '-Q', '16', peer]);
    expect(counted(b, 'tclass16', PINGFLAGS6)).toBe(6);
    const built = await ping(a, ['-6', '-c', '1', '--hdrincl', '-Q', '0x10', peer]);
    expect(built.status, show(built)).toBe(0);
    expect(counted(b, 'tclass16', PINGFLAGS6), show(built)).toBe(7);
    // Without -Q the traffic class stays 0.
    await sameAsIputils(a, ['-6', '-c', '1', peer]);
    expect(counted(b, 'tclass16', PINGFLAGS6)).toBe(7);
    for (const bad of ['300', 'bad', '0x1g']) await sameAsIputils(a, ['-6', '-c', '1', '-Q', bad, peer], 2);
  });

  it('-b pings a broadcast address and takes the replies of the hosts; without -b, iputils\' refusal', async (ctx) => {
    needHere(ctx);
    const { a, b, addressB } = createPair();
    const broadcast = addressB.replace(/\.\d+$/, '.255');
    b.sysctl('net.ipv4.icmp_echo_ignore_broadcasts', 0);
    const { ours } = await sameAsIputils(a, ['-c', '2', '-i', '0.2', '-b', broadcast]);
    expect(ours.stderr).toBe('WARNING: pinging broadcast address\n');
    expect(lines(ours.stdout)[1]).toMatch(new RegExp(`^64 bytes from ${addressB.replace(/\./g, '\\.')}: icmp_seq=1 `));
    const { ours: refused } = await sameAsIputils(a, ['-c', '1', broadcast], 2);
    expect(refused.stderr).toBe('ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules\n');
    // -b to a unicast address changes nothing.
    await sameAsIputils(a, ['-c', '1', '-b', addressB]);
  });

  it('-e sets the ICMP identifier; iputils\' words for a bad one', async (ctx) => {
    needHere(ctx, 'nft');
    const { a, b, addressB: peer } = createPair();
    countRequests(b);
    const ours = await ping(a, ['-c', '2', '-i', '0.2', '-e', '4660', '--json', peer]);
    expect(ours.status, show(ours)).toBe(0);
    expect(counted(b, 'id4660'), show(ours)).toBe(2);
    expect(JSON.parse(lines(ours.stdout).at(-1)!)).toMatchObject({ type: 'summary', identifier: 4660, received: 2 });
    await sameAsIputils(a, ['-c', '2', '-i', '0.2', '-e', '4660', peer]);
    for (const bad of ['70000', '0x10', '-1']) {
      // iputils exits 1 for these; a user mistake exits 2 in every packet-lab tool.
      const [mine, theirs] = await Promise.all([ping(a, ['-c', '1', '-e', bad, peer]), iputilsPing(a, ['-c', '1', '-e', bad, peer])]);
      expect(mine.stderr, show(theirs)).toBe(theirs.stderr);
      expect(mine.status, show(mine)).toBe(2);
    }
  });

  it('-V prints a version line and a build line in iputils\' shape', async (ctx) => {
    needHere(ctx);
    const { a } = createPair();
    const [ours, theirs] = await Promise.all([ping(a, ['-V']), iputilsPing(a, ['-V'])]);
    expect(theirs.status).toBe(0);
    expect(ours.status, show(ours)).toBe(0);
    expect(lines(theirs.stdout)).toEqual([expect.stringMatching(/^ping from iputils \S+$/), expect.stringMatching(/^(?:[^:,]+: (?:yes|no)(?:, |$))+/)]);
    const [version, build] = lines(ours.stdout);
    expect(lines(ours.stdout)).toHaveLength(2);
    expect(version).toMatch(/^ping from packet-lab \d+\.\d+\.\d+$/);
    expect(build).toMatch(binding === 'linux' ? /^linux binding: yes, raw-socket: yes, cap: (?:yes|no)$/ : /^linux binding: (?:yes|no), raw-socket: yes, cap: (?:yes|no)$/);
  });
});
