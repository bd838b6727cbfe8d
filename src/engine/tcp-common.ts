// Pieces the hand-made TCP tools share: random ports and initial sequence
// numbers, and the summary of a segment that traces and events carry. Sequence
// arithmetic, checksum verdicts (offload included) and flag names are wire
// concepts: src/wire/tcp-sequence.ts, tcpChecksumVerdict and TCP_FLAG_NAMES.
import { randomInt } from 'node:crypto';
import { Ipv4Sender, type Ipv4PerPacket } from '../net/ipv4-sender.ts';
import { Ipv6Sender } from '../net/ipv6-sender.ts';
import type { PacketSocket } from '../net/packet-socket.ts';
import type { TcpOption } from '../wire/tcp.ts';

// ---------------------------------------------------------------------------
// Randomness

/** A source port from Linux's default ephemeral range (net.ipv4.ip_local_port_range). */
export function randomEphemeralPort(): number {
  return randomInt(32768, 61000);
}

/** A random 32-bit initial sequence number. */
export function randomSequenceNumber(): number {
  return randomInt(0, 0x100000000);
}

/**
 * The MSS Linux offers on an Ethernet path (MTU 1500): the MTU less the IP
 * and TCP headers, 1460 over IPv4 (20 + 20) and 1440 over IPv6 (40 + 20).
 */
export function defaultMss(family: 4 | 6, mtu = 1500): number {
  return mtu - (family === 6 ? 60 : 40);
}

// ---------------------------------------------------------------------------
// Describing segments

/** What the tools report about one segment, sent or received. */
export interface TcpSegmentSummary {
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly destinationPort: number;
  readonly flags: number;
  readonly sequenceNumber: number;
  readonly acknowledgmentNumber: number;
  readonly window: number;
  readonly options: readonly TcpOption[];
  readonly payloadLength: number;
  /** IPv4 TTL, for received segments. */
  readonly ttl?: number;
}

/** A copy of an option that shares no bytes with a (reused) receive buffer. */
export function copyTcpOption(option: TcpOption): TcpOption {
  if (option.kind === 'sack') return { kind: 'sack', blocks: option.blocks.map((b) => ({ ...b })) };
  if (option.kind === 'unknown') return { kind: 'unknown', type: option.type, data: Uint8Array.from(option.data) };
  if (option.kind === 'raw') return { kind: 'raw', bytes: Uint8Array.from(option.bytes) };
  return option;
}

// ---------------------------------------------------------------------------
// Sending a transport payload with the kernel writing the IP header

/** What the probing engines need to send: one payload, optionally with its own TTL / hop limit. */
export interface TransportSender {
  send(payload: Uint8Array, perPacket?: Pick<Ipv4PerPacket, 'ttl'>): number;
}

/**
 * A sender for `socket`'s family with the kernel writing the IP header
 * (source from the route, IP_TTL / IPV6_UNICAST_HOPS): Ipv4Sender or
 * Ipv6Sender, the TTL of a packet being the hop limit over IPv6.
 */
export function kernelHeaderSender(socket: PacketSocket, protocol: number, destination: string, ttl?: number): TransportSender {
  if (socket.family === 4) return new Ipv4Sender(socket, { headerIncluded: false, protocol, destination, ttl });
  const sender = new Ipv6Sender(socket, { headerIncluded: false, protocol, destination, hopLimit: ttl });
  return { send: (payload, perPacket) => sender.send(payload, perPacket?.ttl === undefined ? undefined : { hopLimit: perPacket.ttl }) };
}
