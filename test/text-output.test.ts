// The byte sink the tools write through: a writer paused by backpressure
// (tcp-get closing its TCP window while stdout is full) must wake when the
// stream drains, and also when the stream closes or fails, because then no
// 'drain' will ever come.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { streamSink } from '../src/cli/text-output.ts';

/** A stream whose reader never reads: the first write fills it. */
function stalledStream(): { stream: Writable; release: () => void } {
  let pending: (() => void) | undefined;
  const stream = new Writable({
    highWaterMark: 4,
    write(_chunk, _encoding, callback) {
      pending = callback;
    },
  });
  return { stream, release: () => pending?.() };
}

describe('streamSink drain()', () => {
  it('resolves when the stream drains', async () => {
    const { stream, release } = stalledStream();
    const sink = streamSink(stream as unknown as NodeJS.WriteStream);
    expect(sink.write(new Uint8Array(8))).toBe(false);
    const drained = sink.drain();
    release();
    await expect(drained).resolves.toBeUndefined();
  });

  it('resolves when the reader goes away instead of waiting for a drain that cannot come', async () => {
    for (const end of ['destroy', 'error'] as const) {
      const { stream } = stalledStream();
      stream.on('error', () => {});
      const sink = streamSink(stream as unknown as NodeJS.WriteStream);
      expect(sink.write(new Uint8Array(8))).toBe(false);
      const drained = sink.drain();
      if (end === 'destroy') stream.destroy();
      else stream.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      await expect(drained, end).resolves.toBeUndefined();
      // Once closed, a later drain() does not wait either.
      await expect(sink.drain(), `${end}, again`).resolves.toBeUndefined();
    }
  });
});
