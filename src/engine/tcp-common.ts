// Pieces the hand-made TCP tools share: random ports and initial sequence
// numbers, and the summary of a segment that traces and events carry. Sequence
// arithmetic, checksum verdicts (offload included) and flag names are wire
// concepts: src/wire/tcp-sequence.ts, tcpChecksumVerdict and TCP_FLAG_NAMES.
import { randomInt } from 'node:crypto';
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
