/**
 * An exclusive lock on the embedded store's directory. PGlite takes none, and two
 * processes writing one data dir corrupt it, so the second is refused with STORE_LOCKED
 * and the first is left alone. The lock file holds the owner's pid; a lock whose pid is
 * no longer alive (the owner crashed) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TetherError } from '../errors.ts';

export interface DirLock {
  readonly path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export function lockDir(dir: string): DirLock {
  const path = join(dir, 'tether.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(path)) {
      let held = true;
      return {
        path,
        release() {
          if (!held) return;
          held = false;
          try {
            unlinkSync(path);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isFinite(owner) && owner !== process.pid && alive(owner)) {
      throw new TetherError(
        'STORE_LOCKED',
        `The embedded store in ${dir} is in use by process ${owner}. Stop it, or use PostgreSQL (TETHER_DATABASE_URL) to run several processes.`,
        { dir, owner },
      );
    }
    if (owner === process.pid) {
      throw new TetherError('STORE_LOCKED', `The embedded store in ${dir} is already open in this process.`, {
        dir,
        owner,
      });
    }
    // Stale: its owner died without releasing. Remove and retry once.
    unlinkSync(path);
  }
  throw new TetherError('STORE_LOCKED', `Could not lock the embedded store in ${dir}.`, { dir });
}
