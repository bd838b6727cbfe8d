// ping against iputils ping in the same run, on the same veth pair between two
// namespaces this bench creates and removes: flood rate, median RTT, start-up;
// over IPv4 (ICMP) and over IPv6 (ICMPv6, the pair's ULA addresses), the IPv6
// rows beside the IPv4 ones. PING_BENCH_FAMILIES=4 or 6 runs one family only.
import { spawnSync } from 'node:child_process';
import { createPair, REPO_ROOT, teardownAll } from '../test/helpers/netns.ts';
import { formatRate, printRow, printTarget } from './harness.ts';

const PING_TS = `${REPO_ROOT}src/ping.ts`;

interface PingRun {
  readonly stdout: string;
  readonly transmitted: number;
  readonly received: number;
  /** The "time Nms" of the statistics line: first request to the end, start-up excluded. */
  readonly timeMs: number;
}

function parseRun(stdout: string): PingRun {
  const stats = /(\d+) packets transmitted, (\d+) received.*time (\d+)ms/.exec(stdout);
  if (!stats) throw new Error(`no statistics in ping output:\n${stdout.slice(-500)}`);
  return { stdout, transmitted: Number(stats[1]), received: Number(stats[2]), timeMs: Number(stats[3]) };
}

function runIn(namespace: string, command: string[], timeoutMs: number): PingRun {
  const result = spawnSync('ip', ['netns', 'exec', namespace, ...command], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`${command.join(' ')} exited ${result.status}: ${result.stderr}`);
  return parseRun(result.stdout);
}

const ours = (args: string[], root = REPO_ROOT) => [process.execPath, '--import', 'tsx', `${root}src/ping.ts`, ...args];
const iputils = (args: string[]) => ['ping', ...args];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const replyTimes = (stdout: string) => [...stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));

function wallSeconds(command: string[]): number {
  const start = performance.now();
  const result = spawnSync(command[0], command.slice(1), { stdio: 'ignore', timeout: 20_000 });
  if (result.status !== 0) throw new Error(`${command.join(' ')} exited ${result.status}`);
  return (performance.now() - start) / 1000;
}

export async function benchPing(): Promise<void> {
  console.log('\n# ping: packet-lab vs iputils ping on one veth pair between two namespaces (same run)');
  if (process.getuid?.() !== 0) {
    console.log('needs root (namespaces and raw sockets): skipped');
    return;
  }
  const pair = createPair({ ipv6: true });
  try {
    const families = (process.env.PING_BENCH_FAMILIES ?? '4,6').split(',').map(Number);
    for (const family of families) {
      benchFamily(pair.a.name, family === 6 ? pair.address6B : pair.addressB, family === 6 ? 'IPv6' : 'IPv4');
    }
  } finally {
    await teardownAll();
  }

  const startups = (command: string[]) => median(Array.from({ length: 5 }, () => wallSeconds(command)));
  const viaNode = startups(ours(['-c', '1', '127.0.0.1']));
  const viaTsx = startups([`${REPO_ROOT}node_modules/.bin/tsx`, PING_TS, '-c', '1', '127.0.0.1']);
  const reference = startups(iputils(['-c', '1', '127.0.0.1']));
  printTarget('start-up: node --import tsx src/ping.ts -c 1', `${viaNode.toFixed(2)} s`, viaNode < 0.5, '< 0.5 s');
  printTarget('start-up: tsx src/ping.ts -c 1', `${viaTsx.toFixed(2)} s`, viaTsx < 0.5, '< 0.5 s');
  console.log(`${'start-up: iputils ping -c 1 (reference)'.padEnd(44)} ${`${reference.toFixed(3)} s`.padStart(12)}`);
}

