// src/craft.ts as a user runs it: the seed's two examples byte for byte,
// fields kept as given (a wrong checksum stays wrong), TCP flags and options
// in command-line order, the views, -w files that tshark opens, and --send
// over loopback answered by the kernel (needs root: a failure in CI without
// it, a skip elsewhere).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { internetChecksum } from '../src/wire/checksum.ts';
import { pack } from '../src/wire/struct.ts';
import { buildTcp } from '../src/wire/tcp.ts';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { decodeLinkLayer } from '../src/wire/link-type.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { toHex } from './helpers/hex.ts';
import { runTool, runTshark } from './helpers/run-tool.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'packet-lab-craft-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, any>;

/** craft --json: the crafted packet's object (and the answer's, when sent). */
function craftJson(args: string[]): Json[] {
  const run = runTool('craft', [...args, '--json']);
  expect(run.stderr).toBe('');
  return run.stdout.trim().split('\n').map((line) => JSON.parse(line));
}

/** The transport bytes of a crafted raw-IP packet: after its 20-byte IPv4 header. */
const transportHex = (packet: Json): string => (packet.bytes as string).slice(40);

describe('the seed examples', () => {
  it('builds the bare echo request: craft icmp --id 0x1234 --seq 1', () => {
    const [packet] = craftJson(['icmp', '--id', '0x1234', '--seq', '1']);
    const expected = pack('!BBHHH', 8, 0, internetChecksum(pack('!BBHHH', 8, 0, 0, 0x1234, 1)), 0x1234, 1);
    expect(transportHex(packet)).toBe(toHex(expected));
    expect(transportHex(packet)).toBe('0800e5ca12340001');
    expect(packet).toMatchObject({ role: 'crafted', icmp: { type: 8, identifier: 0x1234, sequence: 1, checksum: { value: 0xe5ca, status: 'correct' } } });
    const text = runTool('craft', ['icmp', '--id', '0x1234', '--seq', '1']).stdout;
    expect(text).toContain('  08 00 e5 ca 12 34 00 01\n');
    expect(text).toContain('    Checksum: 0xe5ca [correct]');
  });

  it("packs 'Hello world!' as two Q fields, with the zero bytes explained, beside the plain payload", () => {
    const args = ['icmp', '--id', '0x6679', '--seq', '1', '--struct', '!QQ', '0x48656c6c6f', '0x20776f726c6421'];
    const [packet] = craftJson(args);
    const payload = pack('!QQ', 0x48656c6c6fn, 0x20776f726c6421n);
    const expected = pack('!BBHHHQQ', 8, 0, internetChecksum(pack('!BBHHH', 8, 0, 0, 0x6679, 1), payload), 0x6679, 1, 0x48656c6c6fn, 0x20776f726c6421n);
    expect(transportHex(packet)).toBe(toHex(expected));
    expect(transportHex(packet)).toBe('080071446679000100000048656c6c6f0020776f726c6421');
    expect(packet.struct.items).toEqual([
      { code: 'Q', value: '0x48656c6c6f', offset: 0, size: 8, bytes: '00000048656c6c6f' },
      { code: 'Q', value: '0x20776f726c6421', offset: 8, size: 8, bytes: '0020776f726c6421' },
    ]);
    const text = runTool('craft', args).stdout;
    expect(text).toContain('the value needs 5: 3 leading zero bytes');
    expect(text).toContain('the value needs 7: 1 leading zero byte');
    expect(text).toContain("The same text as plain bytes has none: --payload 'Hello world!'");

    const [plain] = craftJson(['icmp', '--id', '0x6679', '--seq', '1', '--payload', 'Hello world!']);
    expect(transportHex(plain)).toBe('08001f966679000148656c6c6f20776f726c6421');
    expect(transportHex(plain)).not.toContain('6f0020');
  });

  it('uses the default identifier 0 and sequence 0 when none is given, so output is reproducible', () => {
    const [packet] = craftJson(['icmp', '--seq', '1', '--struct', '!QQ', '0x48656c6c6f', '0x20776f726c6421']);
    expect(packet.icmp.identifier).toBe(0);
    expect(packet.icmp.checksum.status).toBe('correct');
  });
});

