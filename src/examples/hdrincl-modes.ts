// sudo npx tsx src/examples/hdrincl-modes.ts [--json] HOST
//
// The two ways a raw socket sends IPv4, side by side, checked against a
// capture of what really left: one ICMP echo request with the kernel writing
// the IPv4 header, and three with IP_HDRINCL, where we write it (once with the
// fields Linux fills in left at 0, once with every field set, once with DF
// and identification 0). Prints, per
// field, what we wrote and what the capture shows, and whether HOST answered.
// Needs root (raw sockets and capture) and the cap binding.
import { parseArgs } from 'node:util';
import { runCli, UsageError } from '../cli/run-cli.ts';
import { LiveCapture, loadCapModule } from '../net/capture.ts';
import { Ipv4Sender } from '../net/ipv4-sender.ts';
import { IPPROTO_ICMP, RawSocket } from '../net/raw-socket.ts';
import { interfaceForAddress, resolveIpv4, sourceAddressFor } from '../net/routes.ts';
import { buildIcmpEcho, IcmpType, parseIcmp } from '../wire/icmp.ts';
import { buildIpv4, IpProtocol, ipv4PacketFromView, Ipv4View, parseIpv4, type Ipv4Packet } from '../wire/ipv4.ts';
import { decodeLinkLayer } from '../wire/link-type.ts';

interface Trial {
  readonly name: string;
  readonly sequence: number;
  /** The IPv4 header as we wrote it; absent when the kernel writes it. */
  readonly written?: Ipv4Packet;
  wire?: Ipv4Packet;
  answered: boolean;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('usage: hdrincl-modes [--json] HOST');
  const destination = await resolveIpv4(positionals[0]);
  const source = await sourceAddressFor(destination);
  const device = interfaceForAddress(source) ?? 'any';
  loadCapModule();
  const identifier = 0x4844; // "HD"
  const trials: Trial[] = [
    { name: 'kernel header', sequence: 1, answered: false },
    { name: 'IP_HDRINCL, zeros', sequence: 2, answered: false },
    { name: 'IP_HDRINCL, all set', sequence: 3, answered: false },
    { name: 'IP_HDRINCL, DF, id 0', sequence: 4, answered: false },
  ];

  const capture = LiveCapture.open({ device, filter: `icmp and host ${destination}` });
  const socket = RawSocket.open({ protocol: IPPROTO_ICMP });
  capture.onPacket((frame) => {
    const link = decodeLinkLayer(capture.linkType, frame);
    if (!link.ok || link.value.protocol !== 0x0800) return;
    const ip = parseIpv4(link.value.payload);
    if (!ip.ok) return;
    const icmp = parseIcmp(ip.value.payload);
    if (!icmp.ok || icmp.value.kind !== 'echo' || icmp.value.identifier !== identifier) return;
    const trial = trials.find((t) => t.sequence === (icmp.value as { sequence: number }).sequence);
    if (!trial) return;
    if (icmp.value.type === IcmpType.EchoRequest && !trial.wire) trial.wire = { ...ip.value, options: Uint8Array.from(ip.value.options) };
    if (icmp.value.type === IcmpType.EchoReply) trial.answered = true;
  });
  socket.onPacket(() => {});
  const echo = (sequence: number) => buildIcmpEcho({ identifier, sequence, payload: 'packet-lab IP_HDRINCL demo' });

  try {
    // 1. The kernel writes the header (source from the route, IP_TTL, its identification, DF, checksum).
    new Ipv4Sender(socket, { headerIncluded: false, protocol: IpProtocol.ICMP, destination }).send(echo(1));

    // 2. IP_HDRINCL with what Linux fills in left at zero: total length and
    //    checksum (always filled), identification and source (filled when 0).
    //    IP_TTL is set to 7 first: with IP_HDRINCL it is ignored (ip(7)).
    socket.setHeaderIncluded(true);
    socket.setTtl(7);
    const zeros = buildIpv4({ protocol: IpProtocol.ICMP, source: '0.0.0.0', destination, ttl: 33, identification: 0, totalLength: 0, checksum: 0 }, echo(2));
    trials[1] = { ...trials[1], written: headerOf(zeros) };
    socket.send(zeros, destination);

    // 3. IP_HDRINCL with every field set: the reusable sender, as ping --hdrincl would use it.
    const sender = new Ipv4Sender(socket, {
      headerIncluded: true,
      protocol: IpProtocol.ICMP,
      source,
      destination,
      ttl: 33,
      tos: 0x10,
      identification: 0x1234,
      dontFragment: true,
    });
    trials[2] = { ...trials[2], written: headerOf(sender.frame(echo(3))) };
    sender.send(echo(3));

    // 4. Identification 0 with DF set: Linux leaves it 0 (an atomic datagram
    //    needs no ID, RFC 6864); raw(7)'s "filled in when zero" is for the rest.
    const atomic = buildIpv4({ protocol: IpProtocol.ICMP, source, destination, ttl: 33, identification: 0, flags: { dontFragment: true } }, echo(4));
    trials[3] = { ...trials[3], written: headerOf(atomic) };
    socket.send(atomic, destination);
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    socket.close();
    capture.close();
  }

  const fields: Array<[string, (h: Ipv4Packet) => string]> = [
    ['total length', (h) => String(h.totalLength)],
    ['identification', (h) => `0x${h.identification.toString(16).padStart(4, '0')}`],
    ['flags', (h) => (h.flags.dontFragment ? 'DF' : '-')],
    ['ttl', (h) => String(h.ttl)],
    ['tos', (h) => `0x${(h.dscp * 4 + h.ecn).toString(16).padStart(2, '0')}`],
    ['header checksum', (h) => `0x${h.checksum.toString(16).padStart(4, '0')}${h.checksumValid ? '' : ' (wrong)'}`],
    ['source', (h) => h.source],
  ];
  if (values.json) {
    for (const trial of trials) {
      const row = (h: Ipv4Packet | undefined) => (h ? Object.fromEntries(fields.map(([name, get]) => [name, get(h)])) : undefined);
      process.stdout.write(`${JSON.stringify({ mode: trial.name, written: row(trial.written), wire: row(trial.wire), answered: trial.answered })}\n`);
    }
    return trials.every((t) => t.answered) ? 0 : 1;
  }
  const width = 26;
  const cell = (text: string) => text.padEnd(width);
  process.stdout.write(`ICMP echo requests to ${destination} from ${source} on ${device}; "wrote -> wire" per field\n\n`);
  process.stdout.write(`${`${cell('field')}${trials.map((t) => cell(t.name)).join('')}`.trimEnd()}\n`);
  for (const [name, get] of fields) {
    const cells = trials.map((t) => {
      const wire = t.wire ? get(t.wire) : '(not captured)';
      return cell(t.written ? `${get(t.written)} -> ${wire}` : `(kernel) ${wire}`);
    });
    process.stdout.write(`${`${cell(name)}${cells.join('')}`.trimEnd()}\n`);
  }
  process.stdout.write(`${`${cell('answered')}${trials.map((t) => cell(t.answered ? 'yes' : 'no')).join('')}`.trimEnd()}\n`);
  return trials.every((t) => t.answered) ? 0 : 1;
}

/**
 * The header of a packet we built, read even when its total length is a
 * deliberate 0: an unchecked view reads the fields as written, where
 * parseIpv4 would refuse the packet.
 */
function headerOf(packet: Uint8Array): Ipv4Packet {
  return ipv4PacketFromView(new Ipv4View().pointUnchecked(packet));
}

runCli('hdrincl-modes', main);
