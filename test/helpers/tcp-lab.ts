// Topologies, servers and capture readers for the TCP tools' end-to-end tests.
// Built on test/helpers/netns.ts (its Lab owns every namespace and process,
// and tears them down whatever happens); nothing here leaves the namespaces.
import { createRequire } from 'node:module';
import type { TestContext } from 'vitest';
import { IN_CI } from './ci-requirements.ts';
import { readCaptureFile } from '../../src/io/pcap-file.ts';
import { hasRawSocketPrivilege } from '../../src/net/privileges.ts';
import { receivedChecksum, type ReceivedChecksum } from '../../src/wire/checksum.ts';
import { tcpChecksumVerdict, tcpPseudoHeaderSum } from '../../src/wire/tcp.ts';
import { parseIpv4, IpProtocol, type Ipv4Packet } from '../../src/wire/ipv4.ts';
import { parseTcp, type ParsedTcpSegment } from '../../src/wire/tcp.ts';
import { parseIcmp, type ParsedIcmpMessage } from '../../src/wire/icmp.ts';
import { parseUdp, type ParsedUdpDatagram } from '../../src/wire/udp.ts';
import { parseIpv6, Ipv6View, type Ipv6Packet } from '../../src/wire/ipv6.ts';
import { parseIcmpv6, type ParsedIcmpv6Message } from '../../src/wire/icmpv6.ts';
import { decodeLinkLayer } from '../../src/wire/link-type.ts';
import { type BackgroundProcess, type Namespace, haveCommand, Lab, NAME_PREFIX, run, tsxCommand } from './netns.ts';

export interface RouterChain {
  readonly lab: Lab;
  readonly client: Namespace;
  readonly r1: Namespace;
  readonly r2: Namespace;
  readonly server: Namespace;
  readonly clientAddress: string;
  /** r1 on the client's link: the source of r1's ICMP errors toward the client. */
  readonly r1Address: string;
  /** r2 on the r1—r2 link: the source of r2's ICMP errors toward the client. */
  readonly r2Address: string;
  readonly serverAddress: string;
  /** With `{ ipv6: true }`: the same roles in fd00:221:N::/64, fd00:222:N::/64, fd00:223:N::/64. */
  readonly clientAddress6: string;
  readonly r1Address6: string;
  readonly r2Address6: string;
  readonly serverAddress6: string;
}

/**
 * client 10.221.N.1 — .254 r1 10.222.N.1 — 10.222.N.2 r2 10.223.N.254 — 10.223.N.2 server,
 * both routers forwarding, static routes both ways; with `{ ipv6: true }` the
 * same chain in fd00:221:N::/64 (::1 — ::fe), fd00:222:N::/64 (::1 — ::2) and
 * fd00:223:N::/64 (::fe — ::2), addresses added nodad (test/helpers/netns.ts).
 */
export function createRouterChain(options: { ipv6?: boolean } = {}): RouterChain {
  const lab = new Lab();
  try {
    const n = lab.id % 250;
    const [left, middle, right] = [`10.221.${n}`, `10.222.${n}`, `10.223.${n}`];
    const hex = n.toString(16);
    const [left6, middle6, right6] = [`fd00:221:${hex}:`, `fd00:222:${hex}:`, `fd00:223:${hex}:`];
    const v6 = (prefix: string, host: string) => (options.ipv6 ? [`${prefix}:${host}/64`] : []);
    const client = lab.addNamespace('cli', options);
    const r1 = lab.addNamespace('r1', options);
    const r2 = lab.addNamespace('r2', options);
    const server = lab.addNamespace('srv', options);
    lab.connect(client, 'vethC', [`${left}.1/24`, ...v6(left6, '1')], r1, 'vethR1C', [`${left}.254/24`, ...v6(left6, 'fe')]);
    lab.connect(r1, 'vethR1R2', [`${middle}.1/24`, ...v6(middle6, '1')], r2, 'vethR2R1', [`${middle}.2/24`, ...v6(middle6, '2')]);
    lab.connect(r2, 'vethR2S', [`${right}.254/24`, ...v6(right6, 'fe')], server, 'vethS', [`${right}.2/24`, ...v6(right6, '2')]);
    r1.sysctl('net.ipv4.ip_forward', 1);
    r2.sysctl('net.ipv4.ip_forward', 1);
    client.check(['ip', 'route', 'add', 'default', 'via', `${left}.254`]);
    r1.check(['ip', 'route', 'add', `${right}.0/24`, 'via', `${middle}.2`]);
    r2.check(['ip', 'route', 'add', `${left}.0/24`, 'via', `${middle}.1`]);
    server.check(['ip', 'route', 'add', 'default', 'via', `${right}.254`]);
    if (options.ipv6) {
      r1.sysctl('net.ipv6.conf.all.forwarding', 1);
      r2.sysctl('net.ipv6.conf.all.forwarding', 1);
      client.check(['ip', '-6', 'route', 'add', 'default', 'via', `${left6}:fe`]);
      r1.check(['ip', '-6', 'route', 'add', `${right6}:/64`, 'via', `${middle6}:2`]);
      r2.check(['ip', '-6', 'route', 'add', `${left6}:/64`, 'via', `${middle6}:1`]);
      server.check(['ip', '-6', 'route', 'add', 'default', 'via', `${right6}:fe`]);
    }
    return {
      lab,
      client,
      r1,
      r2,
      server,
      clientAddress: `${left}.1`,
      r1Address: `${left}.254`,
      r2Address: `${middle}.2`,
      serverAddress: `${right}.2`,
      clientAddress6: `${left6}:1`,
      r1Address6: `${left6}:fe`,
      r2Address6: `${middle6}:2`,
      serverAddress6: `${right6}:2`,
    };
  } catch (error) {
    lab.teardownSync();
    throw error;
  }
}

