// Ethernet II frames (DIX), with any stack of 802.1Q / 802.1ad VLAN tags kept
// in order so a frame re-encodes byte for byte. No FCS: capture files carry
// frames without it unless the link type says otherwise.
//
//   0      6      12            12+4n        14+4n
//   | dst  | src  | [TPID TCI]* | EtherType  | payload ...
//
// A type field of 1500 or less is an 802.3 length, not an EtherType: the
// header still parses (etherType holds the length) and the network-layer
// protocol is reported as unknown by the link-layer dispatcher.

import { HeaderView } from './header-view.ts';
import { type ParseError, type ParseResult, parsed, truncated, truncatedError } from './parse-result.ts';

export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  /** 802.1Q customer VLAN tag. */
  VLAN: 0x8100,
  IPV6: 0x86dd,
  /** 802.1ad service VLAN tag (Q-in-Q outer tag). */
  QINQ: 0x88a8,
  /** Pre-standard Q-in-Q outer tag, still seen on some gear; Wireshark treats it as a VLAN tag. */
  QINQ_LEGACY: 0x9100,
} as const;

/** Type-field values that announce a VLAN tag rather than the payload's protocol. */
export const VLAN_TPIDS: readonly number[] = [ETHERTYPE.VLAN, ETHERTYPE.QINQ, ETHERTYPE.QINQ_LEGACY];

/** Smallest value of the type field that is an EtherType; 1500 and below are 802.3 lengths. */
export const ETHERTYPE_MIN = 0x0600;

export const ETHERNET_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;

// Field offsets: smoltcp's `mod field`.
export const EthernetField = {
  DESTINATION: 0,
  SOURCE: 6,
  /** The first type field: an EtherType, an 802.3 length, or a VLAN TPID. */
  TYPE: 12,
  /** In a VLAN tag, after its TPID: priority, DEI, VLAN id. */
  TAG_CONTROL: 2,
} as const;

export type MacAddressInput = string | Uint8Array;

export interface VlanTag {
  /** Tag protocol identifier: 0x8100 (802.1Q), 0x88a8 (802.1ad) or 0x9100. */
  readonly tpid: number;
  /** Priority code point, 3 bits. */
  readonly pcp: number;
  /** Drop eligible indicator (formerly CFI), 1 bit. */
  readonly dei: number;
  /** VLAN identifier, 12 bits. */
  readonly vid: number;
}

export interface EthernetHeader {
  /** Lower-case colon form, e.g. 'ff:ff:ff:ff:ff:ff'. */
  readonly destination: string;
  readonly source: string;
  /** Outermost first, exactly as on the wire. */
  readonly vlanTags: readonly VlanTag[];
  /** The type field after the tags: an EtherType, or an 802.3 length when <= 1500. */
  readonly etherType: number;
}

export interface EthernetFrame extends EthernetHeader {
  /** Bytes after the header (a view into the parsed buffer, not a copy). */
  readonly payload: Uint8Array;
  /** Header length in bytes: 14 + 4 per VLAN tag. */
  readonly headerLength: number;
}

/** What buildEthernet accepts: MACs in either form, tags optional. */
export interface EthernetHeaderInput {
  readonly destination: MacAddressInput;
  readonly source: MacAddressInput;
  readonly vlanTags?: readonly VlanTag[];
  readonly etherType: number;
}

const MAC_TEXT = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

/** Parses 'aa:bb:cc:dd:ee:ff' (or with '-', any case) into 6 bytes; throws RangeError otherwise. */
export function parseMacAddress(text: string): Uint8Array {
  const m = MAC_TEXT.exec(text);
  if (!m) throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  const bytes = new Uint8Array(6);
  for (let i = 0; i < 6; i++) bytes[i] = parseInt(m[i + 1], 16);
  return bytes;
}

/** 6 bytes from either form; a byte array must have length 6. */
export function macAddressBytes(address: MacAddressInput): Uint8Array {
  if (typeof address === 'string') return parseMacAddress(address);
  if (address.length !== 6) throw new RangeError(`a MAC address has 6 bytes, not ${address.length}`);
  return address;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case colon form of the `length` bytes at `offset` (6 for a MAC). */
export function formatMacAddress(bytes: Uint8Array, offset = 0, length = 6): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    if (i > 0) text += ':';
    text += HEX[bytes[offset + i]];
  }
  return text;
}

export function isVlanTpid(type: number): boolean {
  return type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ || type === ETHERTYPE.QINQ_LEGACY;
}

