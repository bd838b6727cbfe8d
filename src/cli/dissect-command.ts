// What `dissect` does, given its arguments and somewhere to write: read each
// file, dissect every frame, show the packets the filter lets through, and
// report unreadable or cut files on their own line without stopping. Kept
// apart from src/dissect.ts so the benchmark runs exactly this code.

import { type CaptureFileProblem, dissectCaptureFiles, FULL_DISSECTION, SUMMARY_ONLY } from '../dissection/capture-file-dissection.ts';
import { fractionDigits } from '../render/capture-time.ts';
import { formatSummaryLine } from '../render/packet-summary.ts';
import { hasDetailedViews, packetViewText } from '../render/packet-views.ts';
import { styleFor, type TextStyle } from '../render/terminal-style.ts';
import { DISSECT_USAGE, parseDissectArguments } from './dissect-arguments.ts';
import { formatRecord, packetRecord } from './json-output.ts';
import { BufferedTextOutput, type ByteSink } from './text-output.ts';

function describeProblem(problem: CaptureFileProblem, packetsRead: number): string {
  const named = problem.offset !== undefined && problem.message.includes(`at byte ${problem.offset}`);
  const where = problem.offset !== undefined && problem.kind !== 'unreadable' && !named ? ` (at byte ${problem.offset})` : '';
  const after = packetsRead > 0 ? `, after ${packetsRead} packet${packetsRead === 1 ? '' : 's'}` : '';
  return `[${problem.kind}: ${problem.message}${where}${after}]`;
}

export async function runDissectCommand(args: readonly string[], sink: ByteSink, env: NodeJS.ProcessEnv = process.env): Promise<number> {
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
  const filter = options.filter;
  let shown = 0;
  /** The file whose heading was written last. */
  let headed: string | undefined;
  let digitsFor = 0;
  let digits = 6;
  const emit = (text: string) => out.write(text);

  const common = {
    fileStart(path: string) {
      headed = path;
      if (several && !options.json) emit(`==> ${path} <==\n`);
    },
    fileError(path: string, problem: CaptureFileProblem, packetsRead: number) {
      if (options.json) {
        emit(`${formatRecord({ type: 'file-error', file: path, error: { kind: problem.kind, message: problem.message, offset: problem.offset }, packetsRead })}\n`);
      } else {
        if (several && headed !== path) emit(`==> ${path} <==\n`);
        emit(`${path}: ${style.bad(describeProblem(problem, packetsRead))}\n`);
      }
    },
    isDone: () => options.count !== undefined && shown >= options.count,
    afterBatch: () => out.settle(),
  };
  const digitsOf = (perSecond: number): number => {
    if (perSecond !== digitsFor) {
      digitsFor = perSecond;
      digits = fractionDigits(perSecond);
    }
    return digits;
  };

  // Summary lines alone take the fast path: what a line needs, not the whole model.
  const outcome =
    options.json || detailed
      ? await dissectCaptureFiles(
          options.files,
          {
            ...common,
            packet(packet, path) {
              if (filter && !filter(packet)) return;
              shown++;
              const d = digitsOf(packet.frame.fractionsPerSecond);
              if (options.json) {
                const { record, msDecimals } = packetRecord(packet, { file: path, hex: options.hex });
                emit(`${formatRecord(record, msDecimals)}\n`);
              } else emit(`${packetViewText(packet, views, d, style)}\n`);
            },
          },
          FULL_DISSECTION,
          { tcpAnalysis: options.tcpAnalysis, ipReassembly: options.ipReassembly },
        )
      : await dissectCaptureFiles(
          options.files,
          {
            ...common,
            packet(packet) {
              if (filter && !filter(packet)) return;
              shown++;
              // Two writes rather than line + '\n': the concatenation would copy every line once more.
              out.write(formatSummaryLine(packet, digitsOf(packet.frame.fractionsPerSecond), style));
              out.write('\n');
            },
          },
          SUMMARY_ONLY,
          { tcpAnalysis: options.tcpAnalysis, ipReassembly: options.ipReassembly },
        );
  if (options.json) {
    emit(`${formatRecord({ type: 'summary', tool: 'dissect', files: options.files.length, failedFiles: outcome.failedFiles, packets: outcome.packets, shown })}\n`);
  }
  out.flush();
  if (outcome.failedFiles === 0) return 0;
  return outcome.packets === 0 ? 2 : 1;
}
