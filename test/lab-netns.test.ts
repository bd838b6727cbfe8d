// packet-lab/lab's sr1 and sr against a real host in a network namespace
// (test/helpers/netns.ts createPair), run from a process inside namespace A
// as the tools' end-to-end tests run: an ICMP echo, a TCP SYN to an open and
// to a closed port, and sr of several with answered and unanswered ones. The
// client never closes its pooled sockets, so the run also checks they do not
// keep the process alive. Needs root, iproute2 and ethtool (CI=true: missing
// ones fail).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { linuxBindingUnavailableReason } from '../src/net/linux-raw-socket.ts';
import { IN_CI, skipReason } from './helpers/ci-requirements.ts';
import { createPair, leftoverNamespaces, teardownAll, tsxCommand } from './helpers/netns.ts';

const needs = skipReason(['ip', 'ethtool']);

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
