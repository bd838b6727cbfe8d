// End-to-end tests of src/tcp-get.ts (and the tcp-session engine under it)
// in network namespaces the tests create and remove. The web and echo
// servers run in the peer namespace (10.211.x.2); nothing leaves the machine.
//
// Needs root, iproute2, ethtool, nftables, iptables, python3, tshark and the
// cap binding. With CI=true a missing prerequisite fails the test.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, type TestContext } from 'vitest';
import { seqDiff } from '../src/wire/tcp-sequence.ts';
import { TcpFlag } from '../src/wire/tcp.ts';
import {
  createChain,
  createIsolated,
  createPair,
  leftoverNamespaces,
  NAME_PREFIX,
  type Namespace,
  type Pair,
  run,
  type RunResult,
  teardownAll,
  tsxCommand,
} from './helpers/netns.ts';
import { chunkedBody } from './helpers/tcp-test-data.ts';
import { firewallState, nft, readPackets, readPackets6, startHttpServer, startTestServer, needTcpLab } from './helpers/tcp-lab.ts';
import { TESTED_BINDINGS, useSocketBinding } from './helpers/socket-bindings.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';

const need = needTcpLab;
/** tcp-get with a fault injected through its hooks (test only). */
const FAULT_ENTRY = 'test/helpers/tcp-get-with-fault.ts';

function tcpGet(ns: Namespace, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return ns.runAsync(tsxCommand('src/tcp-get.ts', args), { timeoutMs: options.timeoutMs ?? 30_000, env: options.env });
}

/** Runs tcp-get with stdout to a file (the body may be binary); resolves with the run and the body. */
async function tcpGetToFile(ctx: TestContext, ns: Namespace, args: readonly string[], timeoutMs = 60_000): Promise<{ result: RunResult; body: Buffer }> {
  const out = join(tempDir(ctx), 'body.out');
  const result = await ns.runAsync(['sh', '-c', 'exec "$@" > "$0"', out, ...tsxCommand('src/tcp-get.ts', args)], { timeoutMs });
  return { result, body: readFileSync(out) };
}

function show(result: RunResult): string {
  const clip = (text: string) => (text.length > 4000 ? `${text.slice(0, 2000)}\n[...]\n${text.slice(-2000)}` : text);
  return `$ ${result.command.join(' ')}\nstatus=${result.status} signal=${result.signal} (${Math.round(result.durationMs)} ms)\n--- stdout\n${clip(result.stdout)}--- stderr\n${clip(result.stderr)}`;
}

function tempDir(ctx: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-get-`));
  ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** No table or chain of ours, and nothing else either: the namespaces start empty. */
function expectNoFirewallLeft(ns: Namespace): void {
  const state = firewallState(ns);
  expect(state.nft, 'nft ruleset after tcp-get').toBe('');
  expect(state.iptables).not.toMatch(/PLAB/);
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

const PORT = 8000;

/** A pair with python's http.server on B:8000 serving small.txt and a random big.bin. */
async function webLab(ctx: TestContext, bigBytes = 4 * 1024 * 1024): Promise<Pair & { small: Buffer; big: Buffer; url: (path: string) => string }> {
  const pair = createPair();
  const dir = tempDir(ctx);
  const small = Buffer.from('hello from the peer namespace\n');
  const big = randomBytes(bigBytes);
  writeFileSync(join(dir, 'small.txt'), small);
  writeFileSync(join(dir, 'big.bin'), big);
  await startHttpServer(pair.b, pair.addressB, PORT, dir);
  return { ...pair, small, big, url: (path: string) => `http://${pair.addressB}:${PORT}${path}` };
}

