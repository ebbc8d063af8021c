/**
 * The path policy against a git tree (reads and writes through the object database): a
 * symlink entry on the path is followed for reading only while it stays inside the tree, and
 * never written through.
 */
import { TetherError } from '../errors.ts';
import type { GitFs } from '../git/git-fs.ts';
import git from 'isomorphic-git';
import { lookupPath, type TreeEntry } from '../git/tree-entries.ts';
import { checkPath, toPathPolicy, type PathPolicy, type PathPolicyOptions } from './path-policy.ts';
import { resolveLinkTarget } from './resolve-link.ts';

/** Arguments of {@link checkTreePath}. */
export interface CheckTreePathArgs {
  fs: GitFs;
  gitdir: string;
  cache?: object;
  /** Tree (or commit) id the path is looked up in. */
  tree: string;
  path: string;
  /** Reading may follow in-tree symlinks; writing never goes through one. */
  access: 'read' | 'write';
  policy?: PathPolicy | PathPolicyOptions;
  op?: string;
}

/** The checked path, where it leads in the tree, and the entry found there. */
export interface CheckedTreePath {
  path: string;
  resolvedPath: string;
  /** The entry at the resolved path, or null when it does not exist. */
  entry: TreeEntry | null;
}

const MAX_LINKS = 40;

/**
 * Checks the path (as {@link checkPath}) and then its tree entries. Writing: SYMLINK_ESCAPE
 * when the path is, or is under, a symlink entry. Reading: a symlink is followed when it
 * stays inside the tree (and the target passes the policy), SYMLINK_ESCAPE otherwise.
 */
export async function checkTreePath(args: CheckTreePathArgs): Promise<CheckedTreePath> {
  const op = args.op ?? 'checkTreePath';
  const policy = toPathPolicy(args.policy);
  const path = checkPath(args.path, policy, { op });
  const ctx = { fs: args.fs, gitdir: args.gitdir, cache: args.cache ?? {} };
  let current = path;
  for (let links = 0; ; links++) {
    const entry = await lookupPath(ctx, args.tree, current);
    if (entry === null) return { path, resolvedPath: current, entry: null };
    if (entry.mode !== '120000') {
      if (entry.through !== undefined) return { path, resolvedPath: current, entry: null }; // under a file: absent
      const { parentPath: _parent, through: _through, ...plain } = entry;
      return { path, resolvedPath: current, entry: plain };
    }
    const link = entry.through === undefined ? current : current.slice(0, current.length - entry.through.length - 1);
    if (args.access === 'write') {
      throw new TetherError('SYMLINK_ESCAPE', `${path} is or is under the symlink ${link} and cannot be written`, { op, path, link });
    }
    if (links >= MAX_LINKS) throw new TetherError('SYMLINK_ESCAPE', `${path}: too many levels of symlinks`, { op, path });
    const { blob } = await git.readBlob({ fs: args.fs, gitdir: args.gitdir, oid: entry.oid, cache: ctx.cache });
    const target = new TextDecoder().decode(blob);
    const parent = entry.parentPath === '' ? [] : entry.parentPath.split('/');
    const next = resolveLinkTarget(parent, target);
    if (next === null || next.length === 0) {
      throw new TetherError('SYMLINK_ESCAPE', `${path} leads outside the repository through the symlink ${link}`, { op, path, link, target });
    }
    current = [...next, ...(entry.through === undefined ? [] : entry.through.split('/'))].join('/');
    checkPath(current, policy, { op });
  }
}
