// The names Wireshark prints for protocol values. They differ from the RFC
// names in src/wire ("Echo (ping) request" rather than "Echo Request",
// "Time-to-live exceeded", "Communication administratively filtered"), and
// dissect's output is meant to read line for line like tshark's, so the
// spellings are kept here, taken from Wireshark 4.0 (packet-icmp.c,
// packet-ip.c, packet-tcp.c and `tshark -G values`).

const ICMP_TYPES: Record<number, string> = {
  0: 'Echo (ping) reply',
  3: 'Destination unreachable',
  4: 'Source quench (flow control)',
  5: 'Redirect',
  6: 'Alternate host address',
  8: 'Echo (ping) request',
  9: 'Router advertisement',
  10: 'Router solicitation',
  11: 'Time-to-live exceeded',
  12: 'Parameter problem',
  13: 'Timestamp request',
  14: 'Timestamp reply',
  15: 'Information request',
  16: 'Information reply',
  17: 'Address mask request',
  18: 'Address mask reply',
  30: 'Traceroute',
  31: 'Datagram Conversion Error',
  32: 'Mobile Host Redirect',
  33: 'IPv6 Where-Are-You',
  34: 'IPv6 I-Am-Here',
  35: 'Mobile Registration Request',
  36: 'Mobile Registration Reply',
  37: 'Domain Name Request',
  38: 'Domain Name Reply',
  39: 'SKIP',
  40: 'Photuris',
  42: 'Extended Echo request',
  43: 'Extended Echo reply',
};

const ICMP_CODES: Record<number, readonly string[]> = {
  3: [
    'Network unreachable',
    'Host unreachable',
    'Protocol unreachable',
    'Port unreachable',
    'Fragmentation needed',
    'Source route failed',
    'Destination network unknown',
    'Destination host unknown',
    'Source host isolated',
    'Network administratively prohibited',
    'Host administratively prohibited',
    'Network unreachable for TOS',
    'Host unreachable for TOS',
    'Communication administratively filtered',
    'Host precedence violation',
    'Precedence cutoff in effect',
  ],
  5: ['Redirect for network', 'Redirect for host', 'Redirect for TOS and network', 'Redirect for TOS and host'],
  11: ['Time to live exceeded in transit', 'Fragment reassembly time exceeded'],
  12: ['Pointer indicates the error', 'Required option missing', 'Bad length'],
};

/** Wireshark's name of an ICMP type, e.g. "Echo (ping) request"; "Unknown ICMP (obsolete or malformed?)" otherwise. */
export function wiresharkIcmpTypeName(type: number): string {
  return ICMP_TYPES[type] ?? 'Unknown ICMP (obsolete or malformed?)';
}

/** Wireshark's name of a code, or undefined for types whose codes have no names (echo: code 0 is just "0"). */
export function wiresharkIcmpCodeName(type: number, code: number): string | undefined {
  const names = ICMP_CODES[type];
  if (!names) return undefined;
  return names[code] ?? 'Unknown code';
}

const IP_PROTOCOLS: Record<number, string> = {
  0: 'IPv6 Hop-by-Hop Option',
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  43: 'Routing Header for IPv6',
  44: 'Fragment Header for IPv6',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  59: 'No Next Header for IPv6',
  60: 'Destination Options for IPv6',
  89: 'OSPF IGP',
  103: 'PIM',
  112: 'VRRP',
  132: 'SCTP',
};

export function ipProtocolName(protocol: number): string {
  return IP_PROTOCOLS[protocol] ?? 'Unknown';
}