afterEach(async () => {
  expect(await teardownAll(), 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe('tcp-get end to end, in network namespaces', () => {
  it('fetches a small file and a 4 MB one byte for byte, with window scaling, over its own TCP', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const lab = await webLab(ctx);
    const small = await tcpGet(lab.a, ['--block-kernel-rst', lab.url('/small.txt')]);
    expect(small.status, show(small)).toBe(0);
    expect(small.stdout).toBe(lab.small.toString());
    expect(small.stderr).toBe('');

    // --json: segments, states, the response with its body, a summary; all in the published schema.
    const json = await tcpGet(lab.a, ['--json', '--block-kernel-rst', lab.url('/small.txt')]);
    expect(json.status, show(json)).toBe(0);
    const checked = checkJsonOutput(json.stdout, 'tcp-get');
    expect(checked.problems, show(json)).toEqual([]);
    expect(checked.records.find((r) => r.type === 'response'), show(json)).toMatchObject({ statusCode: 200, framing: 'content-length', body: lab.small.toString() });
    expect(checked.records.filter((r) => r.type === 'segment' && r.direction === 'received').length).toBeGreaterThan(1);
    expect(checked.records.at(-1)).toMatchObject({ type: 'summary', complete: true, reason: 'closed', bodyBytes: lab.small.length });

    const withHead = await tcpGet(lab.a, ['-i', '--block-kernel-rst', lab.url('/small.txt')]);
    expect(withHead.status, show(withHead)).toBe(0);
    const [head, body] = withHead.stdout.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
    expect(head).toMatch(new RegExp(`\\r\\nContent-Length: ${lab.small.length}(\\r\\n|$)`, 'i'));
    expect(body).toBe(lab.small.toString());

    const file = join(tempDir(ctx), 'big.pcap');
    const { result: big, body: bigBody } = await tcpGetToFile(ctx, lab.a, ['-v', '--block-kernel-rst', '--pcap', file, lab.url('/big.bin')]);
    expect(big.status, show(big)).toBe(0);
    expect(bigBody.length).toBe(lab.big.length);
    expect(sha256(bigBody), 'the body equals the file').toBe(sha256(lab.big));
    expect(big.stderr).toMatch(new RegExp(`HTTP 200 OK, body ${lab.big.length} bytes \\(content-length`));
    const stats = /\* (\d+) segments sent \((\d+) retransmitted\), (\d+) received/.exec(big.stderr);
    expect(stats, show(big)).not.toBeNull();
    expect(Number(stats![3]), 'many segments').toBeGreaterThan(lab.big.length / 1460);

    // Window scaling: our SYN offers wscale 7 and the peer's its own; then our
    // ACKs advertise 1 MiB as 8192 << 7, and the peer really had more than
    // 65535 bytes unacknowledged at once, which an unscaled window forbids.
    const packets = await readPackets(file);
    const ours = packets.filter((p) => p.ip.source === lab.addressA && p.tcp);
    const theirs = packets.filter((p) => p.ip.source === lab.addressB && p.tcp);
    const syn = ours.find((p) => p.tcp!.flags === TcpFlag.SYN)!;
    expect(syn.tcp!.options).toContainEqual({ kind: 'window-scale', shift: 7 });
    expect(theirs[0].tcp!.options.some((o) => o.kind === 'window-scale')).toBe(true);
    expect(ours.every((p) => p.tcp!.checksumValid)).toBe(true);
    const acks = ours.filter((p) => p.tcp!.flags === TcpFlag.ACK);
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.every((p) => p.tcp!.window === 8192)).toBe(true);
    let lastAck = acks[0].tcp!.acknowledgmentNumber;
    let maxInFlight = 0;
    for (const p of packets) {
      if (!p.tcp) continue;
      if (p.ip.source === lab.addressA && p.tcp.flags & TcpFlag.ACK) lastAck = p.tcp.acknowledgmentNumber;
      if (p.ip.source === lab.addressB && p.tcp.payload.length > 0) {
        maxInFlight = Math.max(maxInFlight, seqDiff(p.tcp.sequenceNumber + p.tcp.payload.length, lastAck));
      }
    }
    expect(maxInFlight, 'bytes in flight beyond an unscaled window').toBeGreaterThan(65535);
  });

  it('decodes a chunked body', async (ctx) => {
    need(ctx, ['nft']);
    const { a, b, addressB } = createPair();
    await startTestServer(b, 'chunked', addressB, PORT);
    const { result, body: bytes } = await tcpGetToFile(ctx, a, ['-i', '--block-kernel-rst', `http://${addressB}:${PORT}/chunked?n=40&size=3000`]);
    expect(result.status, show(result)).toBe(0);
    const split = bytes.indexOf('\r\n\r\n');
    const head = bytes.subarray(0, split).toString('latin1');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/\r\nTransfer-Encoding: chunked/i);
    expect(Buffer.compare(bytes.subarray(split + 4), chunkedBody(40, 3000))).toBe(0);
  });

  it('retransmits its SYN when the peer\'s first SYN-ACK is dropped, and the capture shows it', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const lab = await webLab(ctx, 300_000);
    nft(
      lab.b,
      `table inet plt {
        chain output {
          type filter hook output priority 0; policy accept;
          tcp sport ${PORT} tcp flags & (syn | ack) == syn | ack ct reply packets 1 counter drop
        }
      }`,
    );
    const file = join(tempDir(ctx), 'synack.pcap');
    const { result, body } = await tcpGetToFile(ctx, lab.a, ['-v', '--rto', '300', '--block-kernel-rst', '--pcap', file, lab.url('/big.bin')]);
    expect(result.status, show(result)).toBe(0);
    expect(sha256(body)).toBe(sha256(lab.big));
    expect(result.stderr).toMatch(/RTO expired \(syn, attempt 1\); next RTO 600 ms/);
    expect(result.stderr).toMatch(/> Flags \[S\], seq \d+, .*\(retransmission\)/);
    expect(lab.b.check(['nft', 'list', 'ruleset']).stdout).toMatch(/counter packets 1 /);

    const packets = await readPackets(file);
    const syns = packets.filter((p) => p.ip.source === lab.addressA && p.tcp?.flags === TcpFlag.SYN);
    expect(syns.length, 'the SYN and its retransmission').toBe(2);
    expect(syns[1].tcp!.sequenceNumber).toBe(syns[0].tcp!.sequenceNumber);
    const gapMs = Number(syns[1].timestampNs - syns[0].timestampNs) / 1e6;
    expect(gapMs).toBeGreaterThan(250);
    const synAcks = packets.filter((p) => p.tcp && p.tcp.flags === (TcpFlag.SYN | TcpFlag.ACK));
    expect(synAcks).toHaveLength(1);
    expect(synAcks[0].timestampNs).toBeGreaterThan(syns[1].timestampNs);
  });

  it('recovers when one data segment is lost: out-of-order data held, SACKed and filled by the retransmission', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap', 'tshark']);
    // The loss happens on a router between client and server. A drop in the
    // server's own output hook is no loss at all: netfilter's verdict comes
    // back to the server's TCP as a send error and it sends the same segment
    // again at once, so the client never sees a gap (native-notes/kernel-rst.md).
    const { client, router, server, clientAddress, serverAddress } = createChain();
    const dir = tempDir(ctx);
    const body = randomBytes(1_000_000);
    writeFileSync(join(dir, 'big.bin'), body);
    await startHttpServer(server, serverAddress, PORT, dir);
    nft(
      router,
      `table inet plt {
        chain forward {
          type filter hook forward priority 0; policy accept;
          ip saddr ${serverAddress} tcp sport ${PORT} ct reply packets 40 counter drop
        }
      }`,
    );
    const file = join(tempDir(ctx), 'data.pcap');
    const { result, body: received } = await tcpGetToFile(ctx, client, [
      '-v', '--window', '262144', '--block-kernel-rst', '--pcap', file, `http://${serverAddress}:${PORT}/big.bin`,
    ]);
    expect(result.status, show(result)).toBe(0);
    expect(sha256(received)).toBe(sha256(body));
    const ruleset = router.check(['nft', 'list', 'ruleset']).stdout;
    expect(ruleset, 'exactly one segment was lost').toMatch(/counter packets 1 bytes 1500 drop/);
    expect(result.stderr).toMatch(/< Flags \[\.\], seq \d+:\d+, .*\(out-of-order\)/);
    expect(result.stderr).toMatch(/\d+ received \([1-9]\d* out of order/);

    const packets = await readPackets(file);
    // Our duplicate ACKs carried SACK blocks for the data past the hole.
    const sacks = packets.filter((p) => p.ip.source === clientAddress && p.tcp?.options.some((o) => o.kind === 'sack'));
    expect(sacks.length).toBeGreaterThan(0);
    // The retransmission: a segment below data that arrived before it.
    let highest = -1;
    let base: number | undefined;
    let fills = 0;
    for (const p of packets) {
      if (p.ip.source !== serverAddress || !p.tcp || p.tcp.payload.length === 0) continue;
      base ??= p.tcp.sequenceNumber;
      const start = seqDiff(p.tcp.sequenceNumber, base);
      if (start < highest) fills++;
      highest = Math.max(highest, start + p.tcp.payload.length);
    }
    expect(fills, 'a retransmitted segment filling the hole').toBeGreaterThanOrEqual(1);
    // Wireshark's TCP analysis, as an outside opinion.
    const flagged = run(
      ['tshark', '-r', file, '-Y', 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.out_of_order', '-T', 'fields', '-e', 'frame.number'],
      { timeoutMs: 30_000 },
    );
    expect(flagged.status, flagged.stderr).toBe(0);
    expect(flagged.stdout.trim().split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(1);
  });

  it('explains in one line that the kernel reset the connection, and which flag fixes it', async (ctx) => {
    need(ctx, ['python3']);
    const lab = await webLab(ctx, 1000);
    const result = await tcpGet(lab.a, [lab.url('/small.txt')]);
    expect(result.status, show(result)).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, show(result)).toHaveLength(1);
    expect(lines[0]).toMatch(/^tcp-get: connection reset by [\d.]+:8000 right after the handshake: this host's kernel has no socket for/);
    expect(lines[0]).toMatch(/run again with --block-kernel-rst/);

    const json = await tcpGet(lab.a, ['--json', lab.url('/small.txt')]);
    expect(json.status, show(json)).toBe(1);
    const checked = checkJsonOutput(json.stdout, 'tcp-get');
    expect(checked.problems, show(json)).toEqual([]);
    expect(checked.records.at(-1)).toMatchObject({ type: 'summary', complete: false, reason: 'reset' });
    expectNoFirewallLeft(lab.a);
  });

  it('removes its firewall rule after a normal run, with nft and with iptables', async (ctx) => {
    need(ctx, ['nft', 'iptables', 'python3']);
    const lab = await webLab(ctx, 1000);
    for (const backend of ['nft', 'iptables']) {
      const result = await tcpGet(lab.a, ['-v', '--firewall', backend, '--block-kernel-rst', lab.url('/small.txt')]);
      expect(result.status, show(result)).toBe(0);
      expect(result.stderr).toContain(`* firewall (${backend}), removed on exit:`);
      expect(result.stderr).toMatch(/\* firewall rule removed; it dropped [1-9]\d* kernel RSTs?/);
      expect(result.stdout).toBe(lab.small.toString());
      expectNoFirewallLeft(lab.a);
    }
  });

  it('removes its firewall rule when it fails after installing it', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const lab = await webLab(ctx, 1000);
    const result = await tcpGet(lab.a, ['-v', '--block-kernel-rst', '--pcap', '/nonexistent-dir/x.pcap', lab.url('/small.txt')]);
    expect(result.status, show(result)).toBe(2);
    expect(result.stderr).toContain('* firewall (nft), removed on exit:');
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(/^tcp-get: cannot write \/nonexistent-dir\/x\.pcap: no such directory \(ENOENT\)$/);
    expectNoFirewallLeft(lab.a);
  });

  it('removes its firewall rule when it crashes (the exit hook)', async (ctx) => {
    need(ctx, ['nft', 'python3']);
    const lab = await webLab(ctx, 1000);
    const result = await lab.a.runAsync(tsxCommand(FAULT_ENTRY, ['crash-after-firewall', '--block-kernel-rst', lab.url('/small.txt')]), { timeoutMs: 30_000 });
    expect(result.status, show(result)).toBe(1);
    expect(result.stderr).toContain('injected crash');
    expectNoFirewallLeft(lab.a);
  });

  it('keeps its signal handlers until the rule is removed: a SIGTERM during cleanup leaves no rule', async (ctx) => {
    need(ctx, ['nft', 'python3']);
    const lab = await webLab(ctx, 1000);
    const result = await lab.a.runAsync(tsxCommand(FAULT_ENTRY, ['signal-before-cleanup', '--block-kernel-rst', lab.url('/small.txt')]), { timeoutMs: 30_000 });
    // Without handlers the default action would kill it there, rule in place. With
    // them the signal is only noted (reported when it is handled before the run ends).
    expect(result.signal, show(result)).toBeNull();
    expect([0, 143], show(result)).toContain(result.status);
    expect(result.stdout).toBe(lab.small.toString());
    expectNoFirewallLeft(lab.a);
  });

  it('on SIGINT and SIGTERM resets the connection with its own RST, which the rule lets out, and removes the rule', async (ctx) => {
    need(ctx, ['nft', 'cap']);
    const { a, b, addressA, addressB } = createPair();
    await startTestServer(b, 'silent', addressB, PORT);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const file = join(tempDir(ctx), `${signal}.pcap`);
      const child = a.spawn(tsxCommand('src/tcp-get.ts', ['-v', '--block-kernel-rst', '--pcap', file, `http://${addressB}:${PORT}/`]), {
        timeoutMs: 30_000,
      });
      await child.waitForOutput(/state SYN-SENT -> ESTABLISHED/, 15_000);
      // The request is out and unanswered; the rule is in place now.
      expect(firewallState(a).nft).toMatch(/table ip packet_lab_rst_\d+_\d+/);
      child.signal(signal);
      const result = await child.exited;
      expect(result.status, show(result)).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(result.stderr).toContain(`tcp-get: interrupted by ${signal}, connection reset`);
      expectNoFirewallLeft(a);

      const packets = await readPackets(file);
      const rsts = packets.filter((p) => p.ip.source === addressA && p.tcp && p.tcp.flags & TcpFlag.RST);
      // Ours (RST+ACK) left; the kernel's (plain RST answering the SYN-ACK) were dropped.
      expect(rsts.map((p) => p.tcp!.flags)).toEqual([TcpFlag.RST | TcpFlag.ACK]);
      expect(rsts[0].tcp!.checksumValid).toBe(true);
    }
  });

  it('says in one line on every run that a SIGKILLed run left its rule, and --remove-stale-rules removes it', async (ctx) => {
    need(ctx, ['nft']);
    const { a, b, addressB } = createPair();
    await startTestServer(b, 'silent', addressB, PORT);
    const child = a.spawn(tsxCommand('src/tcp-get.ts', ['-v', '--block-kernel-rst', `http://${addressB}:${PORT}/`]), { timeoutMs: 30_000 });
    await child.waitForOutput(/state SYN-SENT -> ESTABLISHED/, 15_000);
    const table = /table ip (packet_lab_rst_\d+_\d+)/.exec(firewallState(a).nft)?.[1];
    expect(table, 'the rule is installed').toBeDefined();
    child.signal('SIGKILL');
    const killed = await child.exited;
    expect(killed.signal, show(killed)).toBe('SIGKILL');
    expect(firewallState(a).nft, 'no handler runs on SIGKILL: the rule stays').toContain(table);

    const line = `tcp-get: 1 firewall rule left by a killed tcp-get run: ${table} (remove with: tcp-get --remove-stale-rules)`;
    const next = await tcpGet(a, ['--max-time', '2', `http://${addressB}:${PORT}/`]);
    expect(next.stderr.split('\n')[0], show(next)).toBe(line);
    expect(firewallState(a).nft, 'a run without --block-kernel-rst only says so').toContain(table);

    const removal = await tcpGet(a, ['--remove-stale-rules']);
    expect(removal.status, show(removal)).toBe(0);
    expect(removal.stdout).toBe(`removed 1 firewall rule left by a killed tcp-get run: ${table}\n`);
    expect(removal.stderr).toBe('');
    expectNoFirewallLeft(a);
    const none = await tcpGet(a, ['--remove-stale-rules']);
    expect([none.status, none.stdout], show(none)).toEqual([0, 'no firewall rules left by killed tcp-get runs\n']);
  });

  it('rejects bad URLs, options and hosts with one line and exit status 2', async (ctx) => {
    need(ctx);
    const { ns } = createIsolated();
    ns.isolateResolver();
    const cases: Array<[string[], RegExp]> = [
      [[], /a URL is required/],
      [['ftp://10.0.0.1/'], /only http/],
      [['https://10.0.0.1/'], /TLS/],
      [['10.0.0.1/index.html'], /bad URL/],
      [['http://10.0.0.1:0/'], /bad port/],
      [['http://10.0.0.1:70000/'], /bad URL/],
      [['http://no-such-host.invalid/'], /no-such-host\.invalid: Name or service not known/],
      [['--wscale', '15', 'http://127.0.0.1/'], /--wscale/],
      [['--firewall', 'pf', 'http://127.0.0.1/'], /--firewall/],
      [['--sport', '0', 'http://127.0.0.1/'], /--sport/],
      [['--source', 'x', 'http://127.0.0.1/'], /--source/],
      [['--nope', 'http://127.0.0.1/'], /nope/],
    ];
    const results = await Promise.all(cases.map(([args]) => tcpGet(ns, args, { timeoutMs: 15_000 })));
    results.forEach((result, i) => {
      expect(result.status, show(result)).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, show(result)).toHaveLength(1);
      expect(lines[0]).toMatch(/^tcp-get: /);
      expect(lines[0], show(result)).toMatch(cases[i][1]);
    });
  });
});

