// The two filter languages on their own: tshark's display filters (-Y), their
// errors with the column, and Wireshark 4's meaning of != and of absent
// fields; the tcpdump-style shorthand (-f, trailing words) against tcpdump
// itself, whose and/or have equal precedence; and how dissect's command line
// tells a filter from a file name.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDissectCommand } from '../src/cli/dissect-command.ts';
import { CaptureDissector } from '../src/dissection/capture-dissector.ts';
import { FilterNestingError, FilterSyntaxError, MAX_FILTER_DEPTH, parseDisplayFilter } from '../src/dissection/display-filter.ts';
import type { DissectedPacket } from '../src/dissection/packet-model.ts';
import { parseShorthandFilter } from '../src/dissection/shorthand-filter.ts';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { FIXTURES_DIR } from './helpers/fixture-packets.ts';
import { runInProcess } from './helpers/run-tool.ts';

const fixture = (name: string) => join(FIXTURES_DIR, name);

/** Every packet of a fixture, fully dissected (records copied, so the packets stay valid). */
async function packetsOf(name: string): Promise<DissectedPacket[]> {
  const dissector = new CaptureDissector();
  const packets: DissectedPacket[] = [];
  for await (const record of readCaptureFile(fixture(name))) packets.push(dissector.dissect(record));
  return packets;
}

const numbersMatching = (packets: DissectedPacket[], filter: (p: DissectedPacket) => boolean) => packets.filter(filter).map((p) => p.frame.number);

function errorOf(text: string): FilterSyntaxError {
  try {
    parseDisplayFilter(text);
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error;
    throw error;
  }
  throw new Error(`'${text}' was accepted`);
}

describe('display filter errors name the column', () => {
  it.each([
    ['ip.addr == 10.77.1.1 && tcp.port ==', 36, "expected a value after '=='"],
    ['tcp.port == ', 13, "expected a value after '=='"],
    ['frame.len > abc', 13, '"abc" is not a valid number'],
    ['frame.len > 100 && foo.bar', 20, 'foo.bar is neither a field nor a protocol name'],
    ['host 10.0.0.1', 1, "host is neither a field nor a protocol name ('host' is tcpdump-style: give it with -f or after the file names)"],
    ['ip.addr == 10.0.0.256', 12, '"10.0.0.256" is not a valid IPv4 address (names are not resolved)'],
    ['ip.addr == 10.0.0.0/33', 20, '"/33" is not a prefix length (0-32)'],
    ['tcp.flags.syn == 2', 18, 'tcp.flags.syn is a flag: compare it with 1 or 0 (true or false), not 2'],
    ['(tcp', 5, "expected ')'"],
    ['tcp)', 4, "')' without a matching '('"],
    ['tcp udp', 5, '"udp" was unexpected here'],
    ['tcp.port = 80', 10, "'=' alone is not an operator (did you mean '=='?)"],
    ['tcp.port in {80', 16, "expected a value or '}'"],
    ['eth.src == 02:70', 12, '"02:70" is not a valid Ethernet address (aa:bb:cc:dd:ee:ff)'],
    ['tcp.payload contains "GET', 22, 'the string is not closed (a " is missing)'],
    ['tcp.port contains 80', 19, "tcp.port is a number and cannot be tested with 'contains'"],
    ['', 1, 'empty filter'],
  ])('%j: column %i', (text, column, reason) => {
    const error = errorOf(text);
    expect(error.column).toBe(column);
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(`column ${column}: ${reason}`);
  });

  it(`refuses nesting beyond ${MAX_FILTER_DEPTH} levels without a stack overflow, and takes 20,000 flat terms`, () => {
    expect(() => parseDisplayFilter('('.repeat(20000) + 'tcp' + ')'.repeat(20000))).toThrow(FilterNestingError);
    expect(() => parseDisplayFilter('!'.repeat(20000) + 'tcp')).toThrow(FilterNestingError);
    expect(() => parseDisplayFilter('('.repeat(MAX_FILTER_DEPTH) + 'tcp' + ')'.repeat(MAX_FILTER_DEPTH))).not.toThrow();
    const chain = parseDisplayFilter(Array.from({ length: 20000 }, (_, i) => `frame.number == ${i + 1}`).join(' || '));
    expect(typeof chain).toBe('function');
  });
});

