// IPv4 addresses travel as 4 bytes; people write them as dotted quads.
// Codecs accept either and report dotted quads.

export type Ipv4AddressInput = string | Uint8Array;

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses a dotted quad into 4 bytes; throws RangeError on anything else. */
export function parseIpv4Address(text: string): Uint8Array {
  const m = DOTTED_QUAD.exec(text);
  if (m) {
    const bytes = new Uint8Array(4);
    let ok = true;
    for (let i = 0; i < 4; i++) {
      const part = m[i + 1];
      const n = Number(part);
      if (n > 255 || (part.length > 1 && part[0] === '0')) ok = false;
      bytes[i] = n;
    }
    if (ok) return bytes;
  }
  throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
}

/** 4 bytes from either form; a byte array must have length 4. */
export function ipv4AddressBytes(address: Ipv4AddressInput): Uint8Array {
  if (typeof address === 'string') return parseIpv4Address(address);
  if (address.length !== 4) throw new RangeError(`an IPv4 address has 4 bytes, not ${address.length}`);
  return address;
}

/** Dotted quad of the 4 bytes at `offset`. */
export function formatIpv4Address(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** The address as an unsigned 32-bit number (network order), as Ipv4View.sourceNumber reads it; throws RangeError like ipv4AddressBytes. */
export function ipv4AddressNumber(address: Ipv4AddressInput): number {
  const b = ipv4AddressBytes(address);
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}
