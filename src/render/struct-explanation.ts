// Where every byte of a --struct payload comes from: each item, the word it
// was given, the bytes pack() wrote for it and, for integers, how many of
// those are zero padding of a fixed-width field. This is the seed example's
// puzzle ("why is there a null between o and space?") answered on screen.

import type { PackedStruct } from '../crafting/struct-values.ts';
import { spacedHex } from './hex-dump.ts';

const INTEGER_CODES = 'bBhHiIlLqQnNP';

const article = (n: number): string => (n === 8 || n === 11 || n === 18 ? 'an' : 'a');

function printable(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
}

/** Lines explaining the packed bytes; `littleEndian` follows the format's prefix. */
export function structExplanationLines(struct: PackedStruct): string[] {
  const prefix = struct.format[0];
  const bigEndian = prefix === '!' || prefix === '>';
  const lines = [`Payload from --struct '${struct.format}' (Python struct.pack, ${bigEndian ? 'big-endian' : 'little-endian'}): ${struct.bytes.length} bytes`];
  const width = Math.max(...struct.items.map((item) => item.text.length), 5);
  let zeros = 0;
  let text = '';
  let allIntegers = true;
  for (const item of struct.items) {
    const bytes = struct.bytes.subarray(item.offset, item.offset + item.size);
    let note = '';
    if (INTEGER_CODES.includes(item.code)) {
      // High-order zero bytes: at the front when big-endian, at the back when little-endian.
      let padding = 0;
      while (padding < bytes.length && bytes[bigEndian ? padding : bytes.length - 1 - padding] === 0) padding++;
      if (padding === bytes.length) padding = bytes.length - 1; // the value 0 still needs its last byte
      const needed = bytes.length - padding;
      zeros += padding;
      const significant = bigEndian ? bytes.subarray(padding) : bytes.subarray(0, needed);
      text += new TextDecoder('latin1').decode(bigEndian ? significant : significant.slice().reverse());
      note =
        padding === 0
          ? `${article(item.size)} ${item.size}-byte field, filled by the value`
          : `${article(item.size)} ${item.size}-byte field; the value needs ${needed}: ${padding} ${bigEndian ? 'leading' : 'trailing'} zero byte${padding === 1 ? '' : 's'}`;
    } else {
      allIntegers = false;
      note = `${item.size} byte${item.size === 1 ? '' : 's'}`;
    }
    lines.push(`  at ${String(item.offset).padStart(3)}  ${item.code.padEnd(3)} ${item.text.padEnd(width)}  ->  ${spacedHex(bytes).padEnd(23)}  "${printable(bytes)}"  ${note}`);
  }
  if (zeros > 0) {
    lines.push(
      `  The ${zeros} zero byte${zeros === 1 ? ' is' : 's are'} not separators: ${zeros === 1 ? 'it is a' : 'they are the'} high-order byte${zeros === 1 ? '' : 's'} ` +
        'of fixed-width integer fields (a Q is always 8 bytes, an I 4, an H 2), whatever the value.',
    );
    if (allIntegers && /^[\x20-\x7e]+$/.test(text)) {
      lines.push(`  The same text as plain bytes has none: --payload '${text.replace(/'/g, "'\\''")}'`);
    }
  }
  return lines;
}
