// Text of an RFC 1071 checksum walkthrough (see
// src/dissection/checksum-walkthrough.ts): one line per pseudo-header and
// header word, data words eight to a line, then the folds, the complement
// and the verdict, so the arithmetic can be followed with a pencil.

import type { ChecksumExplanation, ChecksumWord } from '../dissection/checksum-walkthrough.ts';
import { isWalkthrough } from '../dissection/checksum-walkthrough.ts';
import { PLAIN_STYLE, type TextStyle } from './terminal-style.ts';

const DATA_WORDS_PER_LINE = 8;

const hex = (value: number, digits = 4): string => `0x${value.toString(16).padStart(digits, '0')}`;
const byteHex = (b: number): string => b.toString(16).padStart(2, '0');

function wordLine(word: ChecksumWord): string {
  const where = (word.offset === undefined ? '-' : String(word.offset)).padStart(6);
  const note = word.isChecksumField ? `${word.label}` : word.padded ? `${word.label} (odd last byte, padded with 00)` : word.label;
  return `  ${where}  ${byteHex(word.high)} ${byteHex(word.low)}  ${hex(word.value)}  ${hex(word.sum, 5).padStart(11)}  ${note}`;
}

function dataLines(words: readonly ChecksumWord[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < words.length; i += DATA_WORDS_PER_LINE) {
    const chunk = words.slice(i, i + DATA_WORDS_PER_LINE);
    const values = chunk.map((w) => (w.padded ? `${byteHex(w.high)}00` : `${byteHex(w.high)}${byteHex(w.low)}`)).join(' ');
    const last = chunk[chunk.length - 1];
    lines.push(`  ${String(chunk[0].offset).padStart(6)}  ${values.padEnd(DATA_WORDS_PER_LINE * 5 - 1)}  sum ${hex(last.sum, 5)}`);
  }
  return lines;
}

export function checksumWalkthroughLines(explanation: ChecksumExplanation, style: TextStyle = PLAIN_STYLE): string[] {
  if (!isWalkthrough(explanation)) return [style.bold(`${explanation.title} (RFC 1071)`), `  ${explanation.unavailable}`];
  const w = explanation;
  const lines = [style.bold(`${w.title} (RFC 1071)`), `  covers ${w.covers}; each 16-bit word is read big-endian (network order)`];
  lines.push('  offset  bytes  word    running sum  what');
  const pseudo = w.words.filter((x) => x.part === 'pseudo-header');
  const header = w.words.filter((x) => x.part === 'header');
  const data = w.words.filter((x) => x.part === 'data');
  if (pseudo.length > 0) {
    lines.push('  pseudo-header (not sent; rebuilt by both ends from the IP header):');
    for (const word of pseudo) lines.push(wordLine(word));
  }
  if (header.length > 0) {
    if (pseudo.length > 0) lines.push('  header:');
    for (const word of header) lines.push(wordLine(word));
  }
  if (data.length > 0) {
    lines.push(`  data (${data.length} words${data[data.length - 1].padded ? ', the last padded with 00' : ''}):`);
    lines.push(...dataLines(data));
  }
  lines.push(`  sum of ${w.words.length} words = ${hex(w.total, 5)}`);
  if (w.folds.length === 0) lines.push('  no carries above 16 bits: nothing to fold');
  w.folds.forEach((f, i) => {
    lines.push(`  fold ${i + 1}: ${hex(f.before, 5)} -> carry ${hex(f.carry, 1)} + low 16 bits ${hex(f.low)} = ${hex(f.after, f.after > 0xffff ? 5 : 4)}`);
  });
  lines.push(`  ones' complement: ~${hex(w.folded)} = ${hex(w.computed)}`);
  if (w.transmitted !== w.computed) lines.push(`  UDP sends a computed 0x0000 as ${hex(w.transmitted)} (0 would mean "no checksum")`);
  const verdict = w.matches
    ? style.good(`stored ${hex(w.stored)} = computed ${hex(w.transmitted)}: correct`)
    : style.bad(`stored ${hex(w.stored)} != computed ${hex(w.transmitted)}: incorrect`);
  lines.push(`  ${verdict}`);
  lines.push(
    `  receiver's check: all words with the stored checksum in place fold to ${hex(w.verificationSum)}` +
      (w.verificationSum === 0xffff ? ' (0xffff: valid)' : ' (not 0xffff: invalid)'),
  );
  if (w.offloadPartialSum) {
    lines.push(
      style.warn(
        `  ${hex(w.stored)} is exactly the folded pseudo-header sum: checksum offload. The sender's kernel put only the ` +
          'pseudo-header sum in the field for the NIC to finish; this capture saw the packet before the NIC did.',
      ),
    );
  }
  return lines;
}
