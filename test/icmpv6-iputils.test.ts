// iputils ping -6 as the oracle for ICMPv6 errors: a router namespace sends
// each error for real (hop limit 1, a 1280-byte link, nftables `reject with
// icmpv6 type ...`), tcpdump captures it on the client's link, and the line
// ping printed must equal "From ROUTER icmp_seq=1 " + iputilsIcmpv6Text() of
// the captured message, read by our codec and matched to ping's request by
// the reply matcher. Root, nothing leaves the namespaces.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIcmpv6Echo, iputilsIcmpv6Text, parseIcmpv6 } from '../src/wire/icmpv6.ts';
import { IpProtocol } from '../src/wire/ipv4.ts';
import { Ipv6View } from '../src/wire/ipv6.ts';
import { unwrap } from '../src/wire/parse-result.ts';
import { answers, describeTransport6, ReplyViews } from '../src/wire/reply-matching.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { createChain, run, teardownAll, type Chain } from './helpers/netns.ts';

const skip = skipReason(['ip', 'ping', 'tcpdump', 'nft', 'ethtool']) ?? (/iputils/.test(run(['ping', '-V']).stdout) ? undefined : "'ping' is not iputils ping");

afterEach(async () => {
  await teardownAll();
});

/** The IPv6 packets of a pcap file (Ethernet link type), Ethernet header dropped. */
function ipv6PacketsOf(file: string): Uint8Array[] {
  const bytes = readFileSync(file);
  const packets: Uint8Array[] = [];
  for (let at = 24; at + 16 <= bytes.length; ) {
    const captured = bytes.readUInt32LE(at + 8);
    const frame = bytes.subarray(at + 16, at + 16 + captured);
    if (frame.readUInt16BE(12) === 0x86dd) packets.push(Uint8Array.from(frame.subarray(14)));
    at += 16 + captured;
  }
  return packets;
}

/** Runs ping -6 -c 1 on the client while tcpdump catches the first ICMPv6 error on its link; returns both. */
async function pingAndCapture(chain: Chain, pingArgs: readonly string[], name: string): Promise<{ line: string; error: Uint8Array }> {
  const file = join(tmpdir(), `plt-${process.pid}-icmpv6-${name}.pcap`);
  // ip6[40] is the ICMPv6 type: the errors carry no extension headers.
  const capture = chain.client.spawn(['tcpdump', '-i', 'vethC', '-n', '-U', '-c', '1', '-w', file, 'icmp6 and ip6[40] < 128'], { timeoutMs: 20_000 });
  await capture.waitForOutput(/listening on/, 10_000);
  const ping = await chain.client.runAsync(['ping', '-6', '-c', '1', '-W', '2', ...pingArgs, chain.serverAddress6], { timeoutMs: 15_000 });
  await capture.exited;
  const [error] = ipv6PacketsOf(file);
  rmSync(file, { force: true });
  const line = ping.stdout.split('\n').find((l) => l.startsWith('From ')) ?? `(no From line in ${JSON.stringify(ping.stdout)})`;
  return { line, error };
}

describe.skipIf(skip !== undefined)('ICMPv6 errors read as iputils ping -6 prints them', () => {
  const rejectCases = [
    ['no-route', 0],
    ['admin-prohibited', 1],
    ['addr-unreachable', 3],
    ['port-unreachable', 4],
    ['policy-fail', 5],
    ['reject-route', 6],
  ] as const;

  it('time exceeded (-t 1), packet too big (a 1280-byte link) and destination unreachable codes 0-6 (nftables reject)', async () => {
    const chain = createChain({ ipv6: true });
    chain.router.check(['ip', 'link', 'set', 'vethRS', 'mtu', '1280']);
    chain.server.check(['ip', 'link', 'set', 'vethS', 'mtu', '1280']);
    const cases: Array<{ name: string; args: readonly string[]; setup?: () => void; type: number; code: number }> = [
      { name: 'hop-limit', args: ['-t', '1'], type: 3, code: 0 },
      { name: 'too-big', args: ['-s', '1400', '-M', 'do'], type: 2, code: 0 },
      ...rejectCases.map(([reject, code]) => ({
        name: reject,
        args: [],
        type: 1,
        code,
        setup: () => {
          chain.router.run(['nft', 'flush', 'ruleset']);
          chain.router.check(['nft', `add table ip6 t; add chain ip6 t f { type filter hook forward priority 0; }; add rule ip6 t f icmpv6 type echo-request reject with icmpv6 type ${reject}`]);
        },
      })),
    ];
    const views = new ReplyViews();
    for (const c of cases) {
      c.setup?.();
      const { line, error } = await pingAndCapture(chain, c.args, c.name);
      const ip = new Ipv6View();
      expect(ip.point(error), c.name).toBeUndefined();
      expect(ip.source).toBe(chain.routerClientSide6);
      const pseudo = { source: ip.source, destination: ip.destination };
      const message = unwrap(parseIcmpv6(ip.upperLayer, pseudo));
      expect([message.type, message.code, message.checksumValid], c.name).toEqual([c.type, c.code, true]);
      const info = message.kind === 'packet-too-big' ? message.mtu : 0;
      expect(line, c.name).toBe(`From ${chain.routerClientSide6} icmp_seq=1 ${iputilsIcmpv6Text(message.type, message.code, info)}`);
      // The quote holds ping's request: the matcher pairs the error with it.
      if (message.kind !== 'destination-unreachable' && message.kind !== 'time-exceeded' && message.kind !== 'packet-too-big') throw new Error(c.name);
      const transport = unwrap(message.quoted).transport;
      expect(transport?.protocol).toBe('icmpv6');
      if (transport?.protocol !== 'icmpv6') continue;
      const request = describeTransport6(
        IpProtocol.ICMPv6,
        chain.clientAddress6,
        chain.serverAddress6,
        buildIcmpv6Echo({ identifier: transport.identifier!, sequence: 1 }),
      )!;
      expect(answers(request, error, views), c.name).toBe('icmp-error');
    }
  }, 120_000);
});
