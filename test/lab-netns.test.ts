// packet-lab/lab's sr1 and sr against a real host in a network namespace
// (test/helpers/netns.ts createPair), run from a process inside namespace A
// as the tools' end-to-end tests run: an ICMP echo, a TCP SYN to an open and
// to a closed port, and sr of several with answered and unanswered ones. The
// client never closes its pooled sockets, so the run also checks they do not
// keep the process alive. The same over IPv6 (createPair({ ipv6: true })):
// ICMPv6 echo, SYN open/closed, UDP to a closed port -> ICMPv6 port
// unreachable, an absent host unanswered, and an echo request with a wrong
// ICMPv6 checksum, checked on a capture on the peer's veth to have left as
// set. Needs root, iproute2, ethtool and tcpdump (CI=true: missing ones fail).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readPcap } from '../src/lab.ts';
import { linuxBindingUnavailableReason } from '../src/net/linux-raw-socket.ts';
import { IN_CI, skipReason } from './helpers/ci-requirements.ts';
import { createPair, leftoverNamespaces, teardownAll, tsxCommand } from './helpers/netns.ts';

const needs = skipReason(['ip', 'ethtool']);
const needs6 = skipReason(['ip', 'ethtool', 'tcpdump']);

afterEach(async () => {
  expect(await teardownAll()).toEqual([]);
});
afterAll(() => {
  expect(leftoverNamespaces()).toEqual([]);
});

const OPEN_PORT = 8081;
const CLOSED_PORT = 8082;

// Both socket bindings: the pooled sockets stop watching differently (uv_poll stopped in the
// Linux binding, raw-socket's pauseRecv), and either must let the process end.
const BINDINGS = ['linux', 'raw-socket'] as const;

describe.skipIf(needs !== undefined).each(BINDINGS)(`sr1 / sr against a namespace host over the %s binding${needs ? ` (${needs})` : ''}`, (binding) => {
  it('answers an echo, a SYN to an open and a closed port; sr pairs answers and leaves the absent host unanswered', async (ctx) => {
    const unavailable = binding === 'linux' ? linuxBindingUnavailableReason() : undefined;
    if (unavailable) {
      if (IN_CI) throw new Error(`missing prerequisite: ${unavailable}`);
      ctx.skip();
    }
    const { a, b, addressA, addressB, absentAddress } = createPair();
    const server = b.spawn(tsxCommand('test/helpers/tcp-test-server.ts', ['silent', addressB, String(OPEN_PORT)]));
    await server.waitForOutput(/listening/, 20_000);
    const result = await a.runAsync(tsxCommand('test/helpers/lab-sr-client.ts', [addressB, String(OPEN_PORT), String(CLOSED_PORT), absentAddress]), {
      timeoutMs: 30_000,
      env: { ...process.env, PACKET_LAB_SOCKET: binding },
    });
    // Ended by itself: the pooled sockets kept nothing alive after the last call.
    expect(result.timedOut, result.stderr).toBe(false);
    expect(result.status, result.stderr).toBe(0);
    const runs = Object.fromEntries(result.stdout.trim().split('\n').map((line) => { const { name, value } = JSON.parse(line); return [name, value]; }));

    expect(runs.echo).toMatchObject({ src: addressB, icmp: { type: 0, code: 0, id: 0x5151, seq: 1 } });
    expect(runs.echo.summary).toMatch(new RegExp(`${addressB.replace(/\./g, '\\.')} → ${addressA.replace(/\./g, '\\.')} +ICMP 31 Echo \\(ping\\) reply +id=0x5151, seq=1/256, ttl=64`));
    expect(runs['syn-open']).toMatchObject({ src: addressB, tcp: { sport: OPEN_PORT, dport: 41001, flags: 'SA', ack: 5001 } });
    expect(runs['syn-closed']).toMatchObject({ src: addressB, tcp: { sport: CLOSED_PORT, dport: 41002, flags: 'RA', ack: 6001 } });

    const answers = runs.sr.answered.map((pair: { answer: { icmp?: { type: number; code: number }; tcp?: { flags: string } } }) =>
      pair.answer.tcp ? pair.answer.tcp.flags : `icmp ${pair.answer.icmp!.type}/${pair.answer.icmp!.code}`,
    );
    // In the order sent: the echo reply, SYN-ACK, ICMP port unreachable (3/3) for the UDP datagram, RST-ACK.
    expect(answers, JSON.stringify(runs.sr)).toEqual(['icmp 0/0', 'SA', 'icmp 3/3', 'RA']);
    expect(runs.sr.unanswered).toEqual([absentAddress]);
  });
});

