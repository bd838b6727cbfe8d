// Golden packets: built from literal field values with the lab's builders and
// compared with the bytes real tools put on the wire (fixtures/, see its README).
// Each frame is picked by what it is (the first echo request with sequence 1
// from 10.77.1.1, the SYN with ECE and CWR...), never by its position, so a
// recapture that adds, drops or reorders packets cannot shift the comparison
// onto another frame.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter, readCaptureFile } from '../src/io/pcap-file.ts';
import { buildEthernet } from '../src/wire/ethernet.ts';
import { buildIcmp, buildIcmpEcho, IcmpType, iputilsEchoPayload, parseIcmp } from '../src/wire/icmp.ts';
import { buildIpv4, IpProtocol, parseIpv4, type Ipv4Packet } from '../src/wire/ipv4.ts';
import { decodeLinkLayer, LINKTYPE } from '../src/wire/link-type.ts';
import { buildTcp, parseTcp, TcpFlag, tcpSynOptions } from '../src/wire/tcp.ts';
import { FIXTURES_DIR } from './helpers/fixture-packets.ts';
import { toHex as hex } from './helpers/hex.ts';

type Icmp = Extract<ReturnType<typeof parseIcmp>, { ok: true }>['value'];
type Tcp = Extract<ReturnType<typeof parseTcp>, { ok: true }>['value'];

/** What a frame is, decoded: its outer IPv4 packet and its ICMP message or TCP segment. */
interface FrameView {
  readonly ip: Ipv4Packet;
  readonly icmp?: Icmp;
  readonly tcp?: Tcp;
}

/** A fixture file's path: the committed one, or any other capture (a shifted copy). */
const fixturePath = (file: string) => (file.startsWith('/') ? file : join(FIXTURES_DIR, file));

/** The first Ethernet frame of `file` that `matches`, or an error naming what was looked for. */
async function findFrame(file: string, what: string, matches: (frame: FrameView) => boolean): Promise<Uint8Array> {
  for await (const record of readCaptureFile(fixturePath(file))) {
    if (record.linkType !== LINKTYPE.ETHERNET) continue;
    const link = decodeLinkLayer(record.linkType, record.data);
    if (!link.ok || link.value.protocol !== 0x0800) continue;
    const ip = parseIpv4(link.value.payload);
    if (!ip.ok) continue;
    let view: FrameView = { ip: ip.value };
    if (ip.value.protocol === IpProtocol.ICMP) {
      const icmp = parseIcmp(ip.value.payload);
      if (icmp.ok) view = { ...view, icmp: icmp.value };
    } else if (ip.value.protocol === IpProtocol.TCP) {
      const tcp = parseTcp(ip.value.payload, { source: ip.value.source, destination: ip.value.destination });
      if (tcp.ok) view = { ...view, tcp: tcp.value };
    }
    if (matches(view)) return record.data;
  }
  throw new Error(`${file} has no ${what}`);
}

const from = (frame: FrameView, source: string, destination: string) => frame.ip.source === source && frame.ip.destination === destination;

/** The first ICMP echo request with this sequence number from `source` to `destination`. */
const echoRequest = (file: string, source: string, destination: string, sequence: number) =>
  findFrame(file, `ICMP echo request with sequence ${sequence} from ${source} to ${destination}`, (f) =>
    from(f, source, destination) && f.icmp?.type === IcmpType.EchoRequest && f.icmp.kind === 'echo' && f.icmp.sequence === sequence,
  );

/** The first TCP segment with exactly these flags from `source` (port `sourcePort`, when given) to `port`, carrying no data. */
const bareSegment = (file: string, source: string, port: number, flags: number, sourcePort?: number) =>
  findFrame(file, `data-less TCP segment with flags 0x${flags.toString(16)} from ${source}${sourcePort === undefined ? '' : `:${sourcePort}`} to port ${port}`, (f) =>
    f.ip.source === source &&
    (sourcePort === undefined || f.tcp?.sourcePort === sourcePort) &&
    f.tcp?.destinationPort === port &&
    f.tcp.flags === flags &&
    f.tcp.payload.length === 0,
  );