/**
 * A one-connection HTTP server in python: reads the request, then 'close'
 * closes without a byte (an empty reply), 'keep-alive' sends a 5-byte
 * response and keeps the connection open, ignoring our Connection: close and
 * our FIN, as a server holding a keep-alive connection would.
 */
const ONE_SHOT_SERVER = `
import socket, sys, time
mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((address, port))
listener.listen(1)
print('listening', flush=True)
conn, _ = listener.accept()
conn.settimeout(30)
request = b''
while b'\\r\\n\\r\\n' not in request:
    data = conn.recv(4096)
    if not data:
        break
    request += data
if mode == 'close':
    conn.close()
    print('closed', flush=True)
else:
    conn.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\nConnection: keep-alive\\r\\n\\r\\nhello')
    print('sent', flush=True)
    while conn.recv(4096):
        pass
    print('client FIN', flush=True)
    time.sleep(120)
`;

/** An echo server (one connection) with a 4 KiB receive buffer that starts reading only after 3 s. */
const LATE_ECHO_SERVER = `
import socket, sys, time
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
listener.bind((sys.argv[1], int(sys.argv[2])))
listener.listen(1)
print('listening', flush=True)
conn, _ = listener.accept()
time.sleep(3)
conn.settimeout(30)
while True:
    data = conn.recv(65536)
    if not data:
        break
    conn.sendall(data)
conn.close()
`;

