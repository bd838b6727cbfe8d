// Runs packet-lab/lab's sr1 and sr from inside a test namespace against a
// peer, and prints one JSON object per exchange for test/lab-netns.test.ts:
//   tsx test/helpers/lab-sr-client.ts PEER OPEN_PORT CLOSED_PORT ABSENT
// With IPv6 addresses the same exchanges go over IPv6 (ICMPv6 echo), plus a
// UDP datagram to the closed port and, last, a send() of an echo request
// with a wrong ICMPv6 checksum (id 0x6bad) for the test's capture.
// It never calls closeSockets(): the process must still end on its own once
// the last call returns (the pooled sockets keep no handle active when idle).
import { ip, ipv6, type LabPacket, send, sr, sr1 } from '../../src/lab.ts';

const [peer, openText, closedText, absent] = process.argv.slice(2);
const openPort = Number(openText);
const closedPort = Number(closedText);
const family6 = peer.includes(':');

/** What the test compares: the layers of an answer, and where it came from. */
function described(packet: LabPacket | undefined): unknown {
  if (!packet) return null;
  if (family6) return { src: packet.layer('ipv6')?.src, dst: packet.layer('ipv6')?.dst, icmp6: packet.layer('icmp6'), tcp: packet.layer('tcp'), summary: packet.summary() };
  return { src: packet.layer('ip')?.src, icmp: packet.layer('icmp'), tcp: packet.layer('tcp'), summary: packet.summary() };
}

const print = (name: string, value: unknown) => process.stdout.write(`${JSON.stringify({ name, value })}\n`);

if (family6) {
  const to = (dst: string) => ipv6({ dst });
  print('echo', described(await sr1(to(peer).icmp6({ id: 0x5151, seq: 1 }).payload('lab'), { timeout: 2000 })));
  print('syn-open', described(await sr1(to(peer).tcp({ sport: 41001, dport: openPort, flags: 'S', seq: 5000 }), { timeout: 2000 })));
  print('syn-closed', described(await sr1(to(peer).tcp({ sport: 41002, dport: closedPort, flags: 'S', seq: 6000 }), { timeout: 2000 })));
  print('udp-closed', described(await sr1(to(peer).udp({ sport: 41006, dport: closedPort }).payload('x'), { timeout: 2000 })));
  print('absent', described(await sr1(to(absent).icmp6({ id: 0x5153, seq: 1 }), { timeout: 1000 })));
  const result = await sr(
    [
      to(peer).icmp6({ id: 0x5152, seq: 1 }),
      to(absent).icmp6({ id: 0x5152, seq: 2 }),
      to(peer).tcp({ sport: 41003, dport: openPort, flags: 'S', seq: 7000 }),
      to(peer).udp({ sport: 41004, dport: closedPort }).payload('x'),
      to(peer).tcp({ sport: 41005, dport: closedPort, flags: 'S', seq: 8000 }),
    ],
    { timeout: 1000 },
  );
  print('sr', {
    answered: result.answered.map(([sent, answer]) => ({ sent: sent.summary(), answer: described(answer) })),
    unanswered: result.unanswered.map((sent) => sent.layer('ipv6')?.dst),
  });
  const wrong = to(peer).icmp6({ id: 0x6bad, seq: 1, chksum: 0xdead }).payload('wrong');
  print('wrong-checksum-answer', described(await sr1(wrong, { timeout: 500 })));
  print('wrong-checksum-sent', await send(to(peer).icmp6({ id: 0x6bad, seq: 2, chksum: 0xdead }).payload('wrong')));
} else {
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
}
