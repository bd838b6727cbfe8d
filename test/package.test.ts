// packet-lab as a user gets it: `npm pack`, installed into an empty project
// (the consumer lists raw-socket and cap in allowScripts, as the README says,
// so npm builds them), then used from there with plain node and tsc, never
// tsx. Needs the build in dist/ (npm test runs it first: pretest).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason } from './helpers/ci-requirements.ts';
import { checkJsonOutput } from './helpers/output-schema.ts';
import { REPOSITORY, runTool } from './helpers/run-tool.ts';

const manifest = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8'));
const typesNodeVersion: string = JSON.parse(readFileSync(join(REPOSITORY, 'node_modules/@types/node/package.json'), 'utf8')).version;
const fixture = (name: string) => join(REPOSITORY, 'fixtures', name);

const work = mkdtempSync(join(tmpdir(), 'packet-lab-package-'));
const consumer = join(work, 'consumer');
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, timeoutMs = 120_000): Run {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const show = (r: Run) => `status=${r.status}\n--- stdout\n${r.stdout.slice(0, 3000)}\n--- stderr\n${r.stderr.slice(0, 3000)}`;

/** `npx packet-lab ...` inside the consumer, offline: it must find the installed bin. */
const npx = (args: readonly string[]) => run('npx', ['--offline', 'packet-lab', ...args], consumer);

let tarball: { filename: string; size: number; files: string[] };

beforeAll(() => {
  if (!existsSync(join(REPOSITORY, 'dist/packet-lab.js'))) throw new Error('no dist/: run npm run build first (npm test does)');
  // The build is already there; --ignore-scripts keeps npm pack from running prepare again.
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPOSITORY);
  if (packed.status !== 0) throw new Error(`npm pack failed\n${show(packed)}`);
  const [info] = JSON.parse(packed.stdout);
  tarball = { filename: join(work, info.filename), size: info.size, files: info.files.map((f: { path: string }) => f.path) };

  mkdirSync(consumer);
  // What the README tells a user: allow the two native dependencies to build.
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', allowScripts: { 'raw-socket': true, cap: true } }, null, 2));
  const installed = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball.filename, `@types/node@${typesNodeVersion}`], consumer, 300_000);
  if (installed.status !== 0) throw new Error(`npm install of the tarball failed\n${show(installed)}`);
}, 360_000);