describe('tcp-get flow control and closing', () => {
  it('a slow reader of stdout closes the receive window to zero, then a window update reopens it; nothing piles up', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const lab = await webLab(ctx, 10 * 1024 * 1024);
    const dir = tempDir(ctx);
    const fifo = join(dir, 'body.fifo');
    const gate = join(dir, 'gate');
    const out = join(dir, 'body.out');
    const file = join(dir, 'slow.pcap');
    expect(run(['mkfifo', fifo]).status).toBe(0);
    // The reader opens the pipe but reads nothing until the test creates the gate file (bounded wait).
    const reader = lab.a.spawn(
      ['sh', '-c', 'exec 3<"$0"; i=0; while [ ! -e "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; exec cat <&3 > "$2"', fifo, gate, out],
      { timeoutMs: 90_000 },
    );
    const getter = lab.a.spawn(['sh', '-c', 'exec "$@" > "$0"', fifo, ...tsxCommand('src/tcp-get.ts', ['-v', '--block-kernel-rst', '--pcap', file, lab.url('/big.bin')])], {
      timeoutMs: 90_000,
    });
    // Our zero window, then the server's zero-window probe answered (a segment below RCV.NXT: "duplicate").
    await getter.waitForOutput(/> Flags \[\.\], ack \d+, win 0,[^]*< Flags \[\.\], ack \d+, win \d+[^\n]*length 0 {2}\(duplicate\)/, 50_000);
    writeFileSync(gate, '');
    const result = await getter.exited;
    await reader.exited;
    expect(result.status, show(result)).toBe(0);
    const body = readFileSync(out);
    expect(body.length).toBe(lab.big.length);
    expect(sha256(body)).toBe(sha256(lab.big));

    const packets = await readPackets(file);
    const ours = packets.filter((p) => p.ip.source === lab.addressA && p.tcp && !(p.tcp.flags & TcpFlag.SYN));
    const theirs = packets.filter((p) => p.ip.source === lab.addressB && p.tcp);
    const irs = theirs.find((p) => p.tcp!.flags & TcpFlag.SYN)!.tcp!.sequenceNumber;
    const windows = ours.map((p) => p.tcp!.window << 7);
    // The window shrank step by step (not 1 MiB then 0) and reached zero.
    expect(new Set(windows).size, 'many different window sizes').toBeGreaterThan(10);
    expect(Math.min(...windows)).toBe(0);
    const firstZero = ours.findIndex((p) => p.tcp!.window === 0);
    // What we had taken in when the window closed: the 1 MiB buffer plus the pipe and stdout's
    // buffers, not the 10 MB body.
    const takenAtZero = seqDiff(ours[firstZero].tcp!.acknowledgmentNumber, irs + 1);
    expect(takenAtZero).toBeLessThan(3 * 1024 * 1024);
    // A window update: same ACK number, window open again.
    const update = ours.slice(firstZero).find((p) => p.tcp!.window > 0 && p.tcp!.payload.length === 0);
    expect(update, 'a window update after the zero window').toBeDefined();
    // The server never had more outstanding than the window we advertised (1 MiB): it stalled instead.
    let lastAck = irs + 1;
    let edge = irs + 1 + (1 << 20);
    for (const p of packets) {
      if (!p.tcp) continue;
      if (p.ip.source === lab.addressA && p.tcp.flags & TcpFlag.ACK && !(p.tcp.flags & TcpFlag.SYN)) {
        lastAck = p.tcp.acknowledgmentNumber;
        edge = lastAck + (p.tcp.window << 7);
      }
      if (p.ip.source === lab.addressB && p.tcp.payload.length > 0) {
        expect(seqDiff(p.tcp.sequenceNumber + p.tcp.payload.length, edge), 'server data past our window').toBeLessThanOrEqual(0);
      }
    }
  });

  it('closes as soon as the response is complete when the server keeps the connection open', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const { a, b, addressA, addressB } = createPair();
    const server = b.spawn(['python3', '-u', '-c', ONE_SHOT_SERVER, 'keep-alive', addressB, String(PORT)], { timeoutMs: 120_000 });
    await server.waitForOutput(/^listening$/m, 15_000);
    const file = join(tempDir(ctx), 'keepalive.pcap');
    const result = await tcpGet(a, ['-v', '--block-kernel-rst', '--pcap', file, `http://${addressB}:${PORT}/`], { timeoutMs: 60_000 });
    expect(result.status, show(result)).toBe(0);
    expect(result.stdout).toBe('hello');
    // Our FIN went and was acknowledged; the server never sent its own, and we did not wait for it.
    expect(result.stderr).toMatch(/state ESTABLISHED -> FIN-WAIT-1/);
    expect(result.stderr).toMatch(/state FIN-WAIT-1 -> FIN-WAIT-2/);
    expect(result.stderr).not.toMatch(/TIME-WAIT|RTO expired|nothing received/);
    await server.waitForOutput(/client FIN/, 15_000);
    expect(server.hasExited, 'the server still holds its side open').toBe(false);
    const packets = await readPackets(file);
    const serverFins = packets.filter((p) => p.ip.source === addressB && p.tcp && p.tcp.flags & TcpFlag.FIN);
    expect(serverFins).toHaveLength(0);
    const ourRsts = packets.filter((p) => p.ip.source === addressA && p.tcp && p.tcp.flags & TcpFlag.RST);
    expect(ourRsts).toHaveLength(0);
  });

  it('says "Empty reply from server" in one line and exits 52 when the server closes without a byte', async (ctx) => {
    need(ctx, ['nft', 'python3']);
    const { a, b, addressB } = createPair();
    const server = b.spawn(['python3', '-u', '-c', ONE_SHOT_SERVER, 'close', addressB, String(PORT)], { timeoutMs: 60_000 });
    await server.waitForOutput(/^listening$/m, 15_000);
    const result = await tcpGet(a, ['--block-kernel-rst', `http://${addressB}:${PORT}/`]);
    expect(result.status, show(result)).toBe(52);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('tcp-get: Empty reply from server\n');
    expectNoFirewallLeft(a);
  });
});

