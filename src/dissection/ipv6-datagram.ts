// An IPv6 datagram read for the views that explain one packet (diagrams,
// checksum walkthroughs, built vs sent): the header and the upper layer
// (ICMPv6, TCP or UDP) with their checksum verdicts over the IPv6
// pseudo-header. Input is plain bytes and offsets, so it serves craft, which
// builds datagrams, and dissect, whichever way it models IPv6 frames.

import type { ChecksumVerdict } from '../wire/checksum.ts';
import { Icmpv6View, type ParsedIcmpv6Message, parseIcmpv6 } from '../wire/icmpv6.ts';
import { IpProtocol } from '../wire/ipv4.ts';
import { type Ipv6Packet, Ipv6View, parseIpv6 } from '../wire/ipv6.ts';
import { tcpSegmentFromView, TcpView } from '../wire/tcp.ts';
import { udpDatagramFromView, UdpView } from '../wire/udp.ts';
import type { TcpLayer, UdpLayer } from './packet-model.ts';

export interface Icmpv6Layer {
  readonly offset: number;
  readonly length: number;
  readonly message: ParsedIcmpv6Message;
  readonly checksum: ChecksumVerdict;
}

export interface Ipv6Datagram {
  /** The datagram's bytes, from the IPv6 header to the end of the payload length (a view). */
  readonly bytes: Uint8Array;
  readonly header: Ipv6Packet;
  /** Offset of the upper-layer header in `bytes`, and its protocol (after any extension headers). */
  readonly upperLayerOffset: number;
  readonly upperLayerProtocol: number;
  /** The upper layer's bytes (a view). */
  readonly upperLayer: Uint8Array;
  /** Unfolded pseudo-header sum for the upper layer (source, destination, length, next header). */
  readonly pseudoHeaderSum: number;
  /** Offsets in this datagram, as in dissect's layers. */
  readonly icmpv6?: Icmpv6Layer;
  readonly tcp?: TcpLayer;
  readonly udp?: UdpLayer;
}

/** Reads the IPv6 datagram at bytes[start, end); undefined when it is not one (or its header is cut). */
export function readIpv6Datagram(bytes: Uint8Array, start = 0, end = bytes.length): Ipv6Datagram | undefined {
  const view = new Ipv6View();
  if (view.point(bytes, start, end) !== undefined) return undefined;
  const datagram = bytes.subarray(start, Math.min(end, view.payloadEnd));
  const parsed = parseIpv6(datagram, { allowTruncatedPayload: true });
  if (!parsed.ok) return undefined;
  const upperLayer = view.upperLayer;
  const upperLayerOffset = view.upperLayerStart - start;
  const protocol = view.upperLayerProtocol;
  const pseudoHeaderSum = view.pseudoHeaderSum(protocol, upperLayer.length);
  const result = { bytes: datagram, header: parsed.value, upperLayerOffset, upperLayerProtocol: protocol, upperLayer, pseudoHeaderSum };
  if (!view.hasUpperLayerHeader) return result;
  const scope = view.missingLength > 0 ? { complete: false, reason: 'the datagram is cut short' } : undefined;
  if (protocol === IpProtocol.ICMPv6) {
    const icmp = new Icmpv6View();
    const message = parseIcmpv6(upperLayer, { source: parsed.value.source, destination: parsed.value.destination });
    if (icmp.point(upperLayer) !== undefined || !message.ok) return result;
    return { ...result, icmpv6: { offset: upperLayerOffset, length: upperLayer.length, message: message.value, checksum: icmp.checksumVerdict(pseudoHeaderSum, scope) } };
  }
  if (protocol === IpProtocol.TCP) {
    const tcp = new TcpView();
    if (tcp.point(upperLayer) !== undefined) return result;
    const segment = { ...tcpSegmentFromView(tcp), headerLength: tcp.headerLength };
    const layer: TcpLayer = { offset: upperLayerOffset, segment, checksum: tcp.checksumVerdict(pseudoHeaderSum, scope), payloadLength: upperLayer.length - tcp.headerLength };
    return { ...result, tcp: layer };
  }
  if (protocol === IpProtocol.UDP) {
    const udp = new UdpView();
    if (udp.point(upperLayer) !== undefined) return result;
    const header = udpDatagramFromView(udp);
    // The checksum covers the datagram as far as its length field goes; the pseudo-header gives that length.
    const sum = view.pseudoHeaderSum(protocol, udp.lengthField);
    const layer: UdpLayer = { offset: upperLayerOffset, header, checksum: udp.checksumVerdict(sum, { ...scope, ipv6: true }), payloadLength: header.payload.length };
    return { ...result, udp: layer };
  }
  return result;
}
