// --block-kernel-rst: a firewall rule that stops this host's kernel from
// resetting a TCP connection that a tool runs by hand on a raw socket.
//
// The kernel has no socket for the hand-made connection, so it answers the
// peer's SYN-ACK (and every later segment) with a RST of its own, and the
// peer drops the connection (native-notes/kernel-rst.md). The rule drops
// outgoing RSTs of exactly this connection (source, destination, both ports,
// RST flag) *unless* they carry the tool's socket mark: the tool's raw socket
// has SO_MARK = RAW_SOCKET_MARK, so a RST the tool sends itself (to abort)
// still leaves, while the kernel's, which carry mark 0, are dropped.
//
// nftables first (a table of our own in the output hook, so removing it is one
// command and touches nothing else), iptables as the fallback (a chain of our
// own jumped to from OUTPUT). Every name carries the pid, so a rule left by a
// process that was SIGKILLed (no handler can run then) is recognised and
// swept by the next run (sweepStaleKernelRstBlocks).
//
// Everything here is synchronous (spawnSync with a time limit): removal must
// also work from a process 'exit' handler.
import { spawnSync } from 'node:child_process';

/** The SO_MARK the TCP tools put on their raw sockets ("plab"). */
export const RAW_SOCKET_MARK = 0x706c6162;

export type FirewallBackend = 'nft' | 'iptables';

export interface KernelRstBlockSpec {
  /** Our address (the source of the kernel's RSTs). */
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** Packets with this mark are let through (default RAW_SOCKET_MARK). */
  readonly exemptMark?: number;
}

export interface InstallOptions {
  /** 'auto' (the default): nft when it works, else iptables. */
  readonly backend?: FirewallBackend | 'auto';
}

export class FirewallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FirewallError';
  }
}

const COMMAND_TIMEOUT_MS = 10_000;
const TABLE_PREFIX = 'packet_lab_rst_';
const CHAIN_PREFIX = 'PLAB-RST-';

interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly missing: boolean;
}

function command(argv: readonly string[], input?: string): CommandResult {
  const result = spawnSync(argv[0], argv.slice(1), {
    input,
    encoding: 'utf8',
    timeout: COMMAND_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const error = result.error as NodeJS.ErrnoException | undefined;
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: (result.stderr ?? '').trim() || (error ? error.message : ''),
    missing: error?.code === 'ENOENT',
  };
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}

function isIpv4(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text);
}

