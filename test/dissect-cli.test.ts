// src/dissect.ts as a user runs it: summary lines, the -V tree, hex dump,
// RFC diagrams, checksum walkthroughs, filters, JSON, colour rules and bad
// input, on the committed fixtures and on captures the lab writes itself.
// Golden values come from the committed fixtures (fixtures/README.md); the
// comparisons with tshark's own output need tshark (a failure in CI when it
// is missing, a skip elsewhere).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTcp } from '../src/wire/tcp.ts';
import { internetChecksum } from '../src/wire/checksum.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { fixtureCaptureFiles, FIXTURES_DIR } from './helpers/fixture-packets.ts';
import { writeArpCapture, writeCraftedCaptures, writeSnaplenCut } from './helpers/lab-captures.ts';
import { runDissectCommand } from '../src/cli/dissect-command.ts';
import { UsageError } from '../src/cli/run-cli.ts';
import { MAX_FILTER_DEPTH } from '../src/dissection/display-filter.ts';
import { runTool, runTshark } from './helpers/run-tool.ts';

const fixture = (name: string) => join(FIXTURES_DIR, name);
const lines = (text: string) => text.split('\n').filter((line) => line !== '');
const NO_STACK = /^\s+at .+\(.*:\d+:\d+\)$/m;

const dir = mkdtempSync(join(tmpdir(), 'packet-lab-dissect-'));
let crafted: Record<string, string> = {};
beforeAll(() => {
  crafted = writeCraftedCaptures(dir);
  crafted.arp = join(dir, 'arp.pcap');
  writeArpCapture(crafted.arp);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('summary lines', () => {
  it('shows iputils ping as tshark does: number, relative time, addresses, ICMP, length, info', () => {
    const run = runTool('dissect', [fixture('iputils-ping.pcap')]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(lines(run.stdout)).toEqual([
      '    1   0.000000    10.77.1.1 → 10.77.1.2    ICMP 98 Echo (ping) request  id=0x1aa9, seq=1/256, ttl=64',
      '    2   0.000282    10.77.1.2 → 10.77.1.1    ICMP 98 Echo (ping) reply    id=0x1aa9, seq=1/256, ttl=64 (request in 1)',
      '    3   0.204155    10.77.1.1 → 10.77.1.2    ICMP 98 Echo (ping) request  id=0x1aa9, seq=2/512, ttl=64',
      '    4   0.204194    10.77.1.2 → 10.77.1.1    ICMP 98 Echo (ping) reply    id=0x1aa9, seq=2/512, ttl=64 (request in 3)',
      '    5   0.408159    10.77.1.1 → 10.77.1.2    ICMP 98 Echo (ping) request  id=0x1aa9, seq=3/768, ttl=64',
      '    6   0.408188    10.77.1.2 → 10.77.1.1    ICMP 98 Echo (ping) reply    id=0x1aa9, seq=3/768, ttl=64 (request in 5)',
    ]);
  });

  it('numbers TCP relative to each side\'s ISN, scales the window and lists the SYN options', () => {
    const out = lines(runTool('dissect', [fixture('curl-http.pcap')]).stdout);
    expect(out).toHaveLength(48);
    expect(out[0]).toBe(
      '    1   0.000000    10.77.1.1 → 10.77.1.2    TCP 74 47586 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=1276495505 TSecr=0 WS=1024',
    );
    expect(out[1]).toBe(
      '    2   0.000043    10.77.1.2 → 10.77.1.1    TCP 74 80 → 47586 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0 MSS=1460 SACK_PERM TSval=68481364 TSecr=1276495505 WS=1024',
    );
    expect(out[2]).toBe('    3   0.000059    10.77.1.1 → 10.77.1.2    TCP 66 47586 → 80 [ACK] Seq=1 Ack=1 Win=64512 Len=0 TSval=1276495505 TSecr=68481364');
    expect(out[47]).toBe('   48   0.005116    10.77.1.1 → 10.77.1.2    TCP 66 47586 → 80 [ACK] Seq=83 Ack=30191 Win=79872 Len=0 TSval=1276495510 TSecr=68481369');
  });

  it('names ICMP errors with Wireshark\'s words and shows nanosecond files with 9 decimals', () => {
    const errors = lines(runTool('dissect', [fixture('icmp-errors.pcap')]).stdout);
    expect(errors[3]).toBe('    4   0.003919    10.77.2.1 → 10.77.2.2    ICMP 126 Time-to-live exceeded (Time to live exceeded in transit)');
    expect(errors[11]).toContain('Destination unreachable (Communication administratively filtered)');
    expect(errors[14]).toBe('   15   0.259645    10.77.2.2 → 10.77.3.2    UDP 63 40001 → 33435 Len=21');
    const nano = lines(runTool('dissect', [fixture('ping-nanosecond.pcap')]).stdout);
    expect(nano[1]).toMatch(/^ {4}2 0\.000041812 {4}10\.77\.1\.2 → 10\.77\.1\.1 {4}ICMP 98 Echo \(ping\) reply/);
  });

  it('stops after -c packets and heads each file when given several', () => {
    const run = runTool('dissect', ['-c', '3', fixture('raw-ip.pcap'), fixture('sll2-any.pcap')]);
    expect(lines(run.stdout)).toHaveLength(4); // one heading, three packets
    expect(lines(run.stdout)[0]).toBe(`==> ${fixture('raw-ip.pcap')} <==`);
  });
});

describe('-V field tree', () => {
  it('shows every layer with checksum statuses, identifiers in both byte orders and the data', () => {
    const tree = runTool('dissect', ['-V', '-c', '1', fixture('iputils-ping.pcap')]).stdout;
    for (const expected of [
      'Frame 1: 98 bytes on wire (784 bits), 98 bytes captured (784 bits)',
      'Ethernet II, Src: 02:70:6c:01:00:01, Dst: 02:70:6c:01:00:02',
      '    0100 .... = Version: 4',
      '    010. .... = Flags: 0x2, Don\'t fragment',
      '    Header Checksum: 0x02b8 [correct]',
      '    [Header checksum status: Good]',
      '    Type: 8 (Echo (ping) request)',
      '    Checksum: 0x867a [correct]',
      '    Identifier (BE): 6825 (0x1aa9)',
      '    Identifier (LE): 43290 (0xa91a)',
      '    Sequence Number (LE): 256 (0x0100)',
      '    Timestamp from icmp data: Nov 23, 2026 18:22:12.000000000 UTC',
      '    Data (48 bytes)',
    ]) {
      expect(tree).toContain(expected);
    }
  });

  it('decodes TCP: relative and raw numbers, flags, scaled window, options', () => {
    const tree = runTool('dissect', ['-V', '-c', '8', fixture('curl-http.pcap'), 'port', '80']).stdout;
    expect(tree).toContain('Transmission Control Protocol, Src Port: 80, Dst Port: 47586, Seq: 190, Ack: 82, Len: 1448');
    expect(tree).toContain('    Sequence Number (raw): 3102262131');
    expect(tree).toContain('    Acknowledgment Number: 82    (relative ack number)');
    expect(tree).toContain('    Flags: 0x012 (SYN, ACK)');
    expect(tree).toContain('        .... .... ..1. = Syn: Set');
    expect(tree).toContain('    [Window size scaling factor: 1024]');
    expect(tree).toContain('    Options: (20 bytes), Maximum segment size, SACK permitted, Timestamps, No-Operation (NOP), Window scale');
    expect(tree).toContain('        TCP Option - Window scale: 10 (multiply by 1024)');
  });

  it('says every checksum in every fixture is correct, including quoted datagrams', () => {
    const tree = runTool('dissect', ['-V', ...fixtureCaptureFiles()]).stdout;
    const checksums = tree.split('\n').filter((line) => /Checksum: 0x[0-9a-f]{4} /.test(line));
    expect(checksums.length).toBeGreaterThan(400);
    // A Packet Too Big quotes only the first 1232 bytes of the 1448-byte echo (icmp6-errors.pcap): that one cannot be checked.
    const partial = '[unverified] (the ICMP error quotes only part of it)';
    expect(checksums.filter((line) => !line.endsWith('[correct]') && !line.endsWith(partial))).toEqual([]);
    expect(checksums.filter((line) => line.endsWith(partial))).toEqual(['        Checksum: 0xcbc9 ' + partial]);
    expect(tree).toContain('        Header Checksum: 0xb9d7 [correct]'); // the header a Time Exceeded quotes
  });

  it('finds the checksum-offload trap: a TCP checksum that is only the pseudo-header sum', () => {
    const file = crafted['tcp-offload-partial'];
    // The right checksum, computed here independently of dissect.
    const right = buildTcp({ sourcePort: 40000, destinationPort: 80, flags: 2, window: 64240 }, { source: '10.0.0.1', destination: '10.0.0.2' });
    const expected = ((right[16] << 8) | right[17]).toString(16).padStart(4, '0');
    const tree = runTool('dissect', ['-V', file]).stdout;
    expect(tree).toContain(`    Checksum: 0x141d incorrect, should be 0x${expected}`);
    expect(tree).toContain('    [Checksum Status: Bad]');
    expect(tree).toMatch(/Likely cause: checksum offload\. 0x141d is the pseudo-header sum alone/);
    expect(runTool('dissect', [file]).stdout).toContain('[TCP CHECKSUM INCORRECT (checksum offload?)]');
    const plainWrong = runTool('dissect', ['-V', crafted['tcp-bad-checksum-urg-eol']]).stdout;
    expect(plainWrong).toMatch(/Checksum: 0xbeef incorrect, should be 0x[0-9a-f]{4}/);
    expect(plainWrong).not.toContain('checksum offload');
    expect(runTool('dissect', [crafted['tcp-bad-ip-checksum']]).stdout).toContain('[IP CHECKSUM INCORRECT]');
  });
});

describe('--diagram', () => {
  it('draws 32-bit rows exactly 65 characters wide under the RFC bit ruler, with this packet\'s values', () => {
    const out = runTool('dissect', ['--diagram', '-c', '1', fixture('curl-http.pcap')]).stdout;
    const box = out.split('\n').filter((line) => line.startsWith('+') || line.startsWith('|'));
    expect(box.length).toBeGreaterThan(30);
    expect(box.filter((line) => line.length !== 65)).toEqual([]);
    expect(out).toContain(' 0                   1                   2                   3\n 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1\n');
    expect(out).toContain('|Version|  IHL  |   DSCP    |ECN|         Total Length          |\n|   4   |   5   |     0     | 0 |              60               |');
    expect(out).toContain('|        Identification         |Flags|     Fragment Offset     |\n|         0x0d19 (3353)         | DF  |            0            |');
    expect(out).toContain('|Offset |Rsrvd|N|C|E|U|A|P|R|S|F|            Window             |\n|  10   |  0  |.|.|.|.|.|.|.|S|.|             64240             |');
    expect(out).toContain('|     Kind      |    Length     |              MSS              |\n|     2 MSS     |       4       |             1460              |');
    expect(out).toContain('|                             TSval                             |\n|                          1276495505                           |');
  });

  it('keeps every row 65 wide for ICMP errors with their quoted headers, and for odd options', () => {
    const out = runTool('dissect', ['--diagram', fixture('icmp-errors.pcap'), crafted['tcp-bad-checksum-urg-eol']]).stdout;
    const box = out.split('\n').filter((line) => line.startsWith('+') || line.startsWith('|'));
    expect(box.filter((line) => line.length !== 65)).toEqual([]);
    expect(out).toContain('Quoted IPv4 header (RFC 791), 20 bytes');
    expect(out).toContain('Quoted TCP header (RFC 9293), 40 bytes');
    expect(out).toContain('Quoted ICMP header (RFC 792)');
    // "11 time exceeded" does not fit 15 columns: the number alone is shown.
    expect(out).toContain('|     Type      |     Code      |           Checksum            |\n|      11       |       0       |       0xf4ff (correct)        |');
  });
});

describe('--checksum walkthrough', () => {
  it('computes the stored value step by step for every checksum of an ICMP error and what it quotes', () => {
    const out = runTool('dissect', ['--checksum', '-Y', 'icmp', '-c', '4', fixture('icmp-errors.pcap')]).stdout;
    const packet4 = out.slice(out.indexOf('    4   0.003919'));
    const verdicts = packet4.split('\n').filter((line) => line.startsWith('  stored '));
    expect(verdicts).toEqual([
      '  stored 0xb993 = computed 0xb993: correct',
      '  stored 0xf4ff = computed 0xf4ff: correct',
      '  stored 0xb9d7 = computed 0xb9d7: correct',
      '  stored 0x1ff5 = computed 0x1ff5: correct',
    ]);
    expect(packet4).toContain("  ones' complement: ~0x0b00 = 0xf4ff");
    expect(packet4).toMatch(/ {6}2 {2}00 00 {2}0x0000 .* checksum, taken as 0/);
  });

  it('lists the pseudo-header words, the folds and the complement for TCP, and equals the checksum computed here', () => {
    const out = runTool('dissect', ['--checksum', '-c', '1', fixture('curl-http.pcap')]).stdout;
    expect(out).toContain('pseudo-header (not sent; rebuilt by both ends from the IP header):');
    expect(out).toMatch(/ {6}- {2}00 06 {2}0x0006 .* zero \| protocol \(6\)/);
    expect(out).toMatch(/ {6}- {2}00 28 {2}0x0028 .* TCP length \(40\)/);
    expect(out).toMatch(/fold 1: 0x[0-9a-f]+ -> carry 0x[0-9a-f]+ \+ low 16 bits 0x[0-9a-f]{4} = 0x[0-9a-f]{4}/);
    expect(out).toContain('  stored 0x2f28 = computed 0x2f28: correct');
    // The same number from the lab's checksum over pseudo-header + segment, built here by hand.
    const frame = readFileSync(fixture('curl-http.pcap')).subarray(24 + 16, 24 + 16 + 74);
    const segment = Uint8Array.from(frame.subarray(34));
    segment[16] = 0;
    segment[17] = 0;
    const pseudo = Uint8Array.from([...frame.subarray(26, 34), 0, 6, 0, segment.length]);
    expect(internetChecksum(pseudo, segment)).toBe(0x2f28);
  });

  it('shows where a wrong checksum differs and when the offload trap explains it', () => {
    const wrong = runTool('dissect', ['--checksum', crafted['echo-bad-checksum']]).stdout;
    expect(wrong).toMatch(/stored 0xdead != computed 0x[0-9a-f]{4}: incorrect/);
    const offload = runTool('dissect', ['--checksum', crafted['tcp-offload-partial']]).stdout;
    expect(offload).toContain('0x141d is exactly the folded pseudo-header sum: checksum offload');
  });
});

describe('filters', () => {
  const count = (args: string[]) => lines(runTool('dissect', args).stdout).length;

  it('selects by protocol, host and port, combined with and / or / not, as trailing words or -Y', () => {
    expect(count([fixture('curl-http.pcap'), 'tcp', 'and', 'port', '80'])).toBe(48);
    expect(count([fixture('curl-http.pcap'), 'tcp', 'and', 'port', '81'])).toBe(0);
    expect(count([fixture('icmp-errors.pcap'), 'icmp'])).toBe(16);
    expect(count([fixture('icmp-errors.pcap'), 'udp'])).toBe(3);
    expect(count([fixture('icmp-errors.pcap'), 'host', '10.77.2.10'])).toBe(2);
    expect(count([fixture('icmp-errors.pcap'), 'not', 'icmp'])).toBe(4);
    expect(count(['-f', 'tcp or udp', fixture('icmp-errors.pcap')])).toBe(4);
    // -Y is tshark's language: tcp and udp include the headers ICMP errors quote, as tshark -Y counts them.
    expect(count(['-Y', 'tcp or udp', fixture('icmp-errors.pcap')])).toBe(8);
    expect(count(['-f', 'src host 10.77.2.1 and (icmp)', fixture('icmp-errors.pcap')])).toBe(7);
    expect(count([fixture('nping-tcp.pcap'), 'dst', 'port', '8081'])).toBe(4);
    expect(count([fixture('nping-tcp.pcap'), 'port', '8081'])).toBe(8);
  });

  it('shows ARP as who-has / is-at lines and filters it by host', () => {
    const out = lines(runTool('dissect', [crafted.arp]).stdout);
    expect(out).toEqual([
      '    1   0.000000 02:70:6c:01:00:01 → Broadcast    ARP 42 Who has 10.0.0.2? Tell 10.0.0.1',
      '    2   0.001000 02:70:6c:01:00:02 → 02:70:6c:01:00:01 ARP 42 10.0.0.2 is at 02:70:6c:01:00:02',
    ]);
    expect(count([crafted.arp, 'arp', 'and', 'src', 'host', '10.0.0.2'])).toBe(1);
    expect(count([crafted.arp, 'ip'])).toBe(0);
  });

  it('keeps frame numbers and TCP numbering of the whole file when filtering', () => {
    const out = lines(runTool('dissect', [fixture('curl-http.pcap'), 'port', '80', 'and', 'src', 'host', '10.77.1.2']).stdout);
    expect(out[0]).toMatch(/^ {4}2 .* Seq=0 Ack=1 /);
  });

  it('rejects a bad filter with one line and status 2', () => {
    const run = runTool('dissect', [fixture('curl-http.pcap'), 'port', 'http']);
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe("dissect: filter: column 6: 'http' is not a port number (0-65535)");
    expect(run.stdout).toBe('');
  });
});

describe('deep and long filters', () => {
  const TOO_DEEP = `filter nested too deeply (at most ${MAX_FILTER_DEPTH} levels)`;

  /** runDissectCommand in this process: the lines it writes, or the usage error it throws. */
  async function dissectInProcess(args: string[]): Promise<{ out: string[]; error?: unknown }> {
    const chunks: Buffer[] = [];
    const sink = { write: (bytes: Uint8Array) => (chunks.push(Buffer.from(bytes)), true), drain: async () => {} };
    try {
      const status = await runDissectCommand(args, sink, { NO_COLOR: '1' });
      expect(status).toBe(0);
      return { out: lines(Buffer.concat(chunks).toString('utf8')) };
    } catch (error) {
      return { out: [], error };
    }
  }

  it('refuses 20,000 nested parentheses or nots with one line, not a stack overflow', async () => {
    for (const filter of ['('.repeat(20000) + 'icmp' + ')'.repeat(20000), 'not '.repeat(20000) + 'icmp', '! '.repeat(20000) + 'icmp']) {
      const { error } = await dissectInProcess([fixture('icmp-errors.pcap'), '-Y', filter]);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toBe(TOO_DEEP);
    }
    const run = runTool('dissect', [fixture('icmp-errors.pcap'), '-Y', '('.repeat(20000) + 'icmp' + ')'.repeat(20000)]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`dissect: ${TOO_DEEP}\n`);
    expect(run.stdout).toBe('');
  });

  it(`takes ${MAX_FILTER_DEPTH} levels, and chains of 20,000 terms, which do not nest`, async () => {
    const deep = '('.repeat(MAX_FILTER_DEPTH) + 'icmp' + ')'.repeat(MAX_FILTER_DEPTH);
    expect((await dissectInProcess([fixture('icmp-errors.pcap'), '-Y', deep])).out).toHaveLength(16);
    const deeper = '('.repeat(MAX_FILTER_DEPTH + 1) + 'icmp' + ')'.repeat(MAX_FILTER_DEPTH + 1);
    expect(((await dissectInProcess([fixture('icmp-errors.pcap'), '-Y', deeper])).error as Error).message).toBe(TOO_DEEP);
    const nots = 'not '.repeat(MAX_FILTER_DEPTH) + 'icmp'; // an even number of nots
    expect((await dissectInProcess([fixture('icmp-errors.pcap'), '-Y', nots])).out).toHaveLength(16);
    const ands = Array.from({ length: 20000 }, () => 'icmp').join(' and ');
    expect((await dissectInProcess([fixture('icmp-errors.pcap'), '-Y', ands])).out).toHaveLength(16);
    const ors = Array.from({ length: 20000 }, () => 'arp').join(' or ') + ' || udp';
    // 3 UDP datagrams and 3 ICMP errors quoting one: tshark's `udp` matches all six.
    expect((await dissectInProcess([fixture('icmp-errors.pcap'), '-Y', ors])).out).toHaveLength(6);
    expect((await dissectInProcess([fixture('icmp-errors.pcap'), '-f', ors])).out).toHaveLength(3);
  });
});

describe('--json', () => {
  it('gives one object per packet with the decoded fields', () => {
    const records = lines(runTool('dissect', ['--json', fixture('iputils-ping.pcap'), fixture('nping-tcp.pcap')]).stdout).map((l) => JSON.parse(l));
    expect(records.at(-1)).toEqual({ type: 'summary', tool: 'dissect', files: 2, failedFiles: 0, packets: 26, shown: 26 });
    const packets = records.slice(0, -1);
    expect(packets).toHaveLength(26);
    expect(packets.every((p) => p.type === 'packet')).toBe(true);
    const [request, reply] = packets;
    expect(request).toMatchObject({
      number: 1,
      relativeTimeMs: 0,
      frameLength: 98,
      protocol: 'ICMP',
      source: '10.77.1.1',
      ipv4: { totalLength: 84, identification: 0x2155, ttl: 64, flags: { dontFragment: true }, checksum: { value: 0x02b8, status: 'correct' } },
      icmp: { type: 8, code: 0, identifier: 6825, identifierLe: 43290, sequence: 1, sequenceLe: 256, dataLength: 48, checksum: { value: 0x867a, status: 'correct' } },
    });
    expect(reply.icmp.requestFrame).toBe(1);
    const syn = packets[6];
    expect(syn).toMatchObject({
      file: fixture('nping-tcp.pcap'),
      tcp: { sourcePort: 42000, destinationPort: 80, sequenceNumber: 0x1301caa7, relativeSequenceNumber: 0, flags: 0xc2, flagNames: ['SYN', 'ECE', 'CWR'], window: 1480 },
    });
  });
});

describe('colour', () => {
  const tty = skipReason(['script'], { root: false });

  it('writes no escape codes when stdout is not a terminal', () => {
    const run = runTool('dissect', ['-V', '--checksum', '--diagram', '-x', crafted['tcp-offload-partial'], fixture('icmp-errors.pcap')]);
    expect(run.stdout).not.toContain('\u001b[');
  });

  it.skipIf(tty !== undefined)(`colours a terminal unless NO_COLOR is set${tty ? ` (skipped: ${tty})` : ''}`, () => {
    const command = `node --import tsx src/dissect.ts -V ${crafted['tcp-offload-partial']}`;
    const coloured = runInTerminal(command, {});
    expect(coloured).toContain('\u001b[31m');
    const plain = runInTerminal(command, { NO_COLOR: '1' });
    expect(plain).toContain('incorrect, should be');
    expect(plain).not.toContain('\u001b[');
  });
});

function runInTerminal(command: string, env: NodeJS.ProcessEnv): string {
  const base = { ...process.env };
  delete base.NO_COLOR;
  const run = spawnSync('script', ['-qec', command, '/dev/null'], { env: { ...base, ...env }, encoding: 'utf8', cwd: join(FIXTURES_DIR, '..') });
  return run.stdout;
}

describe('-x hex dump', () => {
  const skip = skipReason(['tshark'], { root: false });
  it.skipIf(skip !== undefined)(`prints the same hex and ASCII lines as tshark -x${skip ? ` (skipped: ${skip})` : ''}`, () => {
    for (const file of [fixture('nping-tcp.pcap'), fixture('iputils-ping-large.pcap'), crafted['echo-struct-qq']]) {
      const ours = lines(runTool('dissect', ['-x', file]).stdout).filter((l) => /^[0-9a-f]{4}  /.test(l));
      const theirs = lines(runTshark(['-r', file, '-x']).stdout).filter((l) => /^[0-9a-f]{4}  /.test(l));
      expect(ours.length).toBeGreaterThan(2);
      expect(ours).toEqual(theirs);
    }
  });
});

describe('summary lines beside tshark', () => {
  const skip = skipReason(['tshark'], { root: false });
  it.skipIf(skip !== undefined)(`equal tshark's for every ICMP, ICMPv6, IPv6, TCP and UDP packet it shows plainly${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const files = [...fixtureCaptureFiles(), ...Object.values(crafted)];
    const ours = lines(runTool('dissect', files).stdout);
    let compared = 0;
    let comparedIpv6 = 0;
    const differences: string[] = [];
    let position = 0;
    for (const file of files) {
      if (files.length > 1) position++; // the ==> file <== heading
      const theirs = lines(runTshark(['-r', file]).stdout);
      for (const line of theirs) {
        const ourLine = ours[position++];
        // Left out: tshark's analysis notes ([TCP Retransmission] ...) and HTTP, which dissect does not decode.
        if (!/ (ICMP|ICMPv6|TCP|UDP|ARP|IPv6) /.test(line) || line.includes('[TCP ')) continue;
        // tshark reassembles IPv6 fragments and shows the whole message on the last one; dissect shows the fragment.
        if (/IPv6 fragment \(off=[1-9]\d* more=n/.test(ourLine)) continue;
        const strippedOurs = ourLine.replace(/ \[[A-Za-z0-9]+ CHECKSUM INCORRECT[^\]]*\]$/, '');
        if (strippedOurs !== line) differences.push(`${file.split('/').pop()}:\n  dissect ${ourLine}\n  tshark  ${line}`);
        compared++;
        if (/ (ICMPv6|IPv6) /.test(line) || line.includes(':')) comparedIpv6++;
      }
    }
    expect(differences).toEqual([]);
    expect(compared).toBeGreaterThan(150);
    // ping -6, NDP, MLDv2, ICMPv6 errors, a fragment, TCP and UDP over IPv6, on every link type
    expect(comparedIpv6).toBeGreaterThan(80);
  });
});

describe('bad input', () => {
  it('reports a missing file on its line and exits 2 when nothing could be read', () => {
    const run = runTool('dissect', ['no/such/file.pcap']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('no/such/file.pcap: [unreadable: No such file or directory]\n');
    expect(run.stderr).not.toMatch(NO_STACK);
  });

  it('reports a file that is not a capture, and an empty one', () => {
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, '');
    const run = runTool('dissect', [join(FIXTURES_DIR, 'README.md'), empty]);
    expect(run.status).toBe(2);
    const out = lines(run.stdout).filter((line) => !line.startsWith('==> '));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/README\.md: \[malformed: capture: not a pcap or pcapng file: it starts with 23 20 43 61/);
    expect(out[1]).toMatch(/empty\.pcap: \[truncated: capture: empty file/);
  });

  it('shows every whole packet of a cut file, then where it breaks off, and exits 1', () => {
    const cut = join(dir, 'curl-cut.pcap');
    copyFileSync(fixture('curl-http.pcap'), cut);
    truncateSync(cut, 24 + 2 * (16 + 74) + (16 + 66) + 16 + 30); // three records (74, 74, 66 bytes), then part of the fourth
    const run = runTool('dissect', [cut]);
    expect(run.status).toBe(1);
    const out = lines(run.stdout);
    expect(out).toHaveLength(4);
    expect(out[2]).toMatch(/^ {4}3 .* \[ACK\] Seq=1 Ack=1 /);
    expect(out[3]).toMatch(/curl-cut\.pcap: \[truncated: pcap: input ends inside the record at byte 286: .* after 3 packets\]$/);
    expect(run.stderr).toBe('');
  });

  it('goes on after a bad file and exits 1 when something was read', () => {
    const run = runTool('dissect', ['missing.pcap', fixture('raw-ip.pcap')]);
    expect(run.status).toBe(1);
    const out = lines(run.stdout);
    expect(out[0]).toBe('==> missing.pcap <==');
    expect(out[1]).toBe('missing.pcap: [unreadable: No such file or directory]');
    expect(out).toHaveLength(2 + 1 + 6);
  });

  it('marks packets cut by the snaplen [truncated], shows what was captured, and goes on', async () => {
    const cut = join(dir, 'snaplen.pcap');
    await writeSnaplenCut(fixture('curl-http.pcap'), cut, 70);
    const run = runTool('dissect', [cut]);
    expect(run.status).toBe(0);
    const out = lines(run.stdout);
    expect(out).toHaveLength(48);
    expect(out[0]).toBe(
      '    1   0.000000    10.77.1.1 → 10.77.1.2    TCP 74 47586 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=1276495505 TSecr=0 [truncated]',
    );
    // Frames longer than 70 bytes are cut, the 66-byte ACKs are whole.
    expect(out.filter((line) => / TCP 66 /.test(line)).every((line) => !line.includes('[truncated]'))).toBe(true);
    expect(out.filter((line) => !/ TCP 66 /.test(line)).every((line) => line.endsWith('[truncated]'))).toBe(true);
    const tree = runTool('dissect', ['-V', '-c', '1', cut]).stdout;
    expect(tree).toContain('[Packet size limited during capture: 4 bytes not captured]');
    expect(tree).toContain('    Checksum: 0x2f28 [unverified] (the frame was cut by the snaplen)');
    expect(tree).toContain('[Truncated: frame: captured 70 of 74 bytes (cut by the snaplen)]');
  });

  it('reports a malformed packet on its line and dissects the next', () => {
    const bad = join(dir, 'bad-ihl.pcap');
    const bytes = Uint8Array.from(readFileSync(fixture('raw-ip.pcap')));
    bytes[24 + 16] = 0x43; // IHL 3 in the first packet
    writeFileSync(bad, bytes);
    const out = lines(runTool('dissect', [bad]).stdout);
    expect(out[0]).toContain('[malformed: ipv4: IHL is 3 words; the minimum is 5]');
    expect(out[1]).toContain('Echo (ping) reply');
    expect(out).toHaveLength(6);
  });
});

it('prints its usage with -h, and a one-line error for a bad option', () => {
  expect(runTool('dissect', ['-h']).stdout).toContain('Usage: dissect [options] FILE... [FILTER]');
  const bad = runTool('dissect', ['--frobnicate', fixture('raw-ip.pcap')]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/^dissect: Unknown option '--frobnicate'.*\(see dissect -h\)\n$/);
  const none = runTool('dissect', []);
  expect(none.status).toBe(2);
  expect(none.stderr).toBe('dissect: no capture file given (see dissect -h)\n');
});
