// traceroute against traceroute(8) in the same run, across a chain of seven
// routers between namespaces this bench creates and removes: six silent
// routers first (each drops its Time Exceeded), and a chain where all answer.
// Wall time of the whole command, both our socket bindings beside
// traceroute(8), paired and interleaved rounds; every run must print the same
// hops as traceroute(8) or the bench stops. Our start-up (node + tsx, most of
// a second on this machine) is in that figure; the "in-process" rows time our
// engine in a process already running (bench/traceroute-in-process.ts) beside
// traceroute(8) spawned from it, pair by pair: what the probing itself costs.
import { spawnSync } from 'node:child_process';
import { REPO_ROOT, teardownAll, tsxCommand } from '../test/helpers/netns.ts';
import { createSilentHopChain } from '../test/helpers/silent-hop-chain.ts';
import { pairedWallTimes, printTimeRows, type TimedVariant } from './harness.ts';

const skeleton = (stdout: string) => stdout.trimEnd().replace(/\d+\.\d{3} ms/g, 'T ms');

export async function benchTraceroute(): Promise<void> {
  console.log('\n# traceroute: packet-lab vs traceroute(8) across 7 routers between namespaces (same run)');
  if (process.getuid?.() !== 0) {
    console.log('needs root (namespaces and raw sockets): skipped');
    return;
  }
  const rounds = Math.max(1, Number(process.env.TRACEROUTE_BENCH_ROUNDS ?? 5));
  for (const [title, silent] of [
    ['6 silent hops', 6],
    ['reachable host, all hops answer', 0],
  ] as const) {
    const chain = createSilentHopChain({ routers: 7, silent });
    try {
      const ns = ['ip', 'netns', 'exec', chain.client.name];
      const args = ['-n', chain.serverAddress];
      const ours = (binding: string): TimedVariant => ({
        label: `packet-lab ${binding}`,
        command: [...ns, ...tsxCommand(`${REPO_ROOT}src/traceroute.ts`, args)],
        env: { ...process.env, PACKET_LAB_SOCKET: binding },
      });
      const variants: TimedVariant[] = [{ label: 'traceroute(8)', command: [...ns, 'traceroute', ...args] }, ours('linux'), ours('raw-socket')];
      let expected: string | undefined;
      const times = pairedWallTimes(variants, rounds, (label, stdout) => {
        if (!stdout.includes(` 8  ${chain.serverAddress}`)) throw new Error(`${label} did not reach ${chain.serverAddress}:\n${stdout}`);
        expected ??= skeleton(stdout);
        if (skeleton(stdout) !== expected) throw new Error(`${label} printed other hops:\n${stdout}\nthan:\n${expected}`);
      });
      console.log(`${title} (${rounds} paired rounds; medians; ratio = median of the per-round ratios to traceroute(8))`);
      printTimeRows(`traceroute ${title}:`, variants, times, 1.2);
      // The probing alone: our engine timed in a process already started, beside traceroute(8) spawned from it.
      const inProcess = (['linux', 'raw-socket'] as const).map((binding) => {
        const result = spawnSync(ns[0], [...ns.slice(1), ...tsxCommand(`${REPO_ROOT}bench/traceroute-in-process.ts`, [chain.serverAddress, String(rounds)])], {
          encoding: 'utf8',
          env: { ...process.env, PACKET_LAB_SOCKET: binding },
          timeout: 300_000,
        });
        if (result.status !== 0) throw new Error(`in-process traceroute (${binding}) exited ${result.status}: ${result.stderr}`);
        return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { reference: number[]; ours: number[] };
      });
      (['linux', 'raw-socket'] as const).forEach((binding, k) => {
        const { reference, ours: engine } = inProcess[k];
        printTimeRows(
          `traceroute ${title}, in-process (no start-up):`,
          [
            { label: 'traceroute(8)', command: [] },
            { label: `packet-lab ${binding}`, command: [] },
          ],
          [reference, engine],
          1.2,
        );
      });
    } finally {
      await teardownAll();
    }
  }
}
