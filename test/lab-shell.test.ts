// packet-lab shell, driven the way a user types: spawned with piped stdin,
// one line at a time, each sent once the previous prompt is back (the REPL
// reads piped lines while an await is pending, so the driver waits). Checks
// ls(), a top-level `await sr1(...)` (as root), one-line errors, field
// completion, and the history file: kept between runs, written as the
// invoking user, never through a symlink.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { completeLayerField, startShell as startShellInProcess } from '../src/cli/shell-command.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { REPOSITORY } from './helpers/run-tool.ts';

const PROMPT = 'packet-lab> ';
const scratch = mkdtempSync(path.join(tmpdir(), 'packet-lab-shell-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface ShellSession {
  /** Types a line and returns what the shell printed before its next prompt. */
  type(line: string): Promise<string>;
  /** Closes stdin (Ctrl-D) and returns the exit status. */
  end(): Promise<number | null>;
}

async function startShell(env: NodeJS.ProcessEnv): Promise<ShellSession> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', 'src/packet-lab.ts', 'shell'], {
    cwd: REPOSITORY,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let output = '';
  let waiter: (() => void) | undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
    waiter?.();
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  /** Resolves with the text before the next prompt; the test's own timeout bounds the wait. */
  const nextPrompt = () =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const at = output.indexOf(PROMPT);
        if (at >= 0) {
          const text = output.slice(0, at);
          output = output.slice(at + PROMPT.length);
          waiter = undefined;
          resolve(text);
        }
      };
      waiter = check;
      void exited.then(() => reject(new Error(`the shell exited; stdout: ${output}; stderr: ${stderr}`)));
      check();
    });
  await nextPrompt();
  return {
    async type(line) {
      child.stdin.write(`${line}\n`);
      return nextPrompt();
    },
    async end() {
      child.stdin.end();
      return exited;
    },
  };
}

describe('packet-lab shell', () => {
  it('has the API loaded: ls(icmp), building, show(), and a mistake as one line', async () => {
    const shell = await startShell({ PACKET_LAB_HISTORY: '' });
    expect(await shell.type('ls(icmp)')).toBe(
      '  type   : byte  = 8 (echo-request)\n  code   : byte  = 0\n  chksum : short = (computed)\n  id     : short = 0\n  seq    : short = 0\n',
    );
    expect(await shell.type("p = ip({ dst: '127.0.0.1' }).icmp({ id: 0x1234, seq: 1 }).payload('hi')")).toMatch(
      /^<ip\(dst=127\.0\.0\.1\) \/ icmp\(id=4660, seq=1\) \/ raw\(2 bytes\)> +1 +0\.000000 +127\.0\.0\.1 → 127\.0\.0\.1 +ICMP 30 Echo \(ping\) request/,
    );
    expect(await shell.type('p.show()')).toContain('Internet Control Message Protocol\n    Type: 8 (Echo (ping) request)');
    // One line, however long the message (node:repl breaks a long one after "Uncaught:"), and no stack.
    expect(await shell.type('ip({ tll: 1 })')).toBe(
      "Uncaught LayerFieldError: ip has no field 'tll'; its fields: version, ihl, tos, len, id, flags, frag, ttl, proto, chksum, src, dst, options\n",
    );
    // A failed system call is the environment's doing: one line too.
    expect(await shell.type("await readPcap('/nonexistent/x.pcap')")).toBe("Uncaught Error: ENOENT: no such file or directory, open '/nonexistent/x.pcap'\n");
    expect(await shell.type('await sr1(icmp())')).toBe(
      'Uncaught LayerFieldError: only IP packets can be sent: start with ip({ dst }) or ipv6({ dst }), not icmp\n',
    );
    // IPv6 layers are loaded too, and ls() lists their fields with scapy's defaults.
    expect(await shell.type('ls(ipv6)')).toBe(
      [
        '  version : 4 bits                    = 6',
        '  tc      : byte                      = 0',
        '  fl      : 20 bits                   = 0',
        '  plen    : short                     = (computed)',
        '  nh      : byte                      = (from the header above)',
        '  hlim    : byte                      = 64',
        "  src     : IPv6 address              = '::1' to ::1, else '::' (send() asks the route)",
        "  dst     : IPv6 address              = '::1'",
        '  ext     : Ipv6ExtensionHeaderInit[] = []',
        '',
      ].join('\n'),
    );
    expect(await shell.type('ls(icmp6)')).toContain('  type   : byte  = 128 (echo-request)\n');
    expect(await shell.end()).toBe(0);
  });

  it.skipIf(skipReason([]) !== undefined)('awaits at top level: await sr1(...) prints the reply', async () => {
    const shell = await startShell({ PACKET_LAB_HISTORY: '' });
    const reply = await shell.type("reply = await sr1(ip({ dst: '127.0.0.1' }).icmp({ id: 0x7777, seq: 3 }).payload('hi'))");
    expect(reply).toMatch(/127\.0\.0\.1 → 127\.0\.0\.1 +ICMP 30 Echo \(ping\) reply +id=0x7777, seq=3\/768, ttl=64/);
    expect(await shell.type('reply.layer("icmp").seq')).toBe('3\n');
    expect(await shell.end()).toBe(0);
  });

  it('keeps the history between runs', async () => {
    const file = path.join(scratch, 'history');
    const first = await startShell({ PACKET_LAB_HISTORY: file });
    await first.type('1 + 1');
    await first.end();
    expect(readFileSync(file, 'utf8')).toBe('1 + 1\n');
    const second = await startShell({ PACKET_LAB_HISTORY: file });
    await second.type('ls(tcp)');
    await second.end();
    expect(readFileSync(file, 'utf8')).toBe('1 + 1\nls(tcp)\n');
  });

  it('does not write the history through a symlink', async () => {
    const target = path.join(scratch, 'target');
    writeFileSync(target, 'untouched\n');
    const link = path.join(scratch, 'linked-history');
    symlinkSync(target, link);
    const shell = await startShell({ PACKET_LAB_HISTORY: link });
    await shell.type('2 + 2');
    await shell.end();
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)('under sudo, writes the history as the invoking user', async () => {
    const home = path.join(scratch, 'home');
    // The user must be able to reach the directory: mkdtemp made it 0700.
    chmodSync(scratch, 0o711);
    mkdirSync(home);
    chownSync(home, 65534, 65534);
    chmodSync(home, 0o755);
    const file = path.join(home, '.packet_lab_history');
    const shell = await startShell({ PACKET_LAB_HISTORY: file, SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' });
    await shell.type('3 + 3');
    await shell.end();
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).uid).toBe(65534);
  });
});

describe('shell errors', () => {
  it('prints any other error as Node does, stack included: a bug stays traceable', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => (printed += chunk));
    const shell = startShellInProcess({ vars: { PACKET_LAB_HISTORY: '', NO_COLOR: '1' }, uid: 0 }, { input, output });
    // A function outside the REPL's own code, so the stack has frames Node keeps.
    shell.server.context.failingHelper = function failingHelper() {
      throw new TypeError('a bug somewhere in the lab');
    };
    input.write('failingHelper()\n');
    input.end();
    await shell.closed;
    expect(printed).toMatch(/^packet-lab> Uncaught TypeError: a bug somewhere in the lab\n +at failingHelper \(.*lab-shell\.test\.ts:\d+:\d+\)\n/);
  });
});

