/**
 * Merging an approved branch into its target: a three-way tree merge, a merge commit with
 * both parents, and a compare-and-swap of the target ref. When the target is checked out,
 * the working tree is checked first (refused when dirty) and updated after.
 */
import git from 'isomorphic-git';
import { TetherError } from '../errors.ts';
import { failpoint } from '../faults/failpoint.ts';
import { finishCheckedOutMerge } from './finish-checked-out-merge.ts';
import { casRef } from './cas-ref.ts';
import { changedPaths } from './changed-paths.ts';
import type { GitIdentity } from './commit-changes.ts';
import { withCache } from './git-context.ts';
import { joinPath, readFileOrNull, type GitFs } from './git-fs.ts';
import { mergeTrees } from './merge-trees.ts';
import { readRef } from './read-ref.ts';
import { assertRefName, toBranchRef } from './ref-name.ts';
import { formatCommitMessage } from './trailers.ts';
import { commitTree } from './tree-entries.ts';
import { updateCheckedOut } from './update-checked-out.ts';
import { wouldOverwrite } from './would-overwrite.ts';

/** Arguments of {@link mergeBranch}. */
export interface MergeBranchArgs {
  fs: GitFs;
  gitdir: string;
  cache?: object;
  /** The target branch (`main`) or full ref. */
  ref: string;
  /** The commit to merge in (the tested, approved head). */
  source: string;
  message: string;
  author: GitIdentity;
  committer?: GitIdentity;
  /** e.g. `{ 'Tether-Goal': …, 'Tether-Modification': …, 'Tether-Approved-By': … }`. */
  trailers?: Readonly<Record<string, string>>;
  /** The target head the caller saw; defaults to the value read now. */
  expectedOld?: string;
  /**
   * The working tree, when the target may be checked out there. If HEAD names the target,
   * the merge refuses with DIRTY_WORKTREE when it would overwrite uncommitted work and
   * otherwise updates the changed files and their index entries.
   */
  worktree?: { dir: string; fileMode?: boolean };
}

/** What {@link mergeBranch} did. */
export interface MergeBranchResult {
  /** The merge commit, or the unchanged head when the source was already merged. */
  commit: string;
  tree: string;
  /** The target head before the merge. */
  previous: string;
  ref: string;
  /** Files that differ between the previous head and the merge. */
  changedPaths: string[];
  /** True when the source was already contained in the target: nothing was written. */
  alreadyMerged: boolean;
  /** True when the checked-out working tree was updated. */
  updatedWorktree: boolean;
}

const OP = 'mergeBranch';

async function checkedOutRef(fs: GitFs, gitdir: string): Promise<string | null> {
  const head = await readFileOrNull(fs, joinPath(gitdir, 'HEAD'));
  const text = head ? new TextDecoder().decode(head).trim() : '';
  return text.startsWith('ref: ') ? text.slice(5).trim() : null;
}

/** Merges `source` into `ref`; conflicts throw MERGE_CONFLICT with `data.paths`. */
export async function mergeBranch(args: MergeBranchArgs): Promise<MergeBranchResult> {
  const ctx = withCache(args);
  const { fs, gitdir, cache } = ctx;
  const ref = toBranchRef(args.ref);
  assertRefName(ref, OP);
  const previous = args.expectedOld ?? (await readRef(fs, gitdir, ref))?.value;
  if (!previous) throw new TetherError('NOT_FOUND', `target ${ref} does not exist`, { op: OP, ref });

  const bases = await git.findMergeBase({ fs, gitdir, oids: [previous, args.source], cache });
  const base = (bases[0] as string | undefined) ?? null;
  const previousTree = await commitTree(ctx, previous);
  const base0 = { commit: previous, tree: previousTree, previous, ref, changedPaths: [], updatedWorktree: false };
  const checkedOut = args.worktree !== undefined && (await checkedOutRef(fs, gitdir)) === ref;
  if (base === args.source) {
    // Already merged, perhaps by an attempt that died before updating the checked-out files.
    const caughtUp = checkedOut ? await finishCheckedOutMerge(ctx, args.worktree!.dir, previous, args.source) : null;
    return { ...base0, alreadyMerged: true, ...(caughtUp?.length ? { changedPaths: caughtUp, updatedWorktree: true } : {}) };
  }

  // Criss-cross histories have several bases; the first one is used (no virtual base).
  const merged = await mergeTrees({ fs, gitdir, cache, base: base === null ? null : await commitTree(ctx, base), ours: previousTree, theirs: args.source });
  if (merged.tree === null) {
    throw new TetherError('MERGE_CONFLICT', `merging into ${ref} conflicts in ${merged.conflicts.length} file(s)`, {
      op: OP,
      ref,
      paths: merged.conflicts,
    });
  }
  const paths = await changedPaths(fs, gitdir, previousTree, merged.tree, cache);
  if (checkedOut) {
    const dirty = await wouldOverwrite({ fs, gitdir, cache, dir: args.worktree!.dir, paths, headTree: previousTree, fileMode: args.worktree!.fileMode });
    if (dirty.length > 0) {
      throw new TetherError('DIRTY_WORKTREE', `the merge would overwrite uncommitted changes in ${dirty.length} file(s)`, {
        op: OP,
        ref,
        paths: dirty,
      });
    }
  }
  const now = Math.floor(Date.now() / 1000);
  const stamp = (who: GitIdentity) => ({ name: who.name, email: who.email, timestamp: who.timestamp ?? now, timezoneOffset: who.timezoneOffset ?? 0 });
  const commit = await git.writeCommit({
    fs,
    gitdir,
    commit: {
      message: formatCommitMessage(args.message, args.trailers, OP),
      tree: merged.tree,
      parent: [previous, args.source],
      author: stamp(args.author),
      committer: stamp(args.committer ?? args.author),
    },
  });
  failpoint('git.merge.commit-written');
  await casRef({ fs, gitdir, ref, expectedOld: previous, newOid: commit });
  failpoint('git.merge.ref-moved');
  if (checkedOut) {
    await updateCheckedOut({ fs, gitdir, cache, dir: args.worktree!.dir, oldTree: previousTree, newTree: merged.tree, paths });
  }
  return { commit, tree: merged.tree, previous, ref, changedPaths: paths, alreadyMerged: false, updatedWorktree: checkedOut };
}
