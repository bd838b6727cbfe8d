// Python `struct` compatible packing: the same formats, byte layouts and error
// messages as CPython 3.11's `_struct` module, so packets built here can be
// checked byte for byte against Python reference code.
//
// Native mode (`@`, the default) is the x86_64 Linux ABI whatever the host:
// little-endian, `l L n N P` are 8 bytes, items aligned like C. `=` and `<`
// use the little-endian standard table, `>` and `!` the big-endian one.
//
// Value mapping (Python -> JS):
// - Python int: bigint, or a safe-integer number, or a boolean (bool is an
//   int in Python). Integer items of size 8 unpack to bigint, smaller ones to
//   number. Integer numbers beyond Number.MAX_SAFE_INTEGER are refused (they
//   may already have lost precision); pass a bigint.
// - Python float: number. A bigint given to a float item behaves like a
//   Python int (converted with round-half-even, "int too large to convert"
//   on overflow, exactly as CPython reports it for ints).
// - Python bytes: Uint8Array (a Buffer works). `s`/`p` also take a string,
//   encoded as UTF-8; `c` also takes a one-character string with a code unit
//   <= 0xff. Unpacked bytes are fresh Uint8Array copies, never views.
// - `?` packs Python truthiness: 0, -0, 0n, false, '', empty bytes, empty
//   arrays, null and undefined are false; NaN is true, as in Python.
//
// Every error is a StructError carrying CPython's message, including the
// cases where CPython raises another type (OverflowError for floats too large
// for `e`/`f`, ValueError for an embedded NUL, UnicodeEncodeError for a
// non-ASCII format).
//
// Sizes are checked before anything is allocated, as CPython does, so a huge
// repeat count with a short buffer is an error, not an allocation. One
// JS-only limit: a call returns at most MAX_UNPACK_ITEMS values (a JS array
// of 300 million values does not fit in V8's heap; CPython would build the
// tuple), refused with its own StructError before any value is built.
// Values are never spread into a call inside this module; `packValues` and
// `packValuesInto` take them as one array, for callers with more values than
// a JS call can take as arguments (about 100,000).

export type StructValue = number | bigint | boolean | Uint8Array | string;

export class StructError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StructError';
  }
}

// ---------------------------------------------------------------------------
// Format tables

const K_CHAR = 0;
const K_BOOL = 1;
const K_INT = 2; // 1, 2 or 4 bytes; values are numbers
const K_INT64 = 3; // 8 bytes; values are bigints
const K_HALF = 4;
const K_FLOAT = 5; // PyFloat_Pack4: overflow is an error
const K_FLOAT_NATIVE = 6; // native 'f' in 3.11 is a plain C cast: overflow gives inf
const K_DOUBLE = 7;
const K_STRING = 8;
const K_PASCAL = 9;
const K_PAD = 10;

const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;
const ULONG_MAX = (1n << 64n) - 1n;
const PY_SSIZE_T_MAX = LONG_MAX;

const MSG_OUT_OF_RANGE = 'argument out of range';
const MSG_TOO_LARGE = 'int too large to convert';
const MSG_NOT_INT = 'required argument is not an integer';
const MSG_NOT_FLOAT = 'required argument is not a float';
const MSG_UNSAFE_INT =
  'required argument is not an integer (a number beyond Number.MAX_SAFE_INTEGER; pass a bigint)';
const MSG_CHAR = 'char format requires a bytes object of length 1';
const MSG_TOTAL_SIZE = 'total struct size too long';

/** The most values one unpack returns (2^24): a JS-only limit, see the file comment. */
export const MAX_UNPACK_ITEMS = 1 << 24;

interface FormatDef {
  readonly char: string;
  readonly kind: number;
  readonly size: number;
  readonly align: number;
  readonly signed: boolean;
  /** Valid range: a number in [min, max] is accepted (numbers are safe integers). */
  readonly min: number;
  readonly max: number;
  readonly minB: bigint;
  readonly maxB: bigint;
  /** The C conversion range (get_long, get_ulong, ...) and its message. */
  readonly outerLo: bigint;
  readonly outerHi: bigint;
  readonly outerMsg: string;
  /** The per-format range message, used inside the outer range. */
  readonly innerMsg: string;
  /**
   * `>q >Q !q !Q` go through _PyLong_AsByteArray, which stores the low 8
   * bytes before it reports an overflow (visible through pack_into).
   */
  readonly storesOnOverflow: boolean;
}

function def(char: string, kind: number, size: number, align: number): FormatDef {
  return {
    char,
    kind,
    size,
    align,
    signed: false,
    min: 0,
    max: 0,
    minB: 0n,
    maxB: 0n,
    outerLo: 0n,
    outerHi: 0n,
    outerMsg: '',
    innerMsg: '',
    storesOnOverflow: false,
  };
}

