// dissect's tshark switches against tshark itself, on captures nobody here
// wrote: every committed fixture, concatenated by mergecap into one pcapng
// (so one tshark run per filter covers them all). For each of a table of
// display filters, `dissect -Y` selects the same frames as `tshark -Y`;
// `-T fields` prints the same bytes for a list of common fields; follow-stream,
// the TCP conversation table and the -t time formats print what tshark
// prints. tshark and mergecap are needed: a failure in CI, a skip elsewhere.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDissectCommand } from '../src/cli/dissect-command.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { fixtureCaptureFiles, FIXTURES_DIR } from './helpers/fixture-packets.ts';
import { runInProcess } from './helpers/run-tool.ts';

const skip = skipReason(['tshark', 'mergecap'], { root: false });
const suffix = skip ? ` (skipped: ${skip})` : '';
const fixture = (name: string) => join(FIXTURES_DIR, name);

/** Filters people type, each valid in tshark 4.0 (commas in sets: tshark 4.0 refuses spaces there, dissect takes both). */
const FILTERS = [
  'tcp',
  'udp',
  'icmp',
  'arp',
  'ip',
  'eth',
  '!tcp',
  'not icmp',
  'tcp || udp',
  'tcp or udp',
  'icmp && ip.ttl < 64',
  'ip.addr == 10.77.1.1',
  'ip.addr eq 10.77.1.1 and tcp.port == 80',
  'ip.addr==10.77.1.1 && tcp.port==80',
  'ip.src == 10.77.2.1',
  'ip.dst == 10.77.1.2',
  'ip.addr != 10.77.1.1',
  'ip.src != 10.77.1.1',
  'ip.addr == 10.77.0.0/16',
  'ip.dst == 10.77.2.0/24',
  'ip.src == 10.77.1.1/32',
  'tcp.port == 80',
  'tcp.srcport == 80',
  'tcp.dstport == 8081',
  'tcp.port in {80, 8081}',
  'tcp.port in {80, 8000..8100}',
  'tcp.srcport in {41000..42100}',
  'tcp.flags.syn == 1',
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.flags.reset == 1',
  'tcp.flags.fin == 1 || tcp.flags.urg == 1',
  'tcp.flags == 0x012',
  'tcp.flags & 0x04',
  'tcp.flags & 0x0c0',
  'tcp.flags.ece == 1 and tcp.flags.cwr == 1',
  'tcp.seq == 1',
  'tcp.seq > 1000',
  'tcp.ack == 1',
  'tcp.len > 0',
  'tcp.len == 0 && tcp.flags.ack == 1',
  'tcp.window_size > 60000',
  'tcp.hdr_len == 20',
  'tcp.stream == 1',
  'tcp contains "GET"',
  'tcp.payload contains "HTTP/1.0"',
  'frame contains "fixture"',
  'frame.len > 100',
  'frame.len >= 98 && frame.len <= 126',
  'frame.number <= 10',
  'frame.number in {1, 5, 9}',
  'frame.cap_len < frame.len',
  'tcp.srcport > tcp.dstport',
  'icmp.type == 8',
  'icmp.type == 0',
  'icmp.type == 11',
  'icmp.type == 3 && icmp.code == 13',
  'icmp.type in {3, 11}',
  'icmp.seq == 2',
  'icmp.ident == 0x1aa9',
  'icmp.seq_le == 256',
  'ip.ttl == 1',
  'ip.ttl lt 64',
  'ip.ttl ge 64',
  'ip.proto == 17',
  'ip.flags.df == 1',
  'ip.flags.mf == 1',
  'ip.id == 0x0000',
  'ip.len > 1000',
  'ip.checksum == 0x1707',
  'ip.dsfield == 0xc0',
  '(tcp.port == 80 || tcp.port == 8081) && !(tcp.flags.syn == 1)',
  '!(ip.addr == 10.77.1.1) && ip',
  'udp.port == 33435',
  'udp.srcport == 40000',
  'udp.dstport in {33434..33534}',
  'udp.length > 30',
  'eth.src == 02:70:6c:01:00:01',
  'eth.addr == 02:70:6c:02:00:02',
  'eth.dst == ff:ff:ff:ff:ff:ff',
  'eth.type == 0x0806',
  'arp.opcode == 1',
  'ip.src == 10.77.1.1 && ip.dst == 10.77.1.2 && tcp',
  'tcp.options.mss_val == 1460',
  'tcp.checksum == 0x2f28',
  'tcp.urgent_pointer > 0',
  'frame.time_relative > 0.2',
  'frame.time_relative <= 0.0001',
  'tcp.payload matches "^GET /"',
  'ip.src == 10.77.2.2 and icmp or udp',
  // IPv6 (issue 9): addresses with prefixes, ICMPv6 types, UDP and TCP over IPv6.
  'ipv6',
  'ipv6 && udp',
  'ipv6.addr == fd00:77:1::1',
  'ipv6.src == fd00:77:1::2',
  'ipv6.dst == fd00:77::/32',
  'ipv6.addr == fe80::/10',
  'ipv6.addr != fd00:77:1::1',
  'ipv6.hlim == 255',
  'ipv6.hlim < 64',
  'ipv6.nxt == 0',
  'ipv6.plen > 1000',
  'icmpv6.type in {135, 136}',
  'icmpv6.type == 1 && icmpv6.code == 3',
  'icmpv6.type == 3',
  'icmpv6.type == 2',
  'icmpv6.type == 143',
  'icmpv6.echo.sequence_number == 2',
  'udp.port == 53',
  'udp && !ipv6',
  'tcp && ipv6',
  'tcp.flags.syn == 1 && ipv6',
  'ipv6.flow > 0',
  '!(ip or ipv6)',
];

