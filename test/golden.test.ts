// Golden packets: built from literal field values with the lab's builders and
// compared with the bytes real tools put on the wire (fixtures/, see its README).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readCaptureFile } from '../src/io/pcap-file.ts';
import { buildEthernet } from '../src/wire/ethernet.ts';
import { buildIcmp, buildIcmpEcho, iputilsEchoPayload } from '../src/wire/icmp.ts';
import { buildIpv4, IpProtocol } from '../src/wire/ipv4.ts';
import { buildTcp, TcpFlag, tcpSynOptions } from '../src/wire/tcp.ts';
import { FIXTURES_DIR } from './helpers/fixture-packets.ts';
import { toHex as hex } from './helpers/hex.ts';

/** The frame of record `n` (1-based, as Wireshark numbers them) of a fixture. */
async function capturedFrame(file: string, n: number): Promise<Uint8Array> {
  let i = 0;
  for await (const record of readCaptureFile(join(FIXTURES_DIR, file))) {
    if (++i === n) return record.data;
  }
  throw new Error(`${file} has no record ${n}`);
}

const ETHERNET = 14;
const IPV4 = 20;

describe('golden packets from fixtures/', () => {
  it('iputils ping: the first echo request, identifier, sequence and timeval payload', async () => {
    const frame = await capturedFrame('iputils-ping.pcap', 1);
    const icmp = buildIcmpEcho({
      identifier: 0x1aa9,
      sequence: 1,
      // struct timeval {tv_sec 0x6b048454, tv_usec 530743}, then bytes 0x10..0x37
      payload: iputilsEchoPayload({ seconds: 0x6b048454, microseconds: 530743 }),
    });
    const ip = buildIpv4(
      { identification: 0x2155, flags: { dontFragment: true }, ttl: 64, protocol: IpProtocol.ICMP, source: '10.77.1.1', destination: '10.77.1.2' },
      icmp,
    );
    const ethernet = buildEthernet({ destination: '02:70:6c:01:00:02', source: '02:70:6c:01:00:01', etherType: 0x0800 }, ip);
    expect(hex(icmp.subarray(0, 4))).toBe('0800867a'); // checksum 0x867a as captured
    expect(hex(ethernet)).toBe(hex(frame));
  });

  it('iputils ping -p ff00a5: the pattern repeated from data byte 0 under the timeval', async () => {
    const frame = await capturedFrame('iputils-ping-pattern.pcap', 1);
    const data = frame.subarray(ETHERNET + IPV4 + 8);
    const seconds = Buffer.from(data).readUInt32LE(0);
    const microseconds = Buffer.from(data).readUInt32LE(8);
    const payload = iputilsEchoPayload({ seconds, microseconds, pattern: Uint8Array.of(0xff, 0x00, 0xa5) });
    expect(hex(payload.subarray(16, 22))).toBe('00a5ff00a5ff');
    expect(hex(payload)).toBe(hex(data));
  });

  it('curl: the kernel SYN with MSS, SACK-permitted, timestamps and window scale', async () => {
    const frame = await capturedFrame('curl-http.pcap', 1);
    const syn = buildTcp(
      {
        sourcePort: 47586,
        destinationPort: 80,
        sequenceNumber: 0xc10e795f,
        flags: TcpFlag.SYN,
        window: 64240,
        options: tcpSynOptions({ mss: 1460, sackPermitted: true, timestampValue: 0x4c15c691, windowScale: 10 }),
      },
      { source: '10.77.1.1', destination: '10.77.1.2' },
    );
    expect(hex(syn.subarray(20))).toBe('020405b4' + '0402' + '080a4c15c69100000000' + '01' + '03030a');
    expect(hex(syn)).toBe(hex(frame.subarray(ETHERNET + IPV4)));
    const ip = buildIpv4({ identification: 0x0d19, flags: { dontFragment: true }, protocol: IpProtocol.TCP, source: '10.77.1.1', destination: '10.77.1.2' }, syn);
    expect(hex(ip)).toBe(hex(frame.subarray(ETHERNET)));
  });

  it('hping3 -S -X -Y: SYN+ECE+CWR with a stale acknowledgment number and no options', async () => {
    const frame = await capturedFrame('hping3-syn-ece-cwr.pcap', 1);
    const segment = buildTcp(
      {
        sourcePort: 41000,
        destinationPort: 80,
        sequenceNumber: 0x56701f92,
        acknowledgmentNumber: 0x6b27066f, // hping3 fills it even with ACK clear
        flags: { syn: true, ece: true, cwr: true },
        window: 512,
      },
      { source: '10.77.1.1', destination: '10.77.1.2' },
    );
    expect(segment[13]).toBe(0xc2);
    expect(hex(segment)).toBe(hex(frame.subarray(ETHERNET + IPV4)));
  });

  it('a router namespace: ICMP time exceeded quoting the whole echo request it dropped', async () => {
    const frame = await capturedFrame('icmp-errors.pcap', 4);
    const echo = buildIcmpEcho({ identifier: 0x1b87, sequence: 1, payload: iputilsEchoPayload({ seconds: 0x6b048469, microseconds: 0x06c089 }) });
    const dropped = buildIpv4(
      { identification: 0xa634, flags: { dontFragment: true }, ttl: 1, protocol: IpProtocol.ICMP, source: '10.77.2.2', destination: '10.77.3.2' },
      echo,
    );
    const timeExceeded = buildIcmp({ kind: 'time-exceeded', type: 11, code: 0, original: dropped });
    const ip = buildIpv4(
      { tos: 0xc0, identification: 0xa79d, ttl: 64, protocol: IpProtocol.ICMP, source: '10.77.2.1', destination: '10.77.2.2' },
      timeExceeded,
    );
    expect(hex(ip)).toBe(hex(frame.subarray(ETHERNET)));
  });
});
