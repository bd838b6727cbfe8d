// Running our ping and iputils ping side by side in test namespaces, and
// reading their output: shared by the IPv4 (ping-e2e) and IPv6 (ping6-e2e)
// end-to-end suites. With CI=true a missing prerequisite fails the test;
// otherwise the test is skipped with the reason.
import { createRequire } from 'node:module';
import { expect, type TestContext } from 'vitest';
import { linuxBindingUnavailableReason } from '../../src/net/linux-raw-socket.ts';
import type { SocketBinding } from '../../src/net/packet-socket.ts';
import { hasRawSocketPrivilege } from '../../src/net/privileges.ts';
import { type Namespace, type RunResult, haveCommand, NAME_PREFIX, run, tsxCommand } from './netns.ts';
export const CI = process.env.CI === 'true';

// ---------------------------------------------------------------------------
// Prerequisites

export type Prerequisite = 'netns' | 'raw' | 'linux-binding' | 'cap' | 'nft' | 'iputils' | 'tshark' | 'setpriv';

export const prerequisiteCache = new Map<Prerequisite, string | undefined>();

/** Why a prerequisite is missing, or undefined when it is there. */
export function missing(what: Prerequisite): string | undefined {
  if (prerequisiteCache.has(what)) return prerequisiteCache.get(what);
  let reason: string | undefined;
  const require = createRequire(import.meta.url);
  switch (what) {
    case 'netns': {
      for (const tool of ['ip', 'ethtool', 'sysctl']) {
        if (!haveCommand(tool)) reason ??= `'${tool}' not found (iproute2, ethtool, procps)`;
      }
      if (!reason) {
        const probe = `${NAME_PREFIX}-probe`;
        const add = run(['ip', 'netns', 'add', probe]);
        if (add.status !== 0) reason = `cannot create a network namespace (needs root): ${add.stderr.trim()}`;
        else run(['ip', 'netns', 'del', probe]);
      }
      break;
    }
    case 'raw':
      try {
        require('raw-socket');
        if (!hasRawSocketPrivilege()) reason = 'no CAP_NET_RAW (run as root)';
      } catch (error) {
        reason = `raw-socket binding not built: ${(error as Error).message.split('\n')[0]}`;
      }
      break;
    case 'linux-binding':
      reason = linuxBindingUnavailableReason();
      break;
    case 'cap':
      try {
        require('cap');
      } catch (error) {
        reason = `cap binding not built: ${(error as Error).message.split('\n')[0]}`;
      }
      break;
    case 'nft':
      if (!haveCommand('nft')) reason = "'nft' not found (nftables)";
      break;
    case 'iputils':
      if (!/iputils/.test(run(['ping', '-V']).stdout)) reason = "'ping' is not iputils ping (iputils-ping)";
      break;
    case 'tshark':
      if (!haveCommand('tshark')) reason = "'tshark' not found (tshark)";
      break;
    case 'setpriv':
      if (!haveCommand('setpriv')) reason = "'setpriv' not found (util-linux)";
      else if (run(['id', '-u', 'nobody']).status !== 0 || run(['getent', 'group', 'nogroup']).status !== 0) {
        reason = "no user 'nobody' / group 'nogroup'";
      }
      break;
  }
  prerequisiteCache.set(what, reason);
  return reason;
}

/** Skips the test (fails it when CI=true) unless every prerequisite is there. */
export function need(ctx: TestContext, ...what: Prerequisite[]): void {
  const reasons = what.map(missing).filter((r): r is string => r !== undefined);
  if (reasons.length > 0) unavailable(ctx, reasons.join('; '));
}

export function unavailable(ctx: TestContext, reason: string): never {
  if (CI) throw new Error(`missing prerequisite: ${reason} (CI=true: prerequisites are mandatory)`);
  return ctx.skip(`missing prerequisite: ${reason}`);
}

// ---------------------------------------------------------------------------
// Running ping

export const PING_TIMEOUT_MS = 20_000;

// Every test runs once per socket binding: the lab's Linux binding (kernel
// timestamps) and raw-socket (the portable path, JS clocks). The chooser in
// src/net/packet-socket.ts reads PACKET_LAB_SOCKET, which `ip netns exec` passes on.
export const BINDINGS: readonly SocketBinding[] = ['linux', 'raw-socket'];
export const RTT_SOURCE = { linux: 'kernel', 'raw-socket': 'javascript' } as const;

/** The environment that makes our ping use `binding`. */
export function bindingEnv(binding: SocketBinding): NodeJS.ProcessEnv {
  return { ...process.env, PACKET_LAB_SOCKET: binding };
}