describe('the packed tarball', () => {
  it('holds the compiled package and nothing of the repository\'s tests, bench or fixtures', () => {
    const files = tarball.files;
    for (const needed of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/net.js', 'dist/net.d.ts', 'dist/packet-lab.js', 'schema/packet-lab-output.schema.json']) {
      expect(files, needed).toContain(needed);
    }
    const stray = files.filter((f) => /^(src|test|bench|fixtures|native-notes|\.ci)\//.test(f) || /^dist\/examples\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(stray).toEqual([]);
    // The size is reported, not asserted: console output of the run.
    console.log(`tarball ${tarball.filename}: ${tarball.size} bytes, ${files.length} files`);
  });
});

describe('an empty project that installed the tarball', () => {
  it('imports the API with plain node, and the main entry loads no native module and no node:dgram', () => {
    writeFileSync(
      join(consumer, 'pure.mjs'),
      `// Any native addon goes through process.dlopen: make it fail, and count tries.
let dlopens = 0;
process.dlopen = () => { dlopens++; throw new Error('native modules are unloadable here'); };
const lab = await import('packet-lab');
const echo = lab.buildIcmpEcho({ type: 8, identifier: 0x1234, sequence: 1, payload: new Uint8Array(0) });
const loaded = process.moduleLoadList.filter((m) => /dgram/.test(m));
console.log(JSON.stringify({ dlopens, loaded, checksum: lab.parseIcmp(echo).ok, exports: Object.keys(lab).length }));
`,
    );
    const pure = run('node', ['pure.mjs'], consumer);
    expect(pure.status, show(pure)).toBe(0);
    const report = JSON.parse(pure.stdout);
    expect(report).toMatchObject({ dlopens: 0, loaded: [] });
    expect(report.exports).toBeGreaterThan(20);

    writeFileSync(
      join(consumer, 'app.mjs'),
      `import { internetChecksum, pack, readCaptureFile } from 'packet-lab';
import { runPing, RawSocket, LiveCapture } from 'packet-lab/net';
const packets = [];
for await (const record of readCaptureFile(process.argv[2])) packets.push(record);
console.log(internetChecksum(pack('!BBHHH', 8, 0, 0, 0x1234, 1)).toString(16), packets.length, typeof runPing, typeof RawSocket, typeof LiveCapture);
`,
    );
    const app = run('node', ['app.mjs', fixture('raw-ip.pcap')], consumer);
    expect(app.status, show(app)).toBe(0);
    expect(app.stdout).toBe('e5ca 6 function function function\n');

    // The schema is part of the package's interface.
    const schema = run('node', ['--input-type=module', '-e', "const { default: s } = await import('packet-lab/schema/output.json', { with: { type: 'json' } }); console.log(s.title)"], consumer);
    expect(schema.stdout, show(schema)).toBe('packet-lab --json output\n');

    // The scapy-short API, with plain node: build and show without root.
    const api = run('node', ['--input-type=module', '-e', "import { ip } from 'packet-lab/lab'; const p = ip({ dst: '127.0.0.1' }).icmp({ id: 0x1234, seq: 1 }).payload('hi'); console.log(Buffer.from(p.build()).toString('hex')); console.log(p.summary().includes('Echo (ping) request'))"], consumer);
    expect(api.stdout, show(api)).toBe('4500001e0001000040017cdc7f0000017f00000108007d61123400016869\ntrue\n');

    // Deep imports stay private: only the exports map's entries resolve.
    const deep = run('node', ['--input-type=module', '-e', "await import('packet-lab/dist/wire/icmp.js')"], consumer);
    expect(deep.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('type-checks a strict nodenext consumer without skipLibCheck, and its types are real', () => {
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: ['node'] }, files: ['app.ts'] }),
    );
    const source = `import { buildIcmpEcho, internetChecksum, pack, parseIcmp, readCaptureFile, type Ipv4Packet } from 'packet-lab';
import { runPing, type PingSummary } from 'packet-lab/net';
import { ip, ls, sr1, tcp, type LabPacket } from 'packet-lab/lab';
export async function echoSummary(): Promise<string | undefined> { return (await sr1(ip({ dst: '127.0.0.1' }).icmp({ id: 1 }).payload('hi'), { timeout: 500 }))?.summary(); }
export const syn: Uint8Array = ip({ dst: '127.0.0.1', ttl: 1 }).tcp({ dport: 80, flags: 'S' }).build();
export const fields: string = ls(tcp);
export type Answer = LabPacket | undefined;
export const checksum: number = internetChecksum(pack('!BBHHH', 8, 0, 0, 0x1234, 1));
export const echo: Uint8Array = buildIcmpEcho({ type: 8, identifier: 1, sequence: 1, payload: new Uint8Array(0) });
export const parsed = parseIcmp(echo);
export function ping(host: string): Promise<PingSummary> { return runPing({ destination: host, count: 1 }); }
export async function count(path: string): Promise<number> { let n = 0; for await (const _ of readCaptureFile(path)) n++; return n; }
export type Header = Ipv4Packet;
`;
    const tsc = join(REPOSITORY, 'node_modules/typescript/bin/tsc');
    writeFileSync(join(consumer, 'app.ts'), source);
    const clean = run('node', [tsc, '-p', '.'], consumer);
    expect(clean.stdout + clean.stderr, 'tsc output').toBe('');
    expect(clean.status).toBe(0);
    // The strictest optional-property reading too (issue 11: 310 errors from the .ts sources).
    const exact = run('node', [tsc, '-p', '.', '--exactOptionalPropertyTypes'], consumer);
    expect(exact.stdout + exact.stderr, 'tsc --exactOptionalPropertyTypes output').toBe('');
    // A wrong type is caught: the declarations are not `any`.
    writeFileSync(join(consumer, 'app.ts'), `${source}export const wrong: string = internetChecksum(new Uint8Array(2));\n`);
    const wrong = run('node', [tsc, '-p', '.'], consumer);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toContain("error TS2322: Type 'number' is not assignable to type 'string'");
  }, 240_000); // three whole-program type-checks: slow on a busy 2-core machine

  it('runs npx packet-lab --version, -h and dissect on a fixture, as the repository\'s dissect does', () => {
    const version = npx(['--version']);
    expect(version.status, show(version)).toBe(0);
    expect(version.stdout).toBe(`${manifest.version}\n`);
    const help = npx(['-h']);
    expect(help.stdout).toMatch(/^Usage: packet-lab COMMAND/);
    const dissect = npx(['dissect', fixture('iputils-ping.pcap')]);
    expect(dissect.status, show(dissect)).toBe(0);
    expect(dissect.stdout).toBe(runTool('dissect', [fixture('iputils-ping.pcap')]).stdout);
    const json = npx(['dissect', '--json', fixture('curl-http.pcapng')]);
    expect(checkJsonOutput(json.stdout, 'dissect').problems).toEqual([]);
    const mistake = npx(['dissect']);
    expect(mistake.status).toBe(2);
    expect(mistake.stderr.split('\n').filter((l) => l.startsWith('packet-lab'))).toEqual(['packet-lab dissect: no capture file given (see packet-lab dissect -h)']);
  });

  const needsRoot = skipReason([]);
  describe.skipIf(needsRoot !== undefined)(`as root against loopback${needsRoot ? ` (skipped: ${needsRoot})` : ''}`, () => {
    let server: Server;
    let openPort = 0;
    beforeAll(async () => {
      server = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      openPort = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('npx packet-lab ping -c 1 127.0.0.1 works, and its --json keeps to the schema', () => {
      const ping = npx(['ping', '-c', '1', '127.0.0.1']);
      expect(ping.status, show(ping)).toBe(0);
      expect(ping.stdout).toMatch(/^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=/);
      const json = npx(['ping', '-c', '2', '-i', '0.2', '--json', '127.0.0.1']);
      expect(json.status, show(json)).toBe(0);
      const { records, problems } = checkJsonOutput(json.stdout, 'ping');
      expect(problems).toEqual([]);
      expect(records.map((r) => r.type)).toEqual(['start', 'sent', 'reply', 'sent', 'reply', 'summary']);
    });

    it('probe, trace and craft --send on loopback keep to the schema', () => {
      const closedPort = openPort === 65535 ? 65534 : openPort + 1;
      const probe = npx(['probe', '-p', `${openPort},${closedPort}`, '-w', '0.5', '--json', '127.0.0.1']);
      expect(probe.status, show(probe)).toBe(0);
      const probed = checkJsonOutput(probe.stdout, 'tcp-probe');
      expect(probed.problems).toEqual([]);
      expect(probed.records.filter((r) => r.type === 'port').map((r) => `${r.port} ${r.state}`)).toEqual([`${openPort} open`, `${closedPort} closed`]);

      const trace = npx(['trace', '-q', '1', '-w', '1', '--json', '127.0.0.1']);
      expect(trace.status, show(trace)).toBe(0);
      const traced = checkJsonOutput(trace.stdout, 'traceroute');
      expect(traced.problems).toEqual([]);
      expect(traced.records.at(-1)).toMatchObject({ reached: true, hopCount: 1 });

      const craft = npx(['craft', 'icmp', '--id', '0x4242', '--seq', '1', '--send', '127.0.0.1', '--json']);
      expect(craft.status, show(craft)).toBe(0);
      const crafted = checkJsonOutput(craft.stdout, 'craft');
      expect(crafted.problems).toEqual([]);
      expect(crafted.records.map((r) => r.role ?? r.type)).toEqual(['crafted', 'answer', 'summary']);
    });
  });
});
