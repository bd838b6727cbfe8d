// Files a root tool writes for its user (--pcap, craft -w). Under sudo the
// file is opened with the invoking user's identity (effective uid/gid and
// groups switched for the open() call, as tcpdump -Z writes as its user), so
// the kernel itself refuses what that user could not write: a root-owned
// file, a directory only root may write to. O_NOFOLLOW refuses a symlink
// planted in place of the file. A new file belongs to the user from the start.
import { constants, openSync } from 'node:fs';
import { type InvokingUser, sudoInvokingUser } from './privileges.ts';

export class OutputFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputFileError';
  }
}

/** Runs `open` with the user's effective identity; root's is restored afterwards, whatever happens. */
function asUser<T>(user: InvokingUser, open: () => T): T {
  const groups = process.getgroups!();
  // Root's supplementary groups (gid 0...) would otherwise still grant access.
  process.setgroups!([user.gid]);
  process.setegid!(user.gid);
  process.seteuid!(user.uid);
  try {
    return open();
  } finally {
    process.seteuid!(0);
    process.setegid!(0);
    process.setgroups!(groups);
  }
}

function reason(path: string, error: NodeJS.ErrnoException, user: InvokingUser | undefined): string {
  switch (error.code) {
    case 'ELOOP':
      return `refusing to write ${path}: it is a symbolic link`;
    case 'EACCES':
    case 'EPERM':
      return user ? `cannot write ${path}: permission denied for uid ${user.uid}, the user who ran sudo` : `cannot write ${path}: permission denied`;
    case 'ENOENT':
      return `cannot write ${path}: no such directory (ENOENT)`;
    case 'EISDIR':
      return `cannot write ${path}: it is a directory`;
    default:
      return `cannot write ${path}: ${error.code ?? error.message}`;
  }
}

/**
 * Opens `path` for writing (created 0644, or truncated) and returns the file
 * descriptor. Under sudo, as the invoking user and never through a symlink.
 * Throws OutputFileError, one line, when it cannot.
 */
export function openOutputFile(path: string, env: NodeJS.ProcessEnv = process.env): number {
  const user = sudoInvokingUser(env);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (user ? constants.O_NOFOLLOW : 0);
  try {
    return user ? asUser(user, () => openSync(path, flags, 0o644)) : openSync(path, flags, 0o644);
  } catch (error) {
    throw new OutputFileError(reason(path, error as NodeJS.ErrnoException, user));
  }
}