describe.skipIf(needs6 !== undefined).each(BINDINGS)(`sr1 / sr / send over IPv6 against a namespace host over the %s binding${needs6 ? ` (${needs6})` : ''}`, (binding) => {
  it('answers an ICMPv6 echo, SYNs, UDP with port unreachable; the absent host stays unanswered; a wrong checksum leaves as set', async (ctx) => {
    const unavailable = binding === 'linux' ? linuxBindingUnavailableReason() : undefined;
    if (unavailable) {
      if (IN_CI) throw new Error(`missing prerequisite: ${unavailable}`);
      ctx.skip();
    }
    const { a, b, address6A, address6B, absentAddress6 } = createPair({ ipv6: true });
    const dir = mkdtempSync(join(tmpdir(), 'lab-netns6-'));
    try {
      const file = join(dir, 'wrong.pcap');
      // The wrong-checksum echo requests only (id 0x6bad), as they arrive at the peer.
      const capture = b.spawn(['tcpdump', '-i', 'vethB', '-nn', '-U', '-w', file, 'icmp6 and ip6[40] == 128 and ip6[44:2] == 0x6bad'], { timeoutMs: 60_000 });
      await capture.waitForOutput(/listening on/, 10_000);
      const server = b.spawn(tsxCommand('test/helpers/tcp-test-server.ts', ['silent', address6B, String(OPEN_PORT)]));
      await server.waitForOutput(/listening/, 20_000);
      const result = await a.runAsync(tsxCommand('test/helpers/lab-sr-client.ts', [address6B, String(OPEN_PORT), String(CLOSED_PORT), absentAddress6]), {
        timeoutMs: 40_000,
        env: { ...process.env, PACKET_LAB_SOCKET: binding },
      });
      expect(result.timedOut, result.stderr).toBe(false);
      expect(result.status, result.stderr).toBe(0);
      const runs = Object.fromEntries(result.stdout.trim().split('\n').map((line) => { const { name, value } = JSON.parse(line); return [name, value]; }));

      // The answer's IPv6 header is rebuilt: the sender from recvfrom, us as destination.
      expect(runs.echo).toMatchObject({ src: address6B, dst: address6A, icmp6: { type: 129, code: 0, id: 0x5151, seq: 1 } });
      expect(runs['syn-open']).toMatchObject({ src: address6B, tcp: { sport: OPEN_PORT, dport: 41001, flags: 'SA', ack: 5001 } });
      expect(runs['syn-closed']).toMatchObject({ src: address6B, tcp: { sport: CLOSED_PORT, dport: 41002, flags: 'RA', ack: 6001 } });
      // Destination unreachable (1), port unreachable (4).
      expect(runs['udp-closed']).toMatchObject({ src: address6B, icmp6: { type: 1, code: 4 } });
      expect(runs.absent).toBeNull();
      const answers = runs.sr.answered.map((pair: { answer: { icmp6?: { type: number; code: number }; tcp?: { flags: string } } }) =>
        pair.answer.tcp ? pair.answer.tcp.flags : `icmp6 ${pair.answer.icmp6!.type}/${pair.answer.icmp6!.code}`,
      );
      expect(answers, JSON.stringify(runs.sr)).toEqual(['icmp6 129/0', 'SA', 'icmp6 1/4', 'RA']);
      expect(runs.sr.unanswered).toEqual([absentAddress6]);
      // The peer drops an echo request with a bad checksum: no answer.
      expect(runs['wrong-checksum-answer']).toBeNull();
      expect(runs['wrong-checksum-sent']).toBe(1);

      for (let i = 0; i < 200 && (await capturedCount(file)) < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      await capture.stop();
      const text = b.check(['tcpdump', '-r', file, '-nn', '-vv']).stdout;
      const lines = text.split('\n').filter((line) => line.includes('ICMP6, echo request'));
      // tcpdump's own checksum verdict: 0xdead went out as set, not the kernel's.
      expect(lines, text).toHaveLength(2);
      for (const line of lines) expect(line).toMatch(/\[bad icmp6 cksum 0xdead -> 0x[0-9a-f]+!\] ICMP6, echo request, id 27565, seq [12]$/);
      const captured = await readPcap(file);
      expect(captured.map((p) => p.layer('icmp6'))).toMatchObject([
        { type: 128, id: 0x6bad, seq: 1, chksum: 0xdead },
        { type: 128, id: 0x6bad, seq: 2, chksum: 0xdead },
      ]);
      expect(captured[0].layer('ipv6')).toMatchObject({ src: address6A, dst: address6B, hlim: 64 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function capturedCount(file: string): Promise<number> {
  try {
    return (await readPcap(file)).length;
  } catch {
    return 0;
  }
}
