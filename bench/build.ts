// Build + checksum rates for an ICMP echo request (56-byte payload) and a
// TCP SYN with Linux's four options, beside scapy building the same packets
// in the same run (when python3-scapy is installed).
import { spawnSync } from 'node:child_process';
import { buildIcmpEcho, emitIcmpEchoInto, iputilsEchoPayload } from '../src/wire/icmp.ts';
import { buildTcp, emitTcpInto, TcpFlag, tcpSynOptions, type TcpSegmentInit } from '../src/wire/tcp.ts';
import { parseIpv4Address } from '../src/wire/ipv4-address.ts';
import { formatRate, measureRate, printRow, printTarget } from './harness.ts';

const SCAPY_SCRIPT = String.raw`
import sys, time
from scapy.all import IP, ICMP, TCP, Raw, raw
payload = bytes(range(56))
def rate(build):
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 1.0:
        for _ in range(200):
            build()
        n += 200
    return n / (time.perf_counter() - start)
icmp = rate(lambda: raw(ICMP(type=8, id=0x1b04, seq=1) / Raw(payload)))
opts = [('MSS', 1460), ('SAckOK', b''), ('Timestamp', (123456, 0)), ('NOP', None), ('WScale', 7)]
# scapy needs the IP layer for the TCP pseudo-header checksum.
syn = rate(lambda: raw(IP(src='10.0.0.1', dst='10.0.0.2') / TCP(sport=40000, dport=80, seq=1, flags='S', window=64240, options=opts)))
print(icmp, syn)
`;

/** scapy's packets/s for [echo, syn], or undefined when scapy is not installed. */
function scapyRates(): [number, number] | undefined {
  const run = spawnSync('/usr/bin/python3', ['-c', SCAPY_SCRIPT], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) return undefined;
  const [echo, syn] = run.stdout.trim().split(/\s+/).map(Number);
  return [echo, syn];
}

export function benchBuild(): void {
  console.log('\n# Build + checksum: packet-lab vs scapy (same packets, same run)');
  const payload = iputilsEchoPayload({ seconds: 1_700_000_000, microseconds: 123_456 });
  let sequence = 0;
  const reused = new Uint8Array(8 + payload.length);
  const echoReused = measureRate(() => {
    sequence = (sequence + 1) & 0xffff;
    emitIcmpEchoInto(reused, 0, { identifier: 0x1b04, sequence, payload });
  });
  let sink = 0; // read back what was built, so no work can be optimized away
  const echoFresh = measureRate(() => {
    sequence = (sequence + 1) & 0xffff;
    sink ^= buildIcmpEcho({ identifier: 0x1b04, sequence, payload })[2];
  });
  const pseudo = { source: parseIpv4Address('10.0.0.1'), destination: parseIpv4Address('10.0.0.2') };
  const options = tcpSynOptions({ mss: 1460, sackPermitted: true, timestampValue: 123456, windowScale: 7 });
  const syn: TcpSegmentInit = { sourcePort: 40000, destinationPort: 80, sequenceNumber: 1, flags: TcpFlag.SYN, window: 64240, options };
  const synBuffer = new Uint8Array(40);
  const synReused = measureRate(() => {
    emitTcpInto(synBuffer, 0, syn, pseudo);
  });
  const synFresh = measureRate(() => {
    sink ^= buildTcp(syn, pseudo)[16];
  });
  if (sink === -1 || reused[2] + synBuffer[16] === -1) console.log(sink);

  printTarget('ICMP echo (56 B) into a reused buffer', formatRate(echoReused.perSecond), echoReused.perSecond >= 8e6, '>= 8 M/s');
  printTarget('ICMP echo (56 B) into fresh buffers', formatRate(echoFresh.perSecond), echoFresh.perSecond >= 4e6, '>= 4 M/s');
  printTarget('TCP SYN + 4 options into fresh buffers', formatRate(synFresh.perSecond), synFresh.perSecond >= 3e6, '>= 3 M/s');
  printTarget('TCP SYN + 4 options into a reused buffer', formatRate(synReused.perSecond), synReused.perSecond >= 3e6, '>= 3 M/s');

  const scapy = scapyRates();
  if (!scapy) {
    console.log('scapy: not installed (apt-get install python3-scapy), no reference this run');
    return;
  }
  printRow('ICMP echo, fresh buffers, vs scapy', formatRate(echoFresh.perSecond), formatRate(scapy[0]), echoFresh.perSecond / scapy[0]);
  printRow('TCP SYN, fresh buffers, vs scapy (IP/TCP)', formatRate(synFresh.perSecond), formatRate(scapy[1]), synFresh.perSecond / scapy[1]);
}
