// Sending a transport payload (ICMPv6 message, TCP segment, UDP datagram)
// through a raw IPv6 socket in either of its two modes, the IPv6 parallel of
// ipv4-sender.ts:
//
// - kernel header (the default): a socket of the payload's protocol (58
//   ICMPv6, 6 TCP, 17 UDP); sendto() gets the payload alone and the kernel
//   writes the IPv6 header (source from the route, IPV6_UNICAST_HOPS, its own
//   flow label). On an ICMPv6 socket the kernel also writes the ICMPv6
//   checksum over the pseudo-header, always, unless told not to with SOL_RAW
//   IPV6_CHECKSUM -1 (`kernelChecksum: false`).
// - header included: an IPPROTO_RAW (255) socket, which on Linux implies
//   IPV6_HDRINCL. sendto() gets header + payload and the kernel sends them as
//   built: unlike IPv4's IP_HDRINCL it fills in nothing, neither the source
//   nor the payload length (native-notes/ipv6.md, verified on a veth). So the
//   source must be given: the address the pseudo-header checksum used.
//
// There is no IPv6 header on receive in either mode: an IPv6 raw socket hands
// the transport header onwards, with the hop limit in ancillary data.
import { emitIpv6Into, ipv6HeaderLength, type Ipv6HeaderInit } from '../wire/ipv6.ts';
import type { PacketSocket } from './packet-socket.ts';
import { withoutScope } from './routes.ts';

/** What a sender needs of a socket (either binding, from openRawSocket({ family: 6, ... })). */
export type Ipv6SenderSocket = Pick<PacketSocket, 'send' | 'setTtl' | 'setKernelChecksum' | 'family'>;

/** IPPROTO_RAW: the protocol of the socket a header-included sender needs. */
export const IPV6_HEADER_INCLUDED_PROTOCOL = 255;

/** The IPv6 header fields a tool chooses. */
export interface Ipv6HeaderFields {
  /** The upper-layer protocol (58 ICMPv6, 6 TCP, 17 UDP). */
  readonly protocol: number;
  /** Where to send; a link-local address carries its scope (`fe80::1%eth0`). */
  readonly destination: string;
  /**
   * The source address. Header-included mode needs it (the kernel fills in
   * nothing); take it from sourceAddressFor(destination), the address the
   * kernel's route would use and the one a pseudo-header checksum must use.
   */
  readonly source?: string;
  /** Default 64: IPV6_UNICAST_HOPS in kernel-header mode, the header field with the header included. */
  readonly hopLimit?: number;
  /** Header-included mode: the traffic class byte and flow label; default 0. */
  readonly trafficClass?: number;
  readonly flowLabel?: number;
}

export interface Ipv6SenderOptions extends Ipv6HeaderFields {
  /** True: this sender writes the IPv6 header (the socket must be IPPROTO_RAW, 255). False: the kernel does. */
  readonly headerIncluded: boolean;
  /**
   * Kernel-header mode on an ICMPv6 socket: false sends the ICMPv6 checksum the
   * payload carries (a deliberately wrong one included). Default true.
   */
  readonly kernelChecksum?: boolean;
}

/** Fields that may change from one packet to the next. */
export interface Ipv6PerPacket {
  readonly hopLimit?: number;
}

/** The header as buildIpv6 takes it, from the fields above. */
export function ipv6HeaderFor(fields: Ipv6HeaderFields): Ipv6HeaderInit {
  if (fields.source === undefined) {
    throw new Error('an IPv6 header written by the tool needs a source address: the kernel does not fill one in (use sourceAddressFor)');
  }
  return {
    protocol: fields.protocol,
    source: withoutScope(fields.source),
    destination: withoutScope(fields.destination),
    hopLimit: fields.hopLimit ?? 64,
    trafficClass: fields.trafficClass ?? 0,
    flowLabel: fields.flowLabel ?? 0,
  };
}

/** `payload` behind an IPv6 header, ready for sendto() on an IPPROTO_RAW socket. */
export function wrapInIpv6(payload: Uint8Array, fields: Ipv6HeaderFields): Uint8Array {
  const header = ipv6HeaderFor(fields);
  const headerLength = ipv6HeaderLength(header);
  const packet = new Uint8Array(headerLength + payload.length);
  emitIpv6Into(packet, 0, header, payload.length);
  packet.set(payload, headerLength);
  return packet;
}

/** An IPv6 header and 65535 bytes of payload. */
const MAX_PACKET = 40 + 65535;

/**
 * Sends payloads to one destination through a raw IPv6 socket in either mode.
 * In header-included mode it reuses one buffer (sendto() is synchronous), so
 * sending costs no allocation.
 */
export class Ipv6Sender {
  readonly headerIncluded: boolean;
  private readonly socket: Ipv6SenderSocket;
  private fields: Ipv6HeaderFields;
  private header: Ipv6HeaderInit | undefined;
  private readonly buffer: Uint8Array | undefined;

  constructor(socket: Ipv6SenderSocket, options: Ipv6SenderOptions) {
    if (socket.family !== 6) throw new Error('Ipv6Sender needs an IPv6 socket');
    this.socket = socket;
    this.headerIncluded = options.headerIncluded;
    this.fields = options;
    if (options.headerIncluded) {
      this.header = ipv6HeaderFor(options);
      this.buffer = new Uint8Array(MAX_PACKET);
    } else {
      if (options.hopLimit !== undefined) socket.setTtl(options.hopLimit);
      if (options.kernelChecksum === false) socket.setKernelChecksum(false);
    }
  }

  get destination(): string {
    return this.fields.destination;
  }

  /** The hop limit for the next packets. */
  setHopLimit(hopLimit: number): void {
    this.fields = { ...this.fields, hopLimit };
    if (this.headerIncluded) this.header = ipv6HeaderFor(this.fields);
    else this.socket.setTtl(hopLimit);
  }

  /** The bytes sendto() gets for this payload: the payload itself, or header + payload. */
  frame(payload: Uint8Array, perPacket?: Ipv6PerPacket): Uint8Array {
    if (!this.buffer || !this.header) return payload;
    const header = perPacket?.hopLimit === undefined ? this.header : { ...this.header, hopLimit: perPacket.hopLimit };
    const headerLength = emitIpv6Into(this.buffer, 0, header, payload.length);
    if (headerLength + payload.length > MAX_PACKET) throw new RangeError(`IPv6 payload of ${payload.length} bytes exceeds 65535`);
    this.buffer.set(payload, headerLength);
    return this.buffer.subarray(0, headerLength + payload.length);
  }

  /** Sends one payload now (synchronous sendto); returns the bytes the kernel took. Throws SendError. */
  send(payload: Uint8Array, perPacket?: Ipv6PerPacket): number {
    if (!this.headerIncluded && perPacket?.hopLimit !== undefined && perPacket.hopLimit !== this.fields.hopLimit) this.setHopLimit(perPacket.hopLimit);
    return this.socket.send(this.frame(payload, perPacket), this.fields.destination);
  }
}
