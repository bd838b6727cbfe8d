// tcp-probe against nmap -sS (its default timing, -T3) on 1,000 ports, open,
// closed and filtered (test/helpers/port-mix.ts), on a veth pair between
// namespaces this bench creates and removes. Wall time of the whole command,
// both our socket bindings beside nmap, paired and interleaved rounds; every
// run must give the mix's verdicts or the bench stops. Our start-up (node +
// tsx) is in the figure; the "start-up aside" rows take it off.
import { createPair, REPO_ROOT, teardownAll, tsxCommand } from '../test/helpers/netns.ts';
import { expectedMixVerdicts, MIX_PORTS, nmapXmlVerdicts, startPortMix } from '../test/helpers/port-mix.ts';
import { median, pairedWallTimes, printTimeRows, type TimedVariant } from './harness.ts';

export async function benchTcpProbe(): Promise<void> {
  console.log('\n# tcp-probe: packet-lab vs nmap -sS on 1,000 ports (open, closed, filtered) on one veth pair (same run)');
  if (process.getuid?.() !== 0) {
    console.log('needs root (namespaces and raw sockets): skipped');
    return;
  }
  const rounds = Math.max(1, Number(process.env.TCP_PROBE_BENCH_ROUNDS ?? 5));
  const pair = createPair({ ipv6: true });
  try {
    for (const [family, target] of [
      [4, pair.addressB],
      [6, pair.address6B],
    ] as const) {
      await startPortMix(pair.b, target);
      const ns = ['ip', 'netns', 'exec', pair.a.name];
      const range = `${MIX_PORTS.first}-${MIX_PORTS.last}`;
      const ours = (binding: string): TimedVariant => ({
        label: `packet-lab ${binding}`,
        command: [...ns, ...tsxCommand(`${REPO_ROOT}src/tcp-probe.ts`, ['-p', range, '--json', target])],
        env: { ...process.env, PACKET_LAB_SOCKET: binding },
      });
      const nmap: TimedVariant = { label: 'nmap -sS', command: [...ns, 'nmap', ...(family === 6 ? ['-6'] : []), '-sS', '-n', '-Pn', '-p', range, '-oX', '-', target] };
      const expected = JSON.stringify([...expectedMixVerdicts()]);
      const times = pairedWallTimes([nmap, ours('linux'), ours('raw-socket')], rounds, (label, stdout) => {
        const verdicts =
          label === nmap.label
            ? nmapXmlVerdicts(stdout)
            : new Map(
                stdout
                  .trimEnd()
                  .split('\n')
                  .map((line) => JSON.parse(line))
                  .filter((event) => event.type === 'port')
                  .map((event) => [event.port, event.state]),
              );
        if (JSON.stringify([...verdicts].sort((a, b) => a[0] - b[0])) !== expected) throw new Error(`${label}: verdicts differ from the mix's`);
      });
      const variants = [nmap, ours('linux'), ours('raw-socket')];
      console.log(`IPv${family} to ${target} (${rounds} paired rounds; medians; ratio = median of the per-round ratios to nmap)`);
      printTimeRows(`tcp-probe IPv${family} 1,000 ports:`, variants, times, 1.0);
      const startup = median(pairedWallTimes([{ label: 'start-up', command: tsxCommand(`${REPO_ROOT}src/tcp-probe.ts`, ['-h']) }], rounds, () => {})[0]);
      const aside = times.map((row, i) => (i === 0 ? row : row.map((t) => Math.max(0, t - startup))));
      printTimeRows(`tcp-probe IPv${family}, start-up (${(startup / 1000).toFixed(2)} s) aside:`, variants, aside, 1.0);
    }
  } finally {
    await teardownAll();
  }
}
