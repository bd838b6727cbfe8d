// What `craft` does: build the packet from its fields, show it through the
// same dissector and views as dissect, optionally write it to a pcap, and
// with --send put it on the wire and show the answer the same way.

import { type SentProbe } from '../crafting/answer-matching.ts';
import { buildCraftedPacket, buildCraftedTransport, type CraftRequest, frameForLink } from '../crafting/craft-request.ts';
import { sendAndWait } from '../crafting/send-and-wait.ts';
import { type RecordedFrame, WireRecording } from '../crafting/wire-recording.ts';
import { compareBuiltAndSent, datagramOf, isSentCopyOf } from '../dissection/built-vs-sent.ts';
import { CaptureDissector } from '../dissection/capture-dissector.ts';
import type { DissectedPacket } from '../dissection/packet-model.ts';
import { closeSync } from 'node:fs';
import { PcapWriter } from '../io/pcap-file.ts';
import { openOutputFile } from '../net/output-file.ts';
import { dropPrivilegesToInvokingUser } from '../net/privileges.ts';
import { interfaceForAddress, resolveIpv4, sourceAddressFor } from '../net/routes.ts';
import { builtVsSentLines } from '../render/built-vs-sent.ts';
import { hexString, spacedHex } from '../render/hex-dump.ts';
import { packetViewText } from '../render/packet-views.ts';
import { structExplanationLines } from '../render/struct-explanation.ts';
import { styleFor } from '../render/terminal-style.ts';
import { LINKTYPE } from '../wire/link-type.ts';
import { CRAFT_USAGE, parseCraftArguments } from './craft-arguments.ts';
import { formatRecord, type JsonRecord, packetRecord } from './json-output.ts';
import { BufferedTextOutput, type ByteSink } from './text-output.ts';

const nowMs = (): number => performance.timeOrigin + performance.now();

function frameInput(frame: Uint8Array, linkType: number, timeMs: number) {
  const seconds = Math.floor(timeMs / 1000);
  return {
    data: frame,
    linkType,
    capturedLength: frame.length,
    originalLength: frame.length,
    timestampSeconds: seconds,
    timestampFraction: Math.floor((timeMs - seconds * 1000) * 1000),
    fractionsPerSecond: 1e6,
  };
}

function probeFor(request: CraftRequest, transport: Uint8Array): SentProbe {
  return request.protocol === 'icmp'
    ? { protocol: 'icmp', destination: request.ip.destination, icmpType: request.type, identifier: request.identifier, sequence: request.sequence, transport }
    : { protocol: request.protocol, destination: request.ip.destination, sourcePort: request.sourcePort, destinationPort: request.destinationPort, transport };
}

const TRANSPORT_NAMES = { icmp: 'ICMP message', tcp: 'TCP segment', udp: 'UDP datagram' } as const;

/** The BPF filter for what craft records: its packet and answers (ICMP errors come from any router). */
function recordingFilter(destination: string): string {
  return `ip and (host ${destination} or icmp)`;
}

