/**
 * Git-style lock files: `<file>.lock` is created exclusively, filled, then renamed onto the
 * file, so readers see the old or the new content and two writers never both proceed.
 */
import { hostname } from 'node:os';
import process from 'node:process';
import { fsErrorCode, readFileOrNull, type GitFs } from './git-fs.ts';

/** Thrown when the lock stays taken for the whole wait; callers turn it into a coded error. */
export class LockBusyError extends Error {
  override readonly name = 'LockBusyError';
  readonly code = 'ELOCKED';
  constructor(readonly lockPath: string) {
    super(`lock is held: ${lockPath}`);
  }
}

/** What the callback gets while it holds the lock. */
export interface HeldLock {
  readonly lockPath: string;
  /** Writes the new content into the lock file and renames it onto the target. */
  commit(content: Uint8Array | string): Promise<void>;
}

/** How long to wait for a lock another writer holds. */
export interface LockOptions {
  /** Total wait in ms before giving up with LockBusyError. Default 2000. */
  timeoutMs?: number;
}

// In-process queues per file system and lock path. They serialize writers of one process
// cheaply, and are the whole protection on file systems without exclusive create.
const queues = new WeakMap<GitFs, Map<string, Promise<unknown>>>();

async function inProcessTurn<T>(fs: GitFs, lockPath: string, fn: () => Promise<T>): Promise<T> {
  let byPath = queues.get(fs);
  if (!byPath) queues.set(fs, (byPath = new Map()));
  const previous = byPath.get(lockPath) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const settled = run.catch(() => undefined);
  byPath.set(lockPath, settled);
  try {
    return await run;
  } finally {
    if (byPath.get(lockPath) === settled) byPath.delete(lockPath);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a Tether process writes into a lock it takes, until it commits the new content:
 * who holds it. Git writes nothing there, so git's own locks are never mistaken for ours.
 */
const OWNER_PREFIX = 'tether-lock ';
const ownerMark = () => `${OWNER_PREFIX}pid=${process.pid} host=${hostname()}\n`;

/**
 * A file written in full before it is linked or renamed into place, so that no crash
 * leaves a lock without its mark or a half-written target. Its name says whose it is, so
 * one a crash left behind is swept like a lock: `<lock>.tether-<host>-<pid>-<n>.lock`.
 */
let staged = 0;
const stagedPath = (lockPath: string) => `${lockPath}.tether-${hostname()}-${process.pid}-${++staged}.lock`;
const STAGED_NAME = /\.tether-(.+)-(\d+)-\d+\.lock$/;

/** Whether locks on `fs` are made and committed through staged files (a real disk with hard links). */
const stages = (fs: GitFs): boolean => fs.exclusiveCreate === true && fs.promises.link !== undefined;

/** False only when the pid surely names no process (ESRCH); unsure means alive. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return fsErrorCode(error) !== 'ESRCH';
  }
}

/**
 * Removes a lock left by a Tether process on this host that no longer runs (a SIGKILL or a
 * power cut skips every cleanup). Such a lock would otherwise block every later merge into
 * that ref or index until a person deletes it. Locks of live processes, of other hosts and
 * of git itself stay. Breaking is safe against other Tether processes because writers of
 * one ref or index are already serialized (one owner per modification, merges under the
 * store's per-target lock). Files staged by a dead Tether process (see stagedPath) go too.
 */
export async function removeIfOrphaned(fs: GitFs, lockPath: string): Promise<boolean> {
  const stagedBy = STAGED_NAME.exec(lockPath);
  if (stagedBy) {
    if (stagedBy[1] !== hostname() || processAlive(Number(stagedBy[2]))) return false;
    await fs.promises.unlink(lockPath).catch(() => undefined);
    return true;
  }
  const content = await readFileOrNull(fs, lockPath).catch(() => null);
  const text = content ? new TextDecoder().decode(content.subarray(0, 200)) : '';
  const owner = /^tether-lock pid=(\d+) host=(\S+)\n$/.exec(text);
  if (!owner || owner[2] !== hostname() || processAlive(Number(owner[1]))) return false;
  await fs.promises.unlink(lockPath).catch(() => undefined);
  return true;
}

/** One attempt to create the lock file; false when someone else holds it. */
async function tryCreate(fs: GitFs, lockPath: string): Promise<boolean> {
  if (stages(fs)) {
    // Create-then-write would leave an empty, unmarked lock if killed in between; a hard
    // link of a fully written file creates the lock with its mark in one step.
    const mark = stagedPath(lockPath);
    await fs.promises.writeFile(mark, ownerMark());
    try {
      await fs.promises.link!(mark, lockPath);
      return true;
    } catch (error) {
      if (fsErrorCode(error) === 'EEXIST') return false;
      throw error;
    } finally {
      await fs.promises.unlink(mark).catch(() => undefined);
    }
  }
  if (fs.exclusiveCreate) {
    try {
      await fs.promises.writeFile(lockPath, ownerMark(), { flag: 'wx' });
      return true;
    } catch (error) {
      if (fsErrorCode(error) === 'EEXIST') return false;
      throw error;
    }
  }
  // Without exclusive create the existence check and the write are not atomic against other
  // processes; the in-process queue around this call makes them atomic within this one.
  try {
    await fs.promises.lstat(lockPath);
    return false;
  } catch (error) {
    if (fsErrorCode(error) !== 'ENOENT') throw error;
  }
  await fs.promises.writeFile(lockPath, ownerMark());
  return true;
}

/**
 * Runs `fn` while holding `<target>.lock`. The lock is removed afterwards unless `fn`
 * committed it (renamed it onto the target). A lock left by a dead Tether process on this
 * host is removed; any other lock makes writers wait, then fail with LockBusyError.
 */
export async function withLockFile<T>(fs: GitFs, target: string, fn: (lock: HeldLock) => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lockPath = `${target}.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 2000);
  return inProcessTurn(fs, lockPath, async () => {
    let delay = 1;
    while (!(await tryCreate(fs, lockPath))) {
      if (await removeIfOrphaned(fs, lockPath)) continue;
      if (Date.now() >= deadline) throw new LockBusyError(lockPath);
      await sleep(delay);
      delay = Math.min(delay * 2, 50);
    }
    let committed = false;
    const lock: HeldLock = {
      lockPath,
      async commit(content) {
        if (stages(fs)) {
          // The new content goes in under its own name and is renamed onto the target; the
          // lock, still marked as ours, goes last. A crash leaves only marked files.
          const next = stagedPath(lockPath);
          try {
            await fs.promises.writeFile(next, content);
            await fs.promises.rename(next, target);
          } catch (error) {
            await fs.promises.unlink(next).catch(() => undefined);
            throw error;
          }
          committed = true;
          await fs.promises.unlink(lockPath).catch(() => undefined);
          return;
        }
        await fs.promises.writeFile(lockPath, content);
        await fs.promises.rename(lockPath, target);
        committed = true;
      },
    };
    try {
      return await fn(lock);
    } finally {
      if (!committed) await fs.promises.unlink(lockPath).catch(() => undefined);
    }
  });
}
