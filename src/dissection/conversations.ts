// tshark's TCP conversation table (-z conv,tcp): one row per TCP stream with
// frames and bytes each way, when it started and how long it lasted. Side A
// is the sender of the stream's first segment; "<-" counts what A received,
// "->" what it sent. Bounded by the number of streams, one small record each.

import type { SummaryView } from './packet-model.ts';

export interface TcpConversationRow {
  readonly addressA: string;
  readonly portA: number;
  readonly addressB: string;
  readonly portB: number;
  /** B to A. */
  framesToA: number;
  bytesToA: number;
  /** A to B. */
  framesFromA: number;
  bytesFromA: number;
  /** Nanoseconds since the first frame of the file. */
  startNs: number;
  endNs: number;
}

export class TcpConversationTable {
  private readonly byStream = new Map<number, TcpConversationRow>();

  add(packet: SummaryView): void {
    const tcp = packet.tcp;
    const ip = packet.ipv4 ?? packet.ipv6;
    const stream = tcp?.conversation?.stream;
    if (!tcp || !ip || stream === undefined) return;
    const time = packet.frame.relativeNs;
    const length = packet.frame.originalLength;
    let row = this.byStream.get(stream);
    if (!row) {
      row = {
        addressA: ip.packet.source,
        portA: tcp.segment.sourcePort,
        addressB: ip.packet.destination,
        portB: tcp.segment.destinationPort,
        framesToA: 0,
        bytesToA: 0,
        framesFromA: 0,
        bytesFromA: 0,
        startNs: time,
        endNs: time,
      };
      this.byStream.set(stream, row);
    }
    if (ip.packet.source === row.addressA && tcp.segment.sourcePort === row.portA) {
      row.framesFromA++;
      row.bytesFromA += length;
    } else {
      row.framesToA++;
      row.bytesToA += length;
    }
    if (time < row.startNs) row.startNs = time;
    if (time > row.endNs) row.endNs = time;
  }

  /** Rows as tshark lists them: most frames first, streams with as many frames in the order they began. */
  rows(): TcpConversationRow[] {
    const rows = [...this.byStream.values()];
    const total = (row: TcpConversationRow) => row.framesToA + row.framesFromA;
    return rows.map((row, index) => ({ row, index })).sort((a, b) => total(b.row) - total(a.row) || a.index - b.index).map(({ row }) => row);
  }
}
