// End-to-end tests of src/tcp-probe.ts in network namespaces the tests create
// and remove (test/helpers/netns.ts, tcp-lab.ts). Peers are 10.211.x.x
// addresses inside them; nothing leaves the machine.
//
// Needs root, iproute2, ethtool, nftables, python3 and the cap binding. With
// CI=true a missing prerequisite fails the test; otherwise it is skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, type TestContext } from 'vitest';
import { TcpFlag, tcpFlagNames } from '../src/wire/tcp.ts';
import { IN_CI } from './helpers/ci-requirements.ts';
import {
  createIsolated,
  createPair,
  haveCommand,
  leftoverNamespaces,
  NAME_PREFIX,
  type Namespace,
  type RunResult,
  teardownAll,
  tsxCommand,
} from './helpers/netns.ts';
import { nft, readPackets, readPackets6, startHttpServer, needTcpLab } from './helpers/tcp-lab.ts';
import { TESTED_BINDINGS, useSocketBinding } from './helpers/socket-bindings.ts';
import { chooseSocketBinding } from '../src/net/packet-socket.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';

const need = needTcpLab;

function probe(ns: Namespace, args: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  return ns.runAsync(tsxCommand('src/tcp-probe.ts', args), { timeoutMs });
}

function show(result: RunResult): string {
  return `$ ${result.command.join(' ')}\nstatus=${result.status} signal=${result.signal} (${Math.round(result.durationMs)} ms)\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

function jsonLines(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

function tempDir(ctx: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-probe-`));
  ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const OPEN = 8000;
const CLOSED = 8002;
const FILTERED = 8001;

/** A pair with a web server on B:8000, 8001 dropped by B's firewall, 8002 closed. */
async function probeLab(ctx: TestContext) {
  const pair = createPair();
  await startHttpServer(pair.b, pair.addressB, OPEN, tempDir(ctx));
  nft(
    pair.b,
    `table inet plt {
      chain input {
        type filter hook input priority 0; policy accept;
        tcp dport ${FILTERED} drop
      }
    }`,
  );
  return pair;
}

