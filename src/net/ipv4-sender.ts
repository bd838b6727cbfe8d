// Sending a transport payload (ICMP message, TCP segment) through a raw
// IPv4 socket in either of its two modes:
//
// - kernel header (the default): the payload alone goes to sendto(); the
//   kernel writes the whole IPv4 header (source from the route, IP_TTL, its
//   own identification, DF from path-MTU discovery, checksum).
// - IP_HDRINCL: the tool writes the header itself with buildIpv4/emitIpv4Into
//   and sendto() gets header + payload. Linux still fills in the total length
//   and header checksum always, the identification and source when they are 0,
//   and ignores IP_TTL/IP_TOS (raw(7), ip(7), native-notes/raw-socket.md §5).
//
// Both modes go through one `send(payload)`, so an engine (ping, tcp-probe,
// the TCP session) switches mode with one option.
import { emitIpv4Into, ipv4HeaderLength, type Ipv4HeaderInit } from '../wire/ipv4.ts';
import type { PacketSocket } from './packet-socket.ts';

/**
 * What a sender needs of a socket: the common PacketSocket (either binding,
 * from openRawSocket()) or a bare RawSocket both provide it.
 */
export type SenderSocket = Pick<PacketSocket, 'send' | 'setTtl' | 'setHeaderIncluded'>;

/** The IPv4 header fields a tool chooses for IP_HDRINCL packets. */
export interface Ipv4HeaderFields {
  /** IANA protocol number (IpProtocol.ICMP, IpProtocol.TCP). */
  readonly protocol: number;
  readonly destination: string;
  /**
   * The source address. '0.0.0.0' (the default) lets the kernel fill in the
   * route's source. A TCP or UDP sender must give the address its pseudo-header
   * checksum used.
   */
  readonly source?: string;
  /** Default 64. With IP_HDRINCL this, not IP_TTL, is the TTL on the wire. */
  readonly ttl?: number;
  /** The whole TOS byte (DSCP + ECN); default 0. */
  readonly tos?: number;
  /** 0 (the default) lets the kernel pick one. */
  readonly identification?: number;
  /** The DF bit; default false. Linux's own TCP sets it. */
  readonly dontFragment?: boolean;
  /** Raw IPv4 option bytes (padded to 4 bytes by the builder). */
  readonly options?: Uint8Array;
}

/** The header as buildIpv4 takes it, from the fields above. */
export function ipv4HeaderFor(fields: Ipv4HeaderFields): Ipv4HeaderInit {
  return {
    protocol: fields.protocol,
    source: fields.source ?? '0.0.0.0',
    destination: fields.destination,
    ttl: fields.ttl ?? 64,
    tos: fields.tos ?? 0,
    identification: fields.identification ?? 0,
    flags: { dontFragment: fields.dontFragment ?? false },
    options: fields.options,
  };
}

/**
 * `payload` wrapped in an IPv4 header, ready for sendto() on an IP_HDRINCL
 * socket. Total length and checksum are computed here too, so the bytes are
 * a complete, valid packet even before the kernel re-fills those two fields.
 */
export function wrapInIpv4(payload: Uint8Array, fields: Ipv4HeaderFields): Uint8Array {
  const header = ipv4HeaderFor(fields);
  const headerLength = ipv4HeaderLength(header);
  const packet = new Uint8Array(headerLength + payload.length);
  emitIpv4Into(packet, 0, header, payload.length);
  packet.set(payload, headerLength);
  return packet;
}

export interface Ipv4SenderOptions extends Ipv4HeaderFields {
  /** IP_HDRINCL on: this sender writes the IPv4 header. Off: the kernel does. */
  readonly headerIncluded: boolean;
}

/** Fields that may change from one packet to the next. */
export interface Ipv4PerPacket {
  readonly ttl?: number;
  readonly identification?: number;
}

const MAX_PACKET = 65535;

/**
 * Sends payloads to one destination through a raw socket in either mode. It
 * sets IP_HDRINCL on the socket to match. In header-included mode it reuses
 * one buffer (sendto() is synchronous), so sending costs no allocation.
 */
export class Ipv4Sender {
  readonly headerIncluded: boolean;
  private readonly socket: SenderSocket;
  private fields: Ipv4HeaderFields;
  private readonly buffer: Uint8Array | undefined;

  constructor(socket: SenderSocket, options: Ipv4SenderOptions) {
    this.socket = socket;
    this.headerIncluded = options.headerIncluded;
    this.fields = options;
    socket.setHeaderIncluded(options.headerIncluded);
    if (options.headerIncluded) {
      this.buffer = new Uint8Array(MAX_PACKET);
    } else if (options.ttl !== undefined) {
      socket.setTtl(options.ttl);
    }
  }

  get destination(): string {
    return this.fields.destination;
  }

  /** The TTL for the next packets: IP_TTL in kernel-header mode, the header field with IP_HDRINCL. */
  setTtl(ttl: number): void {
    this.fields = { ...this.fields, ttl };
    if (!this.headerIncluded) this.socket.setTtl(ttl);
  }

  /** The bytes sendto() gets for this payload: the payload itself, or header + payload. */
  frame(payload: Uint8Array, perPacket?: Ipv4PerPacket): Uint8Array {
    if (!this.buffer) return payload;
    const header = ipv4HeaderFor(perPacket ? { ...this.fields, ...definedOnly(perPacket) } : this.fields);
    const headerLength = emitIpv4Into(this.buffer, 0, header, payload.length);
    if (headerLength + payload.length > MAX_PACKET) throw new RangeError(`IPv4 packet of ${headerLength + payload.length} bytes exceeds 65535`);
    this.buffer.set(payload, headerLength);
    return this.buffer.subarray(0, headerLength + payload.length);
  }

  /** Sends one payload now (synchronous sendto); returns the bytes the kernel took. Throws SendError. */
  send(payload: Uint8Array, perPacket?: Ipv4PerPacket): number {
    if (!this.headerIncluded && perPacket?.ttl !== undefined && perPacket.ttl !== this.fields.ttl) this.setTtl(perPacket.ttl);
    return this.socket.send(this.frame(payload, perPacket), this.fields.destination);
  }
}

function definedOnly(perPacket: Ipv4PerPacket): Ipv4PerPacket {
  const out: { ttl?: number; identification?: number } = {};
  if (perPacket.ttl !== undefined) out.ttl = perPacket.ttl;
  if (perPacket.identification !== undefined) out.identification = perPacket.identification;
  return out;
}
