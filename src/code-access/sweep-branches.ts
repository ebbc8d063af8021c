/**
 * Branch hygiene after the fact: deletes the `tether/…` branches of modifications that
 * have finished. Each step deletes its own branch when it finishes a modification, but a
 * crash between that commit and the delete, or a decision taken over HTTP (reject,
 * withdraw), leaves one behind. Runs at start-up and after decisions. Branches that name
 * no modification of this store are someone else's and stay.
 */
import git from 'isomorphic-git';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { FINISHED_STATES } from '../../machines/modification.ts';
import { toModification } from './modification-store.ts';
import type { Repo } from './repo.ts';
import { deleteBranch } from './steps.ts';

export async function sweepBranches(db: Kysely<Database>, repo: Repo): Promise<string[]> {
  const branches = (await git.listBranches({ fs: repo.fs, gitdir: repo.gitdir })).filter((b) => b.startsWith('tether/'));
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