type Outer = 'long' | 'ulong' | 'long!' | 'ulong!' | 'pointer';

/**
 * An integer item. `outer` is the C conversion CPython uses (`long`/`ulong`
 * report "argument out of range", `!` variants and `pointer` report "int too
 * large to convert"); `inner` is the narrower range with its own message.
 */
function intDef(
  char: string,
  size: number,
  align: number,
  signed: boolean,
  outer: Outer,
  inner?: { lo: bigint; hi: bigint; msg: string },
): FormatDef {
  const outerLo = outer === 'ulong' || outer === 'ulong!' ? 0n : LONG_MIN;
  const outerHi = outer === 'long' || outer === 'long!' ? LONG_MAX : ULONG_MAX;
  const outerMsg = outer === 'long' || outer === 'ulong' ? MSG_OUT_OF_RANGE : MSG_TOO_LARGE;
  const minB = inner ? inner.lo : outerLo;
  const maxB = inner ? inner.hi : outerHi;
  return {
    char,
    kind: size === 8 ? K_INT64 : K_INT,
    size,
    align,
    signed,
    // Number bounds: exact for sizes <= 4; for 8-byte items every safe integer
    // on the right side of 0 is valid, and 2^63/2^64 round to themselves.
    min: Number(minB),
    max: Number(maxB),
    minB,
    maxB,
    outerLo,
    outerHi,
    outerMsg,
    innerMsg: inner ? inner.msg : outerMsg,
    storesOnOverflow: outer === 'long!' || outer === 'ulong!',
  };
}

function rangeMsg(char: string, lo: bigint, hi: bigint): { lo: bigint; hi: bigint; msg: string } {
  return { lo, hi, msg: `'${char}' format requires ${lo} <= number <= ${hi}` };
}

const BYTE = { lo: -128n, hi: 127n, msg: 'byte format requires -128 <= number <= 127' };
const UBYTE = { lo: 0n, hi: 255n, msg: 'ubyte format requires 0 <= number <= 255' };
const SHORT = { lo: -32768n, hi: 32767n, msg: 'short format requires -32768 <= number <= 32767' };
const USHORT = { lo: 0n, hi: 65535n, msg: 'ushort format requires 0 <= number <= 65535' };

function table(defs: FormatDef[]): (FormatDef | undefined)[] {
  const t: (FormatDef | undefined)[] = new Array(128).fill(undefined);
  for (const d of defs) t[d.char.charCodeAt(0)] = d;
  return t;
}

function commonDefs(): FormatDef[] {
  return [
    def('x', K_PAD, 1, 0),
    def('c', K_CHAR, 1, 0),
    def('s', K_STRING, 1, 0),
    def('p', K_PASCAL, 1, 0),
    def('?', K_BOOL, 1, 1),
    intDef('b', 1, 0, true, 'long', BYTE),
    intDef('B', 1, 0, false, 'long', UBYTE),
  ];
}

/** `@`: x86_64 Linux sizes and alignment (CPython's native_table). */
const NATIVE_TABLE = table([
  ...commonDefs(),
  intDef('h', 2, 2, true, 'long', SHORT),
  intDef('H', 2, 2, false, 'long', USHORT),
  intDef('i', 4, 4, true, 'long', rangeMsg('i', -(2n ** 31n), 2n ** 31n - 1n)),
  intDef('I', 4, 4, false, 'ulong', rangeMsg('I', 0n, 2n ** 32n - 1n)),
  intDef('l', 8, 8, true, 'long'),
  intDef('L', 8, 8, false, 'ulong'),
  intDef('q', 8, 8, true, 'long'),
  intDef('Q', 8, 8, false, 'ulong'),
  intDef('n', 8, 8, true, 'long'),
  intDef('N', 8, 8, false, 'ulong'),
  intDef('P', 8, 8, false, 'pointer'),
  def('e', K_HALF, 2, 2),
  def('f', K_FLOAT_NATIVE, 4, 4),
  def('d', K_DOUBLE, 8, 8),
]);

/**
 * `<` and `=`: CPython's lilendian_table, in which the native pack functions
 * replace the standard ones where the sizes agree (b B h H i I q Q on x86_64),
 * which is why `<h` says "short format requires" while `>h` says "'h' format".
 */
