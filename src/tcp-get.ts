// sudo tsx src/tcp-get.ts [options] http://host[:port]/path: fetches a web
// page over a TCP connection built by hand on raw sockets.
import { processEnv, processIo } from './cli/command-io.ts';
import { runCli } from './cli/run-cli.ts';
import { runTcpGetCommand } from './cli/tcp-get-command.ts';

runCli('tcp-get', () => runTcpGetCommand(process.argv.slice(2), processIo(), processEnv()));
