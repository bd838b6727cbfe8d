// dissect's summary output beside `tshark -r` on the same generated capture,
// both writing to /dev/null, interleaved run by run so machine noise hits
// both alike; the best run of each counts. The capture repeats every
// Ethernet packet of fixtures/ (ICMP echo and errors, TCP with options, UDP,
// jumbo pings) with increasing timestamps. Memory: RSS growth for the file
// and for one four times as large must stay flat.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDissectCommand } from '../src/cli/dissect-command.ts';
import type { ByteSink } from '../src/cli/text-output.ts';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { updateChecksum } from '../src/wire/checksum.ts';
import { ETHERTYPE } from '../src/wire/ethernet.ts';
import { Ipv4View } from '../src/wire/ipv4.ts';
import { LINKTYPE, LinkLayerView } from '../src/wire/link-type.ts';
import { TcpField, TcpView } from '../src/wire/tcp.ts';
import { encodePcapHeader, PCAP_RECORD_HEADER_LENGTH, writePcapRecordHeader } from '../src/wire/pcap.ts';
import { formatRate, printRow, printTarget } from './harness.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const REPO = new URL('..', import.meta.url).pathname;
const PACKETS = 200_000;
const ROUNDS = 4;

/** Whole Ethernet frames of every fixture carrying `etherType` (IPv4 or IPv6). */
async function fixtureFrames(etherType: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  const link = new LinkLayerView();
  for (const name of readdirSync(FIXTURES).filter((n) => /\.pcap(ng)?$/.test(n)).sort()) {
    for await (const record of readCaptureFile(join(FIXTURES, name))) {
      if (record.linkType !== LINKTYPE.ETHERNET || record.capturedLength !== record.originalLength) continue;
      if (link.point(record.linkType, record.data) === undefined && link.protocol === etherType) frames.push(record.data);
    }
  }
  return frames;
}

/**
 * An Ethernet pcap file (microsecond, little-endian) written in 4 MiB
 * chunks: the bench writes up to 800,000 records, and PcapWriter makes one
 * write() per record.
 */
class ChunkedPcapFile {
  private readonly fd: number;
  private readonly chunk = new Uint8Array(4 << 20);
  private used = 0;
  private bytes: number;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    const header = encodePcapHeader({ linkType: LINKTYPE.ETHERNET });
    writeSync(this.fd, header);
    this.bytes = header.length;
  }

  /** Appends `data` (copied) as one whole record. */
  add(data: Uint8Array, timestampSeconds: number, timestampFraction: number): void {
    if (this.used + PCAP_RECORD_HEADER_LENGTH + data.length > this.chunk.length) {
      writeSync(this.fd, this.chunk, 0, this.used);
      this.used = 0;
    }
    writePcapRecordHeader(this.chunk, this.used, { timestampSeconds, timestampFraction, capturedLength: data.length, originalLength: data.length }, true);
    this.chunk.set(data, this.used + PCAP_RECORD_HEADER_LENGTH);
    this.used += PCAP_RECORD_HEADER_LENGTH + data.length;
    this.bytes += PCAP_RECORD_HEADER_LENGTH + data.length;
  }

  /** Writes what is left and closes the file; returns the bytes written. */
  close(): number {
    writeSync(this.fd, this.chunk, 0, this.used);
    closeSync(this.fd);
    return this.bytes;
  }
}

/** Writes `count` records cycling through `frames`, one millisecond apart. */
function writeCapture(path: string, frames: readonly Uint8Array[], count: number): number {
  const file = new ChunkedPcapFile(path);
  for (let i = 0; i < count; i++) file.add(frames[i % frames.length], 1_700_000_000 + Math.floor(i / 1000), (i % 1000) * 1000);
  return file.close();
}

function devNullSink(fd: number): ByteSink {
  return { write: (bytes) => (writeSync(fd, bytes), true), drain: async () => {} };
}

/** One in-process run of `dissect FILE` with its output to /dev/null: milliseconds and the peak RSS growth. */
async function dissectRun(path: string, fd: number): Promise<{ ms: number; rssGrowthMiB: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = performance.now();
  const status = await runDissectCommand([path], devNullSink(fd), {});
  const ms = performance.now() - start;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (status !== 0) throw new Error(`dissect exited ${status} on ${path}`);
  return { ms, rssGrowthMiB: (peak - before) / 2 ** 20 };
}

