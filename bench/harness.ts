// Tiny benchmark harness: run a function in batches until a time budget is
// spent, several rounds, and keep the best round (least disturbed by the
// other core's noise). Figures are always printed beside a reference
// measured in the same run, as ratios.
import { spawnSync } from 'node:child_process';

export interface Rate {
  /** Operations per second in the best round. */
  readonly perSecond: number;
}

export function measureRate(fn: () => void, { batch = 1000, roundMs = 300, rounds = 5 } = {}): Rate {
  // Warm-up lets the JIT settle before anything is timed.
  const warmEnd = performance.now() + roundMs;
  while (performance.now() < warmEnd) for (let i = 0; i < batch; i++) fn();
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let ops = 0;
    const start = performance.now();
    let now = start;
    while (now - start < roundMs) {
      for (let i = 0; i < batch; i++) fn();
      ops += batch;
      now = performance.now();
    }
    best = Math.max(best, (ops * 1000) / (now - start));
  }
  return { perSecond: best };
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}

/** One result row: our figure, the reference's, their ratio and the target. */
export function printRow(label: string, ours: string, reference: string, ratio: number, target?: number): void {
  const verdict = target === undefined ? '' : ratio >= target ? `  (target >= ${target}x: met)` : `  (target >= ${target}x: NOT met)`;
  console.log(`${label.padEnd(44)} ${ours.padStart(12)}  vs ${reference.padStart(12)}  = ${ratio.toFixed(2)}x${verdict}`);
}

export function printTarget(label: string, ours: string, achieved: boolean, target: string): void {
  console.log(`${label.padEnd(44)} ${ours.padStart(12)}  (target ${target}: ${achieved ? 'met' : 'NOT met'})`);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A command timed wall-clock against a reference, the commands of a round run back to back in rotated order. */
export interface TimedVariant {
  readonly label: string;
  readonly command: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs every variant once per round (order rotated each round) and returns
 * each one's wall times in ms; variant 0 is the reference. `check` sees each
 * run's stdout and throws when the run is not what was measured for.
 */
export function pairedWallTimes(variants: readonly TimedVariant[], rounds: number, check: (label: string, stdout: string) => void): number[][] {
  const times = variants.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + round) % variants.length;
      const variant = variants[i];
      const start = performance.now();
      const result = spawnSync(variant.command[0], variant.command.slice(1), { encoding: 'utf8', timeout: 120_000, env: variant.env ?? process.env, maxBuffer: 64 << 20 });
      times[i].push(performance.now() - start);
      if (result.error) throw result.error;
      check(variant.label, result.stdout);
    }
  }
  return times;
}

/** Lower-is-better rows: each variant's median time beside the reference's, the median of the per-round ratios, the target. */
export function printTimeRows(prefix: string, variants: readonly TimedVariant[], times: number[][], target: number): void {
  for (let i = 1; i < variants.length; i++) {
    const ratio = median(times[i].map((t, r) => t / times[0][r]));
    const verdict = ratio <= target ? 'met' : 'NOT met';
    const time = (ms: number) => (ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(3)} s`);
    console.log(
      `${`${prefix} ${variants[i].label}`.padEnd(56)} ${time(median(times[i])).padStart(10)}  vs ${time(median(times[0])).padStart(10)} ${variants[0].label}  = ${ratio.toFixed(2)}x  (target <= ${target}x: ${verdict})`,
    );
  }
}