export function pingWith(binding: SocketBinding, ns: Namespace, args: readonly string[], timeoutMs = PING_TIMEOUT_MS): Promise<RunResult> {
  return ns.runAsync(tsxCommand('src/ping.ts', args), { timeoutMs, env: bindingEnv(binding) });
}

export function iputilsPing(ns: Namespace, args: readonly string[], timeoutMs = PING_TIMEOUT_MS): Promise<RunResult> {
  return ns.runAsync(['ping', ...args], { timeoutMs });
}

/** Everything about a run, for assertion messages. */
/**
 * Runs `command` in `a` (with `binding`'s environment) against a fresh
 * corrupt responder in `b` answering by `plan` (test/helpers/corrupt-responder.ts;
 * set net.ipv4.icmp_echo_ignore_all in `b` first), and checks the responder
 * answered once per step.
 */
export async function againstResponder(binding: SocketBinding, a: Namespace, b: Namespace, plan: string, command: string[]): Promise<RunResult> {
  const responder = b.spawn(tsxCommand('test/helpers/corrupt-responder.ts', ['--plan', plan, '--timeout', '15']), { timeoutMs: 20_000 });
  await responder.waitForOutput(/^ready$/m, 10_000);
  const result = await a.runAsync(command, { timeoutMs: PING_TIMEOUT_MS, env: bindingEnv(binding) });
  const responded = await responder.exited;
  expect(responded.status, show(responded)).toBe(0);
  expect(responded.stdout.match(/^seq=\d+ /gm), show(responded)).toHaveLength(plan.split(',').length);
  return result;
}

export function show(result: RunResult): string {
  return `$ ${result.command.join(' ')}\nstatus=${result.status} signal=${result.signal} timedOut=${result.timedOut} ` +
    `(${Math.round(result.durationMs)} ms)\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

/** Output lines; a trailing empty line (iputils prints one in some cases) stays visible. */
export function lines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

/** Output with the measured numbers blanked, for comparing with iputils line by line. */
export function shape(text: string, replace: Record<string, string> = {}): string[] {
  return lines(text).map((line) => {
    let out = line
      .replace(/ time=\d+(?:\.\d+)? ms/, ' time=<t> ms')
      .replace(/, time \d+ms$/, ', time <t>ms')
      .replace(/^rtt min\/avg\/max\/mdev = [\d./]+ ms/, 'rtt min/avg/max/mdev = <rtt> ms');
    for (const [from, to] of Object.entries(replace)) out = out.split(from).join(to);
    return out;
  });
}

export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** iputils' time= field: 3 decimals under 1 ms, 2 under 10, 1 under 100, none above. */
export const RTT = String.raw`(?:0\.\d{3}|[1-9]\.\d{2}|[1-9]\d\.\d|[1-9]\d{2,})`;

export function replyLine(from: string, sequence: number, ttl = 64, suffix = ''): RegExp {
  return new RegExp(`^64 bytes from ${escapeRegExp(from)}: icmp_seq=${sequence} ttl=${ttl} time=${RTT} ms${escapeRegExp(suffix)}$`);
}

export const STATS = /^(\d+) packets transmitted, (\d+) received(?:, \+(\d+) duplicates)?(?:, \+(\d+) errors)?, (\d+(?:\.\d+)?)% packet loss, time (\d+)ms$/;
export const RTT_LINE = /^rtt min\/avg\/max\/mdev = (\d+\.\d{3})\/(\d+\.\d{3})\/(\d+\.\d{3})\/(\d+\.\d{3}) ms$/;

export interface Statistics {
  transmitted: number;
  received: number;
  duplicates: number;
  errors: number;
  loss: string;
}

/** The statistics block: the line after `--- HOST ping statistics ---`. */
export function statistics(stdout: string, host: string): Statistics {
  const all = lines(stdout);
  const at = all.indexOf(`--- ${host} ping statistics ---`);
  expect(at, `no statistics header in:\n${stdout}`).toBeGreaterThan(0);
  expect(all[at - 1], 'a blank line opens the statistics').toBe('');
  const match = STATS.exec(all[at + 1]);
  expect(match, `statistics line: ${all[at + 1]}`).not.toBeNull();
  return {
    transmitted: Number(match![1]),
    received: Number(match![2]),
    duplicates: Number(match![3] ?? 0),
    errors: Number(match![4] ?? 0),
    loss: match![5],
  };
}

export function expectRttLine(line: string): void {
  const match = RTT_LINE.exec(line);
  expect(match, `rtt line: ${line}`).not.toBeNull();
  const [min, avg, max, mdev] = match!.slice(1).map(Number);
  expect(min).toBeLessThanOrEqual(avg);
  expect(avg).toBeLessThanOrEqual(max);
  expect(mdev).toBeGreaterThanOrEqual(0);
}

