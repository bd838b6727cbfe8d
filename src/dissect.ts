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

// Ctrl-C ends the reading (a FIFO with no writer waits for one until then):
// what was read is summed up (-z statistics, the --json summary) and the
// process ends by the signal, status 130, as tshark's.
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());

runCli('dissect', async () => {
  const status = await runDissectCommand(process.argv.slice(2), streamSink(process.stdout), process.env, {
    stderr: streamSink(process.stderr),
    interrupt: interrupt.signal,
  });
  // What was read is written (stdout is synchronous for files and pipes). A
  // FIFO's open() still waiting for a writer holds a libuv worker that
  // process.exit() would wait for: end by SIGINT itself, the handler gone,
  // as a shell expects of an interrupted command (status 130).
  if (interrupt.signal.aborted) setImmediate(() => process.kill(process.pid, 'SIGINT'));
  return status;
});
