// Text of the built-vs-sent comparison (src/dissection/built-vs-sent.ts):
// the two datagrams side by side, eight bytes a row, with a ^^ under every
// byte of the sent one that differs, then each changed field with its two
// values and who changed it.
//
//   offset  built                    sent
//   0000    45 00 00 1e 00 00 00 00  45 00 00 1e 9e 08 40 00
//                                                ^^ ^^ ^^

import type { BuiltVsSent } from '../dissection/built-vs-sent.ts';
import { spacedHex } from './hex-dump.ts';
import { PLAIN_STYLE, type TextStyle } from './terminal-style.ts';

const BYTES_PER_ROW = 8;
const COLUMN = BYTES_PER_ROW * 3 - 1;

function row(bytes: Uint8Array, from: number): string {
  return spacedHex(bytes.subarray(from, from + BYTES_PER_ROW)).padEnd(COLUMN);
}

export function builtVsSentLines(comparison: BuiltVsSent, where: string, style: TextStyle = PLAIN_STYLE): string[] {
  const { built, sent, changes, differingOffsets } = comparison;
  const differs = new Set(differingOffsets);
  const lines = [style.bold(`Built vs sent: the datagram the lab built, and the one captured leaving ${where}`)];
  lines.push(`  offset  ${'built'.padEnd(COLUMN)}  sent`);
  const length = Math.max(built.length, sent.length);
  for (let start = 0; start < length; start += BYTES_PER_ROW) {
    lines.push(`  ${start.toString(16).padStart(4, '0')}    ${row(built, start)}  ${row(sent, start).trimEnd()}`.trimEnd());
    let marks = '';
    for (let i = start; i < Math.min(start + BYTES_PER_ROW, length); i++) marks += differs.has(i) ? '^^ ' : '   ';
    if (marks.trim() !== '') lines.push(`${' '.repeat(10 + COLUMN + 2)}${style.bad(marks.trimEnd())}`);
  }
  if (changes.length === 0) {
    lines.push(style.good('  the same bytes: the packet left exactly as built'));
    return lines;
  }
  lines.push(`  ${changes.length} field${changes.length === 1 ? '' : 's'} filled or changed on the way out:`);
  const name = (c: (typeof changes)[number]) => `${c.layer} ${c.field}`;
  const nameWidth = Math.max(...changes.map((c) => name(c).length));
  const builtWidth = Math.max(...changes.map((c) => c.built.length));
  const sentWidth = Math.max(...changes.map((c) => c.sent.length));
  for (const change of changes) {
    lines.push(`    ${name(change).padEnd(nameWidth)}  ${change.built.padEnd(builtWidth)} -> ${change.sent.padEnd(sentWidth)}  ${change.why}`);
  }
  return lines;
}
