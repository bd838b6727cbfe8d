// packet-lab/lab: packets print what dissect prints for the same packet,
// capture files round-trip, and (as root) sr1/sr/send/sniff work against
// loopback: echo request -> reply, TCP SYN to a closed port -> RST, a UDP
// datagram to a closed port -> ICMP port unreachable, sniff on lo with a
// filter, a count and a timeout. Under CI=true, missing root fails.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDissectCommand } from '../src/cli/dissect-command.ts';
import { formatRecord, packetRecord } from '../src/cli/json-output.ts';
import { closeSockets, icmp, icmp6, ip, ipv6, LabPacket, ls, readPcap, send, sniff, sr, sr1, tcp, udp, writePcap } from '../src/lab.ts';
import { LayerFieldError } from '../src/wire/layers.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { REPOSITORY, runInProcess } from './helpers/run-tool.ts';

const FIXTURE = `${REPOSITORY}fixtures/iputils-ping.pcap`;
const TCP_FIXTURE = `${REPOSITORY}fixtures/curl-http.pcap`;
const dissect = async (args: string[]) => (await runInProcess('dissect', (io) => runDissectCommand(args, io.stdout, {}))).stdout;

const scratch = mkdtempSync(path.join(tmpdir(), 'packet-lab-api-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('lab packets print what dissect prints', () => {
  it.each([FIXTURE, TCP_FIXTURE])('summary() and show() of every packet of %s', async (file) => {
    const packets = await readPcap(file);
    expect(packets.length).toBeGreaterThan(1);
    expect(packets.map((p) => `${p.summary()}\n`).join('')).toBe(await dissect([file]));
    // dissect -V ends every tree with a blank line, as tshark -V does.
    expect(packets.map((p) => `${p.show()}\n\n`).join('')).toBe(await dissect(['-V', file]));
    expect(packets.map((p) => `${p.summary()}\n\n${p.hexdump()}\n\n`).join('')).toBe(await dissect(['-x', file]));
  });

  it('toJSON() is the packet object of dissect --json', async () => {
    const [first] = await readPcap(FIXTURE);
    const firstLine = (await dissect(['--json', '-x', '-c', '1', FIXTURE])).split('\n')[0];
    // dissect adds the file it read; a packet in hand has no file.
    const { file: _file, ...fromDissect } = JSON.parse(firstLine);
    expect(first.toJSON()).toEqual(fromDissect);
    const { record, msDecimals } = packetRecord(first.dissection(), { hex: true });
    expect(JSON.stringify(first)).toBe(formatRecord(record, msDecimals));
  });

  it('a built packet shows itself as a raw IPv4 frame', () => {
    const packet = ip({ dst: '127.0.0.1' }).icmp({ id: 0x1234, seq: 1 }).payload('hi');
    expect(packet).toBeInstanceOf(LabPacket);
    expect(packet.summary()).toMatch(/^ +1 +0\.000000 +127\.0\.0\.1 → 127\.0\.0\.1 +ICMP 30 Echo \(ping\) request +id=0x1234, seq=1\/256, ttl=64/);
    expect(packet.show()).toContain('Internet Control Message Protocol\n    Type: 8 (Echo (ping) request)');
    expect(packet.show()).toContain('Header Checksum: 0x7cdc [correct]');
    // The checksum is scapy's: bytes(IPv6(dst='::1',hlim=9)/ICMPv6EchoRequest(id=0x1234,seq=1,data=b'hi')) has 0x051b.
    expect(packet.hexdump()).toBe('0000  45 00 00 1e 00 01 00 00 40 01 7c dc 7f 00 00 01   E.......@.|.....\n0010  7f 00 00 01 08 00 7d 61 12 34 00 01 68 69         ......}a.4..hi');
  });

  it('ls() lists a layer\'s fields with their defaults, and a packet\'s values beside them', () => {
    expect(ls(icmp)).toBe(
      [
        '  type   : byte  = 8 (echo-request)',
        '  code   : byte  = 0',
        '  chksum : short = (computed)',
        '  id     : short = 0',
        '  seq    : short = 0',
      ].join('\n'),
    );
    expect(ls(tcp)).toContain("  flags    : 'S' | 'SA' | ... | 9 bits = 'S'");
    expect(ls(udp)).toContain('  sport  : short = 53');
    expect(ls(ip({ ttl: 3 }).icmp())).toContain('  ttl     : byte                 = 3  (default 64)');
    expect(() => ls(42)).toThrow('ls() takes a layer (ip, icmp, tcp, udp, ipv6, icmp6) or a packet');
  });
});