describe('fields are kept as given', () => {
  it('keeps a wrong ICMP checksum and says what it should be', () => {
    const [packet] = craftJson(['icmp', '--checksum', '0xdead', '--payload', 'x']);
    expect(transportHex(packet).slice(4, 8)).toBe('dead');
    expect(packet.icmp.checksum).toMatchObject({ value: 0xdead, status: 'incorrect' });
    expect(runTool('craft', ['icmp', '--checksum', '0xdead', '--payload', 'x']).stdout).toMatch(/Checksum: 0xdead incorrect, should be 0x[0-9a-f]{4}/);
  });

  it('keeps a wrong TCP checksum, data offset and IP header checksum and length', () => {
    const [packet] = craftJson(['tcp', '--checksum', '0xbeef', '--data-offset', '6', '--ip-checksum', '0x1234']);
    expect(packet.tcp).toMatchObject({ checksum: { value: 0xbeef, status: 'incorrect' }, dataOffset: 6, headerLength: 24 });
    expect(packet.ipv4.checksum).toMatchObject({ value: 0x1234, status: 'incorrect' });
    // A total length beyond the bytes: dissect calls the datagram cut short and cannot verify the TCP checksum.
    const [long] = craftJson(['tcp', '--ip-length', '1000']);
    expect(long.ipv4.totalLength).toBe(1000);
    expect(long.problems[0]).toMatchObject({ kind: 'truncated', layer: 'ipv4' });
    expect(long.tcp.checksum.status).toBe('unverified');
  });

  it('sets every IPv4 field', () => {
    const [packet] = craftJson(['icmp', '--src', '192.0.2.1', '--dst', '198.51.100.7', '--ttl', '1', '--ip-id', '0xabcd', '--tos', '0xb8', '--df']);
    expect(packet.ipv4).toMatchObject({ source: '192.0.2.1', destination: '198.51.100.7', ttl: 1, identification: 0xabcd, dscp: 46, ecn: 0, flags: { dontFragment: true } });
    expect(packet.ipv4.checksum.status).toBe('correct');
  });
});