/** Flood, preload flood and RTT at -i 0.01 to `peer`, every variant per round, paired with iputils. */
function benchFamily(ns: string, peer: string, familyLabel: string): void {
  // Warm the neighbour cache (ARP or NDP) so neither tool pays for resolution.
  runIn(ns, iputils(['-c', '1', peer]), 10_000);

  const count = Number(process.env.PING_BENCH_FLOOD_COUNT ?? 100_000);
  const rounds = Math.max(1, Number(process.env.PING_BENCH_ROUNDS ?? 5));
  // Our ping over each binding, and optionally another checkout (PING_BENCH_BASELINE=/path/to/checkout/)
  // for a before/after; iputils runs in every round beside them. The machine is shared and noisy, so
  // each round runs every variant back to back (order rotated) and the figure is the median of the
  // per-round ratios to iputils, not the ratio of two single runs.
  interface Variant {
    readonly label: string;
    readonly command: (args: string[]) => string[];
    readonly env?: NodeJS.ProcessEnv;
    /** False for a baseline checkout from before ping had -l. */
    readonly preload?: boolean;
  }
  const variants: Variant[] = [
    { label: 'iputils', command: iputils },
    { label: 'packet-lab linux binding', command: (args) => ours(args), env: { ...process.env, PACKET_LAB_SOCKET: 'linux' } },
    { label: 'packet-lab raw-socket', command: (args) => ours(args), env: { ...process.env, PACKET_LAB_SOCKET: 'raw-socket' } },
  ];
  const baseline = process.env.PING_BENCH_BASELINE;
  if (baseline) variants.push({ label: `baseline ${baseline}`, command: (args) => ours(args, baseline.endsWith('/') ? baseline : `${baseline}/`), preload: false });

  const runVariant = (variant: Variant, args: string[], timeoutMs: number): PingRun => {
    const result = spawnSync('ip', ['netns', 'exec', ns, ...variant.command(args)], {
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
      env: variant.env ?? process.env,
    });
    if (result.status !== 0) throw new Error(`${variant.label}: ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return parseRun(result.stdout);
  };

  const floodArgs = ['-f', '-q', '-c', String(count), peer];
  const preload = Number(process.env.PING_BENCH_PRELOAD ?? 64);
  const preloadArgs = ['-f', '-q', '-l', String(preload), '-c', String(count), peer];
  const rttArgs = ['-c', '200', '-i', '0.01', peer];
  const floodRates = variants.map(() => [] as number[]);
  const preloadRates = variants.map(() => [] as number[]);
  const rtts = variants.map(() => [] as number[]);
  const lost = variants.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + round) % variants.length;
      const flood = runVariant(variants[i], floodArgs, 120_000);
      floodRates[i].push((flood.transmitted * 1000) / flood.timeMs);
      lost[i] += flood.transmitted - flood.received;
    }
    for (let k = 0; k < variants.length; k++) {
      const i = (k + round) % variants.length;
      if (variants[i].preload === false) continue;
      const flood = runVariant(variants[i], preloadArgs, 120_000);
      preloadRates[i].push((flood.transmitted * 1000) / flood.timeMs);
    }
    for (let k = 0; k < variants.length; k++) {
      const i = (k + round) % variants.length;
      rtts[i].push(median(replyTimes(runVariant(variants[i], rttArgs, 60_000).stdout)));
    }
  }
  console.log(`${familyLabel} to ${peer} (${rounds} paired rounds; medians; ratio = median of the per-round ratios to iputils)`);
  for (let i = 1; i < variants.length; i++) {
    const rateRatio = median(floodRates[i].map((rate, r) => rate / floodRates[0][r]));
    printRow(`${familyLabel} flood -f -c ${count} ${variants[i].label}`, formatRate(median(floodRates[i])), formatRate(median(floodRates[0])), rateRatio, 1.0);
    console.log(`  replies lost over all rounds: ${lost[i]} (iputils ${lost[0]})`);
  }
  for (let i = 1; i < variants.length; i++) {
    if (variants[i].preload === false) continue;
    const rateRatio = median(preloadRates[i].map((rate, r) => rate / preloadRates[0][r]));
    printRow(`${familyLabel} flood -f -l ${preload} ${variants[i].label}`, formatRate(median(preloadRates[i])), formatRate(median(preloadRates[0])), rateRatio, 1.0);
  }
  for (let i = 1; i < variants.length; i++) {
    // Lower is better for RTT: the ratio is ours over theirs, the target at most 1.0.
    const ratio = median(rtts[i].map((rtt, r) => rtt / rtts[0][r]));
    console.log(
      `${`${familyLabel} median RTT -i 0.01 ${variants[i].label}`.padEnd(52)} ${`${median(rtts[i]).toFixed(3)} ms`.padStart(12)}  vs ${`${median(rtts[0]).toFixed(3)} ms`.padStart(12)}  = ${ratio.toFixed(2)}x  (target <= 1.0x: ${ratio <= 1.0 ? 'met' : 'NOT met'})`,
    );
  }
}
