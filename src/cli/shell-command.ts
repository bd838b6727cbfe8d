// `packet-lab shell`: a Node REPL with the scapy-short API preloaded
// (packet-lab/lab), top-level await (node:repl's own), tab completion of
// layer fields inside ip({ ... }), ls(layer), and a history file kept
// between runs. A mistake prints one line, not a stack; a bug prints as
// Node prints it (see ONE_LINE_ERRORS).

import { closeSync, lstatSync, readFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import repl from 'node:repl';
import type { ParseArgsConfig } from 'node:util';
import { inspect, parseArgs } from 'node:util';
import { readPcap, sniff, writePcap } from '../lab/captures.ts';
import { ls } from '../lab/field-listing.ts';
import { icmp, icmp6, ip, ipv6, tcp, udp } from '../lab/lab-packet.ts';
import { send, sr, sr1 } from '../lab/send-receive.ts';
import { closeSockets } from '../lab/socket-pool.ts';
import { OutputFileError, openOutputFile } from '../net/output-file.ts';
import { CaptureFileError } from '../io/pcap-file.ts';
import { CaptureUnavailableError } from '../net/capture.ts';
import { PrivilegeError } from '../net/privileges.ts';
import { SendError } from '../net/raw-socket.ts';
import { HostResolutionError } from '../net/routes.ts';
import { LAYER_FIELDS, LayerFieldError } from '../wire/layers.ts';
import type { CommandEnv } from './command-io.ts';
import { UsageError } from './run-cli.ts';

/** What the REPL's global scope gets: packet-lab/lab's functions. */
const SHELL_GLOBALS: Record<string, unknown> = { ip, ipv6, icmp, icmp6, tcp, udp, send, sr1, sr, sniff, readPcap, writePcap, ls, closeSockets };

function shellNames(): string[] {
  return Object.keys(SHELL_GLOBALS);
}

export const SHELL_USAGE = `Usage: packet-lab shell [-h]

An interactive packet shell: a Node REPL with the packet-lab/lab API loaded.
Build packets layer by layer, send them, and read the answers:

  packet-lab> p = ip({ dst: '127.0.0.1' }).icmp({ id: 0x1234, seq: 1 }).payload('hi')
  packet-lab> reply = await sr1(p)
  packet-lab> reply.show()
  packet-lab> ls(tcp)
  packet-lab> await sr1(ipv6({ dst: '::1' }).icmp6({ id: 1, seq: 1 }).payload('hi'))

Loaded: ${shellNames().join(', ')}.
Tab completes field names inside ip({ ... }), ipv6({ ... }), icmp({ ... }), icmp6({ ... }),
tcp({ ... }) and udp({ ... }).
Sending and sniffing need root (or CAP_NET_RAW); building and showing do not.
History is kept in ~/.packet_lab_history (PACKET_LAB_HISTORY names another file;
an empty value keeps none).

Options:
  -h, --help   show this help
`;

export const SHELL_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;


const HISTORY_LINES = 1000;
const LAYER_CALL = /\b(ipv6|ip|icmp6|icmp|tcp|udp)\(\{([^}]*)$/;

/** Field names to complete when the cursor is inside `layer({ ...`, else undefined. */
export function completeLayerField(line: string): [string[], string] | undefined {
  const call = LAYER_CALL.exec(line);
  if (!call) return undefined;
  const inside = call[2];
  // After a value and before the next key: only complete a bare word being typed as a key.
  const partial = /(?:^|[,{\s])([A-Za-z]*)$/.exec(inside);
  if (!partial) return undefined;
  const after = inside.slice(0, inside.length - partial[1].length).trimEnd();
  if (after !== '' && !after.endsWith(',')) return undefined;
  const names = LAYER_FIELDS[call[1] as keyof typeof LAYER_FIELDS].map((f) => f.name);
  const hits = names.filter((n) => n.startsWith(partial[1])).map((n) => `${n}: `);
  return [hits, partial[1]];
}

/** The history file: PACKET_LAB_HISTORY, or ~/.packet_lab_history of the user who ran the shell (the sudo user's under sudo). */
function historyPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.PACKET_LAB_HISTORY !== undefined) return env.PACKET_LAB_HISTORY === '' ? undefined : env.PACKET_LAB_HISTORY;
  const sudoHome = env.SUDO_USER && process.getuid?.() === 0 ? homeOf(env.SUDO_USER) : undefined;
  return path.join(sudoHome ?? homedir(), '.packet_lab_history');
}

/** A user's home directory from /etc/passwd (under sudo, HOME may be root's). */
function homeOf(user: string): string | undefined {
  try {
    const entry = readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith(`${user}:`));
    return entry?.split(':')[5] || undefined;
  } catch {
    return undefined;
  }
}

/** Past lines, oldest first; nothing from a symlink (it could point anywhere root can read). */
function readHistory(file: string): string[] {
  try {
    if (!lstatSync(file).isFile()) return [];
    return readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
  } catch {
    return [];
  }
}

