/**
 * Before a merge updates a checked-out branch: which of the files it changes carry
 * uncommitted work? Only the given paths are examined (never the whole tree, unlike
 * `git status`), and a file is hashed only when its stat data cannot vouch for it.
 */
import { withCache } from './git-context.ts';
import { joinPath, lstatOrNull, readFileOrNull, type GitFs, type GitFsStats } from './git-fs.ts';
import { hashBlob } from './hash-object.ts';
import type { IndexEntry } from './git-index.ts';
import { readIndex } from './read-index.ts';
import { lookupPath, type TreeEntry } from './tree-entries.ts';
import { blockedParent } from './worktree-path.ts';

/** Arguments of {@link wouldOverwrite}. */
export interface WouldOverwriteArgs {
  fs: GitFs;
  /** The working tree. */
  dir: string;
  gitdir: string;
  cache?: object;
  /** The repository-relative paths the merge would write or delete. */
  paths: readonly string[];
  /** The tree of the checked-out commit (HEAD). */
  headTree: string;
  /**
   * Whether the executable bit on disk is meaningful (git's core.fileMode). Default true;
   * pass false for file systems without permissions (LightningFS).
   */
  fileMode?: boolean;
}

const MODE_NUMBER: Record<string, number> = { '100644': 0o100644, '100755': 0o100755, '120000': 0o120000, '160000': 0o160000 };

/** The git mode a file on disk would be staged with. */
function diskMode(stat: GitFsStats): number {
  if (stat.isSymbolicLink()) return 0o120000;
  return stat.mode & 0o111 ? 0o100755 : 0o100644;
}

/** Whether the stat data still matches the index entry, and the entry is not racily clean. */
function statMatches(entry: IndexEntry, stat: GitFsStats, indexMtime: number): boolean {
  const mtime = Math.floor(stat.mtimeMs / 1000);
  // Written in the same second as the index: the file may have changed after the index was
  // written without its mtime showing it (git's "racy clean" case), so hash it.
  if (mtime >= indexMtime) return false;
  return entry.mtimeSeconds === mtime && entry.size === stat.size % 2 ** 32 && (entry.ino === 0 || entry.ino === stat.ino % 2 ** 32);
}

async function diskOid(fs: GitFs, full: string, stat: GitFsStats): Promise<string | null> {
  if (stat.isSymbolicLink()) return hashBlob(new TextEncoder().encode(await fs.promises.readlink(full)));
  const bytes = await readFileOrNull(fs, full);
  return bytes ? hashBlob(bytes) : null;
}

async function isDirty(
  args: WouldOverwriteArgs,
  path: string,
  head: TreeEntry | null,
  staged: IndexEntry[],
  indexMtime: number,
): Promise<boolean> {
  if (staged.some((e) => e.stage !== 0)) return true; // an unfinished merge
  const entry = staged[0];
  // Index differs from HEAD: staged work.
  if ((entry?.oid ?? null) !== (head?.oid ?? null)) return true;
  if (entry && head && entry.mode !== MODE_NUMBER[head.mode]) return true;
  if (await blockedParent(args.fs, args.dir, path)) return true;
  const full = joinPath(args.dir, path);
  const stat = await lstatOrNull(args.fs, full);
  if (!head) return stat !== null; // an untracked file (or directory) the merge would replace
  if (head.type === 'commit') return false; // submodules are not looked into
  if (!stat || stat.isDirectory()) return true; // deleted, or replaced by a directory
  if (stat.isSymbolicLink() !== (head.mode === '120000')) return true;
  if (args.fileMode !== false && diskMode(stat) !== MODE_NUMBER[head.mode]) return true;
  if (entry && statMatches(entry, stat, indexMtime)) return false;
  return (await diskOid(args.fs, full, stat)) !== head.oid;
}

/**
 * The given paths whose working-tree file or index entry differs from HEAD (staged or
 * unstaged changes, untracked files in the way, unmerged entries), sorted. Empty means the
 * merge can update those files without losing anything.
 */
export async function wouldOverwrite(args: WouldOverwriteArgs): Promise<string[]> {
  const ctx = withCache(args);
  const wanted = new Set(args.paths);
  const index = await readIndex(args.fs, args.gitdir, { only: wanted });
  const byPath = new Map<string, IndexEntry[]>();
  for (const entry of index.entries) {
    if (!wanted.has(entry.path)) continue;
    const list = byPath.get(entry.path);
    if (list) list.push(entry);
    else byPath.set(entry.path, [entry]);
  }
  const dirty = await Promise.all(
    [...wanted].map(async (path) => {
      const found = await lookupPath(ctx, args.headTree, path);
      const head = found && found.through === undefined && found.type !== 'tree' ? found : null;
      return (await isDirty(args, path, head, byPath.get(path) ?? [], index.mtimeSeconds)) ? path : null;
    }),
  );
  return dirty.filter((p): p is string => p !== null).sort();
}
