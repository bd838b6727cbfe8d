#!/usr/bin/env node
// packet-lab COMMAND [options]: the package's one command (npx packet-lab ping
// -c 1 127.0.0.1, packet-lab dissect f.pcap, packet-lab -h). The tools' own
// entry files (src/ping.ts, ...) stay for sudo tsx from the repository.
import { processEnv, processIo } from './cli/command-io.ts';
import { runPacketLabCommand } from './cli/packet-lab-command.ts';
import { runCli } from './cli/run-cli.ts';

// A reader that closes the pipe early (packet-lab dissect f.pcap | head) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

runCli('packet-lab', () => runPacketLabCommand(process.argv.slice(2), processIo(), processEnv()));