/** Wall time of a command with stdout to /dev/null, or undefined when it fails. */
function processRun(command: string, args: string[], fd: number): number | undefined {
  const start = performance.now();
  const run = spawnSync(command, args, { stdio: ['ignore', fd, 'ignore'], cwd: REPO });
  const ms = performance.now() - start;
  return run.status === 0 ? ms : undefined;
}

export async function benchDissect(): Promise<void> {
  console.log(`\n# dissect summary lines vs tshark -r (same ${PACKETS}-packet file, output to /dev/null)`);
  const dir = mkdtempSync(join(tmpdir(), 'packet-lab-bench-dissect-'));
  const devNull = openSync('/dev/null', 'w');
  try {
    const frames = await fixtureFrames(ETHERTYPE.IPV4);
    const file = join(dir, 'mixed.pcap');
    const large = join(dir, 'mixed-x4.pcap');
    const tiny = join(dir, 'one.pcap');
    const bytes = writeCapture(file, frames, PACKETS);
    writeCapture(large, frames, PACKETS * 4);
    writeCapture(tiny, frames, 1);
    console.log(`  ${PACKETS} packets cycling through the ${frames.length} Ethernet IPv4 fixture packets, ${(bytes / 2 ** 20).toFixed(0)} MiB`);

    await dissectRun(file, devNull); // warm-up: JIT and page cache
    let ours = Infinity;
    let theirs = Infinity;
    let rss = 0;
    const haveTshark = processRun('tshark', ['-r', tiny], devNull) !== undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const run = await dissectRun(file, devNull);
      ours = Math.min(ours, run.ms);
      rss = Math.max(rss, run.rssGrowthMiB);
      if (haveTshark) theirs = Math.min(theirs, processRun('tshark', ['-r', file], devNull) ?? Infinity);
    }
    const largeRun = await dissectRun(large, devNull);
    const rate = (PACKETS * 1000) / ours;
    console.log(`  dissect (in-process, best of ${ROUNDS}): ${ours.toFixed(0)} ms, ${formatRate(rate)}, RSS growth ${rss.toFixed(1)} MiB`);
    console.log(`  dissect on the 4x file: ${largeRun.ms.toFixed(0)} ms, RSS growth ${largeRun.rssGrowthMiB.toFixed(1)} MiB`);
    const flat = largeRun.rssGrowthMiB < Math.max(64, rss * 2);
    console.log(`  memory flat in file size (4x the packets, RSS growth ${rss.toFixed(1)} -> ${largeRun.rssGrowthMiB.toFixed(1)} MiB): ${flat ? 'yes' : 'NO'}`);
    const cli = processRun(process.execPath, ['--import', 'tsx', 'src/dissect.ts', file], devNull);
    if (cli !== undefined) console.log(`  the whole CLI process for comparison (node + tsx start-up included): ${cli.toFixed(0)} ms`);
    if (!haveTshark) {
      console.log('tshark: not available (apt-get install tshark), no reference this run');
      return;
    }
    const startup = processRun('tshark', ['-r', tiny], devNull) ?? 0;
    console.log(`  tshark -r (best of ${ROUNDS}): ${theirs.toFixed(0)} ms, of which ~${startup.toFixed(0)} ms is its start-up (a 1-packet file)`);
    printRow('dissect summary vs tshark -r (time ratio)', `${ours.toFixed(0)} ms`, `${theirs.toFixed(0)} ms`, theirs / ours, 3);
    printTarget('dissect vs tshark without its start-up', `${((theirs - startup) / ours).toFixed(2)}x`, (theirs - startup) / ours >= 3, '>= 3x');
  } finally {
    closeSync(devNull);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// TCP analysis on a long capture of many lossy streams: fixtures/tcp-lossy.pcap
// (a real 1.5 MB download through a router dropping and duplicating segments)
// replicated with a new client port per copy, 8 copies interleaved at a time
// with their own timing, copy groups one after the other in time. dissect's
// summary lines with the analysis on against `tshark -r` (its analysis on by
// default), and both with it off (`-o tcp.analyze_sequence_numbers:FALSE`).
// Both as whole processes (node + tsx start-up included), output to /dev/null,
// run pairs interleaved, median of the per-pair ratios.

const LOSSY_PACKETS = 1_000_000;
const LOSSY_ROUNDS = 5;
const STREAMS_AT_ONCE = 8;

interface LossyFrame {
  readonly data: Uint8Array;
  readonly seconds: number;
  readonly micros: number;
  /** Where the client port and the TCP checksum are, or -1 (not TCP). */
  readonly clientPortAt: number;
  readonly checksumAt: number;
}

async function lossyFrames(): Promise<LossyFrame[]> {
  const frames: LossyFrame[] = [];
  const ip = new Ipv4View();
  const tcp = new TcpView();
  for await (const record of readCaptureFile(join(FIXTURES, 'tcp-lossy.pcap'))) {
    const data = record.data.slice();
    let clientPortAt = -1;
    let checksumAt = -1;
    // Ethernet II header: 14 bytes.
    if (ip.point(data, 14) === undefined && tcp.point(data, ip.payloadStart, ip.payloadEnd) === undefined) {
      const fromServer = tcp.sourcePort === 80;
      clientPortAt = ip.payloadStart + (fromServer ? TcpField.DESTINATION_PORT : TcpField.SOURCE_PORT);
      checksumAt = ip.payloadStart + TcpField.CHECKSUM;
    }
    frames.push({ data, seconds: record.timestampSeconds, micros: Math.floor(record.timestampFraction / (record.fractionsPerSecond / 1e6)), clientPortAt, checksumAt });
  }
  return frames;
}

/** Writes `count` packets of lossy streams (see above); returns the bytes written. */
function writeLossyCapture(path: string, frames: readonly LossyFrame[], count: number): number {
  const file = new ChunkedPcapFile(path);
  const first = frames[0];
  const last = frames[frames.length - 1];
  const spanMicros = (last.seconds - first.seconds) * 1e6 + (last.micros - first.micros) + 1000;
  const scratch = new Uint8Array(65536);
  let written = 0;
  for (let group = 0; written < count; group++) {
    for (let f = 0; f < frames.length && written < count; f++) {
      const frame = frames[f];
      for (let copy = 0; copy < STREAMS_AT_ONCE && written < count; copy++) {
        const stream = group * STREAMS_AT_ONCE + copy;
        const data = scratch.subarray(0, frame.data.length);
        data.set(frame.data);
        if (frame.clientPortAt >= 0) {
          const view = new DataView(data.buffer, data.byteOffset, data.length);
          const oldPort = view.getUint16(frame.clientPortAt);
          const newPort = 1024 + (stream % 60000);
          view.setUint16(frame.clientPortAt, newPort);
          view.setUint16(frame.checksumAt, updateChecksum(view.getUint16(frame.checksumAt), oldPort, newPort));
        }
        const micros = (frame.seconds - first.seconds) * 1e6 + (frame.micros - first.micros) + group * spanMicros;
        file.add(data, first.seconds + Math.floor(micros / 1e6), micros % 1e6);
        written++;
      }
    }
  }
  return file.close();
}

/** Wall time and peak RSS (MiB, from GNU time) of a command with stdout to /dev/null. */
function timedProcess(command: string, args: string[], fd: number): { ms: number; maxRssMiB: number } | undefined {
  const start = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { stdio: ['ignore', fd, 'pipe'], cwd: REPO, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (run.status !== 0) return undefined;
  const kib = Number(run.stderr.trim().split('\n').pop());
  return { ms, maxRssMiB: kib / 1024 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function benchDissectAnalysis(packets = LOSSY_PACKETS, rounds = LOSSY_ROUNDS): Promise<void> {
  console.log(`\n# dissect summaries with TCP analysis vs tshark -r (${packets} packets of lossy streams, output to /dev/null)`);
  const dir = mkdtempSync(join(tmpdir(), 'packet-lab-bench-analysis-'));
  const devNull = openSync('/dev/null', 'w');
  try {
    const frames = await lossyFrames();
    const file = join(dir, 'lossy.pcap');
    const large = join(dir, 'lossy-x2.pcap');
    const bytes = writeLossyCapture(file, frames, packets);
    writeLossyCapture(large, frames, packets * 2);
    console.log(`  ${packets} packets: ${Math.ceil(packets / frames.length)} copies of the ${frames.length}-frame lossy transfer, ${STREAMS_AT_ONCE} streams at a time, ${(bytes / 2 ** 20).toFixed(0)} MiB`);
    const dissect = (extra: string[], path: string) => timedProcess(process.execPath, ['--import', 'tsx', 'src/dissect.ts', ...extra, path], devNull);
    const tshark = (extra: string[], path: string) => timedProcess('tshark', ['-n', ...extra, '-r', path], devNull);
    const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
    const cases = [
      { name: 'analysis on', ours: [] as string[], theirs: [] as string[] },
      { name: 'analysis off', ours: ['--no-tcp-analysis'], theirs: ['-o', 'tcp.analyze_sequence_numbers:FALSE'] },
    ];
    for (const c of cases) {
      const ratios: number[] = [];
      const ourTimes: number[] = [];
      const theirTimes: number[] = [];
      let ourRss = 0;
      let theirRss = 0;
      for (let round = 0; round < rounds; round++) {
        const ours = dissect(c.ours, file);
        if (!ours) throw new Error(`dissect failed on ${file}`);
        ourTimes.push(ours.ms);
        ourRss = Math.max(ourRss, ours.maxRssMiB);
        if (!haveTshark) continue;
        const theirs = tshark(c.theirs, file);
        if (!theirs) throw new Error(`tshark failed on ${file}`);
        theirTimes.push(theirs.ms);
        theirRss = Math.max(theirRss, theirs.maxRssMiB);
        ratios.push(theirs.ms / ours.ms);
      }
      console.log(`  ${c.name}: dissect median ${median(ourTimes).toFixed(0)} ms (max RSS ${ourRss.toFixed(0)} MiB)` + (haveTshark ? `, tshark median ${median(theirTimes).toFixed(0)} ms (max RSS ${theirRss.toFixed(0)} MiB)` : ''));
      if (haveTshark) printRow(`dissect vs tshark, ${c.name} (median of ${rounds} pairs)`, `${median(ourTimes).toFixed(0)} ms`, `${median(theirTimes).toFixed(0)} ms`, median(ratios), 3);
    }
    const twice = dissect([], large);
    const once = dissect([], file);
    if (twice && once) {
      const flat = twice.maxRssMiB < once.maxRssMiB * 1.25 + 16;
      console.log(`  dissect max RSS with analysis: ${once.maxRssMiB.toFixed(0)} MiB for ${packets} packets, ${twice.maxRssMiB.toFixed(0)} MiB for ${packets * 2}: ${flat ? 'flat' : 'NOT flat'}`);
    }
    if (!haveTshark) console.log('tshark: not available (apt-get install tshark), no reference this run');
  } finally {
    closeSync(devNull);
    rmSync(dir, { recursive: true, force: true });
  }
}

const IPV6_ROUNDS = 7;

/**
 * tshark's wall and CPU (user + system) milliseconds with stdout to /dev/null:
 * bash's `times` reports what its finished children used.
 */
function tsharkRunWithCpu(file: string, fd: number): { ms: number; cpuMs: number } | undefined {
  const start = performance.now();
  const script = 'tshark -r "$1" >&3 2>/dev/null || exit 1; times';
  const run = spawnSync('bash', ['-c', script, 'bench', file], { stdio: ['ignore', 'pipe', 'ignore', fd], cwd: REPO, encoding: 'utf8' });
  const ms = performance.now() - start;
  // `times` prints the shell's own user/system times, then its children's: "0m1.234s 0m0.056s".
  const children = run.stdout.trim().split('\n').at(-1)?.match(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/);
  if (run.status !== 0 || !children) return undefined;
  const cpuMs = (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000;
  return { ms, cpuMs };
}

/** dissect's run as dissectRun, with the CPU milliseconds (user + system) the process spent on it. */
async function dissectRunWithCpu(path: string, fd: number): Promise<{ ms: number; cpuMs: number }> {
  const before = process.cpuUsage();
  const { ms } = await dissectRun(path, fd);
  const used = process.cpuUsage(before);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * dissect vs tshark -r on a 200k-packet IPv6 capture: paired, interleaved
 * runs, median of the ratios. On a loaded machine wall times mostly measure
 * the scheduler, so the CPU time each side used is paired the same way.
 */
export async function benchDissectIpv6(): Promise<void> {
  console.log(`\n# dissect summary lines vs tshark -r on IPv6 (same ${PACKETS}-packet file, output to /dev/null)`);
  const dir = mkdtempSync(join(tmpdir(), 'packet-lab-bench-dissect6-'));
  const devNull = openSync('/dev/null', 'w');
  try {
    const frames = await fixtureFrames(ETHERTYPE.IPV6);
    if (frames.length === 0) throw new Error('no Ethernet IPv6 packets in fixtures/ (fixtures/capture.sh makes them)');
    const file = join(dir, 'ipv6.pcap');
    const tiny = join(dir, 'one.pcap');
    const bytes = writeCapture(file, frames, PACKETS);
    writeCapture(tiny, frames, 1);
    console.log(`  ${PACKETS} packets cycling through the ${frames.length} Ethernet IPv6 fixture packets, ${(bytes / 2 ** 20).toFixed(0)} MiB`);
    await dissectRun(file, devNull); // warm-up: JIT and page cache
    if (processRun('tshark', ['-r', tiny], devNull) === undefined) {
      console.log('tshark: not available (apt-get install tshark), no reference this run');
      return;
    }
    const ours: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    const oursCpu: number[] = [];
    const theirsCpu: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 0; round < IPV6_ROUNDS; round++) {
      // Alternate which one goes first, so neither always gets the warmer machine.
      let dissect: { ms: number; cpuMs: number };
      let tshark: { ms: number; cpuMs: number } | undefined;
      if (round % 2 === 0) {
        dissect = await dissectRunWithCpu(file, devNull);
        tshark = tsharkRunWithCpu(file, devNull);
      } else {
        tshark = tsharkRunWithCpu(file, devNull);
        dissect = await dissectRunWithCpu(file, devNull);
      }
      if (tshark === undefined) throw new Error(`tshark -r ${file} failed`);
      ours.push(dissect.ms);
      theirs.push(tshark.ms);
      ratios.push(tshark.ms / dissect.ms);
      oursCpu.push(dissect.cpuMs);
      theirsCpu.push(tshark.cpuMs);
      cpuRatios.push(tshark.cpuMs / dissect.cpuMs);
    }
    const ratio = median(ratios);
    console.log(`  dissect (in-process) median of ${IPV6_ROUNDS}: ${median(ours).toFixed(0)} ms, ${formatRate((PACKETS * 1000) / median(ours))}`);
    console.log(`  tshark -r median of ${IPV6_ROUNDS}: ${median(theirs).toFixed(0)} ms`);
    console.log(`  per-pair ratios: ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
    console.log(`  CPU time (user + system), median of ${IPV6_ROUNDS}: dissect ${median(oursCpu).toFixed(0)} ms, tshark -r ${median(theirsCpu).toFixed(0)} ms`);
    console.log(`  per-pair CPU ratios: ${cpuRatios.map((r) => r.toFixed(2)).join(' ')} (median ${median(cpuRatios).toFixed(2)}x)`);
    printRow('dissect IPv6 summary vs tshark -r (median ratio)', `${median(ours).toFixed(0)} ms`, `${median(theirs).toFixed(0)} ms`, ratio, 3);
  } finally {
    closeSync(devNull);
    rmSync(dir, { recursive: true, force: true });
  }
}

// `npx tsx bench/dissect.ts [analysis [PACKETS [ROUNDS]]]` runs this file's sections alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === 'analysis') await benchDissectAnalysis(Number(process.argv[3] ?? LOSSY_PACKETS), Number(process.argv[4] ?? LOSSY_ROUNDS));
  else {
    await benchDissect();
    await benchDissectIpv6();
    await benchDissectAnalysis();
  }
}
