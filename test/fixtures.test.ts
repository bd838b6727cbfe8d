// Every IPv4 and IPv6 packet (ICMP, ICMPv6, TCP, UDP, extension headers) in
// every capture file found in fixtures/ (found at run time: drop a pcap there
// and it is checked with no code change) parses, has correct checksums, and
// re-encodes byte for byte from its parsed fields.
// Committed captures must all be there: discovery cannot silently check fewer.
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { checkCaptureFile, committedFixtureNames, fixtureCaptureFiles, FIXTURES_DIR } from './helpers/fixture-packets.ts';
import { IN_CI } from './helpers/ci-requirements.ts';

const files = fixtureCaptureFiles();

describe('fixtures/', () => {
  it('holds capture files with ICMP, ICMPv6, TCP and UDP packets, over IPv4 and IPv6', async () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    const count = { icmp: 0, icmpv6: 0, tcp: 0, tcp6: 0, udp: 0, udp6: 0, ipv6Extensions: 0 };
    for (const file of files) {
      const { packets } = await checkCaptureFile(file);
      for (const p of packets) {
        if (p.icmp) count.icmp++;
        if (p.icmpv6) count.icmpv6++;
        if (p.tcp) count[p.ipv6 ? 'tcp6' : 'tcp']++;
        if (p.udp) count[p.ipv6 ? 'udp6' : 'udp']++;
        if (p.ipv6 && p.ipv6.extensionHeaders.length > 0) count.ipv6Extensions++;
      }
    }
    expect(count.icmp).toBeGreaterThan(20);
    expect(count.tcp).toBeGreaterThan(20);
    expect(count.icmpv6).toBeGreaterThan(40);
    expect(count.tcp6).toBeGreaterThan(20);
    expect(count.udp).toBeGreaterThan(4);
    expect(count.udp6).toBeGreaterThan(1);
    // hop-by-hop (MLDv2) and fragment headers
    expect(count.ipv6Extensions).toBeGreaterThan(4);
  });

  it('holds every capture committed under fixtures/ (git ls-files fixtures)', () => {
    const committed = committedFixtureNames();
    if (committed === undefined && IN_CI) throw new Error('CI=true: git ls-files fixtures failed; cannot tell which captures are committed');
    const present = files.map((file) => basename(file));
    expect((committed ?? []).filter((name) => !present.includes(name)), 'committed but missing').toEqual([]);
  });

  it('finds a capture dropped next to the committed ones, whatever its case', () => {
    const dir = mkdtempSync(join(tmpdir(), 'packet-lab-fixture-'));
    try {
      for (const name of ['iputils-ping.pcap', 'DROPPED-IN.PCAP', 'extra.pcapng', 'notes.txt']) writeFileSync(join(dir, name), '');
      expect(fixtureCaptureFiles(dir).map((file) => basename(file))).toEqual(['DROPPED-IN.PCAP', 'extra.pcapng', 'iputils-ping.pcap']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the checker itself catches a flipped bit in a captured packet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'packet-lab-fixture-'));
    try {
      const copy = join(dir, 'flipped.pcap');
      copyFileSync(join(FIXTURES_DIR, 'iputils-ping.pcap'), copy);
      const bytes = readFileSync(copy);
      bytes[bytes.length - 1] ^= 0x01; // last data byte of the last echo reply
      writeFileSync(copy, bytes);
      const { problems } = await checkCaptureFile(copy);
      expect(problems.some((p) => /ICMP checksum .* is wrong/.test(p))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const file of files) {
    it(`${basename(file)}: every IP packet and its ICMP/ICMPv6/TCP/UDP parse, checksum right, re-encode byte for byte`, async () => {
      const { packets, problems, records } = await checkCaptureFile(file);
      expect(records).toBeGreaterThan(0);
      expect(packets.length).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    });
  }
});