/** Writes the history as the invoking user, never through a symlink (net/output-file.ts). */
function writeHistory(file: string, lines: readonly string[], env: NodeJS.ProcessEnv, warn: (line: string) => void): void {
  try {
    if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
      warn(`history not saved: ${file} is a symbolic link`);
      return;
    }
    const fd = openOutputFile(file, env);
    try {
      writeSync(fd, `${lines.slice(-HISTORY_LINES).join('\n')}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    warn(`history not saved: ${(error as Error).message}`);
  }
}

/**
 * Errors that are a user's mistake or the environment's (a wrong field, a
 * name that does not resolve, no privilege, a refused send or capture, a bad
 * file): the REPL prints them as one line, as the tools print them. Any other
 * error is a bug (in the lab or in what was typed) and prints as Node prints
 * it, stack included, so it can be chased.
 */
const ONE_LINE_ERRORS = [
  LayerFieldError,
  HostResolutionError,
  PrivilegeError,
  SendError,
  CaptureUnavailableError,
  CaptureFileError,
  OutputFileError,
  UsageError,
];

/**
 * Whether the shell prints `error` as one line: one of ONE_LINE_ERRORS, or a
 * failed system call (ENOENT for a file that is not there: the environment, not a bug).
 */
export function isOneLineError(error: unknown): error is Error {
  if (ONE_LINE_ERRORS.some((kind) => error instanceof kind)) return true;
  const { code, syscall } = error as NodeJS.ErrnoException;
  return error instanceof Error && typeof syscall === 'string' && typeof code === 'string';
}

/**
 * How the REPL prints a result: text (show(), ls(), summary()) as it is,
 * anything else as Node inspects it. The REPL prints a thrown error through
 * the writer too, after "Uncaught": a one-line error as its name and first
 * message line, anything else inspected with its stack.
 */
function writerFor(colors: boolean) {
  return (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (isOneLineError(value)) return `${value.name}: ${value.message.split('\n')[0]}`;
    return inspect(value, { colors, depth: 4 });
  };
}

/**
 * node:repl puts "Uncaught:" on a line of its own before an error line longer
 * than its default writer's breakLength (128), so a long message took two
 * lines. The shell prints results with its own writer, so that default
 * writer's breakLength only decides this; unbounded, every error starts
 * "Uncaught Name: message" on one line, as Node prints short ones.
 */
function keepErrorsOnOneLine(): void {
  (repl.writer as typeof repl.writer & { options: { breakLength: number } }).options.breakLength = Infinity;
}

export interface ShellStreams {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function runShellCommand(args: readonly string[], env: CommandEnv, streams: ShellStreams): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: SHELL_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see shell -h)`);
  }
  if (parsed.values.help) {
    streams.output.write(SHELL_USAGE);
    return 0;
  }
  if (parsed.positionals.length) throw new UsageError(`shell takes no operands, not '${parsed.positionals[0]}' (see shell -h)`);
  await startShell(env, streams).closed;
  return 0;
}

export interface Shell {
  readonly server: repl.REPLServer;
  /** Settles once the REPL has exited and the history is saved. */
  readonly closed: Promise<void>;
}

/** Starts the REPL on `streams`: the API in its scope, field completion, history. */
export function startShell(env: CommandEnv, streams: ShellStreams): Shell {
  const terminal = Boolean(streams.output.isTTY);
  keepErrorsOnOneLine();
  const server = repl.start({
    prompt: 'packet-lab> ',
    input: streams.input,
    output: streams.output,
    terminal,
    useGlobal: false,
    ignoreUndefined: true,
    writer: writerFor(terminal && !env.vars.NO_COLOR),
  });

  for (const [name, value] of Object.entries(SHELL_GLOBALS)) {
    Object.defineProperty(server.context, name, { value, enumerable: true, writable: true, configurable: true });
  }

  const builtinCompleter = server.completer;
  (server as unknown as { completer: typeof builtinCompleter }).completer = (line: string, callback: (error: Error | null, result: [string[], string]) => void) => {
    const fields = completeLayerField(line);
    if (fields) callback(null, fields);
    else (builtinCompleter as (line: string, cb: typeof callback) => void).call(server, line, callback);
  };

  const file = historyPath(env.vars);
  const past = file ? readHistory(file) : [];
  // readline keeps newest first.
  (server as unknown as { history: string[] }).history = [...past].reverse();
  const typed: string[] = [];
  server.on('line', (line: string) => {
    if (line.trim() !== '') typed.push(line);
  });

  const closed = new Promise<void>((resolve) =>
    server.on('exit', () => {
      if (file && typed.length) writeHistory(file, [...past, ...typed], env.vars, (line) => streams.output.write(`${line}\n`));
      resolve();
    }),
  );
  return { server, closed };
}
