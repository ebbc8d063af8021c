/**
 * Proposing a modification. Everything is checked before anything is written: the shape of
 * each change, the path policy (on the normalized path, then against the base tree's
 * symlinks), sizes, the file count and the open-branch cap. A refusal is a coded error plus
 * a ledger entry; an accepted proposal is stored as `proposed` with its ledger entry in one
 * transaction, and branching and testing go on afterwards.
 */
import type { Kysely, Transaction } from 'kysely';
import { isTetherError, TetherError } from '../errors.ts';
import type { FileChange } from '../git/commit-changes.ts';
import { newId } from '../ids.ts';
import { checkChanges } from '../policy/check-changes.ts';
import { checkTreePath } from '../policy/check-tree-path.ts';
import { checkPath } from '../policy/path-policy.ts';
import { createGoal, findGoal } from '../goals/goal-store.ts';
import type { Database } from '../store/schema.ts';
import { countOpen, getModification, insertModification, type Modification } from './modification-store.ts';
import { recordDenial } from './record-denial.ts';
import type { Repo } from './repo.ts';
import { refCommit, targetRef } from './target-ref.ts';

export interface SubmitRequest {
  goalId?: string;
  title: string;
  reason?: string;
  changes: FileChange[];
  /** The token name of the agent or person submitting: the author. */
  author: string;
}

const OP = 'submitModification';
const OPEN_GOAL_STATES = ['active', 'in_progress', 'proposed'];

function validateShape(request: SubmitRequest): void {
  if (typeof request.title !== 'string' || request.title.trim() === '') {
    throw new TetherError('VALIDATION_FAILED', 'A modification needs a title.', { op: OP, field: 'title' });
  }
  if (!Array.isArray(request.changes) || request.changes.length === 0) {
    throw new TetherError('VALIDATION_FAILED', 'A modification needs at least one change.', { op: OP, field: 'changes' });
  }
  for (const [i, change] of request.changes.entries()) {
    const kinds = Number(change.content !== undefined) + Number(change.patch !== undefined) + Number(change.delete === true);
    if (kinds !== 1) {
      throw new TetherError('VALIDATION_FAILED', `changes[${i}] needs exactly one of content, patch or delete.`, {
        op: OP,
        field: `changes[${i}]`,
      });
    }
  }
}

/** Normalizes and checks every path; returns the changes with normalized paths. */
async function checkScope(repo: Repo, baseCommit: string, changes: FileChange[]): Promise<FileChange[]> {
  checkChanges(changes, repo.policy, OP);
  const out: FileChange[] = [];
  for (const change of changes) {
    const path = checkPath(change.path, repo.policy, { op: OP });
    await checkTreePath({ fs: repo.fs, gitdir: repo.gitdir, cache: repo.cache, tree: baseCommit, path, access: 'write', policy: repo.policy, op: OP });
    out.push({ ...change, path });
  }
  return out;
}

/** Extra work done inside a store transaction, after its change: it commits or rolls back with it. */
export type WithinTransaction<T> = (trx: Transaction<Database>, result: T) => Promise<void>;

export async function submitModification(db: Kysely<Database>, repo: Repo, request: SubmitRequest, within?: WithinTransaction<Modification>): Promise<Modification> {
  try {
    validateShape(request);
    const ref = await targetRef(repo);
    const baseCommit = await refCommit(repo, ref);
    const changes = await checkScope(repo, baseCommit, request.changes);
    const id = newId('mod');
    return await db.transaction().execute(async (trx) => {
      // Serialize proposals so the open-branch cap holds under bursts.
      await trx.selectFrom('ledger_head').select('seq').where('id', '=', 1).forUpdate().execute();
      if ((await countOpen(trx)) >= repo.maxOpenBranches) {
        throw new TetherError('BRANCH_CAP', `${repo.maxOpenBranches} modifications are open already: decide one first.`, {
          op: OP,
          cap: repo.maxOpenBranches,
        });
      }
      let goalId = request.goalId;
      if (goalId !== undefined) {
        const goal = await findGoal(trx, goalId);
        if (!goal) throw new TetherError('NOT_FOUND', `No goal ${goalId}.`, { op: OP, goalId });
        if (!OPEN_GOAL_STATES.includes(goal.status)) {
          throw new TetherError('INVALID_TRANSITION', `Goal ${goalId} is ${goal.status}: it takes no modifications.`, { op: OP, goalId });
        }
      } else {
        const goal = await createGoal(
          trx,
          { title: request.title.trim(), kind: 'collaborative-change', source: 'collaborative', createdBy: request.author, status: 'active' },
          { actor: request.author },
        );
        goalId = goal.id;
      }
      await insertModification(trx, {
        id,
        goalId,
        title: request.title.trim(),
        reason: request.reason ?? '',
        author: request.author,
        branch: `tether/${goalId}/${id}`,
        targetRef: ref,
        baseCommit,
        changes,
        files: changes.map((c) => c.path),
      });
      const m = await getModification(trx, id);
      await within?.(trx, m);
      return m;
    });
  } catch (error) {
    if (isTetherError(error) && error.code !== 'INTERNAL') {
      await recordDenial(db, error, {
        actor: request.author,
        op: OP,
        type: error.code === 'VALIDATION_FAILED' || error.code === 'NOT_FOUND' ? 'modification.refused' : 'code.denied',
        subjects: request.goalId ? { goal: request.goalId } : {},
      });
    }
    throw error;
  }
}