const LITTLE_TABLE = table([
  ...commonDefs(),
  intDef('h', 2, 0, true, 'long', SHORT),
  intDef('H', 2, 0, false, 'long', USHORT),
  intDef('i', 4, 0, true, 'long', rangeMsg('i', -(2n ** 31n), 2n ** 31n - 1n)),
  intDef('I', 4, 0, false, 'ulong', rangeMsg('I', 0n, 2n ** 32n - 1n)),
  intDef('l', 4, 0, true, 'long', rangeMsg('l', -(2n ** 31n), 2n ** 31n - 1n)),
  intDef('L', 4, 0, false, 'ulong', rangeMsg('L', 0n, 2n ** 32n - 1n)),
  intDef('q', 8, 0, true, 'long'),
  intDef('Q', 8, 0, false, 'ulong'),
  def('e', K_HALF, 2, 0),
  def('f', K_FLOAT, 4, 0),
  def('d', K_DOUBLE, 8, 0),
]);

/** `>` and `!`: CPython's bigendian_table. */
const BIG_TABLE = table([
  ...commonDefs(),
  intDef('h', 2, 0, true, 'long', rangeMsg('h', -32768n, 32767n)),
  intDef('H', 2, 0, false, 'ulong', rangeMsg('H', 0n, 65535n)),
  intDef('i', 4, 0, true, 'long', rangeMsg('i', -(2n ** 31n), 2n ** 31n - 1n)),
  intDef('I', 4, 0, false, 'ulong', rangeMsg('I', 0n, 2n ** 32n - 1n)),
  intDef('l', 4, 0, true, 'long', rangeMsg('l', -(2n ** 31n), 2n ** 31n - 1n)),
  intDef('L', 4, 0, false, 'ulong', rangeMsg('L', 0n, 2n ** 32n - 1n)),
  intDef('q', 8, 0, true, 'long!'),
  intDef('Q', 8, 0, false, 'ulong!'),
  def('e', K_HALF, 2, 0),
  def('f', K_FLOAT, 4, 0),
  def('d', K_DOUBLE, 8, 0),
]);

// ---------------------------------------------------------------------------
// Compilation

interface Op {
  readonly def: FormatDef;
  readonly kind: number;
  /** Byte offset of the first item within the struct. */
  readonly offset: number;
  /** Repeat count (1 for `s` and `p`). */
  readonly count: number;
  /** Item size in bytes (the field length for `s` and `p`). */
  readonly size: number;
  readonly le: boolean;
}

interface Layout {
  readonly size: number;
  readonly items: number;
  readonly ops: readonly Op[];
}

function isSpace(c: number): boolean {
  // Py_ISSPACE: space, \t \n \v \f \r
  return c === 32 || (c >= 9 && c <= 13);
}