describe('shell completion of layer fields', () => {
  it('completes field names inside a layer call', () => {
    expect(completeLayerField('ip({ d')).toEqual([['dst: '], 'd']);
    expect(completeLayerField("ip({ dst: '127.0.0.1', t")).toEqual([['tos: ', 'ttl: '], 't']);
    expect(completeLayerField('x = ip().tcp({ sp')).toEqual([['sport: '], 'sp']);
    expect(completeLayerField('ip().icmp({ ')?.[0]).toEqual(['type: ', 'code: ', 'chksum: ', 'id: ', 'seq: ']);
    expect(completeLayerField('ipv6({ h')).toEqual([['hlim: '], 'h']);
    expect(completeLayerField("ipv6({ dst: '::1' }).icmp6({ s")).toEqual([['seq: '], 's']);
  });

  it('is the REPL\'s completer: Tab on a field, and Node\'s own completion elsewhere', async () => {
    const input = new PassThrough();
    const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    const shell = startShellInProcess({ vars: { PACKET_LAB_HISTORY: '', NO_COLOR: '1' }, uid: 0 }, { input, output });
    const complete = (line: string) =>
      new Promise<[string[], string]>((resolve, reject) => shell.server.completer(line, (error, result) => (error ? reject(error) : resolve(result as [string[], string]))));
    expect(await complete('ip().tcp({ dp')).toEqual([['dport: '], 'dp']);
    const [names] = await complete('sr');
    expect(names).toEqual(expect.arrayContaining(['sr', 'sr1']));
    shell.server.close();
    await shell.closed;
  });

  it('leaves everything else to the REPL\'s own completion', () => {
    expect(completeLayerField('ip().ic')).toBeUndefined();
    expect(completeLayerField("ip({ dst: '12")).toBeUndefined();
    expect(completeLayerField('ip({ ttl: 1 }).icmp()')).toBeUndefined();
  });
});
