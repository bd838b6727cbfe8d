// What `craft` does: build the packet from its fields, show it through the
// same dissector and views as dissect, optionally write it to a pcap, and
// with --send put it on the wire and show the answer the same way.

import { buildCraftedPacket, buildCraftedTransport, frameForLink, withAddresses } from '../crafting/craft-request.ts';
import { sendAndWait } from '../crafting/send-and-wait.ts';
import { type RecordedFrame, WireRecording } from '../crafting/wire-recording.ts';
import { compareBuiltAndSent, datagramOf, ipv6DatagramOf, isSentCopyOf, sameBytes, transportBytesOf } from '../dissection/built-vs-sent.ts';
import { CaptureDissector } from '../dissection/capture-dissector.ts';
import type { DissectedPacket } from '../dissection/packet-model.ts';
import { closeSync } from 'node:fs';
import { PcapWriter } from '../io/pcap-file.ts';
import { openOutputFile } from '../net/output-file.ts';
import { dropPrivilegesToInvokingUser } from '../net/privileges.ts';
import { interfaceForAddress, resolveHost, sourceAddressFor, withoutScope } from '../net/routes.ts';
import { packetLayouts } from '../dissection/header-layout.ts';
import { headerFieldLines } from '../render/header-diagram.ts';
import { buildIpv6 } from '../wire/ipv6.ts';
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

const TRANSPORT_NAMES = { icmp: 'ICMP message', icmp6: 'ICMPv6 message', tcp: 'TCP segment', udp: 'UDP datagram' } as const;

/** The BPF filter for what craft records: its packet and answers (ICMP errors come from any router). */
function recordingFilter(destination: string, version: 4 | 6): string {
  return version === 4 ? `ip and (host ${destination} or icmp)` : `ip6 and (host ${destination} or icmp6)`;
}

