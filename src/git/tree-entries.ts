/**
 * Reading and writing single tree objects, and looking one path up through nested trees,
 * reading only the trees on that path.
 */
import git from 'isomorphic-git';
import { TetherError } from '../errors.ts';
import type { GitContext } from './git-context.ts';

/** One entry of a git tree. */
export interface TreeEntry {
  /** `040000` tree, `100644`/`100755` file, `120000` symlink, `160000` submodule. */
  mode: string;
  /** The entry's name within its tree (a single path segment). */
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

/** The id of the empty tree, which git treats as always present. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** The entries of a tree (a commit id is peeled to its tree). */
export async function readTreeEntries(ctx: GitContext, oid: string): Promise<TreeEntry[]> {
  if (oid === EMPTY_TREE) return [];
  const { tree } = await git.readTree({ fs: ctx.fs, gitdir: ctx.gitdir, oid, cache: ctx.cache ?? {} });
  return tree as TreeEntry[];
}

/** The tree id behind a tree, commit or tag id. */
export async function resolveTree(ctx: GitContext, oid: string): Promise<string> {
  if (oid === EMPTY_TREE) return oid;
  const result = await git.readTree({ fs: ctx.fs, gitdir: ctx.gitdir, oid, cache: ctx.cache ?? {} });
  return result.oid;
}

/** Writes a tree object from entries in any order; returns its id. */
export async function writeTreeEntries(ctx: GitContext, entries: readonly TreeEntry[]): Promise<string> {
  return git.writeTree({ fs: ctx.fs, gitdir: ctx.gitdir, tree: entries.map((e) => ({ ...e })) });
}

/** The tree id of a commit. */
export async function commitTree(ctx: GitContext, commit: string): Promise<string> {
  const { commit: object } = await git.readCommit({ fs: ctx.fs, gitdir: ctx.gitdir, oid: commit, cache: ctx.cache ?? {} });
  return object.tree;
}

/**
 * The entry at `path` (`a/b/c`) under `tree`, or null. A symlink or submodule met on the
 * way is returned as it is, with `through` set to the part of the path left under it, so the
 * caller decides what following it would mean.
 */
export async function lookupPath(
  ctx: GitContext,
  tree: string,
  path: string,
): Promise<(TreeEntry & { parentPath: string; through?: string }) | null> {
  const segments = path.split('/');
  let current = tree;
  for (let i = 0; i < segments.length; i++) {
    const name = segments[i];
    const entry = (await readTreeEntries(ctx, current)).find((e) => e.path === name);
    if (!entry) return null;
    const parentPath = segments.slice(0, i).join('/');
    if (i === segments.length - 1) return { ...entry, parentPath };
    if (entry.type !== 'tree') return { ...entry, parentPath, through: segments.slice(i + 1).join('/') };
    current = entry.oid;
  }
  throw new TetherError('INTERNAL', 'unreachable: empty path', { op: 'lookupPath', path });
}
