// IPv6 addresses travel as 16 bytes; people write them as RFC 4291 text.
// Codecs accept either; text out follows RFC 5952 (lowercase, longest zero run
// compressed) so it matches what ip(8), tcpdump and Wireshark print.

export type Ipv6AddressInput = string | Uint8Array;

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function fail(text: string): never {
  throw new RangeError(`not an IPv6 address: ${JSON.stringify(text)}`);
}

/** Parses one side of a '::' into 16-bit groups; an embedded dotted quad is allowed last. */
function parseGroups(text: string, side: string, allowQuad: boolean): number[] {
  if (side === '') return [];
  const parts = side.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (allowQuad && i === parts.length - 1 && part.includes('.')) {
      const m = DOTTED_QUAD.exec(part);
      if (!m) fail(text);
      const q = [1, 2, 3, 4].map((k) => {
        const s = m[k];
        if (s.length > 1 && s[0] === '0') fail(text);
        const n = Number(s);
        if (n > 255) fail(text);
        return n;
      });
      groups.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
    } else {
      if (!HEX_GROUP.test(part)) fail(text);
      groups.push(parseInt(part, 16));
    }
  }
  return groups;
}

/** Parses RFC 4291 text (with '::' and a trailing dotted quad) into 16 bytes; throws RangeError otherwise. Zone ids are not accepted. */
export function parseIpv6Address(text: string): Uint8Array {
  const halves = text.split('::');
  if (halves.length > 2) fail(text);
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(text, halves[0], false);
    const tail = parseGroups(text, halves[1], true);
    // '::' stands for at least one zero group.
    if (head.length + tail.length > 7) fail(text);
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    groups = parseGroups(text, text, true);
    if (groups.length !== 8) fail(text);
  }
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = groups[i] >>> 8;
    bytes[2 * i + 1] = groups[i] & 0xff;
  }
  return bytes;
}

/** 16 bytes from either form; a byte array must have length 16. */
export function ipv6AddressBytes(address: Ipv6AddressInput): Uint8Array {
  if (typeof address === 'string') return parseIpv6Address(address);
  if (address.length !== 16) throw new RangeError(`an IPv6 address has 16 bytes, not ${address.length}`);
  return address;
}

/** Word `index` (0-3) of the 16-byte address at bytes[offset], as a signed 32-bit integer (what an Int32Array holds). */
export function ipv6AddressWord(bytes: Uint8Array, offset: number, index: number): number {
  const at = offset + 4 * index;
  return (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
}

/** RFC 5952 text of the 16 bytes at `offset`; IPv4-mapped addresses end in a dotted quad. */
export function formatIpv6Address(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]);
  const isMapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (isMapped) {
    const b = offset + 12;
    return `::ffff:${bytes[b]}.${bytes[b + 1]}.${bytes[b + 2]}.${bytes[b + 3]}`;
  }
  // Longest run of two or more zero groups; the first one wins a tie (RFC 5952 4.2.3).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
