// npx tsx src/craft.ts icmp|tcp [fields] [views] [-w FILE] [--send HOST]: one
// packet built from command-line fields, shown like dissect shows packets,
// written to a pcap or sent through a raw socket with its answer shown.
import { runCraftCommand } from './cli/craft-command.ts';
import { runCli } from './cli/run-cli.ts';
import { streamSink } from './cli/text-output.ts';

runCli('craft', () => runCraftCommand(process.argv.slice(2), streamSink(process.stdout)));
