// Capture files the lab writes itself, for the dissect and Wireshark
// agreement tests: packets from `craft ... -w` (right and deliberately wrong
// ones, raw-IP and Ethernet framing) and a copy of a fixture cut by a small
// snaplen.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureFile } from '../../src/io/pcap-file.ts';
import { buildEthernet, ETHERTYPE } from '../../src/wire/ethernet.ts';
import { LINKTYPE } from '../../src/wire/link-type.ts';
import { encodePcap } from '../../src/wire/pcap.ts';
import { fromHex } from './hex.ts';
import { runTool } from './run-tool.ts';

/** craft arguments (before -w) for each file, named by what they hold. */
export const CRAFTED: Record<string, readonly string[]> = {
  'echo-seed': ['icmp', '--id', '0x1234', '--seq', '1'],
  'echo-struct-qq': ['icmp', '--id', '0x6679', '--seq', '1', '--struct', '!QQ', '0x48656c6c6f', '0x20776f726c6421'],
  'echo-text': ['icmp', '--id', '0x6679', '--seq', '1', '--payload', 'Hello world!'],
  'echo-bad-checksum': ['icmp', '--id', '7', '--seq', '9', '--checksum', '0xdead', '--payload', 'x'],
  'echo-reply-ethernet': ['icmp', '--type', 'echo-reply', '--id', '300', '--seq', '65535', '--pattern', 'ff00a5', '--size', '40', '--link', 'ethernet'],
  'timestamp-request': ['icmp', '--type', '13', '--id', '5', '--seq', '6', '--payload-hex', '000000010000000200000003'],
  'tcp-syn-options': ['tcp', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--sport', '42946', '--dport', '8080', '--seq', '1000', '--flags', 'S', '--mss', '1460', '--sackok', '--ts', '123:0', '--nop', '--wscale', '10'],
  'tcp-data-psh-ack': ['tcp', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--flags', 'PA', '--seq', '5', '--ack', '77', '--window', '512', '--data', 'GET / HTTP/1.0\r\n\r\n', '--df', '--ttl', '3', '--ip-id', '0xbeef'],
  'tcp-offload-partial': ['tcp', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--checksum', '0x141d'],
  'tcp-bad-checksum-urg-eol': ['tcp', '--src', '192.168.8.10', '--dst', '192.168.8.1', '--flags', 'fin,psh,urg', '--urg', '3', '--checksum', '0xbeef', '--nop', '--eol', '--reserved', '5', '--link', 'ethernet'],
  'tcp-bad-ip-checksum': ['tcp', '--ip-checksum', '0x1234', '--flags', 'R', '--window', '0'],
};

/** Writes every CRAFTED file into `dir`; returns their paths. Throws when craft fails. */
export function writeCraftedCaptures(dir: string): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [name, args] of Object.entries(CRAFTED)) {
    const path = join(dir, `${name}.pcap`);
    const run = runTool('craft', [...args, '-w', path]);
    if (run.status !== 0) throw new Error(`craft ${args.join(' ')} failed (${run.status}): ${run.stderr}${run.stdout}`);
    paths[name] = path;
  }
  return paths;
}

/** A copy of a classic pcap with every record cut to `snaplen` bytes (original lengths kept). */
export async function writeSnaplenCut(source: string, target: string, snaplen: number): Promise<void> {
  const records = [];
  let linkType = 1;
  for await (const record of readCaptureFile(source)) {
    linkType = record.linkType;
    records.push({ data: record.data, originalLength: record.originalLength, timestamp: { seconds: record.timestampSeconds, fraction: record.timestampFraction } });
  }
  writeFileSync(target, encodePcap({ linkType, snaplen }, records));
}

/** An ARP request (broadcast) and its reply, Ethernet-framed: src/wire has no ARP builder, so the bytes are spelt out. */
export function writeArpCapture(path: string): void {
  const request = fromHex('0001 0800 06 04 0001  02706c010001 0a000001  000000000000 0a000002');
  const reply = fromHex('0001 0800 06 04 0002  02706c010002 0a000002  02706c010001 0a000001');
  const frames = [
    buildEthernet({ destination: 'ff:ff:ff:ff:ff:ff', source: '02:70:6c:01:00:01', etherType: ETHERTYPE.ARP }, request),
    buildEthernet({ destination: '02:70:6c:01:00:01', source: '02:70:6c:01:00:02', etherType: ETHERTYPE.ARP }, reply),
  ];
  writeFileSync(path, encodePcap({ linkType: LINKTYPE.ETHERNET }, frames.map((data, i) => ({ data, timestamp: { seconds: 1_700_000_000, fraction: i * 1000 } }))));
}
