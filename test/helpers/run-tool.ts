// Runs one of the lab's CLI entry files the way a user does
// (node --import tsx src/TOOL.ts ...), capturing exit status and output.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
