// The socket path alone, without the ping engine: the same echo loops over
// the Linux binding (kernel times) and raw-socket (JavaScript times), beside
// iputils ping, on one veth pair between two namespaces this bench creates and
// removes. Runs are paired and interleaved (the order rotates every round);
// figures are medians over rounds and ratios are medians of the per-round
// ratios, so drift on the shared 2-core machine hits all three alike.
//
//   flood   a closed loop like ping -f: the next request goes out when the
//           reply to the last one arrives, or after 10 ms without one
//   rtt     one request every 10 ms (ping -i 0.01); RTT from each binding's
//           own send and receive times
//
// Our loops first run 5000 untimed packets (1000, 1 ms apart, in rtt mode) so the
// JIT has compiled them: this measures the socket path, not start-up (which
// bench/ping.ts measures). iputils needs no warm-up; its `time` excludes its
// own start-up too.
//
// The loops run in a child started inside namespace A (`--child`), since a
// raw socket belongs to the namespace of the process that opens it.
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { linuxBindingUnavailableReason } from '../src/net/linux-raw-socket.ts';
import { openRawSocket, type PacketSocket, type SocketBinding } from '../src/net/packet-socket.ts';
import { emitIcmpEchoInto, IcmpType } from '../src/wire/icmp.ts';
import { createPair, REPO_ROOT, teardownAll } from '../test/helpers/netns.ts';
import { formatRate } from './harness.ts';

const SELF = `${REPO_ROOT}bench/socket-path.ts`;
const IPPROTO_ICMP = 1;
const PAYLOAD = new Uint8Array(56).map((_, i) => i); // ping's default size
const IDLE_RESEND_MS = 10; // as ping -f: send again after 10 ms without a reply
const WARM_UP_PACKETS = 5000;

