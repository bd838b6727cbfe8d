// ARP codec (RFC 826): view, parser and builder.
//
//   0 hardware type (2) | 2 protocol type (2) | 4 hardware size (1) |
//   5 protocol size (1) | 6 opcode (2) | 8 sender hardware address |
//   sender protocol address | target hardware address | target protocol address
//
// The address fields' sizes come from bytes 4 and 5, so the view reads any
// ARP header; the parser decodes the one this lab meets, 6-byte hardware and
// IPv4 protocol addresses (Ethernet, and IEEE 802 networks that share its
// MACs), and returns a typed error for other sizes or protocols. The builder
// fills the sizes unless the caller sets them.

import { formatMacAddress, macAddressBytes, type MacAddressInput } from './ethernet.ts';
import { checkUnsignedField, write16 } from './header-fields.ts';
import { HeaderView } from './header-view.ts';
import { formatIpv4Address, ipv4AddressBytes, type Ipv4AddressInput } from './ipv4-address.ts';
import { malformedError, parsed, truncatedError, type ParseError, type ParseResult } from './parse-result.ts';

// Field offsets (RFC 826): smoltcp's `mod field`. The addresses follow at
// offsets that depend on the two sizes; see ArpView.
export const ArpField = {
  HARDWARE_TYPE: 0,
  PROTOCOL_TYPE: 2,
  HARDWARE_SIZE: 4,
  PROTOCOL_SIZE: 5,
  OPCODE: 6,
  SENDER_HARDWARE_ADDRESS: 8,
} as const;
const { HARDWARE_TYPE, PROTOCOL_TYPE, HARDWARE_SIZE, PROTOCOL_SIZE, OPCODE, SENDER_HARDWARE_ADDRESS } = ArpField;

/** The fixed part before the addresses. */
export const ARP_FIXED_LENGTH = 8;
/** An Ethernet/IPv4 ARP packet. */
export const ARP_ETHERNET_IPV4_LENGTH = 28;

export const ArpHardwareType = { Ethernet: 1, Ieee802: 6 } as const;
export const ArpOpcode = { Request: 1, Reply: 2 } as const;

/** IPv4's EtherType, the protocol type ARP resolves here. */
const PROTOCOL_IPV4 = 0x0800;
const MAC_SIZE = 6;
const IPV4_SIZE = 4;

/**
 * A zero-copy view of an ARP packet at bytes[start, end). `point()` checks
 * the fixed 8 bytes and that the four addresses the sizes promise are there.
 */
export class ArpView extends HeaderView {
  point(bytes: Uint8Array, start = 0, end = bytes.length): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    const available = end - start;
    if (available < ARP_FIXED_LENGTH) return truncatedError('arp', `need ${ARP_FIXED_LENGTH} header bytes, have ${available}`, available);
    const length = this.packetLength;
    if (available < length) return truncatedError('arp', `need ${length} bytes, have ${available}`, available);
    return undefined;
  }

  get hardwareType(): number {
    return this.u16(HARDWARE_TYPE);
  }
  get protocolType(): number {
    return this.u16(PROTOCOL_TYPE);
  }
  get hardwareSize(): number {
    return this.u8(HARDWARE_SIZE);
  }
  get protocolSize(): number {
    return this.u8(PROTOCOL_SIZE);
  }
  /** 1 request, 2 reply (RFC 826); others from later RFCs (RARP, InARP). */
  get opcode(): number {
    return this.u16(OPCODE);
  }
  /** Bytes the packet takes by its sizes: 8 + 2 * (hardware + protocol). */
  get packetLength(): number {
    return ARP_FIXED_LENGTH + 2 * (this.u8(HARDWARE_SIZE) + this.u8(PROTOCOL_SIZE));
  }
  /** Index in `bytes` of each address. */
  get senderHardwareAt(): number {
    return this.start + SENDER_HARDWARE_ADDRESS;
  }
  get senderProtocolAt(): number {
    return this.senderHardwareAt + this.u8(HARDWARE_SIZE);
  }
  get targetHardwareAt(): number {
    return this.senderProtocolAt + this.u8(PROTOCOL_SIZE);
  }
  get targetProtocolAt(): number {
    return this.targetHardwareAt + this.u8(HARDWARE_SIZE);
  }
  /** True for the layout the parser decodes: 6-byte hardware and 4-byte IPv4 addresses. */
  get isEthernetIpv4(): boolean {
    return this.u8(HARDWARE_SIZE) === MAC_SIZE && this.u8(PROTOCOL_SIZE) === IPV4_SIZE && this.u16(PROTOCOL_TYPE) === PROTOCOL_IPV4;
  }
  /** Colon form of the sender's hardware address, any size. */
  get senderHardwareAddress(): string {
    return formatMacAddress(this.bytes, this.senderHardwareAt, this.u8(HARDWARE_SIZE));
  }
  get targetHardwareAddress(): string {
    return formatMacAddress(this.bytes, this.targetHardwareAt, this.u8(HARDWARE_SIZE));
  }
  /** Dotted quad; only meaningful when isEthernetIpv4. */
  get senderIpv4(): string {
    return formatIpv4Address(this.bytes, this.senderProtocolAt);
  }
  get targetIpv4(): string {
    return formatIpv4Address(this.bytes, this.targetProtocolAt);
  }
}

