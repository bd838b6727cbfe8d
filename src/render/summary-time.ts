// The time column of a summary line in tshark's -t formats: r relative to
// the first frame (the default), a / ad absolute local time (with the date),
// u / ud the same in UTC, e seconds since the epoch, d since the previous
// frame, dd since the previous frame shown. Decimals as the file resolves
// them (6 for µs, 9 for ns), truncated as tshark does.

import { formatSecondsNs } from './capture-time.ts';

export type SummaryTimeFormat = 'r' | 'a' | 'ad' | 'd' | 'dd' | 'e' | 'u' | 'ud';

export interface FrameTimes {
  readonly timestampSeconds: number;
  /** The sub-second part in nanoseconds. */
  readonly nanoseconds: number;
  readonly relativeNs: number;
}

/** Whether the format needs the absolute timestamp (which the summary fast path does not keep). */
export function needsAbsoluteTime(format: SummaryTimeFormat): boolean {
  return format === 'a' || format === 'ad' || format === 'u' || format === 'ud' || format === 'e';
}

const two = (n: number) => String(n).padStart(2, '0');

function fraction(nanoseconds: number, digits: number): string {
  return digits === 0 ? '' : `.${String(nanoseconds).padStart(9, '0').slice(0, digits)}`;
}

/**
 * The column's text. `previousNs` / `previousShownNs`: relative times of the
 * frame before and of the last frame shown (undefined for the first).
 */
export function formatSummaryTime(
  format: SummaryTimeFormat,
  frame: FrameTimes,
  digits: number,
  previousNs: number | undefined,
  previousShownNs: number | undefined,
): string {
  switch (format) {
    case 'r':
      return formatSecondsNs(frame.relativeNs, digits);
    case 'd':
      return formatSecondsNs(frame.relativeNs - (previousNs ?? frame.relativeNs), digits);
    case 'dd':
      return formatSecondsNs(frame.relativeNs - (previousShownNs ?? frame.relativeNs), digits);
    case 'e':
      return `${frame.timestampSeconds}${fraction(frame.nanoseconds, digits)}`;
    default: {
      const date = new Date(frame.timestampSeconds * 1000);
      const utc = format === 'u' || format === 'ud';
      const clock = utc
        ? `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`
        : `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
      const time = clock + fraction(frame.nanoseconds, digits);
      if (format === 'a' || format === 'u') return time;
      const day = utc
        ? `${date.getUTCFullYear()}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}`
        : `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
      return `${day} ${time}`;
    }
  }
}
