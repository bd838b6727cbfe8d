// The options inside an IPv6 hop-by-hop or destination options header
// (RFC 8200 4.2): type-length-value, except Pad1 (type 0), a single byte.
// The extension header codec (ipv6.ts) keeps the option area raw so that it
// round-trips; this walks it for display. Never throws: a cut option is
// returned with `truncated` set and the bytes that are there.

export const Ipv6OptionType = {
  Pad1: 0x00,
  PadN: 0x01,
  /** RFC 2711; value 0 is MLD, 1 RSVP, 2 active networks. */
  RouterAlert: 0x05,
  /** RFC 2675. */
  JumboPayload: 0xc2,
} as const;

export interface Ipv6Option {
  readonly type: number;
  /** Offset of the option's type byte in the option area. */
  readonly offset: number;
  /** The length byte (0 for Pad1). */
  readonly length: number;
  /** The option data (a view; empty for Pad1). */
  readonly data: Uint8Array;
  /** The length byte promises more than the area holds. */
  readonly truncated: boolean;
}

/** The options of an option area (Ipv6OptionsHeader.options), in order. */
export function ipv6OptionsOf(area: Uint8Array): Ipv6Option[] {
  const options: Ipv6Option[] = [];
  let at = 0;
  while (at < area.length) {
    const type = area[at];
    if (type === Ipv6OptionType.Pad1) {
      options.push({ type, offset: at, length: 0, data: area.subarray(at + 1, at + 1), truncated: false });
      at += 1;
      continue;
    }
    if (at + 1 >= area.length) {
      options.push({ type, offset: at, length: 0, data: area.subarray(at + 1), truncated: true });
      break;
    }
    const length = area[at + 1];
    const end = at + 2 + length;
    options.push({ type, offset: at, length, data: area.subarray(at + 2, Math.min(end, area.length)), truncated: end > area.length });
    at = end;
  }
  return options;
}

/** A router alert option's 16-bit value (RFC 2711), or undefined for another option or a cut one. */
export function routerAlertValue(option: Ipv6Option): number | undefined {
  if (option.type !== Ipv6OptionType.RouterAlert || option.data.length !== 2) return undefined;
  return (option.data[0] << 8) | option.data[1];
}

/** The two high bits of the type: what a node that does not know the option must do (RFC 8200 4.2). */
export function ipv6OptionAction(type: number): number {
  return type >>> 6;
}

/** The third bit: the option data may change en route. */
export function ipv6OptionMayChange(type: number): boolean {
  return (type & 0x20) !== 0;
}