/** An Ethernet/IPv4 ARP packet as the parser reports it. */
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
  /** Bytes the ARP packet takes (28 for Ethernet/IPv4); what follows (Ethernet padding) is not ARP's. */
  readonly length: number;
}

/** What the builder takes: opcode and addresses; types default to Ethernet/IPv4, sizes are filled. */
export interface ArpPacketInit {
  hardwareType?: number;
  protocolType?: number;
  /** Filled with 6 unless given (a wrong size can be crafted; the addresses stay 6 and 4 bytes). */
  hardwareSize?: number;
  /** Filled with 4 unless given. */
  protocolSize?: number;
  opcode: number;
  senderMac: MacAddressInput;
  senderIp: Ipv4AddressInput;
  /** All zero in a request (RFC 5227 probes and most stacks); defaults to that. */
  targetMac?: MacAddressInput;
  targetIp: Ipv4AddressInput;
}

function checkField(name: string, value: number, bits: number): number {
  return checkUnsignedField('ARP', name, value, bits);
}

/** Parses an Ethernet/IPv4 ARP packet; never throws. Other address sizes or protocols are a 'malformed' error. */
export function parseArp(bytes: Uint8Array): ParseResult<ArpPacket> {
  const view = new ArpView();
  const error = view.point(bytes);
  if (error !== undefined) return { ok: false, error };
  if (!view.isEthernetIpv4) {
    return {
      ok: false,
      error: malformedError(
        'arp',
        `only Ethernet/IPv4 ARP is decoded (protocol 0x${view.protocolType.toString(16).padStart(4, '0')}, address sizes ${view.hardwareSize}/${view.protocolSize})`,
        HARDWARE_SIZE,
      ),
    };
  }
  return parsed({
    hardwareType: view.hardwareType,
    protocolType: view.protocolType,
    hardwareSize: view.hardwareSize,
    protocolSize: view.protocolSize,
    opcode: view.opcode,
    senderMac: view.senderHardwareAddress,
    senderIp: view.senderIpv4,
    targetMac: view.targetHardwareAddress,
    targetIp: view.targetIpv4,
    length: view.packetLength,
  });
}

/** Writes the 28-byte packet at buffer[offset]; returns the bytes written. Throws RangeError on a bad field. */
export function emitArpInto(buffer: Uint8Array, offset: number, packet: ArpPacketInit): number {
  if (offset < 0 || buffer.length - offset < ARP_ETHERNET_IPV4_LENGTH) {
    throw new RangeError(`ARP packet needs ${ARP_ETHERNET_IPV4_LENGTH} bytes at offset ${offset}; buffer has ${buffer.length - offset}`);
  }
  const senderMac = macAddressBytes(packet.senderMac);
  const senderIp = ipv4AddressBytes(packet.senderIp);
  const targetMac = packet.targetMac === undefined ? new Uint8Array(MAC_SIZE) : macAddressBytes(packet.targetMac);
  const targetIp = ipv4AddressBytes(packet.targetIp);
  const b = buffer;
  const o = offset;
  write16(b, o + HARDWARE_TYPE, checkField('hardwareType', packet.hardwareType ?? ArpHardwareType.Ethernet, 16));
  write16(b, o + PROTOCOL_TYPE, checkField('protocolType', packet.protocolType ?? PROTOCOL_IPV4, 16));
  b[o + HARDWARE_SIZE] = checkField('hardwareSize', packet.hardwareSize ?? MAC_SIZE, 8);
  b[o + PROTOCOL_SIZE] = checkField('protocolSize', packet.protocolSize ?? IPV4_SIZE, 8);
  write16(b, o + OPCODE, checkField('opcode', packet.opcode, 16));
  let at = o + SENDER_HARDWARE_ADDRESS;
  for (const address of [senderMac, senderIp, targetMac, targetIp]) {
    b.set(address, at);
    at += address.length;
  }
  return ARP_ETHERNET_IPV4_LENGTH;
}

/** The packet as a new 28-byte array; see emitArpInto. */
export function buildArp(packet: ArpPacketInit): Uint8Array {
  const bytes = new Uint8Array(ARP_ETHERNET_IPV4_LENGTH);
  emitArpInto(bytes, 0, packet);
  return bytes;
}
