// Run inside the client namespace by bench/traceroute.ts: ROUNDS pairs of
// traceroute(8) (spawned) and our engine called in this process, interleaved,
// so the probing is timed without node's start-up. Prints one JSON line:
// { reference: ms[], ours: ms[] }. The binding is PACKET_LAB_SOCKET's.
import { spawnSync } from 'node:child_process';
import { runTraceroute } from '../src/engine/traceroute.ts';

const [destination, roundsText] = process.argv.slice(2);
const reference: number[] = [];
const ours: number[] = [];
for (let round = 0; round < Number(roundsText); round++) {
  const runReference = () => {
    const start = performance.now();
    const result = spawnSync('traceroute', ['-n', destination], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`traceroute(8) exited ${result.status}: ${result.stderr}`);
    reference.push(performance.now() - start);
  };
  const runOurs = async () => {
    const start = performance.now();
    const summary = await runTraceroute({ destination });
    if (!summary.reached) throw new Error('our traceroute did not reach the destination');
    ours.push(performance.now() - start);
  };
  if (round % 2 === 0) {
    runReference();
    await runOurs();
  } else {
    await runOurs();
    runReference();
  }
}
console.log(JSON.stringify({ reference, ours }));
