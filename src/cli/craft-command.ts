// What `craft` does: build the packet from its fields, show it through the
// same dissector and views as dissect, optionally write it to a pcap, and
// with --send put it on the wire and show the answer the same way.

import { type SentProbe } from '../crafting/answer-matching.ts';
import { buildCraftedPacket, buildCraftedTransport, type CraftRequest, frameForLink } from '../crafting/craft-request.ts';
import { sendAndWait } from '../crafting/send-and-wait.ts';
import { CaptureDissector } from '../dissection/capture-dissector.ts';
import type { DissectedPacket } from '../dissection/packet-model.ts';
import { PcapWriter } from '../io/pcap-file.ts';
import { openOutputFile } from '../net/output-file.ts';
import { dropPrivilegesToInvokingUser } from '../net/privileges.ts';
import { resolveIpv4, sourceAddressFor } from '../net/routes.ts';
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

export async function runCraftCommand(args: readonly string[], sink: ByteSink, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseCraftArguments(args);
  const out = new BufferedTextOutput(sink);
  let writer: PcapWriter | undefined;
  try {
    if (parsed.help) {
      out.write(CRAFT_USAGE);
      return 0;
    }
    const options = parsed;
    if (options.write !== undefined) {
      // Opened before anything is printed, so a path that cannot be written is the only output.
      const { linkType } = frameForLink(new Uint8Array(0), options.link);
      writer = PcapWriter.onDescriptorSync(openOutputFile(options.write, env), options.write, { linkType });
    }
    const style = options.json ? styleFor({}, env) : styleFor(sink, env);
    let request = options.request;

    // With --send the destination (unless given) is the host, and the source the one the kernel will use.
    let destination = request.ip.destination;
    if (options.send !== undefined) {
      const address = await resolveIpv4(options.send);
      if (options.destinationGiven && address !== destination) {
        out.write(`note: --dst ${destination} is in the packet, but it is sent to ${address}\n`);
      }
      destination = address;
      const source = options.sourceGiven ? request.ip.source : await sourceAddressFor(address);
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

    writer?.write(frame, createdMs);
    const summary = (fields: Record<string, unknown>) => {
      if (options.json) out.write(`${formatRecord({ type: 'summary', tool: 'craft', ...fields } as JsonRecord)}\n`);
    };
    if (options.send === undefined) {
      summary({ sent: false, written: writer ? 1 : 0 });
      if (writer && !options.json) out.write(`\nwrote 1 packet to ${options.write} (${linkType === LINKTYPE.RAW ? 'raw IPv4' : 'Ethernet'})\n`);
      return 0;
    }

    // Without IP_HDRINCL the kernel's header carries the real source: the checksum must be computed with it.
    const transport = options.headerIncluded ? packet.transport : buildCraftedTransport(request, request.ip.source);
    const outcome = await sendAndWait({
      probe: probeFor({ ...request, ip: { ...request.ip, destination } }, transport),
      bytes: options.headerIncluded ? packet.datagram : transport,
      headerIncluded: options.headerIncluded,
      waitMs: options.waitMs,
      onSocketsOpen: () => dropPrivilegesToInvokingUser(env),
    });
    const how = options.headerIncluded ? 'whole datagram, IP_HDRINCL' : 'kernel-built IPv4 header';
    if (!options.json) out.write(`\nsent ${outcome.bytesSent} bytes to ${destination} (${how})\n`);
    if (!outcome.answer) {
      if (options.json) out.write(`${formatRecord({ type: 'timeout', destination, waitedMs: options.waitMs })}\n`);
      else out.write(style.warn(`no answer within ${options.waitMs / 1000} s\n`));
      summary({ sent: true, destination, bytesSent: outcome.bytesSent, answered: false, written: writer ? 1 : 0 });
      return 1;
    }
    const answer = outcome.answer;
    const { linkType: answerLink, frame: answerFrame } = frameForLink(answer.datagram, options.link);
    const dissected = dissector.dissect(frameInput(answerFrame, answerLink, answer.receivedAtMs));
    writer?.write(answerFrame, answer.receivedAtMs);
    const rttMs = answer.receivedAtMs - outcome.sentAtMs;
    const label = answer.kind === 'reply' ? 'Answer' : 'Answer: an ICMP error quoting the packet';
    if (!options.json) out.write('\n');
    show(`${label} from ${dissected.ipv4?.packet.source ?? '?'} after ${rttMs.toFixed(3)} ms`, dissected, answer.kind === 'reply' ? 'answer' : 'icmp-error', { rttMs });
    if (writer && !options.json) out.write(`\nwrote 2 packets to ${options.write}\n`);
    summary({ sent: true, destination, bytesSent: outcome.bytesSent, answered: true, rttMs, written: writer ? 2 : 0 });
    return 0;
  } finally {
    writer?.closeSync();
    out.flush();
  }
}
