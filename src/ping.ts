// sudo tsx src/ping.ts [options] HOST: iputils-style ping with hand-built ICMP.
import { processEnv, processIo } from './cli/command-io.ts';
import { runPingCommand } from './cli/ping-command.ts';
import { runCli } from './cli/run-cli.ts';

runCli('ping', () => runPingCommand(process.argv.slice(2), processIo(), processEnv()));
