// craft --send end to end in network namespaces the test creates (A — veth —
// B, 10.211.N.x; nothing leaves the machine), once per socket binding:
// UDP datagrams answered by a UDP echo responder on B or by B's kernel with
// a port unreachable, a wrong UDP checksum sent wrong (B drops it), and the
// wire recorded: -w writes the packet as captured leaving A, and built vs
// sent names what A's kernel changed, checked byte for byte against an
// independent tcpdump capture on B's end of the veth.
//
// Needs root, iproute2, ethtool, tcpdump and the cap binding; with CI=true a
// missing prerequisite fails the test, otherwise it is skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, type TestContext } from 'vitest';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { decodeLinkLayer } from '../src/wire/link-type.ts';
import { parseIpv4 } from '../src/wire/ipv4.ts';
import { toHex } from './helpers/hex.ts';
import { createPair, leftoverNamespaces, NAME_PREFIX, type Namespace, type Pair, type RunResult, teardownAll, tsxCommand } from './helpers/netns.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';
import { TESTED_BINDINGS, useSocketBinding } from './helpers/socket-bindings.ts';
import { needTcpLab } from './helpers/tcp-lab.ts';

const ECHO_PORT = 7007;
const CLOSED_PORT = 7009;

function craft(ns: Namespace, args: readonly string[]): Promise<RunResult> {
  return ns.runAsync(tsxCommand('src/craft.ts', args), { timeoutMs: 30_000 });
}

function show(result: RunResult): string {
  return `$ ${result.command.join(' ')}\nstatus=${result.status} signal=${result.signal}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

function records(result: RunResult): Array<Record<string, any>> {
  const checked = checkJsonOutput(result.stdout, 'craft');
  expect(checked.problems, show(result)).toEqual([]);
  return checked.records;
}

function tempDir(ctx: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-craft-`));
  ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The IPv4 datagrams of a capture file, link header removed, as hex. */
async function datagrams(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const record of readCaptureFile(file)) {
    const link = decodeLinkLayer(record.linkType, record.data);
    if (link.ok && link.value.protocol === 0x0800) out.push(toHex(link.value.payload));
  }
  return out;
}

async function udpLab(): Promise<Pair> {
  const pair = createPair();
  const server = pair.b.spawn(tsxCommand('test/helpers/udp-echo-server.ts', [pair.addressB, String(ECHO_PORT)]), { timeoutMs: 120_000 });
  await server.waitForOutput(/^listening/m, 15_000);
  return pair;
}

