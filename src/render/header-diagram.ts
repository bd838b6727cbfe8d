// RFC-style box diagrams, 32 bits a row, holding this packet's values:
//
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |Version|  IHL  |   DSCP    |ECN|         Total Length          |
//    |   4   |   5   |     0     | 0 |              84               |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Every bit is two columns, so each row is exactly 65 characters. A row
// shows the field names on its first line and this packet's values on the
// second, centred in each field (a narrow field falls back to its short
// name or value, then is cut). A field that crosses a row boundary (an
// option at an odd offset) is drawn in pieces; the value goes in the first.

import type { HeaderLayout, LayoutField } from '../dissection/header-layout.ts';
import { spacedHex } from './hex-dump.ts';

export const DIAGRAM_ROW_BITS = 32;
/** Characters in every box line: a '|' or '+' before each bit and one after the last. */
export const DIAGRAM_WIDTH = DIAGRAM_ROW_BITS * 2 + 1;

export const BIT_RULER = [
  ' 0                   1                   2                   3',
  ' 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1',
];

const BORDER = `${'+-'.repeat(DIAGRAM_ROW_BITS)}+`;

interface Piece {
  readonly bits: number;
  readonly name: string;
  readonly value: string;
}

function centre(text: string, width: number): string {
  const left = Math.floor((width - text.length) / 2);
  return ' '.repeat(left) + text + ' '.repeat(width - text.length - left);
}

/** The longest of the candidates that fits `width`, else the last one cut to fit. */
function fit(width: number, ...candidates: (string | undefined)[]): string {
  const present = candidates.filter((c): c is string => c !== undefined);
  for (const candidate of present) if (candidate.length <= width) return candidate;
  const last = present[present.length - 1] ?? '';
  return width <= 1 ? last.slice(0, width) : `${last.slice(0, width - 1)}…`;
}

/** Cuts the fields into 32-bit rows of pieces. */
function rows(fields: readonly LayoutField[]): Piece[][] {
  const result: Piece[][] = [];
  let row: Piece[] = [];
  let used = 0;
  for (const field of fields) {
    let remaining = field.bits;
    let first = true;
    while (remaining > 0) {
      const take = Math.min(remaining, DIAGRAM_ROW_BITS - used);
      const width = take * 2 - 1;
      const name = first ? fit(width, field.name, field.shortName) : fit(width, `(${field.shortName ?? field.name} cont.)`, '…');
      const value = first ? fit(width, field.value, field.shortValue) : '';
      row.push({ bits: take, name, value });
      remaining -= take;
      used += take;
      first = false;
      if (used === DIAGRAM_ROW_BITS) {
        result.push(row);
        row = [];
        used = 0;
      }
    }
  }
  if (row.length > 0) result.push(row);
  return result;
}

function rowLine(pieces: readonly Piece[], text: (p: Piece) => string): string {
  let line = '';
  for (const piece of pieces) line += `|${centre(text(piece), piece.bits * 2 - 1)}`;
  return `${line}|`;
}

/** The diagram's lines: title, bit ruler, boxes; every box line is DIAGRAM_WIDTH wide (a last partial row ends early, as RFCs draw it). */
export function headerDiagramLines(layout: HeaderLayout): string[] {
  const lines = [layout.title, ...BIT_RULER, BORDER];
  for (const row of rows(layout.fields)) {
    lines.push(rowLine(row, (p) => p.name), rowLine(row, (p) => p.value));
    const bits = row.reduce((n, p) => n + p.bits, 0);
    lines.push(bits === DIAGRAM_ROW_BITS ? BORDER : `${'+-'.repeat(bits)}+`);
  }
  if (layout.trailing) {
    const inner = DIAGRAM_WIDTH - 2;
    lines.push(`|${centre(fit(inner, layout.trailing.label), inner)}|`);
    lines.push(`|${centre(fit(inner, spacedHex(layout.trailing.bytes)), inner)}|`);
    lines.push(BORDER);
  }
  return lines;
}

/** The layout as an indented field listing (title, then "Name: value" lines), for packets the field tree cannot show yet. */
export function headerFieldLines(layout: HeaderLayout): string[] {
  const lines = [layout.title];
  for (const field of layout.fields) lines.push(`    ${field.name}: ${field.value}`);
  if (layout.trailing) lines.push(`    ${layout.trailing.label}: ${spacedHex(layout.trailing.bytes)}`);
  return lines;
}
