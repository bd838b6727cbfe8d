// What `dissect` does, given its arguments and somewhere to write: read each
// file (or standard input, a pipe, a FIFO), dissect every frame, show the
// packets the filters let through in the chosen output (summary lines, views,
// JSON, tshark's -T fields), gather -z statistics, and report unreadable or
// cut files without stopping. Kept apart from src/dissect.ts so the benchmark
// runs exactly this code.

import { statSync } from 'node:fs';
import { type CaptureFileProblem, dissectCaptureFiles, FULL_DISSECTION, SUMMARY_ONLY } from '../dissection/capture-file-dissection.ts';
import { TcpConversationTable } from '../dissection/conversations.ts';
import type { DissectedPacket, SummaryView } from '../dissection/packet-model.ts';
import { TcpStreamFollower } from '../dissection/stream-follow.ts';
import { STANDARD_INPUT } from '../io/pcap-file.ts';
import { fractionDigits } from '../render/capture-time.ts';
import { formatSummaryLine } from '../render/packet-summary.ts';
import { hasDetailedViews, packetViewText } from '../render/packet-views.ts';
import { formatSummaryTime, needsAbsoluteTime } from '../render/summary-time.ts';
import { styleFor, type TextStyle } from '../render/terminal-style.ts';
import { formatFieldsHeader, formatFieldsLine } from '../render/tshark-fields.ts';
import { formatTsharkJsonPacket } from '../render/tshark-json.ts';
import { formatFollowAscii, formatTcpConversations } from '../render/tshark-statistics.ts';
import { DISSECT_USAGE, type DissectOptions, parseDissectArguments } from './dissect-arguments.ts';
import { formatRecord, packetRecord } from './json-output.ts';
import { BufferedTextOutput, type ByteSink } from './text-output.ts';

/** Exit status after SIGINT, as tshark and shells give it (128 + 2). */
export const INTERRUPTED_STATUS = 130;

export interface DissectRunOptions {
  /** Where tshark-style error lines go (inputs given with -r or "-"); without it they go inline on stdout. */
  readonly stderr?: ByteSink;
  /** Aborted on SIGINT: reading stops, what was read is summed up, status 130. */
  readonly interrupt?: AbortSignal;
}

function describeProblem(problem: CaptureFileProblem, packetsRead: number): string {
  const named = problem.offset !== undefined && problem.message.includes(`at byte ${problem.offset}`);
  const where = problem.offset !== undefined && problem.kind !== 'unreadable' && !named ? ` (at byte ${problem.offset})` : '';
  const after = packetsRead > 0 ? `, after ${packetsRead} packet${packetsRead === 1 ? '' : 's'}` : '';
  return `[${problem.kind}: ${problem.message}${where}${after}]`;
}

/** tshark's sentence for a file it cannot read, with dissect's detail. */
function tsharkStyleProblem(path: string, problem: CaptureFileProblem): string {
  const file = path === STANDARD_INPUT ? 'The standard input' : `The file "${path}"`;
  if (problem.kind === 'unreadable') {
    if (problem.message === 'No such file or directory') return `${file} doesn't exist.`;
    if (problem.message === 'Is a directory') return `"${path}" is a directory (folder), not a file.`;
    if (problem.message === 'Permission denied') return `${file} could not be opened: Permission denied.`;
    return `${file} could not be read: ${problem.message}.`;
  }
  if (problem.kind === 'truncated' && problem.offset !== undefined && problem.offset > 0) {
    return `${file} appears to have been cut short in the middle of a packet (${problem.message}).`;
  }
  return `${file} isn't a capture file in a format dissect understands (${problem.message}).`;
}

