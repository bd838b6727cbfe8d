// The reassembled-datagram block tshark -V prints in the IP layer of the
// fragment that completed it:
//     [2 IPv4 Fragments (2008 bytes): #1(1480), #2(528)]
//         [Frame: 1, payload: 0-1479 (1480 bytes)]
//         ...
//         [Reassembled IPv4 length: 2008]
//         [Reassembled IPv4 data: 0800b576…]

import { fragmentListText } from '../dissection/ip-reassembly.ts';
import type { ReassembledIpv4, ReassembledIpv6 } from '../dissection/packet-model.ts';

/** tshark shows the first 36 bytes of the data, then an ellipsis. */
const DATA_PREVIEW = 36;

export function fragmentTreeLines(protocol: string, reassembled: ReassembledIpv4 | ReassembledIpv6): { depth: number; text: string }[] {
  const payload = reassembled.datagram.subarray(reassembledPayloadOffset(reassembled));
  const datagram = { payload, fragments: reassembled.fragments };
  const lines = [{ depth: 0, text: `[${fragmentListText(protocol, datagram)}]` }];
  for (const f of reassembled.fragments) {
    lines.push({ depth: 1, text: `[Frame: ${f.frame}, payload: ${f.offset}-${f.offset + f.length - 1} (${f.length} bytes)]` });
  }
  lines.push({ depth: 1, text: `[Fragment count: ${reassembled.fragments.length}]` });
  lines.push({ depth: 1, text: `[Reassembled ${protocol} length: ${payload.length}]` });
  const preview = Array.from(payload.subarray(0, DATA_PREVIEW), (b) => b.toString(16).padStart(2, '0')).join('');
  lines.push({ depth: 1, text: `[Reassembled ${protocol} data: ${preview}${payload.length > DATA_PREVIEW ? '…' : ''}]` });
  return lines;
}

/** Where the fragments' data starts in the rebuilt datagram: after the IPv4 header, or the IPv6 unfragmentable part. */
export function reassembledPayloadOffset(reassembled: ReassembledIpv4 | ReassembledIpv6): number {
  return 'payloadOffset' in reassembled ? reassembled.payloadOffset : reassembled.ip.headerLength;
}
