/**
 * Branch hygiene after the fact: deletes the `tether/…` branches of modifications that
 * have finished. Each step deletes its own branch when it finishes a modification, but a
 * crash between that commit and the delete (or between a reject and its delete) leaves
 * one behind. Runs at start-up. Branches that name no modification of this store are
 * someone else's and stay.
 *
 * A crash can also leave a ref's lock file, and nobody may ever take that lock again (a
 * finished modification's branch, say): locks that a dead Tether process on this host left
 * under refs/heads and at the repository's top are removed here too.
 */
import git from 'isomorphic-git';
import type { Kysely } from 'kysely';
import { joinPath, lstatOrNull } from '../git/git-fs.ts';
import { removeIfOrphaned } from '../git/lock-file.ts';
import type { Database } from '../store/schema.ts';
import { FINISHED_STATES } from '../../machines/modification.ts';
import { toModification } from './modification-store.ts';
import type { Repo } from './repo.ts';
import { deleteBranch } from './steps.ts';

/** Lock files (`*.lock`) under `dir`, recursively; a missing directory has none. */
async function lockFiles(repo: Repo, dir: string): Promise<string[]> {
  const names = await repo.fs.promises.readdir(dir).catch(() => [] as string[]);
  const found: string[] = [];
  for (const name of names) {
    const full = joinPath(dir, name);
    if (name.endsWith('.lock')) found.push(full);
    else if ((await lstatOrNull(repo.fs, full))?.isDirectory()) found.push(...(await lockFiles(repo, full)));
  }
  return found;
}

/** Removes the orphaned lock files a crashed Tether left in the repository; returns their paths. */
export async function sweepLocks(repo: Repo): Promise<string[]> {
  const top = ['index.lock', 'HEAD.lock', 'packed-refs.lock'].map((name) => joinPath(repo.gitdir, name));
  const candidates = [...top, ...(await lockFiles(repo, joinPath(repo.gitdir, 'refs/heads')))];
  const removed: string[] = [];
  for (const path of candidates) if (await removeIfOrphaned(repo.fs, path)) removed.push(path);
  return removed;
}

export async function sweepBranches(db: Kysely<Database>, repo: Repo): Promise<string[]> {
  await sweepLocks(repo);
  // A ref name never ends in .lock (git forbids it): such a file is a lock, not a branch.
  const branches = (await git.listBranches({ fs: repo.fs, gitdir: repo.gitdir })).filter((b) => b.startsWith('tether/') && !b.endsWith('.lock'));
  if (branches.length === 0) return [];
  const finished = await db
    .selectFrom('modifications')
    .selectAll()
    .where('branch', 'in', branches)
    .where('state', 'in', [...FINISHED_STATES])
    .execute();
  for (const row of finished) await deleteBranch(repo, toModification(row));
  return finished.map((r) => r.branch);
}
