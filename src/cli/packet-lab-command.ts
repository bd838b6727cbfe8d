// `packet-lab COMMAND [options]`: the installed command (npx packet-lab ...).
// It picks the command from the table in commands.ts and runs that tool's
// run*Command in-process, exactly as the tool's own entry file does.
import { parseArgs } from 'node:util';
import { type CommandEnv, type CommandIo, processEnv, writeText } from './command-io.ts';
import { COMMANDS, type CommandDefinition, type LoadedCommand, RESERVED_COMMANDS } from './commands.ts';
import { bashCompletion, COMPLETION_SHELLS, type CompletionShell, loadCompletedCommands, zshCompletion } from './completion.ts';
import { packageVersion } from './package-version.ts';
import { exitStatus, UsageError } from './run-cli.ts';

export { packageVersion };

export function topLevelUsage(): string {
  const width = Math.max(...[...COMMANDS, ...RESERVED_COMMANDS].map((c) => c.name.length), 'completion'.length) + 2;
  const line = (name: string, summary: string) => `  ${name.padEnd(width)}${summary}`;
  return [
    'Usage: packet-lab COMMAND [options] [operands]',
    '',
    'A raw-socket lab: ICMP and TCP built by hand, sent, captured and dissected.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => line(c.name, c.tool === c.name ? c.summary : `${c.summary} (${c.tool})`)),
    ...RESERVED_COMMANDS.map((c) => line(c.name, c.summary)),
    line('completion', `bash|zsh: print a completion script (source <(packet-lab completion bash))`),
    line('help', 'COMMAND: the help of one command (the same as packet-lab COMMAND -h)'),
    '',
    'Options:',
    line('-h, --help', 'this help'),
    line('--version', 'the version of packet-lab'),
    '',
    'Every command takes -h. ping, probe, get and trace need root or CAP_NET_RAW;',
    'with --json every command writes one JSON object per line, described by',
    'schema/packet-lab-output.schema.json in the package.',
    '',
  ].join('\n');
}

function findCommand(name: string): CommandDefinition {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  if (RESERVED_COMMANDS.some((c) => c.name === name)) throw new UsageError(`${name}: not yet`);
  throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see packet-lab -h)`);
}

/** A command's help as packet-lab shows it: "Usage: packet-lab ping ...", not the entry file's name. */
function usageOf(definition: CommandDefinition, command: LoadedCommand): string {
  return command.usage.replace(/^Usage: \S+/, `Usage: packet-lab ${definition.name}`);
}

/** -h or --help among a command's arguments, read with its own options (so `-p -h` is a value, not help). */
function asksForHelp(args: readonly string[], command: LoadedCommand): boolean {
  try {
    return parseArgs({ args: [...args], options: command.options, allowPositionals: true, strict: false }).values.help === true;
  } catch {
    return false;
  }
}

/** Runs packet-lab with its arguments; returns the exit status. */
export async function runPacketLabCommand(args: readonly string[], io: CommandIo, env: CommandEnv = processEnv()): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError(`a command is required: ${COMMANDS.map((c) => c.name).join(', ')} (see packet-lab -h)`);
  if (first === '-h' || first === '--help') {
    writeText(io.stdout, topLevelUsage());
    return 0;
  }
  if (first === '--version') {
    writeText(io.stdout, `${packageVersion()}\n`);
    return 0;
  }
  if (first === 'help') {
    if (rest.length === 0) {
      writeText(io.stdout, topLevelUsage());
      return 0;
    }
    if (rest.length > 1) throw new UsageError(`help takes one command, got: ${rest.join(' ')}`);
    const definition = findCommand(rest[0]);
    writeText(io.stdout, usageOf(definition, await definition.load()));
    return 0;
  }
  if (first === 'completion') {
    const shell = rest[0];
    if (rest.length !== 1 || !COMPLETION_SHELLS.includes(shell as CompletionShell)) {
      throw new UsageError(`completion takes one shell: ${COMPLETION_SHELLS.join(' or ')} (e.g. source <(packet-lab completion bash))`);
    }
    const commands = await loadCompletedCommands(COMMANDS);
    writeText(io.stdout, shell === 'bash' ? bashCompletion(commands) : zshCompletion(commands));
    return 0;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (see packet-lab -h)`);
  const definition = findCommand(first);
  const command = await definition.load();
  if (asksForHelp(rest, command)) {
    writeText(io.stdout, usageOf(definition, command));
    return 0;
  }
  // The command's own mistakes read "packet-lab ping: ...", one line, exit 2, and point at this command's help.
  const run = async () => {
    try {
      return await command.run(rest, io, env);
    } catch (error) {
      if (error instanceof UsageError) error.message = error.message.replace(`(see ${definition.tool} -h)`, `(see packet-lab ${definition.name} -h)`);
      throw error;
    }
  };
  return exitStatus(`packet-lab ${definition.name}`, io.stderr, run, env.vars);
}