/** Parses an Ethernet II header and its VLAN tags; never throws. */
export function parseEthernet(bytes: Uint8Array): ParseResult<EthernetFrame> {
  if (bytes.length < ETHERNET_HEADER_LENGTH) {
    return truncated('ethernet', `an Ethernet header needs 14 bytes, got ${bytes.length}`, bytes.length);
  }
  const destination = formatMacAddress(bytes, 0);
  const source = formatMacAddress(bytes, 6);
  const vlanTags: VlanTag[] = [];
  let pos = 12;
  let type = (bytes[pos] << 8) | bytes[pos + 1];
  while (isVlanTpid(type)) {
    // A tag is the TPID just read plus a 2-byte TCI; the next type field follows.
    if (bytes.length < pos + VLAN_TAG_LENGTH + 2) {
      return truncated(
        'ethernet',
        `VLAN tag ${vlanTags.length + 1} needs ${pos + VLAN_TAG_LENGTH + 2} bytes of header, got ${bytes.length}`,
        bytes.length,
      );
    }
    const tci = (bytes[pos + 2] << 8) | bytes[pos + 3];
    vlanTags.push({ tpid: type, pcp: tci >>> 13, dei: (tci >>> 12) & 1, vid: tci & 0x0fff });
    pos += VLAN_TAG_LENGTH;
    type = (bytes[pos] << 8) | bytes[pos + 1];
  }
  const headerLength = pos + 2;
  return parsed({
    destination,
    source,
    vlanTags,
    etherType: type,
    headerLength,
    payload: bytes.subarray(headerLength),
  });
}

/** Length of the header buildEthernet would write for these tags. */
export function ethernetHeaderLength(header: { readonly vlanTags?: readonly VlanTag[] }): number {
  return ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * (header.vlanTags?.length ?? 0);
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 0..${max}, not ${value}`);
  }
}

/**
 * Writes header + payload into a new array. Throws RangeError on a bad MAC,
 * tag field out of range, a tag TPID that is not a VLAN TPID, or a final
 * etherType that is a VLAN TPID (a reader would take it for another tag).
 */
export function buildEthernet(header: EthernetHeaderInput, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const tags = header.vlanTags ?? [];
  const headerLength = ethernetHeaderLength(header);
  checkField('etherType', header.etherType, 0xffff);
  if (isVlanTpid(header.etherType)) {
    throw new RangeError(`etherType 0x${header.etherType.toString(16)} is a VLAN TPID: put the tag in vlanTags`);
  }
  const out = new Uint8Array(headerLength + payload.length);
  out.set(macAddressBytes(header.destination), 0);
  out.set(macAddressBytes(header.source), 6);
  let pos = 12;
  for (const tag of tags) {
    if (!isVlanTpid(tag.tpid)) throw new RangeError(`tpid 0x${tag.tpid.toString(16)} is not a VLAN TPID`);
    checkField('pcp', tag.pcp, 7);
    checkField('dei', tag.dei, 1);
    checkField('vid', tag.vid, 0x0fff);
    const tci = (tag.pcp << 13) | (tag.dei << 12) | tag.vid;
    out[pos] = tag.tpid >>> 8;
    out[pos + 1] = tag.tpid & 0xff;
    out[pos + 2] = tci >>> 8;
    out[pos + 3] = tci & 0xff;
    pos += VLAN_TAG_LENGTH;
  }
  out[pos] = header.etherType >>> 8;
  out[pos + 1] = header.etherType & 0xff;
  out.set(payload, headerLength);
  return out;
}

/**
 * A zero-copy view of an Ethernet II header at bytes[start, end). `point()`
 * checks the 14 bytes and every VLAN tag the type fields announce, so
 * `etherType` and `payloadStart` are those after the tags.
 */
export class EthernetView extends HeaderView {
  /** Header length, VLAN tags included; set by point(). */
  private tagged = ETHERNET_HEADER_LENGTH;

  /** Points at bytes[start, end) and checks the header and its tags; returns why it cannot be read, or undefined. */
  point(bytes: Uint8Array, start = 0, end = bytes.length): ParseError | undefined {
    this.pointUnchecked(bytes, start, end);
    const available = end - start;
    if (available < ETHERNET_HEADER_LENGTH) {
      return truncatedError('ethernet', `an Ethernet header needs 14 bytes, got ${available}`, available);
    }
    let typeAt = EthernetField.TYPE;
    let tags = 0;
    while (isVlanTpid(this.u16(typeAt))) {
      tags++;
      if (available < typeAt + VLAN_TAG_LENGTH + 2) {
        return truncatedError('ethernet', `VLAN tag ${tags} needs ${typeAt + VLAN_TAG_LENGTH + 2} bytes of header, got ${available}`, available);
      }
      typeAt += VLAN_TAG_LENGTH;
    }
    this.tagged = typeAt + 2;
    return undefined;
  }

  get destination(): string {
    return formatMacAddress(this.bytes, this.start + EthernetField.DESTINATION);
  }
  get source(): string {
    return formatMacAddress(this.bytes, this.start + EthernetField.SOURCE);
  }
  /** The first type field (a TPID when the frame is tagged). */
  get typeField(): number {
    return this.u16(EthernetField.TYPE);
  }
  get vlanTagCount(): number {
    return (this.tagged - ETHERNET_HEADER_LENGTH) / VLAN_TAG_LENGTH;
  }
  /** The type field after the VLAN tags: an EtherType, or an 802.3 length when <= 1500. */
  get etherType(): number {
    return this.u16(this.tagged - 2);
  }
  get headerLength(): number {
    return this.tagged;
  }
  /** Index in `bytes` where the payload starts. */
  get payloadStart(): number {
    return this.start + this.tagged;
  }
}
