// packet-lab's main entry (`import ... from 'packet-lab'`): the pure wire
// layer (struct packing, RFC 1071 checksum and verdicts, zero-copy header
// views, IPv4/IPv6/ICMP/ICMPv6/TCP/UDP/ARP codecs, link layers, pcap/pcapng codecs) and
// capture files on disk. It must never load a native module or node:dgram,
// so it works wherever Node does, without root and without raw-socket's or
// cap's native builds (test/package-entry.test.ts checks this). Sockets, live
// capture and the engines are 'packet-lab/net'.

// Wire layer: pure codecs, no I/O.
export * from './wire/struct.ts';
export * from './wire/checksum.ts';
export * from './wire/parse-result.ts';
export * from './wire/header-view.ts';
export * from './wire/ipv4-address.ts';
export * from './wire/ipv6-address.ts';
export * from './wire/ipv4.ts';
export * from './wire/ipv6.ts';
export * from './wire/icmp.ts';
export * from './wire/icmpv6.ts';
export * from './wire/tcp.ts';
export * from './wire/udp.ts';
export * from './wire/arp.ts';
export * from './wire/reply-matching.ts';
export * from './wire/layers.ts';
export * from './wire/ethernet.ts';
export * from './wire/linux-sll.ts';
export * from './wire/loopback-null.ts';
export * from './wire/link-type.ts';
export * from './wire/pcap.ts';
export * from './wire/pcapng.ts';

// Capture files on disk.
export * from './io/pcap-file.ts';
