// 'packet-lab/lab': the scapy-short API. Packets composed layer by layer
// (ip().icmp().payload()), every packet with show(), summary(), hexdump()
// and toJSON() as dissect prints them, and send/sr1/sr/sniff/readPcap/
// writePcap. It opens raw sockets and captures, so unlike 'packet-lab' it
// needs root for those calls (building and showing packets does not). The
// raw sockets are kept between calls and never keep Node running; they
// close at exit, or at once with closeSockets().
//
//   import { ip, sr1 } from 'packet-lab/lab';
//   const reply = await sr1(ip({ dst: '127.0.0.1' }).icmp().payload('hi'));
//   console.log(reply?.summary());
//
// IPv6 the same way: ipv6({ dst: '::1' }).icmp6({ id: 1, seq: 1 }).payload('hi').

export {
  type FieldDescription,
  type Icmp6Fields,
  type IcmpFields,
  type IpFields,
  type IpFlagsText,
  type Ipv6Fields,
  type Layer,
  type LayerFieldsOf,
  LAYER_FIELDS,
  LayerFieldError,
  type LayerName,
  Packet,
  type PayloadInput,
  parseLayers,
  type TcpFields,
  type TcpFlagsText,
  type UdpFields,
} from './wire/layers.ts';
export type { Ipv6ExtensionHeaderInit } from './wire/ipv6.ts';
export { type CapturedFrame, icmp, icmp6, ip, ipv6, LabPacket, type PacketOrigin, tcp, udp } from './lab/lab-packet.ts';
export { type AnsweredPair, send, type SendOptions, sr, sr1, SrResult } from './lab/send-receive.ts';
export { closeSockets } from './lab/socket-pool.ts';
export { readPcap, sniff, type SniffOptions, writePcap } from './lab/captures.ts';
export { ls } from './lab/field-listing.ts';
