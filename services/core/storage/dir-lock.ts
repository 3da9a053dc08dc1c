// Exclusive owner lock for a data directory: one lock file holding pid and host, created with O_EXCL.
// The embedded database has no lock of its own, and two writers on one directory corrupt it.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { DatabaseLockedError } from './storage-errors.ts';

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface DirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt ?? '') };
    }
  } catch {
    // Unreadable or half-written: treated as unknown owner below.
  }
  return undefined;
}

/** Whether a process with this id runs on this machine (EPERM: it does, as someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM means the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new DatabaseLockedError(`cannot create lock file ${path}`, { cause: err });
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the lock at `path` or throws DatabaseLockedError naming the owner. A lock left by a dead
 * process on this host is taken over; a lock from another host is never guessed about.
 */
export function acquireDirLock(path: string, what: string): DirLock {
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(path, me)) return makeLock(path, me);
    const owner = readOwner(path);
    const stale = owner !== undefined && owner.host === me.host && !isAlive(owner.pid);
    if (!stale) {
      const who = owner ? `process ${owner.pid} on host ${owner.host} (since ${owner.startedAt})` : 'an unknown process';
      const self = owner?.pid === me.pid && owner.host === me.host ? ' — this process already has it open' : '';
      throw new DatabaseLockedError(
        `${what} is in use by ${who}${self}; only one sopwatch process may own it. ` +
          `Use PostgreSQL (DATABASE_URL) to run several processes, or remove ${path} if that process is gone.`,
      );
    }
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DatabaseLockedError(`cannot remove stale lock ${path}`, { cause: err });
    }
  }
  throw new DatabaseLockedError(`${what}: lost the race for lock file ${path} to another process`);
}

function makeLock(path: string, me: LockOwner): DirLock {
  let held = true;
  // A process that exits without close() must not leave a lock a restart would trip over.
  const onExit = (): void => release();
  function release(): void {
    if (!held) return;
    held = false;
    process.removeListener('exit', onExit);
    const owner = readOwner(path);
    if (owner?.pid === me.pid && owner.host === me.host && owner.startedAt === me.startedAt) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    }
  }
  process.on('exit', onExit);
  return { path, release };
}
