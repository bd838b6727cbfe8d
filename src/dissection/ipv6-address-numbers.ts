// The TCP conversation tracker and the echo matcher key endpoints by number:
// an IPv4 address is its own 32-bit number. An IPv6 address gets a number of
// its own per capture, from 2^32 upward, so it can never equal an IPv4 one,
// and address * 2^16 + port stays an exact integer (below 2^53). Unlike a
// hash of the 128 bits, two addresses never share a number.

const FIRST_IPV6_NUMBER = 2 ** 32;
/** Addresses remembered at most; a scan of an address space cannot grow the table without bound. */
const MAX_ADDRESSES = 65536;

export class Ipv6AddressNumbers {
  private readonly numbers = new Map<string, number>();
  private next = FIRST_IPV6_NUMBER;

  /** The number of this address (RFC 5952 text). */
  numberOf(address: string): number {
    let number = this.numbers.get(address);
    if (number === undefined) {
      // Forget all rather than track ages: a forgotten address gets a fresh number (never a reused one).
      if (this.numbers.size >= MAX_ADDRESSES) this.numbers.clear();
      number = this.next++;
      this.numbers.set(address, number);
    }
    return number;
  }
}
