// dissect and Wireshark must see the same packets. For every packet of every
// capture in fixtures/ (found at run time) and of captures the lab writes
// itself (craft -w output, right and deliberately wrong, and a fixture cut
// by the snaplen), the fields `dissect --json` reports are compared with
// what `tshark -T fields` reports: addresses, lengths, IP id/flags/TTL,
// checksums and their status, ICMP type/code/id/seq (both byte orders) and
// data length, TCP ports, raw and relative seq/ack, flags, window (raw and
// scaled), header length, options, stream index, UDP ports/length/checksum;
// IPv6 addresses, payload length, next header, hop limit, flow label, traffic
// class, fragment header, hop-by-hop options; ICMPv6 type/code/checksum,
// echo id/seq, MTU, NDP targets, flags and options, MLDv2 records.
// tshark's checksum checks are switched on so its status fields mean the same
// as ours (0 bad, 1 good, 2 unverified, 3 not present).
//
// Needs tshark; with CI=true a missing tshark fails the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason } from './helpers/ci-requirements.ts';
import { fixtureCaptureFiles } from './helpers/fixture-packets.ts';
import { writeArpCapture, writeCraftedCaptures, writeSnaplenCut } from './helpers/lab-captures.ts';
import { runTool, runTshark } from './helpers/run-tool.ts';

const skip = skipReason(['tshark'], { root: false });

/** The tshark fields compared, in the order they are asked for. */
const FIELDS = [
  'frame.len',
  'frame.cap_len',
  'ip.src',
  'ip.dst',
  'ip.len',
  'ip.id',
  'ip.flags',
  'ip.ttl',
  'ip.proto',
  'ip.checksum',
  'ip.checksum.status',
  'icmp.type',
  'icmp.code',
  'icmp.checksum',
  'icmp.checksum.status',
  'icmp.ident',
  'icmp.ident_le',
  'icmp.seq',
  'icmp.seq_le',
  'data.len',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.stream',
  'tcp.seq',
  'tcp.seq_raw',
  'tcp.ack',
  'tcp.ack_raw',
  'tcp.hdr_len',
  'tcp.flags',
  'tcp.window_size_value',
  'tcp.window_size',
  'tcp.len',
  'tcp.checksum',
  'tcp.checksum.status',
  'tcp.urgent_pointer',
  'tcp.option_kind',
  'tcp.options.mss_val',
  'tcp.options.wscale.shift',
  'tcp.options.timestamp.tsval',
  'tcp.options.timestamp.tsecr',
  'udp.srcport',
  'udp.dstport',
  'udp.length',
  'udp.checksum',
  'udp.checksum.status',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.plen',
  'ipv6.nxt',
  'ipv6.hlim',
  'ipv6.flow',
  'ipv6.tclass',
  'ipv6.hopopts.nxt',
  'ipv6.opt.type',
  'ipv6.opt.router_alert',
  'ipv6.fraghdr.nxt',
  'ipv6.fraghdr.offset',
  'ipv6.fraghdr.more',
  'ipv6.fraghdr.ident',
  'icmpv6.type',
  'icmpv6.code',
  'icmpv6.checksum',
  'icmpv6.checksum.status',
  'icmpv6.echo.identifier',
  'icmpv6.echo.sequence_number',
  'icmpv6.mtu',
  'icmpv6.nd.ns.target_address',
  'icmpv6.nd.na.target_address',
  'icmpv6.nd.na.flag',
  'icmpv6.nd.ra.cur_hop_limit',
  'icmpv6.nd.ra.router_lifetime',
  'icmpv6.opt.type',
  'icmpv6.opt.linkaddr',
  'icmpv6.opt.mtu',
  'icmpv6.opt.prefix',
  'icmpv6.mldr.nb_mcast_records',
  'icmpv6.mldr.mar.record_type',
  'icmpv6.mldr.mar.multicast_address',
] as const;

type Field = (typeof FIELDS)[number];
type Values = Partial<Record<Field, string[]>>;

const TSHARK_OPTIONS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