describe('display filter meaning', () => {
  it('gives != the meaning of all_ne and === of all_eq, and any comparison of an absent field is false', async () => {
    const ping = await packetsOf('iputils-ping.pcap');
    expect(numbersMatching(ping, parseDisplayFilter('ip.addr != 10.77.1.1'))).toEqual([]);
    expect(numbersMatching(ping, parseDisplayFilter('ip.addr !== 10.77.1.1'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(numbersMatching(ping, parseDisplayFilter('ip.src != 10.77.1.1'))).toEqual([2, 4, 6]);
    expect(numbersMatching(ping, parseDisplayFilter('ip.addr === 10.77.1.0/24'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(numbersMatching(ping, parseDisplayFilter('tcp.port != 80'))).toEqual([]);
    expect(numbersMatching(ping, parseDisplayFilter('!(tcp.port == 80)'))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads numbers in decimal, hex and octal, keywords in either case, and sets with spaces or commas', async () => {
    const ping = await packetsOf('iputils-ping.pcap');
    for (const text of ['icmp.ident == 6825', 'icmp.ident == 0x1aa9', 'icmp.ident == 015251', 'icmp.ident eq 0X1AA9']) {
      expect(numbersMatching(ping, parseDisplayFilter(text)), text).toEqual([1, 2, 3, 4, 5, 6]);
    }
    expect(numbersMatching(ping, parseDisplayFilter('frame.number in {1 3..4 6}'))).toEqual([1, 3, 4, 6]);
    expect(numbersMatching(ping, parseDisplayFilter('frame.number in {1, 3..4, 6}'))).toEqual([1, 3, 4, 6]);
    expect(numbersMatching(ping, parseDisplayFilter('icmp.type == 8 AND NOT frame.number == 1'))).toEqual([3, 5]);
    expect(numbersMatching(ping, parseDisplayFilter('tcp.flags.syn == true || icmp.seq == 2'))).toEqual([3, 4]);
  });

  it('looks inside what an ICMP error quotes, as tshark does: ip.src and udp.port of the quoted datagram', async () => {
    const errors = await packetsOf('icmp-errors.pcap');
    expect(numbersMatching(errors, parseDisplayFilter('udp'))).toEqual([15, 16, 17, 18, 19, 20]);
    expect(numbersMatching(errors, parseDisplayFilter('udp && !icmp'))).toEqual([15, 17, 19]);
    expect(numbersMatching(errors, parseDisplayFilter('tcp.port == 81'))).toEqual([13, 14]);
  });
});

describe('the tcpdump-style shorthand against tcpdump', () => {
  const skip = skipReason(['tcpdump'], { root: false });
  const SHORTHAND = [
    'udp or icmp and host 10.77.2.10',
    'udp or icmp and host 10.77.3.2',
    'icmp and host 10.77.2.2 or udp',
    'not icmp and udp or tcp',
    'udp or not icmp and src host 10.77.2.2',
    'tcp or udp and dst port 33434',
    'icmp and (host 10.77.2.10 or udp)',
    'net 10.77.2.0/24 and not icmp',
    'src net 10.77.3.0/24 or dst host 10.77.96.1',
    'port 80 or port 8081 and tcp',
    'not (tcp or udp)',
    'ip and not ip and icmp or tcp',
    'ip6',
    'icmp6 or udp and ip6',
    'host fd00:77:1::1',
    'src host fd00:77:1::2 or icmp6 and ip6',
    'ip6 or ip and not icmp6',
    'dst host fd00:0077:0001::1',
  ];

  it.skipIf(skip !== undefined)(`reads and / or left to right like tcpdump, for ${SHORTHAND.length} filters on 7 captures${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    for (const name of ['icmp-errors.pcap', 'nping-tcp.pcap', 'curl-http.pcap', 'curl-http6.pcap', 'icmp6-errors.pcap', 'traceroute6-udp.pcap', 'ndp6.pcap']) {
      const packets = await packetsOf(name);
      for (const text of SHORTHAND) {
        const tcpdump = spawnSync('tcpdump', ['-nr', fixture(name), text], { encoding: 'utf8' });
        expect(tcpdump.status, tcpdump.stderr).toBe(0);
        const theirs = tcpdump.stdout.split('\n').filter((line) => line !== '').length;
        expect(numbersMatching(packets, parseShorthandFilter(text)).length, `${name}: ${text}`).toBe(theirs);
      }
    }
  });

  it('names the column of a mistake', () => {
    expect(() => parseShorthandFilter('tcp and port http')).toThrow(new FilterSyntaxError("'http' is not a port number (0-65535)", 14));
    expect(() => parseShorthandFilter('tcp and')).toThrow(new FilterSyntaxError("expected a test after 'and'", 8));
  });
});

describe('the command line: which words are a filter', () => {
  const dissect = (args: string[]) => runInProcess('dissect', (io) => runDissectCommand(args, io.stdout, { NO_COLOR: '1' }, { stderr: io.stderr }));
  const count = (text: string) => text.split('\n').filter((line) => line !== '').length;

  it('takes one quoted trailing argument as the filter, not as a file name', async () => {
    const quoted = await dissect([fixture('icmp-errors.pcap'), 'udp or icmp and host 10.77.2.10']);
    expect(quoted.status).toBe(0);
    expect(quoted.stdout.split('\n').filter((line) => line !== '').map((line) => line.trim().split(/\s+/)[0])).toEqual(['7', '8']);
    expect(quoted.stdout).toBe((await dissect([fixture('icmp-errors.pcap'), 'udp', 'or', 'icmp', 'and', 'host', '10.77.2.10'])).stdout);
  });

  it('reads a trailing display filter (starting with a field) in tshark\'s language, and -r makes every positional filter text', async () => {
    const trailing = await dissect([fixture('curl-http.pcap'), 'ip.addr==10.77.1.1 && tcp.port==80 && tcp.flags.syn==1']);
    expect(count(trailing.stdout)).toBe(2);
    const withRead = await dissect(['-r', fixture('curl-http.pcap'), 'tcp.flags.syn==1']);
    expect(withRead.stdout).toBe(trailing.stdout);
    // Shorthand that is not valid shorthand but valid tshark: tshark's.
    expect(count((await dissect([fixture('curl-http.pcap'), 'tcp && tcp.len > 1000'])).stdout)).toBe(21);
    // -Y and trailing shorthand together: both must hold.
    expect(count((await dissect([fixture('icmp-errors.pcap'), '-Y', 'icmp.type == 3', 'host', '10.77.2.10'])).stdout)).toBe(1);
  });

  it('reports a bad filter in one line naming the column, status 2, nothing on stdout', async () => {
    const bad = await dissect([fixture('curl-http.pcap'), '-Y', 'ip.addr == 10.77.1.1 && tcp.port ==']);
    expect(bad).toEqual({ status: 2, stdout: '', stderr: "dissect: filter: column 36: expected a value after '=='\n" });
    const shorthand = await dissect([fixture('curl-http.pcap'), '-f', 'port http']);
    expect(shorthand.stderr).toBe("dissect: filter: column 6: 'http' is not a port number (0-65535)\n");
  });

  it('refuses -T fields without -e, an unknown field, -E option or -z statistic, each in one line', async () => {
    for (const [args, message] of [
      [['-T', 'fields'], '-T fields needs at least one field: -e FIELD (e.g. -e frame.number -e ip.src)'],
      [['-T', 'fields', '-e', 'ip.nope'], "-e: unknown field 'ip.nope'"],
      [['-T', 'fields', '-e', 'ip.src', '-E', 'quote=x'], "-E: invalid value 'x' for quote"],
      [['-T', 'pdml'], "-T: unsupported format 'pdml' (fields, json or text)"],
      [['-z', 'io,stat,1'], "-z: unsupported statistic 'io,stat,1' (known: follow,tcp,ascii,N and conv,tcp)"],
      [['-t', 'x'], "-t: unknown time format 'x' (r, a, ad, d, dd, e, u, ud)"],
    ] as const) {
      const run = await dissect(['-r', fixture('curl-http.pcap'), ...args]);
      expect(run).toEqual({ status: 2, stdout: '', stderr: `dissect: ${message}\n` });
    }
  });
});