describe('IPv6 packets print through the same dissector', () => {
  it('a built IPv6 packet is a raw IP frame: summary, show and hexdump are what dissect prints for it written to a file', async () => {
    const packet = ipv6({ dst: '::1', hlim: 9 }).icmp6({ id: 0x1234, seq: 1 }).payload('hi');
    expect(packet.toJSON()).toMatchObject({ link: { type: 'raw', ipVersion: 6 }, bytes: Buffer.from(packet.build()).toString('hex') });
    const file = path.join(scratch, 'built6.pcap');
    writePcap(file, packet);
    expect(`${packet.summary()}\n`).toBe(await dissect([file]));
    // The times are the packet's own (stamped when first shown) and the file's (when written): the rest is the same tree.
    const timeless = (text: string) => text.replace(/^ +(Arrival|Epoch) Time: .*$/gm, '');
    expect(timeless(`${packet.show()}\n\n`)).toBe(timeless(await dissect(['-V', file])));
    // The checksum is scapy's: bytes(IPv6(dst='::1',hlim=9)/ICMPv6EchoRequest(id=0x1234,seq=1,data=b'hi')) has 0x051b.
    expect(packet.hexdump()).toBe(
      [
        '0000  60 00 00 00 00 0a 3a 09 00 00 00 00 00 00 00 00   `.....:.........',
        '0010  00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00   ................',
        '0020  00 00 00 00 00 00 00 01 80 00 05 1b 12 34 00 01   .............4..',
        '0030  68 69                                             hi',
      ].join('\n'),
    );
  });
});

describe('readPcap / writePcap', () => {
  it('round-trips a fixture: the same frames, times and dissect output', async () => {
    const packets = await readPcap(FIXTURE);
    const copy = path.join(scratch, 'copy.pcap');
    expect(writePcap(copy, packets)).toBe(packets.length);
    expect(readFileSync(copy)).toEqual(readFileSync(FIXTURE));
    expect(await dissect(['-V', copy])).toBe(await dissect(['-V', FIXTURE]));
  });

  it('writes built packets as raw IPv4 and reads them back field for field', async () => {
    const built = [ip({ dst: '127.0.0.1' }).icmp({ seq: 1 }), ip({ dst: '10.0.0.1', ttl: 1 }).tcp({ dport: 22 }).payload('x')];
    const file = path.join(scratch, 'built.pcap');
    writePcap(file, built);
    const back = await readPcap(file);
    expect(back.map((p) => Buffer.from(p.build()).toString('hex'))).toEqual(built.map((p) => Buffer.from(p.build()).toString('hex')));
    expect(back[1].layer('tcp')).toMatchObject({ dport: 22, flags: 'S' });
  });

  it('reports a file that is not a capture as one line', async () => {
    await expect(readPcap(`${REPOSITORY}package.json`)).rejects.toThrow(/package\.json/);
  });
});

describe('bounded by the caller: sniff needs a count or a timeout', () => {
  it('refuses an endless sniff', async () => {
    await expect(sniff({ iface: 'lo' })).rejects.toThrow(LayerFieldError);
  });
  it('refuses to send a packet without an IP layer', async () => {
    await expect(sr1(icmp())).rejects.toThrow('only IP packets can be sent: start with ip({ dst }) or ipv6({ dst }), not icmp');
    await expect(sr1(icmp6({ chksum: 0 }))).rejects.toThrow('only IP packets can be sent: start with ip({ dst }) or ipv6({ dst }), not icmp6');
  });
});

const needsRoot = skipReason([]);

