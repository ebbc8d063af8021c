/**
 * A modification's commit: blobs, trees and the commit go straight into the object
 * database and the branch moves by compare-and-swap. The working tree and the index are
 * never read or written.
 */
import { applyPatch } from 'diff';
import git from 'isomorphic-git';
import { TetherError } from '../errors.ts';
import { checkChanges, checkFileSize } from '../policy/check-changes.ts';
import { checkPath, toPathPolicy, type PathPolicy, type PathPolicyOptions } from '../policy/path-policy.ts';
import { failpoint } from '../faults/failpoint.ts';
import { casRef } from './cas-ref.ts';
import { withCache, type GitContext } from './git-context.ts';
import type { GitFs } from './git-fs.ts';
import { editTree, type TreeEdit } from './edit-tree.ts';
import { readRef } from './read-ref.ts';
import { assertRefName, toBranchRef } from './ref-name.ts';
import { formatCommitMessage } from './trailers.ts';
import { commitTree, lookupPath } from './tree-entries.ts';

/** One file of a modification: new content, a unified diff against the base, or a delete. */
export interface FileChange {
  path: string;
  /** The whole new content. */
  content?: string | Uint8Array;
  /** A unified diff for this one file, applied to its content in the parent commit. */
  patch?: string;
  /** Remove the file. */
  delete?: true;
  /** `100644` or `100755`; defaults to the existing mode, else `100644`. `120000` is refused. */
  mode?: string;
}

/** A person or agent in a commit header. */
export interface GitIdentity {
  name: string;
  email: string;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Minutes, as git stores them (UTC+2 is -120); defaults to 0. */
  timezoneOffset?: number;
}

/** Arguments of {@link commitChanges}. */
export interface CommitChangesArgs {
  fs: GitFs;
  gitdir: string;
  cache?: object;
  /** The recorded base commit the branch starts from. */
  baseCommit: string;
  /** Branch name (`tether/g1/m1`) or full ref. */
  branch: string;
  changes: readonly FileChange[];
  message: string;
  author: GitIdentity;
  /** Defaults to the author. */
  committer?: GitIdentity;
  /** Git trailers, e.g. `{ 'Tether-Goal': 'g1', 'Tether-Modification': 'm1' }`. */
  trailers?: Readonly<Record<string, string>>;
  /**
   * The branch head the caller recorded (null: the branch must not exist yet). Omitted:
   * the head read now, so the commit continues the branch or starts it at baseCommit.
   */
  expectedOld?: string | null;
  /** Path policy; defaults to {@link createPathPolicy}'s defaults. */
  policy?: PathPolicy | PathPolicyOptions;
}

/** What {@link commitChanges} wrote. */
export interface CommitChangesResult {
  commit: string;
  tree: string;
  parent: string;
  ref: string;
  /** The normalized paths of the changes, sorted. */
  changedPaths: string[];
}

const encoder = new TextEncoder();
const OP = 'commitChanges';

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? encoder.encode(content) : content;
}

function patchFailed(path: string, reason: string): TetherError {
  return new TetherError('PATCH_FAILED', `patch does not apply to ${path}: ${reason}`, { op: OP, path, reason });
}

/** The new content of a patched file, from its blob in the parent tree. */
async function patchedContent(ctx: GitContext, parentTree: string, path: string, patch: string): Promise<Uint8Array> {
  const entry = await lookupPath(ctx, parentTree, path);
  if (entry?.mode === '120000' || entry?.through !== undefined) {
    throw new TetherError('SYMLINK_ESCAPE', `${path} is or is under a symlink`, { op: OP, path });
  }
  let base = '';
  if (entry) {
    if (entry.type !== 'blob') throw patchFailed(path, 'not a file');
    const { blob } = await git.readBlob({ fs: ctx.fs, gitdir: ctx.gitdir, oid: entry.oid, cache: ctx.cache ?? {} });
    if (blob.includes(0)) throw patchFailed(path, 'binary file');
    base = new TextDecoder('utf-8', { fatal: true }).decode(blob);
  }
  let result: string | false;
  try {
    result = applyPatch(base, patch);
  } catch (error) {
    throw patchFailed(path, error instanceof Error ? error.message : String(error));
  }
  if (result === false) throw patchFailed(path, 'hunks do not match');
  return encoder.encode(result);
}

/** Commits the changes on top of the branch (or baseCommit) and moves the branch by CAS. */
export async function commitChanges(args: CommitChangesArgs): Promise<CommitChangesResult> {
  const ctx = withCache(args);
  const policy = toPathPolicy(args.policy);
  const ref = toBranchRef(args.branch);
  assertRefName(ref, OP);
  checkChanges(args.changes, policy, OP);

  const seen = new Set<string>();
  const normalized = args.changes.map((change) => {
    const path = checkPath(change.path, policy, { op: OP });
    const folded = path.toLowerCase();
    // Case-only twins would collide on case-insensitive checkouts.
    if (seen.has(folded)) throw new TetherError('VALIDATION_FAILED', `path changed twice: ${path}`, { op: OP, path });
    seen.add(folded);
    const kinds = Number(change.content !== undefined) + Number(change.patch !== undefined) + Number(change.delete === true);
    if (kinds !== 1) {
      throw new TetherError('VALIDATION_FAILED', `a change needs exactly one of content, patch or delete: ${path}`, { op: OP, path });
    }
    return { ...change, path };
  });

  const expectedOld = args.expectedOld !== undefined ? args.expectedOld : ((await readRef(ctx.fs, ctx.gitdir, ref))?.value ?? null);
  const parent = expectedOld ?? args.baseCommit;
  const parentTree = await commitTree(ctx, parent);

  const edits: TreeEdit[] = await Promise.all(
    normalized.map(async (change): Promise<TreeEdit> => {
      if (change.delete) return { path: change.path, delete: true };
      const bytes = change.patch !== undefined ? await patchedContent(ctx, parentTree, change.path, change.patch) : toBytes(change.content!);
      checkFileSize(change.path, bytes, policy, OP);
      const existing = change.mode === undefined ? await lookupPath(ctx, parentTree, change.path) : null;
      const mode = change.mode ?? (existing?.mode === '100755' ? '100755' : '100644');
      const oid = await git.writeBlob({ fs: ctx.fs, gitdir: ctx.gitdir, blob: bytes });
      return { path: change.path, oid, mode };
    }),
  );

  const tree = await editTree(ctx, parentTree, edits);
  const now = Math.floor(Date.now() / 1000);
  const stamp = (who: GitIdentity) => ({
    name: who.name,
    email: who.email,
    timestamp: who.timestamp ?? now,
    timezoneOffset: who.timezoneOffset ?? 0,
  });
  const commit = await git.writeCommit({
    fs: ctx.fs,
    gitdir: ctx.gitdir,
    commit: {
      message: formatCommitMessage(args.message, args.trailers, OP),
      tree,
      parent: [parent],
      author: stamp(args.author),
      committer: stamp(args.committer ?? args.author),
    },
  });
  // Objects are written before the ref moves: a crash in between leaves only unreachable
  // objects, and the branch still names its previous head.
  failpoint('git.branch.objects-written');
  await casRef({ fs: ctx.fs, gitdir: ctx.gitdir, ref, expectedOld, newOid: commit });
  return { commit, tree, parent, ref, changedPaths: normalized.map((c) => c.path).sort() };
}
