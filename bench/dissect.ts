// dissect's summary output beside `tshark -r` on the same generated capture,
// both writing to /dev/null, interleaved run by run so machine noise hits
// both alike; the best run of each counts. The capture repeats every
// Ethernet IPv4 packet of fixtures/ (ICMP echo and errors, TCP with options,
// UDP, jumbo pings) with increasing timestamps. Memory: RSS growth for the
// file and for one four times as large must stay flat. A second capture
// repeats every Ethernet IPv6 packet of fixtures/ (ICMPv6 echo, errors, NDP,
// MLDv2, fragments, TCP, UDP): there each dissect run is paired with a tshark
// run and the median of the pairs' ratios counts.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDissectCommand } from '../src/cli/dissect-command.ts';
import type { ByteSink } from '../src/cli/text-output.ts';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { ETHERTYPE } from '../src/wire/ethernet.ts';
import { LINKTYPE, LinkLayerView } from '../src/wire/link-type.ts';
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

/** Writes `count` records cycling through `frames`, one millisecond apart. */
function writeCapture(path: string, frames: readonly Uint8Array[], count: number): number {
  const fd = openSync(path, 'w');
  const header = encodePcapHeader({ linkType: LINKTYPE.ETHERNET });
  writeSync(fd, header);
  let bytes = header.length;
  const chunk = new Uint8Array(4 << 20);
  let used = 0;
  for (let i = 0; i < count; i++) {
    const frame = frames[i % frames.length];
    if (used + PCAP_RECORD_HEADER_LENGTH + frame.length > chunk.length) {
      writeSync(fd, chunk, 0, used);
      used = 0;
    }
    const timestamp = { timestampSeconds: 1_700_000_000 + Math.floor(i / 1000), timestampFraction: (i % 1000) * 1000 };
    writePcapRecordHeader(chunk, used, { ...timestamp, capturedLength: frame.length, originalLength: frame.length }, true);
    chunk.set(frame, used + PCAP_RECORD_HEADER_LENGTH);
    used += PCAP_RECORD_HEADER_LENGTH + frame.length;
    bytes += PCAP_RECORD_HEADER_LENGTH + frame.length;
  }
  writeSync(fd, chunk, 0, used);
  closeSync(fd);
  return bytes;
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

const IPV6_ROUNDS = 7;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

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

// `npx tsx bench/dissect.ts` runs this section alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  await benchDissect();
  await benchDissectIpv6();
}