function pyCharRepr(cp: number): string {
  const hex = cp.toString(16);
  if (cp <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

/** The UnicodeEncodeError text CPython gives for a non-ASCII format string. */
function asciiCheck(format: string): void {
  let pos = 0;
  let start = -1;
  let end = -1;
  let first = 0;
  for (let i = 0; i < format.length; pos++) {
    const cp = format.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    if (cp > 0x7f) {
      if (start < 0) {
        start = pos;
        first = cp;
      }
      end = pos + 1;
    } else if (start >= 0) {
      break;
    }
  }
  if (start < 0) return;
  const what =
    end - start === 1
      ? `character '${pyCharRepr(first)}' in position ${start}`
      : `characters in position ${start}-${end - 1}`;
  throw new StructError(`'ascii' codec can't encode ${what}: ordinal not in range(128)`);
}

function compile(format: string): Layout {
  if (typeof format !== 'string') throw new TypeError('Struct() argument 1 must be a str');
  for (let i = 0; i < format.length; i++) {
    if (format.charCodeAt(i) > 0x7f) {
      asciiCheck(format);
      break;
    }
  }
  if (format.indexOf('\0') !== -1) throw new StructError('embedded null character');

  let tbl = NATIVE_TABLE;
  let le = true;
  let i = 0;
  switch (format.charCodeAt(0)) {
    case 64: // @
      i = 1;
      break;
    case 61: // =
    case 60: // <
      tbl = LITTLE_TABLE;
      i = 1;
      break;
    case 62: // >
    case 33: // !
      tbl = BIG_TABLE;
      le = false;
      i = 1;
      break;
  }

  // One pass, in CPython's order of checks (digits, end of format, bad char,
  // alignment, size overflow). Sizes are kept as numbers while they are
  // certainly exact, and as bigints beyond, to reproduce CPython's
  // Py_ssize_t overflow errors exactly.
  const len = format.length;
  const ops: Op[] = [];
  let items = 0;
  let size = 0;
  let big = false;
  let sizeB = 0n;
  while (i < len) {
    let c = format.charCodeAt(i++);
    if (isSpace(c)) continue;
    let num = 1;
    let numB: bigint | undefined;
    if (c >= 48 && c <= 57) {
      num = c - 48;
      for (;;) {
        if (i >= len) throw new StructError('repeat count given without format specifier');
        c = format.charCodeAt(i++);
        if (c < 48 || c > 57) break;
        if (numB === undefined) {
          if (num < 2 ** 48) {
            num = num * 10 + (c - 48);
            continue;
          }
          numB = BigInt(num);
        }
        numB = numB * 10n + BigInt(c - 48);
        if (numB > PY_SSIZE_T_MAX) throw new StructError(MSG_TOTAL_SIZE);
      }
    }
    const d = c < 128 ? tbl[c] : undefined;
    if (d === undefined) throw new StructError('bad char in struct format');

    let offset: number;
    if (!big && numB === undefined && size <= 2 ** 52 && num <= 2 ** 48) {
      if (d.align > 1 && size > 0) size += d.align - 1 - ((size - 1) % d.align);
      offset = size;
      size += num * d.size;
    } else {
      if (!big) {
        big = true;
        sizeB = BigInt(size);
      }
      const n = numB ?? BigInt(num);
      num = Number(n);
      if (d.align > 1 && sizeB > 0n) {
        const a = BigInt(d.align);
        const extra = a - 1n - ((sizeB - 1n) % a);
        if (extra > PY_SSIZE_T_MAX - sizeB) throw new StructError(MSG_TOTAL_SIZE);
        sizeB += extra;
      }
      if (n > (PY_SSIZE_T_MAX - sizeB) / BigInt(d.size)) throw new StructError(MSG_TOTAL_SIZE);
      offset = Number(sizeB);
      sizeB += n * BigInt(d.size);
    }

    if (d.kind === K_STRING || d.kind === K_PASCAL) {
      ops.push({ def: d, kind: d.kind, offset, count: 1, size: num, le });
      items++;
    } else if (d.kind !== K_PAD && num > 0) {
      ops.push({ def: d, kind: d.kind, offset, count: num, size: d.size, le });
      items += num;
    }
  }
  if (big) {
    // CPython accepts sizes up to 2^63-1; a JS layout must stay exact.
    if (sizeB > BigInt(Number.MAX_SAFE_INTEGER)) throw new StructError(MSG_TOTAL_SIZE);
    size = Number(sizeB);
  }
  return { size, items, ops };
}

// ---------------------------------------------------------------------------
// Value conversion

const scratch = new Uint8Array(8);
const scratchView = new DataView(scratch.buffer);
const utf8 = new TextEncoder();

/** 2^k for k in [-64, 64], built by exact doubling/halving. */
const POW2: number[] = [];
{
  let p = 1;
  for (let k = 0; k <= 64; k++, p *= 2) POW2[64 + k] = p;
  p = 1;
  for (let k = 0; k <= 64; k++, p /= 2) POW2[64 - k] = p;
}
function pow2(k: number): number {
  return POW2[64 + k];
}

/**
 * The standard quiet NaN with the given sign. Read back through the DataView
 * each time: optimized code folds a NaN constant and may drop its sign.
 */
function quietNaN(sign: number): number {
  scratchView.setUint32(0, sign ? 0xfff80000 : 0x7ff80000);
  scratchView.setUint32(4, 0);
  return scratchView.getFloat64(0);
}

function rangeError(d: FormatDef, x: bigint): StructError {
  return new StructError(x < d.outerLo || x > d.outerHi ? d.outerMsg : d.innerMsg);
}

/** A validated integer item: a safe-integer number or an in-range bigint. */
function intArg(v: unknown, d: FormatDef): number | bigint {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) {
      if (v >= d.min && v <= d.max) return v;
      throw rangeError(d, BigInt(v));
    }
    throw new StructError(Number.isInteger(v) ? MSG_UNSAFE_INT : MSG_NOT_INT);
  }
  if (typeof v === 'bigint') {
    if (v >= d.minB && v <= d.maxB) return v;
    throw rangeError(d, v);
  }
  if (typeof v === 'boolean') {
    const b = v ? 1 : 0;
    if (b >= d.min && b <= d.max) return b;
    throw rangeError(d, BigInt(b));
  }
  throw new StructError(MSG_NOT_INT);
}

/** A float item's value; bigint and boolean act as Python ints. */
function floatArg(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    const x = Number(v);
    // PyLong_AsDouble: "int too large to convert to float", which the
    // float packers report as "required argument is not a float".
    if (x === Infinity || x === -Infinity) throw new StructError(MSG_NOT_FLOAT);
    return x;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new StructError(MSG_NOT_FLOAT);
}

/** Python truthiness. */
function truthy(v: unknown): boolean {
  if (typeof v === 'number') return v !== 0; // NaN is true in Python
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.length > 0;
  if (v === null || v === undefined) return false;
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length > 0;
  return true;
}

