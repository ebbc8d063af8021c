/**
 * A three-way merge of trees that never walks what did not change: a subtree identical on
 * two sides is decided by its id alone, so the cost follows the size of the changes, not of
 * the repository.
 */
import git from 'isomorphic-git';
import { withCache, type GitContext } from './git-context.ts';
import type { GitFs } from './git-fs.ts';
import { mergeLines } from './merge-lines.ts';
import { readTreeEntries, resolveTree, writeTreeEntries, type TreeEntry } from './tree-entries.ts';

/** Arguments of {@link mergeTrees}; trees may be given as tree or commit ids. */
export interface MergeTreesArgs {
  fs: GitFs;
  gitdir: string;
  cache?: object;
  /** The merge base's tree; null for unrelated histories (an empty base). */
  base: string | null;
  ours: string;
  theirs: string;
}

/** The merged tree, or null with the conflicting paths. */
export interface MergeTreesResult {
  tree: string | null;
  /** Sorted paths that could not be merged. */
  conflicts: string[];
}

const REGULAR = new Set(['100644', '100755']);
const decoder = new TextDecoder('utf-8', { fatal: true });

function same(a: TreeEntry | undefined, b: TreeEntry | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.oid === b.oid && a.mode === b.mode);
}

async function entriesOf(ctx: GitContext, tree: string | null): Promise<Map<string, TreeEntry>> {
  const map = new Map<string, TreeEntry>();
  if (tree) for (const entry of await readTreeEntries(ctx, tree)) map.set(entry.path, entry);
  return map;
}

async function readText(ctx: GitContext, oid: string): Promise<string | null> {
  const { blob } = await git.readBlob({ fs: ctx.fs, gitdir: ctx.gitdir, oid, cache: ctx.cache ?? {} });
  // Binary content is never merged line by line, as git treats it.
  if (blob.subarray(0, 8000).includes(0)) return null;
  try {
    return decoder.decode(blob);
  } catch {
    return null;
  }
}

/** Merges one file changed on both sides, or returns null for a conflict. */
async function mergeFile(ctx: GitContext, b: TreeEntry | undefined, o: TreeEntry, t: TreeEntry): Promise<TreeEntry | null> {
  if (!b || !REGULAR.has(b.mode) || !REGULAR.has(o.mode) || !REGULAR.has(t.mode)) return null;
  const mode = o.mode === b.mode ? t.mode : t.mode === b.mode || o.mode === t.mode ? o.mode : null;
  if (mode === null) return null;
  let oid: string;
  if (o.oid === b.oid) oid = t.oid;
  else if (t.oid === b.oid || o.oid === t.oid) oid = o.oid;
  else {
    const [base, ours, theirs] = await Promise.all([readText(ctx, b.oid), readText(ctx, o.oid), readText(ctx, t.oid)]);
    if (base === null || ours === null || theirs === null) return null;
    const merged = mergeLines(base, ours, theirs);
    if (merged === null) return null;
    oid = await git.writeBlob({ fs: ctx.fs, gitdir: ctx.gitdir, blob: new TextEncoder().encode(merged) });
  }
  return { mode, path: o.path, oid, type: 'blob' };
}

const isTreeOrAbsent = (e: TreeEntry | undefined) => e === undefined || e.type === 'tree';

async function mergeDir(
  ctx: GitContext,
  b: string | null,
  o: string | null,
  t: string | null,
  prefix: string,
  conflicts: string[],
): Promise<string | null> {
  if (o === t || t === b) return o;
  if (o === b) return t;
  const [eb, eo, et] = await Promise.all([entriesOf(ctx, b), entriesOf(ctx, o), entriesOf(ctx, t)]);
  const names = new Set([...eo.keys(), ...et.keys(), ...eb.keys()]);
  const result = new Map<string, TreeEntry>();
  await Promise.all(
    [...names].map(async (name) => {
      const [x, y, z] = [eb.get(name), eo.get(name), et.get(name)];
      const path = prefix ? `${prefix}/${name}` : name;
      let merged: TreeEntry | undefined;
      if (same(y, z) || same(z, x)) merged = y;
      else if (same(y, x)) merged = z;
      else if (isTreeOrAbsent(x) && isTreeOrAbsent(y) && isTreeOrAbsent(z)) {
        const sub = await mergeDir(ctx, x?.oid ?? null, y?.oid ?? null, z?.oid ?? null, path, conflicts);
        merged = sub === null ? undefined : { mode: '040000', path: name, oid: sub, type: 'tree' };
      } else {
        const file = y && z && y.type === 'blob' && z.type === 'blob' ? await mergeFile(ctx, x, y, z) : null;
        if (file) merged = file;
        else {
          conflicts.push(path);
          merged = y;
        }
      }
      if (merged) result.set(name, merged);
    }),
  );
  const unchangedFrom = (side: Map<string, TreeEntry>) =>
    side.size === result.size && [...result].every(([name, entry]) => same(side.get(name), entry));
  if (o !== null && unchangedFrom(eo)) return o;
  if (t !== null && unchangedFrom(et)) return t;
  if (result.size === 0) return null;
  // With conflicts the tree is never used: skip writing objects nobody will reference.
  if (conflicts.length > 0) return o;
  return writeTreeEntries(ctx, [...result.values()]);
}

/** Three-way merge of `ours` and `theirs` against `base`. */
export async function mergeTrees(args: MergeTreesArgs): Promise<MergeTreesResult> {
  const ctx = withCache(args);
  const conflicts: string[] = [];
  const [base, ours, theirs] = await Promise.all([
    args.base === null ? null : resolveTree(ctx, args.base),
    resolveTree(ctx, args.ours),
    resolveTree(ctx, args.theirs),
  ]);
  const tree = await mergeDir(ctx, base, ours, theirs, '', conflicts);
  if (conflicts.length > 0) return { tree: null, conflicts: conflicts.sort() };
  return { tree: tree ?? (await writeTreeEntries(ctx, [])), conflicts: [] };
}
