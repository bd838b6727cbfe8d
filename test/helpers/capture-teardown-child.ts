// Child for test/capture.test.ts: opens a live capture on lo, closes it, drops
// it and ends, through runCli() as every tool does ('bare': by letting the
// event loop run dry, as the tools did before). Run with node's
// --stress-incremental-marking, so that a GC is under way when the isolate is
// torn down and the closed cap handle is collected then.
import { runCli } from '../../src/cli/run-cli.ts';
import { LiveCapture } from '../../src/net/capture.ts';

async function main(): Promise<number> {
  let capture: LiveCapture | undefined = LiveCapture.open({ device: 'lo', filter: 'icmp and icmp[0] == 255' });
  await new Promise((resolve) => setImmediate(resolve));
  capture.close();
  capture = undefined;
  // Some garbage, so that the stress flag has started a marking cycle by the end.
  let keep = 0;
  for (let i = 0; i < 1000; i++) keep += [i, { i }].length;
  return keep >= 0 ? 0 : 1;
}

if (process.argv[2] === 'bare') void main().then((status) => (process.exitCode = status));
else runCli('capture-teardown', main);
