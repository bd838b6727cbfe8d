// Pieces the hand-made TCP tools share: random ports and initial sequence
// numbers, and the summary of a segment that traces and events carry. Sequence
// arithmetic, checksum verdicts (offload included) and flag names are wire
// concepts: src/wire/tcp-sequence.ts, tcpChecksumVerdict and TCP_FLAG_NAMES.
import { randomInt } from 'node:crypto';
import { Ipv4Sender, type Ipv4PerPacket } from '../net/ipv4-sender.ts';
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
 * IPv6 has no IP_HDRINCL on a protocol socket: the kernel always writes the
 * header (source from the route, IPV6_UNICAST_HOPS as the hop limit), and
 * sendto() gets the transport bytes, whose checksum the tool computed over
 * the IPv6 pseudo-header (TCP, UDP; the kernel does ICMPv6's itself).
 */
class Ipv6KernelHeaderSender implements TransportSender {
  private hopLimit: number | undefined;

  constructor(
    private readonly socket: Pick<PacketSocket, 'send' | 'setTtl'>,
    private readonly destination: string,
    hopLimit?: number,
  ) {
    if (hopLimit !== undefined) this.setHopLimit(hopLimit);
  }

  private setHopLimit(hopLimit: number): void {
    this.socket.setTtl(hopLimit);
    this.hopLimit = hopLimit;
  }

  send(payload: Uint8Array, perPacket?: Pick<Ipv4PerPacket, 'ttl'>): number {
    if (perPacket?.ttl !== undefined && perPacket.ttl !== this.hopLimit) this.setHopLimit(perPacket.ttl);
    return this.socket.send(payload, this.destination);
  }
}

/**
 * A sender for `socket`'s family with the kernel writing the IP header:
 * IPv4 through Ipv4Sender (which also offers IP_HDRINCL), IPv6 straight to sendto().
 */
export function kernelHeaderSender(socket: PacketSocket, protocol: number, destination: string, ttl?: number): TransportSender {
  if (socket.family === 6) return new Ipv6KernelHeaderSender(socket, destination, ttl);
  return new Ipv4Sender(socket, { headerIncluded: false, protocol, destination, ttl });
}