function tsharkValues(path: string): Values[] {
  const args = ['-r', path, '-n', ...TSHARK_OPTIONS, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-E', 'separator=/t'];
  for (const field of FIELDS) args.push('-e', field);
  const run = runTshark(args);
  expect(run.status, `tshark -r ${path}`).toBe(0);
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const columns = line.split('\t');
      const values: Values = {};
      FIELDS.forEach((field, i) => {
        if (columns[i]) values[field] = columns[i].split(',');
      });
      return values;
    });
}

// ---------------------------------------------------------------------------
// Our side: dissect --json, turned into the same fields.

type Json = Record<string, any>;

const hex = (value: number, digits: number): string => `0x${value.toString(16).padStart(digits, '0')}`;
const STATUS: Record<string, string> = { incorrect: '0', correct: '1', unverified: '2', 'not-present': '3' };
const swap16 = (v: number): number => ((v & 0xff) << 8) | (v >>> 8);

const OPTION_KIND: Record<string, number> = { eol: 0, nop: 1, mss: 2, 'window-scale': 3, 'sack-permitted': 4, sack: 5, timestamps: 8 };

function optionLength(option: Json): number {
  switch (option.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'window-scale':
      return 3;
    case 'sack-permitted':
      return 2;
    case 'sack':
      return 2 + 8 * option.blocks.length;
    case 'timestamps':
      return 10;
    case 'unknown':
      return 2 + option.data.length / 2;
    default:
      return option.bytes.length / 2;
  }
}

function add(values: Values, field: Field, value: string | number): void {
  (values[field] ??= []).push(String(value));
}

function addIpv4(values: Values, ip: Json): void {
  add(values, 'ip.src', ip.source);
  add(values, 'ip.dst', ip.destination);
  add(values, 'ip.len', ip.totalLength);
  add(values, 'ip.id', hex(ip.identification, 4));
  const flags = (ip.flags.reserved ? 4 : 0) | (ip.flags.dontFragment ? 2 : 0) | (ip.flags.moreFragments ? 1 : 0);
  add(values, 'ip.flags', hex(flags, 2));
  add(values, 'ip.ttl', ip.ttl);
  add(values, 'ip.proto', ip.protocol);
  add(values, 'ip.checksum', hex(ip.checksum.value, 4));
  add(values, 'ip.checksum.status', STATUS[ip.checksum.status]);
}

/** `quoted`: the ICMP message sits inside an ICMP error, where Wireshark never verifies its checksum. */
function addIcmp(values: Values, icmp: Json, quoted: boolean): void {
  add(values, 'icmp.type', icmp.type);
  add(values, 'icmp.code', icmp.code);
  add(values, 'icmp.checksum', hex(icmp.checksum.value, 4));
  add(values, 'icmp.checksum.status', quoted ? '2' : STATUS[icmp.checksum.status]);
  if (icmp.identifier !== undefined) {
    add(values, 'icmp.ident', icmp.identifier);
    add(values, 'icmp.ident_le', swap16(icmp.identifier));
    add(values, 'icmp.seq', icmp.sequence);
    add(values, 'icmp.seq_le', swap16(icmp.sequence));
  }
}