function bytesArg(v: unknown, char: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return utf8.encode(v);
  throw new StructError(`argument for '${char}' must be a bytes object`);
}

function nanSign(x: number): number {
  scratchView.setFloat64(0, x);
  return scratch[0] >>> 7;
}

/**
 * PyFloat_Pack2: IEEE binary16 bits of x, rounded half-to-even directly from
 * the double; -1 when x is too large (overflow, including rounding up to it).
 */
function halfBits(x: number): number {
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  if (x !== x) return (nanSign(x) << 15) | 0x7e00;
  if (x === Infinity) return 0x7c00;
  if (x === -Infinity) return 0xfc00;
  let sign = 0;
  if (x < 0) {
    sign = 1;
    x = -x;
  }
  scratchView.setFloat64(0, x);
  const biased = (scratchView.getUint32(0) >>> 20) & 0x7ff;
  if (biased === 0) return sign << 15; // subnormal double: far below 2^-25
  let e = biased - 1023; // x = f * 2^e, f in [1, 2)
  if (e >= 16) return -1;
  let f: number;
  if (e < -25) {
    f = 0;
    e = 0;
  } else if (e < -14) {
    f = x * 2 ** 14; // gradual underflow: f = ldexp(x / 2^e, 14 + e)
    e = 0;
  } else {
    f = x * pow2(-e) - 1;
    e += 15;
  }
  f *= 1024;
  let bits = Math.floor(f);
  const rest = f - bits;
  if (rest > 0.5 || (rest === 0.5 && (bits & 1) === 1)) {
    bits++;
    if (bits === 1024) {
      bits = 0;
      e++;
      if (e === 31) return -1;
    }
  }
  return bits | (e << 10) | (sign << 15);
}

/** PyFloat_Unpack2. NaNs come back as the standard quiet NaN with the sign. */
function halfToNumber(h: number): number {
  const sign = h >>> 15;
  let e = (h >>> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0x1f) {
    if (f === 0) return sign ? -Infinity : Infinity;
    return quietNaN(sign);
  }
  let x = f / 1024;
  if (e === 0) e = 1;
  else x += 1;
  x *= pow2(e - 15);
  return sign ? -x : x;
}

// ---------------------------------------------------------------------------
// Packing and unpacking a compiled layout

function writeScratch(buf: Uint8Array, p: number, n: number): void {
  for (let k = 0; k < n; k++) buf[p + k] = scratch[k];
}

function readScratch(buf: Uint8Array, p: number, n: number): void {
  for (let k = 0; k < n; k++) scratch[k] = buf[p + k];
}

function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n <= 32) {
    for (let k = 0; k < n; k++) dst[at + k] = src[from + k];
  } else {
    dst.set(new Uint8Array(src.buffer, src.byteOffset + from, n), at);
  }
}

/**
 * Writes values[first..] into buf at base, which the caller has zeroed over
 * layout.size bytes. Like CPython, items before a failing one stay written.
 */
