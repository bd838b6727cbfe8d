// IPv4 options (RFC 791 section 3.1, RFC 2113): the option area of a header,
// as Ipv4Header.options holds it, decoded into typed options. Never throws:
// an option whose length runs past the area, or is below 2, ends the list
// with a 'malformed' entry holding the rest.

export const Ipv4OptionType = {
  END_OF_LIST: 0,
  NO_OPERATION: 1,
  RECORD_ROUTE: 7,
  TIMESTAMP: 68,
  LOOSE_SOURCE_ROUTE: 131,
  STRICT_SOURCE_ROUTE: 137,
  ROUTER_ALERT: 148,
} as const;

export const Ipv4TimestampFlag = {
  TIMESTAMPS_ONLY: 0,
  TIMESTAMPS_AND_ADDRESSES: 1,
  PRESPECIFIED_ADDRESSES: 3,
} as const;

export type Ipv4Option =
  | { readonly kind: 'end-of-list'; readonly type: 0 }
  | { readonly kind: 'no-operation'; readonly type: 1 }
  /** Record route, loose or strict source route: the 1-based pointer and every address slot. */
  | { readonly kind: 'route'; readonly type: number; readonly length: number; readonly pointer: number; readonly addresses: readonly string[] }
  | {
      readonly kind: 'timestamp';
      readonly type: number;
      readonly length: number;
      readonly pointer: number;
      readonly overflow: number;
      readonly flag: number;
      /** With flag 0, addresses are undefined; with 1 or 3, each entry has one. */
      readonly entries: readonly { readonly address: string | undefined; readonly timestamp: number }[];
    }
  | { readonly kind: 'router-alert'; readonly type: number; readonly length: number; readonly value: number }
  | { readonly kind: 'other'; readonly type: number; readonly length: number; readonly data: Uint8Array }
  | { readonly kind: 'malformed'; readonly type: number; readonly bytes: Uint8Array };

const dotted = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const uint32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** The options in `area` (the bytes between the fixed header and ihl * 4), in order. */
export function parseIpv4Options(area: Uint8Array): Ipv4Option[] {
  const options: Ipv4Option[] = [];
  let at = 0;
  while (at < area.length) {
    const type = area[at];
    if (type === Ipv4OptionType.END_OF_LIST) {
      options.push({ kind: 'end-of-list', type });
      break; // the rest is padding
    }
    if (type === Ipv4OptionType.NO_OPERATION) {
      options.push({ kind: 'no-operation', type });
      at++;
      continue;
    }
    const length = at + 1 < area.length ? area[at + 1] : 0;
    if (length < 2 || at + length > area.length) {
      options.push({ kind: 'malformed', type, bytes: area.subarray(at) });
      break;
    }
    const body = area.subarray(at, at + length);
    options.push(decodeOption(type, length, body));
    at += length;
  }
  return options;
}

function decodeOption(type: number, length: number, body: Uint8Array): Ipv4Option {
  switch (type) {
    case Ipv4OptionType.RECORD_ROUTE:
    case Ipv4OptionType.LOOSE_SOURCE_ROUTE:
    case Ipv4OptionType.STRICT_SOURCE_ROUTE: {
      if (length < 3) break;
      const addresses: string[] = [];
      for (let slot = 3; slot + 4 <= length; slot += 4) addresses.push(dotted(body, slot));
      return { kind: 'route', type, length, pointer: body[2], addresses };
    }
    case Ipv4OptionType.TIMESTAMP: {
      if (length < 4) break;
      const flag = body[3] & 0x0f;
      const withAddress = flag === Ipv4TimestampFlag.TIMESTAMPS_AND_ADDRESSES || flag === Ipv4TimestampFlag.PRESPECIFIED_ADDRESSES;
      const step = withAddress ? 8 : 4;
      const entries: { address: string | undefined; timestamp: number }[] = [];
      for (let slot = 4; slot + step <= length; slot += step) {
        entries.push(withAddress ? { address: dotted(body, slot), timestamp: uint32(body, slot + 4) } : { address: undefined, timestamp: uint32(body, slot) });
      }
      return { kind: 'timestamp', type, length, pointer: body[2], overflow: body[3] >> 4, flag, entries };
    }
    case Ipv4OptionType.ROUTER_ALERT:
      if (length !== 4) break;
      return { kind: 'router-alert', type, length, value: (body[2] << 8) | body[3] };
  }
  return { kind: 'other', type, length, data: body.subarray(2) };
}
