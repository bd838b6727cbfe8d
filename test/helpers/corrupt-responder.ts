// A deliberately faulty echo responder, built from the lab's own codecs, for
// the ping end-to-end tests. Run it (as root) inside a test namespace whose
// kernel echo is off (net.ipv4.icmp_echo_ignore_all=1):
//
//   node --import tsx test/helpers/corrupt-responder.ts --plan ok,checksum,payload,ok [--timeout 10]
//
// The request with sequence k gets the answer plan[k-1]:
//   ok        a correct echo reply
//   checksum  a correct reply whose ICMP checksum is wrong
//   payload   a reply with one data byte (#PAYLOAD_INDEX) flipped, checksum correct
//   truncated a correct reply cut to TRUNCATED_DATA data bytes (checksum over what is sent)
//   none      no answer
// It prints "ready" once its socket is open, one line per request handled,
// and exits 0 after handling plan.length requests, or 3 after --timeout
// seconds (default 10), so it can never outlive a test.
import { parseArgs } from 'node:util';
import { IPPROTO_ICMP, RawSocket } from '../../src/net/raw-socket.ts';
import { buildIcmp, buildIcmpEcho, IcmpType, parseIcmp } from '../../src/wire/icmp.ts';
import { parseIpv4 } from '../../src/wire/ipv4.ts';
import { PAYLOAD_INDEX, TRUNCATED_DATA } from './corrupt-responder-constants.ts';

type Answer = 'ok' | 'checksum' | 'payload' | 'truncated' | 'none';

const { values } = parseArgs({
  options: {
    plan: { type: 'string' },
    timeout: { type: 'string', default: '10' },
  },
});
const plan = (values.plan ?? '').split(',').filter(Boolean) as Answer[];
if (plan.length === 0 || plan.some((a) => !['ok', 'checksum', 'payload', 'truncated', 'none'].includes(a))) {
  process.stderr.write('corrupt-responder: --plan needs a comma-separated list of ok|checksum|payload|truncated|none\n');
  process.exit(2);
}
const timeoutMs = Number(values.timeout) * 1000;

const socket = RawSocket.open({ protocol: IPPROTO_ICMP });
let handled = 0;
const timer = setTimeout(() => {
  process.stderr.write(`corrupt-responder: timed out after ${handled} of ${plan.length} requests\n`);
  socket.close();
  process.exit(3);
}, timeoutMs);

socket.onPacket((datagram, source) => {
  const ip = parseIpv4(datagram);
  if (!ip.ok) return;
  const icmp = parseIcmp(ip.value.payload);
  if (!icmp.ok || icmp.value.kind !== 'echo' || icmp.value.type !== IcmpType.EchoRequest) return;
  const { identifier, sequence } = icmp.value;
  // Copy: the socket's receive buffer is reused for the next datagram.
  const payload = Uint8Array.from(icmp.value.payload);
  const answer = plan[sequence - 1] ?? 'none';
  let reply: Uint8Array | undefined;
  switch (answer) {
    case 'ok':
      reply = buildIcmpEcho({ type: 0, identifier, sequence, payload });
      break;
    case 'checksum': {
      const good = buildIcmpEcho({ type: 0, identifier, sequence, payload });
      const goodChecksum = (good[2] << 8) | good[3];
      // Any other value is wrong; flipping bits keeps it in range.
      reply = buildIcmp({ kind: 'echo', type: 0, identifier, sequence, payload, checksum: goodChecksum ^ 0x5a5a });
      break;
    }
    case 'payload': {
      const altered = Uint8Array.from(payload);
      altered[PAYLOAD_INDEX] ^= 0xff;
      reply = buildIcmp({ kind: 'echo', type: 0, identifier, sequence, payload: altered });
      break;
    }
    case 'truncated':
      reply = buildIcmpEcho({ type: 0, identifier, sequence, payload: payload.subarray(0, TRUNCATED_DATA) });
      break;
    case 'none':
      break;
  }
  if (reply) socket.send(reply, source);
  handled++;
  process.stdout.write(`seq=${sequence} id=${identifier} from=${source} answer=${answer}\n`);
  if (handled >= plan.length) {
    clearTimeout(timer);
    socket.close();
    process.exitCode = 0;
  }
});
socket.onError((error) => {
  process.stderr.write(`corrupt-responder: ${error.message}\n`);
  process.exit(1);
});
process.stdout.write('ready\n');