afterEach(async () => {
  expect(await teardownAll(), 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe.each(TESTED_BINDINGS)('tcp-probe end to end, in network namespaces, over the %s binding', (binding) => {
  useSocketBinding(binding);

  it('classifies open, closed and filtered ports; its SYN, read back from --pcap, has a right checksum and the options asked for', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const { a, addressA, addressB } = await probeLab(ctx);
    const file = join(tempDir(ctx), 'probe.pcap');
    const result = await probe(a, ['-p', `${OPEN}-${CLOSED}`, '-w', '0.5', '--json', '--pcap', file, addressB]);
    expect(result.status, show(result)).toBe(0);
    const events = jsonLines(result.stdout);
    expect(checkJsonOutput(result.stdout, 'tcp-probe').problems, show(result)).toEqual([]);
    const ports = Object.fromEntries(events.filter((e) => e.type === 'port').map((e) => [e.port, e]));
    expect(ports[OPEN], show(result)).toMatchObject({ state: 'open', reason: 'syn-ack', resetSent: true, probes: 1 });
    expect(ports[CLOSED]).toMatchObject({ state: 'closed', reason: 'rst', probes: 1 });
    expect(ports[FILTERED]).toMatchObject({ state: 'filtered', reason: 'no-response', probes: 2 });
    for (const port of [OPEN, CLOSED]) {
      expect(ports[port].rttMs).toBeGreaterThan(0);
      expect(ports[port].rttMs).toBeLessThan(500);
      expect(ports[port].reply.checksum).toBe('valid');
    }
    expect(tcpFlagNames(ports[OPEN].reply.flags)).toEqual(['SYN', 'ACK']);
    const start = events[0];
    // RTTs from the kernel's timestamps on the Linux binding, from JS clocks on raw-socket (PACKET_LAB_SOCKET picks).
    expect(start).toMatchObject({ type: 'start', rttSource: chooseSocketBinding().binding === 'linux' ? 'kernel' : 'javascript' });
    const summary = events.at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', answered: 2, counts: { open: 1, closed: 1, filtered: 1 } });

    const packets = await readPackets(file);
    const syns = packets.filter((p) => p.ip.source === addressA && p.tcp && p.tcp.flags === TcpFlag.SYN);
    // One SYN per port, and the second try to the filtered one.
    expect(syns.map((p) => p.tcp!.destinationPort).sort()).toEqual([OPEN, FILTERED, FILTERED, CLOSED].sort());
    for (const syn of syns) {
      expect(syn.tcp!.checksumValid, 'TCP checksum over the pseudo-header').toBe(true);
      expect(syn.ip.checksumValid).toBe(true);
      expect(syn.tcp!.sourcePort).toBe(start.sourcePort);
      expect(syn.tcp!.options).toEqual([
        { kind: 'mss', value: 1460 },
        { kind: 'sack-permitted' },
        { kind: 'timestamps', value: expect.any(Number), echoReply: 0 },
        { kind: 'nop' },
        { kind: 'window-scale', shift: 7 },
      ]);
      expect(syn.ip.totalLength).toBe(60);
    }
    // The open port's SYN-ACK was answered with our RST, SEQ = its ACK.
    const synAck = packets.find((p) => p.tcp?.sourcePort === OPEN && p.tcp.flags === (TcpFlag.SYN | TcpFlag.ACK))!;
    expect(synAck).toBeDefined();
    const rsts = packets.filter((p) => p.ip.source === addressA && p.tcp?.destinationPort === OPEN && p.tcp.flags & TcpFlag.RST);
    expect(rsts.length, 'ours, plus the kernel one').toBeGreaterThanOrEqual(1);
    expect(rsts.every((p) => p.tcp!.sequenceNumber === synAck.tcp!.acknowledgmentNumber && p.tcp!.checksumValid)).toBe(true);
  });

  it('prints the nmap-like table and exits 1 when no port answers', async (ctx) => {
    need(ctx, ['nft', 'python3']);
    const { a, addressB } = await probeLab(ctx);
    const text = await probe(a, ['-p', `${CLOSED},${OPEN}`, addressB]);
    expect(text.status, show(text)).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^TCP-PROBE ${addressB} \\(${addressB}\\): 2 ports, from [\\d.]+:\\d+, flags \\[S\\], options \\[mss 1460,sackOK,TS val \\d+ ecr 0,nop,wscale 7\\], 60 bytes$`));
    expect(lines[1]).toMatch(/^PORT\s+STATE\s+REASON\s+RTT\s+REPLY$/);
    expect(lines[2]).toMatch(new RegExp(`^${OPEN}/tcp\\s+open\\s+syn-ack\\s+\\d+\\.\\d+ ms\\s+\\[S\\.\\] win \\d+ ttl 64 options \\[mss 1460,`));
    expect(lines[3]).toMatch(new RegExp(`^${CLOSED}/tcp\\s+closed\\s+rst\\s+\\d+\\.\\d+ ms\\s+\\[R\\.\\] win 0 ttl 64$`));
    expect(text.stdout).toMatch(/^2 ports probed: 1 open, 1 closed; 2 answered, time \d+ms$/m);

    const silent = await probe(a, ['-p', String(FILTERED), '-w', '0.3', '--retries', '0', addressB]);
    expect(silent.status, show(silent)).toBe(1);
    expect(silent.stdout).toMatch(new RegExp(`^${FILTERED}/tcp\\s+filtered\\s+no-response\\s+-\\s+1 probe, no reply$`, 'm'));
    expect(silent.durationMs).toBeLessThan(8000);
  });

  it('crafts flags, numbers, TTL and payload as asked; Xmas probes and bad checksums get nmap answers', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const { a, addressA, addressB } = await probeLab(ctx);
    const dir = tempDir(ctx);
    const file = join(dir, 'xmas.pcap');
    // FIN+PSH+URG: a closed port answers RST, an open one stays silent (RFC 9293).
    const xmas = await probe(a, [
      '-F', '-P', '-U', '--seq', '1000', '--ack', '5', '--window', '1234', '--ttl', '9', '--data', 'hello',
      '--sport', '41000', '-p', `${OPEN},${CLOSED}`, '-w', '0.3', '--retries', '0', '--json', '--pcap', file, addressB,
    ]);
    expect(xmas.status, show(xmas)).toBe(0);
    const ports = Object.fromEntries(jsonLines(xmas.stdout).filter((e) => e.type === 'port').map((e) => [e.port, e]));
    expect(ports[CLOSED]).toMatchObject({ state: 'closed', reason: 'rst' });
    expect(ports[OPEN]).toMatchObject({ state: 'open|filtered', reason: 'no-response' });
    const sent = (await readPackets(file)).filter((p) => p.ip.source === addressA && p.tcp);
    expect(sent).toHaveLength(2);
    for (const p of sent) {
      expect(tcpFlagNames(p.tcp!.flags)).toEqual(['FIN', 'PSH', 'URG']);
      expect(p.tcp).toMatchObject({ sequenceNumber: 1000, acknowledgmentNumber: 5, window: 1234, sourcePort: 41000, options: [], checksumValid: true });
      expect(Buffer.from(p.tcp!.payload).toString()).toBe('hello');
      expect(p.ip.ttl).toBe(9);
    }
    // The RST to the closed port acknowledges the payload and the FIN: 1000 + 5 + 1.
    const rst = ports[CLOSED].reply;
    expect(rst.acknowledgmentNumber).toBe(1006);

    const badFile = join(dir, 'bad.pcap');
    const bad = await probe(a, ['--badsum', '-p', `${OPEN},${CLOSED}`, '-w', '0.3', '--retries', '0', '--json', '--pcap', badFile, addressB]);
    expect(bad.status, `${show(bad)}\nthe peer must drop segments with a wrong checksum`).toBe(1);
    const badPorts = jsonLines(bad.stdout).filter((e) => e.type === 'port');
    expect(badPorts.map((e) => e.state)).toEqual(['filtered', 'filtered']);
    const badSent = (await readPackets(badFile)).filter((p) => p.ip.source === addressA && p.tcp);
    expect(badSent).toHaveLength(2);
    expect(badSent.every((p) => p.tcp!.checksumValid === false && p.ip.checksumValid)).toBe(true);
  });

  it('--hdrincl packets, and ones from a --source the route would not pick, reach the peer and are answered', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap']);
    const { a, addressA, addressB, deviceA } = await probeLab(ctx);
    const file = join(tempDir(ctx), 'hdrincl.pcap');
    const result = await probe(a, ['--hdrincl', '--ip-id', '4660', '--ttl', '33', '-p', `${OPEN},${CLOSED}`, '--json', '--pcap', file, addressB]);
    expect(result.status, show(result)).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events[0]).toMatchObject({ headerIncluded: true, source: addressA });
    const states = events.filter((e) => e.type === 'port').map((e) => `${e.port}:${e.state}`);
    expect(states).toEqual([`${OPEN}:open`, `${CLOSED}:closed`]);
    const syns = (await readPackets(file)).filter((p) => p.ip.source === addressA && p.tcp?.flags === TcpFlag.SYN);
    expect(syns).toHaveLength(2);
    for (const syn of syns) {
      // Ours: identification and TTL; the kernel's: total length and header checksum, both right.
      expect(syn.ip).toMatchObject({ identification: 0x1234, ttl: 33, totalLength: 60, checksumValid: true });
      expect(syn.ip.flags.dontFragment).toBe(true);
      expect(syn.tcp!.checksumValid).toBe(true);
    }

    // A second address on A: the route picks the first, so --source makes the tool write the header.
    const second = addressA.replace(/\.1$/, '.3');
    a.check(['ip', 'addr', 'add', `${second}/24`, 'dev', deviceA]);
    const spoofFile = join(tempDir(ctx), 'source.pcap');
    const other = await probe(a, ['--source', second, '-p', String(OPEN), '--json', '--pcap', spoofFile, addressB]);
    expect(other.status, show(other)).toBe(0);
    const otherEvents = jsonLines(other.stdout);
    expect(otherEvents[0]).toMatchObject({ source: second, routeSource: addressA, headerIncluded: true });
    expect(otherEvents[1]).toMatchObject({ state: 'open' });
    const otherSyn = (await readPackets(spoofFile)).find((p) => p.tcp?.flags === TcpFlag.SYN)!;
    expect(otherSyn.ip.source).toBe(second);
    expect(otherSyn.tcp!.checksumValid).toBe(true);
  });

  it('IP_HDRINCL for ICMP (what ping --hdrincl uses): the kernel fills total length and checksum, source when 0, id when 0 without DF, and ignores IP_TTL', async (ctx) => {
    need(ctx, ['cap']);
    const { a, addressA, addressB } = createPair();
    const result = await a.runAsync(tsxCommand('src/examples/hdrincl-modes.ts', ['--json', addressB]), { timeoutMs: 20_000 });
    expect(result.status, show(result)).toBe(0);
    const [kernel, zeros, set, atomic] = jsonLines(result.stdout);
    expect(kernel).toMatchObject({ mode: 'kernel header', answered: true, wire: { ttl: '64', source: addressA, flags: 'DF' } });
    expect(zeros).toMatchObject({
      answered: true,
      written: { 'total length': '0', identification: '0x0000', 'header checksum': '0x0000 (wrong)', source: '0.0.0.0', ttl: '33' },
      // IP_TTL was 7 when it was sent: ignored with IP_HDRINCL.
      wire: { 'total length': '54', source: addressA, ttl: '33' },
    });
    expect(zeros.wire['header checksum']).not.toMatch(/wrong|0x0000/);
    expect(set.answered).toBe(true);
    expect(set.wire, 'every field as written').toEqual(set.written);
    expect(set.wire).toMatchObject({ identification: '0x1234', tos: '0x10', ttl: '33', flags: 'DF' });
    // With DF, identification 0 stays 0: Linux's ip_select_ident gives atomic datagrams no ID (RFC 6864).
    expect(atomic).toMatchObject({ answered: true, written: { identification: '0x0000', flags: 'DF' }, wire: { identification: '0x0000', flags: 'DF' } });
  });

  it('over IPv6: open, closed and filtered as nmap -6 -sS says; SYNs with the IPv6 pseudo-header checksum and MSS 1440', async (ctx) => {
    need(ctx, ['nft', 'python3', 'cap', 'nmap']);
    const pair = createPair({ ipv6: true });
    await startHttpServer(pair.b, pair.address6B, OPEN, tempDir(ctx));
    nft(
      pair.b,
      `table inet plt {
        chain input {
          type filter hook input priority 0; policy accept;
          tcp dport ${FILTERED} drop
        }
      }`,
    );
    const file = join(tempDir(ctx), 'probe6.pcap');
    const result = await probe(pair.a, ['-p', `${OPEN}-${CLOSED}`, '-w', '0.5', '--json', '--pcap', file, pair.address6B]);
    expect(result.status, show(result)).toBe(0);
    expect(checkJsonOutput(result.stdout, 'tcp-probe').problems, show(result)).toEqual([]);
    const events = jsonLines(result.stdout);
    const ports = Object.fromEntries(events.filter((e) => e.type === 'port').map((e) => [e.port, e]));
    expect(ports[OPEN], show(result)).toMatchObject({ state: 'open', reason: 'syn-ack', resetSent: true });
    expect(ports[CLOSED]).toMatchObject({ state: 'closed', reason: 'rst' });
    expect(ports[FILTERED]).toMatchObject({ state: 'filtered', reason: 'no-response', probes: 2 });
    for (const port of [OPEN, CLOSED]) {
      expect(ports[port].reply.checksum).toBe('valid');
      expect(ports[port].reply.source).toBe(pair.address6B);
      // The hop limit comes from ancillary data on the Linux binding; raw-socket cannot tell.
      expect(ports[port].reply.ttl).toBe(binding === 'linux' ? 64 : undefined);
    }
    expect(events[0]).toMatchObject({ type: 'start', family: 6, source: pair.address6A, probeBytes: 80 });

    // nmap -6 -sS on the same ports: the same verdicts.
    const nmap = pair.a.run(['nmap', '-6', '-sS', '-n', '-Pn', '--max-retries', '1', '--host-timeout', '20s', '-p', `${OPEN}-${CLOSED}`, '-oG', '-', pair.address6B], { timeoutMs: 60_000 });
    expect(nmap.status, nmap.stderr).toBe(0);
    const grepable = /Ports: (.*?)(\t|$)/m.exec(nmap.stdout)?.[1] ?? '';
    const nmapStates = Object.fromEntries(grepable.split(', ').map((entry) => entry.split('/')).map(([port, state]) => [Number(port), state]));
    expect(Object.fromEntries([OPEN, FILTERED, CLOSED].map((port) => [port, ports[port].state])), nmap.stdout).toEqual(nmapStates);

    const packets = await readPackets6(file);
    const syns = packets.filter((p) => p.ip.source === pair.address6A && p.tcp?.flags === TcpFlag.SYN);
    expect(syns.map((p) => p.tcp!.destinationPort).sort()).toEqual([OPEN, FILTERED, FILTERED, CLOSED].sort());
    for (const syn of syns) {
      expect(syn.tcp!.checksumValid, 'TCP checksum over the IPv6 pseudo-header').toBe(true);
      expect(syn.tcp!.options[0]).toEqual({ kind: 'mss', value: 1440 });
      expect(syn.ip.payloadLength).toBe(40);
    }
    const synAck = packets.find((p) => p.tcp?.sourcePort === OPEN && p.tcp.flags === (TcpFlag.SYN | TcpFlag.ACK))!;
    const rsts = packets.filter((p) => p.ip.source === pair.address6A && p.tcp?.destinationPort === OPEN && p.tcp.flags & TcpFlag.RST);
    expect(rsts.length, 'ours, plus the kernel one').toBeGreaterThanOrEqual(1);
    expect(rsts.every((p) => p.tcp!.sequenceNumber === synAck.tcp!.acknowledgmentNumber && p.tcp!.checksumValid)).toBe(true);
  });

  it('rejects bad input with one line on stderr and exit status 2', async (ctx) => {
    need(ctx);
    const { ns } = createIsolated();
    ns.isolateResolver();
    const cases: Array<[string[], RegExp]> = [
      [['127.0.0.1'], /-p PORTS/],
      [['-p', '0', '127.0.0.1'], /'0'.*1\.\.65535/],
      [['-p', '70000', '127.0.0.1'], /70000/],
      [['-p', '90-80', '127.0.0.1'], /backwards/],
      [['-p', 'http', '127.0.0.1'], /'http'/],
      [['-p', '80', 'no-such-host.invalid'], /no-such-host\.invalid: Name or service not known/],
      [['-p', '80', '--ip-id', '5', '127.0.0.1'], /--hdrincl/],
      [['-p', '80', '--source', 'me', '127.0.0.1'], /--source/],
      [['-p', '80', '--sport', '0', '127.0.0.1'], /--sport/],
      [['-p', '80', '-w', 'x', '127.0.0.1'], /-w/],
      [['-p', '80', '--bogus', '127.0.0.1'], /bogus/],
      [['-p', '80'], /destination/],
      [['-p', '80', '-4', '::1'], /::1: Address family for hostname not supported/],
      [['-p', '80', '-6', '127.0.0.1'], /127\.0\.0\.1: Address family for hostname not supported/],
      [['-p', '80', '--hdrincl', '::1'], /--hdrincl is for IPv4/],
      [['-p', '80', '--source', '127.0.0.1', '::1'], /--source is for IPv4/],
    ];
    const results = await Promise.all(cases.map(([args]) => probe(ns, args, 15_000)));
    results.forEach((result, i) => {
      expect(result.status, show(result)).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, show(result)).toHaveLength(1);
      expect(lines[0]).toMatch(/^tcp-probe: /);
      expect(lines[0], show(result)).toMatch(cases[i][1]);
    });
  });

  it('explains in one line how to get privileges when run unprivileged', async (ctx) => {
    need(ctx, ['setpriv']);
    const { ns } = createIsolated();
    const asNobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all'];
    if (ns.run([...asNobody, 'sh', '-c', 'test -r src/tcp-probe.ts && test -r node_modules/tsx/package.json']).status !== 0) {
      if (IN_CI) throw new Error('user nobody cannot read the checkout');
      ctx.skip('user nobody cannot read the checkout');
    }
    for (const tool of ['src/tcp-probe.ts', 'src/tcp-get.ts', 'src/traceroute.ts']) {
      const args = tool === 'src/tcp-probe.ts' ? ['-p', '80', '127.0.0.1'] : tool === 'src/tcp-get.ts' ? ['http://127.0.0.1/'] : ['127.0.0.1'];
      const result = await ns.runAsync([...asNobody, ...tsxCommand(tool, args)], { timeoutMs: 20_000 });
      expect(result.status, show(result)).toBe(2);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, show(result)).toHaveLength(1);
      expect(lines[0]).toMatch(/sudo/);
      expect(lines[0]).toMatch(/setcap/);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
    expect(haveCommand('setpriv')).toBe(true);
  });
});
