// --show-wire of ping, tcp-probe and tcp-get end to end in network
// namespaces the test creates (A — veth — B; nothing leaves the machine),
// once per socket binding: the packet the tool built beside the copy A's
// capture saw leave, with the fields A's kernel filled named, and the "sent"
// bytes checked byte for byte against an independent tcpdump on B's end of
// the veth.
//
// Needs root, iproute2, ethtool, tcpdump, python3 and the cap binding; with
// CI=true a missing prerequisite fails the test, otherwise it is skipped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, type TestContext } from 'vitest';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { ETHERTYPE } from '../src/wire/ethernet.ts';
import { decodeLinkLayer } from '../src/wire/link-type.ts';
import { toHex } from './helpers/hex.ts';
import { type BackgroundProcess, createPair, leftoverNamespaces, NAME_PREFIX, type Namespace, type Pair, type RunResult, teardownAll, tsxCommand } from './helpers/netns.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';
import { TESTED_BINDINGS, useSocketBinding } from './helpers/socket-bindings.ts';
import { needTcpLab, startHttpServer } from './helpers/tcp-lab.ts';

const CLOSED_PORT = 7011;
const HTTP_PORT = 8081;

function tool(ns: Namespace, script: string, args: readonly string[]): Promise<RunResult> {
  return ns.runAsync(tsxCommand(script, args), { timeoutMs: 60_000 });
}

function show(result: RunResult): string {
  return `$ ${result.command.join(' ')}\nstatus=${result.status} signal=${result.signal}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

function wireRecords(result: RunResult, toolName: string): Array<Record<string, any>> {
  const checked = checkJsonOutput(result.stdout, toolName);
  expect(checked.problems, show(result)).toEqual([]);
  return checked.records.filter((r) => r.type === 'built-vs-sent');
}

const fieldsOf = (record: Record<string, any>): string[] => record.changes.map((c: any) => `${c.layer} ${c.field}`);

function tempDir(ctx: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-showwire-`));
  ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** tcpdump on B's veth, ending after `count` packets through `filter`; resolves once it listens. */
async function farEnd(pair: Pair, file: string, count: number, filter: string): Promise<BackgroundProcess> {
  const tcpdump = pair.b.spawn(['tcpdump', '-i', pair.deviceB, '--immediate-mode', '-c', String(count), '-U', '-n', '-w', file, filter], { timeoutMs: 60_000 });
  await tcpdump.waitForOutput(/listening on/, 15_000);
  return tcpdump;
}

/** The IPv4 and IPv6 datagrams of a capture file, link header removed, as hex. */
async function datagrams(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const record of readCaptureFile(file)) {
    const link = decodeLinkLayer(record.linkType, record.data);
    if (link.ok && (link.value.protocol === ETHERTYPE.IPV4 || link.value.protocol === ETHERTYPE.IPV6)) out.push(toHex(link.value.payload));
  }
  return out;
}

