// `craft icmp --struct '!QQ' 0x48656c6c6f 0x20776f726c6421`: turns command-line
// words into the values src/wire/struct.ts's pack() takes for a format, and
// says which bytes each item became, so craft can show where a Q field's
// leading zero bytes come from.
//
// The format is split into items here only to pick each word's type (an
// integer, a float, text) and label it; sizes, alignment and the bytes
// themselves always come from struct.ts (calcsize, pack), so Python's rules
// are applied in one place.

import { compileFormat, type Struct, StructError, type StructValue } from '../wire/struct.ts';

export interface StructItem {
  /** The item's format character with its count for s/p, e.g. "Q", "5s". */
  readonly code: string;
  /** The word from the command line. */
  readonly text: string;
  readonly value: StructValue;
  /** Where the item's bytes start in the packed result, and how many. */
  readonly offset: number;
  readonly size: number;
}

export interface PackedStruct {
  readonly format: string;
  readonly bytes: Uint8Array;
  readonly items: readonly StructItem[];
}

export class StructArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StructArgumentError';
  }
}

const INTEGER_CODES = 'bBhHiIlLqQnNP';
const FLOAT_CODES = 'efd';
const ITEM = /\s*(\d*)([xcbB?hHiIlLqQnNefdspP])\s*/y;

/**
 * The byte-order prefix ('' for none, which is '@') and one code per value
 * the format takes: "!QQ" gives '!' and ['Q', 'Q'], "=H5s" gives ['H', '5s'].
 * Pad bytes ('x') stay attached to the item after them ("2xH"), so a prefix
 * of the list is a prefix of the format. Call after calcsize() accepted it.
 */
export function structItems(format: string): { prefix: string; codes: string[] } {
  const prefix = /^[@=<>!]/.test(format) ? format[0] : '';
  const codes: string[] = [];
  let pad = '';
  let position = prefix.length;
  while (position < format.length) {
    ITEM.lastIndex = position;
    const match = ITEM.exec(format);
    if (match === null) {
      if (format.slice(position).trim() === '') break;
      throw new StructArgumentError(`bad struct format '${format}' at character ${position}`);
    }
    position = ITEM.lastIndex;
    const [, countText, char] = match;
    const count = countText === '' ? 1 : Number(countText);
    if (char === 'x') {
      pad += `${count}x`;
    } else if (char === 's' || char === 'p') {
      codes.push(`${pad}${count}${char}`);
      pad = '';
    } else {
      for (let i = 0; i < count; i++) {
        codes.push(`${i === 0 ? pad : ''}${char}`);
      }
      pad = '';
    }
  }
  return { prefix, codes };
}

function parseInteger(text: string, code: string): StructValue {
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  let value: bigint;
  try {
    if (!/^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.test(digits)) throw new SyntaxError();
    value = BigInt(digits);
  } catch {
    throw new StructArgumentError(`'${text}' is not an integer (for the '${code}' item)`);
  }
  if (negative) value = -value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function valueFor(code: string, text: string): StructValue {
  const char = code[code.length - 1];
  if (INTEGER_CODES.includes(char)) return parseInteger(text, char);
  if (FLOAT_CODES.includes(char)) {
    const value = Number(text);
    if (text.trim() === '' || (Number.isNaN(value) && text.toLowerCase() !== 'nan')) throw new StructArgumentError(`'${text}' is not a number (for the '${char}' item)`);
    return value;
  }
  if (char === '?') {
    if (/^(1|true|yes)$/i.test(text)) return true;
    if (/^(0|false|no)$/i.test(text)) return false;
    throw new StructArgumentError(`'${text}' is not a boolean (for the '?' item): use true/false or 1/0`);
  }
  return text; // c, s, p: text, encoded as UTF-8 by pack
}

/**
 * Packs the words for `format` with Python's struct rules; throws StructArgumentError with CPython's message on bad input.
 * Linear in the number of items: counts are compared before the format is expanded into items, values are
 * passed to struct as one array (never spread into a call), and item offsets come from struct's own layout.
 */
export function packStructArguments(format: string, words: readonly string[]): PackedStruct {
  let struct: Struct;
  try {
    struct = compileFormat(format);
  } catch (error) {
    throw new StructArgumentError(`bad struct format '${format}': ${(error as Error).message}`);
  }
  if (words.length !== struct.items) {
    throw new StructArgumentError(`struct format '${format}' takes ${struct.items} value${struct.items === 1 ? '' : 's'}, got ${words.length}`);
  }
  const { codes } = structItems(format);
  if (codes.length !== struct.items) throw new Error(`internal: struct format '${format}' split into ${codes.length} items, struct counts ${struct.items}`);
  const values = codes.map((code, i) => valueFor(code, words[i]));
  let bytes: Uint8Array;
  try {
    bytes = struct.packValues(values);
  } catch (error) {
    if (error instanceof StructError || error instanceof TypeError) throw new StructArgumentError(`struct.pack('${format}', ...): ${error.message}`);
    throw error;
  }
  const spans = struct.itemSpans();
  const items: StructItem[] = codes.map((code, i) => ({
    code: code.replace(/^(\d*x)+/, ''),
    text: words[i],
    value: values[i],
    offset: spans[i].offset,
    size: spans[i].size,
  }));
  return { format, bytes, items };
}