describe('tcp-session engine end to end', () => {
  it('a hand-made connection gets back from a node:net echo server exactly what it sent, then closes with FINs', async (ctx) => {
    need(ctx, ['nft']);
    const { a, b, addressB } = createPair();
    await startTestServer(b, 'echo', addressB, 9000);
    for (const [bytes, mss] of [
      ['1000000', undefined],
      ['200000', '536'],
    ] as const) {
      const result = await a.runAsync(tsxCommand('test/helpers/tcp-echo-client.ts', [addressB, '9000', bytes, ...(mss ? [mss] : [])]), {
        timeoutMs: 30_000,
      });
      expect(result.status, show(result)).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report.received).toBe(Number(bytes));
      expect(report.receivedSha256).toBe(report.sentSha256);
      expect(report).toMatchObject({ reason: 'closed', finalState: 'CLOSED', firewall: 'nft' });
      // We closed first: the active-close path.
      expect(report.states).toEqual([
        'CLOSED->SYN-SENT',
        'SYN-SENT->ESTABLISHED',
        'ESTABLISHED->FIN-WAIT-1',
        'FIN-WAIT-1->FIN-WAIT-2',
        'FIN-WAIT-2->TIME-WAIT',
        'TIME-WAIT->CLOSED',
      ]);
      // Segments no larger than the MSS allows (minus 12 bytes of timestamps).
      const segmentSize = (mss ? Number(mss) : 1460) - 12;
      expect(report.stats.segmentsSent).toBeGreaterThanOrEqual(Math.ceil(Number(bytes) / segmentSize));
      expectNoFirewallLeft(a);
    }
  });

  it('probes a peer whose window is closed, sends nothing past it, and carries on when it opens', async (ctx) => {
    need(ctx, ['nft', 'python3', 'dumpcap']);
    const { a, b, addressA, addressB } = createPair();
    // An echo server with a small receive buffer that reads nothing for its first 3 s: its window closes.
    const server = b.spawn(['python3', '-u', '-c', LATE_ECHO_SERVER, addressB, '9000'], { timeoutMs: 120_000 });
    await server.waitForOutput(/^listening$/m, 15_000);
    const file = join(tempDir(ctx), 'zero-window.pcap');
    const capture = a.spawn(['dumpcap', '-q', '-i', 'vethA', '-f', 'tcp port 9000', '-w', file], { timeoutMs: 120_000 });
    await capture.waitForOutput(/File: /, 15_000);
    const result = await a.runAsync(tsxCommand('test/helpers/tcp-echo-client.ts', [addressB, '9000', '200000']), { timeoutMs: 60_000 });
    await capture.stop();
    expect(result.status, show(result)).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.receivedSha256).toBe(report.sentSha256);
    expect(report.reason).toBe('closed');
    expect(report.stats.windowProbes, JSON.stringify(report.stats)).toBeGreaterThanOrEqual(1);

    const packets = await readPackets(file);
    const serverSyn = packets.find((p) => p.ip.source === addressB && p.tcp && p.tcp.flags & TcpFlag.SYN)!;
    const shift = serverSyn.tcp!.options.flatMap((o) => (o.kind === 'window-scale' ? [o.shift] : []))[0] ?? 0;
    let rightEdge: number | undefined;
    let zeroWindows = 0;
    for (const p of packets) {
      if (!p.tcp || p.tcp.flags & TcpFlag.SYN) continue;
      if (p.ip.source === addressB && p.tcp.flags & TcpFlag.ACK) {
        rightEdge = p.tcp.acknowledgmentNumber + (p.tcp.window << shift);
        if (p.tcp.window === 0) zeroWindows++;
      }
      if (p.ip.source === addressA && p.tcp.payload.length > 0 && rightEdge !== undefined) {
        expect(seqDiff(p.tcp.sequenceNumber + p.tcp.payload.length, rightEdge), `data past the peer's window (packet ${p.index})`).toBeLessThanOrEqual(0);
      }
    }
    expect(zeroWindows, 'the peer advertised a zero window').toBeGreaterThan(0);
    expectNoFirewallLeft(a);
  });

  it('retransmits its own data when a router loses one of its segments', async (ctx) => {
    need(ctx, ['nft']);
    const { client, router, server, clientAddress, serverAddress } = createChain();
    await startTestServer(server, 'echo', serverAddress, 9000);
    // The 20th packet from the client (the handshake took 2: a data segment) is lost on the router.
    nft(
      router,
      `table inet plt {
        chain forward {
          type filter hook forward priority 0; policy accept;
          ip saddr ${clientAddress} tcp dport 9000 ct original packets 20 counter drop
        }
      }`,
    );
    const result = await client.runAsync(tsxCommand('test/helpers/tcp-echo-client.ts', [serverAddress, '9000', '300000']), { timeoutMs: 30_000 });
    expect(result.status, show(result)).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.receivedSha256).toBe(report.sentSha256);
    expect(report.reason).toBe('closed');
    expect(router.check(['nft', 'list', 'ruleset']).stdout, 'one segment lost').toMatch(/counter packets 1 bytes 1500 drop/);
    expect(report.stats.retransmissions, JSON.stringify(report.stats)).toBeGreaterThanOrEqual(1);
    expect(report.stats.fastRetransmits + report.stats.timeouts, 'recovered by fast retransmit or RTO').toBeGreaterThanOrEqual(1);
    expectNoFirewallLeft(client);
  });

  it('path MTU: a router\'s "fragmentation needed" makes the segments smaller and the data goes again at once', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const chain = createChain();
    lowerServerLinkMtu(chain, 1280, 4);
    // tcp-get with a request line longer than the path MTU, against a real server.
    const dir = tempDir(ctx);
    const file = randomBytes(50_000);
    writeFileSync(join(dir, 'file.bin'), file);
    await startHttpServer(chain.server, chain.serverAddress, PORT, dir);
    const pcap = join(dir, 'pmtu.pcap');
    const url = `http://${chain.serverAddress}:${PORT}/file.bin?${'q'.repeat(3000)}`;
    const { result: get, body } = await tcpGetToFile(ctx, chain.client, ['-v', '--block-kernel-rst', '--pcap', pcap, url]);
    expect(get.status, show(get)).toBe(0);
    expect(sha256(body), 'the body equals the file').toBe(sha256(file));
    const packets = await readPackets(pcap);
    const tooBig = packets.filter((p) => p.icmp?.type === 3 && p.icmp.code === 4);
    expect(tooBig.length, 'the router said the request did not fit').toBeGreaterThanOrEqual(1);
    // Segments we sent before the ICMP message was read may leave fragmented
    // by the kernel (it learned the MTU too); once it was read, ours fit.
    const ours = packets.filter((p) => p.ip.source === chain.clientAddress && p.ip.protocol === 6);
    const resent = ours.findIndex((p) => p.index > tooBig.at(-1)!.index && p.tcp !== undefined && p.tcp.payload.length > 0 && !p.ip.flags.moreFragments && p.ip.totalLength <= 1280);
    expect(resent, 'the data went again, in segments that fit').toBeGreaterThanOrEqual(0);
    const settled = ours.slice(resent);
    expect(settled.map((p) => p.ip.totalLength).filter((length) => length > 1280), 'every later segment fits the path').toEqual([]);
    expect(settled.filter((p) => p.ip.flags.moreFragments || p.ip.fragmentOffset > 0), 'segments, not fragments').toEqual([]);

    // The engine under it, sending 100 kB: the kernel knows the path MTU by now, so
    // forget it first (the router must say it again).
    chain.client.check(['ip', 'route', 'flush', 'cache']);
    await startTestServer(chain.server, 'echo', chain.serverAddress, 9000);
    const result = await chain.client.runAsync(tsxCommand('test/helpers/tcp-echo-client.ts', [chain.serverAddress, '9000', '100000']), { timeoutMs: 30_000 });
    expect(result.status, show(result)).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.peerMss, 'the server offers more than the path takes').toBe(1460);
    expect(report.receivedSha256).toBe(report.sentSha256);
    expect(report.reason).toBe('closed');
    expect(report.stats.pathMtuReductions, JSON.stringify(report.stats)).toBe(1);

    expectNoFirewallLeft(chain.client);
  });
});

