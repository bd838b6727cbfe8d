// --json of every tool, one dialect (schema/packet-lab-output.schema.json):
// newline-delimited objects, each with a `type` saying what it is ("start",
// "reply", "port", "hop", "packet", "segment", ... and "summary" last). Times
// and durations are milliseconds in fields named *Ms, rounded to what was
// measured: the tools' clocks and pcap files resolve microseconds (3
// decimals); nanosecond capture files keep 6 on durations.
import { linePrinter } from './command-io.ts';
import type { ByteSink } from './text-output.ts';
import { formatRecord, type JsonRecord } from '../lab/packet-record.ts';

export { formatRecord, type JsonRecord, packetRecord, roundTo } from '../lab/packet-record.ts';

/** A printer of records, one per line, to a sink. */
export function recordPrinter(sink: ByteSink): (record: JsonRecord) => void {
  const out = linePrinter(sink);
  return (record) => out(formatRecord(record));
}
