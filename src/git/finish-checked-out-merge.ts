/**
 * A merge moves the checked-out target's ref first and rewrites the working tree after; a
 * crash in between leaves files (and index entries) of the tree before the merge, so git
 * would show the merge undone as uncommitted changes. When the merge is retried, this
 * finishes that update: for each path the merge changed, a file still holding the old
 * content (or already the new one) is brought to the new content with its index entry. A
 * file holding anything else is a person's edit made since, and is left byte-identical.
 */
import git from 'isomorphic-git';
import { changedPaths } from './changed-paths.ts';
import type { GitContext } from './git-context.ts';
import { joinPath, lstatOrNull, readFileOrNull } from './git-fs.ts';
import { hashBlob } from './hash-object.ts';
import { lookupPath } from './tree-entries.ts';
import { updateCheckedOut } from './update-checked-out.ts';

/** The blob id of the working tree's file at `path`, null when absent, 'other' for a directory or a symlink. */
async function worktreeOid(ctx: GitContext, dir: string, path: string): Promise<string | null> {
  const full = joinPath(dir, path);
  const stat = await lstatOrNull(ctx.fs, full);
  if (!stat) return null;
  if (!stat.isFile()) return 'other';
  const bytes = await readFileOrNull(ctx.fs, full);
  return bytes ? hashBlob(bytes) : null;
}

async function fileOid(ctx: GitContext, tree: string, path: string): Promise<string | null> {
  const entry = await lookupPath(ctx, tree, path);
  return entry && entry.through === undefined && entry.type === 'blob' && entry.mode !== '120000' ? entry.oid : null;
}

/**
 * If `tip` is the merge of `source` (its second parent), updates the working tree `dir`
 * from the tree before the merge to the merge's. Returns the paths it wrote, or null when
 * `tip` is not that merge.
 */
export async function finishCheckedOutMerge(ctx: GitContext, dir: string, tip: string, source: string): Promise<string[] | null> {
  const { commit } = await git.readCommit({ fs: ctx.fs, gitdir: ctx.gitdir, oid: tip, cache: ctx.cache ?? {} });
  if (commit.parent.length !== 2 || commit.parent[1] !== source) return null;
  const { commit: before } = await git.readCommit({ fs: ctx.fs, gitdir: ctx.gitdir, oid: commit.parent[0]!, cache: ctx.cache ?? {} });
  const paths = await changedPaths(ctx.fs, ctx.gitdir, before.tree, commit.tree, ctx.cache);
  const pending: string[] = [];
  for (const path of paths) {
    const [current, oldOid, newOid] = await Promise.all([
      worktreeOid(ctx, dir, path),
      fileOid(ctx, before.tree, path),
      fileOid(ctx, commit.tree, path),
    ]);
    if (current === oldOid || current === newOid) pending.push(path);
  }
  if (pending.length === 0) return [];
  await updateCheckedOut({ fs: ctx.fs, gitdir: ctx.gitdir, cache: ctx.cache, dir, oldTree: before.tree, newTree: commit.tree, paths: pending });
  return pending;
}
