// --show-wire for the tools that build their own packets (ping, tcp-probe,
// tcp-get): craft's built-vs-sent view (src/dissection/built-vs-sent.ts)
// for the first packet(s) of a run. A capture opens on the route's interface
// before the first send; the tool hands over each datagram it built as it
// would look with the header the lab would have written; at the end each is
// matched to its copy that left and compared field by field.

import { type RecordedFrame, WireRecording } from '../crafting/wire-recording.ts';
import { compareBuiltAndSent, datagramOf, type HeaderWriter, ipv6DatagramOf, isSentCopyOf } from '../dissection/built-vs-sent.ts';
import { CaptureDissector } from '../dissection/capture-dissector.ts';
import type { DissectedPacket } from '../dissection/packet-model.ts';
import { builtVsSentLines } from '../render/built-vs-sent.ts';
import { hexDumpLines, hexString } from '../render/hex-dump.ts';
import type { TextStyle } from '../render/terminal-style.ts';
import { buildIpv4 } from '../wire/ipv4.ts';
import { buildIpv6 } from '../wire/ipv6.ts';
import { LINKTYPE } from '../wire/link-type.ts';
import { interfaceForAddress, withoutScope } from '../net/routes.ts';
import type { JsonRecord } from './json-output.ts';

/** libpcap hands frames over a little after the kernel sent them. */
const CAPTURE_GRACE_MS = 1000;

function frameInput(data: Uint8Array, linkType: number, timeMs: number) {
  const seconds = Math.floor(timeMs / 1000);
  return { data, linkType, capturedLength: data.length, originalLength: data.length, timestampSeconds: seconds, timestampFraction: Math.floor((timeMs - seconds * 1000) * 1000), fractionsPerSecond: 1e6 };
}

const recordedTimeMs = (frame: RecordedFrame): number => Number(frame.timestampNs / 1000n) / 1000;

interface BuiltPacket {
  /** What the packet is, for the heading: "the first echo request". */
  readonly label: string;
  readonly built: DissectedPacket;
  /** Whether a captured frame is the answer to show after it (ping's reply), if any. */
  readonly isAnswer?: (packet: DissectedPacket, built: DissectedPacket) => boolean;
}

/** The header a tool would write around its transport bytes: the lab's defaults (id 0, no DF, TTL 64) unless given. */
export interface BuiltHeader {
  readonly family: 4 | 6;
  readonly protocol: number;
  readonly source: string;
  readonly destination: string;
  readonly ttl?: number;
  readonly tos?: number;
  readonly dontFragment?: boolean;
}

/** The datagram as the lab would have built it: what the kernel's copy is compared with. */
export function builtDatagram(header: BuiltHeader, transport: Uint8Array): Uint8Array {
  const source = withoutScope(header.source);
  const destination = withoutScope(header.destination);
  return header.family === 6
    ? buildIpv6({ protocol: header.protocol, source, destination, hopLimit: header.ttl ?? 64, trafficClass: header.tos ?? 0 }, transport)
    : buildIpv4({ protocol: header.protocol, source, destination, ttl: header.ttl ?? 64, tos: header.tos ?? 0, flags: { dontFragment: header.dontFragment ?? false } }, transport);
}

export class ShowWire {
  private readonly dissector = new CaptureDissector();
  private readonly packets: BuiltPacket[] = [];

  private constructor(private readonly recording: WireRecording) {}

  /** Opens the capture on the interface of `source` (before privileges are dropped); throws PrivilegeError or a one-line Error. */
  static open(source: string | undefined, filter: string): ShowWire {
    const device = (source === undefined ? undefined : interfaceForAddress(source)) ?? 'any';
    return new ShowWire(WireRecording.open(device, filter));
  }

  /** Notes a datagram the tool built (IP header first), to be compared with its copy on the wire. */
  noteBuilt(label: string, datagram: Uint8Array, isAnswer?: BuiltPacket['isAnswer']): void {
    const built = this.dissector.dissect(frameInput(Uint8Array.from(datagram), LINKTYPE.RAW, Date.now()));
    this.packets.push({ label, built, isAnswer });
  }

  get noted(): number {
    return this.packets.length;
  }

  /**
   * Waits for every noted packet's copy (and answer) to come through the
   * capture, closes it, and returns the text or the JSON records.
   */
  async finish(writer: HeaderWriter, output: { readonly json: boolean; readonly style: TextStyle }): Promise<{ readonly lines: string[]; readonly records: JsonRecord[] }> {
    const dissected: DissectedPacket[] = [];
    const sent: (DissectedPacket | undefined)[] = this.packets.map(() => undefined);
    const answers: (DissectedPacket | undefined)[] = this.packets.map(() => undefined);
    const scan = (frames: readonly RecordedFrame[]): boolean => {
      while (dissected.length < frames.length) {
        const frame = frames[dissected.length];
        const packet = this.dissector.dissect(frameInput(frame.data, this.recording.linkType, recordedTimeMs(frame)));
        dissected.push(packet);
        this.packets.forEach((p, i) => {
          if (!sent[i] && isSentCopyOf(p.built, packet)) sent[i] = packet;
          else if (sent[i] && !answers[i] && p.isAnswer?.(packet, p.built)) answers[i] = packet;
        });
      }
      return this.packets.every((p, i) => sent[i] !== undefined && (p.isAnswer === undefined || answers[i] !== undefined));
    };
    try {
      await this.recording.waitUntil(scan, CAPTURE_GRACE_MS);
    } finally {
      this.recording.close();
    }
    const device = this.recording.device;
    const where = device === 'any' ? 'any interface' : `on ${device}`;
    const lines: string[] = [];
    const records: JsonRecord[] = [];
    this.packets.forEach((p, i) => {
      const copy = sent[i];
      if (!copy) {
        records.push({ type: 'built-vs-sent', device, captured: false, built: hexString(datagramOf(p.built)) } as JsonRecord);
        lines.push(output.style.warn(`${p.label}: the capture ${where} did not see it leave: nothing to compare`));
        return;
      }
      const comparison = compareBuiltAndSent(p.built, copy, writer);
      const answer = answers[i];
      records.push({
        type: 'built-vs-sent',
        device,
        captured: true,
        built: hexString(comparison.built),
        sent: hexString(comparison.sent),
        changes: comparison.changes.map((c) => ({ ...c })),
        ...(answer ? { answer: hexString(datagramOf(answer)) } : {}),
      } as JsonRecord);
      lines.push(`${p.label}:`, ...builtVsSentLines(comparison, where, output.style));
      if (answer) {
        const bytes = datagramOf(answer);
        lines.push(`  its answer as captured (${bytes.length} bytes):`, ...hexDumpLines(bytes).map((line) => `    ${line}`));
      } else if (p.isAnswer) {
        lines.push('  no answer captured');
      }
      lines.push('');
    });
    if (lines.at(-1) === '') lines.pop();
    return { lines, records };
  }

  close(): void {
    this.recording.close();
  }
}

/** An echo request's or reply's type, identifier and sequence, as one key (undefined for anything else). */
export function echoKey(packet: DissectedPacket, type?: number): string | undefined {
  const message = packet.icmp?.message ?? ipv6DatagramOf(packet)?.icmpv6?.message;
  if (!message || !('identifier' in message) || !('sequence' in message)) return undefined;
  return `${type ?? message.type}/${message.identifier}/${message.sequence}`;
}
