// The JSON records of every tool (schema/packet-lab-output.schema.json) and
// the packet object dissect --json, craft --json and the API's toJSON() share.
// Here, in the lab layer, rather than in cli/ so that packets of the API can
// give the same object: lab sits above render and below cli.
//
// --json of every tool, one dialect (schema/packet-lab-output.schema.json):
// newline-delimited objects, each with a `type` saying what it is ("start",
// "reply", "port", "hop", "packet", "segment", ... and "summary" last). Times
// and durations are milliseconds in fields named *Ms, rounded to what was
// measured: the tools' clocks and pcap files resolve microseconds (3
// decimals); nanosecond capture files keep 6 on durations.
import type { DissectedPacket } from '../dissection/packet-model.ts';
import { fractionDigits } from '../render/capture-time.ts';
import { hexString } from '../render/hex-dump.ts';
import { packetJson } from '../render/packet-json.ts';

export type JsonRecord = { readonly type: string } & Record<string, unknown>;

/** The tools' own clock (performance.now + timeOrigin) is read to the microsecond. */
const CLOCK_DECIMALS = 3;
/** An epoch time in ms is ~1.8e12: a double holds it to about a quarter of a microsecond, no finer. */
const EPOCH_DECIMALS = 3;

export function roundTo(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

/**
 * JSON.stringify's replacer for every record: *Ms numbers rounded, byte
 * arrays as lower-case hex (as dissect writes bytes), so no tool can leak
 * 1.0499399999999923 or {"0":8,"1":0,...} into its output.
 */
function replacerFor(msDecimals: number) {
  return function (key: string, value: unknown): unknown {
    if (typeof value === 'number' && key.endsWith('Ms')) return roundTo(value, key === 'timeMs' ? Math.min(msDecimals, EPOCH_DECIMALS) : msDecimals);
    if (value instanceof Uint8Array) return hexString(value);
    return value;
  };
}

const CLOCK_REPLACER = replacerFor(CLOCK_DECIMALS);

export function formatRecord(record: JsonRecord, msDecimals = CLOCK_DECIMALS): string {
  return JSON.stringify(record, msDecimals === CLOCK_DECIMALS ? CLOCK_REPLACER : replacerFor(msDecimals));
}

type Json = Record<string, unknown>;

/**
 * The packet object of every tool that reports packets (dissect, craft): the
 * render layer's packetJson, with its capture-time strings turned into the
 * schema's milliseconds (timeMs since the epoch, relativeTimeMs since the
 * file's first packet, icmp.responseTimeMs and icmpv6.responseTimeMs) at the file's resolution.
 * Returns the record and the decimals its *Ms fields deserve.
 */
export function packetRecord(
  packet: DissectedPacket,
  { file, hex = false, extra = {} }: { file?: string; hex?: boolean; extra?: Json } = {},
): { record: JsonRecord; msDecimals: number } {
  const digits = fractionDigits(packet.frame.fractionsPerSecond);
  const msDecimals = Math.max(0, digits - 3);
  const { time: _relative, epochTime: _epoch, ...fields } = packetJson(packet, { file, digits, hex });
  const f = packet.frame;
  const record: Json = {
    type: 'packet',
    ...extra,
    ...fields,
    timeMs: f.timestampSeconds * 1000 + f.nanoseconds / 1e6,
    relativeTimeMs: f.relativeNs / 1e6,
  };
  for (const layer of ['icmp', 'icmpv6'] as const) {
    const icmp = record[layer] as Json | undefined;
    if (icmp && typeof icmp.responseTimeNs === 'number') {
      const { responseTimeNs, ...rest } = icmp;
      record[layer] = { ...rest, responseTimeMs: (responseTimeNs as number) / 1e6 };
    }
  }
  return { record: record as JsonRecord, msDecimals };
}
