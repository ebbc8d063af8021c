/** Which ref modifications merge into, and its current commit. */
import { readFileOrNull, joinPath } from '../git/git-fs.ts';
import { readRef } from '../git/read-ref.ts';
import { toBranchRef } from '../git/ref-name.ts';
import { TetherError } from '../errors.ts';
import type { Repo } from './repo.ts';

export async function targetRef(repo: Repo): Promise<string> {
  if (repo.targetBranch) return toBranchRef(repo.targetBranch);
  const head = await readFileOrNull(repo.fs, joinPath(repo.gitdir, 'HEAD'));
  const text = head ? new TextDecoder().decode(head).trim() : '';
  if (!text.startsWith('ref: ')) {
    throw new TetherError('VALIDATION_FAILED', 'The repository has a detached HEAD: set a target branch.', { op: 'targetRef' });
  }
  return text.slice(5).trim();
}

export async function refCommit(repo: Repo, ref: string): Promise<string> {
  const value = await readRef(repo.fs, repo.gitdir, ref);
  if (!value?.value) throw new TetherError('NOT_FOUND', `The target ${ref} has no commit yet.`, { op: 'refCommit', ref });
  return value.value;
}
