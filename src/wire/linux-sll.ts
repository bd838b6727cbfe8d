// Linux "cooked" capture headers, written by libpcap for the "any" device and
// for interfaces without a usable link-layer header.
//
// SLL v1 (LINKTYPE_LINUX_SLL = 113), 16 bytes, all big-endian:
//   0 packet type (2) | 2 ARPHRD type (2) | 4 address length (2) |
//   6 address (8, zero-padded or cut at 8) | 14 protocol (2)
//
// SLL2 (LINKTYPE_LINUX_SLL2 = 276), 20 bytes, all big-endian:
//   0 protocol (2) | 2 reserved, MBZ (2) | 4 interface index (4) |
//   8 ARPHRD type (2) | 10 packet type (1) | 11 address length (1) |
//   12 address (8)
//
// The 8-byte address field is kept whole (padding included) so a header
// re-encodes byte for byte; sllAddress() gives the meaningful part.

import { formatMacAddress } from './ethernet.ts';
import { HeaderView } from './header-view.ts';
import { type ParseError, type ParseResult, parsed, truncated, truncatedError } from './parse-result.ts';

export const LINUX_SLL_HEADER_LENGTH = 16;
export const LINUX_SLL2_HEADER_LENGTH = 20;
export const SLL_ADDRESS_FIELD_LENGTH = 8;

// Field offsets: smoltcp's `mod field`.
export const LinuxSllField = {
  PACKET_TYPE: 0,
  ARPHRD_TYPE: 2,
  ADDRESS_LENGTH: 4,
  ADDRESS: 6,
  PROTOCOL: 14,
} as const;

export const LinuxSll2Field = {
  PROTOCOL: 0,
  RESERVED: 2,
  INTERFACE_INDEX: 4,
  ARPHRD_TYPE: 8,
  PACKET_TYPE: 10,
  ADDRESS_LENGTH: 11,
  ADDRESS: 12,
} as const;

/** sll_pkttype values. */
export const SLL_PACKET_TYPE = {
  HOST: 0,
  BROADCAST: 1,
  MULTICAST: 2,
  OTHERHOST: 3,
  OUTGOING: 4,
} as const;

/** A few ARPHRD_* values seen in cooked captures. */
export const ARPHRD = {
  ETHER: 1,
  LOOPBACK: 772,
  IPGRE: 778,
  NETLINK: 824,
  NONE: 0xfffe,
} as const;

export interface LinuxSllHeader {
  /** sll_pkttype: 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us. */
  readonly packetType: number;
  /** ARPHRD_ type of the interface (1 Ethernet, 772 loopback, ...). */
  readonly arphrdType: number;
  /** Link-layer address length as written; may exceed 8 (only 8 bytes are stored). */
  readonly addressLength: number;
  /** The 8-byte address field as on the wire; bytes past addressLength are padding. */
  readonly address: Uint8Array;
  /** Protocol: an EtherType, or a Linux ETH_P_ value below 0x0600 (e.g. 4 = 802.2 LLC). */
  readonly protocol: number;
}

export interface LinuxSll2Header {
  readonly protocol: number;
  /** Reserved, must be zero; kept for byte-identical re-encoding. */
  readonly reserved: number;
  /** Interface index (ifindex) the packet was seen on. */
  readonly interfaceIndex: number;
  readonly arphrdType: number;
  readonly packetType: number;
  readonly addressLength: number;
  readonly address: Uint8Array;
}

export interface LinuxSllFrame extends LinuxSllHeader {
  readonly payload: Uint8Array;
}

export interface LinuxSll2Frame extends LinuxSll2Header {
  readonly payload: Uint8Array;
}

/** Header inputs: address may be shorter than 8 bytes (zero-padded on encode). */
export type LinuxSllHeaderInput = Omit<LinuxSllHeader, 'addressLength'> & { readonly addressLength?: number };
export type LinuxSll2HeaderInput = Omit<LinuxSll2Header, 'addressLength' | 'reserved'> & {
  readonly addressLength?: number;
  readonly reserved?: number;
};

const be16 = (b: Uint8Array, p: number): number => (b[p] << 8) | b[p + 1];
const be32 = (b: Uint8Array, p: number): number => ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;

function put16(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 8;
  b[p + 1] = v & 0xff;
}

