// Text written in large chunks: each piece is UTF-8 encoded straight into a
// buffer, and the buffer goes out when full. Building one big string first
// (a rope that V8 must flatten before encoding) or writing line by line cost
// dissect a fifth of its run time on a 200,000-packet file.

/** Where the bytes go: process.stdout, or a file descriptor in the benchmark. */
export interface ByteSink {
  /** Takes ownership of `bytes`. Returns false when the caller should await drain() before writing more. */
  write(bytes: Uint8Array): boolean;
  drain(): Promise<void>;
  readonly isTTY?: boolean;
}

const CHUNK_BYTES = 1 << 18;

export class BufferedTextOutput {
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private blocked = false;

  constructor(private readonly sink: ByteSink) {}

  get isTTY(): boolean | undefined {
    return this.sink.isTTY;
  }

  write(text: string): void {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    if (this.used + text.length * 3 > CHUNK_BYTES) {
      this.flush();
      if (text.length * 3 > CHUNK_BYTES) {
        if (!this.sink.write(Buffer.from(text, 'utf8'))) this.blocked = true;
        return;
      }
    }
    this.used += this.buffer.write(text, this.used, 'utf8');
  }

  /** Hands the buffered bytes to the sink (the sink owns them; a new buffer is started). */
  flush(): void {
    if (this.used === 0) return;
    if (!this.sink.write(this.buffer.subarray(0, this.used))) this.blocked = true;
    this.buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }

  /** Waits for the sink when it asked for it: back-pressure, so a slow reader never makes dissect buffer a whole file. */
  async settle(): Promise<void> {
    if (!this.blocked) return;
    this.blocked = false;
    await this.sink.drain();
  }
}

/**
 * The exit status of a tool whose output pipe's reader went away: 128 +
 * SIGPIPE, what the shell reports for iputils ping or cat killed by SIGPIPE
 * (Node ignores the signal, so the write fails with EPIPE instead).
 */
export const BROKEN_PIPE_EXIT_STATUS = 141;

let pipeBroken = false;
const brokenPipeListeners = new Set<() => void>();
const watchedStreams = new WeakSet<NodeJS.WriteStream>();

/** Whether stdout or stderr lost its reader (EPIPE): the run ends quietly with BROKEN_PIPE_EXIT_STATUS. */
export function outputPipeBroken(): boolean {
  return pipeBroken;
}

/**
 * Calls `listener` once a process stream's reader goes away, so a running
 * tool can stop as on Ctrl-C (and clean up: firewall rules, captures). With
 * no listener the process exits at once, quietly, as a tool killed by
 * SIGPIPE does. Returns the function that removes the listener.
 */
export function onOutputPipeBroken(listener: () => void): () => void {
  brokenPipeListeners.add(listener);
  return () => brokenPipeListeners.delete(listener);
}

/** A closed pipe ends the tool without a stack trace; any other write error stays as loud as it was. */
function watchForBrokenPipe(stream: NodeJS.WriteStream): void {
  // Only the process's own output ends the process; a sink over any other stream reports through drain().
  if (stream !== process.stdout && stream !== process.stderr) return;
  if (watchedStreams.has(stream)) return;
  watchedStreams.add(stream);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (pipeBroken) return;
    pipeBroken = true;
    if (brokenPipeListeners.size === 0) process.exit(BROKEN_PIPE_EXIT_STATUS);
    for (const listener of brokenPipeListeners) listener();
  });
}

export function streamSink(stream: NodeJS.WriteStream): ByteSink {
  watchForBrokenPipe(stream);
  return {
    // Past a broken pipe the bytes have nowhere to go: dropped, as the tool winds down.
    write: (bytes) => (pipeBroken ? true : stream.write(bytes)),
    drain: () => waitForDrain(stream),
    isTTY: stream.isTTY,
  };
}

/**
 * Resolves when the stream takes writes again, or when it never will (closed
 * or failed, e.g. the reader of a pipe went away): a writer paused on it must
 * not wait for a 'drain' that cannot come.
 */
function waitForDrain(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