function packLayout(layout: Layout, buf: Uint8Array, base: number, values: ArrayLike<unknown>): void {
  const ops = layout.ops;
  let vi = 0;
  for (let o = 0; o < ops.length; o++) {
    const op = ops[o];
    const d = op.def;
    const n = op.count;
    const size = op.size;
    let p = base + op.offset;
    switch (op.kind) {
      case K_INT:
        for (let j = 0; j < n; j++, p += size) {
          const v = intArg(values[vi++], d);
          const x = typeof v === 'number' ? v : Number(v);
          if (size === 1) {
            buf[p] = x;
          } else if (size === 2) {
            if (op.le) {
              buf[p] = x;
              buf[p + 1] = x >> 8;
            } else {
              buf[p] = x >> 8;
              buf[p + 1] = x;
            }
          } else if (op.le) {
            buf[p] = x;
            buf[p + 1] = x >> 8;
            buf[p + 2] = x >> 16;
            buf[p + 3] = x >> 24;
          } else {
            buf[p] = x >> 24;
            buf[p + 1] = x >> 16;
            buf[p + 2] = x >> 8;
            buf[p + 3] = x;
          }
        }
        break;
      case K_INT64:
        for (let j = 0; j < n; j++, p += 8) {
          const arg = values[vi++];
          if (
            d.storesOnOverflow &&
            typeof arg === 'bigint' &&
            (arg < d.minB || arg > d.maxB) &&
            (d.signed || arg >= 0n)
          ) {
            scratchView.setBigInt64(0, arg, op.le); // the value modulo 2^64
            writeScratch(buf, p, 8);
          }
          const v = intArg(arg, d);
          if (typeof v === 'number') {
            const hi = Math.floor(v / 4294967296);
            const lo = v - hi * 4294967296;
            const a = op.le ? p : p + 4; // low word
            const b = op.le ? p + 4 : p; // high word
            if (op.le) {
              buf[a] = lo;
              buf[a + 1] = lo >>> 8;
              buf[a + 2] = lo >>> 16;
              buf[a + 3] = lo >>> 24;
              buf[b] = hi;
              buf[b + 1] = hi >> 8;
              buf[b + 2] = hi >> 16;
              buf[b + 3] = hi >> 24;
            } else {
              buf[a] = lo >>> 24;
              buf[a + 1] = lo >>> 16;
              buf[a + 2] = lo >>> 8;
              buf[a + 3] = lo;
              buf[b] = hi >> 24;
              buf[b + 1] = hi >> 16;
              buf[b + 2] = hi >> 8;
              buf[b + 3] = hi;
            }
          } else {
            scratchView.setBigInt64(0, v, op.le); // ToBigInt64 wraps 2^63..2^64-1
            writeScratch(buf, p, 8);
          }
        }
        break;
      case K_BOOL:
        for (let j = 0; j < n; j++, p++) buf[p] = truthy(values[vi++]) ? 1 : 0;
        break;
      case K_CHAR:
        for (let j = 0; j < n; j++, p++) {
          const v = values[vi++];
          if (v instanceof Uint8Array && v.length === 1) {
            buf[p] = v[0];
          } else if (typeof v === 'string' && v.length === 1 && v.charCodeAt(0) <= 0xff) {
            buf[p] = v.charCodeAt(0);
          } else {
            throw new StructError(MSG_CHAR);
          }
        }
        break;
      case K_HALF:
        for (let j = 0; j < n; j++, p += 2) {
          const v = values[vi++];
          const h = halfBits(floatArg(v));
          if (h < 0) {
            throw new StructError(
              typeof v === 'number' ? 'float too large to pack with e format' : MSG_TOO_LARGE,
            );
          }
          if (op.le) {
            buf[p] = h;
            buf[p + 1] = h >>> 8;
          } else {
            buf[p] = h >>> 8;
            buf[p + 1] = h;
          }
        }
        break;
      case K_FLOAT:
      case K_FLOAT_NATIVE:
        for (let j = 0; j < n; j++, p += 4) {
          const v = values[vi++];
          const x = floatArg(v);
          if (op.kind === K_FLOAT) {
            const y = Math.fround(x);
            if ((y === Infinity || y === -Infinity) && x !== y) {
              throw new StructError(
                typeof v === 'number' ? 'float too large to pack with f format' : MSG_TOO_LARGE,
              );
            }
          }
          scratchView.setFloat32(0, x, op.le);
          writeScratch(buf, p, 4);
        }
        break;
      case K_DOUBLE:
        for (let j = 0; j < n; j++, p += 8) {
          scratchView.setFloat64(0, floatArg(values[vi++]), op.le);
          writeScratch(buf, p, 8);
        }
        break;
      case K_STRING: {
        const src = bytesArg(values[vi++], 's');
        copyBytes(buf, p, src, 0, Math.min(src.length, size));
        break;
      }
      case K_PASCAL: {
        const src = bytesArg(values[vi++], 'p');
        let len = Math.min(src.length, size - 1);
        if (len > 0) copyBytes(buf, p + 1, src, 0, len);
        if (len > 255) len = 255;
        // For '0p' (len -1) CPython 3.11 stores (unsigned char)-1 at the
        // field's offset even though the field is empty: pack('0px') gives
        // b'\xff', and pack_into can set a byte after the struct. Reproduced
        // wherever that byte is inside buf, never past its end.
        if (len >= 0 || p < buf.length) buf[p] = len;
        break;
      }
    }
  }
}