describe.each(TESTED_BINDINGS)('tcp-get over IPv6, over the %s binding', (binding) => {
  useSocketBinding(binding);

  it('fetches byte for byte what curl -6 fetches from a real server, with an ip6 rule for the kernel RSTs, removed after', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap', 'curl']);
    const pair = createPair({ ipv6: true });
    const dir = tempDir(ctx);
    const file = randomBytes(1_000_000);
    writeFileSync(join(dir, 'file.bin'), file);
    await startHttpServer(pair.b, pair.address6B, 8080, dir);
    const url = `http://[${pair.address6B}]:8080/file.bin`;
    const pcap = join(dir, 'get6.pcap');
    const { result, body } = await tcpGetToFile(ctx, pair.a, ['-v', '--block-kernel-rst', '--pcap', pcap, url]);
    expect(result.status, show(result)).toBe(0);
    const curl = await pair.a.runAsync(['sh', '-c', 'exec curl -6 -s -o "$0" "$1"', join(dir, 'curl.out'), url], { timeoutMs: 30_000 });
    expect(curl.status, curl.stderr).toBe(0);
    const reference = readFileSync(join(dir, 'curl.out'));
    expect(body.length).toBe(file.length);
    expect(sha256(body), 'tcp-get -6 = curl -6').toBe(sha256(reference));
    expect(sha256(body), 'and = the file').toBe(sha256(file));
    expect(result.stderr).toContain(`table ip6 packet_lab_rst_`);
    expect(result.stderr).toMatch(/\* firewall rule removed; it dropped [1-9]\d* kernel RSTs?/);
    expect(result.stderr).toContain(`${pair.address6A}:`);
    expectNoFirewallLeft(pair.a);

    const packets = await readPackets6(pcap);
    const ours = packets.filter((p) => p.ip.source === pair.address6A && p.tcp);
    const syn = ours.find((p) => p.tcp!.flags === TcpFlag.SYN)!;
    expect(syn.tcp!.options[0], 'MSS: the veth MTU 1500 less 60').toEqual({ kind: 'mss', value: 1440 });
    expect(ours.every((p) => p.tcp!.checksumValid), 'TCP checksums over the IPv6 pseudo-header').toBe(true);
    const request = ours.find((p) => p.tcp!.payload.length > 0)!;
    expect(new TextDecoder().decode(request.tcp!.payload)).toContain(`\r\nHost: [${pair.address6B}]:8080\r\n`);

    // The iptables fallback writes the rule with ip6tables.
    const viaIptables = await tcpGet(pair.a, ['-v', '--firewall', 'iptables', '--block-kernel-rst', url]);
    expect(viaIptables.status, show(viaIptables)).toBe(0);
    expect(viaIptables.stderr).toContain('ip6tables -w 5 -A PLAB-RST-');
    expectNoFirewallLeft(pair.a);
  });
});

