// ping against iputils ping in the same run, on the same veth pair between two
// namespaces this bench creates and removes: flood rate, median RTT, start-up.
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

const ours = (args: string[]) => [process.execPath, '--import', 'tsx', PING_TS, ...args];
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
  const pair = createPair();
  try {
    const peer = pair.addressB;
    const ns = pair.a.name;
    // Warm the ARP cache so neither tool pays for neighbour resolution.
    runIn(ns, iputils(['-c', '1', peer]), 10_000);

    const count = Number(process.env.PING_BENCH_FLOOD_COUNT ?? 100_000);
    const floodArgs = ['-f', '-q', '-c', String(count), peer];
    const theirsFlood = runIn(ns, iputils(floodArgs), 120_000);
    const oursFlood = runIn(ns, ours(floodArgs), 120_000);
    const oursRate = (oursFlood.transmitted * 1000) / oursFlood.timeMs;
    const theirRate = (theirsFlood.transmitted * 1000) / theirsFlood.timeMs;
    printRow(`flood -f -c ${count}: packets/s`, formatRate(oursRate), formatRate(theirRate), oursRate / theirRate, 0.9);
    console.log(
      `  replies: packet-lab ${oursFlood.received}/${oursFlood.transmitted}, iputils ${theirsFlood.received}/${theirsFlood.transmitted}` +
        (oursFlood.received === oursFlood.transmitted ? ' (none lost)' : ' (LOST REPLIES)'),
    );

    const rttArgs = ['-c', '200', '-i', '0.01', peer];
    const theirsRtt = median(replyTimes(runIn(ns, iputils(rttArgs), 60_000).stdout));
    const oursRtt = median(replyTimes(runIn(ns, ours(rttArgs), 60_000).stdout));
    // Lower is better for RTT: the ratio is ours over theirs, the target at most 1.5.
    const ratio = oursRtt / theirsRtt;
    console.log(
      `${'median RTT -c 200 -i 0.01'.padEnd(44)} ${`${oursRtt.toFixed(3)} ms`.padStart(12)}  vs ${`${theirsRtt.toFixed(3)} ms`.padStart(12)}  = ${ratio.toFixed(2)}x  (target <= 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'})`,
    );
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
