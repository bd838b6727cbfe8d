// The API's sr1 round trip against the ping engine's RTT to 127.0.0.1 (or to
// SR1_BENCH_HOST, e.g. a veth peer when run inside a namespace), in the same run and paired (one of each per round, alternating which goes first),
// medians of each. Two figures:
// - RTT, send to answer on the socket's clocks: sr1's reply.rttMs beside the
//   RTT the ping engine reports. Both come from the same socket binding (with
//   the Linux binding: the C-side time before sendto() to the kernel's
//   SO_TIMESTAMPNS receive stamp; with raw-socket: JS clocks around the calls).
// - the call as a script sees it, from sr1() to its answer (source lookup and
//   build included) beside runPing -c 1 timed the same way. sr1 keeps its raw
//   sockets between calls (src/lab/socket-pool.ts), so after the first call
//   it opens none; runPing opens and closes one per run.
import { runPing } from '../src/engine/ping.ts';
import { ip, sr1 } from '../src/lab.ts';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ms = (value: number) => `${value.toFixed(3)} ms`.padStart(12);

export async function benchSr1(): Promise<void> {
  const host = process.env.SR1_BENCH_HOST ?? '127.0.0.1';
  console.log(`\n# sr1: the API's round trip vs the ping engine's RTT to ${host} (paired, same run)`);
  if (process.getuid?.() !== 0) {
    console.log('needs root (raw sockets): skipped');
    return;
  }
  const rounds = Number(process.env.SR1_BENCH_ROUNDS ?? 200);
  const payload = new Uint8Array(56); // ping's default data size, so both send 84-byte datagrams
  const sr1Calls: number[] = [];
  const sr1Rtts: number[] = [];
  const pingCalls: number[] = [];
  const pingRtts: number[] = [];
  const timeSr1 = async (round: number) => {
    const start = performance.now();
    const reply = await sr1(ip({ dst: host }).icmp({ id: 0x5e01, seq: round & 0xffff }).payload(payload), { timeout: 1000 });
    if (reply) {
      sr1Calls.push(performance.now() - start);
      sr1Rtts.push(reply.rttMs!);
    }
  };
  const timePing = async () => {
    const start = performance.now();
    let rtt: number | undefined;
    await runPing({ destination: host, count: 1, timeoutMs: 1000, onEvent: (e) => { if (e.type === 'reply') rtt = e.rttMs; } });
    if (rtt !== undefined) {
      pingCalls.push(performance.now() - start);
      pingRtts.push(rtt);
    }
  };
  for (let round = 0; round < 20; round++) await (round % 2 ? timeSr1(round) : timePing()); // warm-up, discarded
  sr1Calls.length = sr1Rtts.length = pingCalls.length = pingRtts.length = 0;
  for (let round = 0; round < rounds; round++) {
    if (round % 2) { await timeSr1(round); await timePing(); } else { await timePing(); await timeSr1(round); }
  }
  const sr1Median = median(sr1Calls);
  const ratio = median(sr1Rtts) / median(pingRtts);
  console.log(`${'sr1 RTT, send -> answer (median)'.padEnd(44)} ${ms(median(sr1Rtts))}  vs ping engine RTT ${ms(median(pingRtts))}  = ${ratio.toFixed(2)}x  (target <= 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'}; same socket clocks)`);
  console.log(`${'sr1 call -> answer (median)'.padEnd(44)} ${ms(sr1Median)}  vs runPing -c 1 call    ${ms(median(pingCalls))}  = ${(sr1Median / median(pingCalls)).toFixed(2)}x  (${sr1Calls.length}/${rounds} answered)`);
}