const DSCP_NAMES: Record<number, string> = {
  0: 'Default',
  1: 'Lower Effort',
  8: 'Class Selector 1',
  10: 'Assured Forwarding 11',
  12: 'Assured Forwarding 12',
  14: 'Assured Forwarding 13',
  16: 'Class Selector 2',
  18: 'Assured Forwarding 21',
  20: 'Assured Forwarding 22',
  22: 'Assured Forwarding 23',
  24: 'Class Selector 3',
  26: 'Assured Forwarding 31',
  28: 'Assured Forwarding 32',
  30: 'Assured Forwarding 33',
  32: 'Class Selector 4',
  34: 'Assured Forwarding 41',
  36: 'Assured Forwarding 42',
  38: 'Assured Forwarding 43',
  40: 'Class Selector 5',
  44: 'Voice Admit',
  46: 'Expedited Forwarding',
  48: 'Class Selector 6',
  56: 'Class Selector 7',
};

/** The long DSCP name ("Class Selector 6"). */
export function dscpName(dscp: number): string {
  return DSCP_NAMES[dscp] ?? 'Unknown';
}

/** The short form in the DS field's summary ("CS6", "AF11", "EF", "LE"). */
export function dscpShortName(dscp: number): string {
  const name = DSCP_NAMES[dscp];
  if (dscp === 0) return 'CS0';
  if (name === undefined) return `Unknown (${dscp})`;
  if (name.startsWith('Class Selector ')) return `CS${name.slice(15)}`;
  if (name.startsWith('Assured Forwarding ')) return `AF${name.slice(19)}`;
  return { 1: 'LE', 44: 'VA', 46: 'EF' }[dscp] ?? name;
}

const ECN_NAMES = ['Not ECN-Capable Transport', "ECN-Capable Transport codepoint '01'", "ECN-Capable Transport codepoint '10'", 'Congestion Experienced'];
const ECN_SHORT = ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'];

export function ecnName(ecn: number): string {
  return ECN_NAMES[ecn & 3];
}

export function ecnShortName(ecn: number): string {
  return ECN_SHORT[ecn & 3];
}

const ETHER_TYPES: Record<number, string> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x8035: 'RARP',
  0x8100: '802.1Q Virtual LAN',
  0x86dd: 'IPv6',
  0x8847: 'MPLS label switched packet',
  0x8863: 'PPPoE Discovery',
  0x8864: 'PPPoE Session',
  0x888e: '802.1X Authentication',
  0x88a8: '802.1ad Provider Bridge (Q-in-Q)',
  0x88cc: '802.1 Link Layer Discovery Protocol (LLDP)',
  0x9100: 'QinQ: old non-standard 802.1ad',
};

export function etherTypeName(etherType: number): string {
  return ETHER_TYPES[etherType] ?? 'Unknown';
}

const SLL_PACKET_TYPES = ['Unicast to us', 'Broadcast', 'Multicast', 'Unicast to another host', 'Sent by us'];

export function sllPacketTypeName(packetType: number): string {
  return SLL_PACKET_TYPES[packetType] ?? 'Unknown';
}

const ARPHRD_NAMES: Record<number, string> = {
  1: 'Ethernet',
  24: 'IEEE 1394 IPv4',
  32: 'InfiniBand',
  512: 'PPP',
  519: 'Raw IP',
  768: 'IPIP tunnel',
  772: 'Loopback',
  776: 'sit0 device - IPv6-in-IPv4',
  778: 'GRE over IP',
  801: 'IEEE 802.11',
  803: 'IEEE 802.11 + radiotap header',
  824: 'Netlink',
  65534: 'zero header length',
  65535: 'Void type, nothing is known',
};

export function arphrdName(type: number): string {
  return ARPHRD_NAMES[type] ?? 'Unknown';
}

const BSD_FAMILIES: Record<number, string> = { 2: 'IP', 7: 'OSI', 16: 'Appletalk', 23: 'Netware IPX/SPX', 24: 'IPv6', 28: 'IPv6', 30: 'IPv6' };

export function bsdFamilyName(family: number): string {
  return BSD_FAMILIES[family] ?? 'Unknown';
}

