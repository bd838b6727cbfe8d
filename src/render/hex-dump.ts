// The hex and ASCII dump tshark prints with -x, byte for byte:
//
//   0000  45 00 00 54 21 55 40 00 40 01 02 b8 0a 4d 01 01   E..T!U@.@....M..
//
// four hex digits of offset, two spaces, sixteen bytes, three spaces, the
// printable ASCII (anything outside 0x20-0x7e as '.'); the last line's hex
// part is padded so the ASCII column stays aligned.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const ASCII = Array.from({ length: 256 }, (_, i) => (i >= 0x20 && i < 0x7f ? String.fromCharCode(i) : '.'));

/** Lines of the dump of `bytes`; offsets count from `startOffset` (tshark uses 4 digits until 0xffff). */
export function hexDumpLines(bytes: Uint8Array, startOffset = 0): string[] {
  const lines: string[] = [];
  const digits = startOffset + bytes.length > 0x10000 ? 8 : 4;
  for (let row = 0; row < bytes.length; row += 16) {
    const end = Math.min(row + 16, bytes.length);
    let hex = '';
    let ascii = '';
    for (let i = row; i < end; i++) {
      hex += i === row ? HEX[bytes[i]] : ` ${HEX[bytes[i]]}`;
      ascii += ASCII[bytes[i]];
    }
    lines.push(`${(startOffset + row).toString(16).padStart(digits, '0')}  ${hex.padEnd(47)}   ${ascii}`);
  }
  return lines;
}

/** Bytes as one run of lower-case hex, e.g. for JSON or a "Data:" line. */
export function hexString(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += HEX[bytes[i]];
  return text;
}

/** "08 00 e5 ca": bytes separated by spaces. */
export function spacedHex(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += i === 0 ? HEX[bytes[i]] : ` ${HEX[bytes[i]]}`;
  return text;
}