/** The field listing of an IPv6 packet, from its diagrams' fields, when dissect's tree could not decode it. */
function ipv6FieldLines(packet: DissectedPacket): string[] {
  if (packet.ipv4 || packet.ipv6 || !ipv6DatagramOf(packet)) return [];
  return packetLayouts(packet).flatMap((layout) => headerFieldLines(layout));
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
    const version = request.ip.version;

    // With --send the destination (unless given) is the host, and the source the one the kernel will use.
    let destination = request.ip.destination;
    let routeSource: string | undefined;
    if (options.send !== undefined) {
      const address = withoutScope((await resolveHost(options.send, { family: version })).address);
      if (options.destinationGiven && address !== destination) {
        out.write(`note: --dst ${destination} is in the packet, but it is sent to ${address}\n`);
      }
      destination = address;
      routeSource = await sourceAddressFor(address);
      const source = options.sourceGiven ? request.ip.source : withoutScope(routeSource);
      request = withAddresses(request, source, options.destinationGiven ? request.ip.destination : address);
      if (options.sourceGiven && !options.headerIncluded) {
        out.write(`note: without --hdrincl the kernel writes its own source address; --src ${source} only feeds the checksum\n`);
      }
      if (version === 6 && options.headerIncluded && !options.sourceGiven) {
        // IPPROTO_RAW fills in nothing: the source must be in the packet, and it is the route's.
        out.write(`note: the IPv6 header is sent as built, with the route's source ${source}\n`);
      }
    }

    const packet = buildCraftedPacket(request);
    const { linkType, frame } = frameForLink(packet.datagram, options.link, version);
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
      const text = packetViewText(dissected, options.views, 6, style);
      const fields = options.views.tree ? ipv6FieldLines(dissected) : [];
      if (fields.length === 0) out.write(text);
      else {
        // The tree's frame and link lines, then the IPv6 fields, then the other views.
        const [tree, ...rest] = text.split('\n\n');
        out.write(`${[`${tree.trimEnd()}\n${fields.join('\n')}`, ...rest].join('\n\n').trimEnd()}\n`);
      }
    };

    const structJson =
      (request.protocol === 'icmp' || request.protocol === 'icmp6') && request.struct
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
    if (!options.json && (request.protocol === 'icmp' || request.protocol === 'icmp6') && request.struct) {
      out.write(`${structExplanationLines(request.struct).join('\n')}\n\n`);
    }
    if (!options.json) {
      out.write(`${TRANSPORT_NAMES[request.protocol]}, ${packet.transport.length} bytes (what sendto() gets without --hdrincl):\n  ${spacedHex(packet.transport)}\n\n`);
    }
    const kindName = request.protocol === 'icmp6' ? 'ICMPv6' : request.protocol.toUpperCase();
    show(`Crafted ${kindName} packet (${packet.datagram.length} bytes with its IPv${version} header)`, crafted, 'crafted', structJson);

    const summary = (fields: Record<string, unknown>) => {
      if (options.json) out.write(`${formatRecord({ type: 'summary', tool: 'craft', ...fields } as JsonRecord)}\n`);
    };
    if (options.send === undefined) {
      if (outputFd !== undefined) openWriter(linkType).write(frame, createdMs);
      summary({ sent: false, written: writer ? 1 : 0 });
      if (writer && !options.json) out.write(`\nwrote 1 packet to ${options.write} (${linkType === LINKTYPE.RAW ? `raw IPv${version}` : 'Ethernet'})\n`);
      return 0;
    }

    // -w and --show-wire record the packet as it leaves: the capture is open before it is sent. IPv6
    // always records: its raw sockets deliver answers without their header, the capture has it.
    const showWire = options.write !== undefined || options.showWire;
    if (showWire || version === 6) {
      const device = interfaceForAddress(routeSource!) ?? 'any';
      try {
        recording = WireRecording.open(device, recordingFilter(destination, version));
      } catch (error) {
        // Without -w/--show-wire the capture only adds the answer's real IPv6 header: go on without it.
        if (showWire) throw error;
      }
    }

    // Without IP_HDRINCL the kernel's header carries the real source: the checksum must be computed with it.
    const transport = options.headerIncluded ? packet.transport : buildCraftedTransport(request, request.ip.source);
    const outcome = await sendAndWait({
      probe: { protocol: request.protocol, family: version, destination, transport },
      bytes: options.headerIncluded ? packet.datagram : transport,
      headerIncluded: options.headerIncluded,
      ...(options.headerIncluded ? {} : { ttl: request.ip.version === 4 ? request.ip.ttl : request.ip.hopLimit }),
      keepIcmpv6Checksum: request.protocol === 'icmp6' && request.checksum !== undefined,
      waitMs: options.waitMs,
      onSocketsOpen: () => dropPrivilegesToInvokingUser(env),
    });
    const how = options.headerIncluded
      ? version === 4
        ? 'whole datagram, IP_HDRINCL'
        : 'whole datagram, IPPROTO_RAW'
      : `kernel-built IPv${version} header`;
    if (!options.json) out.write(`\nsent ${outcome.bytesSent} bytes to ${destination} (${how})\n`);

    let onWire: WireFrames | undefined;
    if (recording) {
      onWire = await framesOnWire(recording, crafted, outcome.answer?.bytes, version);
      recording.close();
      const where = recording.device === 'any' ? 'any interface' : `on ${recording.device}`;
      if (!showWire) {
        // Recorded only to read the answer's IPv6 header.
      } else if (!onWire.sent) {
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
      if (showWire && outputFd !== undefined) {
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
      // An IPv6 socket gives no header: one is rebuilt from recvfrom's address and the hop limit, and said so.
      const datagram =
        version === 4
          ? answer.bytes
          : buildIpv6({ protocol: answer.protocol, source: withoutScope(answer.source), destination: request.ip.source, hopLimit: Math.max(answer.hopLimit, 0) }, answer.bytes);
      if (version === 6 && !options.json) out.write(style.warn('\nthe capture missed the answer: its IPv6 header below is rebuilt from the socket\'s address and hop limit\n'));
      const { linkType: answerLink, frame: answerFrame } = frameForLink(datagram, options.link, version);
      dissected = dissector.dissect(frameInput(answerFrame, answerLink, answer.receivedAtMs));
    }
    const rttMs = answer.receivedAtMs - outcome.sentAtMs;
    const label = answer.kind === 'reply' ? 'Answer' : `Answer: an ICMP${version === 6 ? 'v6' : ''} error quoting the packet`;
    if (!options.json) out.write('\n');
    show(`${label} from ${withoutScope(answer.source)} after ${rttMs.toFixed(3)} ms`, dissected, answer.kind === 'reply' ? 'answer' : 'icmp-error', { rttMs });
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
 * first after it holding what the socket received (the datagram over IPv4,
 * the transport bytes over IPv6).
 */
async function framesOnWire(recording: WireRecording, crafted: DissectedPacket, answerBytes: Uint8Array | undefined, version: 4 | 6): Promise<WireFrames> {
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
      else if (found.sent && !found.answer && answerBytes && sameBytes(version === 4 ? datagramOf(packet) : transportBytesOf(packet), answerBytes)) {
        found = { ...found, answerFrame: recorded, answer: packet };
      }
    }
    return found.sent !== undefined && (answerBytes === undefined || found.answer !== undefined);
  };
  await recording.waitUntil(scan, CAPTURE_GRACE_MS);
  return found;
}
