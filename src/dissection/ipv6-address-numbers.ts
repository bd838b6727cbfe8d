// The TCP conversation tracker and the echo matcher key endpoints by number:
// an IPv4 address is its own 32-bit number. An IPv6 address gets a number of
// its own per capture, from 2^32 upward, so it can never equal an IPv4 one,
// and address * 2^16 + port stays an exact integer (below 2^53). Unlike a
// hash of the 128 bits, two addresses never share a number. The table also
// keeps each address's RFC 5952 text: captures repeat the same few
// addresses, and formatting them was the largest cost of an IPv6 summary.

import { formatIpv6Address } from '../wire/ipv6-address.ts';
import { ipv6AddressFold } from '../wire/reply-matching.ts';

const FIRST_IPV6_NUMBER = 2 ** 32;
/** Addresses remembered at most; a scan of an address space cannot grow the table without bound. */
const MAX_ADDRESSES = 65536;
const ADDRESS_BYTES = 16;

export interface Ipv6AddressEntry {
  readonly number: number;
  readonly text: string;
  readonly bytes: Uint8Array;
}

export class Ipv6AddressNumbers {
  /** By the address's 32-bit fold; a fold shared by several addresses holds them all. */
  private readonly byFold = new Map<number, Ipv6AddressEntry[]>();
  private size = 0;
  private next = FIRST_IPV6_NUMBER;

  /** The entry of the 16-byte address at bytes[at]. */
  entryAt(bytes: Uint8Array, at: number): Ipv6AddressEntry {
    const fold = ipv6AddressFold(bytes, at);
    let entries = this.byFold.get(fold);
    if (entries !== undefined) {
      for (let e = 0; e < entries.length; e++) {
        const known = entries[e].bytes;
        let i = 0;
        while (i < ADDRESS_BYTES && known[i] === bytes[at + i]) i++;
        if (i === ADDRESS_BYTES) return entries[e];
      }
    }
    // Forget all rather than track ages: a forgotten address gets a fresh number (never a reused one).
    if (this.size >= MAX_ADDRESSES) {
      this.byFold.clear();
      this.size = 0;
      entries = undefined;
    }
    const entry = { number: this.next++, text: formatIpv6Address(bytes, at), bytes: bytes.slice(at, at + ADDRESS_BYTES) };
    if (entries === undefined) this.byFold.set(fold, [entry]);
    else entries.push(entry);
    this.size++;
    return entry;
  }
}
