// One packet as the user asked for it, field by field, and its bytes. Every
// field can be set, including the ones a normal stack computes (checksums,
// lengths, data offset), so a deliberately wrong packet is kept exactly as
// given: the codecs in src/wire fill a field only when it is left out.

import { buildEthernet, ETHERTYPE } from '../wire/ethernet.ts';
import { buildIcmp } from '../wire/icmp.ts';
import { buildIpv4, IpProtocol } from '../wire/ipv4.ts';
import { LINKTYPE } from '../wire/link-type.ts';
import { buildTcp, type TcpOption } from '../wire/tcp.ts';
import { buildUdp } from '../wire/udp.ts';
import type { PackedStruct } from './struct-values.ts';

export interface CraftedIpv4Fields {
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

export interface CraftedIcmp {
  readonly protocol: 'icmp';
  readonly ip: CraftedIpv4Fields;
  readonly type: number;
  readonly code: number;
  /** Bytes 4-5 (the echo identifier). */
  readonly identifier: number;
  /** Bytes 6-7 (the echo sequence number). */
  readonly sequence: number;
  readonly checksum?: number;
  readonly payload: Uint8Array;
  /** Set when the payload came from --struct, to explain its bytes. */
  readonly struct?: PackedStruct;
}

export interface CraftedTcp {
  readonly protocol: 'tcp';
  readonly ip: CraftedIpv4Fields;
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
  readonly ip: CraftedIpv4Fields;
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** Left out: 8 + payload. */
  readonly length?: number;
  /** Left out: computed over the pseudo-header; 0 is "no checksum" over IPv4. */
  readonly checksum?: number;
  readonly payload: Uint8Array;
}

export type CraftRequest = CraftedIcmp | CraftedTcp | CraftedUdp;

/** The IP protocol number of the request's transport. */
export function craftedIpProtocol(request: CraftRequest): number {
  return request.protocol === 'icmp' ? IpProtocol.ICMP : request.protocol === 'tcp' ? IpProtocol.TCP : IpProtocol.UDP;
}

export interface CraftedPacket {
  /** The IPv4 datagram as crafted, header included. */
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
  if (request.protocol === 'icmp') {
    const rest = new Uint8Array([request.identifier >>> 8, request.identifier & 0xff, request.sequence >>> 8, request.sequence & 0xff]);
    return buildIcmp({
      kind: 'other',
      type: request.type,
      code: request.code,
      checksum: request.checksum,
      restOfHeader: rest,
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
  const datagram = buildIpv4(
    {
      protocol: craftedIpProtocol(request),
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
export function frameForLink(datagram: Uint8Array, link: CraftLinkType): { linkType: number; frame: Uint8Array } {
  if (link === 'raw') return { linkType: LINKTYPE.RAW, frame: datagram };
  const zero = new Uint8Array(6);
  return { linkType: LINKTYPE.ETHERNET, frame: buildEthernet({ destination: zero, source: zero, etherType: ETHERTYPE.IPV4 }, datagram) };
}