function unpackLayout(layout: Layout, buf: Uint8Array, base: number): StructValue[] {
  if (layout.items > MAX_UNPACK_ITEMS) {
    throw new StructError(
      `unpack would return ${layout.items} items; at most ${MAX_UNPACK_ITEMS} fit in one call (unpack a slice at a time)`,
    );
  }
  const out: StructValue[] = [];
  const ops = layout.ops;
  for (let o = 0; o < ops.length; o++) {
    const op = ops[o];
    const n = op.count;
    const size = op.size;
    const signed = op.def.signed;
    let p = base + op.offset;
    switch (op.kind) {
      case K_INT:
        for (let j = 0; j < n; j++, p += size) {
          let x: number;
          if (size === 1) {
            x = signed ? (buf[p] << 24) >> 24 : buf[p];
          } else if (size === 2) {
            x = op.le ? buf[p] | (buf[p + 1] << 8) : (buf[p] << 8) | buf[p + 1];
            if (signed) x = (x << 16) >> 16;
          } else {
            x = op.le
              ? buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)
              : (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
            x = signed ? x | 0 : x >>> 0;
          }
          out.push(x);
        }
        break;
      case K_INT64:
        for (let j = 0; j < n; j++, p += 8) {
          readScratch(buf, p, 8);
          out.push(signed ? scratchView.getBigInt64(0, op.le) : scratchView.getBigUint64(0, op.le));
        }
        break;
      case K_BOOL:
        for (let j = 0; j < n; j++, p++) out.push(buf[p] !== 0);
        break;
      case K_CHAR:
        for (let j = 0; j < n; j++, p++) out.push(Uint8Array.of(buf[p]));
        break;
      case K_HALF:
        for (let j = 0; j < n; j++, p += 2) {
          out.push(halfToNumber(op.le ? buf[p] | (buf[p + 1] << 8) : (buf[p] << 8) | buf[p + 1]));
        }
        break;
      case K_FLOAT:
      case K_FLOAT_NATIVE:
        for (let j = 0; j < n; j++, p += 4) {
          readScratch(buf, p, 4);
          out.push(scratchView.getFloat32(0, op.le));
        }
        break;
      case K_DOUBLE:
        for (let j = 0; j < n; j++, p += 8) {
          readScratch(buf, p, 8);
          out.push(scratchView.getFloat64(0, op.le));
        }
        break;
      case K_STRING: {
        const s = new Uint8Array(size);
        copyBytes(s, 0, buf, p, size);
        out.push(s);
        break;
      }
      case K_PASCAL: {
        // CPython 3.11 raises SystemError for '0p' (a negative length reaches
        // PyBytes_FromStringAndSize); an empty field is the sensible answer.
        let len = size === 0 ? 0 : buf[p];
        if (len >= size) len = size - 1;
        const s = new Uint8Array(len < 0 ? 0 : len);
        copyBytes(s, 0, buf, p + 1, s.length);
        out.push(s);
        break;
      }
    }
  }
  return out;
}

function checkBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError('a bytes-like object (Uint8Array) is required');
  }
}

function checkValues(values: unknown): asserts values is readonly StructValue[] {
  if (!Array.isArray(values)) throw new TypeError('values must be an array (packValues takes them as one array)');
}

function checkOffset(offset: unknown): asserts offset is number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) {
    throw new TypeError('offset must be a safe integer');
  }
}

// ---------------------------------------------------------------------------
// Public API

/** A compiled format, like Python's struct.Struct. */
export class Struct {
  /** The format string as given. */
  readonly format: string;
  /** The packed size in bytes, as calcsize(format). */
  readonly size: number;
  /** The number of values pack takes and unpack returns. */
  readonly items: number;
  private readonly layout: Layout;

  constructor(format: string) {
    this.layout = compile(format);
    this.format = format;
    this.size = this.layout.size;
    this.items = this.layout.items;
  }

  pack(...values: StructValue[]): Uint8Array {
    return this.packValues(values);
  }

  /** As pack, the values in one array: for more values than a call takes as arguments. */
  packValues(values: readonly StructValue[]): Uint8Array {
    checkValues(values);
    if (values.length !== this.items) {
      throw new StructError(`pack expected ${this.items} items for packing (got ${values.length})`);
    }
    const out = new Uint8Array(this.size);
    packLayout(this.layout, out, 0, values);
    return out;
  }

  /** Packs into buffer at offset (negative offsets count from the end, as in CPython). */
  packInto(buffer: Uint8Array, offset: number, ...values: StructValue[]): void {
    this.packValuesInto(buffer, offset, values);
  }

  /** As packInto, the values in one array. */
  packValuesInto(buffer: Uint8Array, offset: number, values: readonly StructValue[]): void {
    checkValues(values);
    if (values.length !== this.items) {
      throw new StructError(
        `pack_into expected ${this.items} items for packing (got ${values.length})`,
      );
    }
    checkBytes(buffer);
    checkOffset(offset);
    const size = this.size;
    const len = buffer.length;
    if (offset < 0) {
      if (offset + size > 0) {
        throw new StructError(`no space to pack ${size} bytes at offset ${offset}`);
      }
      if (offset + len < 0) {
        throw new StructError(`offset ${offset} out of range for ${len}-byte buffer`);
      }
      offset += len;
    }
    if (len - offset < size) {
      throw new StructError(
        `pack_into requires a buffer of at least ${size + offset} bytes for packing ${size} ` +
          `bytes at offset ${offset} (actual buffer size is ${len})`,
      );
    }
    buffer.fill(0, offset, offset + size);
    packLayout(this.layout, buffer, offset, values);
  }

