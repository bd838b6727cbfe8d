// sudo tsx src/traceroute.ts [options] HOST: the route to HOST, hop by hop,
// with hand-built ICMP echo probes (default) or TCP SYN probes (-T).
import { processEnv, processIo } from './cli/command-io.ts';
import { runCli } from './cli/run-cli.ts';
import { runTracerouteCommand } from './cli/traceroute-command.ts';

runCli('traceroute', () => runTracerouteCommand(process.argv.slice(2), processIo(), processEnv()));
