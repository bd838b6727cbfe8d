// Every CLI entry runs through here: a user mistake or an environment problem
// becomes one clear line on stderr and exit status 2, never a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HostResolutionError } from '../net/routes.ts';
import { PrivilegeError } from '../net/privileges.ts';
import { CaptureUnavailableError, captureWasOpened } from '../net/capture.ts';
import { OutputFileError } from '../net/output-file.ts';
import { writeText } from './command-io.ts';
import { BROKEN_PIPE_EXIT_STATUS, type ByteSink, onOutputPipeBroken, outputPipeBroken, streamSink } from './text-output.ts';

/** A mistake in how the tool was called: bad option, bad value, missing operand. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const EXPECTED_ERRORS = [UsageError, PrivilegeError, HostResolutionError, CaptureUnavailableError, OutputFileError];

/**
 * Runs `main` and returns its exit status. An error becomes one line
 * "tool: message" on `stderr` and status 2; the stack is added only for an
 * unexpected error when PACKET_LAB_DEBUG is set, so a bug can still be chased.
 * The entry files and the in-process tests both go through here.
 */
export async function exitStatus(tool: string, stderr: ByteSink, main: () => Promise<number>, vars: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await main();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    writeText(stderr, `${tool}: ${message}\n`);
    const expected = EXPECTED_ERRORS.some((kind) => error instanceof kind);
    if (!expected && vars.PACKET_LAB_DEBUG && error instanceof Error) writeText(stderr, `${error.stack}\n`);
    return 2;
  }
}

/** Runs `main` from an entry file and sets the process's exit status. */
export function runCli(tool: string, main: () => Promise<number>): void {
  void exitStatus(tool, streamSink(process.stderr), main).then((result) => {
    // A reader that went away (`tool | head -1`) ends the run as SIGPIPE ends iputils ping: quietly, status 141.
    const status = outputPipeBroken() ? BROKEN_PIPE_EXIT_STATUS : result;
    process.exitCode = status;
    // A closed cap handle collected during the isolate's teardown crashes the
    // process (captureWasOpened() says why); process.exit() skips that teardown.
    // Everything the command writes is written by now: stdout and stderr are
    // synchronous on Linux for files and pipes.
    if (captureWasOpened()) process.exit(status);
  });
}

/** Parses a number option the way a person expects, or throws a UsageError naming it. */
export function parseNumberOption(
  name: string,
  text: string,
  { min, max, integer = true }: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`invalid argument for ${name}: '${text}'`);
  }
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const range = min !== undefined && max !== undefined ? `${min}..${max}` : min !== undefined ? `>= ${min}` : `<= ${max}`;
    throw new UsageError(`invalid argument for ${name}: '${text}': out of range: ${range}`);
  }
  return value;
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/**
 * `-c -1` means -c with the value "-1", as getopt reads it (iputils then says
 * the value is out of range); parseArgs instead calls it ambiguous. Writing
 * such pairs as `--count=-1` gives the value to the option, and the option's
 * own check its say.
 */
function attachDashValues(args: readonly string[], options: OptionsConfig): string[] {
  const takesValue = new Map<string, string>();
  for (const [long, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    takesValue.set(`--${long}`, long);
    if (option.short) takesValue.set(`-${option.short}`, long);
  }
  const result: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      result.push(...args.slice(i));
      break;
    }
    const long = takesValue.get(arg);
    const next = args[i + 1];
    if (long !== undefined && next !== undefined && next.startsWith('-') && next !== '--') {
      result.push(`--${long}=${next}`);
      i++;
    } else {
      result.push(arg);
    }
  }
  return result;
}

/**
 * node:util parseArgs with operands allowed, its errors (unknown option,
 * missing value) turned into one UsageError line pointing at the help.
 */
export function parseCommandLine<const O extends OptionsConfig>(
  tool: string,
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>> {
  try {
    return parseArgs({ args: attachDashValues(args, options), options, allowPositionals: true });
  } catch (error) {
    // parseArgs adds advice about '--' after the first sentence; the sentence is what matters.
    const reason = (error as Error).message.split('\n')[0].split('. ')[0];
    throw new UsageError(`${reason} (see ${tool} -h)`);
  }
}

/**
 * An AbortSignal that SIGINT and SIGTERM trip: the engine stops and its
 * summary is still printed, as iputils does on Ctrl-C. `dispose()` removes
 * the handlers once the run is over.
 */
export function interruption(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The output's reader went away: stop as on Ctrl-C, cleaning up on the way out.
  const stopWatchingPipe = onOutputPipeBroken(stop);
  return {
    signal: controller.signal,
    dispose() {
      stopWatchingPipe();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