/** Fields `-T fields` must print exactly as tshark does. */
const FIELDS = [
  'frame.number', 'frame.len', 'frame.cap_len', 'frame.time_relative', 'frame.time_epoch', 'frame.time',
  'eth.src', 'eth.dst', 'eth.addr', 'eth.type',
  'ip.version', 'ip.hdr_len', 'ip.dsfield', 'ip.len', 'ip.id', 'ip.flags', 'ip.flags.df', 'ip.flags.mf', 'ip.frag_offset',
  'ip.ttl', 'ip.proto', 'ip.checksum', 'ip.src', 'ip.dst', 'ip.addr',
  'icmp.type', 'icmp.code', 'icmp.checksum', 'icmp.ident', 'icmp.seq', 'icmp.seq_le',
  'tcp.srcport', 'tcp.dstport', 'tcp.port', 'tcp.len', 'tcp.seq', 'tcp.seq_raw', 'tcp.ack', 'tcp.ack_raw',
  'tcp.hdr_len', 'tcp.flags', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.fin', 'tcp.flags.reset', 'tcp.flags.push',
  'tcp.flags.ece', 'tcp.flags.cwr', 'tcp.flags.urg', 'tcp.flags.res', 'tcp.window_size_value', 'tcp.window_size',
  'tcp.checksum', 'tcp.urgent_pointer', 'tcp.options.mss_val', 'tcp.payload',
  'udp.srcport', 'udp.dstport', 'udp.port', 'udp.length', 'udp.checksum', 'arp.opcode',
  'ipv6.version', 'ipv6.tclass', 'ipv6.flow', 'ipv6.plen', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.src', 'ipv6.dst', 'ipv6.addr',
  'icmpv6.code', 'icmpv6.checksum', 'icmpv6.echo.identifier', 'icmpv6.echo.sequence_number',
];