  /**
   * Where each value goes: one {offset, size} per value pack takes, in order
   * (`s`/`p` fields are one value of their whole length; pad bytes have none).
   */
  itemSpans(): { offset: number; size: number }[] {
    const items = this.layout.items;
    if (items > MAX_UNPACK_ITEMS) {
      throw new StructError(`the format has ${items} items; at most ${MAX_UNPACK_ITEMS} can be listed`);
    }
    const spans: { offset: number; size: number }[] = [];
    for (const op of this.layout.ops) {
      for (let j = 0; j < op.count; j++) spans.push({ offset: op.offset + j * op.size, size: op.size });
    }
    return spans;
  }

  /**
   * Without an offset, CPython's unpack: bytes must be exactly `size` long.
   * With one, CPython's unpack_from.
   */
  unpack(bytes: Uint8Array, offset?: number): StructValue[] {
    if (offset !== undefined) return this.unpackFrom(bytes, offset);
    checkBytes(bytes);
    if (bytes.length !== this.size) {
      throw new StructError(`unpack requires a buffer of ${this.size} bytes`);
    }
    return unpackLayout(this.layout, bytes, 0);
  }

  /** CPython's unpack_from: at least `size` bytes from offset (negative counts from the end). */
  unpackFrom(bytes: Uint8Array, offset = 0): StructValue[] {
    checkBytes(bytes);
    checkOffset(offset);
    const size = this.size;
    const len = bytes.length;
    if (offset < 0) {
      if (offset + size > 0) {
        throw new StructError(`not enough data to unpack ${size} bytes at offset ${offset}`);
      }
      if (offset + len < 0) {
        throw new StructError(`offset ${offset} out of range for ${len}-byte buffer`);
      }
      offset += len;
    }
    if (len - offset < size) {
      throw new StructError(
        `unpack_from requires a buffer of at least ${size + offset} bytes for unpacking ${size} ` +
          `bytes at offset ${offset} (actual buffer size is ${len})`,
      );
    }
    return unpackLayout(this.layout, bytes, offset);
  }

  /**
   * CPython's iter_unpack: the errors are raised here, eagerly; the returned
   * generator yields one tuple per `size` bytes.
   */
  iterUnpack(bytes: Uint8Array): Generator<StructValue[], void, undefined> {
    checkBytes(bytes);
    if (this.size === 0) {
      throw new StructError('cannot iteratively unpack with a struct of length 0');
    }
    if (bytes.length % this.size !== 0) {
      throw new StructError(
        `iterative unpacking requires a buffer of a multiple of ${this.size} bytes`,
      );
    }
    return iterate(this.layout, bytes);
  }
}

function* iterate(layout: Layout, bytes: Uint8Array): Generator<StructValue[], void, undefined> {
  const end = bytes.length;
  for (let offset = 0; offset + layout.size <= end; offset += layout.size) {
    yield unpackLayout(layout, bytes, offset);
  }
}

const MAX_CACHE = 100;
const cache = new Map<string, Struct>();

/** The compiled Struct for format, from a small cache (cleared when full, as CPython does). */
export function compileFormat(format: string): Struct {
  let s = cache.get(format);
  if (s === undefined) {
    s = new Struct(format);
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(format, s);
  }
  return s;
}

export function calcsize(format: string): number {
  return compileFormat(format).size;
}

export function pack(format: string, ...values: StructValue[]): Uint8Array {
  return compileFormat(format).packValues(values);
}

/** As pack, the values in one array: for more values than a call takes as arguments. */
export function packValues(format: string, values: readonly StructValue[]): Uint8Array {
  return compileFormat(format).packValues(values);
}

export function packInto(
  format: string,
  buffer: Uint8Array,
  offset: number,
  ...values: StructValue[]
): void {
  compileFormat(format).packValuesInto(buffer, offset, values);
}

/** As packInto, the values in one array. */
export function packValuesInto(format: string, buffer: Uint8Array, offset: number, values: readonly StructValue[]): void {
  compileFormat(format).packValuesInto(buffer, offset, values);
}

/** CPython's unpack (exact size) without offset; CPython's unpack_from with one. */
export function unpack(format: string, bytes: Uint8Array, offset?: number): StructValue[] {
  return compileFormat(format).unpack(bytes, offset);
}

export function unpackFrom(format: string, bytes: Uint8Array, offset = 0): StructValue[] {
  return compileFormat(format).unpackFrom(bytes, offset);
}

export function iterUnpack(format: string, bytes: Uint8Array): Generator<StructValue[], void, undefined> {
  return compileFormat(format).iterUnpack(bytes);
}
