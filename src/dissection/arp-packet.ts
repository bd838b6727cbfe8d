// ARP (RFC 826) for Ethernet/IPv4, decoded here because src/wire has no ARP
// codec; dissect only needs to name who asks and who answers.
import { formatMacAddress } from '../wire/ethernet.ts';
import { read16 } from '../wire/header-fields.ts';
import { formatIpv4Address } from '../wire/ipv4-address.ts';
import { malformed, parsed, truncated, type ParseResult } from '../wire/parse-result.ts';

export interface ArpPacket {
  readonly hardwareType: number;
  readonly protocolType: number;
  readonly hardwareSize: number;
  readonly protocolSize: number;
  /** 1 request, 2 reply. */
  readonly opcode: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
  /** Bytes the ARP packet takes (28 for Ethernet/IPv4). */
  readonly length: number;
}

export function parseArp(bytes: Uint8Array): ParseResult<ArpPacket> {
  if (bytes.length < 8) return truncated('arp', `need 8 header bytes, have ${bytes.length}`, bytes.length);
  const hardwareSize = bytes[4];
  const protocolSize = bytes[5];
  if (hardwareSize !== 6 || protocolSize !== 4) {
    return malformed('arp', `only Ethernet/IPv4 ARP is decoded (address sizes ${hardwareSize}/${protocolSize})`, 4);
  }
  const length = 8 + 2 * (hardwareSize + protocolSize);
  if (bytes.length < length) return truncated('arp', `need ${length} bytes, have ${bytes.length}`, bytes.length);
  return parsed({
    hardwareType: read16(bytes, 0),
    protocolType: read16(bytes, 2),
    hardwareSize,
    protocolSize,
    opcode: read16(bytes, 6),
    senderMac: formatMacAddress(bytes, 8),
    senderIp: formatIpv4Address(bytes, 14),
    targetMac: formatMacAddress(bytes, 18),
    targetIp: formatIpv4Address(bytes, 24),
    length,
  });
}
