// Pieces the hand-made TCP tools share: random ports and initial sequence
// numbers, checksum checks that know about checksum offload, and a compact
// view of a segment for traces and events. (Sequence arithmetic is a wire
// concept: src/wire/tcp-sequence.ts.)
import { randomInt } from 'node:crypto';
import { foldChecksum, verifyChecksum } from '../wire/checksum.ts';
import { ipv4AddressBytes } from '../wire/ipv4-address.ts';
import { ipv4PseudoHeaderSum } from '../wire/checksum.ts';
import { IpProtocol } from '../wire/ipv4.ts';
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

// ---------------------------------------------------------------------------
// Checksums

export type ChecksumStatus = 'valid' | 'offloaded' | 'bad';

/** The unfolded IPv4 pseudo-header sum for a TCP segment of `length` bytes. */
export function tcpIpv4PseudoSum(source: string | Uint8Array, destination: string | Uint8Array, length: number): number {
  return ipv4PseudoHeaderSum(ipv4AddressBytes(source), ipv4AddressBytes(destination), IpProtocol.TCP, length);
}

/**
 * Checks a received segment's checksum. 'offloaded' is a segment the sending
 * stack left for the NIC to finish (CHECKSUM_PARTIAL): on loopback, and on a
 * veth whose sender has tx checksum offload on, a raw socket gets the segment
 * with only the pseudo-header sum folded into the field (Linux's
 * __tcp_v4_send_check: `th->check = ~tcp_v4_check(len, saddr, daddr, 0)`).
 */
export function tcpChecksumStatus(segment: Uint8Array, pseudoSum: number): ChecksumStatus {
  if (verifyChecksum(segment, pseudoSum)) return 'valid';
  const field = (segment[16] << 8) | segment[17];
  return field === foldChecksum(pseudoSum) ? 'offloaded' : 'bad';
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

/** tcpdump's option list: `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`. */
export function formatTcpOptions(options: readonly TcpOption[]): string {
  return options
    .map((option) => {
      switch (option.kind) {
        case 'eol':
          return 'eol';
        case 'nop':
          return 'nop';
        case 'mss':
          return `mss ${option.value}`;
        case 'window-scale':
          return `wscale ${option.shift}`;
        case 'sack-permitted':
          return 'sackOK';
        case 'sack':
          return `sack ${option.blocks.length} ${option.blocks.map((b) => `{${b.left}:${b.right}}`).join('')}`;
        case 'timestamps':
          return `TS val ${option.value} ecr ${option.echoReply}`;
        case 'unknown':
          return `unknown-${option.type} ${Buffer.from(option.data).toString('hex')}`;
        case 'raw':
          return `raw ${Buffer.from(option.bytes).toString('hex')}`;
      }
    })
    .join(',');
}

/** tcpdump's flag letters: S, F, R, P, U, E, W (CWR), N (AE/NS), and '.' for ACK. */
export function tcpdumpFlags(flags: number): string {
  let text = '';
  if (flags & 0x02) text += 'S';
  if (flags & 0x01) text += 'F';
  if (flags & 0x04) text += 'R';
  if (flags & 0x08) text += 'P';
  if (flags & 0x20) text += 'U';
  if (flags & 0x40) text += 'E';
  if (flags & 0x80) text += 'W';
  if (flags & 0x100) text += 'N';
  if (flags & 0x10) text += '.';
  return text === '' ? 'none' : text;
}
