// Link-layer header types (the LINKTYPE_ values stored in pcap and pcapng
// files, see tcpdump.org/linktypes.html) and a dispatcher that splits a
// captured frame into its link header and the network-layer payload.
//
// decodeLinkLayer never throws; encodeLinkLayer(decodeLinkLayer(t, b).value)
// gives back b byte for byte for every link type it decodes.

import {
  type EthernetHeader,
  ETHERTYPE,
  ETHERTYPE_MIN,
  EthernetView,
  buildEthernet,
  parseEthernet,
} from './ethernet.ts';
import {
  type LinuxSll2Header,
  type LinuxSllHeader,
  LinuxSll2View,
  LinuxSllView,
  buildLinuxSll,
  buildLinuxSll2,
  parseLinuxSll,
  parseLinuxSll2,
} from './linux-sll.ts';
import { type NullHeader, LoopbackView, buildLoop, buildNull, etherTypeForBsdFamily, parseLoop, parseNull } from './loopback-null.ts';
import { type ParseError, type ParseResult, malformed, malformedError, parsed, truncated, truncatedError } from './parse-result.ts';

export const LINKTYPE = {
  /** BSD loopback: 4-byte address family in the writer's byte order. */
  NULL: 0,
  /** Ethernet II (and 802.3), no FCS. */
  ETHERNET: 1,
  /** Raw IPv4 or IPv6, told apart by the version nibble. */
  RAW: 101,
  /** OpenBSD loopback: 4-byte address family, big-endian. */
  LOOP: 108,
  /** Linux cooked capture v1 (16-byte header). */
  LINUX_SLL: 113,
  /** Raw IPv4 only. */
  IPV4: 228,
  /** Raw IPv6 only. */
  IPV6: 229,
  /** Linux cooked capture v2 (20-byte header). */
  LINUX_SLL2: 276,
} as const;

export type KnownLinkType = (typeof LINKTYPE)[keyof typeof LINKTYPE];

const NAMES = new Map<number, string>([
  [LINKTYPE.NULL, 'NULL'],
  [LINKTYPE.ETHERNET, 'ETHERNET'],
  [9, 'PPP'],
  [LINKTYPE.RAW, 'RAW'],
  [105, 'IEEE802_11'],
  [LINKTYPE.LOOP, 'LOOP'],
  [LINKTYPE.LINUX_SLL, 'LINUX_SLL'],
  [127, 'IEEE802_11_RADIOTAP'],
  [LINKTYPE.IPV4, 'IPV4'],
  [LINKTYPE.IPV6, 'IPV6'],
  [LINKTYPE.LINUX_SLL2, 'LINUX_SLL2'],
]);

/** 'ETHERNET', 'LINUX_SLL2', ... or 'LINKTYPE_<n>' for a value without a name here. */
export function linkTypeName(linkType: number): string {
  return NAMES.get(linkType) ?? `LINKTYPE_${linkType}`;
}

/** Whether decodeLinkLayer understands this link type (rather than giving kind 'unknown'). */
export function isDecodableLinkType(linkType: number): linkType is KnownLinkType {
  return (
    linkType === LINKTYPE.NULL ||
    linkType === LINKTYPE.ETHERNET ||
    linkType === LINKTYPE.RAW ||
    linkType === LINKTYPE.LOOP ||
    linkType === LINKTYPE.LINUX_SLL ||
    linkType === LINKTYPE.IPV4 ||
    linkType === LINKTYPE.IPV6 ||
    linkType === LINKTYPE.LINUX_SLL2
  );
}

interface LinkFrameBase {
  /**
   * Network-layer protocol as an EtherType (0x0800 IPv4, 0x86dd IPv6, 0x0806
   * ARP, ...), or null when the link header names none (an 802.3 length, an
   * unknown address family, an SLL protocol below 0x0600, an unknown link type).
   */
  readonly protocol: number | null;
  /** Bytes after the link header: a view into the decoded frame, not a copy. */
  readonly payload: Uint8Array;
}

