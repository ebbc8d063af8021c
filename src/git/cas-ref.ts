/**
 * Compare-and-swap on a ref. isomorphic-git's writeRef overwrites unconditionally, so two
 * merges racing on one target could both "win"; this takes git's lock file, re-reads the
 * value under the lock and only then renames the new value into place.
 */
import { TetherError } from '../errors.ts';
import { failpoint } from '../faults/failpoint.ts';
import { fsErrorCode, joinPath, mkdirp, readFileOrNull, type GitFs } from './git-fs.ts';
import { LockBusyError, withLockFile, type LockOptions } from './lock-file.ts';
import { readPackedRef, readRef } from './read-ref.ts';
import { assertRefName } from './ref-name.ts';

const OID = /^[0-9a-f]{40}$/;

/** Arguments of {@link casRef}. */
export interface CasRefArgs extends LockOptions {
  fs: GitFs;
  gitdir: string;
  /** Full ref name, e.g. `refs/heads/tether/g1/m1`. */
  ref: string;
  /** The value the caller last saw; null means "the ref must not exist yet". */
  expectedOld: string | null;
  /** The object id to store. */
  newOid: string;
}

/** Arguments of {@link casDeleteRef}. */
export interface CasDeleteRefArgs extends LockOptions {
  fs: GitFs;
  gitdir: string;
  ref: string;
  /** The value the ref must still have for the delete to happen. */
  expectedOld: string;
}

function refChanged(op: string, ref: string, expected: string | null, actual: string | null, extra: object = {}): TetherError {
  return new TetherError('REF_CHANGED', `${ref} changed: expected ${expected ?? 'absent'}, found ${actual ?? 'absent'}`, {
    op,
    ref,
    expected,
    actual,
    ...extra,
  });
}

/** A lock still held after the wait: report it as a lost race, with the value seen now. */
async function lostToLock(fs: GitFs, gitdir: string, op: string, ref: string, expected: string | null, error: unknown): Promise<never> {
  if (!(error instanceof LockBusyError)) throw error;
  const current = await readRef(fs, gitdir, ref);
  throw refChanged(op, ref, expected, current?.value ?? null, { locked: true });
}

/**
 * Moves `ref` from `expectedOld` to `newOid` atomically, or throws REF_CHANGED with
 * `{ expected, actual }` and leaves the ref as it was. The lock is removed on every failure.
 */
export async function casRef(args: CasRefArgs): Promise<void> {
  const op = 'casRef';
  const { fs, gitdir, ref, expectedOld, newOid } = args;
  assertRefName(ref, op);
  if (!OID.test(newOid) || (expectedOld !== null && !OID.test(expectedOld))) {
    throw new TetherError('VALIDATION_FAILED', 'casRef needs 40-hex object ids', { op, ref, expectedOld, newOid });
  }
  const path = joinPath(gitdir, ref);
  await mkdirp(fs, path.slice(0, path.lastIndexOf('/')));
  try {
    await withLockFile(
      fs,
      path,
      async (lock) => {
        const current = await readRef(fs, gitdir, ref);
        const actual = current?.value ?? null;
        if (actual !== expectedOld) throw refChanged(op, ref, expectedOld, actual);
        await lock.commit(`${newOid}\n`);
      },
      args,
    );
  } catch (error) {
    if (error instanceof TetherError) throw error;
    await lostToLock(fs, gitdir, op, ref, expectedOld, error);
  }
}

/** Removes `ref` from packed-refs (with its peeled line) under packed-refs.lock. */
async function removePacked(fs: GitFs, gitdir: string, ref: string, options: LockOptions): Promise<void> {
  const path = joinPath(gitdir, 'packed-refs');
  await withLockFile(
    fs,
    path,
    async (lock) => {
      const packed = await readFileOrNull(fs, path);
      if (!packed) return;
      const lines = new TextDecoder().decode(packed).split('\n');
      const kept: string[] = [];
      let skipping = false;
      for (const line of lines) {
        if (skipping && line.startsWith('^')) continue;
        skipping = !line.startsWith('#') && line.slice(line.indexOf(' ') + 1).trimEnd() === ref;
        if (!skipping) kept.push(line);
      }
      await lock.commit(kept.join('\n'));
    },
    options,
  );
}

/** Removes now-empty directories between the ref file and `refs/heads` (or `refs/…`). */
async function pruneEmptyParents(fs: GitFs, gitdir: string, ref: string): Promise<void> {
  const parts = ref.split('/');
  for (let depth = parts.length - 1; depth > 2; depth--) {
    try {
      await fs.promises.rmdir(joinPath(gitdir, parts.slice(0, depth).join('/')));
    } catch (error) {
      const code = fsErrorCode(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
      throw error;
    }
  }
}

/** Deletes `ref` only if it still has `expectedOld`; otherwise throws REF_CHANGED. */
export async function casDeleteRef(args: CasDeleteRefArgs): Promise<void> {
  const op = 'casDeleteRef';
  const { fs, gitdir, ref, expectedOld } = args;
  assertRefName(ref, op);
  const path = joinPath(gitdir, ref);
  try {
    await withLockFile(
      fs,
      path,
      async () => {
        const current = await readRef(fs, gitdir, ref);
        const actual = current?.value ?? null;
        if (actual !== expectedOld) throw refChanged(op, ref, expectedOld, actual);
        if (current?.source === 'loose') await fs.promises.unlink(path);
        failpoint('git.ref-deleted.lock-held');
        // A loose ref may shadow a packed one; both must go or the old value resurfaces.
        if ((await readPackedRef(fs, gitdir, ref)) !== null) await removePacked(fs, gitdir, ref, args);
      },
      args,
    );
  } catch (error) {
    if (error instanceof TetherError) throw error;
    if (fsErrorCode(error) === 'ENOENT' && !(error instanceof LockBusyError)) {
      throw refChanged(op, ref, expectedOld, null);
    }
    await lostToLock(fs, gitdir, op, ref, expectedOld, error);
  }
  await pruneEmptyParents(fs, gitdir, ref);
}
