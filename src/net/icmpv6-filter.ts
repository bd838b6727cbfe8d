// ICMP6_FILTER (RFC 3542 §3.2): which ICMPv6 types a raw ICMPv6 socket is
// handed. Without one, every ICMPv6 packet the host receives reaches the
// socket (neighbor discovery and MLD included), and each costs a trip into JS.

/**
 * struct icmp6_filter for the kernel: 256 bits in host order, one per ICMPv6
 * type, a set bit blocking the type (ICMP6_FILTER_SETBLOCKALL, then
 * ICMP6_FILTER_SETPASS for each type given).
 */
export function icmpv6FilterBytes(passTypes: readonly number[]): Uint8Array {
  const words = new Uint32Array(8).fill(0xffffffff);
  for (const type of passTypes) {
    if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError(`ICMPv6 type ${type} is not 0..255`);
    words[type >>> 5] &= ~(1 << (type & 31));
  }
  return new Uint8Array(words.buffer);
}