export async function runCraftCommand(args: readonly string[], sink: ByteSink, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseCraftArguments(args);
  const out = new BufferedTextOutput(sink);
  let outputFd: number | undefined;
  let writer: PcapWriter | undefined;
  let recording: WireRecording | undefined;
  try {
    if (parsed.help) {
      out.write(CRAFT_USAGE);
      return 0;
    }
    const options = parsed;
    // Opened before anything is printed, so a path that cannot be written is the only output.
    if (options.write !== undefined) outputFd = openOutputFile(options.write, env);
    const openWriter = (linkType: number): PcapWriter => {
      writer = PcapWriter.onDescriptorSync(outputFd!, options.write!, { linkType });
      outputFd = undefined;
      return writer;
    };
    const style = options.json ? styleFor({}, env) : styleFor(sink, env);
    let request = options.request;

    // With --send the destination (unless given) is the host, and the source the one the kernel will use.
    let destination = request.ip.destination;
    let routeSource: string | undefined;
    if (options.send !== undefined) {
      const address = await resolveIpv4(options.send);
      if (options.destinationGiven && address !== destination) {
        out.write(`note: --dst ${destination} is in the packet, but it is sent to ${address}\n`);
      }
      destination = address;
      routeSource = await sourceAddressFor(address);
      const source = options.sourceGiven ? request.ip.source : routeSource;
      request = { ...request, ip: { ...request.ip, source, destination: options.destinationGiven ? request.ip.destination : address } };
      if (options.sourceGiven && !options.headerIncluded) {
        out.write(`note: without --hdrincl the kernel writes its own source address; --src ${source} only feeds the checksum\n`);
      }
    }

    const packet = buildCraftedPacket(request);
    const { linkType, frame } = frameForLink(packet.datagram, options.link);
    const dissector = new CaptureDissector();
    const createdMs = nowMs();
    const crafted = dissector.dissect(frameInput(frame, linkType, createdMs));

    const show = (title: string, dissected: DissectedPacket, role: string, extra: Record<string, unknown> = {}) => {
      if (options.json) {
        const { record, msDecimals } = packetRecord(dissected, { hex: true, extra: { role, ...extra } });
        out.write(`${formatRecord(record, msDecimals)}\n`);
        return;
      }
      out.write(`${style.bold(title)}\n`);
      out.write(packetViewText(dissected, options.views, 6, style));
    };

    const structJson =
      request.protocol === 'icmp' && request.struct
        ? {
            struct: {
              format: request.struct.format,
              items: request.struct.items.map((item) => ({
                code: item.code,
                value: item.text,
                offset: item.offset,
                size: item.size,
                bytes: hexString(request.struct!.bytes.subarray(item.offset, item.offset + item.size)),
              })),
            },
          }
        : {};
    if (!options.json && request.protocol === 'icmp' && request.struct) {
      out.write(`${structExplanationLines(request.struct).join('\n')}\n\n`);
    }
    if (!options.json) {
      out.write(`${TRANSPORT_NAMES[request.protocol]}, ${packet.transport.length} bytes (what sendto() gets without --hdrincl):\n  ${spacedHex(packet.transport)}\n\n`);
    }
    show(`Crafted ${request.protocol.toUpperCase()} packet (${packet.datagram.length} bytes with its IPv4 header)`, crafted, 'crafted', structJson);

    const summary = (fields: Record<string, unknown>) => {
      if (options.json) out.write(`${formatRecord({ type: 'summary', tool: 'craft', ...fields } as JsonRecord)}\n`);
    };
    if (options.send === undefined) {
      if (outputFd !== undefined) openWriter(linkType).write(frame, createdMs);
      summary({ sent: false, written: writer ? 1 : 0 });
      if (writer && !options.json) out.write(`\nwrote 1 packet to ${options.write} (${linkType === LINKTYPE.RAW ? 'raw IPv4' : 'Ethernet'})\n`);
      return 0;
    }

    // -w and --show-wire record the packet as it leaves: the capture is open before it is sent.
    if (options.write !== undefined || options.showWire) {
      const device = interfaceForAddress(routeSource!) ?? 'any';
      recording = WireRecording.open(device, recordingFilter(destination));
    }

    // Without IP_HDRINCL the kernel's header carries the real source: the checksum must be computed with it.
    const transport = options.headerIncluded ? packet.transport : buildCraftedTransport(request, request.ip.source);
    const outcome = await sendAndWait({
      probe: probeFor({ ...request, ip: { ...request.ip, destination } }, transport),
      bytes: options.headerIncluded ? packet.datagram : transport,
      headerIncluded: options.headerIncluded,
      ...(options.headerIncluded ? {} : { ttl: request.ip.ttl }),
      waitMs: options.waitMs,
      onSocketsOpen: () => dropPrivilegesToInvokingUser(env),
    });
    const how = options.headerIncluded ? 'whole datagram, IP_HDRINCL' : 'kernel-built IPv4 header';
    if (!options.json) out.write(`\nsent ${outcome.bytesSent} bytes to ${destination} (${how})\n`);

    let onWire: WireFrames | undefined;
    if (recording) {
      onWire = await framesOnWire(recording, crafted, outcome.answer?.datagram);
      recording.close();
      const where = recording.device === 'any' ? 'any interface' : `on ${recording.device}`;
      if (!onWire.sent) {
        if (options.json) {
          out.write(`${formatRecord({ type: 'built-vs-sent', device: recording.device, captured: false, built: hexString(datagramOf(crafted)) } as JsonRecord)}\n`);
        } else {
          out.write(style.warn(`the capture ${where} did not see the packet leave: nothing to compare\n`));
        }
      } else {
        const comparison = compareBuiltAndSent(crafted, onWire.sent, options.headerIncluded ? 'hdrincl' : 'kernel');
        if (options.json) {
          out.write(
            `${formatRecord({
              type: 'built-vs-sent',
              device: recording.device,
              captured: true,
              built: hexString(comparison.built),
              sent: hexString(comparison.sent),
              changes: comparison.changes.map((c) => ({ ...c })),
            } as JsonRecord)}\n`,
          );
        } else {
          out.write(`\n${builtVsSentLines(comparison, where, style).join('\n')}\n`);
        }
      }
      if (outputFd !== undefined) {
        const file = openWriter(recording.linkType);
        for (const recorded of [onWire.sentFrame, onWire.answerFrame]) if (recorded) file.write(recorded.data, recorded.timestampNs);
      }
    }

    if (!outcome.answer) {
      if (options.json) out.write(`${formatRecord({ type: 'timeout', destination, waitedMs: options.waitMs })}\n`);
      else out.write(style.warn(`no answer within ${options.waitMs / 1000} s\n`));
      summary({ sent: true, destination, bytesSent: outcome.bytesSent, answered: false, written: writer?.recordsWritten ?? 0 });
      if (writer && !options.json) out.write(`\nwrote ${writer.recordsWritten} packet${writer.recordsWritten === 1 ? '' : 's'} to ${options.write}, as captured\n`);
      return 1;
    }
    const answer = outcome.answer;
    // The answer as captured when it was (with its link header), else as the socket read it.
    let dissected: DissectedPacket;
    if (onWire?.answer) {
      dissected = onWire.answer;
    } else {
      const { linkType: answerLink, frame: answerFrame } = frameForLink(answer.datagram, options.link);
      dissected = dissector.dissect(frameInput(answerFrame, answerLink, answer.receivedAtMs));
    }
    const rttMs = answer.receivedAtMs - outcome.sentAtMs;
    const label = answer.kind === 'reply' ? 'Answer' : 'Answer: an ICMP error quoting the packet';
    if (!options.json) out.write('\n');
    show(`${label} from ${dissected.ipv4?.packet.source ?? '?'} after ${rttMs.toFixed(3)} ms`, dissected, answer.kind === 'reply' ? 'answer' : 'icmp-error', { rttMs });
    if (writer && !options.json) out.write(`\nwrote ${writer.recordsWritten} packet${writer.recordsWritten === 1 ? '' : 's'} to ${options.write}, as captured\n`);
    summary({ sent: true, destination, bytesSent: outcome.bytesSent, answered: true, rttMs, written: writer?.recordsWritten ?? 0 });
    return 0;
  } finally {
    recording?.close();
    writer?.closeSync();
    if (outputFd !== undefined) closeSync(outputFd);
    out.flush();
  }
}

