// What a root tool owes its user, each found by trying it: bad input gives one
// line and exit status 2 (never Node's own message), an unprivileged user
// cannot flood even when node has CAP_NET_RAW, and a file written under sudo
// never goes through a symlink or to a file the user who ran sudo could not
// write. Most run in-process through run(args, io, env); the rest need root.
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandEnv } from '../src/cli/command-io.ts';
import { runCraftCommand } from '../src/cli/craft-command.ts';
import { runPingCommand } from '../src/cli/ping-command.ts';
import { runTcpGetCommand } from '../src/cli/tcp-get-command.ts';
import { runTcpProbeCommand } from '../src/cli/tcp-probe-command.ts';
import { loadCapModule } from '../src/net/capture.ts';
import { IN_CI, skipReason } from './helpers/ci-requirements.ts';
import { REPOSITORY, runInProcess, runTool } from './helpers/run-tool.ts';

const ROOT: CommandEnv = { vars: {}, uid: 0 };
/** An ordinary user (nobody) for the rules that go by real uid. */
const USER: CommandEnv = { vars: {}, uid: 65534 };
const NOBODY = 65534;

describe('bad input: one line on stderr, exit status 2, never a message of Node\'s own', () => {
  it('ping -c -1: the value is out of range (parseArgs called it "ambiguous")', async () => {
    const run = await runInProcess('ping', (io) => runPingCommand(['-c', '-1', '127.0.0.1'], io, ROOT));
    expect(run).toEqual({ status: 2, stdout: '', stderr: "ping: invalid argument for -c: '-1': out of range: >= 1\n" });
  });

  it('ping -c -n: getopt reads -n as the count, so it is a bad count', async () => {
    const run = await runInProcess('ping', (io) => runPingCommand(['-c', '-n', '127.0.0.1'], io, ROOT));
    expect(run).toEqual({ status: 2, stdout: '', stderr: "ping: invalid argument for -c: '-n'\n" });
  });

  it('ping -4 with an IPv6 literal, -6 with an IPv4 one, an unknown scope, -4 -6: iputils\' one line each', async () => {
    const cases: Array<[string[], string]> = [
      [['-4', '::1'], 'ping: ::1: Address family for hostname not supported\n'],
      [['-6', '127.0.0.1'], 'ping: 127.0.0.1: Address family for hostname not supported\n'],
      [['fe80::1%nosuch'], 'ping: fe80::1%nosuch: Name or service not known\n'],
      [['-4', '-6', '::1'], 'ping: only one -4 or -6 option may be specified\n'],
    ];
    for (const [args, stderr] of cases) {
      const run = await runInProcess('ping', (io) => runPingCommand(['-c', '1', ...args], io, ROOT));
      expect(run, args.join(' ')).toEqual({ status: 2, stdout: '', stderr });
    }
  });

  it("ping '': an empty host name (Node gave a type error and a deprecation warning)", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const run = await runInProcess('ping', (io) => runPingCommand([''], io, ROOT));
      expect(run).toEqual({ status: 2, stdout: '', stderr: "ping: '': empty host name\n" });
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('tcp-get http:///path: no host (the URL parser took "path" for one)', async () => {
    const run = await runInProcess('tcp-get', (io) => runTcpGetCommand(['http:///path'], io, ROOT));
    expect(run).toEqual({ status: 2, stdout: '', stderr: "tcp-get: bad URL 'http:///path': no host\n" });
  });

  it('tcp-probe --data longer than a datagram holds (sendto failed on every port)', async () => {
    const data = 'a'.repeat(65_500);
    const run = await runInProcess('tcp-probe', (io) => runTcpProbeCommand(['-p', '80', '--data', data, '127.0.0.1'], io, ROOT));
    expect(run).toEqual({
      status: 2,
      stdout: '',
      stderr: 'tcp-probe: --data is 65500 bytes; one IPv4 datagram holds at most 65475 after the IPv4 and TCP headers\n',
    });
    // Without TCP options there is room for 20 more bytes.
    const bare = await runInProcess('tcp-probe', (io) => runTcpProbeCommand(['-p', '80', '--no-options', '--data', data, '127.0.0.1'], io, ROOT));
    expect(bare.stderr).toBe('tcp-probe: --data is 65500 bytes; one IPv4 datagram holds at most 65495 after the IPv4 and TCP headers\n');
  });

  it('craft -w into a missing directory: checked before anything is printed', async () => {
    const run = await runInProcess('craft', (io) => runCraftCommand(['icmp', '-w', '/missing/dir/x.pcap'], io.stdout, {}));
    expect(run).toEqual({ status: 2, stdout: '', stderr: 'craft: cannot write /missing/dir/x.pcap: no such directory (ENOENT)\n' });
  });
});

describe("ping: iputils' flood rule for users other than root", () => {
  const REFUSED = 'ping: cannot flood; minimal interval allowed for user is 2ms\n';

  it('refuses -f, -i 0.001 and -i 0 to a real uid other than 0, with iputils\' line and exit status 2', async () => {
    for (const args of [['-f', '127.0.0.1'], ['-i', '0.001', '127.0.0.1'], ['-i', '0', '-c', '1', '127.0.0.1'], ['-f', '-i', '0.0019', '127.0.0.1']]) {
      const run = await runInProcess('ping', (io) => runPingCommand(args, io, USER));
      expect(run, args.join(' ')).toEqual({ status: 2, stdout: '', stderr: REFUSED });
    }
  });

  it('lets root flood, and a user use 2 ms (the run then stops at the empty host name, before any socket)', async () => {
    for (const [args, env] of [
      [['-f', ''], ROOT],
      [['-i', '0.0001', ''], ROOT],
      [['-f', '-i', '0.002', ''], USER],
    ] as const) {
      const run = await runInProcess('ping', (io) => runPingCommand(args, io, env));
      expect(run.stderr, args.join(' ')).toBe("ping: '': empty host name\n");
    }
  });

  const skip = skipReason(['setpriv', 'ping'], { root: true });
  it.skipIf(skip !== undefined)(`for real: nobody holding CAP_NET_RAW (as setcap gives node) may ping at 2 ms but not flood${skip ? ` (skipped: ${skip})` : ''}`, () => {
    // Ambient capabilities give the process CAP_NET_RAW as `setcap cap_net_raw+ep` on node would.
    const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=+net_raw', '--ambient-caps=+net_raw'];
    const run = (command: string[]) => spawnSync(asNobody[0], [...asNobody.slice(1), ...command], { cwd: REPOSITORY, encoding: 'utf8', timeout: 30_000 });
    const readable = run(['sh', '-c', 'test -r src/ping.ts && test -r node_modules/tsx/package.json']);
    if (readable.status !== 0) {
      if (IN_CI) throw new Error(`user nobody cannot read ${REPOSITORY} or its node_modules`);
      return;
    }
    const ours = (args: string[]) => run([process.execPath, '--import', 'tsx', 'src/ping.ts', ...args]);
    const allowed = ours(['-c', '2', '-i', '0.002', '127.0.0.1']);
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('2 packets transmitted, 2 received');
    for (const args of [['-f', '-c', '5', '127.0.0.1'], ['-i', '0.001', '-c', '5', '127.0.0.1']]) {
      const refused = ours(args);
      expect(refused.status, args.join(' ')).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe(REFUSED);
      // The same words as iputils ping, refusing the same user the same thing.
      const theirs = run(['ping', ...args]);
      expect(theirs.status).toBe(2);
      expect(theirs.stderr).toBe(REFUSED);
    }
  });
});

const rootSkip = skipReason([], { root: true });

describe.skipIf(rootSkip !== undefined)(`files written under sudo (SUDO_UID=${NOBODY})${rootSkip ? ` (skipped: ${rootSkip})` : ''}`, () => {
  const SUDO = { SUDO_UID: String(NOBODY), SUDO_GID: String(NOBODY) };
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A directory anyone may create files in (like /tmp), and a root-owned 0600 file elsewhere. */
  function setting(): { dir: string; secret: string } {
    const dir = mkdtempSync(join(tmpdir(), 'plab-sudo-'));
    dirs.push(dir);
    chmodSync(dir, 0o1777);
    const secret = join(mkdtempSync(join(tmpdir(), 'plab-root-')), 'secret');
    dirs.push(join(secret, '..'));
    writeFileSync(secret, 'root only\n', { mode: 0o600 });
    return { dir, secret };
  }

  function expectUntouched(secret: string): void {
    expect(readFileSync(secret, 'utf8')).toBe('root only\n');
    const stat = statSync(secret);
    expect([stat.uid, stat.mode & 0o777]).toEqual([0, 0o600]);
  }

  it('craft -w refuses a symlink to a root-owned 0600 file: one line, exit status 2, target untouched', async () => {
    const { dir, secret } = setting();
    const link = join(dir, 'link.pcap');
    symlinkSync(secret, link);
    const run = await runInProcess('craft', (io) => runCraftCommand(['icmp', '-w', link], io.stdout, SUDO));
    expect(run).toEqual({ status: 2, stdout: '', stderr: `craft: refusing to write ${link}: it is a symbolic link\n` });
    expectUntouched(secret);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('craft -w refuses a root-owned file the user who ran sudo cannot write, and leaves it as it was', async () => {
    const { dir } = setting();
    const file = join(dir, 'root.pcap');
    writeFileSync(file, 'root only\n', { mode: 0o600 });
    const run = await runInProcess('craft', (io) => runCraftCommand(['icmp', '-w', file], io.stdout, SUDO));
    expect(run).toEqual({ status: 2, stdout: '', stderr: `craft: cannot write ${file}: permission denied for uid ${NOBODY}, the user who ran sudo\n` });
    expectUntouched(file);
  });

  it('craft -w creates a new file as the user who ran sudo; root stays root', async () => {
    const { dir } = setting();
    const file = join(dir, 'new.pcap');
    const run = await runInProcess('craft', (io) => runCraftCommand(['icmp', '-w', file], io.stdout, SUDO));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const stat = statSync(file);
    expect([stat.uid, stat.gid]).toEqual([NOBODY, NOBODY]);
    expect(stat.size).toBe(24 + 16 + 28);
    expect(process.geteuid?.()).toBe(0);
    expect(process.getegid?.()).toBe(0);
  });

  it('ping --pcap refuses a symlink to a root-owned 0600 file before sending anything, target untouched', (ctx) => {
    try {
      loadCapModule();
    } catch (error) {
      if (IN_CI) throw error;
      ctx.skip(`cap binding: ${(error as Error).message.split('\n')[0]}`);
    }
    const { dir, secret } = setting();
    const link = join(dir, 'ping.pcap');
    symlinkSync(secret, link);
    const run = runTool('ping', ['-c', '1', '--pcap', link, '127.0.0.1'], { env: SUDO });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`ping: refusing to write ${link}: it is a symbolic link\n`);
    expectUntouched(secret);
  });
});
