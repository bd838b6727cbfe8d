// Run inside a test namespace (`ip netns exec NS node --import tsx ...`) by
// test/ipv6-net.test.ts: exercises src/net's IPv6 layer there and prints one
// JSON object on stdout. Actions:
//   resolve HOST [4|6]          resolveHost()
//   source DESTINATION          sourceAddressFor() and interfaceForAddress()
//   echo DESTINATION BINDING    one ICMPv6 echo through openRawSocket({ family: 6 }), ICMP6_FILTER set
//   checksums DESTINATION BINDING  three echo requests with checksum 0xdead: kernel checksum on, off,
//                               and a whole packet through Ipv6Sender on an IPPROTO_RAW socket
import { openRawSocket, type SocketBinding } from '../../src/net/packet-socket.ts';
import { interfaceForAddress, resolveHost, sourceAddressFor } from '../../src/net/routes.ts';
import { buildIcmpEcho } from '../../src/wire/icmp.ts';

const ICMPV6 = 58;
const ECHO_REQUEST = 128;
const ECHO_REPLY = 129;

/** An ICMPv6 echo request with a given checksum: ICMP's echo layout with the type changed. */
export function icmpv6EchoWithChecksum(identifier: number, sequence: number, checksum: number): Uint8Array {
  const bytes = buildIcmpEcho({ identifier, sequence, payload: 'packet-lab v6', checksum });
  bytes[0] = ECHO_REQUEST;
  return bytes;
}

async function main(): Promise<unknown> {
  const [action, target, extra] = process.argv.slice(2);
  switch (action) {
    case 'resolve':
      try {
        return await resolveHost(target, { family: extra === '4' ? 4 : extra === '6' ? 6 : undefined });
      } catch (error) {
        return { error: (error as Error).message, name: (error as Error).name };
      }
    case 'source': {
      const source = await sourceAddressFor(target);
      return { source, device: interfaceForAddress(source) };
    }
    case 'echo': {
      const socket = openRawSocket({ family: 6, protocol: ICMPV6, binding: extra as SocketBinding });
      socket.setIcmpv6Filter([ECHO_REPLY]);
      const seen: Array<{ type: number; source: string; hopLimit: number }> = [];
      socket.onPacket((packet, source, _receivedAt, hopLimit) => seen.push({ type: packet[0], source, hopLimit }));
      socket.send(icmpv6EchoWithChecksum(0x6c36, 1, 0), target);
      for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      socket.receivePending();
      socket.close();
      return { binding: socket.binding, family: socket.family, seen };
    }
    case 'checksums': {
      const binding = extra as SocketBinding;
      const kernel = openRawSocket({ family: 6, protocol: ICMPV6, binding });
      kernel.send(icmpv6EchoWithChecksum(0x6c36, 1, 0xdead), target);
      kernel.setKernelChecksum(false);
      kernel.send(icmpv6EchoWithChecksum(0x6c36, 2, 0xdead), target);
      kernel.close();
      const { IPV6_HEADER_INCLUDED_PROTOCOL, Ipv6Sender } = await import('../../src/net/ipv6-sender.ts');
      const raw = openRawSocket({ family: 6, protocol: IPV6_HEADER_INCLUDED_PROTOCOL, binding });
      const source = await sourceAddressFor(target);
      const sender = new Ipv6Sender(raw, { headerIncluded: true, protocol: ICMPV6, source, destination: target, hopLimit: 7 });
      const payload = icmpv6EchoWithChecksum(0x6c36, 3, 0xdead);
      const frame = Buffer.from(sender.frame(payload)).toString('hex');
      const sent = sender.send(payload);
      raw.close();
      return { source, frame, sent };
    }
    default:
      throw new Error(`unknown action ${action}`);
  }
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
