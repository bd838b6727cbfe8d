// Runs packet-lab/lab's sr1 and sr from inside a test namespace against a
// peer, and prints one JSON object per exchange for test/lab-netns.test.ts:
//   tsx test/helpers/lab-sr-client.ts PEER OPEN_PORT CLOSED_PORT ABSENT
// It never calls closeSockets(): the process must still end on its own once
// the last call returns (the pooled sockets keep no handle active when idle).
import { ip, type LabPacket, sr, sr1 } from '../../src/lab.ts';

const [peer, openText, closedText, absent] = process.argv.slice(2);
const openPort = Number(openText);
const closedPort = Number(closedText);

/** What the test compares: the layers of an answer, and where it came from. */
function described(packet: LabPacket | undefined): unknown {
  if (!packet) return null;
  return { src: packet.layer('ip')?.src, icmp: packet.layer('icmp'), tcp: packet.layer('tcp'), summary: packet.summary() };
}

const print = (name: string, value: unknown) => process.stdout.write(`${JSON.stringify({ name, value })}\n`);

print('echo', described(await sr1(ip({ dst: peer }).icmp({ id: 0x5151, seq: 1 }).payload('lab'), { timeout: 2000 })));
print('syn-open', described(await sr1(ip({ dst: peer }).tcp({ sport: 41001, dport: openPort, flags: 'S', seq: 5000 }), { timeout: 2000 })));
print('syn-closed', described(await sr1(ip({ dst: peer }).tcp({ sport: 41002, dport: closedPort, flags: 'S', seq: 6000 }), { timeout: 2000 })));
const result = await sr(
  [
    ip({ dst: peer }).icmp({ id: 0x5152, seq: 1 }),
    ip({ dst: absent }).icmp({ id: 0x5152, seq: 2 }),
    ip({ dst: peer }).tcp({ sport: 41003, dport: openPort, flags: 'S', seq: 7000 }),
    ip({ dst: peer }).udp({ sport: 41004, dport: closedPort }).payload('x'),
    ip({ dst: peer }).tcp({ sport: 41005, dport: closedPort, flags: 'S', seq: 8000 }),
  ],
  { timeout: 1000 },
);
print('sr', {
  answered: result.answered.map(([sent, answer]) => ({ sent: sent.summary(), answer: described(answer) })),
  unanswered: result.unanswered.map((sent) => sent.layer('ip')?.dst),
});
