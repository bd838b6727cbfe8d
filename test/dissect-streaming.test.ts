// dissect reading what cannot be read by position: standard input ("-"),
// a shell pipe, a FIFO with a writer that trickles bytes in, and a FIFO that
// no writer ever opens (it waits, as tshark does, and Ctrl-C ends it with
// what was read summed up). Errors on those inputs are tshark's sentences on
// stderr. Each run is compared with dissect (or tshark) reading the same
// fixture as a file.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipReason } from './helpers/ci-requirements.ts';
import { FIXTURES_DIR } from './helpers/fixture-packets.ts';
import { REPOSITORY, runTool, runTshark } from './helpers/run-tool.ts';

const fixture = (name: string) => join(FIXTURES_DIR, name);
const dir = mkdtempSync(join(tmpdir(), 'packet-lab-streaming-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Finished {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** dissect as a child process whose stdin the test feeds, and how it ended. */
function startDissect(args: readonly string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dissect.ts', ...args], { cwd: REPOSITORY, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const finished = new Promise<Finished>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })),
  );
  return { child, finished, stdout: () => Buffer.concat(out).toString('utf8') };
}

/** Waits until one of the process's threads sleeps in the kernel's FIFO open, waiting for a writer (Linux's wait_for_partner). */
async function waitUntilOpeningFifo(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 3000; attempt++) {
    let waiting = false;
    try {
      waiting = readdirSync(`/proc/${pid}/task`).some((task) => {
        try {
          return readFileSync(`/proc/${pid}/task/${task}/wchan`, 'utf8').includes('wait_for_partner');
        } catch {
          return false;
        }
      });
    } catch {
      // The process is not there yet (or is gone: the expectation below says so).
    }
    if (waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`dissect (pid ${pid}) never waited in the FIFO's open`);
}

function mkfifo(name: string): string {
  const path = join(dir, name);
  const run = spawnSync('mkfifo', [path]);
  expect(run.status).toBe(0);
  return path;
}

describe('standard input and pipes', () => {
  it('reads `cat f | dissect -` as it reads the file, pcap and pcapng', () => {
    for (const name of ['curl-http.pcap', 'curl-http.pcapng', 'icmp-errors.pcap', 'ping-nanosecond.pcap']) {
      const fromFile = runTool('dissect', [fixture(name)]).stdout;
      const run = spawnSync('sh', ['-c', `cat "$1" | "$2" --import tsx src/dissect.ts - 'icmp or tcp or udp'`, 'sh', fixture(name), process.execPath], {
        cwd: REPOSITORY,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(fromFile);
      expect(run.stdout.length).toBeGreaterThan(0);
    }
  });

  it('takes a capture that arrives a few bytes at a time (the magic split across reads), with -T fields', async () => {
    const bytes = readFileSync(fixture('curl-http.pcapng'));
    const args = ['-r', '-', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'tcp.seq', '-e', 'tcp.len'];
    const run = startDissect(args);
    for (let offset = 0; offset < bytes.length; offset += 3) {
      if (!run.child.stdin.write(bytes.subarray(offset, offset + 3))) await new Promise((resolve) => run.child.stdin.once('drain', resolve));
    }
    run.child.stdin.end();
    const finished = await run.finished;
    expect(finished.stderr).toBe('');
    expect(finished.status).toBe(0);
    expect(finished.stdout).toBe(runTool('dissect', ['-r', fixture('curl-http.pcapng'), ...args.slice(2)]).stdout);
    expect(finished.stdout.split('\n')).toHaveLength(49);
  });

  it("says what is wrong with standard input in tshark's words on stderr, status 2 or 1", () => {
    const notCapture = spawnSync(process.execPath, ['--import', 'tsx', 'src/dissect.ts', '-'], { cwd: REPOSITORY, input: 'hello, not a capture\n', encoding: 'utf8' });
    expect(notCapture.status).toBe(2);
    expect(notCapture.stdout).toBe('');
    expect(notCapture.stderr).toMatch(/^dissect: The standard input isn't a capture file in a format dissect understands \(capture: not a pcap or pcapng file: it starts with 68 65 6c 6c/);
    expect(notCapture.stderr.split('\n')).toHaveLength(2);

    const cut = readFileSync(fixture('curl-http.pcap')).subarray(0, 300);
    const cutRun = spawnSync(process.execPath, ['--import', 'tsx', 'src/dissect.ts', '-r', '-'], { cwd: REPOSITORY, input: cut, encoding: 'utf8' });
    expect(cutRun.status).toBe(1);
    expect(cutRun.stdout.trim().split('\n')).toHaveLength(3);
    expect(cutRun.stderr).toMatch(/^dissect: The standard input appears to have been cut short in the middle of a packet \(pcap: input ends inside the record header at byte 286/);

    const missing = runTool('dissect', ['-r', join(dir, 'no-such.pcap')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`dissect: The file "${join(dir, 'no-such.pcap')}" doesn't exist.\n`);
    const directory = runTool('dissect', ['-r', dir]);
    expect(directory.stderr).toBe(`dissect: "${dir}" is a directory (folder), not a file.\n`);
  });
});

describe('FIFOs', () => {
  const tshark = skipReason(['tshark'], { root: false });

  it.skipIf(tshark !== undefined)(`reads a FIFO whose writer trickles the capture in, as tshark reads the file${tshark ? ` (skipped: ${tshark})` : ''}`, async () => {
    const fifo = mkfifo('trickle');
    const args = ['-Y', 'tcp.len > 0 || icmp', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'tcp.seq', '-e', 'tcp.len', '-e', 'tcp.payload'];
    const run = startDissect(['-r', fifo, ...args]);
    await waitUntilOpeningFifo(run.child.pid!);
    // Opening for writing completes dissect's open; the bytes follow in pieces that cut records apart.
    const writer = openSync(fifo, 'w');
    const bytes = readFileSync(fixture('curl-http.pcap'));
    for (let offset = 0; offset < bytes.length; offset += 1000) writeSync(writer, bytes.subarray(offset, offset + 1000));
    closeSync(writer);
    const finished = await run.finished;
    expect(finished.stderr).toBe('');
    expect(finished.status).toBe(0);
    expect(finished.stdout).toBe(runTshark(['-r', fixture('curl-http.pcap'), ...args]).stdout);
    expect(finished.stdout.split('\n').length).toBeGreaterThan(20);
  });

  it('waits for a writer that never comes, and Ctrl-C ends it: the statistics of nothing, status 130', async () => {
    const fifo = mkfifo('no-writer');
    const run = startDissect(['-r', fifo, '-q', '-z', 'conv,tcp']);
    await waitUntilOpeningFifo(run.child.pid!);
    expect(run.stdout()).toBe('');
    run.child.kill('SIGINT');
    const finished = await run.finished;
    expect(finished.signal ?? finished.status).toMatch(/^(SIGINT|130)$/);
    expect(finished.stderr).toBe('');
    expect(finished.stdout).toMatch(/^=+\nTCP Conversations\nFilter:<No Filter>\n.*\n.*\n=+\n$/);
  });

  it('shows packets as they arrive while the writer stays open, and Ctrl-C sums up what was read', async () => {
    const fifo = mkfifo('live');
    const run = startDissect(['-r', fifo, '--json']);
    await waitUntilOpeningFifo(run.child.pid!);
    const writer = openSync(fifo, 'w');
    writeSync(writer, readFileSync(fixture('iputils-ping.pcap')));
    // The writer stays open: the six packets must come out before any end of input.
    while (run.stdout().split('\n').filter((line) => line.includes('"type":"packet"')).length < 6) await new Promise((resolve) => setTimeout(resolve, 20));
    run.child.kill('SIGINT');
    const finished = await run.finished;
    closeSync(writer);
    expect(finished.signal ?? finished.status).toMatch(/^(SIGINT|130)$/);
    const records = finished.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.at(-1)).toEqual({ type: 'summary', tool: 'dissect', files: 1, failedFiles: 0, packets: 6, shown: 6, interrupted: true });
  });
});
