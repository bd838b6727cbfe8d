// The conversation trace of a hand-made TCP connection (tcp-get -v): one
// line per segment in tcpdump's words, plus state changes and timeouts.
//
//   +0.000000 > Flags [S], seq 2968411351, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
//   +0.000187 < Flags [S.], seq 1290131215, ack 2968411352, win 65160, options [...], length 0
//   +0.000215 > Flags [.], ack 1, win 8192, options [nop,nop,TS val 1 ecr 2], length 0
//
// Sequence numbers are relative to each side's initial one after the SYNs,
// as tcpdump prints them.
import type { TcpSessionEvent } from '../engine/tcp-session.ts';
import type { TcpSegmentSummary } from '../engine/tcp-common.ts';
import { formatTcpOptions } from './tcp-options-text.ts';
import { seqDiff } from '../wire/tcp-sequence.ts';
import { TcpFlag, tcpdumpFlagLetters } from '../wire/tcp.ts';

/**
 * Formats session events. It learns both initial sequence numbers from the
 * SYNs it sees, so it needs nothing from the session.
 */
export class TcpTrace {
  private iss: number | undefined;
  private irs: number | undefined;

  constructor(private readonly startMs: number) {}

  /** One line for an event, without a newline. */
  format(event: TcpSessionEvent): string {
    const at = `+${((event.timeMs - this.startMs) / 1000).toFixed(6)}`;
    switch (event.type) {
      case 'sent':
        if (event.segment.flags & TcpFlag.SYN) this.iss = event.segment.sequenceNumber;
        return `${at} > ${this.segment(event.segment, true)}${event.retransmission ? '  (retransmission)' : ''}`;
      case 'received': {
        if (event.segment.flags & TcpFlag.SYN && event.verdict === 'accepted') this.irs = event.segment.sequenceNumber;
        const notes: string[] = [];
        if (event.verdict !== 'accepted') notes.push(event.verdict);
        if (event.checksum === 'bad') notes.push('bad checksum');
        return `${at} < ${this.segment(event.segment, false)}${notes.length > 0 ? `  (${notes.join(', ')})` : ''}`;
      }
      case 'state':
        return `${at}   state ${event.from} -> ${event.to}`;
      case 'timeout':
        return `${at}   RTO expired (${event.what}, attempt ${event.attempt}); next RTO ${Math.round(event.rtoMs)} ms`;
      case 'icmp':
        return `${at}   ICMP type ${event.icmpType} code ${event.icmpCode} from ${event.from}`;
      case 'note':
        return `${at}   ${event.message}`;
    }
  }

  private segment(segment: TcpSegmentSummary, outgoing: boolean): string {
    const ownBase = outgoing ? this.iss : this.irs;
    const otherBase = outgoing ? this.irs : this.iss;
    const syn = (segment.flags & TcpFlag.SYN) !== 0;
    const parts = [`Flags [${tcpdumpFlagLetters(segment.flags)}]`];
    // tcpdump prints absolute numbers on SYNs, relative ones after.
    const seq = syn || ownBase === undefined ? segment.sequenceNumber : relative(segment.sequenceNumber, ownBase);
    if (segment.payloadLength > 0) parts.push(`seq ${seq}:${seq + segment.payloadLength}`);
    else if (syn || segment.flags & (TcpFlag.FIN | TcpFlag.RST) || !(segment.flags & TcpFlag.ACK)) parts.push(`seq ${seq}`);
    if (segment.flags & TcpFlag.ACK) {
      const ack = syn || otherBase === undefined ? segment.acknowledgmentNumber : relative(segment.acknowledgmentNumber, otherBase);
      parts.push(`ack ${ack}`);
    }
    parts.push(`win ${segment.window}`);
    if (segment.options.length > 0) parts.push(`options [${formatTcpOptions(segment.options)}]`);
    parts.push(`length ${segment.payloadLength}`);
    return parts.join(', ');
  }
}

function relative(value: number, base: number): number {
  return seqDiff(value, base) >>> 0;
}
