// Raw sockets and packet capture need root or CAP_NET_RAW. These helpers turn
// the kernel's EPERM into one line that names both fixes, and let a tool
// started through sudo give root up once its sockets are open.
import { readFileSync } from 'node:fs';

/** The one-line explanation every tool prints when raw sockets are refused. */
export function privilegeHint(): string {
  return (
    'raw sockets need root or CAP_NET_RAW: run it with sudo, ' +
    'or grant node the capability once with: sudo setcap cap_net_raw+ep "$(readlink -f "$(command -v node)")"'
  );
}

export class PrivilegeError extends Error {
  constructor(what: string) {
    super(`${what}: ${privilegeHint()}`);
    this.name = 'PrivilegeError';
  }
}

/** True when the error is the kernel refusing a privileged operation (EPERM/EACCES). */
export function isPermissionError(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /Operation not permitted|Permission denied|EPERM|EACCES/i.test(text);
}

/**
 * Whether this process holds CAP_NET_RAW in its effective set (Linux). Root
 * alone is not enough: containers often run root without it.
 */
export function hasRawSocketPrivilege(): boolean {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    if (!match) return process.getuid?.() === 0;
    const CAP_NET_RAW = 13n;
    return ((BigInt(`0x${match[1]}`) >> CAP_NET_RAW) & 1n) === 1n;
  } catch {
    return process.getuid?.() === 0;
  }
}

export interface InvokingUser {
  readonly uid: number;
  readonly gid: number;
}

/** The user who ran sudo, when this process runs as root through sudo. */
export function sudoInvokingUser(env: NodeJS.ProcessEnv = process.env): InvokingUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) return undefined;
  return { uid, gid };
}

/**
 * Gives root up for the user who ran sudo, once every privileged handle is
 * open: a lab tool should not parse replies from the network as root.
 * Returns the user dropped to, or undefined when not started through sudo.
 */
export function dropPrivilegesToInvokingUser(env: NodeJS.ProcessEnv = process.env): InvokingUser | undefined {
  const user = sudoInvokingUser(env);
  if (!user) return undefined;
  process.setgroups?.([user.gid]);
  process.setgid?.(user.gid);
  process.setuid?.(user.uid);
  return user;
}
