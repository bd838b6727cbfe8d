// Tests that need root or a tool run for real in CI: there a missing
// privilege or tool fails the test. Elsewhere they are skipped with the reason.
import { spawnSync } from 'node:child_process';
import { hasRawSocketPrivilege } from '../../src/net/privileges.ts';

export const IN_CI = process.env.CI === 'true';

/** What is missing of root (with CAP_NET_RAW) and the named commands; empty when nothing. */
export function missingRequirements(commands: readonly string[], { root = true } = {}): string[] {
  const missing: string[] = [];
  if (root && (process.getuid?.() !== 0 || !hasRawSocketPrivilege())) missing.push('root with CAP_NET_RAW');
  for (const command of commands) {
    if (spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0) missing.push(command);
  }
  return missing;
}

/**
 * Decides for a suite: returns the reason to skip, or undefined to run. In CI
 * nothing is skipped: the suite runs and fails on what is missing.
 */
export function skipReason(commands: readonly string[], options?: { root?: boolean }): string | undefined {
  const missing = missingRequirements(commands, options);
  if (missing.length === 0 || IN_CI) return undefined;
  return `needs ${missing.join(', ')}`;
}
