// What a network tool's run(args, io, env) is given instead of reaching for
// process.*: where its output and diagnostics go, and the environment it runs
// in. The entry files pass the process's own; tests and benches pass theirs,
// so a tool runs in-process exactly as it does from the shell.
import { type ByteSink, streamSink } from './text-output.ts';

export interface CommandIo {
  readonly stdout: ByteSink;
  readonly stderr: ByteSink;
}

/** Points in a run where a test can make it fail; the entry files never set them. */
export interface FaultHooks {
  /** tcp-get: right after the --block-kernel-rst rule is in place. */
  afterFirewallInstalled?(): void;
  /** tcp-get: once the transfer is over, just before its cleanup removes the rule. */
  beforeCleanup?(): void;
}

export interface CommandEnv {
  /** Environment variables: SUDO_UID/SUDO_GID (whom files and privileges go to), NO_COLOR. */
  readonly vars: NodeJS.ProcessEnv;
  /** The real user id: what an unprivileged user may do (ping's flood interval) depends on it. */
  readonly uid: number;
  readonly faults?: FaultHooks;
}

export function processIo(): CommandIo {
  return { stdout: streamSink(process.stdout), stderr: streamSink(process.stderr) };
}

export function processEnv(): CommandEnv {
  return { vars: process.env, uid: process.getuid?.() ?? 0 };
}

/** Writes text to a sink (UTF-8). */
export function writeText(sink: ByteSink, text: string): void {
  sink.write(Buffer.from(text, 'utf8'));
}

/** A line printer for a sink: out('x') writes "x\n". */
export function linePrinter(sink: ByteSink): (line: string) => void {
  return (line) => writeText(sink, `${line}\n`);
}
