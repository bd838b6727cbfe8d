// sniff (live capture through cap), readPcap and writePcap for the API. Every
// packet is dissected in order by one dissector per capture, so show() and
// summary() print the frame numbers, relative times and request/response
// links dissect prints for the same file.

import { CaptureDissector } from '../dissection/capture-dissector.ts';
import { openCaptureFile, PcapWriter } from '../io/pcap-file.ts';
import { LiveCapture } from '../net/capture.ts';
import { openOutputFile } from '../net/output-file.ts';
import { LayerFieldError } from '../wire/layers.ts';
import { LINKTYPE } from '../wire/link-type.ts';
import { type CapturedFrame, LabPacket } from './lab-packet.ts';

export interface SniffOptions {
  /** Interface to capture on (default 'lo'). */
  readonly iface?: string;
  /** A BPF filter in tcpdump syntax (default: everything). */
  readonly filter?: string;
  /** Stop after this many packets. */
  readonly count?: number;
  /** Stop after this many ms. At least one of count and timeout is needed, so a sniff always ends. */
  readonly timeout?: number;
  /** Called with each packet as it arrives (scapy's prn). */
  readonly onPacket?: (packet: LabPacket) => void;
}

/**
 * Captures packets until `count` have arrived or `timeout` ms have passed.
 * The capture is open once sniff() returns its promise, so traffic sent
 * after the call is seen: `const got = sniff({...}); await sr1(p); await got`.
 */
export function sniff(options: SniffOptions = {}): Promise<LabPacket[]> {
  const { iface = 'lo', filter = '', count, timeout, onPacket } = options;
  if (count === undefined && timeout === undefined) {
    return Promise.reject(new LayerFieldError('sniff needs a count or a timeout (ms) so that it ends, e.g. sniff({ count: 1, timeout: 2000 })'));
  }
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) {
    return Promise.reject(new LayerFieldError(`sniff count must be a positive integer, not ${String(count)}`));
  }
  if (timeout !== undefined && !(timeout >= 0)) return Promise.reject(new LayerFieldError(`sniff timeout must be ms >= 0, not ${String(timeout)}`));
  let capture: LiveCapture;
  try {
    capture = LiveCapture.open({ device: iface, filter });
  } catch (error) {
    return Promise.reject(error);
  }
  const dissector = new CaptureDissector();
  const packets: LabPacket[] = [];
  return new Promise<LabPacket[]>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (timer) clearTimeout(timer);
      capture.close();
      resolve(packets);
    };
    capture.onPacket((bytes, timestampNs, truncated) => {
      if (count !== undefined && packets.length >= count) return;
      const seconds = Number(timestampNs / 1_000_000_000n);
      const frame: CapturedFrame = {
        data: Uint8Array.from(bytes), // cap reuses its buffer
        linkType: capture.linkType,
        timestampSeconds: seconds,
        timestampFraction: Number((timestampNs % 1_000_000_000n) / 1000n),
        fractionsPerSecond: 1e6,
        // cap does not say how long a cut frame was; a cut one is at least one byte longer.
        originalLength: truncated ? bytes.length + 1 : bytes.length,
      };
      const packet = LabPacket.fromFrame(frame, dissector);
      packets.push(packet);
      onPacket?.(packet);
      if (count !== undefined && packets.length >= count) setImmediate(finish);
    });
    if (timeout !== undefined) timer = setTimeout(finish, timeout);
  });
}

/** Every packet of a pcap or pcapng file, dissected as dissect dissects it. */
export async function readPcap(path: string): Promise<LabPacket[]> {
  const file = await openCaptureFile(path);
  const dissector = new CaptureDissector();
  const packets: LabPacket[] = [];
  try {
    for await (const record of file) {
      packets.push(
        LabPacket.fromFrame(
          {
            data: record.data,
            linkType: record.linkType,
            timestampSeconds: record.timestampSeconds,
            timestampFraction: record.timestampFraction,
            fractionsPerSecond: record.fractionsPerSecond,
            originalLength: record.originalLength,
          },
          dissector,
        ),
      );
    }
  } finally {
    await file.close();
  }
  return packets;
}

/**
 * Writes packets to a classic pcap file. Captured packets keep their frames
 * and times when they all share a link type; otherwise (or for built ones)
 * each is written as raw IP (LINKTYPE_RAW, IPv4 or IPv6). Under sudo the file is the
 * invoking user's and never written through a symlink (net/output-file.ts).
 */
export function writePcap(path: string, packets: LabPacket | readonly LabPacket[]): number {
  const list: readonly LabPacket[] = Array.isArray(packets) ? packets : [packets as LabPacket];
  const linkTypes = new Set(list.map((p) => p.origin?.frame.linkType));
  const keepFrames = linkTypes.size === 1 && !linkTypes.has(undefined);
  const linkType = keepFrames ? list[0].origin!.frame.linkType : LINKTYPE.RAW;
  // Nanosecond stamps (a pcapng or ns pcap read back) keep their digits.
  const nanosecond = list.some((p) => (p.origin?.frame.fractionsPerSecond ?? 0) > 1e6);
  const writer = PcapWriter.onDescriptorSync(openOutputFile(path), path, { linkType, nanosecond });
  try {
    for (const packet of list) {
      const frame = packet.origin?.frame;
      if (keepFrames && frame) writer.writeRecord(frame);
      else writer.write(packet.build(), packet.timeMs !== undefined ? packet.timeMs : undefined);
    }
  } finally {
    writer.closeSync();
  }
  return list.length;
}
