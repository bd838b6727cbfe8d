// Start-up of the installed command's one-shot runs beside `node -e 0`:
// `packet-lab craft icmp` and `packet-lab dissect` of a 10-packet file, from
// the compiled package (dist/, as npx runs it), and the same two through tsx
// from src/ for comparison. Runs are interleaved (every round runs each
// command once, in rotating order) so machine noise hits all alike; each
// command's figure is the median of its per-round ratio to node -e 0 in the
// same round. Needs the build (npm run build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter, readCaptureFile } from '../src/io/pcap-file.ts';
import { printTarget } from './harness.ts';

const REPO = new URL('..', import.meta.url).pathname;
const ROUNDS = 25;
/** The issue's target: a one-shot command within 2.5x of a bare node start. */
const TARGET_RATIO = 2.5;

async function writeTenPackets(path: string): Promise<void> {
  const records = [];
  for await (const record of readCaptureFile(join(REPO, 'fixtures/nping-tcp.pcap'))) records.push(record);
  for await (const record of readCaptureFile(join(REPO, 'fixtures/iputils-ping.pcap'))) records.push(record);
  const writer = PcapWriter.openSync(path, { linkType: records[0].linkType });
  for (const [i, record] of records.slice(0, 10).entries()) writer.write(record.data, 1_700_000_000_000 + i);
  writer.closeSync();
}

function timeOnce(args: readonly string[]): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = performance.now() - start;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr}`);
  return elapsed;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export async function benchStartup(): Promise<void> {
  console.log('\n== start-up: one-shot commands vs node -e 0 (median of paired, interleaved runs) ==');
  const bin = join(REPO, 'dist/packet-lab.js');
  if (!existsSync(bin)) {
    console.log('skipped: no dist/packet-lab.js (run npm run build)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'packet-lab-startup-'));
  try {
    const capture = join(dir, 'ten.pcap');
    await writeTenPackets(capture);
    const commands: Record<string, string[]> = {
      'node -e 0': ['-e', '0'],
      'packet-lab craft icmp': [bin, 'craft', 'icmp'],
      'packet-lab dissect (10 packets)': [bin, 'dissect', capture],
      'tsx src/craft.ts icmp': ['--import', 'tsx', 'src/craft.ts', 'icmp'],
      'tsx src/dissect.ts (10 packets)': ['--import', 'tsx', 'src/dissect.ts', capture],
    };
    const names = Object.keys(commands);
    const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (const name of names) timeOnce(commands[name]); // warm the file cache
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length];
        times[name].push(timeOnce(commands[name]));
      }
    }
    const base = times['node -e 0'];
    console.log(`${'node -e 0'.padEnd(44)} ${`${median(base).toFixed(1)} ms`.padStart(12)}`);
    for (const name of names.slice(1)) {
      const ratio = median(times[name].map((t, i) => t / base[i]));
      const label = `${median(times[name]).toFixed(1)} ms`;
      if (name.startsWith('packet-lab')) printTarget(name, `${label} = ${ratio.toFixed(2)}x`, ratio <= TARGET_RATIO, `<= ${TARGET_RATIO}x node -e 0`);
      else console.log(`${name.padEnd(44)} ${`${label} = ${ratio.toFixed(2)}x`.padStart(12)}  (before the package: tsx from src/)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchStartup();
