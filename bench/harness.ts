// Tiny benchmark harness: run a function in batches until a time budget is
// spent, several rounds, and keep the best round (least disturbed by the
// other core's noise). Figures are always printed beside a reference
// measured in the same run, as ratios.

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