/** A segment an ICMP error quotes is shown by Wireshark with raw numbers only (no relative seq, no length). */
function addTcp(values: Values, tcp: Json, quoted: boolean): void {
  add(values, 'tcp.srcport', tcp.sourcePort);
  add(values, 'tcp.dstport', tcp.destinationPort);
  if (!quoted) add(values, 'tcp.stream', tcp.stream);
  add(values, 'tcp.seq', quoted ? tcp.sequenceNumber : tcp.relativeSequenceNumber);
  if (!quoted) add(values, 'tcp.seq_raw', tcp.sequenceNumber);
  add(values, 'tcp.ack', quoted ? tcp.acknowledgmentNumber : tcp.relativeAcknowledgmentNumber);
  add(values, 'tcp.ack_raw', tcp.acknowledgmentNumber);
  add(values, 'tcp.hdr_len', tcp.headerLength);
  add(values, 'tcp.flags', hex((tcp.reserved << 9) | tcp.flags, 4));
  add(values, 'tcp.window_size_value', tcp.window);
  add(values, 'tcp.window_size', quoted ? tcp.window : tcp.calculatedWindow);
  if (!quoted) add(values, 'tcp.len', tcp.payloadLength);
  add(values, 'tcp.checksum', hex(tcp.checksum.value, 4));
  add(values, 'tcp.checksum.status', STATUS[tcp.checksum.status]);
  add(values, 'tcp.urgent_pointer', tcp.urgentPointer);
  const options = tcp.options as Json[];
  for (const option of options) {
    if (option.kind === 'raw') continue;
    add(values, 'tcp.option_kind', option.kind === 'unknown' ? option.type : OPTION_KIND[option.kind]);
    if (option.kind === 'mss') add(values, 'tcp.options.mss_val', option.value);
    if (option.kind === 'window-scale') add(values, 'tcp.options.wscale.shift', option.shift);
    if (option.kind === 'timestamps') {
      add(values, 'tcp.options.timestamp.tsval', option.value);
      add(values, 'tcp.options.timestamp.tsecr', option.echoReply);
    }
  }
  // Wireshark lists every zero byte after End of Option List as one more EOL; dissect calls them padding.
  if (options.some((o) => o.kind === 'eol')) {
    const padding = tcp.headerLength - 20 - options.reduce((n, o) => n + optionLength(o), 0);
    for (let i = 0; i < padding; i++) add(values, 'tcp.option_kind', 0);
  }
}

function addUdp(values: Values, udp: Json): void {
  add(values, 'udp.srcport', udp.sourcePort);
  add(values, 'udp.dstport', udp.destinationPort);
  add(values, 'udp.length', udp.length);
  add(values, 'udp.checksum', hex(udp.checksum.value, 4));
  add(values, 'udp.checksum.status', STATUS[udp.checksum.status]);
}

function addIpv6(values: Values, ip: Json): void {
  add(values, 'ipv6.src', ip.source);
  add(values, 'ipv6.dst', ip.destination);
  add(values, 'ipv6.plen', ip.payloadLength);
  add(values, 'ipv6.nxt', ip.nextHeader);
  add(values, 'ipv6.hlim', ip.hopLimit);
  add(values, 'ipv6.flow', hex(ip.flowLabel, 6));
  add(values, 'ipv6.tclass', hex(ip.trafficClass, 8));
  for (const header of ip.extensionHeaders as Json[]) {
    if (header.kind === 'hop-by-hop') {
      add(values, 'ipv6.hopopts.nxt', header.nextHeader);
      for (const option of header.options as Json[]) {
        add(values, 'ipv6.opt.type', hex(option.type, 2));
        if (option.type === 5) add(values, 'ipv6.opt.router_alert', parseInt(option.data, 16));
      }
    }
    if (header.kind === 'fragment') {
      add(values, 'ipv6.fraghdr.nxt', header.nextHeader);
      add(values, 'ipv6.fraghdr.offset', header.fragmentOffset);
      add(values, 'ipv6.fraghdr.more', header.moreFragments ? 1 : 0);
      add(values, 'ipv6.fraghdr.ident', hex(header.identification, 8));
    }
  }
}

const NDP_OPTION_TYPE: Record<string, number> = { 'source-link-layer-address': 1, 'target-link-layer-address': 2, 'prefix-information': 3, mtu: 5, 'recursive-dns-server': 25 };

