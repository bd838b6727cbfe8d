// Capture times the way tshark prints them: relative seconds with as many
// decimals as the file resolves (6 for µs pcap, 9 for ns), and absolute UTC
// dates ("Nov 23, 2026 18:22:12.530761000 UTC"). Integer arithmetic only, so
// no float rounding ever shows in the last digit.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Decimal digits a timestamp resolution deserves: 6 for 1e6 units/s, 9 for 1e9. */
export function fractionDigits(fractionsPerSecond: number): number {
  return Math.max(0, Math.min(9, Math.ceil(Math.log10(fractionsPerSecond))));
}

const UNITS = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** Seconds with `digits` decimals from a nanosecond count (truncated, as tshark does). */
export function formatSecondsNs(ns: number, digits: number): string {
  const negative = ns < 0;
  // Whole units of the last digit shown; every step stays an exact integer below 2^53.
  const units = Math.floor(Math.abs(ns) / UNITS[9 - digits]);
  const perSecond = UNITS[digits];
  const seconds = Math.floor(units / perSecond);
  // perSecond + fraction has exactly digits + 1 digits: dropping the leading 1 zero-pads it.
  const text = digits === 0 ? `${seconds}` : `${seconds}.${String(perSecond + (units - seconds * perSecond)).slice(1)}`;
  return negative ? `-${text}` : text;
}

/** "1795458132.530761000" */
export function formatEpoch(seconds: number, nanoseconds: number): string {
  return `${seconds}.${String(nanoseconds).padStart(9, '0')}`;
}

/** "Nov 23, 2026 18:22:12.530761000 UTC" */
export function formatUtcDate(seconds: number, nanoseconds: number): string {
  const d = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())}, ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(nanoseconds).padStart(9, '0')} UTC`
  );
}