function checkSpec(spec: KernelRstBlockSpec): void {
  // Values go into a firewall command line: accept only what they should be.
  if (!isIpv4(spec.source) || !isIpv4(spec.destination)) throw new FirewallError('firewall rule: addresses must be IPv4');
  for (const port of [spec.sourcePort, spec.destinationPort]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FirewallError(`firewall rule: bad port ${port}`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The nftables script that installs the table; exported for the notes and tests. */
export function nftRuleset(table: string, spec: KernelRstBlockSpec): string {
  const mark = `0x${(spec.exemptMark ?? RAW_SOCKET_MARK).toString(16)}`;
  return [
    `table ip ${table} {`,
    '  chain output {',
    '    type filter hook output priority filter; policy accept;',
    `    ip saddr ${spec.source} ip daddr ${spec.destination} tcp sport ${spec.sourcePort} tcp dport ${spec.destinationPort} ` +
      `tcp flags & rst == rst meta mark != ${mark} counter drop comment "packet-lab: kernel RSTs of a hand-made connection (pid ${process.pid})"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The iptables rule (arguments after `-A CHAIN`). */
export function iptablesRule(spec: KernelRstBlockSpec): string[] {
  const mark = `0x${(spec.exemptMark ?? RAW_SOCKET_MARK).toString(16)}`;
  return [
    '-p', 'tcp', '-s', `${spec.source}/32`, '-d', `${spec.destination}/32`,
    '--sport', String(spec.sourcePort), '--dport', String(spec.destinationPort),
    '--tcp-flags', 'RST', 'RST', '-m', 'mark', '!', '--mark', mark, '-j', 'DROP',
  ];
}

/** One installed rule. remove() is idempotent and synchronous; call it on every exit path. */
export class KernelRstBlock {
  private removed = false;
  private readonly exitHook = () => this.remove();

  private constructor(
    readonly backend: FirewallBackend,
    /** nft table name, or iptables chain name. */
    readonly name: string,
    /** What was installed, as the user would type it (for -v). */
    readonly description: string,
    private readonly filterTableExisted = true,
  ) {
    // Last resort: 'exit' also runs after an uncaught exception or process.exit().
    process.once('exit', this.exitHook);
  }

  /** Installs the rule; throws FirewallError (one line) when neither backend works. */
  static install(spec: KernelRstBlockSpec, options: InstallOptions = {}): KernelRstBlock {
    checkSpec(spec);
    const backend = options.backend ?? 'auto';
    const suffix = `${process.pid}_${spec.sourcePort}`;
    const failures: string[] = [];
    if (backend === 'nft' || backend === 'auto') {
      const table = `${TABLE_PREFIX}${suffix}`;
      const script = nftRuleset(table, spec);
      const result = command(['nft', '-f', '-'], script);
      if (result.status === 0) return new KernelRstBlock('nft', table, `nft -f - <<'EOF'\n${script}EOF`);
      failures.push(result.missing ? 'nft: not installed' : `nft: ${firstLine(result.stderr)}`);
      // A half-made table must not stay behind.
      if (!result.missing) command(['nft', 'delete', 'table', 'ip', table]);
    }
    if (backend === 'iptables' || backend === 'auto') {
      const chain = `${CHAIN_PREFIX}${suffix.replace('_', '-')}`;
      // iptables-nft creates `table ip filter` on first use; note whether it
      // was there, so removal can take an empty one away again.
      const filterTableExisted = command(['nft', 'list', 'table', 'ip', 'filter']).status === 0;
      const rule = iptablesRule(spec);
      const steps: string[][] = [
        ['iptables', '-w', '5', '-N', chain],
        ['iptables', '-w', '5', '-A', chain, ...rule],
        ['iptables', '-w', '5', '-I', 'OUTPUT', '1', '-j', chain],
      ];
      let failed: string | undefined;
      for (const step of steps) {
        const result = command(step);
        if (result.status !== 0) {
          failed = result.missing ? 'iptables: not installed' : `iptables: ${firstLine(result.stderr)}`;
          break;
        }
      }
      if (failed === undefined) {
        return new KernelRstBlock('iptables', chain, steps.map((step) => step.join(' ')).join('\n'), filterTableExisted);
      }
      failures.push(failed);
      removeIptablesChain(chain, filterTableExisted);
    }
    throw new FirewallError(`cannot install the rule that drops the kernel's RSTs (${failures.join('; ')})`);
  }

  get isRemoved(): boolean {
    return this.removed;
  }

  /** How many kernel RSTs the rule dropped so far, when the backend can tell. */
  droppedPackets(): number | undefined {
    if (this.removed) return undefined;
    if (this.backend === 'nft') {
      const out = command(['nft', 'list', 'table', 'ip', this.name]);
      const match = /counter packets (\d+)/.exec(out.stdout);
      return match ? Number(match[1]) : undefined;
    }
    const out = command(['iptables', '-w', '5', '-L', this.name, '-v', '-x', '-n']);
    const row = out.stdout.split('\n').find((line) => /\bDROP\b/.test(line));
    const packets = row ? Number(row.trim().split(/\s+/)[0]) : Number.NaN;
    return Number.isFinite(packets) ? packets : undefined;
  }

  /** Removes the rule (synchronously; safe to call more than once). Returns a problem, if any. */
  remove(): string | undefined {
    if (this.removed) return undefined;
    this.removed = true;
    process.removeListener('exit', this.exitHook);
    if (this.backend === 'nft') {
      const result = command(['nft', 'delete', 'table', 'ip', this.name]);
      return result.status === 0 ? undefined : `nft delete table ip ${this.name}: ${firstLine(result.stderr)}`;
    }
    return removeIptablesChain(this.name, this.filterTableExisted);
  }
}

function removeIptablesChain(chain: string, filterTableExisted = true): string | undefined {
  // -D until it fails: the jump is there once, but be sure none is left.
  for (let i = 0; i < 4; i++) {
    if (command(['iptables', '-w', '5', '-D', 'OUTPUT', '-j', chain]).status !== 0) break;
  }
  command(['iptables', '-w', '5', '-F', chain]);
  const result = command(['iptables', '-w', '5', '-X', chain]);
  if (!filterTableExisted) {
    // iptables-nft made `table ip filter` for us: remove it if nothing else uses it.
    const table = command(['nft', 'list', 'table', 'ip', 'filter']);
    const hasRules = table.stdout.split('\n').some((line) => {
      const text = line.trim();
      return text !== '' && !/^(table |chain |type |\}|policy )/.test(text);
    });
    if (table.status === 0 && !hasRules) command(['nft', 'delete', 'table', 'ip', 'filter']);
  }
  if (result.status === 0 || /No chain|does not exist|not found/i.test(result.stderr)) return undefined;
  return `iptables -X ${chain}: ${firstLine(result.stderr)}`;
}

/** A rule left behind by a run that could not remove it. */
export interface StaleKernelRstBlock {
  readonly backend: FirewallBackend;
  /** nft table name, or iptables chain name. */
  readonly name: string;
}

/**
 * Rules that earlier runs left behind because they were killed (SIGKILL,
 * power loss): tables/chains named after a pid that no longer runs. Best
 * effort: without nft or iptables, or the privilege to list, it finds none.
 */
export function findStaleKernelRstBlocks(): StaleKernelRstBlock[] {
  const stale: StaleKernelRstBlock[] = [];
  const tables = command(['nft', 'list', 'tables', 'ip']);
  if (tables.status === 0) {
    for (const match of tables.stdout.matchAll(new RegExp(`table ip (${TABLE_PREFIX}(\\d+)_\\d+)`, 'g'))) {
      if (!processAlive(Number(match[2]))) stale.push({ backend: 'nft', name: match[1] });
    }
  }
  const chains = command(['iptables', '-w', '5', '-S']);
  if (chains.status === 0) {
    for (const match of chains.stdout.matchAll(new RegExp(`^-N (${CHAIN_PREFIX}(\\d+)-\\d+)$`, 'gm'))) {
      if (!processAlive(Number(match[2]))) stale.push({ backend: 'iptables', name: match[1] });
    }
  }
  return stale;
}

/** Removes the given stale rules; returns the names removed and one line per failure. */
export function removeStaleKernelRstBlocks(stale: readonly StaleKernelRstBlock[]): { removed: string[]; problems: string[] } {
  const removed: string[] = [];
  const problems: string[] = [];
  for (const rule of stale) {
    if (rule.backend === 'nft') {
      const result = command(['nft', 'delete', 'table', 'ip', rule.name]);
      if (result.status === 0) removed.push(rule.name);
      else problems.push(`nft delete table ip ${rule.name}: ${firstLine(result.stderr)}`);
    } else {
      const problem = removeIptablesChain(rule.name);
      if (problem === undefined) removed.push(rule.name);
      else problems.push(problem);
    }
  }
  return { removed, problems };
}

/** Finds and removes the rules of killed runs; returns the names removed. */
export function sweepStaleKernelRstBlocks(): string[] {
  return removeStaleKernelRstBlocks(findStaleKernelRstBlocks()).removed;
}
