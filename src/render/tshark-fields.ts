// tshark's `-T fields` lines: the -e fields of each packet, separated as -E
// says, every value printed as tshark prints it (hex for the fields Wireshark
// shows in hex, dotted quads, 1/0 for flags, times with 9 decimals).

import { formatFieldValue, type FieldDefinition, type FieldValue } from '../dissection/filter-fields.ts';
import type { DissectedPacket } from '../dissection/packet-model.ts';
import { formatEpoch, formatSecondsNs, formatUtcDate } from './capture-time.ts';

/** How -T fields lays out its lines (tshark's -E options). */
export interface FieldsLayout {
  readonly fields: readonly FieldDefinition[];
  readonly header: boolean;
  readonly separator: string;
  readonly quote: '' | '"' | "'";
  /** First, last or all occurrences of a field that appears several times. */
  readonly occurrence: 'f' | 'l' | 'a';
  /** Between the occurrences of one field. */
  readonly aggregator: string;
}

/** Times tshark prints from the exact timestamp, not from a float. */
const EXACT_TIMES: ReadonlyMap<string, (p: DissectedPacket) => string> = new Map([
  ['frame.time', (p: DissectedPacket) => formatUtcDate(p.frame.timestampSeconds, p.frame.nanoseconds)],
  ['frame.time_epoch', (p: DissectedPacket) => formatEpoch(p.frame.timestampSeconds, p.frame.nanoseconds)],
  ['frame.time_relative', (p: DissectedPacket) => formatSecondsNs(p.frame.relativeNs, 9)],
]);

/** The header line (-E header=y): the field names, never quoted. */
export function formatFieldsHeader(layout: FieldsLayout): string {
  return layout.fields.map((field) => field.name).join(layout.separator);
}

/** One packet's line. */
export function formatFieldsLine(packet: DissectedPacket, layout: FieldsLayout): string {
  const values: FieldValue[] = [];
  let line = '';
  for (let i = 0; i < layout.fields.length; i++) {
    const field = layout.fields[i];
    if (i > 0) line += layout.separator;
    const exact = EXACT_TIMES.get(field.name);
    let text: string;
    if (exact) {
      text = exact(packet);
    } else {
      values.length = 0;
      field.read(packet, values);
      if (values.length === 0) continue;
      if (layout.occurrence === 'f') text = formatFieldValue(field, values[0]);
      else if (layout.occurrence === 'l') text = formatFieldValue(field, values[values.length - 1]);
      else text = values.map((value) => formatFieldValue(field, value)).join(layout.aggregator);
    }
    line += layout.quote + text + layout.quote;
  }
  return line;
}