export interface EthernetLinkFrame extends LinkFrameBase {
  readonly kind: 'ethernet';
  readonly linkType: typeof LINKTYPE.ETHERNET;
  readonly header: EthernetHeader;
}

export interface NullLinkFrame extends LinkFrameBase {
  readonly kind: 'null';
  readonly linkType: typeof LINKTYPE.NULL;
  readonly header: NullHeader;
}

export interface LoopLinkFrame extends LinkFrameBase {
  readonly kind: 'loop';
  readonly linkType: typeof LINKTYPE.LOOP;
  readonly header: { readonly family: number };
}

export interface LinuxSllLinkFrame extends LinkFrameBase {
  readonly kind: 'linux-sll';
  readonly linkType: typeof LINKTYPE.LINUX_SLL;
  readonly header: LinuxSllHeader;
}

export interface LinuxSll2LinkFrame extends LinkFrameBase {
  readonly kind: 'linux-sll2';
  readonly linkType: typeof LINKTYPE.LINUX_SLL2;
  readonly header: LinuxSll2Header;
}

/** No link header: the payload is the whole frame, an IP packet. */
export interface RawLinkFrame extends LinkFrameBase {
  readonly kind: 'raw';
  readonly linkType: typeof LINKTYPE.RAW | typeof LINKTYPE.IPV4 | typeof LINKTYPE.IPV6;
  /** IP version: from the version nibble for RAW, fixed by IPV4/IPV6. */
  readonly ipVersion: 4 | 6;
}

/** A link type this module does not decode: payload is the whole frame. */
export interface UnknownLinkFrame extends LinkFrameBase {
  readonly kind: 'unknown';
  readonly linkType: number;
}

export type LinkFrame =
  | EthernetLinkFrame
  | NullLinkFrame
  | LoopLinkFrame
  | LinuxSllLinkFrame
  | LinuxSll2LinkFrame
  | RawLinkFrame
  | UnknownLinkFrame;

const etherTypeOrNull = (type: number): number | null => (type >= ETHERTYPE_MIN ? type : null);

/** Splits a captured frame by its file's link type. Never throws. */
export function decodeLinkLayer(linkType: number, frame: Uint8Array): ParseResult<LinkFrame> {
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      const r = parseEthernet(frame);
      if (!r.ok) return r;
      const { destination, source, vlanTags, etherType, payload } = r.value;
      return parsed({
        kind: 'ethernet',
        linkType,
        header: { destination, source, vlanTags, etherType },
        protocol: etherTypeOrNull(etherType),
        payload,
      });
    }
    case LINKTYPE.NULL: {
      const r = parseNull(frame);
      if (!r.ok) return r;
      const { family, littleEndian, payload } = r.value;
      return parsed({
        kind: 'null',
        linkType,
        header: { family, littleEndian },
        protocol: etherTypeForBsdFamily(family),
        payload,
      });
    }
    case LINKTYPE.LOOP: {
      const r = parseLoop(frame);
      if (!r.ok) return r;
      const { family, payload } = r.value;
      return parsed({ kind: 'loop', linkType, header: { family }, protocol: etherTypeForBsdFamily(family), payload });
    }
    case LINKTYPE.LINUX_SLL: {
      const r = parseLinuxSll(frame);
      if (!r.ok) return r;
      const { payload, ...header } = r.value;
      return parsed({ kind: 'linux-sll', linkType, header, protocol: etherTypeOrNull(header.protocol), payload });
    }
    case LINKTYPE.LINUX_SLL2: {
      const r = parseLinuxSll2(frame);
      if (!r.ok) return r;
      const { payload, ...header } = r.value;
      return parsed({ kind: 'linux-sll2', linkType, header, protocol: etherTypeOrNull(header.protocol), payload });
    }
    case LINKTYPE.RAW: {
      if (frame.length < 1) return truncated('raw', 'an empty frame has no IP version nibble', 0);
      const version = frame[0] >>> 4;
      if (version === 4) return parsed({ kind: 'raw', linkType, ipVersion: 4, protocol: ETHERTYPE.IPV4, payload: frame });
      if (version === 6) return parsed({ kind: 'raw', linkType, ipVersion: 6, protocol: ETHERTYPE.IPV6, payload: frame });
      return malformed('raw', `IP version nibble is ${version}, not 4 or 6`, 0);
    }
    case LINKTYPE.IPV4:
      return parsed({ kind: 'raw', linkType, ipVersion: 4, protocol: ETHERTYPE.IPV4, payload: frame });
    case LINKTYPE.IPV6:
      return parsed({ kind: 'raw', linkType, ipVersion: 6, protocol: ETHERTYPE.IPV6, payload: frame });
    default:
      return parsed({ kind: 'unknown', linkType, protocol: null, payload: frame });
  }
}

