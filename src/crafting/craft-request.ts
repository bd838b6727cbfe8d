// One packet as the user asked for it, field by field, and its bytes. Every
// field can be set, including the ones a normal stack computes (checksums,
// lengths, data offset), so a deliberately wrong packet is kept exactly as
// given: the codecs in src/wire fill a field only when it is left out.

import { buildEthernet, ETHERTYPE } from '../wire/ethernet.ts';
import { buildIcmp } from '../wire/icmp.ts';
import { buildIcmpv6 } from '../wire/icmpv6.ts';
import { buildIpv6 } from '../wire/ipv6.ts';
import { buildIpv4, IpProtocol } from '../wire/ipv4.ts';
import { LINKTYPE } from '../wire/link-type.ts';
import { buildTcp, type TcpOption } from '../wire/tcp.ts';
import { buildUdp } from '../wire/udp.ts';
import type { PackedStruct } from './struct-values.ts';

export interface CraftedIpv4Fields {
  readonly version: 4;
  readonly source: string;
  readonly destination: string;
  readonly ttl: number;
  readonly identification: number;
  readonly tos: number;
  /** The 3-bit flags field: reserved 4, DF 2, MF 1. */
  readonly flags: number;
  readonly fragmentOffset: number;
  /** Left out: computed. */
  readonly checksum?: number;
  readonly totalLength?: number;
}

export interface CraftedIpv6Fields {
  readonly version: 6;
  readonly source: string;
  readonly destination: string;
  readonly hopLimit: number;
  readonly trafficClass: number;
  readonly flowLabel: number;
  /** Left out: computed. */
  readonly payloadLength?: number;
}

export type CraftedIpFields = CraftedIpv4Fields | CraftedIpv6Fields;

/** The 8-byte header ICMP and ICMPv6 share: any type and code, bytes 4-7 as identifier and sequence (the echo layout). */
interface CraftedIcmpMessage {
  readonly type: number;
  readonly code: number;
  /** Bytes 4-5 (the echo identifier). */
  readonly identifier: number;
  /** Bytes 6-7 (the echo sequence number). */
  readonly sequence: number;
  /** Left out: computed (for ICMPv6, over the IPv6 pseudo-header). */
  readonly checksum?: number;
  readonly payload: Uint8Array;
  /** Set when the payload came from --struct, to explain its bytes. */
  readonly struct?: PackedStruct;
}

export interface CraftedIcmp extends CraftedIcmpMessage {
  readonly protocol: 'icmp';
  readonly ip: CraftedIpv4Fields;
}

/** ICMPv6 (RFC 4443). */
export interface CraftedIcmp6 extends CraftedIcmpMessage {
  readonly protocol: 'icmp6';
  readonly ip: CraftedIpv6Fields;
}

export interface CraftedTcp {
  readonly protocol: 'tcp';
  readonly ip: CraftedIpFields;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly sequenceNumber: number;
  readonly acknowledgmentNumber: number;
  readonly flags: number;
  readonly window: number;
  readonly urgentPointer: number;
  readonly reserved: number;
  /** Left out: from the options. */
  readonly dataOffset?: number;
  readonly checksum?: number;
  readonly options: readonly TcpOption[];
  readonly payload: Uint8Array;
}

export interface CraftedUdp {
  readonly protocol: 'udp';
  readonly ip: CraftedIpFields;
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** Left out: 8 + payload. */
  readonly length?: number;
  /** Left out: computed over the pseudo-header; 0 is "no checksum" over IPv4. */
  readonly checksum?: number;
  readonly payload: Uint8Array;
}

export type CraftRequest = CraftedIcmp | CraftedIcmp6 | CraftedTcp | CraftedUdp;

export type CraftProtocol = CraftRequest['protocol'];

const IP_PROTOCOLS: Record<CraftProtocol, number> = { icmp: IpProtocol.ICMP, icmp6: IpProtocol.ICMPv6, tcp: IpProtocol.TCP, udp: IpProtocol.UDP };

/** The IP protocol number of a transport craft builds. */
export function craftedIpProtocol(protocol: CraftProtocol): number {
  return IP_PROTOCOLS[protocol];
}

