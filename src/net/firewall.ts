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
// own jumped to from OUTPUT). An IPv6 connection gets the same rule in an `ip6`
// table, or from ip6tables: the family is the addresses'. Every name carries the pid, so a rule left by a
// process that was SIGKILLed (no handler can run then) is recognised and
// swept by the next run (sweepStaleKernelRstBlocks).
//
// Everything here is synchronous (spawnSync with a time limit): removal must
// also work from a process 'exit' handler.
import { spawnSync } from 'node:child_process';
import { isIPv4, isIPv6 } from 'node:net';

/** The SO_MARK the TCP tools put on their raw sockets ("plab"). */
export const RAW_SOCKET_MARK = 0x706c6162;

export type FirewallBackend = 'nft' | 'iptables';

export interface KernelRstBlockSpec {
  /** Our address (the source of the kernel's RSTs); IPv4 or IPv6, as the destination. */
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

/** The nft table family and iptables program of one address family. */
interface FamilyTools {
  /** `ip` or `ip6`: nft's table family, and the keyword of its address matches. */
  readonly nft: 'ip' | 'ip6';
  readonly iptables: 'iptables' | 'ip6tables';
  readonly prefixLength: 32 | 128;
}

const IPV4_TOOLS: FamilyTools = { nft: 'ip', iptables: 'iptables', prefixLength: 32 };
const IPV6_TOOLS: FamilyTools = { nft: 'ip6', iptables: 'ip6tables', prefixLength: 128 };
const ALL_FAMILIES = [IPV4_TOOLS, IPV6_TOOLS] as const;

/** The family both addresses are in; throws when they are not addresses of one family. */
function familyOf(spec: KernelRstBlockSpec): FamilyTools {
  // Values go into a firewall command line: accept only what they should be
  // (plain addresses: a scope such as %eth0 is not part of a rule).
  const plain = (text: string) => /^[0-9a-fA-F:.]+$/.test(text);
  if (!plain(spec.source) || !plain(spec.destination)) throw new FirewallError('firewall rule: addresses must be IPv4 or IPv6 addresses');
  if (isIPv4(spec.source) && isIPv4(spec.destination)) return IPV4_TOOLS;
  if (isIPv6(spec.source) && isIPv6(spec.destination)) return IPV6_TOOLS;
  throw new FirewallError('firewall rule: addresses must be both IPv4 or both IPv6');
}

function checkSpec(spec: KernelRstBlockSpec): FamilyTools {
  const family = familyOf(spec);
  for (const port of [spec.sourcePort, spec.destinationPort]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FirewallError(`firewall rule: bad port ${port}`);
  }
  return family;
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
  const family = familyOf(spec).nft;
  return [
    `table ${family} ${table} {`,
    '  chain output {',
    '    type filter hook output priority filter; policy accept;',
    `    ${family} saddr ${spec.source} ${family} daddr ${spec.destination} tcp sport ${spec.sourcePort} tcp dport ${spec.destinationPort} ` +
      `tcp flags & rst == rst meta mark != ${mark} counter drop comment "packet-lab: kernel RSTs of a hand-made connection (pid ${process.pid})"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The iptables (ip6tables for IPv6) rule (arguments after `-A CHAIN`). */
export function iptablesRule(spec: KernelRstBlockSpec): string[] {
  const mark = `0x${(spec.exemptMark ?? RAW_SOCKET_MARK).toString(16)}`;
  const prefix = familyOf(spec).prefixLength;
  return [
    '-p', 'tcp', '-s', `${spec.source}/${prefix}`, '-d', `${spec.destination}/${prefix}`,
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
    private readonly family: FamilyTools = IPV4_TOOLS,
  ) {
    // Last resort: 'exit' also runs after an uncaught exception or process.exit().
    process.once('exit', this.exitHook);
  }

  /** Installs the rule; throws FirewallError (one line) when neither backend works. */
  static install(spec: KernelRstBlockSpec, options: InstallOptions = {}): KernelRstBlock {
    const family = checkSpec(spec);
    const backend = options.backend ?? 'auto';
    const suffix = `${process.pid}_${spec.sourcePort}`;
    const failures: string[] = [];
    if (backend === 'nft' || backend === 'auto') {
      const table = `${TABLE_PREFIX}${suffix}`;
      const script = nftRuleset(table, spec);
      const result = command(['nft', '-f', '-'], script);
      if (result.status === 0) return new KernelRstBlock('nft', table, `nft -f - <<'EOF'\n${script}EOF`, true, family);
      failures.push(result.missing ? 'nft: not installed' : `nft: ${firstLine(result.stderr)}`);
      // A half-made table must not stay behind.
      if (!result.missing) command(['nft', 'delete', 'table', family.nft, table]);
    }
    if (backend === 'iptables' || backend === 'auto') {
      const chain = `${CHAIN_PREFIX}${suffix.replace('_', '-')}`;
      // iptables-nft creates `table ip filter` (ip6tables-nft `table ip6 filter`)
      // on first use; note whether it was there, so removal can take an empty one away again.
      const filterTableExisted = command(['nft', 'list', 'table', family.nft, 'filter']).status === 0;
      const rule = iptablesRule(spec);
      const program = family.iptables;
      const steps: string[][] = [
        [program, '-w', '5', '-N', chain],
        [program, '-w', '5', '-A', chain, ...rule],
        [program, '-w', '5', '-I', 'OUTPUT', '1', '-j', chain],
      ];
      let failed: string | undefined;
      for (const step of steps) {
        const result = command(step);
        if (result.status !== 0) {
          failed = result.missing ? `${program}: not installed` : `${program}: ${firstLine(result.stderr)}`;
          break;
        }
      }
      if (failed === undefined) {
        return new KernelRstBlock('iptables', chain, steps.map((step) => step.join(' ')).join('\n'), filterTableExisted, family);
      }
      failures.push(failed);
      removeIptablesChain(chain, filterTableExisted, family);
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
      const out = command(['nft', 'list', 'table', this.family.nft, this.name]);
      const match = /counter packets (\d+)/.exec(out.stdout);
      return match ? Number(match[1]) : undefined;
    }
    const out = command([this.family.iptables, '-w', '5', '-L', this.name, '-v', '-x', '-n']);
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
      return deleteNftTable(this.family, this.name);
    }
    return removeIptablesChain(this.name, this.filterTableExisted, this.family);
  }
}

function deleteNftTable(family: FamilyTools, table: string): string | undefined {
  const result = command(['nft', 'delete', 'table', family.nft, table]);
  return result.status === 0 ? undefined : `nft delete table ${family.nft} ${table}: ${firstLine(result.stderr)}`;
}

function removeIptablesChain(chain: string, filterTableExisted = true, family: FamilyTools = IPV4_TOOLS): string | undefined {
  const program = family.iptables;
  // -D until it fails: the jump is there once, but be sure none is left.
  for (let i = 0; i < 4; i++) {
    if (command([program, '-w', '5', '-D', 'OUTPUT', '-j', chain]).status !== 0) break;
  }
  command([program, '-w', '5', '-F', chain]);
  const result = command([program, '-w', '5', '-X', chain]);
  if (!filterTableExisted) {
    // iptables-nft made `table ip filter` for us: remove it if nothing else uses it.
    const table = command(['nft', 'list', 'table', family.nft, 'filter']);
    const hasRules = table.stdout.split('\n').some((line) => {
      const text = line.trim();
      return text !== '' && !/^(table |chain |type |\}|policy )/.test(text);
    });
    if (table.status === 0 && !hasRules) command(['nft', 'delete', 'table', family.nft, 'filter']);
  }
  if (result.status === 0 || /No chain|does not exist|not found/i.test(result.stderr)) return undefined;
  return `${program} -X ${chain}: ${firstLine(result.stderr)}`;
}

/** A rule left behind by a run that could not remove it. */
export interface StaleKernelRstBlock {
  readonly backend: FirewallBackend;
  /** nft table name, or iptables chain name. */
  readonly name: string;
  /** 4: an `ip` table or an iptables chain; 6: an `ip6` table or an ip6tables chain (default 4). */
  readonly family?: 4 | 6;
}

/**
 * Rules that earlier runs left behind because they were killed (SIGKILL,
 * power loss): tables/chains named after a pid that no longer runs. Best
 * effort: without nft or iptables, or the privilege to list, it finds none.
 */
export function findStaleKernelRstBlocks(): StaleKernelRstBlock[] {
  const stale: StaleKernelRstBlock[] = [];
  for (const family of ALL_FAMILIES) {
    const number = family === IPV6_TOOLS ? 6 : 4;
    const tables = command(['nft', 'list', 'tables', family.nft]);
    if (tables.status === 0) {
      for (const match of tables.stdout.matchAll(new RegExp(`table ${family.nft} (${TABLE_PREFIX}(\\d+)_\\d+)`, 'g'))) {
        if (!processAlive(Number(match[2]))) stale.push({ backend: 'nft', name: match[1], family: number });
      }
    }
    const chains = command([family.iptables, '-w', '5', '-S']);
    if (chains.status === 0) {
      for (const match of chains.stdout.matchAll(new RegExp(`^-N (${CHAIN_PREFIX}(\\d+)-\\d+)$`, 'gm'))) {
        if (!processAlive(Number(match[2]))) stale.push({ backend: 'iptables', name: match[1], family: number });
      }
    }
  }
  return stale;
}

/** Removes the given stale rules; returns the names removed and one line per failure. */
export function removeStaleKernelRstBlocks(stale: readonly StaleKernelRstBlock[]): { removed: string[]; problems: string[] } {
  const removed: string[] = [];
  const problems: string[] = [];
  for (const rule of stale) {
    const family = rule.family === 6 ? IPV6_TOOLS : IPV4_TOOLS;
    const problem = rule.backend === 'nft' ? deleteNftTable(family, rule.name) : removeIptablesChain(rule.name, true, family);
    if (problem === undefined) removed.push(rule.name);
    else problems.push(problem);
  }
  return { removed, problems };
}

/** Finds and removes the rules of killed runs; returns the names removed. */
export function sweepStaleKernelRstBlocks(): string[] {
  return removeStaleKernelRstBlocks(findStaleKernelRstBlocks()).removed;
}
