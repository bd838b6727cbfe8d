// The "[SEQ/ACK analysis]" subtree of a TCP segment in dissect -V, line for
// line as tshark -V prints it (packet-tcp.c's tcp_print_sequence_number_analysis):
// the acknowledged frame and RTT, iRTT, bytes in flight, then the flags, each
// as an expert entry, with a retransmission's RTO and a duplicate ACK's number.

import { TCP_ANALYSIS_FLAGS, TcpAnalysisFlag, type TcpAnalysis, type TcpAnalysisFlagInfo } from '../dissection/tcp-analysis.ts';
import { formatSecondsNs } from './capture-time.ts';

/** One line of the subtree: its depth below the TCP layer's fields, and its text. */
export interface AnalysisTreeLine {
  readonly depth: number;
  readonly text: string;
}

const seconds = (ns: number) => `${formatSecondsNs(ns, 9)} seconds`;

function expert(lines: AnalysisTreeLine[], depth: number, info: Pick<TcpAnalysisFlagInfo, 'severity'>, message: string): void {
  lines.push({ depth, text: `[Expert Info (${info.severity}/Sequence): ${message}]` });
  lines.push({ depth: depth + 1, text: `[${message}]` });
  lines.push({ depth: depth + 1, text: `[Severity level: ${info.severity}]` });
  lines.push({ depth: depth + 1, text: '[Group: Sequence]' });
}

const RETRANSMISSION = TCP_ANALYSIS_FLAGS.find((info) => info.flag === TcpAnalysisFlag.RETRANSMISSION)!;

export function tcpAnalysisTreeLines(a: TcpAnalysis): AnalysisTreeLine[] {
  const lines: AnalysisTreeLine[] = [{ depth: 0, text: '[SEQ/ACK analysis]' }];
  if (a.ackedFrame !== undefined) {
    lines.push({ depth: 1, text: `[This is an ACK to the segment in frame: ${a.ackedFrame}]` });
    if (a.ackRttNs !== undefined) lines.push({ depth: 1, text: `[The RTT to ACK the segment was: ${seconds(a.ackRttNs)}]` });
  }
  if (a.initialRttNs !== undefined) lines.push({ depth: 1, text: `[iRTT: ${seconds(a.initialRttNs)}]` });
  if (a.bytesInFlight !== undefined) {
    lines.push({ depth: 1, text: `[Bytes in flight: ${a.bytesInFlight}]` });
    if (a.pushBytesSent !== undefined) lines.push({ depth: 1, text: `[Bytes sent since last PSH flag: ${a.pushBytesSent}]` });
  }
  if (a.flags === 0) return lines;
  lines.push({ depth: 1, text: '[TCP Analysis Flags]' });
  let duplicate = false;
  for (const info of TCP_ANALYSIS_FLAGS) {
    if (!(a.flags & info.flag)) continue;
    if (info.flag === TcpAnalysisFlag.DUPLICATE_ACK) {
      lines.push({ depth: 2, text: '[This is a TCP duplicate ack]' });
      duplicate = true;
      continue;
    }
    expert(lines, 2, info, info.expert);
    // A fast or spurious retransmission is reported as a retransmission too.
    if (info.flag === TcpAnalysisFlag.FAST_RETRANSMISSION || info.flag === TcpAnalysisFlag.SPURIOUS_RETRANSMISSION) {
      expert(lines, 2, RETRANSMISSION, RETRANSMISSION.expert);
    }
    if (info.flag === TcpAnalysisFlag.RETRANSMISSION && a.rtoNs !== undefined) {
      lines.push({ depth: 2, text: `[The RTO for this segment was: ${seconds(a.rtoNs)}]` });
      lines.push({ depth: 2, text: `[RTO based on delta from frame: ${a.rtoFrame}]` });
    }
  }
  if (duplicate) {
    lines.push({ depth: 1, text: `[Duplicate ACK #: ${a.duplicateAckNumber}]` });
    lines.push({ depth: 1, text: `[Duplicate to the ACK in frame: ${a.duplicateAckFrame}]` });
    expert(lines, 2, { severity: 'Note' }, `Duplicate ACK (#${a.duplicateAckNumber})`);
  }
  return lines;
}
