/**
 * Guards for writing into a checked-out working tree: paths from git trees are re-validated
 * (a crafted tree can hold `..` or `.git`), and no parent directory may be a symlink.
 */
import { TetherError } from '../errors.ts';
import { isGitInternalSegment } from '../policy/git-internals.ts';
import { normalizePathSegments } from '../policy/normalize-path.ts';
import { joinPath, lstatOrNull, type GitFs } from './git-fs.ts';

/** Throws unless `path` is a plain repository-relative path outside `.git`. */
export function assertWorktreePath(path: string, op: string): void {
  const segments = normalizePathSegments(path, { op });
  if (segments.join('/') !== path) throw new TetherError('PATH_INVALID', `path is not normalized: ${path}`, { op, path });
  if (segments.some(isGitInternalSegment)) throw new TetherError('GIT_INTERNALS_DENIED', `path reaches into git internals: ${path}`, { op, path });
}

/**
 * The first parent directory of `path` in the working tree that is a symlink or not a
 * directory, or null. Writing through either would land somewhere else.
 */
export async function blockedParent(fs: GitFs, dir: string, path: string): Promise<{ path: string; symlink: boolean } | null> {
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const parent = segments.slice(0, i).join('/');
    const stat = await lstatOrNull(fs, joinPath(dir, parent));
    if (stat === null) return null;
    if (stat.isSymbolicLink()) return { path: parent, symlink: true };
    if (!stat.isDirectory()) return { path: parent, symlink: false };
  }
  return null;
}
