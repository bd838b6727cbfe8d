// Child for test/linux-raw-socket.test.ts: the Linux binding's close paths under
// the conditions of the tcp-get crash. Each cycle opens an ICMP socket, pings
// 127.0.0.1 and closes the socket from inside its readable callback (twice),
// as the TCP session does on a reset; every few cycles a socket is closed and
// dropped without traffic, and gc() runs. The last sockets are left closed but
// uncollected, and the process ends by letting its loop run dry, so the
// isolate's teardown collects them. Run with --expose-gc,
// --stress-incremental-marking and --no-incremental-marking-task (a marking
// cycle is then under way at exit). Prints 'done <cycles>'.
import { LinuxRawSocket } from '../../src/net/linux-raw-socket.ts';
import { buildIcmpEcho, IcmpType } from '../../src/wire/icmp.ts';

const CYCLES = Number(process.argv[2] ?? 50);
const gc = (globalThis as { gc?: () => void }).gc;
const kept: LinuxRawSocket[] = [];

function cycle(n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = LinuxRawSocket.open({ protocol: 1, batchSize: 1 + (n % 4) });
    const id = (process.pid * 13 + n) & 0xffff;
    socket.onError(reject);
    socket.onPacket((packet) => {
      const icmp = packet.subarray((packet[0] & 0x0f) * 4);
      if (icmp[0] !== IcmpType.EchoReply || icmp.readUInt16BE(4) !== id) return;
      socket.close(); // inside the poll callback
      socket.close(); // and again: idempotent
      if (!socket.closed) reject(new Error('close() left the socket open'));
      resolve();
    });
    socket.send(buildIcmpEcho({ identifier: id, sequence: n }), '127.0.0.1');
  });
}

for (let n = 0; n < CYCLES; n++) {
  await cycle(n);
  if (n % 5 === 0) {
    const idle = LinuxRawSocket.open({ protocol: 1 });
    idle.close(); // before its first readiness event
    gc?.();
  }
}
for (let i = 0; i < 4; i++) {
  const socket = LinuxRawSocket.open({ protocol: 1 });
  socket.close();
  kept.push(socket);
}
kept.length = 0; // closed, unreferenced, still uncollected at teardown
console.log(`done ${CYCLES}`);