describe.skipIf(needsRoot !== undefined)(`sr1 / sr / send / sniff on loopback${needsRoot ? ` (${needsRoot})` : ''}`, () => {
  it('sr1: an echo request gets its echo reply', async () => {
    const reply = await sr1(ip({ dst: '127.0.0.1' }).icmp({ id: 0x4242, seq: 7 }).payload('hi'));
    expect(reply).toBeDefined();
    expect(reply!.layer('icmp')).toMatchObject({ type: 0, code: 0, id: 0x4242, seq: 7 });
    expect(Buffer.from(reply!.load).toString()).toBe('hi');
    expect(reply!.summary()).toMatch(/127\.0\.0\.1 → 127\.0\.0\.1 +ICMP 30 Echo \(ping\) reply +id=0x4242, seq=7\/1792, ttl=64$/);
  });

  it('sr1: a SYN to a closed loopback port gets a RST', async () => {
    const port = await closedPort();
    const reply = await sr1(ip({ dst: '127.0.0.1' }).tcp({ sport: 40123, dport: port, flags: 'S', seq: 1000 }));
    expect(reply?.layer('tcp')).toMatchObject({ sport: port, dport: 40123, flags: 'RA', ack: 1001 });
  });

  it('sr1 calls at the same time share the kept sockets, each getting its own answer; closeSockets() and the next call opens new ones', async () => {
    const echo = (seq: number) => sr1(ip({ dst: '127.0.0.1' }).icmp({ id: 0x4343, seq }).payload('pool'));
    const answers = await Promise.all([echo(1), echo(2), echo(3)]);
    expect(answers.map((answer) => answer?.layer('icmp'))).toMatchObject([
      { type: 0, id: 0x4343, seq: 1 },
      { type: 0, id: 0x4343, seq: 2 },
      { type: 0, id: 0x4343, seq: 3 },
    ]);
    closeSockets();
    expect((await echo(4))?.layer('icmp')).toMatchObject({ type: 0, seq: 4 });
  });

  it('sr1: undefined when nothing answers before the timeout', async () => {
    // An echo reply sent to ourselves is not answered by the kernel.
    expect(await sr1(ip({ dst: '127.0.0.1' }).icmp({ type: 0, id: 1, seq: 1 }), { timeout: 200 })).toBeUndefined();
  });

  it('sr: answered and unanswered pairs, an ICMP error counting as an answer', async () => {
    const port = await closedPort();
    const result = await sr(
      [
        ip({ dst: '127.0.0.1' }).icmp({ id: 9, seq: 1 }),
        ip({ dst: '127.0.0.1' }).icmp({ id: 9, seq: 2 }),
        ip({ dst: '127.0.0.1' }).udp({ sport: 40124, dport: port }),
        ip({ dst: '127.0.0.1' }).icmp({ type: 0, id: 9, seq: 3 }),
      ],
      { timeout: 300 },
    );
    expect(result.answered.map(([sent, answer]) => [sent.layer('icmp')?.seq ?? sent.layer('udp')?.dport, answer.layer('icmp')?.type])).toEqual([
      [1, 0],
      [2, 0],
      [port, 3],
    ]);
    expect(result.unanswered.map((p) => p.layer('icmp')?.seq)).toEqual([3]);
    expect(result.summary().split('\n')).toHaveLength(8);
  });

  it('sniff on lo with a filter, a count and a timeout sees what send() sends', async () => {
    const captured = sniff({ iface: 'lo', filter: 'icmp and icmp[4:2] == 0x5151', count: 2, timeout: 5000 });
    expect(await send(ip({ dst: '127.0.0.1' }).icmp({ id: 0x5151, seq: 1 }))).toBe(1);
    const packets = await captured;
    expect(packets.map((p) => p.layer('icmp')?.type)).toEqual([8, 0]);
    expect(packets[1].summary()).toMatch(/^ +2 .* Echo \(ping\) reply +id=0x5151, seq=1\/256, ttl=64 \(request in 1\)$/);
    // Written and read back, the capture dissects as it did live.
    const file = path.join(scratch, 'sniffed.pcap');
    writePcap(file, packets);
    expect((await readPcap(file)).map((p) => p.summary())).toEqual(packets.map((p) => p.summary()));
  });

  it('sr1 over IPv6: an ICMPv6 echo to ::1 gets its reply, the header rebuilt from what the socket tells', async () => {
    const reply = await sr1(ipv6({ dst: '::1' }).icmp6({ id: 0x6464, seq: 5 }).payload('hi'));
    expect(reply?.layer('ipv6')).toMatchObject({ src: '::1', dst: '::1', nh: 58, plen: 10 });
    expect(reply?.layer('icmp6')).toMatchObject({ type: 129, code: 0, id: 0x6464, seq: 5 });
    expect(Buffer.from(reply!.load).toString()).toBe('hi');
    expect(reply!.rttMs).toBeGreaterThan(0);
  });

  it('sr over IPv6: a SYN to a closed port gets a RST, UDP to it an ICMPv6 port unreachable, an echo reply nothing', async () => {
    const port = await closedPort('::1');
    const result = await sr(
      [
        ipv6({ dst: '::1' }).tcp({ sport: 40125, dport: port, flags: 'S', seq: 2000 }),
        ipv6({ dst: '::1' }).udp({ sport: 40126, dport: port }).payload('x'),
        ipv6({ dst: '::1' }).icmp6({ type: 129, id: 0x6465, seq: 1 }),
      ],
      { timeout: 300 },
    );
    expect(result.answered.map(([, answer]) => answer.layer('tcp') ?? answer.layer('icmp6'))).toMatchObject([
      { sport: port, dport: 40125, flags: 'RA', ack: 2001 },
      { type: 1, code: 4 },
    ]);
    expect(result.unanswered.map((p) => p.layer('icmp6')?.type)).toEqual([129]);
  });

  it('send over IPv6 sends a wrong ICMPv6 checksum as set (the kernel would fill it on an ICMPv6 socket), seen on lo', async () => {
    const captured = sniff({ iface: 'lo', filter: 'icmp6 and ip6[40] == 128 and ip6[44:2] == 0x6466', count: 1, timeout: 5000 });
    expect(await send(ipv6({ dst: '::1', hlim: 7 }).icmp6({ id: 0x6466, seq: 1, chksum: 0xdead }).payload('bad'))).toBe(1);
    const [seen] = await captured;
    expect(seen?.layer('icmp6')).toMatchObject({ type: 128, id: 0x6466, chksum: 0xdead });
    expect(seen?.layer('ipv6')).toMatchObject({ hlim: 7, src: '::1', dst: '::1' });
    // Not answered: the kernel drops an echo request whose checksum is wrong.
    expect(await sr1(ipv6({ dst: '::1' }).icmp6({ id: 0x6467, seq: 1, chksum: 0xdead }), { timeout: 200 })).toBeUndefined();
  });

  it('sniff ends at its timeout with what it has', async () => {
    expect(await sniff({ iface: 'lo', filter: 'icmp and icmp[4:2] == 0x5252', timeout: 100 })).toEqual([]);
  });
});

/** A loopback port nothing listens on: bound by the kernel, then closed. */
async function closedPort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