/** Loads an nftables script in the namespace. */
export function nft(ns: Namespace, script: string): void {
  ns.check(['nft', '-f', '-'], { input: script });
}

/** python3's http.server serving `directory` on address:port; resolves once it listens. */
export async function startHttpServer(ns: Namespace, address: string, port: number, directory: string): Promise<BackgroundProcess> {
  const server = ns.spawn(['python3', '-u', '-m', 'http.server', String(port), '--bind', address, '--directory', directory], {
    timeoutMs: 120_000,
  });
  await server.waitForOutput(/Serving HTTP/, 15_000);
  return server;
}

/** test/helpers/tcp-test-server.ts in a mode (echo, chunked, silent); resolves once it listens. */
export async function startTestServer(
  ns: Namespace,
  mode: 'echo' | 'chunked' | 'silent',
  address: string,
  port: number,
): Promise<BackgroundProcess> {
  const server = ns.spawn(tsxCommand('test/helpers/tcp-test-server.ts', [mode, address, String(port)]), { timeoutMs: 120_000 });
  await server.waitForOutput(/^listening$/m, 15_000);
  return server;
}

/** Why the TCP tools' end-to-end tests cannot run here, or undefined when they can. */
export function tcpLabMissing(tools: readonly string[] = []): string | undefined {
  const reasons: string[] = [];
  if (process.getuid?.() !== 0) reasons.push('root (network namespaces)');
  else if (!hasRawSocketPrivilege()) reasons.push('CAP_NET_RAW');
  for (const tool of ['ip', 'ethtool', 'sysctl', ...tools.filter((t) => t !== 'cap')]) if (!haveCommand(tool)) reasons.push(`'${tool}'`);
  const require = createRequire(import.meta.url);
  try {
    require('raw-socket');
  } catch {
    reasons.push('the raw-socket binding (npm rebuild raw-socket)');
  }
  if (tools.includes('cap')) {
    try {
      require('cap');
    } catch {
      reasons.push('the cap binding (libpcap-dev, npm rebuild cap)');
    }
  }
  if (reasons.length === 0) {
    const probe = `${NAME_PREFIX}-tcpprobe`;
    const add = run(['ip', 'netns', 'add', probe]);
    if (add.status !== 0) reasons.push(`network namespaces (${add.stderr.trim()})`);
    else run(['ip', 'netns', 'del', probe]);
  }
  return reasons.length > 0 ? `needs ${reasons.join(', ')}` : undefined;
}

export interface CapturedPacket {
  readonly index: number;
  readonly timestampNs: bigint;
  readonly ip: Ipv4Packet;
  readonly tcp?: ParsedTcpSegment & { readonly checksumStatus: ReceivedChecksum };
  readonly icmp?: ParsedIcmpMessage;
  readonly udp?: ParsedUdpDatagram;
}

