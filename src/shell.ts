// sudo tsx src/shell.ts: the interactive packet shell (packet-lab shell).
import { processEnv } from './cli/command-io.ts';
import { runCli } from './cli/run-cli.ts';
import { runShellCommand } from './cli/shell-command.ts';

runCli('shell', () => runShellCommand(process.argv.slice(2), processEnv(), { input: process.stdin, output: process.stdout }));