describe('tcp-get over IPv6: path MTU and bad input', () => {
  it('a router\'s Packet Too Big makes the segments smaller and the data goes again at once', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const chain = createChain({ ipv6: true });
    lowerServerLinkMtu(chain, 1280, 6);
    const dir = tempDir(ctx);
    const file = randomBytes(50_000);
    writeFileSync(join(dir, 'file.bin'), file);
    await startHttpServer(chain.server, chain.serverAddress6, PORT, dir);
    const pcap = join(dir, 'ptb.pcap');
    const url = `http://[${chain.serverAddress6}]:${PORT}/file.bin?${'q'.repeat(3000)}`;
    const { result, body } = await tcpGetToFile(ctx, chain.client, ['-v', '--block-kernel-rst', '--pcap', pcap, url]);
    expect(result.status, show(result)).toBe(0);
    expect(sha256(body), 'the body equals the file').toBe(sha256(file));
    expect(result.stderr).toMatch(/path MTU 1280: segments of at most 1208 bytes/);
    const packets = await readPackets6(pcap);
    const tooBig = packets.filter((p) => p.icmp6?.kind === 'packet-too-big');
    expect(tooBig.length, 'the router said the request did not fit').toBeGreaterThanOrEqual(1);
    expect(tooBig.every((p) => p.icmp6!.kind === 'packet-too-big' && p.icmp6!.mtu === 1280)).toBe(true);
    const ours = packets.filter((p) => p.ip.source === chain.clientAddress6 && (p.tcp || p.ip.extensionHeaders.length > 0));
    const resent = ours.findIndex((p) => p.index > tooBig.at(-1)!.index && p.tcp !== undefined && p.tcp.payload.length > 0 && 40 + p.ip.payloadLength <= 1280);
    expect(resent, 'the data went again, in segments that fit').toBeGreaterThanOrEqual(0);
    const settled = ours.slice(resent);
    expect(settled.map((p) => 40 + p.ip.payloadLength).filter((length) => length > 1280), 'every later segment fits the path').toEqual([]);
    expect(settled.filter((p) => p.ip.extensionHeaders.some((h) => h.kind === 'fragment')), 'segments, not fragments').toEqual([]);
    expectNoFirewallLeft(chain.client);
  });

  it('rejects IPv6 mistakes with one line and exit status 2', async (ctx) => {
    need(ctx);
    const { ns } = createIsolated();
    ns.isolateResolver();
    const cases: Array<[string[], RegExp]> = [
      [['-4', 'http://[::1]:8080/'], /::1: Address family for hostname not supported/],
      [['-6', 'http://127.0.0.1:8080/'], /127\.0\.0\.1: Address family for hostname not supported/],
      [['-4', '-6', 'http://[::1]/'], /exclusive/],
      [['http://[fd00::zz]/'], /bad URL/],
      [['--hdrincl', 'http://[::1]:8080/'], /--hdrincl is for IPv4/],
    ];
    const results = await Promise.all(cases.map(([args]) => tcpGet(ns, args, { timeoutMs: 15_000 })));
    results.forEach((result, i) => {
      expect(result.status, show(result)).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, show(result)).toHaveLength(1);
      expect(lines[0]).toMatch(/^tcp-get: /);
      expect(lines[0], show(result)).toMatch(cases[i][1]);
    });
  });
});

/**
 * The router—server link takes `mtu` bytes (both ends), while the server
 * still offers the MSS of a 1500-byte link (advmss on its routes): the
 * client's segments sized for that MSS must shrink when the router says so.
 */
function lowerServerLinkMtu(chain: { router: Namespace; server: Namespace }, mtu: number, family: 4 | 6): void {
  chain.router.check(['ip', 'link', 'set', 'dev', 'vethRS', 'mtu', String(mtu)]);
  chain.server.check(['ip', 'link', 'set', 'dev', 'vethS', 'mtu', String(mtu)]);
  const advmss = family === 4 ? '1460' : '1440';
  const routes = chain.server.check(['ip', `-${family}`, 'route', 'show']).stdout.trim().split('\n').filter((line) => line && !line.startsWith('fe80') && !line.startsWith('multicast'));
  for (const route of routes) {
    chain.server.check(['ip', `-${family}`, 'route', 'change', ...route.replace(/\s+(advmss|mtu) \d+/g, '').trim().split(/\s+/), 'advmss', advmss]);
  }
}
