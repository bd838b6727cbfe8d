// sudo tsx src/tcp-probe.ts [options] HOST -p PORTS: one hand-built TCP
// segment per port, each port reported open, closed or filtered, as nmap.
import { processEnv, processIo } from './cli/command-io.ts';
import { runCli } from './cli/run-cli.ts';
import { runTcpProbeCommand } from './cli/tcp-probe-command.ts';

runCli('tcp-probe', () => runTcpProbeCommand(process.argv.slice(2), processIo(), processEnv()));
