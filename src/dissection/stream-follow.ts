// tshark's "Follow TCP stream": the bytes one TCP stream carried, in the
// order they arrived, cut into one chunk per segment and side. Node 0 is the
// side that sent the stream's first segment, as tshark names it. A segment
// (or the part of it) that repeats bytes already followed on its side is
// left out, so a retransmission does not show its data twice.

import type { DissectedPacket } from './packet-model.ts';
import { seqAdd, seqDiff, seqGt } from '../wire/tcp-sequence.ts';
import { TcpFlag } from '../wire/tcp.ts';

export interface FollowedChunk {
  /** 0: the stream's first sender; 1: the other side. */
  readonly node: 0 | 1;
  readonly data: Uint8Array;
}

export interface FollowedEndpoint {
  readonly address: string;
  readonly port: number;
}

export class TcpStreamFollower {
  readonly chunks: FollowedChunk[] = [];
  nodes: [FollowedEndpoint, FollowedEndpoint] | undefined;
  /** The next sequence number expected from each node; undefined until its first data. */
  private readonly nextSequence: [number | undefined, number | undefined] = [undefined, undefined];

  constructor(readonly stream: number) {}

  /** Takes one packet; only segments of the followed stream count. */
  add(packet: DissectedPacket): void {
    const tcp = packet.tcp;
    const ip = packet.ipv4;
    if (!tcp || !ip || tcp.conversation?.stream !== this.stream) return;
    const segment = tcp.segment;
    if (!this.nodes) {
      this.nodes = [
        { address: ip.packet.source, port: segment.sourcePort },
        { address: ip.packet.destination, port: segment.destinationPort },
      ];
    }
    const node: 0 | 1 = ip.packet.source === this.nodes[0].address && segment.sourcePort === this.nodes[0].port ? 0 : 1;
    // SYN and FIN take a sequence number but carry no data.
    const dataSequence = seqAdd(segment.sequenceNumber, segment.flags & TcpFlag.SYN ? 1 : 0);
    let data = segment.payload;
    if (data.length === 0) return;
    const expected = this.nextSequence[node];
    if (expected !== undefined) {
      const behind = seqDiff(expected, dataSequence);
      if (behind >= data.length) return; // all of it followed already
      if (behind > 0) data = data.subarray(behind);
    }
    const end = seqAdd(dataSequence, segment.payload.length);
    if (expected === undefined || seqGt(end, expected)) this.nextSequence[node] = end;
    // A copy: the packet's bytes are a view into the reader's buffer.
    this.chunks.push({ node, data: data.slice() });
  }
}