export interface CraftedPacket {
  /** The IPv4 or IPv6 datagram as crafted, header included. */
  readonly datagram: Uint8Array;
  /** The ICMP message, TCP segment or UDP datagram alone: what a raw socket sends when the kernel builds the IP header. */
  readonly transport: Uint8Array;
}

/**
 * The transport bytes. ICMP: any type, the 4 bytes after the checksum as
 * identifier and sequence (the echo layout). TCP and UDP: the checksum over
 * the pseudo-header of `source` (the kernel's source when it writes the header).
 */
export function buildCraftedTransport(request: CraftRequest, source: string = request.ip.source): Uint8Array {
  const rest = (r: { identifier: number; sequence: number }) => new Uint8Array([r.identifier >>> 8, r.identifier & 0xff, r.sequence >>> 8, r.sequence & 0xff]);
  if (request.protocol === 'icmp6') {
    return buildIcmpv6(
      { kind: 'other', type: request.type, code: request.code, checksum: request.checksum, restOfHeader: rest(request), payload: request.payload },
      { source, destination: request.ip.destination },
    );
  }
  if (request.protocol === 'icmp') {
    return buildIcmp({
      kind: 'other',
      type: request.type,
      code: request.code,
      checksum: request.checksum,
      restOfHeader: rest(request),
      payload: request.payload,
    });
  }
  if (request.protocol === 'udp') {
    return buildUdp(
      { sourcePort: request.sourcePort, destinationPort: request.destinationPort, length: request.length, checksum: request.checksum, payload: request.payload },
      { source, destination: request.ip.destination },
    );
  }
  return buildTcp(
    {
      sourcePort: request.sourcePort,
      destinationPort: request.destinationPort,
      sequenceNumber: request.sequenceNumber,
      acknowledgmentNumber: request.acknowledgmentNumber,
      flags: request.flags,
      window: request.window,
      urgentPointer: request.urgentPointer,
      reserved: request.reserved,
      dataOffset: request.dataOffset,
      checksum: request.checksum,
      options: request.options,
      payload: request.payload,
    },
    { source, destination: request.ip.destination },
  );
}

export function buildCraftedPacket(request: CraftRequest): CraftedPacket {
  const transport = buildCraftedTransport(request);
  const ip = request.ip;
  if (ip.version === 6) {
    const datagram = buildIpv6(
      {
        protocol: craftedIpProtocol(request.protocol),
        source: ip.source,
        destination: ip.destination,
        hopLimit: ip.hopLimit,
        trafficClass: ip.trafficClass,
        flowLabel: ip.flowLabel,
        payloadLength: ip.payloadLength,
      },
      transport,
    );
    return { datagram, transport };
  }
  const datagram = buildIpv4(
    {
      protocol: craftedIpProtocol(request.protocol),
      source: ip.source,
      destination: ip.destination,
      ttl: ip.ttl,
      identification: ip.identification,
      tos: ip.tos,
      flags: ip.flags,
      fragmentOffset: ip.fragmentOffset,
      checksum: ip.checksum,
      totalLength: ip.totalLength,
    },
    transport,
  );
  return { datagram, transport };
}

export type CraftLinkType = 'raw' | 'ethernet';

/** The datagram framed for a capture file: as is (LINKTYPE_RAW) or in an Ethernet II frame with zero MACs. */
export function frameForLink(datagram: Uint8Array, link: CraftLinkType, version: 4 | 6 = 4): { linkType: number; frame: Uint8Array } {
  if (link === 'raw') return { linkType: LINKTYPE.RAW, frame: datagram };
  const zero = new Uint8Array(6);
  const etherType = version === 6 ? ETHERTYPE.IPV6 : ETHERTYPE.IPV4;
  return { linkType: LINKTYPE.ETHERNET, frame: buildEthernet({ destination: zero, source: zero, etherType }, datagram) };
}

/** The request with its IP source and destination replaced (with --send: the host and the route's source). */
export function withAddresses<R extends CraftRequest>(request: R, source: string, destination: string): R {
  return { ...request, ip: { ...request.ip, source, destination } } as R;
}
