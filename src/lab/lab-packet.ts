// The API's packets: the wire layer's composable Packet, plus the views
// dissect prints. show() is dissect -V's tree, summary() dissect's summary
// line, hexdump() its -x dump and toJSON() its --json packet object, all from
// the same dissector and renderers, so the API and the tools cannot disagree.
// A built packet is dissected as a raw IP frame (LINKTYPE_RAW, IPv4 or IPv6)
// numbered 1; a packet from a capture (sniff, readPcap) keeps the frame,
// number and time it had there.

import { CaptureDissector, type FrameInput } from '../dissection/capture-dissector.ts';
import type { DissectedPacket } from '../dissection/packet-model.ts';
import { fractionDigits } from '../render/capture-time.ts';
import { hexDumpLines } from '../render/hex-dump.ts';
import { formatSummaryLine } from '../render/packet-summary.ts';
import { packetViewText } from '../render/packet-views.ts';
import {
  type Icmp6Fields,
  type IcmpFields,
  type IpFields,
  type Ipv6Fields,
  type Layer,
  Packet,
  parseLayers,
  type TcpFields,
  type UdpFields,
} from '../wire/layers.ts';
import { decodeLinkLayer, LINKTYPE } from '../wire/link-type.ts';
import { formatRecord, packetRecord } from './packet-record.ts';

/** A frame as captured: its link-layer bytes and when it was seen. */
export interface CapturedFrame {
  readonly data: Uint8Array;
  readonly linkType: number;
  readonly timestampSeconds: number;
  readonly timestampFraction: number;
  readonly fractionsPerSecond: number;
  readonly originalLength: number;
}

/** Where a packet came from, when it did not come from the builder. */
export interface PacketOrigin {
  readonly frame: CapturedFrame;
  /** The dissection made in order with the packets before it (frame numbers, conversations, echo pairs). */
  readonly dissected: DissectedPacket;
  /** For an answer: ms from our send to its arrival, on the socket's clocks (the kernel's with the Linux binding). */
  readonly rttMs?: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

function frameOfTime(data: Uint8Array, linkType: number, timeMs: number): CapturedFrame {
  const seconds = Math.floor(timeMs / 1000);
  return {
    data,
    linkType,
    timestampSeconds: seconds,
    timestampFraction: Math.floor((timeMs - seconds * 1000) * 1000),
    fractionsPerSecond: 1e6,
    originalLength: data.length,
  };
}

function frameInput(frame: CapturedFrame): FrameInput {
  return { ...frame, capturedLength: frame.data.length };
}

/** The IPv4 or IPv6 datagram inside a frame, or undefined when the frame carries neither. */
export function ipDatagramOfFrame(data: Uint8Array, linkType: number): Uint8Array | undefined {
  const link = decodeLinkLayer(linkType, data);
  if (!link.ok) return undefined;
  if (link.value.kind === 'raw') return link.value.ipVersion === 4 || link.value.ipVersion === 6 ? link.value.payload : undefined;
  return link.value.protocol === ETHERTYPE_IPV4 || link.value.protocol === ETHERTYPE_IPV6 ? link.value.payload : undefined;
}

export class LabPacket extends Packet {
  /** Set on packets read from a capture or received: the frame and its dissection there. */
  readonly origin: PacketOrigin | undefined;
  private cachedDissection: DissectedPacket | undefined;

  constructor(layers: readonly Layer[], received?: Uint8Array, origin?: PacketOrigin) {
    super(layers, received);
    this.origin = origin;
  }

  /** A received IPv4 or IPv6 datagram (sr1's answer): parsed layers, bytes kept as they came. */
  static fromDatagram(datagram: Uint8Array, timeMs: number, rttMs?: number): LabPacket {
    const frame = frameOfTime(datagram, LINKTYPE.RAW, timeMs);
    return new LabPacket(parseLayers(datagram), datagram, { frame, dissected: new CaptureDissector().dissect(frameInput(frame)), rttMs });
  }

  /** A captured frame dissected by `dissector`, which has seen the frames before it. */
  static fromFrame(frame: CapturedFrame, dissector: CaptureDissector): LabPacket {
    const dissected = dissector.dissect(frameInput(frame));
    const datagram = ipDatagramOfFrame(frame.data, frame.linkType);
    const layers: Layer[] = datagram ? parseLayers(datagram) : [{ name: 'raw', fields: { load: frame.data } }];
    return new LabPacket(layers, datagram ?? frame.data, { frame, dissected });
  }

  /** Capture time in ms since the epoch; undefined for a packet that was only built. */
  get timeMs(): number | undefined {
    const f = this.origin?.frame;
    return f ? f.timestampSeconds * 1000 + (f.timestampFraction / f.fractionsPerSecond) * 1000 : undefined;
  }

  /** For an answer from sr1/sr: ms from sending the request to this answer's arrival. */
  get rttMs(): number | undefined {
    return this.origin?.rttMs;
  }

  /** The dissection the views print: the capture's, or this packet's bytes as raw IP frame 1. */
  dissection(): DissectedPacket {
    if (this.origin) return this.origin.dissected;
    // Stamped when first shown, as craft stamps the packet it builds.
    this.cachedDissection ??= new CaptureDissector().dissect(frameInput(frameOfTime(this.build(), LINKTYPE.RAW, Date.now())));
    return this.cachedDissection;
  }

  private digits(): number {
    return fractionDigits(this.dissection().frame.fractionsPerSecond);
  }

  /** dissect -V's field tree, as text (no trailing newline). */
  show(): string {
    return packetViewText(this.dissection(), { tree: true, hex: false, diagram: false, checksum: false }, this.digits()).trimEnd();
  }

  /** dissect's summary line. */
  summary(): string {
    return formatSummaryLine(this.dissection(), this.digits());
  }

  /** dissect -x's hex dump of the frame. */
  hexdump(): string {
    return hexDumpLines(this.dissection().data).join('\n');
  }

  /** dissect --json's packet object (bytes as hex included), ready for JSON.stringify. */
  toJSON(): Record<string, unknown> {
    const { record, msDecimals } = packetRecord(this.dissection(), { hex: true });
    // Through the tools' own replacer, so times are rounded and bytes are hex exactly as --json writes them.
    return JSON.parse(formatRecord(record, msDecimals)) as Record<string, unknown>;
  }

  /** What the shell and console.log print: the summary line. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `<${this.toString()}>  ${this.summary()}`;
  }
}

/** An IPv4 packet; add the layers above with .icmp(), .tcp(), .udp() and .payload(). */
export function ip(fields: IpFields = {}): LabPacket {
  return new LabPacket([]).ip(fields);
}

/** An IPv6 packet; add the layers above with .icmp6(), .tcp(), .udp() and .payload(). */
export function ipv6(fields: Ipv6Fields = {}): LabPacket {
  return new LabPacket([]).ipv6(fields);
}

/** An ICMPv6 message alone (no IPv6 layer): set chksum, or put it on ipv6() to get it computed. */
export function icmp6(fields: Icmp6Fields = {}): LabPacket {
  return new LabPacket([]).icmp6(fields);
}

/** An ICMP message alone (no IP layer). */
export function icmp(fields: IcmpFields = {}): LabPacket {
  return new LabPacket([]).icmp(fields);
}

/** A TCP segment alone: set chksum, or put it on ip() to get it computed. */
export function tcp(fields: TcpFields = {}): LabPacket {
  return new LabPacket([]).tcp(fields);
}

/** A UDP datagram alone: set chksum, or put it on ip() to get it computed. */
export function udp(fields: UdpFields = {}): LabPacket {
  return new LabPacket([]).udp(fields);
}
