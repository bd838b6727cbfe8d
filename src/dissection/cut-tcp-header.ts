// A TCP header the snaplen cut in the middle (its options, usually): the
// fixed 20 bytes and whatever options were captured are still worth showing,
// as Wireshark does. parseTcp refuses a header shorter than its data offset,
// so this parses the fixed part with the data offset set to 5 and reads the
// captured option bytes on their own. (A parseTcp option to accept a cut
// header would make this module unnecessary.)
import { parseTcp, parseTcpOptions, type ParsedTcpSegment } from '../wire/tcp.ts';

const FIXED_HEADER = 20;

/** The header's fields, or undefined when the input is not a cut header (whole, or shorter than 20 bytes). */
export function parseCutTcpHeader(bytes: Uint8Array): ParsedTcpSegment | undefined {
  if (bytes.length < FIXED_HEADER) return undefined;
  const dataOffset = bytes[12] >>> 4;
  if (dataOffset <= 5 || bytes.length >= dataOffset * 4) return undefined;
  const fixed = bytes.slice(0, FIXED_HEADER);
  fixed[12] = (5 << 4) | (fixed[12] & 0x0f);
  const result = parseTcp(fixed);
  if (!result.ok) return undefined;
  return {
    ...result.value,
    dataOffset,
    headerLength: dataOffset * 4,
    options: parseTcpOptions(bytes.subarray(FIXED_HEADER)),
    payload: new Uint8Array(0),
  };
}
