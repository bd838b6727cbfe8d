// `tool | head -1`: when the reader of stdout goes away, the tools end as
// iputils ping does when SIGPIPE kills it: no message, no stack trace, and
// the status the shell shows for it (141 = 128 + SIGPIPE). Loopback of a
// namespace of the test's own only.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createIsolated, leftoverNamespaces, type Namespace, teardownAll, tsxCommand } from './helpers/netns.ts';
import { needTcpLab } from './helpers/tcp-lab.ts';

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** Runs `command | head -1` under bash in the namespace: head's line, the command's status and stderr. */
async function pipedToHead(ns: Namespace, command: readonly string[]): Promise<{ firstLine: string; status: number; stderr: string }> {
  const script = `${command.map(quote).join(' ')} 2>/tmp/stderr.$$ | head -1; status=\${PIPESTATUS[0]}; echo "status=$status"; cat /tmp/stderr.$$ >&2; rm -f /tmp/stderr.$$`;
  const result = await ns.runAsync(['bash', '-c', script], { timeoutMs: 60_000 });
  const [firstLine, statusLine] = result.stdout.trimEnd().split('\n');
  return { firstLine, status: Number(statusLine?.replace('status=', '')), stderr: result.stderr };
}

afterEach(async () => {
  expect(await teardownAll(), 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe('a closed stdout pipe ends the tool quietly', () => {
  it('tcp-probe of 1,000 ports | head -1: the header, then status 141 and nothing on stderr', async (ctx) => {
    needTcpLab(ctx);
    const { ns } = createIsolated();
    // The header goes out before the first probe, the port lines a second later: by then head has gone.
    const ours = await pipedToHead(ns, tsxCommand('src/tcp-probe.ts', ['127.0.0.1', '-p', '1-1000', '-w', '0.5']));
    expect(ours.firstLine).toMatch(/^TCP-PROBE 127\.0\.0\.1 \(127\.0\.0\.1\): 1000 ports/);
    expect(ours.stderr).toBe('');
    expect(ours.status).toBe(141);
  });

  it('ping | head -1 ends as iputils ping does (killed by SIGPIPE: 141), with nothing on stderr', async (ctx) => {
    needTcpLab(ctx, ['ping']);
    const { ns } = createIsolated();
    const ours = await pipedToHead(ns, tsxCommand('src/ping.ts', ['-c', '5', '-i', '0.2', '127.0.0.1']));
    const reference = await pipedToHead(ns, ['ping', '-c', '5', '-i', '0.2', '127.0.0.1']);
    expect(reference).toMatchObject({ status: 141, stderr: '' });
    expect(ours.firstLine).toBe(reference.firstLine);
    expect(ours.stderr).toBe('');
    expect(ours.status).toBe(reference.status);
  });
});
