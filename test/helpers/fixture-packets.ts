// Walks every packet of a capture file down to ICMP, TCP or UDP with the lab's own
// decoders, for the fixture tests: each step reports what it found, so a test
// can demand a correct checksum and a byte-identical re-encoding at every layer.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureFile } from '../../src/io/pcap-file.ts';
import { decodeLinkLayer, encodeLinkLayer } from '../../src/wire/link-type.ts';
import { buildIpv4, IpProtocol, parseIpv4, type Ipv4Packet } from '../../src/wire/ipv4.ts';
import { buildIcmp, parseIcmp, type ParsedIcmpMessage } from '../../src/wire/icmp.ts';
import { buildTcp, parseTcp, type ParsedTcpSegment } from '../../src/wire/tcp.ts';
import { buildUdp, parseUdp, type ParsedUdpDatagram } from '../../src/wire/udp.ts';
import { buildIpv6, parseIpv6, type Ipv6Packet } from '../../src/wire/ipv6.ts';
import { buildIcmpv6, parseIcmpv6, type ParsedIcmpv6Message } from '../../src/wire/icmpv6.ts';
import { toHex as hex } from './hex.ts';

export const FIXTURES_DIR = new URL('../../fixtures/', import.meta.url).pathname;

const CAPTURE_NAME = /\.(pcap|pcapng|cap)$/i;

/** Capture files present in fixtures/ now: discovered at run time, never listed. */
export function fixtureCaptureFiles(dir = FIXTURES_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => CAPTURE_NAME.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Names of the capture files committed under fixtures/ (`git ls-files
 * fixtures`), or undefined when git cannot tell (no git, not a checkout).
 * A committed fixture missing from the work tree is an error, never a skip.
 */
export function committedFixtureNames(): string[] | undefined {
  const run = spawnSync('git', ['ls-files', '-z', '--', '.'], { cwd: FIXTURES_DIR, encoding: 'utf8' });
  if (run.error || run.status !== 0) return undefined;
  return run.stdout
    .split('\0')
    .filter((path) => path !== '' && !path.includes('/') && CAPTURE_NAME.test(path))
    .sort();
}

/**
 * The capture files fixtures/capture.sh makes: its FILES=(...) list, the one
 * it verifies and installs. Other captures in fixtures/ were dropped in by hand.
 */
export function scriptCaptureNames(script = join(FIXTURES_DIR, 'capture.sh')): string[] {
  const list = /^FILES=\(([^)]*)\)/m.exec(readFileSync(script, 'utf8'));
  if (!list) throw new Error(`${script}: no FILES=(...) list`);
  return list[1].split(/\s+/).filter((name) => name !== '').sort();
}

export interface CheckedPacket {
  readonly index: number;
  /** IPv4 packets: the header; IPv6 ones carry `ipv6` instead (and this is undefined). */
  readonly ip?: Ipv4Packet;
  readonly ipv6?: Ipv6Packet;
  readonly ipBytes: Uint8Array;
  readonly icmp?: ParsedIcmpMessage;
  readonly icmpv6?: ParsedIcmpv6Message;
  readonly tcp?: ParsedTcpSegment;
  readonly udp?: ParsedUdpDatagram;
  /** Bytes of the ICMP message, TCP segment or UDP datagram. */
  readonly transportBytes: Uint8Array;
}

export interface FileCheck {
  readonly packets: CheckedPacket[];
  /** Human-readable problems; a fixture passes when this stays empty. */
  readonly problems: string[];
  readonly records: number;
}


function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/**
 * Decodes every record; for IPv4 packets carrying ICMP, TCP or UDP checks that the
 * link header, IPv4 header and transport re-encode byte for byte from their
 * parsed fields, both with the parsed checksum kept and with it left for the
 * builder to compute, and that every checksum is correct.
 */