afterEach(async () => {
  expect(await teardownAll(), 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe.each(TESTED_BINDINGS)('craft --send in network namespaces, over the %s binding', (binding) => {
  useSocketBinding(binding);

  it('gets the UDP answer from an echo responder, and a port unreachable from a closed port', async (ctx) => {
    needTcpLab(ctx, ['cap']);
    const { a, addressA, addressB } = await udpLab();
    const answered = await craft(a, ['udp', '--sport', '41000', '--dport', String(ECHO_PORT), '--data', 'ping', '--send', addressB, '--json']);
    expect(answered.status, show(answered)).toBe(0);
    const [crafted, answer] = records(answered);
    expect(crafted).toMatchObject({ role: 'crafted', ipv4: { source: addressA, destination: addressB }, udp: { sourcePort: 41000, destinationPort: ECHO_PORT, length: 12 } });
    expect(answer).toMatchObject({
      role: 'answer',
      ipv4: { source: addressB, destination: addressA },
      udp: { sourcePort: ECHO_PORT, destinationPort: 41000, length: 8 + 'echo:ping'.length, checksum: { status: 'correct' } },
    });
    expect(Buffer.from(answer.bytes, 'hex').subarray(28).toString()).toBe('echo:ping');

    const refused = await craft(a, ['udp', '--dport', String(CLOSED_PORT), '--data', 'x', '--send', addressB]);
    expect(refused.status, show(refused)).toBe(0);
    const text = refused.stdout.slice(refused.stdout.indexOf('Answer: an ICMP error quoting the packet'));
    expect(text, show(refused)).toContain(`from ${addressB}`);
    expect(text).toContain('    Type: 3 (Destination unreachable)');
    expect(text).toContain('    Code: 3 (Port unreachable)');
    expect(text).toContain(`        Destination Port: ${CLOSED_PORT}`);
  });

  it('sends a wrong UDP checksum wrong (B drops it), and a zero one as "no checksum" (B answers)', async (ctx) => {
    needTcpLab(ctx, ['cap']);
    const { a, addressB } = await udpLab();
    const wrong = await craft(a, ['udp', '--dport', String(ECHO_PORT), '--data', 'bad', '--checksum', '0xdead', '--send', addressB, '--wait', '0.5', '--show-wire', '--json']);
    expect(wrong.status, show(wrong)).toBe(1);
    const [crafted, wire, timeout] = records(wrong);
    expect(crafted.udp.checksum).toMatchObject({ value: 0xdead, status: 'incorrect' });
    expect(wire).toMatchObject({ type: 'built-vs-sent', captured: true });
    expect(wire.sent.slice(40 + 12, 40 + 16)).toBe('dead'); // left as given: the kernel never fixes a raw socket's UDP checksum
    expect(wire.changes.map((c: any) => c.field)).not.toContain('Checksum');
    expect(timeout.type).toBe('timeout');

    const none = await craft(a, ['udp', '--dport', String(ECHO_PORT), '--data', 'zero', '--checksum', '0', '--send', addressB, '--json']);
    expect(none.status, show(none)).toBe(0);
    const [zero, answer] = records(none);
    expect(zero.udp.checksum.status).toBe('not-present');
    expect(answer.role).toBe('answer');
  });

  it('-w writes the packet as it left and its answer; built vs sent names what the kernel changed, equal to a tcpdump on the far end', async (ctx) => {
    needTcpLab(ctx, ['cap', 'tcpdump']);
    const pair = await udpLab();
    const dir = tempDir(ctx);
    const ours = join(dir, 'craft.pcap');
    const theirs = join(dir, 'tcpdump.pcap');
    // Two packets cross B's end: the SYN and B's RST; tcpdump ends once it has written both.
    const tcpdump = pair.b.spawn(['tcpdump', '-i', pair.deviceB, '--immediate-mode', '-c', '2', '-U', '-n', '-w', theirs, 'ip'], { timeoutMs: 60_000 });
    await tcpdump.waitForOutput(/listening on/, 15_000);

    const run = await craft(pair.a, ['tcp', '--sport', '41001', '--dport', String(CLOSED_PORT), '--ttl', '9', '--send', pair.addressB, '-w', ours, '--json']);
    expect(run.status, show(run)).toBe(0);
    const [crafted, wire, answer, summary] = records(run);
    expect(crafted.ipv4).toMatchObject({ identification: 0, flags: { dontFragment: false }, ttl: 9 });
    expect(wire).toMatchObject({ type: 'built-vs-sent', device: pair.deviceA, captured: true });
    const fields = wire.changes.map((c: any) => `${c.layer} ${c.field}`);
    // The kernel wrote the header: its own id, DF from path MTU discovery, and so a new header checksum.
    // The TTL came through (craft sets IP_TTL), the source was the route's already, the TCP checksum is untouched.
    expect(fields).toEqual(expect.arrayContaining(['IPv4 Identification', "IPv4 Don't fragment", 'IPv4 Header checksum']));
    expect(fields).not.toContain('IPv4 Time to live');
    expect(fields).not.toContain('TCP Checksum');
    const sent = parseIpv4(Buffer.from(wire.sent, 'hex'));
    expect(sent.ok && sent.value).toMatchObject({ ttl: 9, flags: { dontFragment: true }, checksumValid: true });
    expect(answer).toMatchObject({ role: 'answer', tcp: { sourcePort: CLOSED_PORT, destinationPort: 41001 } });
    expect(summary.written).toBe(2);

    expect((await tcpdump.exited).status).toBe(0);
    const written = await datagrams(ours);
    expect(written).toEqual([wire.sent, answer.bytes.slice(28)]); // answer bytes include the 14-byte Ethernet header
    const farEnd = await datagrams(theirs);
    expect(farEnd).toContain(wire.sent); // what B received is what A's capture says A sent
    expect(farEnd).not.toContain(wire.built);
  });

  it('shows built vs sent as text with --show-wire, and the same bytes when --hdrincl leaves nothing to fill', async (ctx) => {
    needTcpLab(ctx, ['cap']);
    const { a, addressA, addressB, deviceA } = await udpLab();
    const run = await craft(a, ['icmp', '--id', '0x77', '--seq', '1', '--send', addressB, '--show-wire']);
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toContain(`Built vs sent: the datagram the lab built, and the one captured leaving on ${deviceA}`);
    expect(run.stdout).toMatch(/IPv4 Identification +0x0000 \(0\) -> 0x[0-9a-f]{4} \(\d+\) +the kernel's own IP ID/);
    expect(run.stdout).toMatch(/IPv4 Don't fragment +not set +-> set +path MTU discovery/);

    const whole = await craft(a, ['icmp', '--id', '0x78', '--seq', '1', '--ip-id', '0x1234', '--df', '--src', addressA, '--send', addressB, '--hdrincl', '--show-wire']);
    expect(whole.status, show(whole)).toBe(0);
    expect(whole.stdout).toContain('the same bytes: the packet left exactly as built');
  });
});

/** A pair with IPv6 (fd00:211:N::1 — ::2) and the UDP echo responder on B's IPv6 address. */
async function udpLab6(): Promise<Pair> {
  const pair = createPair({ ipv6: true });
  const server = pair.b.spawn(tsxCommand('test/helpers/udp-echo-server.ts', [pair.address6B, String(ECHO_PORT)]), { timeoutMs: 120_000 });
  await server.waitForOutput(/^listening/m, 15_000);
  return pair;
}

/** tcpdump on B's veth, ending after `count` IPv6 packets between A and B (NDP and MLD left out); resolves once it listens. */
async function farEndCapture(pair: Pair, file: string, count: number) {
  const filter = `ip6 host ${pair.address6A} and ip6 host ${pair.address6B} and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)`;
  const tcpdump = pair.b.spawn(['tcpdump', '-i', pair.deviceB, '--immediate-mode', '-c', String(count), '-U', '-n', '-w', file, filter], {
    timeoutMs: 60_000,
  });
  await tcpdump.waitForOutput(/listening on/, 15_000);
  return tcpdump;
}

/** The IPv6 datagrams of a capture file, link header removed, as hex. */
async function datagrams6(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const record of readCaptureFile(file)) {
    const link = decodeLinkLayer(record.linkType, record.data);
    if (link.ok && link.value.protocol === 0x86dd) out.push(toHex(link.value.payload));
  }
  return out;
}

describe.each(TESTED_BINDINGS)('craft --send over IPv6 in network namespaces, over the %s binding', (binding) => {
  useSocketBinding(binding);

  it('icmp6: an echo request gets its echo reply; -w writes both as captured, and B saw the bytes built vs sent shows', async (ctx) => {
    needTcpLab(ctx, ['cap', 'tcpdump']);
    const pair = await udpLab6();
    const dir = tempDir(ctx);
    const ours = join(dir, 'craft6.pcap');
    const theirs = join(dir, 'tcpdump6.pcap');
    const tcpdump = await farEndCapture(pair, theirs, 2);
    const run = await craft(pair.a, ['icmp6', '--id', '0x6006', '--seq', '1', '--payload', 'six', '--hop-limit', '9', '--send', pair.address6B, '-w', ours, '--json']);
    expect(run.status, show(run)).toBe(0);
    const [crafted, wire, answer, summary] = records(run);
    expect(crafted.role).toBe('crafted');
    expect(wire).toMatchObject({ type: 'built-vs-sent', device: pair.deviceA, captured: true });
    const sent = Buffer.from(wire.sent, 'hex');
    expect(sent[7]).toBe(9); // the hop limit asked for reached the socket
    expect(sent.subarray(40, 42).toString('hex')).toBe('8000'); // echo request, code 0
    expect(answer.role).toBe('answer');
    const reply = Buffer.from(answer.bytes, 'hex').subarray(14); // after the Ethernet header
    expect(reply[6]).toBe(58);
    expect(reply.subarray(40, 48).toString('hex')).toMatch(/^8100[0-9a-f]{4}60060001$/); // echo reply, same id and seq
    expect(reply.subarray(48).toString()).toBe('six');
    expect(summary.written).toBe(2);
    expect((await tcpdump.exited).status).toBe(0);
    expect(await datagrams6(ours)).toEqual([wire.sent, toHex(reply)]);
    expect(await datagrams6(theirs)).toContain(wire.sent);
  });

  it('icmp6: a set wrong checksum leaves wrong, through the ICMPv6 socket and through IPPROTO_RAW (B drops it, no answer)', async (ctx) => {
    needTcpLab(ctx, ['cap', 'tcpdump']);
    const pair = await udpLab6();
    const dir = tempDir(ctx);
    for (const [name, extra] of [['socket', []], ['raw', ['--hdrincl']]] as const) {
      const theirs = join(dir, `bad-${name}.pcap`);
      const tcpdump = await farEndCapture(pair, theirs, 1);
      const run = await craft(pair.a, ['icmp6', '--id', '0x6007', '--seq', '1', '--checksum', '0xdead', '--send', pair.address6B, '--wait', '0.5', '--show-wire', ...extra]);
      expect(run.status, show(run)).toBe(1);
      expect(run.stdout).toContain(`sent ${name === 'raw' ? 48 : 8} bytes to ${pair.address6B} (${name === 'raw' ? 'whole datagram, IPPROTO_RAW' : 'kernel-built IPv6 header'})`);
      expect(run.stdout).not.toMatch(/ICMPv6 Checksum/); // not among the fields changed on the way out
      expect(run.stdout).toContain('no answer within 0.5 s');
      expect((await tcpdump.exited).status).toBe(0);
      const [seen] = await datagrams6(theirs);
      expect(seen.slice(80, 88)).toBe('8000dead'); // type, code, the checksum as set, on B's side of the wire
    }
  });

  it('udp -6 gets the echo answer, and a closed port an ICMPv6 port unreachable; tcp takes IPv6 from --dst and gets the RST', async (ctx) => {
    needTcpLab(ctx, ['cap']);
    const { a, address6A, address6B } = await udpLab6();
    const echoed = await craft(a, ['udp', '-6', '--sport', '41006', '--dport', String(ECHO_PORT), '--data', 'ping6', '--send', address6B]);
    expect(echoed.status, show(echoed)).toBe(0);
    const answer = echoed.stdout.slice(echoed.stdout.indexOf(`Answer from ${address6B}`));
    expect(answer, show(echoed)).toContain(`    Source Address: ${address6B}`);
    expect(answer).toContain(`    Destination Address: ${address6A}`);
    expect(answer).toMatch(/Source Port: 7007[\s\S]*Destination Port: 41006[\s\S]*Checksum: 0x[0-9a-f]{4} \[correct\]/);
    expect(answer).toContain(`Data (${'echo:ping6'.length} bytes)`);

    const refused = await craft(a, ['udp', '--dport', String(CLOSED_PORT), '--data', 'x', '--send', address6B]);
    expect(refused.status, show(refused)).toBe(0);
    const error = refused.stdout.slice(refused.stdout.indexOf('Answer: an ICMPv6 error quoting the packet'));
    expect(error, show(refused)).toContain('    Type: Destination Unreachable (1)');
    expect(error).toContain('    Code: 4 (Port unreachable)');

    const reset = await craft(a, ['tcp', '--dst', address6B, '--sport', '41007', '--dport', String(CLOSED_PORT), '--send', address6B]);
    expect(reset.status, show(reset)).toBe(0);
    expect(reset.stdout).toContain(`Crafted TCP packet (60 bytes with its IPv6 header)`);
    const rst = reset.stdout.slice(reset.stdout.indexOf(`Answer from ${address6B}`));
    expect(rst, show(reset)).toMatch(/Source Port: 7009[\s\S]*Destination Port: 41007/);
  });
});
