// Network-namespace topologies for end-to-end tests of the raw-socket tools.
//
// Every packet a test sends stays inside namespaces created here: a
// two-host pair (A 10.211.N.1 — veth — B 10.211.N.2) or a three-host chain
// (client 10.212.N.1 — router — server 10.213.N.2). Namespaces are named
// `plt-<pid>-<n>-<role>` and every one, with every process started in it, is
// registered in a module-wide registry, so `teardownAll()` (call it from
// afterEach) removes them whether the test passed, failed or timed out. A
// process 'exit' hook does the same synchronously as a last resort.
//
// Each namespace gets: lo up, IPv6 disabled (no router solicitations or
// DAD noise), ICMP rate limiting off (the kernel otherwise drops ICMP errors
// after a burst of ~6, which makes error tests flaky), and checksum offload
// off on its veths (`ethtool -K DEV tx off`) so captured frames carry real
// checksums.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const NAME_PREFIX = `plt-${process.pid}`;

/** Setup commands (ip, nft, sysctl, ethtool) never take long; anything slower is stuck. */
const SETUP_TIMEOUT_MS = 10_000;

export interface RunResult {
  readonly command: readonly string[];
  /** Exit status, or null when killed by a signal. */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the hard timeout killed the process. */
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface RunOptions {
  /** Hard limit; the process (group) is SIGKILLed when it is reached. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
}

export class CommandError extends Error {
  constructor(readonly result: RunResult) {
    super(
      `command failed (${result.timedOut ? 'timed out' : `status ${result.status}, signal ${result.signal}`}): ` +
        `${result.command.join(' ')}\n${result.stderr.trim()}`,
    );
    this.name = 'CommandError';
  }
}

/** Runs a command to completion with a hard timeout (spawnSync). */
export function run(command: readonly string[], options: RunOptions = {}): RunResult {
  const started = performance.now();
  const result = spawnSync(command[0], command.slice(1), {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? SETUP_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  const error = result.error as NodeJS.ErrnoException | undefined;
  return {
    command,
    status: result.status,
    signal: result.signal,
    stdout: result.stdout ?? '',
    stderr: (result.stderr ?? '') + (error && error.code !== 'ETIMEDOUT' ? `\n${error.message}` : ''),
    timedOut: error?.code === 'ETIMEDOUT',
    durationMs: performance.now() - started,
  };
}

/** Like run(), but throws CommandError unless the command exits 0. */
export function check(command: readonly string[], options: RunOptions = {}): RunResult {
  const result = run(command, options);
  if (result.status !== 0) throw new CommandError(result);
  return result;
}

/** Whether an executable is on PATH. */
export function haveCommand(name: string): boolean {
  return run(['sh', '-c', `command -v ${name}`]).status === 0;
}

/** A process running in the background (in its own process group), output collected as it comes. */
export class BackgroundProcess {
  readonly child: ChildProcess;
  readonly command: readonly string[];
  stdout = '';
  stderr = '';
  /** Resolves once the process has exited, with everything it printed. */
  readonly exited: Promise<RunResult>;
  private exitedFlag = false;
  private timedOut = false;
  private readonly killTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(command: readonly string[], options: RunOptions = {}) {
    this.command = command;
    const started = performance.now();
    // detached: its own process group, so a stop reaches everything it started.
    this.child = spawn(command[0], command.slice(1), {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
    if (options.input !== undefined) this.child.stdin!.end(options.input);
    else this.child.stdin!.end();
    if (options.timeoutMs !== undefined) {
      this.killTimer = setTimeout(() => {
        this.timedOut = true;
        this.kill('SIGKILL');
      }, options.timeoutMs);
    }
    this.exited = new Promise<RunResult>((resolve) => {
      const finish = (status: number | null, signal: NodeJS.Signals | null, extra = '') => {
        if (this.exitedFlag) return;
        this.exitedFlag = true;
        clearTimeout(this.killTimer);
        this.notify();
        resolve({
          command,
          status,
          signal,
          stdout: this.stdout,
          stderr: this.stderr + extra,
          timedOut: this.timedOut,
          durationMs: performance.now() - started,
        });
      };
      this.child.once('error', (error) => finish(null, null, `\n${error.message}`));
      // 'close' (not 'exit'): stdout and stderr are fully read by then.
      this.child.once('close', (status, signal) => finish(status, signal));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitedFlag;
  }

  /** Sends a signal to this process only (not its group). */
  signal(signal: NodeJS.Signals): void {
    if (this.exitedFlag || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Sends a signal to the whole process group this process leads. */
  kill(signal: NodeJS.Signals): void {
    if (this.exitedFlag || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      this.signal(signal);
    }
  }

  /** Waits until stdout+stderr match `pattern`; rejects on exit or after timeoutMs. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    const matches = () => pattern.test(this.stdout) || pattern.test(this.stderr);
    if (matches()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(onChange);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} from ${this.command.join(' ')}\n` +
          `stdout: ${this.stdout}\nstderr: ${this.stderr}`));
      }, timeoutMs);
      const onChange = () => {
        if (matches()) {
          clearTimeout(timer);
          this.waiters.delete(onChange);
          resolve();
        } else if (this.exitedFlag) {
          clearTimeout(timer);
          this.waiters.delete(onChange);
          reject(new Error(`${this.command.join(' ')} exited before printing ${pattern}\n` +
            `stdout: ${this.stdout}\nstderr: ${this.stderr}`));
        }
      };
      this.waiters.add(onChange);
    });
  }

  /** SIGTERM to the group, SIGKILL after graceMs; resolves once it has exited. */
  async stop(graceMs = 1000): Promise<RunResult> {
    if (!this.exitedFlag) {
      this.kill('SIGTERM');
      const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
      try {
        await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

let namespaceCounter = 0;

/**
 * Waits until a veth end has carrier and a usable link-local address. Until
 * then the end has not joined its solicited-node groups, so a neighbor
 * solicitation sent to it is lost and the first packet waits a second for
 * the retry.
 */
function waitForIpv6Link(ns: Namespace, dev: string): void {
  const deadline = performance.now() + SETUP_TIMEOUT_MS;
  for (;;) {
    const link = ns.check(['ip', '-6', '-o', 'addr', 'show', 'dev', dev, 'scope', 'link']).stdout;
    const state = ns.check(['ip', '-o', 'link', 'show', 'dev', dev]).stdout;
    if (/\bstate UP\b/.test(state) && link.includes('fe80::') && !link.includes('tentative')) return;
    if (performance.now() > deadline) throw new Error(`${ns.name}: ${dev} did not come up for IPv6: ${state}${link}`);
    spawnSync('sleep', ['0.02']);
  }
}

/** One network namespace owned by a Lab. */
export class Namespace {
  constructor(
    readonly name: string,
    private readonly lab: Lab,
  ) {}

  private wrap(command: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...command];
  }

  /** Runs a command inside the namespace (synchronously, with a hard timeout). */
  run(command: readonly string[], options: RunOptions = {}): RunResult {
    return run(this.wrap(command), options);
  }

  check(command: readonly string[], options: RunOptions = {}): RunResult {
    return check(this.wrap(command), options);
  }

  sysctl(key: string, value: string | number): void {
    this.check(['sysctl', '-q', '-w', `${key}=${value}`]);
  }

  /**
   * Starts a command inside the namespace in the background. `ip netns exec`
   * execs the command, so the child's pid is the command's own pid.
   */
  spawn(command: readonly string[], options: RunOptions = {}): BackgroundProcess {
    const child = new BackgroundProcess(this.wrap(command), options);
    this.lab.processes.add(child);
    return child;
  }

  /** Runs a command inside the namespace without blocking the event loop; resolves when it exits. */
  runAsync(command: readonly string[], options: RunOptions & { timeoutMs: number }): Promise<RunResult> {
    return this.spawn(command, options).exited;
  }

  /**
   * Makes name lookups in this namespace answer from a private hosts file
   * only (`ip netns exec` bind-mounts /etc/netns/NAME/* over /etc/*): no DNS
   * query can be sent, and unknown names fail at once with ENOTFOUND.
   */
  isolateResolver(hosts = '127.0.0.1 localhost\n'): void {
    const dir = `/etc/netns/${this.name}`;
    if (!existsSync('/etc/netns')) this.lab.createdEtcNetns = true;
    mkdirSync(dir, { recursive: true });
    this.lab.etcDirs.add(dir);
    writeFileSync(`${dir}/nsswitch.conf`, 'hosts: files\nnetworks: files\n');
    writeFileSync(`${dir}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    writeFileSync(`${dir}/hosts`, hosts);
  }
}

const liveLabs = new Set<Lab>();

/** A set of namespaces and processes that are torn down together. */
export class Lab {
  readonly id = ++namespaceCounter;
  readonly namespaces: Namespace[] = [];
  readonly processes = new Set<BackgroundProcess>();
  readonly etcDirs = new Set<string>();
  /** Whether isolateResolver() created /etc/netns itself (then it removes it again when empty). */
  createdEtcNetns = false;
  private tornDown = false;

  constructor() {
    liveLabs.add(this);
  }

  /**
   * Creates a namespace with lo up and ICMP rate limits off. IPv6 is off
   * unless asked for; with it on, router solicitations and autoconfiguration
   * and duplicate address detection are off too, so the only IPv6 traffic is
   * the test's own (and the kernel's MLD reports when a link comes up).
   */
  addNamespace(role: string, options: { ipv6?: boolean } = {}): Namespace {
    const name = `${NAME_PREFIX}-${this.id}-${role}`;
    check(['ip', 'netns', 'add', name]);
    const ns = new Namespace(name, this);
    this.namespaces.push(ns);
    if (options.ipv6) {
      for (const scope of ['all', 'default']) {
        ns.sysctl(`net.ipv6.conf.${scope}.accept_ra`, 0);
        ns.sysctl(`net.ipv6.conf.${scope}.autoconf`, 0);
        ns.sysctl(`net.ipv6.conf.${scope}.router_solicitations`, 0);
        // Link-local addresses too are usable at once (a tentative one delays
        // the first neighbor solicitation by a second).
        ns.sysctl(`net.ipv6.conf.${scope}.accept_dad`, 0);
      }
      ns.sysctl('net.ipv6.icmp.ratelimit', 0);
    } else {
      ns.sysctl('net.ipv6.conf.all.disable_ipv6', 1);
      ns.sysctl('net.ipv6.conf.default.disable_ipv6', 1);
    }
    // Per-destination token bucket (burst 6, one a second): errors sent by a
    // router or by our own stack would be silently dropped after a few.
    ns.sysctl('net.ipv4.icmp_ratelimit', 0);
    ns.check(['ip', 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /**
   * A veth pair between two namespaces, each end addressed and up, checksum
   * offload off. An end may get several addresses (IPv4 and IPv6 CIDRs);
   * IPv6 ones are added `nodad` so they are usable at once.
   */
  connect(a: Namespace, devA: string, cidrA: string | readonly string[], b: Namespace, devB: string, cidrB: string | readonly string[]): void {
    check(['ip', '-n', a.name, 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB, 'netns', b.name]);
    for (const [ns, dev, cidrs] of [
      [a, devA, cidrA],
      [b, devB, cidrB],
    ] as const) {
      for (const cidr of typeof cidrs === 'string' ? [cidrs] : cidrs) {
        ns.check(['ip', 'addr', 'add', cidr, 'dev', dev, ...(cidr.includes(':') ? ['nodad'] : [])]);
      }
      ns.check(['ethtool', '-K', dev, 'tx', 'off']);
      ns.check(['ip', 'link', 'set', dev, 'up']);
    }
    if ([cidrA, cidrB].flat().some((cidr) => cidr.includes(':'))) {
      waitForIpv6Link(a, devA);
      waitForIpv6Link(b, devB);
    }
  }

  /** Kills every process started here, removes the namespaces; returns what went wrong, if anything. */
  async teardown(): Promise<string[]> {
    if (this.tornDown) return [];
    this.tornDown = true;
    const problems: string[] = [];
    await Promise.all([...this.processes].map((p) => p.stop(500)));
    this.processes.clear();
    for (const ns of this.namespaces) {
      // Anything still inside was started by this lab (the namespace is ours).
      const pids = run(['ip', 'netns', 'pids', ns.name]).stdout.split(/\s+/).filter(Boolean).map(Number);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      const del = run(['ip', 'netns', 'del', ns.name]);
      if (del.status !== 0) problems.push(`ip netns del ${ns.name}: ${del.stderr.trim()}`);
    }
    for (const dir of this.etcDirs) rmSync(dir, { recursive: true, force: true });
    if (this.createdEtcNetns) {
      try {
        if (readdirSync('/etc/netns').length === 0) rmdirSync('/etc/netns');
      } catch {
        // already gone, or someone else uses it now
      }
    }
    liveLabs.delete(this);
    return problems;
  }

  /** Synchronous last-resort cleanup for process exit. */
  teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const p of this.processes) p.kill('SIGKILL');
    for (const ns of this.namespaces) spawnSync('ip', ['netns', 'del', ns.name], { timeout: 5000 });
    for (const dir of this.etcDirs) rmSync(dir, { recursive: true, force: true });
    liveLabs.delete(this);
  }
}

/** Tears down every lab still alive; call from afterEach/afterAll. Returns cleanup problems. */
export async function teardownAll(): Promise<string[]> {
  const problems: string[] = [];
  for (const lab of [...liveLabs]) problems.push(...(await lab.teardown()));
  return problems;
}

/** Namespaces named with this process's prefix that still exist. */
export function leftoverNamespaces(): string[] {
  return run(['ip', 'netns', 'list'])
    .stdout.split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name.startsWith(`${NAME_PREFIX}-`));
}

process.once('exit', () => {
  for (const lab of [...liveLabs]) lab.teardownSync();
});

export interface Pair {
  readonly lab: Lab;
  readonly a: Namespace;
  readonly b: Namespace;
  readonly addressA: string;
  readonly addressB: string;
  readonly deviceA: string;
  readonly deviceB: string;
  /** An unused address on the same /24 (no host answers ARP for it). */
  readonly absentAddress: string;
  /** With `{ ipv6: true }`: fd00:211:N::1/64, fd00:211:N::2/64 and an unused fd00:211:N::99 (no host answers NDP for it). */
  readonly address6A: string;
  readonly address6B: string;
  readonly absentAddress6: string;
}

export interface TopologyOptions {
  /** Turn IPv6 on and add ULA addresses (fd00::/8, `nodad`) beside the IPv4 ones. */
  readonly ipv6?: boolean;
}

/**
 * ns A (10.211.N.1/24, veth `vethA`) — ns B (10.211.N.2/24, veth `vethB`);
 * with `{ ipv6: true }` also fd00:211:N::1/64 — fd00:211:N::2/64.
 */
export function createPair(options: TopologyOptions = {}): Pair {
  const lab = new Lab();
  try {
    const n = lab.id % 250;
    const subnet = `10.211.${n}`;
    const subnet6 = `fd00:211:${n.toString(16)}:`;
    const a = lab.addNamespace('a', options);
    const b = lab.addNamespace('b', options);
    const v6 = (host: string) => (options.ipv6 ? [`${subnet6}:${host}/64`] : []);
    lab.connect(a, 'vethA', [`${subnet}.1/24`, ...v6('1')], b, 'vethB', [`${subnet}.2/24`, ...v6('2')]);
    return {
      lab,
      a,
      b,
      addressA: `${subnet}.1`,
      addressB: `${subnet}.2`,
      deviceA: 'vethA',
      deviceB: 'vethB',
      absentAddress: `${subnet}.99`,
      address6A: `${subnet6}:1`,
      address6B: `${subnet6}:2`,
      absentAddress6: `${subnet6}:99`,
    };
  } catch (error) {
    lab.teardownSync();
    throw error;
  }
}

export interface Chain {
  readonly lab: Lab;
  readonly client: Namespace;
  readonly router: Namespace;
  readonly server: Namespace;
  readonly clientAddress: string;
  /** The router's address on the client's link: the source of its ICMP errors toward the client. */
  readonly routerClientSide: string;
  readonly routerServerSide: string;
  readonly serverAddress: string;
  /** With `{ ipv6: true }`: fd00:212:N::1 — fd00:212:N::fe router fd00:213:N::fe — fd00:213:N::2. */
  readonly clientAddress6: string;
  readonly routerClientSide6: string;
  readonly routerServerSide6: string;
  readonly serverAddress6: string;
}

/**
 * client 10.212.N.1 — 10.212.N.254 router 10.213.N.254 — 10.213.N.2 server,
 * router forwarding; with `{ ipv6: true }` the same chain in fd00:212:N::/64
 * and fd00:213:N::/64, the router forwarding IPv6 too.
 */
export function createChain(options: TopologyOptions = {}): Chain {
  const lab = new Lab();
  try {
    const n = lab.id % 250;
    const left = `10.212.${n}`;
    const right = `10.213.${n}`;
    const left6 = `fd00:212:${n.toString(16)}:`;
    const right6 = `fd00:213:${n.toString(16)}:`;
    const v6 = (prefix: string, host: string) => (options.ipv6 ? [`${prefix}:${host}/64`] : []);
    const client = lab.addNamespace('cli', options);
    const router = lab.addNamespace('rtr', options);
    const server = lab.addNamespace('srv', options);
    lab.connect(client, 'vethC', [`${left}.1/24`, ...v6(left6, '1')], router, 'vethRC', [`${left}.254/24`, ...v6(left6, 'fe')]);
    lab.connect(router, 'vethRS', [`${right}.254/24`, ...v6(right6, 'fe')], server, 'vethS', [`${right}.2/24`, ...v6(right6, '2')]);
    router.sysctl('net.ipv4.ip_forward', 1);
    client.check(['ip', 'route', 'add', 'default', 'via', `${left}.254`]);
    server.check(['ip', 'route', 'add', 'default', 'via', `${right}.254`]);
    if (options.ipv6) {
      router.sysctl('net.ipv6.conf.all.forwarding', 1);
      client.check(['ip', '-6', 'route', 'add', 'default', 'via', `${left6}:fe`]);
      server.check(['ip', '-6', 'route', 'add', 'default', 'via', `${right6}:fe`]);
    }
    return {
      lab,
      client,
      router,
      server,
      clientAddress: `${left}.1`,
      routerClientSide: `${left}.254`,
      routerServerSide: `${right}.254`,
      serverAddress: `${right}.2`,
      clientAddress6: `${left6}:1`,
      routerClientSide6: `${left6}:fe`,
      routerServerSide6: `${right6}:fe`,
      serverAddress6: `${right6}:2`,
    };
  } catch (error) {
    lab.teardownSync();
    throw error;
  }
}

/** A namespace with only lo (no route anywhere): for runs that must not reach any network. */
export function createIsolated(): { lab: Lab; ns: Namespace } {
  const lab = new Lab();
  try {
    return { lab, ns: lab.addNamespace('iso') };
  } catch (error) {
    lab.teardownSync();
    throw error;
  }
}

/** argv for running a repo TypeScript entry point with the node running the tests. */
export function tsxCommand(script: string, args: readonly string[] = []): string[] {
  return [process.execPath, '--import', 'tsx', script, ...args];
}