/** `quoted`: inside an ICMPv6 error, where Wireshark never verifies the checksum. */
function addIcmpv6(values: Values, icmp: Json, quoted: boolean): void {
  add(values, 'icmpv6.type', icmp.type);
  add(values, 'icmpv6.code', icmp.code);
  add(values, 'icmpv6.checksum', hex(icmp.checksum.value, 4));
  add(values, 'icmpv6.checksum.status', quoted ? '2' : STATUS[icmp.checksum.status]);
  if (icmp.identifier !== undefined) {
    add(values, 'icmpv6.echo.identifier', hex(icmp.identifier, 4));
    add(values, 'icmpv6.echo.sequence_number', icmp.sequence);
  }
  if (icmp.mtu !== undefined) add(values, 'icmpv6.mtu', icmp.mtu);
  if (icmp.type === 135) add(values, 'icmpv6.nd.ns.target_address', icmp.target);
  if (icmp.type === 136) {
    add(values, 'icmpv6.nd.na.target_address', icmp.target);
    add(values, 'icmpv6.nd.na.flag', hex(((icmp.router ? 0x8000_0000 : 0) | (icmp.solicited ? 0x4000_0000 : 0) | (icmp.override ? 0x2000_0000 : 0) | icmp.reserved) >>> 0, 8));
  }
  if (icmp.type === 134) {
    add(values, 'icmpv6.nd.ra.cur_hop_limit', icmp.currentHopLimit);
    add(values, 'icmpv6.nd.ra.router_lifetime', icmp.routerLifetime);
  }
  for (const option of (icmp.options ?? []) as Json[]) {
    add(values, 'icmpv6.opt.type', option.kind === 'raw' ? option.type : NDP_OPTION_TYPE[option.kind]);
    if (option.address !== undefined) add(values, 'icmpv6.opt.linkaddr', option.address);
    if (option.kind === 'mtu') add(values, 'icmpv6.opt.mtu', option.mtu);
    if (option.kind === 'prefix-information') add(values, 'icmpv6.opt.prefix', option.prefix);
  }
  if (icmp.records !== undefined) {
    add(values, 'icmpv6.mldr.nb_mcast_records', icmp.records.length);
    for (const record of icmp.records as Json[]) {
      add(values, 'icmpv6.mldr.mar.record_type', record.recordType);
      add(values, 'icmpv6.mldr.mar.multicast_address', record.multicastAddress);
    }
  }
}

function ourValues(packet: Json): Values {
  const values: Values = {};
  add(values, 'frame.len', packet.frameLength);
  add(values, 'frame.cap_len', packet.capturedLength);
  if (packet.ipv4) addIpv4(values, packet.ipv4);
  const quoted = packet.icmp?.quoted;
  if (quoted) addIpv4(values, quoted.ipv4);
  if (packet.icmp) addIcmp(values, packet.icmp, false);
  if (quoted?.icmp) addIcmp(values, quoted.icmp, true);
  if (quoted?.tcp) addTcp(values, quoted.tcp, true);
  if (quoted?.udp) addUdp(values, quoted.udp);
  if (packet.ipv6) addIpv6(values, packet.ipv6);
  const quoted6 = packet.icmpv6?.quoted;
  if (quoted6) addIpv6(values, quoted6.ipv6);
  if (packet.icmpv6) addIcmpv6(values, packet.icmpv6, false);
  if (quoted6?.icmpv6) addIcmpv6(values, quoted6.icmpv6, true);
  if (quoted6?.tcp) addTcp(values, quoted6.tcp, true);
  if (quoted6?.udp) addUdp(values, quoted6.udp);
  if (packet.tcp) addTcp(values, packet.tcp, false);
  if (packet.udp) addUdp(values, packet.udp);
  // Data Wireshark shows as "Data": ICMP data after any timestamp, and UDP payloads (TCP payloads go to protocol dissectors).
  if (packet.icmp && packet.icmp.dataLength > 0) add(values, 'data.len', packet.icmp.dataLength);
  if (quoted?.icmp && quoted.icmp.dataLength > 0) add(values, 'data.len', quoted.icmp.dataLength);
  if (quoted?.udp && quoted.udp.payloadLength > 0) add(values, 'data.len', quoted.udp.payloadLength);
  if (packet.icmpv6 && packet.icmpv6.dataLength > 0) add(values, 'data.len', packet.icmpv6.dataLength);
  if (quoted6?.icmpv6 && quoted6.icmpv6.dataLength > 0) add(values, 'data.len', quoted6.icmpv6.dataLength);
  if (quoted6?.udp && quoted6.udp.payloadLength > 0) add(values, 'data.len', quoted6.udp.payloadLength);
  if (packet.udp && packet.udp.payloadLength > 0) add(values, 'data.len', packet.udp.payloadLength);
  // A fragment that does not complete its datagram: Wireshark shows its payload as "Data".
  if (packet.ipv4?.fragment && !packet.ipv4.reassembled) add(values, 'data.len', packet.ipv4.totalLength - packet.ipv4.headerLength);
  return values;
}