const ETHERNET = 14;
const IPV4 = 20;

describe('golden packets from fixtures/', () => {
  it('iputils ping: the first echo request, identifier, sequence and timeval payload', async () => {
    const frame = await echoRequest('iputils-ping.pcap', '10.77.1.1', '10.77.1.2', 1);
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
    const frame = await echoRequest('iputils-ping-pattern.pcap', '10.77.1.1', '10.77.1.2', 1);
    const data = frame.subarray(ETHERNET + IPV4 + 8);
    const seconds = Buffer.from(data).readUInt32LE(0);
    const microseconds = Buffer.from(data).readUInt32LE(8);
    const payload = iputilsEchoPayload({ seconds, microseconds, pattern: Uint8Array.of(0xff, 0x00, 0xa5) });
    expect(hex(payload.subarray(16, 22))).toBe('00a5ff00a5ff');
    expect(hex(payload)).toBe(hex(data));
  });

  it('curl: the kernel SYN with MSS, SACK-permitted, timestamps and window scale', async () => {
    const frame = await bareSegment('curl-http.pcap', '10.77.1.1', 80, TcpFlag.SYN);
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
    const frame = await bareSegment('hping3-syn-ece-cwr.pcap', '10.77.1.1', 80, TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR, 41000);
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
    // The first Time Exceeded from the router 10.77.2.1, quoting an echo request with sequence 1.
    const frame = await findFrame('icmp-errors.pcap', 'Time Exceeded from 10.77.2.1 quoting echo request sequence 1', (f) => {
      if (!from(f, '10.77.2.1', '10.77.2.2') || f.icmp?.kind !== 'time-exceeded' || f.icmp.code !== 0 || !f.icmp.quoted.ok) return false;
      const quoted = f.icmp.quoted.value.transport;
      return quoted?.protocol === 'icmp' && quoted.type === IcmpType.EchoRequest && quoted.sequence === 1;
    });
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

describe('frames are picked by content', () => {
  const dir = mkdtempSync(join(tmpdir(), 'packet-lab-golden-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the same frames in a recapture that reorders and adds packets', async () => {
    // A stand-in for a recapture: every record of the fixtures reversed, after a stray packet.
    const shifted = join(dir, 'shifted.pcap');
    const writer = PcapWriter.openSync(shifted, { linkType: LINKTYPE.ETHERNET });
    const records = [];
    for (const file of ['iputils-ping.pcap', 'curl-http.pcap', 'hping3-syn-ece-cwr.pcap']) {
      for await (const record of readCaptureFile(join(FIXTURES_DIR, file))) records.push(record);
    }
    writer.writeRecord(records[records.length - 1]);
    for (const record of records.reverse()) writer.writeRecord(record);
    writer.closeSync();
    expect(hex(await echoRequest(shifted, '10.77.1.1', '10.77.1.2', 1))).toBe(hex(await echoRequest('iputils-ping.pcap', '10.77.1.1', '10.77.1.2', 1)));
    expect(hex(await bareSegment(shifted, '10.77.1.1', 80, TcpFlag.SYN))).toBe(hex(await bareSegment('curl-http.pcap', '10.77.1.1', 80, TcpFlag.SYN)));
    const synEceCwr = TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR;
    // hping3 sent four of them, from ports 41000 to 41003: the golden one is the one from 41000.
    expect(hex(await bareSegment(shifted, '10.77.1.1', 80, synEceCwr, 41000))).toBe(hex(await bareSegment('hping3-syn-ece-cwr.pcap', '10.77.1.1', 80, synEceCwr, 41000)));
    expect(hex(await bareSegment(shifted, '10.77.1.1', 80, synEceCwr))).not.toBe(hex(await bareSegment('hping3-syn-ece-cwr.pcap', '10.77.1.1', 80, synEceCwr)));
  });

  it('says what it looked for when a recapture lacks it', async () => {
    await expect(echoRequest('iputils-ping.pcap', '10.77.1.1', '10.77.1.2', 99)).rejects.toThrow(
      'iputils-ping.pcap has no ICMP echo request with sequence 99 from 10.77.1.1 to 10.77.1.2',
    );
  });
});
