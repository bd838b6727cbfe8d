// Header fields in network byte order: the reads, writes and range checks
// every protocol codec needs, in one place.

/** Big-endian 16-bit field at offset o. */
export function read16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Big-endian 32-bit field at offset o, as an unsigned number. */
export function read32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function write16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
}

export function write32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/**
 * Returns `value` when it is an integer that fits in `bits` (at most 32)
 * unsigned bits; throws a RangeError naming the protocol and field otherwise.
 */
export function checkUnsignedField(protocol: string, name: string, value: number, bits: number): number {
  // `>>> 0` is the identity exactly on integers in [0, 2^32), so the common case costs two comparisons.
  if (value >>> 0 === value && (bits === 32 || value >>> bits === 0)) return value;
  throw new RangeError(`${protocol} ${name} must be an integer in [0, ${2 ** bits - 1}], got ${value}`);
}
