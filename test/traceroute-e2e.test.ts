// End-to-end tests of src/traceroute.ts across two routers:
// client — r1 — r2 — server (test/helpers/tcp-lab.ts), all namespaces the
// tests create and remove; nothing leaves the machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { IcmpType } from '../src/wire/icmp.ts';
import { TcpFlag } from '../src/wire/tcp.ts';
import { createIsolated, leftoverNamespaces, NAME_PREFIX, type Namespace, type RunResult, teardownAll, tsxCommand } from './helpers/netns.ts';
import { createRouterChain, nft, readPackets, readPackets6, startTestServer, needTcpLab } from './helpers/tcp-lab.ts';
import { TESTED_BINDINGS, useSocketBinding } from './helpers/socket-bindings.ts';
import { chooseSocketBinding } from '../src/net/packet-socket.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';

const need = needTcpLab;

function traceroute(ns: Namespace, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return ns.runAsync(tsxCommand('src/traceroute.ts', args), { timeoutMs });
}

function show(result: RunResult): string {
  return `$ ${result.command.join(' ')}\nstatus=${result.status} (${Math.round(result.durationMs)} ms)\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TIME = String.raw`\d+\.\d{3} ms`;

/**
 * traceroute(8)'s or our output with the times blanked: the hops, their
 * addresses, `*` and the !-marks must agree, the times cannot.
 */
function skeleton(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.replace(/\d+\.\d{3} ms/g, 'T ms'));
}

/** A traceroute(8) hop line with -n: ` N  ADDRESS  t ms  t ms  t ms`. */
function hopLine(ttl: number, address: string, probes = 3): RegExp {
  return new RegExp(`^${String(ttl).padStart(2)}  ${escape(address)}${`  ${TIME}`.repeat(probes)}$`);
}

afterEach(async () => {
  expect(await teardownAll(), 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe.each(TESTED_BINDINGS)('traceroute end to end, across two routers, over the %s binding', (binding) => {
  useSocketBinding(binding);

  it('ICMP probes: lists both routers and the destination, and stops there', async (ctx) => {
    need(ctx);
    const chain = createRouterChain();
    const result = await traceroute(chain.client, ['-I', '-n', '-w', '1', chain.serverAddress]);
    expect(result.status, show(result)).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.trimEnd().split('\n'), show(result)).toEqual([
      `traceroute to ${chain.serverAddress} (${chain.serverAddress}), 30 hops max, 60 byte packets`,
      expect.stringMatching(hopLine(1, chain.r1Address)),
      expect.stringMatching(hopLine(2, chain.r2Address)),
      expect.stringMatching(hopLine(3, chain.serverAddress)),
    ]);

    const json = await traceroute(chain.client, ['-I', '--json', '-q', '2', '-w', '1', chain.serverAddress]);
    expect(json.status, show(json)).toBe(0);
    const events = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(checkJsonOutput(json.stdout, 'traceroute').problems, show(json)).toEqual([]);
    const hops = events.filter((e) => e.type === 'hop');
    expect(hops.map((h) => h.probes.map((p: { from: string; outcome: string; replyTtl: number }) => `${p.from} ${p.outcome} ${p.replyTtl}`))).toEqual([
      [`${chain.r1Address} time-exceeded 64`, `${chain.r1Address} time-exceeded 64`],
      [`${chain.r2Address} time-exceeded 63`, `${chain.r2Address} time-exceeded 63`],
      [`${chain.serverAddress} reply 62`, `${chain.serverAddress} reply 62`],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'summary', reached: true, mode: 'icmp', hopCount: 3 });
    // RTTs from the kernel's timestamps on the Linux binding, from JS clocks on raw-socket (PACKET_LAB_SOCKET picks).
    expect(events[0]).toMatchObject({ type: 'start', rttSource: chooseSocketBinding().binding === 'linux' ? 'kernel' : 'javascript' });
  });

  it('UDP probes by default, as traceroute(8): ports 33434 upward, time exceeded from the routers, port unreachable from the destination', async (ctx) => {
    need(ctx, ['cap', 'traceroute']);
    const chain = createRouterChain();
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-trace-`));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'udp.pcap');
    const ours = await traceroute(chain.client, ['-n', '-w', '1', '--pcap', file, chain.serverAddress]);
    const reference = chain.client.run(['traceroute', '-n', '-w', '1', chain.serverAddress], { timeoutMs: 30_000 });
    expect(ours.status, show(ours)).toBe(0);
    expect(ours.stderr).toBe('');
    expect(reference.status, reference.stderr).toBe(0);
    expect(skeleton(ours.stdout), `ours:\n${ours.stdout}traceroute(8):\n${reference.stdout}`).toEqual(skeleton(reference.stdout));
    expect(ours.stdout.trimEnd().split('\n'), show(ours)).toEqual([
      `traceroute to ${chain.serverAddress} (${chain.serverAddress}), 30 hops max, 60 byte packets`,
      expect.stringMatching(hopLine(1, chain.r1Address)),
      expect.stringMatching(hopLine(2, chain.r2Address)),
      expect.stringMatching(hopLine(3, chain.serverAddress)),
    ]);

    const packets = await readPackets(file);
    const probes = packets.filter((p) => p.ip.source === chain.clientAddress && p.udp);
    expect(probes.map((p) => p.ip.ttl)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(probes.map((p) => p.udp!.destinationPort)).toEqual([33434, 33435, 33436, 33437, 33438, 33439, 33440, 33441, 33442]);
    // 20 + 8 + 32 bytes, traceroute(8)'s payload "@ABC...", a valid checksum.
    expect(probes.every((p) => p.ip.totalLength === 60 && p.udp!.checksumValid && p.udp!.payload[0] === 0x40)).toBe(true);
    const unreachable = packets.filter((p) => p.icmp?.type === IcmpType.DestinationUnreachable);
    expect(unreachable.map((p) => `${p.ip.source} ${p.icmp!.code}`)).toEqual(Array(3).fill(`${chain.serverAddress} 3`));

    // -p moves the first port, as in traceroute(8)'s default method (its own -U
    // is another method: one fixed port, 53); -f 2 -q 2: ports 40000.. from TTL 2.
    const moved = await traceroute(chain.client, ['-n', '-U', '-p', '40000', '-f', '2', '-q', '2', '-w', '1', chain.serverAddress]);
    const movedReference = chain.client.run(['traceroute', '-n', '-p', '40000', '-f', '2', '-q', '2', '-w', '1', chain.serverAddress]);
    expect(moved.status, show(moved)).toBe(0);
    expect(skeleton(moved.stdout), `ours:\n${moved.stdout}traceroute(8):\n${movedReference.stdout}`).toEqual(skeleton(movedReference.stdout));
  });

  it('TCP SYN probes to an open and a closed port; the capture shows TTLs 1, 2, 3 and the routers\' answers', async (ctx) => {
    need(ctx, ['cap']);
    const chain = createRouterChain();
    await startTestServer(chain.server, 'echo', chain.serverAddress, 8000);
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-trace-`));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'tcp.pcap');
    const open = await traceroute(chain.client, ['-n', '-T', '-p', '8000', '-w', '1', '--pcap', file, chain.serverAddress]);
    expect(open.status, show(open)).toBe(0);
    const lines = open.stdout.trimEnd().split('\n');
    expect(lines, show(open)).toEqual([
      `traceroute to ${chain.serverAddress} (${chain.serverAddress}), 30 hops max, 60 byte packets`,
      expect.stringMatching(hopLine(1, chain.r1Address)),
      expect.stringMatching(hopLine(2, chain.r2Address)),
      expect.stringMatching(hopLine(3, chain.serverAddress)),
    ]);
    const packets = await readPackets(file);
    const probes = packets.filter((p) => p.ip.source === chain.clientAddress && p.tcp?.flags === TcpFlag.SYN);
    expect(probes.map((p) => p.ip.ttl)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(probes.every((p) => p.tcp!.destinationPort === 8000 && p.tcp!.checksumValid)).toBe(true);
    expect(new Set(probes.map((p) => p.tcp!.sequenceNumber)).size, 'one sequence number per probe').toBe(9);
    const exceeded = packets.filter((p) => p.icmp?.type === IcmpType.TimeExceeded).map((p) => p.ip.source);
    expect(exceeded).toEqual([chain.r1Address, chain.r1Address, chain.r1Address, chain.r2Address, chain.r2Address, chain.r2Address]);
    const synAcks = packets.filter((p) => p.ip.source === chain.serverAddress && p.tcp?.flags === (TcpFlag.SYN | TcpFlag.ACK));
    expect(synAcks).toHaveLength(3);

    const closed = await traceroute(chain.client, ['-n', '-T', '-p', '8001', '-q', '1', '-w', '1', chain.serverAddress]);
    expect(closed.status, show(closed)).toBe(0);
    expect(closed.stdout.trimEnd().split('\n').at(-1)).toMatch(hopLine(3, chain.serverAddress, 1));
  });

  it('prints * for a silent hop, names from the hosts file without -n, and exits 1 when -m stops it short', async (ctx) => {
    need(ctx, ['nft']);
    const chain = createRouterChain();
    // r2 answers nothing: its Time Exceeded messages are dropped on the way out.
    nft(
      chain.r2,
      `table inet plt {
        chain output {
          type filter hook output priority 0; policy accept;
          icmp type time-exceeded drop
        }
      }`,
    );
    chain.client.isolateResolver(`127.0.0.1 localhost\n${chain.r1Address} r1.lab\n${chain.serverAddress} server.lab\n`);
    const result = await traceroute(chain.client, ['-w', '0.5', 'server.lab']);
    expect(result.status, show(result)).toBe(0);
    expect(result.stdout.trimEnd().split('\n'), show(result)).toEqual([
      `traceroute to server.lab (${chain.serverAddress}), 30 hops max, 60 byte packets`,
      expect.stringMatching(new RegExp(`^ 1  r1\\.lab \\(${escape(chain.r1Address)}\\)(  ${TIME}){3}$`)),
      ' 2  * * *',
      expect.stringMatching(new RegExp(`^ 3  server\\.lab \\(${escape(chain.serverAddress)}\\)(  ${TIME}){3}$`)),
    ]);
    expect(result.durationMs, 'one wait (-w 0.5) for the silent hop').toBeLessThan(10_000);

    const short = await traceroute(chain.client, ['-n', '-m', '2', '-q', '1', '-w', '0.3', chain.serverAddress]);
    expect(short.status, show(short)).toBe(1);
    expect(short.stdout.trimEnd().split('\n').slice(1)).toEqual([expect.stringMatching(hopLine(1, chain.r1Address, 1)), ' 2  *']);
  });

  it.for([
    ['UDP', [] as string[]],
    ['ICMPv6', ['-I']],
    ['TCP', ['-T', '-p', '8000']],
    ['TCP to a closed port', ['-T', '-p', '8001']],
  ] as Array<[string, string[]]>)('over IPv6 (%s probes): the same hops and marks as traceroute(8) -6, 80 byte packets', async ([, modeArgs], ctx) => {
    need(ctx, ['traceroute']);
    const chain = createRouterChain({ ipv6: true });
    await startTestServer(chain.server, 'echo', chain.serverAddress6, 8000);
    const ours = await traceroute(chain.client, ['-n', '-w', '1', ...modeArgs, chain.serverAddress6]);
    const reference = chain.client.run(['traceroute', '-6', '-n', '-w', '1', ...modeArgs, chain.serverAddress6], { timeoutMs: 30_000 });
    expect(ours.status, show(ours)).toBe(0);
    expect(ours.stderr).toBe('');
    expect(reference.status, reference.stderr).toBe(0);
    expect(skeleton(ours.stdout), `ours:\n${ours.stdout}traceroute(8):\n${reference.stdout}`).toEqual(skeleton(reference.stdout));
    expect(ours.stdout.trimEnd().split('\n'), show(ours)).toEqual([
      `traceroute to ${chain.serverAddress6} (${chain.serverAddress6}), 30 hops max, 80 byte packets`,
      expect.stringMatching(hopLine(1, chain.r1Address6)),
      expect.stringMatching(hopLine(2, chain.r2Address6)),
      expect.stringMatching(hopLine(3, chain.serverAddress6)),
    ]);
  });

  it('over IPv6, read back from --pcap: UDP probes to 33434 upward with hop limits 1, 2, 3 and checksums over the IPv6 pseudo-header', async (ctx) => {
    need(ctx, ['cap']);
    const chain = createRouterChain({ ipv6: true });
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-trace6-`));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'udp6.pcap');
    const result = await traceroute(chain.client, ['-n', '-q', '2', '-w', '1', '--pcap', file, chain.serverAddress6]);
    expect(result.status, show(result)).toBe(0);
    const packets = await readPackets6(file);
    const probes = packets.filter((p) => p.ip.source === chain.clientAddress6 && p.udp);
    expect(probes.map((p) => p.ip.hopLimit)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(probes.map((p) => p.udp!.destinationPort)).toEqual([33434, 33435, 33436, 33437, 33438, 33439]);
    expect(probes.every((p) => p.udp!.checksumValid && p.ip.payloadLength === 40)).toBe(true);
    const answers = packets.filter((p) => p.icmp6).map((p) => `${p.ip.source} ${p.icmp6!.kind}`);
    expect(answers).toEqual([
      ...Array(2).fill(`${chain.r1Address6} time-exceeded`),
      ...Array(2).fill(`${chain.r2Address6} time-exceeded`),
      ...Array(2).fill(`${chain.serverAddress6} destination-unreachable`),
    ]);
  });

  it('over IPv6: ICMPv6 unreachables marked as traceroute(8) -6 marks them (!X prohibited, !N no route), ending the trace', async (ctx) => {
    need(ctx, ['traceroute']);
    const chain = createRouterChain({ ipv6: true });
    for (const [route, mark] of [['prohibit', '!X'], ['unreachable', '!N']]) {
      chain.r1.check(['ip', '-6', 'route', 'replace', route, `${chain.serverAddress6}/128`]);
      for (const modeArgs of [[], ['-I']]) {
        const args = ['-6', '-n', '-q', '1', '-w', '1', ...modeArgs, chain.serverAddress6];
        const ours = await traceroute(chain.client, args);
        const reference = chain.client.run(['traceroute', ...args], { timeoutMs: 30_000 });
        expect(skeleton(ours.stdout), `ours:\n${ours.stdout}traceroute(8):\n${reference.stdout}`).toEqual(skeleton(reference.stdout));
        expect(ours.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^ 1  ${escape(chain.r1Address6)}  ${TIME} ${mark}$`));
        expect(ours.status, 'the destination did not answer').toBe(1);
      }
    }
  });

  it('over IPv6: hop limits of the answers in --json, -6 with a name, and a silent hop as traceroute(8) shows it', async (ctx) => {
    need(ctx, ['traceroute', 'nft']);
    const chain = createRouterChain({ ipv6: true });
    // r2 sends no ICMPv6 time exceeded.
    nft(
      chain.r2,
      `table inet plt {
        chain output {
          type filter hook output priority 0; policy accept;
          icmpv6 type time-exceeded drop
        }
      }`,
    );
    chain.client.isolateResolver(`127.0.0.1 localhost\n${chain.serverAddress} server.lab\n${chain.serverAddress6} server.lab\n`);
    const ours = await traceroute(chain.client, ['-6', '-n', '-q', '2', '-w', '0.5', 'server.lab']);
    const reference = chain.client.run(['traceroute', '-6', '-n', '-q', '2', '-w', '0.5', 'server.lab'], { timeoutMs: 30_000 });
    expect(ours.status, show(ours)).toBe(0);
    expect(skeleton(ours.stdout), `ours:\n${ours.stdout}traceroute(8):\n${reference.stdout}`).toEqual(skeleton(reference.stdout));
    expect(ours.stdout.trimEnd().split('\n')[2]).toBe(' 2  * *');

    const json = await traceroute(chain.client, ['--json', '-I', '-q', '1', '-w', '0.5', chain.serverAddress6]);
    expect(json.status, show(json)).toBe(0);
    expect(checkJsonOutput(json.stdout, 'traceroute').problems, show(json)).toEqual([]);
    const events = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    const hops = events.filter((e) => e.type === 'hop');
    const hopLimits = binding === 'linux' ? [64, undefined, 62] : [undefined, undefined, undefined];
    expect(hops.map((h) => h.probes.map((p: { from?: string; outcome: string; replyTtl?: number }) => [p.from, p.outcome, p.replyTtl]))).toEqual([
      [[chain.r1Address6, 'time-exceeded', hopLimits[0]]],
      [[undefined, 'none', undefined]],
      [[chain.serverAddress6, 'reply', hopLimits[2]]],
    ]);
    expect(events[0]).toMatchObject({ type: 'start', family: 6, mode: 'icmp', packetLength: 80 });
  });

  it('rejects bad input with one line and exit status 2', async (ctx) => {
    need(ctx);
    const { ns } = createIsolated();
    ns.isolateResolver();
    const cases: Array<[string[], RegExp]> = [
      [[], /destination host is required/],
      [['-m', '0', '127.0.0.1'], /-m/],
      [['-q', '11', '127.0.0.1'], /-q/],
      [['-I', '-p', '80', '127.0.0.1'], /-p is for UDP and TCP/],
      [['-U', '-T', '127.0.0.1'], /exclusive/],
      [['-T', '-p', '0', '127.0.0.1'], /-p/],
      [['-I', '-T', '127.0.0.1'], /exclusive/],
      [['-f', '5', '-m', '3', '127.0.0.1'], /-f 5/],
      [['-w', 'soon', '127.0.0.1'], /-w/],
      [['no-such-host.invalid'], /no-such-host\.invalid: Name or service not known/],
      [['-4', 'fd00::2'], /fd00::2: Address family for hostname not supported/],
      [['-6', '127.0.0.1'], /127\.0\.0\.1: Address family for hostname not supported/],
      [['-4', '-6', '127.0.0.1'], /exclusive/],
      [['fe80::1%nosuchif0'], /fe80::1%nosuchif0: Name or service not known/],
    ];
    const results = await Promise.all(cases.map(([args]) => traceroute(ns, args, 15_000)));
    results.forEach((result, i) => {
      expect(result.status, show(result)).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, show(result)).toHaveLength(1);
      expect(lines[0]).toMatch(/^traceroute: /);
      expect(lines[0], show(result)).toMatch(cases[i][1]);
    });
  });
});