interface LoopResult {
  readonly sent: number;
  readonly received: number;
  readonly elapsedMs: number;
  readonly medianRttMs: number;
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---------------------------------------------------------------------------
// Child: the loops themselves, run inside namespace A.

function echoLoop(socket: PacketSocket, peer: string, count: number, intervalMs: number, identifier: number): Promise<LoopResult> {
  const request = new Uint8Array(8 + PAYLOAD.length);
  const sentAt = new Float64Array(count);
  const rtts: number[] = [];
  let sent = 0;
  let received = 0;
  let lastSendMs = 0;
  return new Promise((resolve) => {
    const start = performance.now();
    const finish = () => {
      clearInterval(ticker);
      clearTimeout(deadline);
      clearTimeout(grace);
      resolve({ sent, received, elapsedMs: performance.now() - start, medianRttMs: median(rtts) });
    };
    let grace: NodeJS.Timeout | undefined;
    const sendNext = () => {
      if (sent === count) {
        // Timed mode: give the last replies a second; flood: the last reply is in or lost.
        if (intervalMs === 0) finish();
        else grace ??= setTimeout(finish, 1000);
        return;
      }
      emitIcmpEchoInto(request, 0, { identifier, sequence: sent & 0xffff, payload: PAYLOAD });
      socket.send(request, peer);
      sentAt[sent++] = socket.lastSendTime;
      lastSendMs = performance.now();
      // Replies produced within sendto() itself are read now, not a loop turn later.
      socket.receivePending();
    };
    socket.onPacket((packet, _source, receivedAt) => {
      const icmp = (packet[0] & 0x0f) * 4;
      if (packet[icmp] !== IcmpType.EchoReply || packet.readUInt16BE(icmp + 4) !== identifier) return;
      const sequence = packet.readUInt16BE(icmp + 6);
      const index = sent - 1 - ((sent - 1 - sequence) & 0xffff);
      if (index < 0) return;
      received++;
      rtts.push(receivedAt - sentAt[index]);
      // Flood: the reply to the last request releases the next one.
      if (intervalMs === 0 && index === sent - 1) sendNext();
      else if (received === count) finish();
    });
    const ticker = setInterval(
      () => {
        if (intervalMs > 0 || performance.now() - lastSendMs >= IDLE_RESEND_MS) sendNext();
      },
      intervalMs || IDLE_RESEND_MS,
    );
    // Bounded: a lost reply or a stuck loop ends the run, reported as fewer replies.
    const deadline = setTimeout(finish, 60_000 + count * Math.max(intervalMs, 1));
    if (intervalMs === 0) sendNext();
  });
}

async function child(args: string[]): Promise<void> {
  const [binding, mode, peer, countText] = args;
  const socket = openRawSocket({ protocol: IPPROTO_ICMP, binding: binding as SocketBinding, socketReceiveBuffer: 4 << 20 });
  try {
    const intervalMs = mode === 'flood' ? 0 : 10;
    // Untimed warm-up, so the JIT has compiled the loop: the socket path is measured, not start-up.
    const warmUp = intervalMs === 0 ? WARM_UP_PACKETS : WARM_UP_PACKETS / 5;
    await echoLoop(socket, peer, warmUp, intervalMs === 0 ? 0 : 1, (process.pid + 1) & 0xffff);
    const result = await echoLoop(socket, peer, Number(countText), intervalMs, process.pid & 0xffff);
    console.log(JSON.stringify({ ...result, rttSource: socket.rttSource }));
  } finally {
    socket.close();
  }
}

// ---------------------------------------------------------------------------
// Parent: namespaces, interleaved runs, medians.

function runIn(namespace: string, command: string[], timeoutMs: number): string {
  const result = spawnSync('ip', ['netns', 'exec', namespace, ...command], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`${command.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

type Contender = SocketBinding | 'iputils';

function runOnce(contender: Contender, ns: string, peer: string, mode: 'flood' | 'rtt', count: number): LoopResult {
  if (contender === 'iputils') {
    const args = mode === 'flood' ? ['-f', '-q', '-c', String(count), peer] : ['-c', String(count), '-i', '0.01', peer];
    const out = runIn(ns, ['ping', ...args], 120_000);
    const stats = /(\d+) packets transmitted, (\d+) received.*time (\d+)ms/.exec(out);
    if (!stats) throw new Error(`no statistics in ping output:\n${out.slice(-500)}`);
    const rtts = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
    return { sent: Number(stats[1]), received: Number(stats[2]), elapsedMs: Number(stats[3]), medianRttMs: median(rtts) };
  }
  const out = runIn(ns, [process.execPath, '--import', 'tsx', SELF, '--child', contender, mode, peer, String(count)], 180_000);
  return JSON.parse(out.trim().split('\n').pop()!) as LoopResult;
}

export async function benchSocketPath(): Promise<void> {
  console.log('\n# socket path: Linux binding vs raw-socket vs iputils ping, one veth pair (paired, interleaved runs, medians)');
  if (process.getuid?.() !== 0) {
    console.log('needs root (namespaces and raw sockets): skipped');
    return;
  }
  const contenders: Contender[] = ['iputils', 'linux', 'raw-socket'];
  const unavailable = linuxBindingUnavailableReason();
  if (unavailable) {
    console.log(`${unavailable}: comparing raw-socket and iputils only`);
    contenders.splice(1, 1);
  }
  const rounds = Number(process.env.SOCKET_BENCH_ROUNDS ?? 5);
  const floodCount = Number(process.env.SOCKET_BENCH_FLOOD_COUNT ?? 100_000);
  const rttCount = Number(process.env.SOCKET_BENCH_RTT_COUNT ?? 200);
  const pair = createPair();
  try {
    const ns = pair.a.name;
    const peer = pair.addressB;
    runIn(ns, ['ping', '-c', '1', peer], 10_000); // warm ARP for everyone
    const rates = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
    const rtts = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
    const lost = new Map<Contender, number>(contenders.map((c) => [c, 0]));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round so no contender always runs first (or last).
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
      for (const contender of order) {
        const flood = runOnce(contender, ns, peer, 'flood', floodCount);
        rates.get(contender)!.push((flood.sent * 1000) / flood.elapsedMs);
        lost.set(contender, lost.get(contender)! + flood.sent - flood.received);
      }
      for (const contender of order) rtts.get(contender)!.push(runOnce(contender, ns, peer, 'rtt', rttCount).medianRttMs);
    }
    // The ratio is the median of the per-round ratios: each round's runs are
    // neighbours in time, so the machine's load drifts out of the ratio.
    const pairedRatio = (figures: Map<Contender, number[]>, contender: Contender) =>
      median(figures.get(contender)!.map((value, round) => value / figures.get('iputils')![round]));
    console.log(`${'flood closed loop, packets/s'.padEnd(36)} ${'median'.padStart(12)}  ${'vs iputils'.padStart(10)}  lost`);
    for (const contender of contenders) {
      const rate = median(rates.get(contender)!);
      const ratio = pairedRatio(rates, contender);
      console.log(`  ${contender.padEnd(34)} ${formatRate(rate).padStart(12)}  ${`${ratio.toFixed(2)}x`.padStart(10)}  ${lost.get(contender)}`);
    }
    console.log(`${`median RTT at 10 ms intervals, ${rttCount} x ${rounds}`.padEnd(36)} ${'median'.padStart(12)}  ${'vs iputils'.padStart(10)}`);
    for (const contender of contenders) {
      const rtt = median(rtts.get(contender)!);
      const ratio = pairedRatio(rtts, contender);
      console.log(`  ${contender.padEnd(34)} ${`${rtt.toFixed(3)} ms`.padStart(12)}  ${`${ratio.toFixed(2)}x`.padStart(10)}`);
    }
    console.log(`  (${rounds} rounds of ${floodCount} flood packets and ${rttCount} timed ones per contender; per-round rates: ${
      contenders.map((c) => `${c} ${rates.get(c)!.map((r) => (r / 1000).toFixed(1)).join('/')}k`).join(', ')})`);
  } finally {
    await teardownAll();
  }
}

if (process.argv[2] === '--child' && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await child(process.argv.slice(3));
}