const TCP_OPTION_KINDS: Record<number, string> = {
  0: 'End of Option List',
  1: 'No-Operation',
  2: 'Maximum Segment Size',
  3: 'Window Scale',
  4: 'SACK Permitted',
  5: 'SACK',
  6: 'Echo',
  7: 'Echo Reply',
  8: 'Time Stamp Option',
  19: 'MD5 Signature Option',
  28: 'User Timeout Option',
  29: 'The TCP Authentication Option',
  30: 'Multipath TCP',
  34: 'TCP Fast Open Cookie',
  253: 'RFC3692-style Experiment 1',
  254: 'RFC3692-style Experiment 2',
};

export function tcpOptionKindName(kind: number): string {
  return TCP_OPTION_KINDS[kind] ?? 'Unknown';
}

/** Encapsulation names in the Frame tree ("Encapsulation type: Ethernet (1)"), with Wireshark's WTAP numbers. */
const ENCAPSULATIONS: Record<number, readonly [string, number]> = {
  0: ['NULL/Loopback', 15],
  1: ['Ethernet', 1],
  101: ['Raw IP', 7],
  108: ['OpenBSD loopback', 58],
  113: ['Linux cooked-mode capture v1', 25],
  228: ['Raw IPv4', 129],
  229: ['Raw IPv6', 130],
  276: ['Linux cooked-mode capture v2', 210],
};

export function encapsulationName(linkType: number): string {
  const entry = ENCAPSULATIONS[linkType];
  return entry ? `${entry[0]} (${entry[1]})` : `Unknown (LINKTYPE ${linkType})`;
}

// ---------------------------------------------------------------------------
// IPv6 and ICMPv6 (packet-ipv6.c, packet-icmpv6.c)

const IPV6_OPTION_NAMES: Record<number, string> = {
  0x00: 'Pad1',
  0x01: 'PadN',
  0x04: 'Tunnel Encapsulation Limit',
  0x05: 'Router Alert',
  0xc2: 'Jumbo Payload',
  0xc9: 'Home Address',
};

/** tshark's name of a hop-by-hop / destination option type. */
export function ipv6OptionName(type: number): string {
  return IPV6_OPTION_NAMES[type] ?? 'Unknown IPv6 Option';
}

const IPV6_OPTION_ACTIONS = ['Skip and continue', 'Discard datagram', 'Discard and send ICMP Parameter Problem', 'Discard and send ICMP if not multicast'];

/** What a node that does not know the option does (the option type's two high bits). */
export function ipv6OptionActionName(action: number): string {
  return IPV6_OPTION_ACTIONS[action] ?? 'Unknown';
}

const ROUTER_ALERT_VALUES: Record<number, string> = { 0: 'MLD', 1: 'RSVP', 2: 'Active Networks' };

/** RFC 2711's router alert values as tshark names them. */
export function routerAlertName(value: number): string {
  return ROUTER_ALERT_VALUES[value] ?? 'Unknown';
}

const NDP_OPTION_NAMES: Record<number, string> = {
  1: 'Source link-layer address',
  2: 'Target link-layer address',
  3: 'Prefix information',
  4: 'Redirected header',
  5: 'MTU',
  25: 'Recursive DNS Server',
};

/** tshark's name of an NDP option type. */
export function ndpOptionName(type: number): string {
  return NDP_OPTION_NAMES[type] ?? 'Unknown';
}

const MLDV2_RECORD_TYPES: Record<number, string> = {
  1: 'Include',
  2: 'Exclude',
  3: 'Changed to include',
  4: 'Changed to exclude',
  5: 'Allow new sources',
  6: 'Block old sources',
};

/** tshark's name of an MLDv2 multicast address record type. */
export function mldv2RecordTypeName(type: number): string {
  return MLDV2_RECORD_TYPES[type] ?? 'Unknown';
}

const ROUTER_PREFERENCES = ['Medium', 'High', 'Reserved', 'Low'];

/** Default Router Preference (RFC 4191), the RA flags' Prf bits. */
export function routerPreferenceName(preference: number): string {
  return ROUTER_PREFERENCES[preference & 3];
}
