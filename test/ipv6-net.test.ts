// src/net's IPv6 layer against real kernels, in namespaces the test creates
// (test/helpers/netns.ts; nothing leaves them, name lookups read a private
// hosts file): host resolution as iputils ping resolves (-4/-6, scopes),
// source selection from the kernel's route, raw ICMPv6 sockets on both
// bindings (hop limit from ancillary data on the Linux binding only,
// ICMP6_FILTER), and the three checksum paths captured on a veth: the kernel
// rewriting a wrong ICMPv6 checksum, SOL_RAW IPV6_CHECKSUM -1 keeping it, and
// a whole packet through Ipv6Sender on an IPPROTO_RAW socket sent as built.
// The probe itself runs inside the namespace: test/helpers/ipv6-net-probe.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { decodeLinkLayer } from '../src/wire/link-type.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { createIsolated, createPair, NAME_PREFIX, type Namespace, teardownAll, tsxCommand } from './helpers/netns.ts';
import { TESTED_BINDINGS } from './helpers/socket-bindings.ts';

const reason = skipReason(['ip', 'ethtool', 'tcpdump']);

afterEach(async () => {
  expect(await teardownAll()).toEqual([]);
});

async function probe(ns: Namespace, args: readonly string[]): Promise<Record<string, unknown>> {
  const result = await ns.runAsync(tsxCommand('test/helpers/ipv6-net-probe.ts', args), { timeoutMs: 20_000 });
  expect(result.status, `${result.command.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe.skipIf(reason)('IPv6 host resolution, as iputils ping resolves', () => {
  it('takes the family from a literal, refuses the other family and unknown scopes in glibc\'s words', async () => {
    const { ns } = createIsolated();
    ns.isolateResolver('127.0.0.1 localhost\nfd00::7 six-only\n127.0.0.2 dual\nfd00::5 dual\n');
    const cases: Array<[string[], unknown]> = [
      [['::1'], { address: '::1', family: 6, literal: true }],
      [['127.0.0.1', '4'], { address: '127.0.0.1', family: 4, literal: true }],
      [['::1', '4'], { error: '::1: Address family for hostname not supported' }],
      [['127.0.0.1', '6'], { error: '127.0.0.1: Address family for hostname not supported' }],
      // lo exists in every namespace, and is index 1; a scope is for link-local addresses only (glibc).
      [['fe80::1%lo'], { address: 'fe80::1%lo', family: 6, scope: 'lo', literal: true }],
      [['fe80::1%1'], { address: 'fe80::1%lo', family: 6, scope: 'lo', literal: true }],
      [['fe80::1%nosuch'], { error: 'fe80::1%nosuch: Name or service not known' }],
      [['fe80::1%nosuch', '6'], { error: 'fe80::1%nosuch: Name or service not known' }],
      [['::1%lo'], { error: '::1%lo: Name or service not known' }],
      [['six-only'], { address: 'fd00::7', family: 6, literal: false }],
      [['six-only', '4'], { error: 'six-only: Address family for hostname not supported' }],
      [['localhost', '6'], { error: 'localhost: Address family for hostname not supported' }],
      [['dual', '4'], { address: '127.0.0.2', family: 4, literal: false }],
      [['dual', '6'], { address: 'fd00::5', family: 6, literal: false }],
      [['no-such-host.invalid'], { error: 'no-such-host.invalid: Name or service not known' }],
    ];
    const results = await Promise.all(cases.map(([args]) => probe(ns, ['resolve', ...args])));
    results.forEach((result, i) => expect(result, cases[i][0].join(' ')).toMatchObject(cases[i][1] as object));
  });
});

describe.skipIf(reason)('IPv6 source selection from the kernel\'s route', () => {
  it('gives the address the route uses, a link-local one with its scope, and the interface holding it', async () => {
    const { a, b, address6A, address6B } = createPair({ ipv6: true });
    const peerLinkLocal = /fe80::[0-9a-f:]+/.exec(b.check(['ip', '-6', '-o', 'addr', 'show', 'dev', 'vethB', 'scope', 'link']).stdout)![0];
    const ownLinkLocal = /fe80::[0-9a-f:]+/.exec(a.check(['ip', '-6', '-o', 'addr', 'show', 'dev', 'vethA', 'scope', 'link']).stdout)![0];
    expect(await probe(a, ['source', address6B])).toEqual({ source: address6A, device: 'vethA' });
    expect(await probe(a, ['source', `${peerLinkLocal}%vethA`])).toEqual({ source: `${ownLinkLocal}%vethA`, device: 'vethA' });
    expect(await probe(a, ['source', '::1'])).toEqual({ source: '::1', device: 'lo' });
  });
});

describe.skipIf(reason).each(TESTED_BINDINGS)('raw ICMPv6 sockets on the %s binding', (binding) => {
  it('get an echo reply through ICMP6_FILTER (echo replies only: no neighbor discovery reaches JS)', async () => {
    const { a, address6B } = createPair({ ipv6: true });
    const result = await probe(a, ['echo', address6B, binding]);
    // The Linux binding reads the hop limit from IPV6_HOPLIMIT ancillary data; raw-socket reads
    // no ancillary data (-1: unknown).
    expect(result).toEqual({
      binding,
      family: 6,
      seen: [{ type: 129, source: address6B, hopLimit: binding === 'linux' ? 64 : -1 }],
    });
  });

  it('sends a wrong ICMPv6 checksum only when told: SOL_RAW IPV6_CHECKSUM -1, or a whole packet on IPPROTO_RAW', async () => {
    const { a, b, address6A, address6B } = createPair({ ipv6: true });
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-v6sum-`));
    try {
      const file = join(dir, 'v6.pcap');
      // Echo requests only (no replies, no NDP or MLD), captured on the receiving end.
      const capture = b.spawn(['tcpdump', '-i', 'vethB', '-nn', '-U', '-w', file, 'icmp6 and ip6[40] == 128'], { timeoutMs: 30_000 });
      await capture.waitForOutput(/listening on/, 10_000);
      const sent = await probe(a, ['checksums', address6B, binding]);
      expect(sent.source).toBe(address6A);
      for (let i = 0; i < 200 && (await countPackets(file)) < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      await capture.stop();
      const text = b.check(['tcpdump', '-r', file, '-nn', '-vv']).stdout;
      const lines = text.split('\n').filter((line) => line.includes('ICMP6, echo request'));
      expect(lines, text).toHaveLength(3);
      // seq 1: an ICMPv6 socket: the kernel wrote the checksum over 0xdead.
      expect(lines[0]).toMatch(/\[icmp6 sum ok\] ICMP6, echo request, id 27702, seq 1$/);
      // seq 2: the same socket after SOL_RAW IPV6_CHECKSUM -1: 0xdead went out as given.
      expect(lines[1]).toMatch(/\[bad icmp6 cksum 0xdead -> 0x[0-9a-f]+!\] ICMP6, echo request, id 27702, seq 2$/);
      // seq 3: IPPROTO_RAW, our own header (hop limit 7): every byte as built.
      expect(lines[2]).toMatch(/hlim 7, .*\[bad icmp6 cksum 0xdead -> 0x[0-9a-f]+!\] ICMP6, echo request, id 27702, seq 3$/);
      const frames = await ipPackets(file);
      expect(frames[2]).toBe(sent.frame);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function ipPackets(file: string): Promise<string[]> {
  const packets: string[] = [];
  for await (const record of readCaptureFile(file)) {
    const link = decodeLinkLayer(record.linkType, record.data);
    if (link.ok) packets.push(Buffer.from(link.value.payload).toString('hex'));
  }
  return packets;
}

async function countPackets(file: string): Promise<number> {
  try {
    return (await ipPackets(file)).length;
  } catch {
    return 0;
  }
}
