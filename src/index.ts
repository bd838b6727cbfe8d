// packet-lab's public library entry: the pure wire layer (struct packing,
// RFC 1071 checksum and verdicts, zero-copy header views, IPv4/ICMP/TCP/UDP/ARP
// codecs, link layers, pcap/pcapng codecs),
// capture files, and the I/O pieces and engines built on them.

// Wire layer: pure codecs, no I/O.
export * from './wire/struct.ts';
export * from './wire/checksum.ts';
export * from './wire/parse-result.ts';
export * from './wire/header-view.ts';
export * from './wire/ipv4-address.ts';
export * from './wire/ipv6-address.ts';
export * from './wire/ipv4.ts';
export * from './wire/icmp.ts';
export * from './wire/tcp.ts';
export * from './wire/udp.ts';
export * from './wire/arp.ts';
export * from './wire/ethernet.ts';
export * from './wire/linux-sll.ts';
export * from './wire/loopback-null.ts';
export * from './wire/link-type.ts';
export * from './wire/pcap.ts';
export * from './wire/pcapng.ts';

// Capture files on disk.
export * from './io/pcap-file.ts';

// Network I/O (raw sockets, live capture, routes, privileges) and engines.
export * from './net/raw-socket.ts';
export * from './net/capture.ts';
export * from './net/routes.ts';
export * from './net/privileges.ts';
export * from './engine/ping.ts';
export * from './net/ipv4-sender.ts';
export * from './net/firewall.ts';
export * from './engine/tcp-session.ts';
export * from './engine/http-get.ts';
export * from './engine/tcp-probe.ts';
export * from './engine/traceroute.ts';
