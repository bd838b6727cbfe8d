// The commands of `packet-lab COMMAND`: one table that the top-level help,
// the dispatcher and the shell completion scripts all read, so they cannot
// disagree. Each command's module is loaded only when that command runs, so
// `packet-lab craft icmp` does not pay for loading traceroute or tcp-get.
import type { ParseArgsConfig } from 'node:util';
import type { CommandEnv, CommandIo } from './command-io.ts';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What a command is once loaded: its -h text, its options, and how to run it in-process. */
export interface LoadedCommand {
  readonly usage: string;
  readonly options: OptionsConfig;
  run(args: readonly string[], io: CommandIo, env: CommandEnv): Promise<number>;
}

/** What the words after the options are, for completion: host names, files, or a fixed list. */
export type OperandKind = 'host' | 'url' | 'file' | readonly string[];

export interface CommandDefinition {
  readonly name: string;
  /** The same tool's own entry file in the repository (src/<tool>.ts), and its name in messages. */
  readonly tool: string;
  readonly summary: string;
  readonly operands: OperandKind;
  readonly load: () => Promise<LoadedCommand>;
}

export const COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'ping',
    tool: 'ping',
    summary: 'ICMP echo, iputils style (root or CAP_NET_RAW)',
    operands: 'host',
    load: async () => {
      const m = await import('./ping-command.ts');
      return { usage: m.PING_USAGE, options: m.PING_OPTIONS, run: m.runPingCommand };
    },
  },
  {
    name: 'probe',
    tool: 'tcp-probe',
    summary: 'hand-built TCP segments to ports: open, closed or filtered',
    operands: 'host',
    load: async () => {
      const m = await import('./tcp-probe-command.ts');
      return { usage: m.TCP_PROBE_USAGE, options: m.TCP_PROBE_OPTIONS, run: m.runTcpProbeCommand };
    },
  },
  {
    name: 'get',
    tool: 'tcp-get',
    summary: 'an HTTP GET over a TCP connection made by hand on raw sockets',
    operands: 'url',
    load: async () => {
      const m = await import('./tcp-get-command.ts');
      return { usage: m.TCP_GET_USAGE, options: m.TCP_GET_OPTIONS, run: m.runTcpGetCommand };
    },
  },
  {
    name: 'trace',
    tool: 'traceroute',
    summary: 'the route to a host, hop by hop (ICMP or TCP SYN probes)',
    operands: 'host',
    load: async () => {
      const m = await import('./traceroute-command.ts');
      return { usage: m.TRACEROUTE_USAGE, options: m.TRACEROUTE_OPTIONS, run: m.runTracerouteCommand };
    },
  },
  {
    name: 'craft',
    tool: 'craft',
    summary: 'one ICMP, ICMPv6, TCP or UDP packet from its fields: shown, written to a pcap, or sent',
    operands: ['icmp', 'icmp6', 'tcp', 'udp'],
    load: async () => {
      const [command, args] = await Promise.all([import('./craft-command.ts'), import('./craft-arguments.ts')]);
      // --show-checksum is how the parser sees --checksum without a number: the user never types it.
      const { 'show-checksum': _internal, ...options } = args.CRAFT_OPTIONS;
      return { usage: args.CRAFT_USAGE, options, run: (argv, io, env) => command.runCraftCommand(argv, io.stdout, env.vars) };
    },
  },
  {
    name: 'dissect',
    tool: 'dissect',
    summary: 'pcap and pcapng files: summary lines, field trees, hex, diagrams, JSON',
    operands: 'file',
    load: async () => {
      const [command, args] = await Promise.all([import('./dissect-command.ts'), import('./dissect-arguments.ts')]);
      return { usage: args.DISSECT_USAGE, options: args.DISSECT_OPTIONS, run: (argv, io, env) => command.runDissectCommand(argv, io.stdout, env.vars, { stderr: io.stderr }) };
    },
  },
  {
    name: 'shell',
    tool: 'shell',
    summary: 'an interactive packet shell (the packet-lab/lab API in a Node REPL)',
    operands: [],
    load: async () => {
      const m = await import('./shell-command.ts');
      // The REPL needs the process's own streams (a terminal for line editing), not byte sinks.
      return { usage: m.SHELL_USAGE, options: m.SHELL_OPTIONS, run: (argv, _io, env) => m.runShellCommand(argv, env, { input: process.stdin, output: process.stdout }) };
    },
  },
];

/** Commands the dispatcher knows but that are not built yet: they say so and exit 2. */
export const RESERVED_COMMANDS: ReadonlyArray<{ readonly name: string; readonly summary: string }> = [];

/** Words every option of a command can be written as: --long, and -s when it has a short form. */
export function optionWords(options: OptionsConfig): string[] {
  const words: string[] = [];
  for (const [long, option] of Object.entries(options)) {
    if (option.short) words.push(`-${option.short}`);
    words.push(`--${long}`);
  }
  return words;
}