afterEach(async () => {
  expect(await teardownAll(), 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe.each(TESTED_BINDINGS)('--show-wire in network namespaces, over the %s binding', (binding) => {
  useSocketBinding(binding);

  it('ping: the first request built vs sent names what the kernel filled; sent and reply equal a tcpdump on the far end', async (ctx) => {
    needTcpLab(ctx, ['cap', 'tcpdump']);
    const pair = createPair();
    const theirs = join(tempDir(ctx), 'far.pcap');
    const tcpdump = await farEnd(pair, theirs, 2, 'icmp');
    const run = await tool(pair.a, 'src/ping.ts', ['-c', '1', '-t', '9', '--show-wire', '--json', pair.addressB]);
    expect(run.status, show(run)).toBe(0);
    const [wire] = wireRecords(run, 'ping');
    expect(wire, show(run)).toMatchObject({ device: pair.deviceA, captured: true });
    // The kernel wrote the header: its own id, DF from path MTU discovery, so a new header checksum;
    // the TTL came through (-t sets IP_TTL) and the ICMP checksum is the lab's.
    expect(fieldsOf(wire)).toEqual(expect.arrayContaining(['IPv4 Identification', "IPv4 Don't fragment", 'IPv4 Header checksum']));
    expect(fieldsOf(wire)).not.toContain('IPv4 Time to live');
    expect(fieldsOf(wire)).not.toContain('ICMP Checksum');
    expect((await tcpdump.exited).status).toBe(0);
    expect(await datagrams(theirs)).toEqual([wire.sent, wire.answer]);
    expect(await datagrams(theirs)).not.toContain(wire.built);

    const text = await tool(pair.a, 'src/ping.ts', ['-c', '1', '--show-wire', pair.addressB]);
    expect(text.status, show(text)).toBe(0);
    expect(text.stdout).toContain(`Built vs sent: the datagram the lab built, and the one captured leaving on ${pair.deviceA}`);
    expect(text.stdout).toMatch(/IPv4 Identification +0x0000 \(0\) -> 0x[0-9a-f]{4} \(\d+\) +the kernel's own IP ID/);
    expect(text.stdout).toMatch(/its answer as captured \(84 bytes\):/);
  });

  it('ping -6: the kernel computes the ICMPv6 checksum the lab left 0; sent equals the far end', async (ctx) => {
    needTcpLab(ctx, ['cap', 'tcpdump']);
    const pair = createPair({ ipv6: true });
    const theirs = join(tempDir(ctx), 'far6.pcap');
    const tcpdump = await farEnd(pair, theirs, 2, 'icmp6 and (ip6[40] == 128 or ip6[40] == 129)');
    const run = await tool(pair.a, 'src/ping.ts', ['-6', '-c', '1', '--show-wire', '--json', pair.address6B]);
    expect(run.status, show(run)).toBe(0);
    const [wire] = wireRecords(run, 'ping');
    expect(wire, show(run)).toMatchObject({ device: pair.deviceA, captured: true });
    expect(fieldsOf(wire)).toContain('ICMPv6 Checksum');
    expect(wire.changes.find((c: any) => c.field === 'Checksum')).toMatchObject({ built: '0x0000' });
    expect((await tcpdump.exited).status).toBe(0);
    expect(await datagrams(theirs)).toEqual([wire.sent, wire.answer]);
  });

  it('tcp-probe: the first SYN built vs sent over IPv4 and IPv6; sent equals the far end', async (ctx) => {
    needTcpLab(ctx, ['cap', 'tcpdump']);
    const pair = createPair({ ipv6: true });
    const dir = tempDir(ctx);
    const theirs = join(dir, 'probe.pcap');
    // The SYN from A's fixed port to the closed port.
    const tcpdump = await farEnd(pair, theirs, 1, `tcp and src port 41011`);
    const run = await tool(pair.a, 'src/tcp-probe.ts', ['-p', String(CLOSED_PORT), '--sport', '41011', '--show-wire', '--json', pair.addressB]);
    expect(run.status, show(run)).toBe(0);
    const [wire] = wireRecords(run, 'tcp-probe');
    expect(wire, show(run)).toMatchObject({ device: pair.deviceA, captured: true });
    expect(fieldsOf(wire)).toEqual(expect.arrayContaining(['IPv4 Identification', "IPv4 Don't fragment", 'IPv4 Header checksum']));
    expect((await tcpdump.exited).status).toBe(0);
    expect(await datagrams(theirs)).toEqual([wire.sent]);

    const theirs6 = join(dir, 'probe6.pcap');
    const tcpdump6 = await farEnd(pair, theirs6, 1, `ip6 and tcp and src port 41012`);
    const run6 = await tool(pair.a, 'src/tcp-probe.ts', ['-6', '-p', String(CLOSED_PORT), '--sport', '41012', '--show-wire', '--json', pair.address6B]);
    expect(run6.status, show(run6)).toBe(0);
    const [wire6] = wireRecords(run6, 'tcp-probe');
    expect(wire6, show(run6)).toMatchObject({ device: pair.deviceA, captured: true });
    expect((await tcpdump6.exited).status).toBe(0);
    expect(await datagrams(theirs6)).toEqual([wire6.sent]);
  });

  it('tcp-get: the SYN and the first data segment built vs sent; sent equals the far end', async (ctx) => {
    needTcpLab(ctx, ['cap', 'tcpdump', 'nft']);
    const pair = createPair();
    const dir = tempDir(ctx);
    writeFileSync(join(dir, 'small.txt'), 'hello from B\n');
    await startHttpServer(pair.b, pair.addressB, HTTP_PORT, dir);
    const theirs = join(dir, 'get.pcap');
    // A's SYN and its request (PSH): the two segments compared.
    const tcpdump = await farEnd(pair, theirs, 2, `src host ${pair.addressA} and tcp and (tcp[tcpflags] & (tcp-syn|tcp-push) != 0)`);
    const run = await tool(pair.a, 'src/tcp-get.ts', ['--block-kernel-rst', '--show-wire', '--json', `http://${pair.addressB}:${HTTP_PORT}/small.txt`]);
    expect(run.status, show(run)).toBe(0);
    const wires = wireRecords(run, 'tcp-get');
    expect(wires, show(run)).toHaveLength(2);
    for (const wire of wires) {
      expect(wire).toMatchObject({ device: pair.deviceA, captured: true });
      expect(fieldsOf(wire)).toEqual(expect.arrayContaining(['IPv4 Identification', "IPv4 Don't fragment", 'IPv4 Header checksum']));
    }
    expect((await tcpdump.exited).status).toBe(0);
    expect(await datagrams(theirs)).toEqual(wires.map((w) => w.sent));

    const text = await tool(pair.a, 'src/tcp-get.ts', ['--block-kernel-rst', '--show-wire', `http://${pair.addressB}:${HTTP_PORT}/small.txt`]);
    expect(text.status, show(text)).toBe(0);
    expect(text.stdout).toBe('hello from B\n');
    expect(text.stderr).toContain('the SYN:');
    expect(text.stderr).toContain('the first data segment:');
  });
});
