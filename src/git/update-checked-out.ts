/**
 * After a merge into the checked-out branch: writes the files the merge changed into the
 * working tree and updates their index entries, so `git status` stays clean. Only the given
 * paths are touched; the caller has already checked them with wouldOverwrite.
 */
import git from 'isomorphic-git';
import { TetherError } from '../errors.ts';
import { failpoint } from '../faults/failpoint.ts';
import { changedPaths } from './changed-paths.ts';
import { withCache, type GitContext } from './git-context.ts';
import { fsErrorCode, joinPath, lstatOrNull, mkdirp, type GitFs, type GitFsStats } from './git-fs.ts';
import { compareIndexEntries, serializeIndex, type IndexEntry } from './git-index.ts';
import { LockBusyError, withLockFile } from './lock-file.ts';
import { readIndex } from './read-index.ts';
import { lookupPath, type TreeEntry } from './tree-entries.ts';
import { assertWorktreePath, blockedParent } from './worktree-path.ts';

/** Arguments of {@link updateCheckedOut}. */
export interface UpdateCheckedOutArgs {
  fs: GitFs;
  dir: string;
  gitdir: string;
  cache?: object;
  /** The tree checked out before the merge. */
  oldTree: string;
  /** The tree checked out after it. */
  newTree: string;
  /** The paths that differ between the two trees; computed from them when omitted. */
  paths?: readonly string[];
}

const OP = 'updateCheckedOut';
const MODE_NUMBER: Record<string, number> = { '100644': 0o100644, '100755': 0o100755, '120000': 0o120000, '160000': 0o160000 };

/** The file entry at `path` in `tree`, or null when the path is absent or a directory. */
async function fileEntry(ctx: GitContext, tree: string, path: string): Promise<TreeEntry | null> {
  const entry = await lookupPath(ctx, tree, path);
  return entry && entry.through === undefined && entry.type !== 'tree' ? entry : null;
}

/** Removes directories left empty by a delete, up to the working tree root. */
async function pruneEmpty(fs: GitFs, dir: string, path: string): Promise<void> {
  const segments = path.split('/');
  for (let i = segments.length - 1; i > 0; i--) {
    try {
      await fs.promises.rmdir(joinPath(dir, segments.slice(0, i).join('/')));
    } catch (error) {
      const code = fsErrorCode(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'ENOTDIR') return;
      throw error;
    }
  }
}

async function removeFile(fs: GitFs, dir: string, path: string): Promise<void> {
  const stat = await lstatOrNull(fs, joinPath(dir, path));
  if (stat && !stat.isDirectory()) await fs.promises.unlink(joinPath(dir, path));
  await pruneEmpty(fs, dir, path);
}

async function writeFile(ctx: GitContext, dir: string, path: string, entry: TreeEntry): Promise<void> {
  const full = joinPath(dir, path);
  const slash = path.lastIndexOf('/');
  if (slash > 0) await mkdirp(ctx.fs, joinPath(dir, path.slice(0, slash)));
  if (entry.type === 'commit') {
    await mkdirp(ctx.fs, full); // a submodule is an empty directory until initialized
    return;
  }
  const { blob } = await git.readBlob({ fs: ctx.fs, gitdir: ctx.gitdir, oid: entry.oid, cache: ctx.cache ?? {} });
  const existing = await lstatOrNull(ctx.fs, full);
  if (existing?.isDirectory()) throw new TetherError('DIRTY_WORKTREE', `a directory is in the way of ${path}`, { op: OP, paths: [path] });
  if (entry.mode === '120000') {
    if (existing) await ctx.fs.promises.unlink(full);
    await ctx.fs.promises.symlink(new TextDecoder().decode(blob), full);
    return;
  }
  // A symlink in the way is replaced, never written through.
  if (existing?.isSymbolicLink()) await ctx.fs.promises.unlink(full);
  const mode = entry.mode === '100755' ? 0o755 : 0o644;
  await ctx.fs.promises.writeFile(full, blob, { mode });
  if (ctx.fs.promises.chmod && existing && (existing.mode & 0o777) !== mode) await ctx.fs.promises.chmod(full, mode);
}

function indexEntry(path: string, entry: TreeEntry, stat: GitFsStats | null): IndexEntry {
  const ms = (value: number | undefined) => value ?? 0;
  const seconds = (t: number) => Math.floor(t / 1000) >>> 0;
  const nanos = (t: number) => Math.floor((t % 1000) * 1e6) >>> 0;
  return {
    ctimeSeconds: seconds(ms(stat?.ctimeMs)),
    ctimeNanoseconds: nanos(ms(stat?.ctimeMs)),
    mtimeSeconds: seconds(ms(stat?.mtimeMs)),
    mtimeNanoseconds: nanos(ms(stat?.mtimeMs)),
    dev: ms(stat?.dev) >>> 0,
    ino: ms(stat?.ino) >>> 0,
    mode: MODE_NUMBER[entry.mode] ?? 0o100644,
    uid: ms(stat?.uid) >>> 0,
    gid: ms(stat?.gid) >>> 0,
    size: ms(stat?.size) >>> 0,
    oid: entry.oid,
    stage: 0,
    assumeValid: false,
    extendedFlags: 0,
    path,
  };
}

/**
 * Writes the new content of `paths` into the working tree (deletes first, so a file can
 * become a directory and back) and replaces their index entries under `index.lock`.
 */
export async function updateCheckedOut(args: UpdateCheckedOutArgs): Promise<{ written: string[]; deleted: string[] }> {
  const ctx = withCache(args);
  const { fs, dir } = args;
  const paths = args.paths ?? (await changedPaths(fs, args.gitdir, args.oldTree, args.newTree, ctx.cache));
  for (const path of paths) assertWorktreePath(path, OP);
  const targets = await Promise.all(paths.map(async (path) => ({ path, entry: await fileEntry(ctx, args.newTree, path) })));
  for (const { path } of targets) {
    const blocked = await blockedParent(fs, dir, path);
    if (blocked?.symlink) throw new TetherError('SYMLINK_ESCAPE', `${blocked.path} is a symlink in the working tree`, { op: OP, path });
  }
  const indexPath = joinPath(args.gitdir, 'index');
  try {
    return await withLockFile(fs, indexPath, async (lock) => {
      const deleted = targets.filter((t) => t.entry === null).map((t) => t.path);
      const written = targets.filter((t) => t.entry !== null);
      for (const path of deleted) await removeFile(fs, dir, path);
      for (const [i, { path, entry }] of written.entries()) {
        await writeFile(ctx, dir, path, entry!);
        if (i === 0) failpoint('git.merge.worktree-partly-written');
      }

      const index = await readIndex(fs, args.gitdir);
      const touched = new Set(paths);
      const entries = index.entries.filter((e) => !touched.has(e.path));
      for (const { path, entry } of written) entries.push(indexEntry(path, entry!, await lstatOrNull(fs, joinPath(dir, path))));
      entries.sort(compareIndexEntries);
      await lock.commit(await serializeIndex(entries));
      return { written: written.map((t) => t.path).sort(), deleted: deleted.sort() };
    });
  } catch (error) {
    if (error instanceof LockBusyError) {
      throw new TetherError('DIRTY_WORKTREE', 'the index is locked by another git process', { op: OP, paths: [...paths], locked: true });
    }
    throw error;
  }
}
