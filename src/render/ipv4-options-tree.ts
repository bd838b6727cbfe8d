// IPv4 options in dissect -V as tshark -V shows them (packet-ip.c): the
// "Options: (N bytes), Record Route" line, then each option with its type
// bits, length, pointer and the route slots or timestamps.

import { Ipv4OptionType, type Ipv4Option } from '../wire/ipv4-options.ts';

export interface OptionTreeLine {
  readonly depth: number;
  readonly text: string;
}

/** tshark's "IP Option - ..." names. */
const OPTION_NAMES: Record<number, string> = {
  [Ipv4OptionType.END_OF_LIST]: 'End of Options List (EOL)',
  [Ipv4OptionType.NO_OPERATION]: 'No-Operation (NOP)',
  [Ipv4OptionType.RECORD_ROUTE]: 'Record Route',
  [Ipv4OptionType.TIMESTAMP]: 'Time Stamp',
  [Ipv4OptionType.LOOSE_SOURCE_ROUTE]: 'Loose Source Route',
  [Ipv4OptionType.STRICT_SOURCE_ROUTE]: 'Strict Source Route',
  [Ipv4OptionType.ROUTER_ALERT]: 'Router Alert',
};

/** The "Number" field's names (the low 5 bits). */
const NUMBER_NAMES: Record<number, string> = {
  0: 'End of Option List (EOL)',
  1: 'No-Operation (NOP)',
  2: 'Security',
  3: 'Loose source route',
  4: 'Time stamp',
  5: 'Extended security',
  7: 'Record route',
  8: 'Stream identifier',
  9: 'Strict source route',
  18: 'Traceroute',
  20: 'Router Alert',
};
const CLASS_NAMES = ['Control', 'Reserved for future use', 'Debugging and measurement', 'Reserved for future use'];
const TIMESTAMP_FLAGS: Record<number, string> = { 0: 'Time stamps only', 1: 'Time stamp and address', 3: 'Time stamps for prespecified addresses' };

const bits = (value: number, from: number, count: number): string => {
  let text = '';
  for (let bit = 7; bit >= 0; bit--) {
    text += bit < from || bit >= from + count ? '.' : String((value >> bit) & 1);
    if (bit === 4) text += ' ';
  }
  return text;
};

const optionName = (type: number) => OPTION_NAMES[type] ?? `Unknown (0x${type.toString(16).padStart(2, '0')})`;

export function ipv4OptionTreeLines(areaLength: number, options: readonly Ipv4Option[]): OptionTreeLine[] {
  const named = options.filter((o) => o.kind !== 'no-operation' && o.kind !== 'end-of-list').map((o) => optionName(o.type));
  const lines: OptionTreeLine[] = [{ depth: 0, text: `Options: (${areaLength} bytes)${named.length > 0 ? `, ${named.join(', ')}` : ''}` }];
  for (const option of options) {
    const add = (depth: number, text: string) => lines.push({ depth, text });
    const type = option.type;
    const size = 'length' in option ? ` (${option.length} bytes)` : '';
    add(1, `IP Option - ${optionName(type)}${option.kind === 'malformed' ? '' : size}`);
    add(2, `Type: ${type}`);
    add(3, `${bits(type, 7, 1)} = Copy on fragmentation: ${type & 0x80 ? 'Yes' : 'No'}`);
    add(3, `${bits(type, 5, 2)} = Class: ${CLASS_NAMES[(type >> 5) & 3]} (${(type >> 5) & 3})`);
    add(3, `${bits(type, 0, 5)} = Number: ${NUMBER_NAMES[type & 0x1f] ?? 'Unknown'} (${type & 0x1f})`);
    switch (option.kind) {
      case 'route': {
        add(2, `Length: ${option.length}`);
        add(2, `Pointer: ${option.pointer}`);
        const record = type === Ipv4OptionType.RECORD_ROUTE;
        option.addresses.forEach((address, i) => {
          const slot = 3 + i * 4; // the slot's offset in the option; the pointer is 1-based
          if (option.pointer > option.length || slot + 1 < option.pointer) add(2, `Recorded Route: ${address}`);
          else if (!record && slot === option.length - 4) add(2, `Destination Address: ${address}`);
          else if (slot + 1 === option.pointer) add(2, `${record ? 'Empty Route' : 'Source Route'}: ${address} <- (next)`);
          else add(2, `${record ? 'Empty Route' : 'Source Route'}: ${address}`);
        });
        break;
      }
      case 'timestamp':
        add(2, `Length: ${option.length}`);
        add(2, `Pointer: ${option.pointer}`);
        add(2, `${bits(option.overflow << 4, 4, 4)} = Overflow: ${option.overflow}`);
        add(2, `${bits(option.flag, 0, 4)} = Flag: ${TIMESTAMP_FLAGS[option.flag] ?? 'Unknown'} (0x${option.flag.toString(16)})`);
        for (const entry of option.entries) {
          if (option.flag !== 0) add(2, `Address: ${entry.address === '0.0.0.0' ? '-' : entry.address}`);
          add(2, `Time stamp: ${entry.timestamp}`);
        }
        break;
      case 'router-alert':
        add(2, `Length: ${option.length}`);
        add(2, `Router Alert: ${option.value === 0 ? 'Router shall examine packet' : 'Reserved'} (${option.value})`);
        break;
      case 'other':
        add(2, `Length: ${option.length}`);
        break;
      default:
        break;
    }
  }
  return lines;
}