/** Every IPv4 packet of a capture file, with TCP (checksum checked) or ICMP decoded by the lab's codecs. */
export async function readPackets(file: string): Promise<CapturedPacket[]> {
  const packets: CapturedPacket[] = [];
  let index = 0;
  for await (const record of readCaptureFile(file)) {
    index++;
    const link = decodeLinkLayer(record.linkType, record.data);
    if (!link.ok || link.value.protocol !== 0x0800) continue;
    const ip = parseIpv4(link.value.payload);
    if (!ip.ok) continue;
    const packet: { index: number; timestampNs: bigint; ip: Ipv4Packet; tcp?: CapturedPacket['tcp']; icmp?: ParsedIcmpMessage; udp?: ParsedUdpDatagram } = {
      index,
      timestampNs: record.timestampNs,
      ip: ip.value,
    };
    if (ip.value.protocol === IpProtocol.TCP) {
      const tcp = parseTcp(ip.value.payload, { source: ip.value.source, destination: ip.value.destination });
      if (tcp.ok) {
        const status = receivedChecksum(tcpChecksumVerdict(ip.value.payload, tcpPseudoHeaderSum(ip.value, ip.value.payload.length)));
        packet.tcp = { ...tcp.value, checksumStatus: status };
      }
    } else if (ip.value.protocol === IpProtocol.ICMP) {
      const icmp = parseIcmp(ip.value.payload);
      if (icmp.ok) packet.icmp = icmp.value;
    } else if (ip.value.protocol === IpProtocol.UDP) {
      const udp = parseUdp(ip.value.payload, { source: ip.value.source, destination: ip.value.destination });
      if (udp.ok) packet.udp = udp.value;
    }
    packets.push(packet);
  }
  return packets;
}

export interface CapturedPacket6 {
  readonly index: number;
  readonly ip: Ipv6Packet;
  readonly tcp?: ParsedTcpSegment;
  readonly udp?: ParsedUdpDatagram;
  readonly icmp6?: ParsedIcmpv6Message;
}

/** Every IPv6 packet of a capture file, with TCP, UDP (checksums over the IPv6 pseudo-header) or ICMPv6 decoded by the lab's codecs. */
export async function readPackets6(file: string): Promise<CapturedPacket6[]> {
  const packets: CapturedPacket6[] = [];
  let index = 0;
  for await (const record of readCaptureFile(file)) {
    index++;
    const link = decodeLinkLayer(record.linkType, record.data);
    if (!link.ok || link.value.protocol !== 0x86dd) continue;
    const parsed = parseIpv6(link.value.payload);
    if (!parsed.ok) continue;
    const ip = parsed.value;
    const pseudo = { source: ip.source, destination: ip.destination };
    const view = new Ipv6View();
    view.point(link.value.payload);
    const upper = view.hasUpperLayerHeader ? view.upperLayer : undefined;
    const packet: { index: number; ip: Ipv6Packet; tcp?: ParsedTcpSegment; udp?: ParsedUdpDatagram; icmp6?: ParsedIcmpv6Message } = { index, ip };
    if (upper && view.upperLayerProtocol === IpProtocol.TCP) {
      const tcp = parseTcp(upper, pseudo);
      if (tcp.ok) packet.tcp = tcp.value;
    } else if (upper && view.upperLayerProtocol === IpProtocol.UDP) {
      const udp = parseUdp(upper, pseudo);
      if (udp.ok) packet.udp = udp.value;
    } else if (upper && view.upperLayerProtocol === IpProtocol.ICMPv6) {
      const icmp = parseIcmpv6(upper, pseudo);
      if (icmp.ok) packet.icmp6 = icmp.value;
    }
    packets.push(packet);
  }
  return packets;
}

/** Firewall state of a namespace: nft ruleset and iptables rules, for "nothing left behind" checks. */
export function firewallState(ns: Namespace): { nft: string; iptables: string } {
  const nftOut = ns.run(['nft', 'list', 'ruleset']);
  const iptablesOut = haveCommand('iptables') ? ns.run(['iptables', '-S']) : { stdout: '' };
  const ip6tablesOut = haveCommand('ip6tables') ? ns.run(['ip6tables', '-S']) : { stdout: '' };
  return { nft: nftOut.stdout.trim(), iptables: `${iptablesOut.stdout.trim()}\n${ip6tablesOut.stdout.trim()}`.trim() };
}

/**
 * Skips the test with the reason when the TCP lab cannot run here; under
 * CI=true a missing prerequisite fails it instead.
 */
export function needTcpLab(ctx: TestContext, tools: string[] = []): void {
  const reason = tcpLabMissing(tools);
  if (!reason) return;
  if (IN_CI) throw new Error(`missing prerequisite: ${reason} (CI=true: prerequisites are mandatory)`);
  ctx.skip(reason);
}
