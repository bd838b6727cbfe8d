// A hand-made TCP connection (src/engine/tcp-session.ts) to an echo server:
//   tsx test/helpers/tcp-echo-client.ts ADDRESS PORT BYTES [MSS]
// Writes BYTES pseudo-random bytes in uneven pieces, reads the echo back,
// closes first (FIN) and prints one JSON line: hashes of what went and came
// back, the session result and statistics. The kernel's RSTs for the
// connection are dropped by a firewall rule for the duration (firewall.ts).
import { createHash, randomBytes } from 'node:crypto';
import { TcpSession } from '../../src/engine/tcp-session.ts';
import { KernelRstBlock, RAW_SOCKET_MARK } from '../../src/net/firewall.ts';

const [destination, portText, bytesText, mssText] = process.argv.slice(2);
const total = Number(bytesText);
const data = randomBytes(total);
let block: KernelRstBlock | undefined;
const received: Buffer[] = [];
let receivedBytes = 0;
const events: string[] = [];

try {
  const session = await TcpSession.connect({
    destination,
    destinationPort: Number(portText),
    mss: mssText === undefined ? undefined : Number(mssText),
    socketMark: RAW_SOCKET_MARK,
    onSocketOpen: (local) => {
      block = KernelRstBlock.install({ ...local });
    },
    onEvent: (event) => {
      if (event.type === 'state') events.push(`${event.from}->${event.to}`);
    },
  });
  const done = new Promise<void>((resolve) => {
    session.onData = (chunk) => {
      received.push(Buffer.from(chunk));
      receivedBytes += chunk.length;
      if (receivedBytes >= total) resolve();
    };
    session.onPeerEnd = () => resolve();
  });
  // Uneven writes: segment boundaries must not depend on them.
  for (let offset = 0, piece = 1; offset < total; offset += piece, piece = (piece * 7 + 3) % 65536 || 1) {
    session.write(data.subarray(offset, Math.min(total, offset + piece)));
  }
  await done;
  session.end();
  const result = await session.closed;
  const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  process.stdout.write(
    `${JSON.stringify({
      sent: total,
      received: receivedBytes,
      sentSha256: hash(data),
      receivedSha256: hash(Buffer.concat(received)),
      reason: result.reason,
      finalState: result.finalState,
      states: events,
      stats: result.stats,
      peerMss: session.peer.mss,
      firewall: block?.backend,
    })}\n`,
  );
} finally {
  block?.remove();
}
