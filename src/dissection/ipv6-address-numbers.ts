// The TCP conversation tracker and the echo matcher key endpoints by number:
// an IPv4 address is its own 32-bit number. An IPv6 address gets a number of
// its own per capture, from 2^32 upward, so it can never equal an IPv4 one,
// and address * 2^16 + port stays an exact integer (below 2^53). Unlike a
// hash of the 128 bits, two addresses never share a number. The table also
// keeps each address's RFC 5952 text: captures repeat the same few
// addresses, and formatting them was the largest cost of an IPv6 summary.
//
// Looked up twice per packet, so the table is an open-addressing hash over
// typed arrays keyed by the address's four 32-bit words: no Map of heap
// numbers, and a match is four integer comparisons rather than a byte loop.

import { formatIpv6Address, ipv6AddressWord } from '../wire/ipv6-address.ts';

const FIRST_IPV6_NUMBER = 2 ** 32;
/** Addresses remembered at most; a scan of an address space cannot grow the table without bound. */
const MAX_ADDRESSES = 65536;
const INITIAL_SLOTS = 64;
const WORDS_PER_ADDRESS = 4;

export interface Ipv6AddressEntry {
  readonly number: number;
  readonly text: string;
}

function slotHash(w0: number, w1: number, w2: number, w3: number): number {
  const h = Math.imul(w0 ^ ((w1 << 13) | (w1 >>> 19)), 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3 ^ (w3 >>> 16), 0xc2b2ae35);
  return h ^ (h >>> 15);
}

export class Ipv6AddressNumbers {
  /** Entry index + 1 per slot, 0 for an empty one; at most half full. */
  private slots = new Int32Array(INITIAL_SLOTS);
  /** Each entry's address as four words, at index * 4. */
  private words = new Int32Array((INITIAL_SLOTS / 2) * WORDS_PER_ADDRESS);
  private entries: Ipv6AddressEntry[] = [];
  private next = FIRST_IPV6_NUMBER;

  /** The entry of the 16-byte address at bytes[at]. */
  entryAt(bytes: Uint8Array, at: number): Ipv6AddressEntry {
    const w0 = ipv6AddressWord(bytes, at, 0);
    const w1 = ipv6AddressWord(bytes, at, 1);
    const w2 = ipv6AddressWord(bytes, at, 2);
    const w3 = ipv6AddressWord(bytes, at, 3);
    const slots = this.slots;
    const words = this.words;
    const mask = slots.length - 1;
    let slot = slotHash(w0, w1, w2, w3) & mask;
    for (;;) {
      const index = slots[slot] - 1;
      if (index < 0) break;
      const k = index * WORDS_PER_ADDRESS;
      if (words[k] === w0 && words[k + 1] === w1 && words[k + 2] === w2 && words[k + 3] === w3) return this.entries[index];
      slot = (slot + 1) & mask;
    }
    return this.add(bytes, at, w0, w1, w2, w3);
  }

  private add(bytes: Uint8Array, at: number, w0: number, w1: number, w2: number, w3: number): Ipv6AddressEntry {
    // Forget all rather than track ages: a forgotten address gets a fresh number (never a reused one).
    if (this.entries.length >= MAX_ADDRESSES) {
      this.slots = new Int32Array(INITIAL_SLOTS);
      this.words = new Int32Array((INITIAL_SLOTS / 2) * WORDS_PER_ADDRESS);
      this.entries = [];
    } else if ((this.entries.length + 1) * 2 > this.slots.length) {
      this.grow();
    }
    const index = this.entries.length;
    const entry = { number: this.next++, text: formatIpv6Address(bytes, at) };
    this.entries.push(entry);
    const k = index * WORDS_PER_ADDRESS;
    this.words[k] = w0;
    this.words[k + 1] = w1;
    this.words[k + 2] = w2;
    this.words[k + 3] = w3;
    this.place(index);
    return entry;
  }

  /** Puts entry `index` in the first free slot from its hash on. */
  private place(index: number): void {
    const words = this.words;
    const k = index * WORDS_PER_ADDRESS;
    const mask = this.slots.length - 1;
    let slot = slotHash(words[k], words[k + 1], words[k + 2], words[k + 3]) & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = index + 1;
  }

  private grow(): void {
    const slots = this.slots.length * 2;
    const words = new Int32Array((slots / 2) * WORDS_PER_ADDRESS);
    words.set(this.words);
    this.words = words;
    this.slots = new Int32Array(slots);
    for (let index = 0; index < this.entries.length; index++) this.place(index);
  }
}