export async function checkCaptureFile(path: string): Promise<FileCheck> {
  const packets: CheckedPacket[] = [];
  const problems: string[] = [];
  let index = 0;
  for await (const record of readCaptureFile(path)) {
    index++;
    const where = `packet ${index}`;
    if (record.capturedLength < record.originalLength) {
      problems.push(`${where}: cut by the snaplen (${record.capturedLength} of ${record.originalLength} bytes)`);
      continue;
    }
    const link = decodeLinkLayer(record.linkType, record.data);
    if (!link.ok) {
      problems.push(`${where}: link layer: ${link.error.message}`);
      continue;
    }
    if (!sameBytes(encodeLinkLayer(link.value), record.data)) problems.push(`${where}: link layer does not re-encode`);
    if (link.value.protocol === 0x86dd) {
      const checked = checkIpv6Packet(index, link.value.payload, problems);
      if (checked) packets.push(checked);
      continue;
    }
    if (link.value.protocol !== 0x0800) continue; // ARP and the like: not what these tests are about
    const ipBytes = link.value.payload;
    const ipResult = parseIpv4(ipBytes);
    if (!ipResult.ok) {
      problems.push(`${where}: ipv4: ${ipResult.error.message}`);
      continue;
    }
    const ip = ipResult.value;
    if (!ip.checksumValid) problems.push(`${where}: IPv4 header checksum 0x${ip.checksum.toString(16)} is wrong`);
    const ipRebuilt = buildIpv4({ ...ip, trailer: ip.trailer }, ip.payload);
    const ipComputed = buildIpv4({ ...ip, checksum: undefined, totalLength: undefined, ihl: undefined, trailer: ip.trailer }, ip.payload);
    if (!sameBytes(ipRebuilt, ipBytes)) problems.push(`${where}: IPv4 does not re-encode from its fields`);
    if (!sameBytes(ipComputed, ipBytes)) problems.push(`${where}: IPv4 with computed length and checksum differs from the capture`);
    // A fragment's transport checksum covers the whole datagram: its IPv4 header is checked here,
    // the reassembled datagram against tshark in test/reassembly.test.ts.
    if (ip.fragmentOffset !== 0 || ip.flags.moreFragments) continue;
    const transportBytes = ip.payload;
    if (ip.protocol === IpProtocol.ICMP) {
      const icmp = parseIcmp(transportBytes);
      if (!icmp.ok) {
        problems.push(`${where}: icmp: ${icmp.error.message}`);
        continue;
      }
      const message = icmp.value;
      if (!message.checksumValid) problems.push(`${where}: ICMP checksum 0x${message.checksum.toString(16)} is wrong`);
      if (!sameBytes(buildIcmp(message), transportBytes)) problems.push(`${where}: ICMP does not re-encode from its fields`);
      const computed = buildIcmp({ ...message, checksum: undefined });
      if (!sameBytes(computed, transportBytes)) {
        problems.push(`${where}: ICMP with a computed checksum differs: ${hex(computed.subarray(0, 8))} vs ${hex(transportBytes.subarray(0, 8))}`);
      }
      packets.push({ index, ip, ipBytes, icmp: message, transportBytes });
    } else if (ip.protocol === IpProtocol.TCP) {
      const pseudo = { source: ip.source, destination: ip.destination };
      const tcp = parseTcp(transportBytes, pseudo);
      if (!tcp.ok) {
        problems.push(`${where}: tcp: ${tcp.error.message}`);
        continue;
      }
      const segment = tcp.value;
      if (segment.checksumValid !== true) problems.push(`${where}: TCP checksum 0x${segment.checksum.toString(16)} is wrong`);
      if (!sameBytes(buildTcp(segment, pseudo), transportBytes)) problems.push(`${where}: TCP does not re-encode from its fields`);
      const computed = buildTcp({ ...segment, checksum: undefined, dataOffset: undefined }, pseudo);
      if (!sameBytes(computed, transportBytes)) problems.push(`${where}: TCP with computed data offset and checksum differs from the capture`);
      packets.push({ index, ip, ipBytes, tcp: segment, transportBytes });
    } else if (ip.protocol === IpProtocol.UDP) {
      const pseudo = { source: ip.source, destination: ip.destination };
      const udp = parseUdp(transportBytes, pseudo);
      if (!udp.ok) {
        problems.push(`${where}: udp: ${udp.error.message}`);
        continue;
      }
      const datagram = udp.value;
      // 0 is "no checksum" over IPv4 (RFC 768): nothing to verify then.
      if (datagram.checksum !== 0 && datagram.checksumValid !== true) problems.push(`${where}: UDP checksum 0x${datagram.checksum.toString(16)} is wrong`);
      if (!sameBytes(buildUdp(datagram, pseudo), transportBytes)) problems.push(`${where}: UDP does not re-encode from its fields`);
      const computed = buildUdp({ ...datagram, length: undefined, checksum: datagram.checksum === 0 ? 0 : undefined }, pseudo);
      if (!sameBytes(computed, transportBytes)) problems.push(`${where}: UDP with computed length and checksum differs from the capture`);
      packets.push({ index, ip, ipBytes, udp: datagram, transportBytes });
    }
  }
  return { packets, problems, records: index };
}