/** Fields Wireshark fills from its own analysis where it cannot agree by construction (see the notes at the call). */
function comparable(ours: Values, theirs: Values, packet: Json): { ours: Values; theirs: Values } {
  const drop = new Set<Field>();
  // Wireshark gives a segment quoted by an ICMP error a stream of its own and shifts later indexes.
  if (packet.icmp?.quoted?.tcp) drop.add('tcp.stream');
  // TCP payload goes to Wireshark's protocol dissectors (HTTP, ...), not to "data"; so does UDP to port 53 (DNS).
  if (packet.tcp) drop.add('data.len');
  if (packet.udp && (packet.udp.sourcePort === 53 || packet.udp.destinationPort === 53)) drop.add('data.len');
  // IPv6 fragments are not reassembled here; Wireshark reassembles them and shows the whole
  // message in the last fragment (its lengths, checksum and data), so only the headers are compared.
  if (packet.ipv6?.fragment) {
    for (const field of FIELDS) if (!field.startsWith('ipv6.') && !field.startsWith('frame.')) drop.add(field);
    drop.add('ipv6.plen');
  }
  const keep = (values: Values) => Object.fromEntries(Object.entries(values).filter(([field]) => !drop.has(field as Field))) as Values;
  return { ours: keep(ours), theirs: keep(theirs) };
}

const dir = mkdtempSync(join(tmpdir(), 'packet-lab-agreement-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip !== undefined)(`dissect agrees with tshark field by field${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const files: string[] = [];

  beforeAll(async () => {
    files.push(...fixtureCaptureFiles());
    files.push(...Object.values(writeCraftedCaptures(dir)));
    const arp = join(dir, 'arp.pcap');
    writeArpCapture(arp);
    files.push(arp);
    const cut = join(dir, 'iputils-ping-snaplen-60.pcap');
    await writeSnaplenCut(fixtureCaptureFiles().find((f) => f.endsWith('/iputils-ping.pcap'))!, cut, 60);
    files.push(cut);
    const cutTcp = join(dir, 'curl-http-snaplen-70.pcap');
    await writeSnaplenCut(fixtureCaptureFiles().find((f) => f.endsWith('/curl-http.pcap'))!, cutTcp, 70);
    files.push(cutTcp);
  }, 120_000);

  it('finds captures to compare: every fixture plus the lab-written ones', () => {
    expect(files.filter((f) => f.includes('/fixtures/')).length).toBeGreaterThanOrEqual(10);
    expect(files.length).toBeGreaterThan(20);
  });

  it('reports the same fields as tshark for every packet of every capture', () => {
    const run = runTool('dissect', ['--json', ...files]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const byFile = new Map<string, Json[]>();
    for (const line of run.stdout.trim().split('\n')) {
      const packet = JSON.parse(line) as Json;
      expect(packet.error, `${packet.file}: ${JSON.stringify(packet.error)}`).toBeUndefined();
      if (!byFile.has(packet.file)) byFile.set(packet.file, []);
      byFile.get(packet.file)!.push(packet);
    }
    let compared = 0;
    let comparedIpv6 = 0;
    let comparedIcmpv6 = 0;
    const disagreements: string[] = [];
    for (const file of files) {
      const ours = byFile.get(file) ?? [];
      const theirs = tsharkValues(file);
      expect(ours.length, `${file}: packet count`).toBe(theirs.length);
      ours.forEach((packet, i) => {
        const pair = comparable(ourValues(packet), theirs[i], packet);
        for (const field of FIELDS) {
          const a = (pair.ours[field] ?? []).join(',');
          const b = (pair.theirs[field] ?? []).join(',');
          if (a !== b) disagreements.push(`${file.split('/').pop()} #${packet.number} ${field}: dissect '${a}' tshark '${b}'`);
        }
        compared++;
        if (pair.theirs['ipv6.src']) comparedIpv6++;
        if (pair.theirs['icmpv6.type']) comparedIcmpv6++;
      });
    }
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(250);
    expect(comparedIpv6).toBeGreaterThan(80);
    expect(comparedIcmpv6).toBeGreaterThan(40);
    // The lossy-transfer fixtures hold over 2,000 frames: tshark alone takes tens of seconds on a busy machine.
  }, 240_000);
});

