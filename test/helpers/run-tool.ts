// Runs one of the lab's CLI entry files the way a user does
// (node --import tsx src/TOOL.ts ...), or a tool's run() in-process,
// capturing exit status and output.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommandIo } from '../../src/cli/command-io.ts';
import { exitStatus } from '../../src/cli/run-cli.ts';
import type { ByteSink } from '../../src/cli/text-output.ts';

export const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `tool` is the entry file name under src/, e.g. 'dissect'. NO_COLOR is unset unless `env` sets it. */
export function runTool(tool: string, args: readonly string[], { env = {}, timeoutMs = 60_000 }: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): ToolRun {
  const base = { ...process.env };
  delete base.NO_COLOR;
  const run = spawnSync(process.execPath, ['--import', 'tsx', `src/${tool}.ts`, ...args], {
    cwd: REPOSITORY,
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 << 20,
  });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Output of `tshark` with stderr ignored (it warns about running as root there). */
export function runTshark(args: readonly string[]): ToolRun {
  const run = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: '' };
}

/** What an in-process run printed, and its exit status. */
export interface InProcessRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function memorySink(chunks: Buffer[]): ByteSink {
  return {
    write: (bytes) => {
      chunks.push(Buffer.from(bytes));
      return true;
    },
    drain: async () => {},
  };
}

/**
 * Runs a tool's run(args, io, env) in this process, through the same error
 * handling as its entry file (one line on stderr, exit status 2).
 */
export async function runInProcess(tool: string, run: (io: CommandIo) => Promise<number>): Promise<InProcessRun> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: CommandIo = { stdout: memorySink(out), stderr: memorySink(err) };
  const status = await exitStatus(tool, io.stderr, () => run(io), {});
  return { status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