/** Whether any input is read as a stream (standard input, a FIFO, a character device): its output is flushed batch by batch. */
function readsStream(files: readonly string[]): boolean {
  return files.some((file) => {
    if (file === STANDARD_INPUT) return true;
    try {
      return !statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

export async function runDissectCommand(
  args: readonly string[],
  sink: ByteSink,
  env: NodeJS.ProcessEnv = process.env,
  run: DissectRunOptions = {},
): Promise<number> {
  const options = parseDissectArguments(args);
  const out = new BufferedTextOutput(sink);
  if (options.help) {
    out.write(DISSECT_USAGE);
    out.flush();
    return 0;
  }
  const style: TextStyle = options.json ? styleFor({}, env) : styleFor(sink, env);
  const views = { tree: options.tree, hex: options.hex, diagram: options.diagram, checksum: options.checksum };
  const detailed = hasDetailedViews(views);
  const several = options.files.length > 1;
  const { filter, displayFilter, fieldsLayout } = options;
  // tshark's way of reporting (stderr, its sentences) for tshark's way of naming inputs.
  const tsharkErrors = run.stderr !== undefined && options.tsharkInput;
  const streaming = readsStream(options.files);
  const followers = options.statistics.flatMap((s) => (s.kind === 'follow-tcp-ascii' ? [new TcpStreamFollower(s.stream)] : []));
  const conversations = options.statistics.some((s) => s.kind === 'conv-tcp') ? new TcpConversationTable() : undefined;
  let shown = 0;
  /** Packets read so far (the outcome's count, when the reading was interrupted before it could give one). */
  let read = 0;
  let interrupted = false;
  /** The file whose heading was written last. */
  let headed: string | undefined;
  let digitsFor = 0;
  let digits = 6;
  /** Relative times of the previous frame read and the previous frame shown (for -t d and dd). */
  let previousNs: number | undefined;
  let previousShownNs: number | undefined;
  const emit = (text: string) => out.write(text);
  const errorLine = (text: string) => run.stderr?.write(Buffer.from(`dissect: ${text}\n`, 'utf8'));

  if (fieldsLayout?.header && !options.quiet) emit(`${formatFieldsHeader(fieldsLayout)}\n`);
  const tsharkJson = options.tsharkJson && !options.quiet;
  if (tsharkJson) emit('[');

  const common = {
    fileStart(path: string) {
      headed = path;
      previousNs = undefined;
      previousShownNs = undefined;
      if (several && !options.json && !options.tsharkJson && !fieldsLayout && !options.quiet) emit(`==> ${path} <==\n`);
    },
    fileError(path: string, problem: CaptureFileProblem, packetsRead: number) {
      if (options.json) {
        emit(`${formatRecord({ type: 'file-error', file: path, error: { kind: problem.kind, message: problem.message, offset: problem.offset }, packetsRead })}\n`);
      } else if (tsharkErrors) {
        out.flush();
        errorLine(tsharkStyleProblem(path, problem));
      } else {
        if (several && headed !== path) emit(`==> ${path} <==\n`);
        emit(`${path}: ${style.bad(describeProblem(problem, packetsRead))}\n`);
      }
    },
    isDone: () => interrupted || (options.count !== undefined && shown >= options.count),
    afterBatch: async () => {
      if (streaming) out.flush();
      await out.settle();
    },
  };
  const digitsOf = (perSecond: number): number => {
    if (perSecond !== digitsFor) {
      digitsFor = perSecond;
      digits = fractionDigits(perSecond);
    }
    return digits;
  };

  /** Filters, statistics and output of one packet; a DissectedPacket whenever the options need more than the summary view. */
  const handle = (packet: SummaryView, path: string) => {
    read++;
    const previous = previousNs;
    previousNs = packet.frame.relativeNs;
    if (filter && !filter(packet)) return;
    if (displayFilter && !displayFilter(packet as DissectedPacket)) return;
    shown++;
    for (const follower of followers) follower.add(packet as DissectedPacket);
    conversations?.add(packet);
    const previousShown = previousShownNs;
    previousShownNs = packet.frame.relativeNs;
    if (options.quiet) return;
    const d = digitsOf(packet.frame.fractionsPerSecond);
    if (tsharkJson) {
      emit(shown === 1 ? '\n  ' : ',\n  ');
      emit(formatTsharkJsonPacket(packet as DissectedPacket));
    } else if (fieldsLayout) {
      emit(formatFieldsLine(packet as DissectedPacket, fieldsLayout));
      emit('\n');
    } else if (options.json) {
      const { record, msDecimals } = packetRecord(packet as DissectedPacket, { file: path, hex: options.hex });
      emit(`${formatRecord(record, msDecimals)}\n`);
    } else if (detailed) {
      emit(`${packetViewText(packet as DissectedPacket, views, d, style)}\n`);
    } else {
      const time = options.time === 'r' ? undefined : formatSummaryTime(options.time, packet.frame as DissectedPacket['frame'], d, previous, previousShown);
      // Two writes rather than line + '\n': the concatenation would copy every line once more.
      out.write(formatSummaryLine(packet, d, style, time));
      out.write('\n');
    }
  };

  // Summary lines alone take the fast path: what a line needs, not the whole model.
  const dissection = { tcpAnalysis: options.tcpAnalysis, ipReassembly: options.ipReassembly };
  const full = needsFullDissection(options, detailed);
  const reading = full
    ? dissectCaptureFiles(options.files, { ...common, packet: handle }, FULL_DISSECTION, dissection)
    : dissectCaptureFiles(options.files, { ...common, packet: handle }, SUMMARY_ONLY, dissection);
  const outcome = await untilInterrupted(reading, run.interrupt, () => {
    interrupted = true;
  });

  if (tsharkJson) emit(shown === 0 ? ']\n' : '\n]\n');
  for (const follower of followers) emit(formatFollowAscii(follower));
  if (conversations) emit(formatTcpConversations(conversations.rows()));
  if (options.json) {
    emit(
      `${formatRecord({ type: 'summary', tool: 'dissect', files: options.files.length, failedFiles: outcome?.failedFiles ?? 0, packets: outcome?.packets ?? read, shown, ...(interrupted ? { interrupted: true } : {}) })}\n`,
    );
  }
  out.flush();
  if (interrupted) return INTERRUPTED_STATUS;
  if (!outcome || outcome.failedFiles === 0) return 0;
  return outcome.packets === 0 ? 2 : 1;
}

function needsFullDissection(options: DissectOptions, detailed: boolean): boolean {
  return options.json || options.tsharkJson || detailed || options.displayFilter !== undefined || options.fieldsLayout !== undefined || options.statistics.length > 0 || needsAbsoluteTime(options.time);
}

/**
 * The reading's outcome, or undefined when `interrupt` fired first: a FIFO
 * that no writer has opened holds its open() forever, so the reading cannot
 * be relied on to notice.
 */
async function untilInterrupted<T>(reading: Promise<T>, interrupt: AbortSignal | undefined, onInterrupt: () => void): Promise<T | undefined> {
  if (!interrupt) return reading;
  // Once interrupted, a later failure of the abandoned reading is nobody's concern.
  reading.catch(() => {});
  if (interrupt.aborted) {
    onInterrupt();
    return undefined;
  }
  let listener: (() => void) | undefined;
  const interrupted = new Promise<undefined>((resolve) => {
    listener = () => {
      onInterrupt();
      resolve(undefined);
    };
    interrupt.addEventListener('abort', listener, { once: true });
  });
  try {
    return await Promise.race([reading, interrupted]);
  } finally {
    interrupt.removeEventListener('abort', listener!);
  }
}
