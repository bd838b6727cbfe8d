// npx tsx src/dissect.ts [options] FILE... [FILTER]: every packet of pcap and
// pcapng files as tshark-like summary lines, field trees (-V), hex (-x), RFC
// header diagrams (--diagram), checksum walkthroughs (--checksum) or JSON.
import { runDissectCommand } from './cli/dissect-command.ts';
import { runCli } from './cli/run-cli.ts';
import { streamSink } from './cli/text-output.ts';

// A reader that closes the pipe early (dissect f.pcap | head) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

runCli('dissect', () => runDissectCommand(process.argv.slice(2), streamSink(process.stdout)));
