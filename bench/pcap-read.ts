// Streaming pcap reading: records/s and memory growth on a generated file,
// beside capinfos (Wireshark's C reader) counting the same file in the same run.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { LINKTYPE } from '../src/wire/link-type.ts';
import { encodePcapHeader, PCAP_RECORD_HEADER_LENGTH, writePcapRecordHeader } from '../src/wire/pcap.ts';
import { formatRate, printRow, printTarget } from './harness.ts';

/** Writes `records` Ethernet frames of `frameLength` bytes, in 4 MiB chunks. */
function generatePcap(path: string, records: number, frameLength: number): number {
  const fd = openSync(path, 'w');
  const header = encodePcapHeader({ linkType: LINKTYPE.ETHERNET });
  writeSync(fd, header);
  const recordLength = PCAP_RECORD_HEADER_LENGTH + frameLength;
  const perChunk = Math.floor((4 << 20) / recordLength);
  const chunk = new Uint8Array(perChunk * recordLength);
  let written = 0;
  let bytes = header.length;
  while (written < records) {
    const n = Math.min(perChunk, records - written);
    for (let i = 0; i < n; i++) {
      const at = i * recordLength;
      const t = written + i;
      writePcapRecordHeader(chunk, at, { timestampSeconds: 1_700_000_000 + Math.floor(t / 1000), timestampFraction: (t % 1000) * 1000, capturedLength: frameLength, originalLength: frameLength }, true);
      chunk[at + PCAP_RECORD_HEADER_LENGTH + 12] = 0x08; // EtherType IPv4
      chunk[at + PCAP_RECORD_HEADER_LENGTH + 14] = 0x45;
      chunk[at + PCAP_RECORD_HEADER_LENGTH + 20] = t & 0xff;
    }
    writeSync(fd, chunk, 0, n * recordLength);
    bytes += n * recordLength;
    written += n;
  }
  closeSync(fd);
  return bytes;
}

async function readRate(path: string): Promise<{ perSecond: number; records: number; rssGrowthMiB: number }> {
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let records = 0;
  let sink = 0;
  const start = performance.now();
  for await (const record of readCaptureFile(path)) {
    sink ^= record.data[20];
    if ((++records & 0xffff) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - start) / 1000;
  if (sink === -1) console.log(sink);
  return { perSecond: records / seconds, records, rssGrowthMiB: (peakRss - rssBefore) / 2 ** 20 };
}

function capinfosRate(path: string, records: number): number | undefined {
  const start = performance.now();
  const run = spawnSync('capinfos', ['-c', '-M', path], { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0 || !new RegExp(`${records}`).test(run.stdout)) return undefined;
  return records / seconds;
}

export async function benchPcapRead(): Promise<void> {
  console.log('\n# pcap reading, streamed: packet-lab readCaptureFile vs capinfos -c (same file, same run)');
  const dir = mkdtempSync(join(tmpdir(), 'packet-lab-bench-'));
  try {
    const small = join(dir, 'small.pcap');
    const large = join(dir, 'large.pcap');
    const smallBytes = generatePcap(small, 250_000, 74);
    const largeBytes = generatePcap(large, 2_000_000, 74);
    const a = await readRate(small);
    const b = await readRate(large);
    console.log(`  ${a.records} records (${(smallBytes / 2 ** 20).toFixed(0)} MiB): ${formatRate(a.perSecond)}, RSS growth ${a.rssGrowthMiB.toFixed(1)} MiB`);
    console.log(`  ${b.records} records (${(largeBytes / 2 ** 20).toFixed(0)} MiB): ${formatRate(b.perSecond)}, RSS growth ${b.rssGrowthMiB.toFixed(1)} MiB`);
    printTarget('pcap records streamed from a file', formatRate(b.perSecond), b.perSecond >= 1e6, '>= 1 M/s');
    const flat = b.rssGrowthMiB < Math.max(64, a.rssGrowthMiB * 2);
    console.log(`  memory flat in file size (8x the file, RSS growth ${a.rssGrowthMiB.toFixed(1)} -> ${b.rssGrowthMiB.toFixed(1)} MiB): ${flat ? 'yes' : 'NO'}`);
    const reference = capinfosRate(large, b.records);
    if (reference === undefined) console.log('capinfos: not available (apt-get install tshark), no reference this run');
    else printRow('pcap records/s vs capinfos -c', formatRate(b.perSecond), formatRate(reference), b.perSecond / reference);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