/** tshark's stdout (its stderr only warns about running as root). */
function tshark(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

async function dissect(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return runInProcess('dissect', (io) => runDissectCommand(args, io.stdout, { NO_COLOR: '1' }, { stderr: io.stderr }));
}

/** At most `limit` promises at a time: tshark runs share two cores with everyone else. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]);
      }
    }),
  );
  return results;
}

const dir = mkdtempSync(join(tmpdir(), 'packet-lab-filters-'));
const merged = join(dir, 'all-fixtures.pcapng');
beforeAll(() => {
  if (skip) return;
  const run = spawnSync('mergecap', ['-a', '-w', merged, ...fixtureCaptureFiles()], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('display filters against tshark -Y', () => {
  it.skipIf(skip !== undefined)(`select the same frames for ${FILTERS.length} filters over every fixture${suffix}`, async () => {
    const theirs = await mapLimited(FILTERS, 3, (filter) => tshark(['-r', merged, '-Y', filter, '-T', 'fields', '-e', 'frame.number']));
    const disagreements: string[] = [];
    let selected = 0;
    for (let i = 0; i < FILTERS.length; i++) {
      const ours = await dissect(['-r', merged, '-Y', FILTERS[i], '-T', 'fields', '-e', 'frame.number']);
      expect(ours.stderr, FILTERS[i]).toBe('');
      if (ours.stdout !== theirs[i]) disagreements.push(`${FILTERS[i]}: ours ${ours.stdout.split('\n').join(' ')} tshark ${theirs[i].split('\n').join(' ')}`);
      if (theirs[i] !== '') selected++;
    }
    expect(disagreements).toEqual([]);
    // The table means something: most filters select some frames, and none selects all 210.
    expect(selected).toBeGreaterThan(FILTERS.length * 0.8);
  }, 600_000);
});

describe('-T fields against tshark', () => {
  it.skipIf(skip !== undefined)(`prints ${FIELDS.length} common fields byte for byte on every fixture${suffix}`, async () => {
    const args = FIELDS.flatMap((field) => ['-e', field]);
    // tshark reassembles IPv6 fragments (the last one shows the ICMPv6 message); dissect does not yet
    // (IPv4 reassembly is in, IPv6's is not): lines of packets with a fragment header are left out.
    const nxt = FIELDS.indexOf('ipv6.nxt');
    const unfragmented = (text: string) =>
      text
        .split('\n')
        .filter((line) => !line.split('\t')[nxt]?.split(',').includes('44'))
        .join('\n');
    for (const file of [merged, ...fixtureCaptureFiles()]) {
      const theirs = await tshark(['-r', file, '-T', 'fields', ...args]);
      const ours = await dissect(['-r', file, '-T', 'fields', ...args]);
      expect(unfragmented(ours.stdout), file).toBe(unfragmented(theirs));
    }
  }, 600_000);

  it.skipIf(skip !== undefined)(`follows -E header, separator, quote, occurrence and aggregator${suffix}`, async () => {
    const layouts = [
      ['-E', 'header=y', '-E', 'separator=,', '-E', 'quote=d'],
      ['-E', 'occurrence=f'],
      ['-E', 'occurrence=l', '-E', 'aggregator=/s'],
      ['-E', 'separator=/s', '-E', 'quote=s', '-E', 'header=y'],
    ];
    const fields = ['-e', 'frame.number', '-e', 'ip.src', '-e', 'ip.addr', '-e', 'udp.port', '-e', 'icmp.type'];
    for (const layout of layouts) {
      const args = ['-r', fixture('icmp-errors.pcap'), '-T', 'fields', ...fields, ...layout];
      expect((await dissect(args)).stdout, layout.join(' ')).toBe(await tshark(args));
    }
  });
});

describe('-z statistics against tshark', () => {
  it.skipIf(skip !== undefined)(`follow,tcp,ascii prints each stream as tshark does, and an unknown one empty${suffix}`, async () => {
    for (const [file, streams] of [
      ['curl-http.pcap', [0, 1]],
      ['curl-http.pcapng', [0]],
      ['nping-tcp.pcap', [0, 1, 2, 3]],
    ] as const) {
      for (const stream of streams) {
        const args = ['-r', fixture(file), '-q', '-z', `follow,tcp,ascii,${stream}`];
        const theirs = await tshark(args);
        expect((await dissect(args)).stdout, `${file} ${stream}`).toBe(theirs);
      }
    }
    // The payload is really there: the HTTP response and all 1,000 lines of the served file.
    const curl = (await dissect(['-r', fixture('curl-http.pcap'), '-q', '-z', 'follow,tcp,ascii,0'])).stdout;
    expect(curl).toContain('GET /data.txt HTTP/1.1\r\n');
    expect(curl).toContain('packet-lab fixture line 01000\n');
  });

  it.skipIf(skip !== undefined)(`conv,tcp prints the conversation table as tshark does${suffix}`, async () => {
    for (const file of [merged, ...fixtureCaptureFiles()]) {
      const args = ['-r', file, '-q', '-z', 'conv,tcp'];
      expect((await dissect(args)).stdout, file).toBe(await tshark(args));
    }
  });
});

describe('-t time formats against tshark', () => {
  it.skipIf(skip !== undefined)(`print the summary time column as tshark does${suffix}`, async () => {
    // Files whose info columns dissect already prints as tshark does (HTTP aside), in µs and ns.
    for (const file of ['iputils-ping.pcap', 'ping-nanosecond.pcap', 'icmp-errors.pcap']) {
      for (const format of ['r', 'a', 'ad', 'd', 'dd', 'e', 'u', 'ud']) {
        const args = ['-r', fixture(file), '-t', format];
        expect((await dissect(args)).stdout, `${file} -t ${format}`).toBe(await tshark(args));
      }
      const shown = ['-r', fixture(file), '-t', 'dd', '-Y', 'frame.number in {1, 3, 4}'];
      expect((await dissect(shown)).stdout, `${file} -t dd with a filter`).toBe(await tshark(shown));
    }
  });
});

describe('-T json against tshark', () => {
  type Tree = { [key: string]: string | null | Tree };

  /** Every leaf of ours with its path, and tshark's value at that path. */
  function leaves(ours: Tree, theirs: Tree | undefined, path: string, out: [string, string | null, string | null | Tree | undefined][]): void {
    for (const [key, value] of Object.entries(ours)) {
      if (value === null || typeof value === 'string') out.push([`${path}.${key}`, value, theirs?.[key]]);
      else leaves(value, typeof theirs?.[key] === 'object' && theirs[key] !== null ? (theirs[key] as Tree) : undefined, `${path}.${key}`, out);
    }
  }

  it.skipIf(skip !== undefined)(`names layers and fields as tshark does, with tshark's values, on every fixture${suffix}`, async () => {
    let compared = 0;
    for (const file of fixtureCaptureFiles()) {
      const ours = JSON.parse((await dissect(['-r', file, '-T', 'json'])).stdout) as Tree[];
      const theirs = JSON.parse(await tshark(['-r', file, '-T', 'json'])) as Tree[];
      expect(ours.length, file).toBe(theirs.length);
      const found: [string, string | null, string | null | Tree | undefined][] = [];
      ours.forEach((packet, i) => leaves(packet, theirs[i], `${file}#${i + 1}`, found));
      // tshark counts a segment with both SYN and FIN (nping's odd-flag probes) as one sequence number in
      // tcp.nxtseq; the conversation tracker counts two. Known (TCP analysis work), left out here.
      const synFin = new Set(
        ours.flatMap((packet, i) => {
          const tcp = ((packet._source as Tree).layers as Tree).tcp as Tree | undefined;
          return tcp && (parseInt(tcp['tcp.flags'] as string, 16) & 0x003) === 0x003 ? [`${file}#${i + 1}._source.layers.tcp.tcp.nxtseq`] : [];
        }),
      );
      const differing = found.filter(([path, value, their]) => value !== their && !synFin.has(path));
      expect(differing, file).toEqual([]);
      compared += found.length;
      expect(ours[0]._source).toHaveProperty('layers.frame');
    }
    expect(compared).toBeGreaterThan(8000);
  }, 600_000);
});