/**
 * One IPv6 packet: the headers (extension headers included) re-encode byte
 * for byte with the parsed lengths and with the builder filling them; the
 * ICMPv6, TCP or UDP above it checks and re-encodes over the IPv6
 * pseudo-header. A fragment is checked down to its fragment header only.
 */
function checkIpv6Packet(index: number, ipBytes: Uint8Array, problems: string[]): CheckedPacket | undefined {
  const where = `packet ${index}`;
  const parsed = parseIpv6(ipBytes);
  if (!parsed.ok) {
    problems.push(`${where}: ipv6: ${parsed.error.message}`);
    return undefined;
  }
  const ip = parsed.value;
  if (!sameBytes(buildIpv6(ip, ip.payload), ipBytes)) problems.push(`${where}: IPv6 does not re-encode from its fields`);
  const computedHeaders = ip.extensionHeaders.map((header) => ({ ...header, nextHeader: undefined, ...('headerExtLength' in header ? { headerExtLength: undefined } : {}) }));
  const computed = buildIpv6({ ...ip, payloadLength: undefined, nextHeader: undefined, extensionHeaders: computedHeaders }, ip.payload);
  if (!sameBytes(computed, ipBytes)) problems.push(`${where}: IPv6 with computed lengths and next headers differs from the capture`);
  const fragment = ip.extensionHeaders.find((header) => header.kind === 'fragment');
  if (fragment?.kind === 'fragment' && (fragment.fragmentOffset !== 0 || fragment.moreFragments)) {
    return { index, ipv6: ip, ipBytes, transportBytes: ip.payload };
  }
  const pseudo = { source: ip.source, destination: ip.destination };
  const transportBytes = ip.payload;
  switch (ip.protocol) {
    case IpProtocol.ICMPv6: {
      const icmp = parseIcmpv6(transportBytes, pseudo);
      if (!icmp.ok) {
        problems.push(`${where}: icmpv6: ${icmp.error.message}`);
        return undefined;
      }
      const message = icmp.value;
      if (message.checksumValid !== true) problems.push(`${where}: ICMPv6 checksum 0x${message.checksum.toString(16)} is wrong`);
      if (!sameBytes(buildIcmpv6(message, pseudo), transportBytes)) problems.push(`${where}: ICMPv6 does not re-encode from its fields`);
      const rebuilt = buildIcmpv6({ ...message, checksum: undefined }, pseudo);
      if (!sameBytes(rebuilt, transportBytes)) problems.push(`${where}: ICMPv6 with a computed checksum differs from the capture`);
      return { index, ipv6: ip, ipBytes, icmpv6: message, transportBytes };
    }
    case IpProtocol.TCP: {
      const tcp = parseTcp(transportBytes, pseudo);
      if (!tcp.ok) {
        problems.push(`${where}: tcp: ${tcp.error.message}`);
        return undefined;
      }
      const segment = tcp.value;
      if (segment.checksumValid !== true) problems.push(`${where}: TCP checksum 0x${segment.checksum.toString(16)} is wrong`);
      if (!sameBytes(buildTcp(segment, pseudo), transportBytes)) problems.push(`${where}: TCP does not re-encode from its fields`);
      const rebuilt = buildTcp({ ...segment, checksum: undefined, dataOffset: undefined }, pseudo);
      if (!sameBytes(rebuilt, transportBytes)) problems.push(`${where}: TCP over IPv6 with computed data offset and checksum differs from the capture`);
      return { index, ipv6: ip, ipBytes, tcp: segment, transportBytes };
    }
    case IpProtocol.UDP: {
      const udp = parseUdp(transportBytes, pseudo);
      if (!udp.ok) {
        problems.push(`${where}: udp: ${udp.error.message}`);
        return undefined;
      }
      const datagram = udp.value;
      // Over IPv6 a zero checksum is an error too (RFC 8200 8.1): parseUdp says false for it.
      if (datagram.checksumValid !== true) problems.push(`${where}: UDP checksum 0x${datagram.checksum.toString(16)} is wrong`);
      if (!sameBytes(buildUdp(datagram, pseudo), transportBytes)) problems.push(`${where}: UDP does not re-encode from its fields`);
      const rebuilt = buildUdp({ ...datagram, length: undefined, checksum: undefined }, pseudo);
      if (!sameBytes(rebuilt, transportBytes)) problems.push(`${where}: UDP over IPv6 with computed length and checksum differs from the capture`);
      return { index, ipv6: ip, ipBytes, udp: datagram, transportBytes };
    }
    default:
      return { index, ipv6: ip, ipBytes, transportBytes };
  }
}