interface WireFrames {
  readonly sentFrame?: RecordedFrame;
  readonly sent?: DissectedPacket;
  readonly answerFrame?: RecordedFrame;
  readonly answer?: DissectedPacket;
}

/** How long libpcap may take to hand over frames the kernel has already sent or received. */
const CAPTURE_GRACE_MS = 1000;

/**
 * The packet as it left and its answer among the captured frames: the first
 * frame that is a copy of `crafted` (whatever the kernel filled in), and the
 * first after it holding the same datagram the socket received.
 */
async function framesOnWire(recording: WireRecording, crafted: DissectedPacket, answerDatagram: Uint8Array | undefined): Promise<WireFrames> {
  const dissector = new CaptureDissector();
  const dissected: DissectedPacket[] = [];
  let found: WireFrames = {};
  const scan = (frames: readonly RecordedFrame[]): boolean => {
    while (dissected.length < frames.length) {
      const recorded = frames[dissected.length];
      const timeMs = Number(recorded.timestampNs / 1000n) / 1000;
      const packet = dissector.dissect(frameInput(recorded.data, recording.linkType, timeMs));
      dissected.push(packet);
      if (!found.sent && isSentCopyOf(crafted, packet)) found = { sentFrame: recorded, sent: packet };
      else if (found.sent && !found.answer && answerDatagram && sameDatagram(datagramOf(packet), answerDatagram)) {
        found = { ...found, answerFrame: recorded, answer: packet };
      }
    }
    return found.sent !== undefined && (answerDatagram === undefined || found.answer !== undefined);
  };
  await recording.waitUntil(scan, CAPTURE_GRACE_MS);
  return found;
}

function sameDatagram(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