/**
 * The frame's bytes: link header + payload. `protocol` is not consulted (the
 * header fields carry the type); throws RangeError on out-of-range fields.
 */
export function encodeLinkLayer(frame: LinkFrame): Uint8Array {
  switch (frame.kind) {
    case 'ethernet':
      return buildEthernet(frame.header, frame.payload);
    case 'null':
      return buildNull(frame.header, frame.payload);
    case 'loop':
      return buildLoop(frame.header, frame.payload);
    case 'linux-sll':
      return buildLinuxSll(frame.header, frame.payload);
    case 'linux-sll2':
      return buildLinuxSll2(frame.header, frame.payload);
    case 'raw':
    case 'unknown':
      return frame.payload.slice();
  }
}

/**
 * Where a frame's network layer starts and what it is, read through one
 * reused view per link header: the allocation-free counterpart of
 * decodeLinkLayer (same protocol rules, same errors) for loops that only
 * need to reach the IP header.
 */
export class LinkLayerView {
  private readonly ethernet = new EthernetView();
  private readonly sll = new LinuxSllView();
  private readonly sll2 = new LinuxSll2View();
  private readonly loopback = new LoopbackView();
  /** After point(): the network layer's EtherType, or null when not known. */
  protocol: number | null = null;
  /** After point(): index in the frame where the network layer starts. */
  payloadStart = 0;

  /** Reads the link header of `frame`; returns why it cannot be read, or undefined. */
  point(linkType: number, frame: Uint8Array): ParseError | undefined {
    this.protocol = null;
    this.payloadStart = 0;
    let error: ParseError | undefined;
    switch (linkType) {
      case LINKTYPE.ETHERNET:
        error = this.ethernet.point(frame);
        if (error === undefined) this.found(etherTypeOrNull(this.ethernet.etherType), this.ethernet.payloadStart);
        return error;
      case LINKTYPE.NULL:
      case LINKTYPE.LOOP:
        error = this.loopback.point(frame, 0, frame.length, linkType === LINKTYPE.LOOP);
        if (error === undefined) this.found(etherTypeForBsdFamily(this.loopback.family), this.loopback.payloadStart);
        return error;
      case LINKTYPE.LINUX_SLL:
        error = this.sll.point(frame);
        if (error === undefined) this.found(etherTypeOrNull(this.sll.protocol), this.sll.payloadStart);
        return error;
      case LINKTYPE.LINUX_SLL2:
        error = this.sll2.point(frame);
        if (error === undefined) this.found(etherTypeOrNull(this.sll2.protocol), this.sll2.payloadStart);
        return error;
      case LINKTYPE.RAW: {
        if (frame.length < 1) return truncatedError('raw', 'an empty frame has no IP version nibble', 0);
        const version = frame[0] >>> 4;
        if (version === 4) this.found(ETHERTYPE.IPV4, 0);
        else if (version === 6) this.found(ETHERTYPE.IPV6, 0);
        else return malformedError('raw', `IP version nibble is ${version}, not 4 or 6`, 0);
        return undefined;
      }
      case LINKTYPE.IPV4:
        this.found(ETHERTYPE.IPV4, 0);
        return undefined;
      case LINKTYPE.IPV6:
        this.found(ETHERTYPE.IPV6, 0);
        return undefined;
      default:
        return undefined;
    }
  }

  private found(protocol: number | null, payloadStart: number): void {
    this.protocol = protocol;
    this.payloadStart = payloadStart;
  }
}