function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = (v >>> 16) & 0xff;
  b[p + 2] = (v >>> 8) & 0xff;
  b[p + 3] = v & 0xff;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 0..${max}, not ${value}`);
  }
}

/** The meaningful address bytes: the first min(addressLength, 8). */
export function sllAddress(header: { readonly address: Uint8Array; readonly addressLength: number }): Uint8Array {
  return header.address.subarray(0, Math.min(header.addressLength, SLL_ADDRESS_FIELD_LENGTH));
}

/** The address as 'aa:bb:..' (a MAC for ARPHRD_ETHER), or '' when its length is 0. */
export function formatSllAddress(header: { readonly address: Uint8Array; readonly addressLength: number }): string {
  const address = sllAddress(header);
  return formatMacAddress(address, 0, address.length);
}

export function parseLinuxSll(bytes: Uint8Array): ParseResult<LinuxSllFrame> {
  if (bytes.length < LINUX_SLL_HEADER_LENGTH) {
    return truncated('linux-sll', `an SLL header needs 16 bytes, got ${bytes.length}`, bytes.length);
  }
  return parsed({
    packetType: be16(bytes, 0),
    arphrdType: be16(bytes, 2),
    addressLength: be16(bytes, 4),
    address: bytes.slice(6, 14),
    protocol: be16(bytes, 14),
    payload: bytes.subarray(LINUX_SLL_HEADER_LENGTH),
  });
}

export function parseLinuxSll2(bytes: Uint8Array): ParseResult<LinuxSll2Frame> {
  if (bytes.length < LINUX_SLL2_HEADER_LENGTH) {
    return truncated('linux-sll2', `an SLL2 header needs 20 bytes, got ${bytes.length}`, bytes.length);
  }
  return parsed({
    protocol: be16(bytes, 0),
    reserved: be16(bytes, 2),
    interfaceIndex: be32(bytes, 4),
    arphrdType: be16(bytes, 8),
    packetType: bytes[10],
    addressLength: bytes[11],
    address: bytes.slice(12, 20),
    payload: bytes.subarray(LINUX_SLL2_HEADER_LENGTH),
  });
}

function checkAddress(address: Uint8Array): void {
  if (address.length > SLL_ADDRESS_FIELD_LENGTH) {
    throw new RangeError(`the SLL address field holds 8 bytes, not ${address.length}`);
  }
}

/** SLL v1 header + payload. addressLength defaults to address.length. Throws RangeError on out-of-range fields. */
export function buildLinuxSll(header: LinuxSllHeaderInput, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkAddress(header.address);
  const addressLength = header.addressLength ?? header.address.length;
  checkField('packetType', header.packetType, 0xffff);
  checkField('arphrdType', header.arphrdType, 0xffff);
  checkField('addressLength', addressLength, 0xffff);
  checkField('protocol', header.protocol, 0xffff);
  const out = new Uint8Array(LINUX_SLL_HEADER_LENGTH + payload.length);
  put16(out, 0, header.packetType);
  put16(out, 2, header.arphrdType);
  put16(out, 4, addressLength);
  out.set(header.address, 6);
  put16(out, 14, header.protocol);
  out.set(payload, LINUX_SLL_HEADER_LENGTH);
  return out;
}

/** SLL2 header + payload. addressLength defaults to address.length, reserved to 0. */
export function buildLinuxSll2(header: LinuxSll2HeaderInput, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkAddress(header.address);
  const addressLength = header.addressLength ?? header.address.length;
  const reserved = header.reserved ?? 0;
  checkField('protocol', header.protocol, 0xffff);
  checkField('reserved', reserved, 0xffff);
  checkField('interfaceIndex', header.interfaceIndex, 0xffffffff);
  checkField('arphrdType', header.arphrdType, 0xffff);
  checkField('packetType', header.packetType, 0xff);
  checkField('addressLength', addressLength, 0xff);
  const out = new Uint8Array(LINUX_SLL2_HEADER_LENGTH + payload.length);
  put16(out, 0, header.protocol);
  put16(out, 2, reserved);
  put32(out, 4, header.interfaceIndex);
  put16(out, 8, header.arphrdType);
  out[10] = header.packetType;
  out[11] = addressLength;
  out.set(header.address, 12);
  out.set(payload, LINUX_SLL2_HEADER_LENGTH);
  return out;
}

/** A zero-copy view of an SLL v1 header at bytes[start, end); `point()` checks its 16 bytes. */
export class LinuxSllView extends HeaderView {
  point(bytes: Uint8Array, start = 0, end = bytes.length): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    const available = end - start;
    if (available < LINUX_SLL_HEADER_LENGTH) return truncatedError('linux-sll', `an SLL header needs 16 bytes, got ${available}`, available);
    return undefined;
  }
  get packetType(): number {
    return this.u16(LinuxSllField.PACKET_TYPE);
  }
  get arphrdType(): number {
    return this.u16(LinuxSllField.ARPHRD_TYPE);
  }
  get addressLength(): number {
    return this.u16(LinuxSllField.ADDRESS_LENGTH);
  }
  /** An EtherType, or a Linux ETH_P_ value below 0x0600. */
  get protocol(): number {
    return this.u16(LinuxSllField.PROTOCOL);
  }
  get payloadStart(): number {
    return this.start + LINUX_SLL_HEADER_LENGTH;
  }
}

/** A zero-copy view of an SLL2 header at bytes[start, end); `point()` checks its 20 bytes. */
export class LinuxSll2View extends HeaderView {
  point(bytes: Uint8Array, start = 0, end = bytes.length): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    const available = end - start;
    if (available < LINUX_SLL2_HEADER_LENGTH) return truncatedError('linux-sll2', `an SLL2 header needs 20 bytes, got ${available}`, available);
    return undefined;
  }
  get protocol(): number {
    return this.u16(LinuxSll2Field.PROTOCOL);
  }
  get interfaceIndex(): number {
    return this.u32(LinuxSll2Field.INTERFACE_INDEX);
  }
  get arphrdType(): number {
    return this.u16(LinuxSll2Field.ARPHRD_TYPE);
  }
  get packetType(): number {
    return this.u8(LinuxSll2Field.PACKET_TYPE);
  }
  get addressLength(): number {
    return this.u8(LinuxSll2Field.ADDRESS_LENGTH);
  }
  get payloadStart(): number {
    return this.start + LINUX_SLL2_HEADER_LENGTH;
  }
}
