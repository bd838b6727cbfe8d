// Colour for people, plain text for pipes: ANSI colours only when the output
// is a terminal and NO_COLOR (no-color.org) is unset, so a file, a pipe or a
// test never sees an escape code.

export interface TextStyle {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
  accent(text: string): string;
}

const identity = (text: string): string => text;

export const PLAIN_STYLE: TextStyle = {
  enabled: false,
  bold: identity,
  dim: identity,
  good: identity,
  bad: identity,
  warn: identity,
  accent: identity,
};

const wrap =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;

export const ANSI_STYLE: TextStyle = {
  enabled: true,
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  good: wrap(32, 39),
  bad: wrap(31, 39),
  warn: wrap(33, 39),
  accent: wrap(36, 39),
};

/** ANSI_STYLE for a TTY without NO_COLOR (any value, even empty, disables colour), else PLAIN_STYLE. */
export function styleFor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): TextStyle {
  return stream.isTTY === true && env.NO_COLOR === undefined ? ANSI_STYLE : PLAIN_STYLE;
}