describe('TCP', () => {
  it('reads flags as letters, names or a number', () => {
    const flags = (text: string) => craftJson(['tcp', '--flags', text])[0].tcp.flags;
    expect(flags('SA')).toBe(0x12);
    expect(flags('syn,ack')).toBe(0x12);
    expect(flags('0x12')).toBe(0x12);
    expect(flags('FPU')).toBe(0x29);
    expect(flags('SEC')).toBe(0xc2);
    expect(flags('none')).toBe(0);
  });

  it('puts options in command-line order and computes the checksum over the pseudo-header', () => {
    const args = ['tcp', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--sport', '42946', '--dport', '8080', '--mss', '1460', '--sackok', '--ts', '7:0', '--nop', '--wscale', '10', '--data', 'hi'];
    const [packet] = craftJson(args);
    expect(packet.tcp.options).toEqual([
      { kind: 'mss', value: 1460 },
      { kind: 'sack-permitted' },
      { kind: 'timestamps', value: 7, echoReply: 0 },
      { kind: 'nop' },
      { kind: 'window-scale', shift: 10 },
    ]);
    const reference = buildTcp(
      {
        sourcePort: 42946,
        destinationPort: 8080,
        flags: 2,
        window: 64240,
        options: [{ kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }, { kind: 'timestamps', value: 7, echoReply: 0 }, { kind: 'nop' }, { kind: 'window-scale', shift: 10 }],
        payload: new TextEncoder().encode('hi'),
      },
      { source: '10.0.0.1', destination: '10.0.0.2' },
    );
    expect(transportHex(packet)).toBe(toHex(reference));
    expect(packet.info).toBe('42946 → 8080 [SYN] Seq=0 Win=64240 Len=2 MSS=1460 SACK_PERM TSval=7 TSecr=0 WS=1024');
  });
});

describe('UDP', () => {
  const args = ['udp', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--sport', '40000', '--dport', '53', '--data', 'hello'];

  it('fills length and checksum over the RFC 768 pseudo-header, as computed here from the RFC and as tshark checks it', () => {
    const [packet] = craftJson(args);
    const data = new TextEncoder().encode('hello');
    const header = (checksum: number) => pack('!HHHH', 40000, 53, 13, checksum);
    // Pseudo-header: source, destination, zero, protocol 17, UDP length.
    const pseudo = pack('!BBBBBBBBBBH', 10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 13);
    const checksum = internetChecksum(pseudo, header(0), data);
    expect(transportHex(packet)).toBe(toHex(header(checksum)) + toHex(data));
    expect(packet.udp).toMatchObject({ sourcePort: 40000, destinationPort: 53, length: 13, checksum: { value: checksum, status: 'correct' } });
    expect(packet.ipv4).toMatchObject({ protocol: 17, totalLength: 33 });
  });

  it('keeps any checksum: 0 is "none", a wrong one stays wrong; and a wrong length', () => {
    expect(craftJson([...args, '--checksum', '0'])[0].udp.checksum).toMatchObject({ value: 0, status: 'not-present' });
    expect(craftJson([...args, '--checksum', '0xdead'])[0].udp.checksum).toMatchObject({ value: 0xdead, status: 'incorrect' });
    const [long] = craftJson([...args, '--length', '99']);
    expect(long.udp.length).toBe(99);
    expect(transportHex(long).slice(8, 12)).toBe('0063');
  });

  it('shows the RFC 768 diagram and the checksum walkthrough with its pseudo-header', () => {
    const views = runTool('craft', [...args, '--diagram', '--checksum']).stdout;
    expect(views).toContain(
      [
        '|          Source Port          |       Destination Port        |',
        '|             40000             |              53               |',
        '+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+',
        '|            Length             |           Checksum            |',
      ].join('\n'),
    );
    expect(views).toContain('UDP header (RFC 768), 8 bytes');
    expect(views).toContain('|                        Data (5 bytes)                         |');
    expect(views).toContain('  pseudo-header (not sent; rebuilt by both ends from the IP header):');
    expect(views).toMatch(/ {7}- {2}00 11 {2}0x0011 +0x[0-9a-f]{5} {2}zero \| protocol \(17\)/);
    expect(views).toMatch(/ {7}- {2}00 0d {2}0x000d +0x[0-9a-f]{5} {2}UDP length \(13\)/);
    expect(views).toMatch(/UDP checksum \(RFC 1071\)[\s\S]*stored (0x[0-9a-f]{4}) = computed \1: correct/);
    const none = runTool('craft', [...args, '--checksum', '0', '--checksum']).stdout;
    expect(none).toContain('the sender sent none (0x0000 means "no checksum" in UDP over IPv4)');
  });

  it('writes datagrams tshark reads with the same checksum verdicts', () => {
    const skip = skipReason(['tshark'], { root: false });
    if (skip !== undefined) return;
    const verdicts: string[] = [];
    for (const [name, extra] of [['good', []], ['bad', ['--checksum', '0xdead']], ['none', ['--checksum', '0']]] as const) {
      const file = join(dir, `udp-${name}.pcap`);
      expect(runTool('craft', [...args, ...extra, '-w', file]).status).toBe(0);
      const run = runTshark(['-r', file, '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'udp.checksum', '-e', 'udp.checksum.status', '-e', 'udp.length']);
      expect(run.status).toBe(0);
      verdicts.push(run.stdout.trim());
    }
    const ours = craftJson(args)[0].udp.checksum.value.toString(16).padStart(4, '0');
    // tshark's status: 1 good, 0 bad, 3 not present.
    expect(verdicts).toEqual([`0x${ours}\t1\t13`, '0xdead\t0\t13', '0x0000\t3\t13']);
  });
});

describe('IPv6: icmp6, and tcp/udp over IPv6', () => {
  const addresses = ['--src', 'fd00::1', '--dst', 'fd00::2'];
  /** fd00::1 and fd00::2 as the 16-byte words of the pseudo-header. */
  const pseudo = (nextHeader: number, length: number) =>
    pack('!HHHHHHHHHHHHHHHHIxxxB', 0xfd00, 0, 0, 0, 0, 0, 0, 1, 0xfd00, 0, 0, 0, 0, 0, 0, 2, length, nextHeader);
  const raw = (args: string[]) => {
    const file = join(dir, `v6-${args.join('_').replace(/[^a-z0-9]/gi, '')}.pcap`);
    expect(runTool('craft', [...args, '-w', file]).status).toBe(0);
    return file;
  };
  /** The bytes after the 40-byte IPv6 header of a crafted packet, read back from its -w file. */
  async function upperLayer(args: string[]): Promise<string> {
    const records = [];
    for await (const record of readCaptureFile(raw(args))) records.push(record);
    expect(records[0].data[0] >> 4).toBe(6);
    return toHex(records[0].data.subarray(40));
  }

  it('icmp6 fills the checksum over the RFC 8200 pseudo-header, as computed here and as tshark checks it', async () => {
    const message = (checksum: number) => pack('!BBHHH', 128, 0, checksum, 0x1234, 1);
    const expected = internetChecksum(pseudo(58, 8), message(0));
    expect(await upperLayer(['icmp6', ...addresses, '--id', '0x1234', '--seq', '1'])).toBe(toHex(message(expected)));
    const text = runTool('craft', ['icmp6', ...addresses, '--id', '0x1234', '--seq', '1', '--diagram', '--checksum']).stdout;
    expect(text).toContain('Crafted ICMPv6 packet (48 bytes with its IPv6 header)');
    expect(text).toContain('|Version| Traffic Class |              Flow Label               |');
    expect(text).toContain('|        Payload Length         |  Next Header  |   Hop Limit   |');
    expect(text).toContain('|               8               |  58 (ICMPv6)  |      64       |');
    expect(text).toContain(`|     Type      |     Code      |           Checksum            |`);
    expect(text).toContain(`0x${expected.toString(16).padStart(4, '0')} (correct)`);
    expect(text).toContain('       -  fd 00  0xfd00      0x0fd00  source address, word 1 of 8');
    expect(text).toContain('       -  00 3a  0x003a');
    expect(text).toMatch(/zero \| next header \(58\)/);
    const skip = skipReason(['tshark'], { root: false });
    if (skip === undefined) {
      const fields = (file: string) => runTshark(['-r', file, '-T', 'fields', '-e', 'icmpv6.checksum', '-e', 'icmpv6.checksum.status']).stdout.trim();
      expect(fields(raw(['icmp6', ...addresses, '--id', '0x1234', '--seq', '1']))).toBe(`0x${expected.toString(16).padStart(4, '0')}\t1`);
      expect(fields(raw(['icmp6', ...addresses, '--checksum', '0xdead']))).toBe('0xdead\t0');
      expect(runTshark(['-r', raw(['icmp6', ...addresses, '--id', '0x1234', '--seq', '1'])]).stdout).toContain('ICMPv6 48 Echo (ping) request id=0x1234, seq=1, hop limit=64');
    }
  });

  it('names ICMPv6 types, and sets any type, code and IPv6 header field', async () => {
    const hex = await upperLayer(['icmp6', ...addresses, '--type', 'packet-too-big', '--code', '0', '--id', '0', '--seq', '1280']);
    expect(hex.slice(0, 4)).toBe('0200');
    expect(hex.slice(8, 16)).toBe('00000500'); // bytes 4-7: the MTU 1280
    const records = [];
    for await (const record of readCaptureFile(raw(['icmp6', ...addresses, '--hop-limit', '1', '--traffic-class', '0xb8', '--flow-label', '0x12345', '--payload-length', '99']))) records.push(record);
    expect(toHex(records[0].data.subarray(0, 8))).toBe('6b812345006' + '33a01');
  });

  it('tcp and udp take IPv6 from the addresses (or -6), with checksums over the IPv6 pseudo-header; tshark agrees', () => {
    const tcpFile = raw(['tcp', ...addresses]);
    const udpFile = raw(['udp', '-6', '--src', 'fd00::1', '--dst', 'fd00::2', '--data', 'hi']);
    const zeroFile = raw(['udp', ...addresses, '--data', 'hi', '--checksum', '0']);
    const views = runTool('craft', ['udp', ...addresses, '--data', 'hi', '--checksum', '0', '--checksum']).stdout;
    expect(views).toMatch(/stored 0x0000 != computed 0x[0-9a-f]{4}: incorrect/); // over IPv6 a zero UDP checksum is no exemption (RFC 8200 8.1)
    const skip = skipReason(['tshark'], { root: false });
    if (skip !== undefined) return;
    expect(runTshark(['-r', tcpFile, '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-e', 'ipv6.dst', '-e', 'tcp.checksum.status']).stdout.trim()).toBe('fd00::2\t1');
    expect(runTshark(['-r', udpFile, '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'udp.length', '-e', 'udp.checksum.status']).stdout.trim()).toBe('10\t1');
    // tshark's status 4: "Illegal", a zero checksum over IPv6.
    expect(runTshark(['-r', zeroFile, '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'udp.checksum.status']).stdout.trim()).toBe('4');
  });
});

describe('--json for the new kinds', () => {
  it('keeps to the published schema for udp, icmp6 and tcp over IPv6', () => {
    for (const args of [['udp', '--data', 'x', '--checksum', '0'], ['icmp6', '--type', 'neighbor-solicitation'], ['tcp', '-6', '--mss', '1440']]) {
      const { records, problems } = checkJsonOutput(runTool('craft', [...args, '--json']).stdout, 'craft');
      expect(problems, args.join(' ')).toEqual([]);
      expect(records.map((r) => r.type)).toEqual(['packet', 'summary']);
    }
  });
});

describe('views and output', () => {
  it('shows the same views as dissect: tree by default, --diagram, --checksum walkthrough, -x', () => {
    const tree = runTool('craft', ['icmp', '--id', '1', '--seq', '2']).stdout;
    expect(tree).toContain('Internet Control Message Protocol\n    Type: 8 (Echo (ping) request)');
    const views = runTool('craft', ['icmp', '--id', '1', '--seq', '2', '--diagram', '--checksum', '-x']).stdout;
    expect(views).toContain('|          Identifier           |        Sequence Number        |');
    expect(views).toMatch(/ICMP checksum \(RFC 1071\)[\s\S]*stored 0xf7fc = computed 0xf7fc: correct/);
    expect(views).toContain('0010  7f 00 00 01 08 00 f7 fc 00 01 00 02');
    expect(views).not.toContain('Frame 1:'); // no tree unless -V is added to other views
  });

  it('writes a pcap that tshark and dissect open: raw IPv4 or Ethernet', async () => {
    const raw = join(dir, 'echo.pcap');
    const ethernet = join(dir, 'syn-eth.pcap');
    expect(runTool('craft', ['icmp', '--id', '0x1234', '--seq', '1', '-w', raw]).status).toBe(0);
    expect(runTool('craft', ['tcp', '--link', 'ethernet', '-w', ethernet]).status).toBe(0);
    const records = [];
    for await (const record of readCaptureFile(raw)) records.push(record);
    expect(records).toHaveLength(1);
    expect(records[0].linkType).toBe(101);
    expect(toHex(records[0].data).slice(40)).toBe('0800e5ca12340001');
    const dissected = runTool('dissect', [raw, ethernet]).stdout;
    expect(dissected).toContain('ICMP 28 Echo (ping) request  id=0x1234, seq=1/256, ttl=64');
    expect(dissected).toContain('TCP 54 40000 → 80 [SYN] Seq=0 Win=64240 Len=0');
    const skip = skipReason(['tshark'], { root: false });
    if (skip === undefined) {
      const run = runTshark(['-r', raw]);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Echo (ping) request  id=0x1234, seq=1/256, ttl=64');
      expect(runTshark(['-r', ethernet]).stdout).toContain('40000 → 80 [SYN] Seq=0 Win=64240 Len=0');
    }
  });

  it('packs a --struct of many values in one pass, each value placed by struct', () => {
    const words = Array.from({ length: 20000 }, (_, i) => String(i % 256));
    const [packet] = craftJson(['icmp', '--struct', '!20000B', ...words]);
    expect(packet.struct.items).toHaveLength(20000);
    expect(packet.struct.items[19999]).toEqual({ code: 'B', value: '31', offset: 19999, size: 1, bytes: '1f' });
    expect(transportHex(packet).slice(16)).toBe(toHex(Uint8Array.from(words.map(Number))));
  });

  it('says what is wrong with bad arguments in one line, status 2', () => {
    for (const [args, message] of [
      [['sctp'], "craft: unknown packet kind 'sctp': icmp, icmp6, tcp or udp"],
      [['icmp', '--sport', '1'], 'craft: --sport is for tcp and udp packets'],
      [['udp', '--flags', 'S'], 'craft: --flags is for tcp packets'],
      [['udp', '--seq', '1'], 'craft: --seq is for icmp, icmp6 and tcp packets'],
      [['tcp', '--length', '9'], 'craft: --length is for udp packets'],
      [['udp', '--length', '70000'], 'craft: --length: 70000 does not fit in 16 bits (0..65535)'],
      [['udp', '--data', 'x', '--data-hex', '00'], 'craft: give --data or --data-hex, not both'],
      [['udp', '--data-hex', 'zz'], "craft: --data-hex: 'zz' is not hex bytes (two digits a byte, e.g. 48656c6c6f)"],
      [['udp', '--show-wire'], 'craft: --show-wire goes with --send'],
      [['icmp6', '-4'], 'craft: icmp6 is ICMPv6, for IPv6 only: use icmp for IPv4'],
      [['icmp', '--dst', 'fd00::2'], "craft: --dst: 'fd00::2' is not an IPv4 address"],
      [['tcp', '-4', '--dst', 'fd00::2'], "craft: --dst: 'fd00::2' is not an IPv4 address"],
      [['udp', '--dst', 'fd00::2', '--df'], 'craft: --df is an IPv4 header field (this packet is IPv6)'],
      [['tcp', '--flow-label', '1'], 'craft: --flow-label is an IPv6 header field (this packet is IPv4)'],
      [['icmp6', '--flow-label', '0x100000'], 'craft: --flow-label: 0x100000 does not fit in 20 bits (0..1048575)'],
      [['udp', '-4', '-6'], 'craft: give -4 or -6, not both'],
      [['tcp', '--id', '0x1ffff'], 'craft: --id: 0x1ffff does not fit in 16 bits (0..65535)'],
      [['icmp', '--struct', '!QQ', '1'], "craft: --struct: struct format '!QQ' takes 2 values, got 1"],
      [['icmp', '--struct', '!B', '300'], "craft: --struct: struct.pack('!B', ...): ubyte format requires 0 <= number <= 255"],
      [['tcp', '--flags', 'SX'], "craft: --flags: unknown flag letter 'X' (F S R P A U E C N, or names like syn,ack)"],
      [['icmp', '--dst', '1.2.3'], "craft: --dst: '1.2.3' is not an IPv4 address"],
      // Huge formats and value lists: one line, never a stack overflow or an allocation of the count.
      [['icmp', '--struct', '70000B', ...new Array<string>(70000).fill('1')], 'craft: --struct: an ICMP payload of 70000 bytes does not fit in an IPv4 datagram (at most 65507)'],
      [['icmp', '--struct', '300000000B', '1'], "craft: --struct: struct format '300000000B' takes 300000000 values, got 1"],
      [['icmp', '--payload', 'x'.repeat(65508)], 'craft: --payload: an ICMP payload of 65508 bytes does not fit in an IPv4 datagram (at most 65507)'],
    ] as const) {
      const run = runTool('craft', [...args]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toBe(`${message}\n`);
    }
  });
});

const rootSkip = skipReason([], { root: true });

describe.skipIf(rootSkip !== undefined)(`--send over loopback${rootSkip ? ` (skipped: ${rootSkip})` : ''}`, () => {
  it('sends an ICMP echo request and shows the kernel\'s echo reply', () => {
    const id = String(0x4000 + (process.pid & 0x3fff));
    const run = runTool('craft', ['icmp', '--id', id, '--seq', '3', '--payload', 'packet-lab', '--send', '127.0.0.1', '--wait', '3']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('sent 18 bytes to 127.0.0.1 (kernel-built IPv4 header)');
    const answer = run.stdout.slice(run.stdout.indexOf('Answer from 127.0.0.1'));
    expect(answer).toContain('    Type: 0 (Echo (ping) reply)');
    expect(answer).toContain(`    Identifier (BE): ${id} (0x${Number(id).toString(16)})`);
    expect(answer).toContain('    Sequence Number (BE): 3 (0x0003)');
    expect(answer).toContain('    [Request frame: 1]');
    expect(answer).toContain('    Checksum: 0x');
    const [crafted, reply] = craftJson(['icmp', '--id', id, '--seq', '4', '--send', '127.0.0.1', '--wait', '3']);
    expect(crafted.role).toBe('crafted');
    expect(reply).toMatchObject({ role: 'answer', icmp: { type: 0, identifier: Number(id), sequence: 4, checksum: { status: 'correct' } } });
  });

  it('sends the whole datagram with --hdrincl, and writes packet and answer to the pcap as captured on lo', async () => {
    const file = join(dir, 'sent.pcap');
    const run = runTool('craft', ['icmp', '--id', '0x4242', '--seq', '7', '--send', '127.0.0.1', '--hdrincl', '--ttl', '9', '-w', file]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('sent 28 bytes to 127.0.0.1 (whole datagram, IP_HDRINCL)');
    // The kernel filled the zero IP id and the header checksum (raw(7)); the TTL is ours.
    expect(run.stdout).toMatch(/IPv4 Identification +0x0000 \(0\) -> 0x[0-9a-f]{4} \(\d+\) +the kernel fills an IP ID left 0/);
    const records = [];
    for await (const record of readCaptureFile(file)) records.push(record);
    expect(records).toHaveLength(2);
    const datagrams = records.map((record) => {
      expect(record.linkType).toBe(1); // libpcap calls lo Ethernet
      const link = decodeLinkLayer(record.linkType, record.data);
      return link.ok ? link.value.payload : new Uint8Array(0);
    });
    expect(datagrams[0][8]).toBe(9); // our TTL, as sent
    expect(datagrams[0][20]).toBe(8); // the echo request
    expect(datagrams[1][20]).toBe(0); // its echo reply
  });

  it('gets the kernel\'s RST for a TCP SYN to a closed loopback port', () => {
    const sport = 40000 + (process.pid % 20000);
    const [, answer] = craftJson(['tcp', '--sport', String(sport), '--dport', '9', '--send', '127.0.0.1']);
    expect(answer).toMatchObject({ role: 'answer', info: `9 → ${sport} [RST, ACK] Seq=1 Ack=1 Win=0 Len=0`, tcp: { checksum: { status: 'correct' } } });
  });

  it('exits 1 and says so when nothing answers in time', () => {
    // An echo reply is what answers an echo request; an echo *reply* sent to loopback gets no answer.
    const run = runTool('craft', ['icmp', '--type', 'echo-reply', '--id', '9', '--send', '127.0.0.1', '--wait', '0.3']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('no answer within 0.3 s');
  });
});
