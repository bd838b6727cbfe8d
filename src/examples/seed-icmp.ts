// The seed blog post's Python ICMP example, rewritten with packet-lab:
// struct.pack + an RFC 1071 checksum + sendto() on a raw socket.
//
//   npx tsx src/examples/seed-icmp.ts          build both packets and show their bytes
//   sudo npx tsx src/examples/seed-icmp.ts --send 127.0.0.1
//                                              ...and send them, printing the replies
import { randomInt } from 'node:crypto';
import { internetChecksum, pack, parseIcmp, parseIpv4 } from '../index.ts';
import { IPPROTO_ICMP, RawSocket } from '../net/raw-socket.ts';

/** The seed's icmp(): type 8, code 0, checksum, identifier, sequence 1. */
export function seedEchoRequest(id: number): Uint8Array {
  const withZeroChecksum = pack('!BBHHH', 8, 0, 0, id, 1);
  // internetChecksum returns the value in network byte order already: no htons().
  return pack('!BBHHH', 8, 0, internetChecksum(withZeroChecksum), id, 1);
}

/**
 * The seed's "Hello world!" packet: the text packed as two 'Q' fields. A 'Q'
 * is always 8 bytes, so 0x48656c6c6f ("Hello", 5 bytes) gets 3 zero bytes in
 * front and 0x20776f726c6421 (" world!", 7 bytes) gets 1.
 */
export function seedHelloAsQuads(id: number): Uint8Array {
  const fields = (checksum: number) => pack('!BBHHHQQ', 8, 0, checksum, id, 1, 0x48656c6c6fn, 0x20776f726c6421n);
  return fields(internetChecksum(fields(0)));
}

/** The same text appended as plain payload bytes: no zero bytes. */
export function seedHelloAsPayload(id: number): Uint8Array {
  const text = new TextEncoder().encode('Hello world!');
  // The checksum covers header and payload, summed without concatenating.
  const checksum = internetChecksum(pack('!BBHHH', 8, 0, 0, id, 1), text);
  return Uint8Array.from([...pack('!BBHHH', 8, 0, checksum, id, 1), ...text]);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

function ascii(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
}

async function main(): Promise<void> {
  const sendTo = process.argv[2] === '--send' ? process.argv[3] : undefined;
  const id = randomInt(0, 0x10000);
  const packets: [string, Uint8Array][] = [
    ["pack('!BBHHH', 8, 0, checksum, id, 1)", seedEchoRequest(id)],
    ["pack('!BBHHHQQ', ..., 0x48656c6c6fn, 0x20776f726c6421n)", seedHelloAsQuads(id)],
    ["pack('!BBHHH', ...) + 'Hello world!'", seedHelloAsPayload(id)],
  ];
  for (const [label, packet] of packets) {
    console.log(`${label}\n  ${hex(packet)}\n  ${ascii(packet)}`);
  }
  if (!sendTo) return;
  const socket = RawSocket.open({ protocol: IPPROTO_ICMP });
  const replies = new Promise<void>((resolve) => {
    let seen = 0;
    socket.onPacket((datagram, source) => {
      const ip = parseIpv4(datagram);
      if (!ip.ok) return;
      const icmp = parseIcmp(ip.value.payload);
      if (!icmp.ok || icmp.value.kind !== 'echo' || icmp.value.type !== 0 || icmp.value.identifier !== id) return;
      console.log(`reply from ${source}: ${hex(ip.value.payload)} (checksum ${icmp.value.checksumValid ? 'correct' : 'WRONG'})`);
      if (++seen === packets.length) resolve();
    });
  });
  for (const [, packet] of packets) socket.send(packet, sendTo);
  await Promise.race([replies, new Promise((resolve) => setTimeout(resolve, 2000))]);
  socket.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: Error) => {
    console.error(`seed-icmp: ${error.message}`);
    process.exitCode = 2;
  });
}
