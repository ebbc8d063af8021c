/**
 * The work of each modification state, as the modification machine invokes it. Each step
 * does its git work first and then commits the state it leads to, with its ledger entry,
 * in one transaction. A crash between the two leaves the ref unchanged or the state
 * behind it; re-running the step on restart finds its own work and adopts it.
 */
import type { Kysely, Transaction } from 'kysely';
import { transitionGoal } from '../goals/goal-store.ts';
import git from 'isomorphic-git';
import { isTetherError, TetherError } from '../errors.ts';
import { failpoint } from '../faults/failpoint.ts';
import { casDeleteRef } from '../git/cas-ref.ts';
import { commitChanges } from '../git/commit-changes.ts';
import { mergeBranch } from '../git/merge-branch.ts';
import { readRef } from '../git/read-ref.ts';
import { appendEntry } from '../ledger/append-entry.ts';
import { toBranchRef } from '../git/ref-name.ts';
import type { Database } from '../store/schema.ts';
import type { ModificationState, StepOutcome } from '../../machines/modification.ts';
import { getModification, storedChanges, transition, type Modification } from './modification-store.ts';
import type { Repo } from './repo.ts';
import type { TestRunner } from './test-runner.ts';

export interface StepDeps {
  db: Kysely<Database>;
  repo: Repo;
  tests: TestRunner;
  /** Milliseconds since the epoch (the injected clock). */
  now(): number;
  /**
   * Runs `work` alone among all processes sharing the store (several processes on one
   * PostgreSQL database merge into one repository). Absent: the ref's compare-and-swap
   * and the retries below are the only guard, enough within one process.
   */
  exclusive?<T>(key: string, work: () => Promise<T>): Promise<T>;
}

const ACTOR = 'codeAccess';

function identity(name: string) {
  return { name, email: `${name.replace(/[^A-Za-z0-9._-]/g, '_')}@tether.invalid` };
}

function outcomeOf(m: Modification, now?: number): StepOutcome {
  return {
    state: m.state,
    head: m.head,
    baseCommit: m.baseCommit,
    error: m.error,
    conflictPaths: m.conflictPaths ?? [],
    ...(m.expiresAt && now !== undefined ? { expiresInMs: m.expiresAt.getTime() - now } : {}),
  };
}

function errorOf(error: unknown): { code: string; message: string } {
  return isTetherError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: String(error) };
}

async function fail(deps: StepDeps, m: Modification, from: ModificationState, error: { code: string; message: string }): Promise<StepOutcome> {
  const result = await deps.db.transaction().execute((trx) =>
    transition(trx, { id: m.id, from: [from], to: 'failed', event: `modification.${from}.failed`, actor: ACTOR, set: { error }, payload: { error } }),
  );
  await deleteBranch(deps.repo, result.modification);
  return outcomeOf(result.modification);
}

/** Deletes a finished modification's branch; a branch already gone is fine. */
export async function deleteBranch(repo: Repo, m: Modification): Promise<void> {
  const ref = toBranchRef(m.branch);
  const current = await readRef(repo.fs, repo.gitdir, ref);
  if (!current?.value) return;
  try {
    await casDeleteRef({ fs: repo.fs, gitdir: repo.gitdir, ref, expectedOld: current.value });
  } catch (error) {
    if (!isTetherError(error, 'REF_CHANGED')) throw error;
  }
}

/** A branch head left by an earlier attempt of this same modification, if any. */
async function ownEarlierCommit(repo: Repo, m: Modification): Promise<string | null> {
  const existing = await readRef(repo.fs, repo.gitdir, toBranchRef(m.branch));
  if (!existing?.value) return null;
  const { commit } = await git.readCommit({ fs: repo.fs, gitdir: repo.gitdir, oid: existing.value, cache: repo.cache });
  const ours = commit.parent[0] === m.baseCommit && commit.message.includes(`Tether-Modification: ${m.id}`);
  if (!ours) {
    throw new TetherError('REF_CHANGED', `Branch ${m.branch} exists and is not this modification's.`, { op: 'createBranch', branch: m.branch });
  }
  return existing.value;
}

export async function createBranch(deps: StepDeps, id: string): Promise<StepOutcome> {
  const m = await getModification(deps.db, id);
  if (m.state !== 'proposed') return outcomeOf(m);
  let head: string;
  try {
    head =
      (await ownEarlierCommit(deps.repo, m)) ??
      (
        await commitChanges({
          fs: deps.repo.fs,
          gitdir: deps.repo.gitdir,
          cache: deps.repo.cache,
          baseCommit: m.baseCommit!,
          branch: m.branch,
          changes: await storedChanges(deps.db, id),
          message: m.reason ? `${m.title}\n\n${m.reason}` : m.title,
          author: identity(m.author),
          trailers: { 'Tether-Goal': m.goalId, 'Tether-Modification': m.id },
          expectedOld: null,
          policy: deps.repo.policy,
        })
      ).commit;
  } catch (error) {
    if (!isTetherError(error)) throw error;
    return fail(deps, m, 'proposed', errorOf(error));
  }
  const result = await deps.db.transaction().execute((trx) =>
    transition(trx, { id, from: ['proposed'], to: 'branched', event: 'modification.branch', actor: ACTOR, set: { head_commit: head }, payload: { head } }),
  );
  // Withdrawn while the branch was being written: the branch goes with it.
  if (!result.applied && result.modification.state === 'abandoned') await deleteBranch(deps.repo, result.modification);
  return outcomeOf(result.modification);
}

export async function runBranchTests(deps: StepDeps, id: string): Promise<StepOutcome> {
  const m = await getModification(deps.db, id);
  if (m.state !== 'branched') return outcomeOf(m);
  let result;
  try {
    result = await deps.tests.run({ repo: deps.repo, commit: m.head!, baseCommit: m.baseCommit!, modificationId: id });
  } catch (error) {
    return fail(deps, m, 'branched', errorOf(error));
  }
  const passed = result.exitCode === 0 && !result.timedOut;
  const error = passed
    ? null
    : result.timedOut
      ? { code: 'TEST_TIMEOUT', message: `Tests did not finish within ${deps.repo.testTimeoutMs} ms.` }
      : { code: 'TESTS_FAILED', message: `Tests exited with ${result.exitCode}.` };
  const expiresAt = new Date(deps.now() + deps.repo.approvalTtlMs);
  const stored = await deps.db.transaction().execute((trx) =>
    transition(trx, {
      id,
      from: ['branched'],
      to: passed ? 'tested' : 'failed',
      event: 'modification.test',
      actor: ACTOR,
      set: { test_result: result, error, expires_at: passed ? expiresAt : null },
      payload: { exitCode: result.exitCode, durationMs: result.durationMs, timedOut: result.timedOut, head: m.head },
    }),
  );
  if (!passed) await deleteBranch(deps.repo, stored.modification);
  return outcomeOf(stored.modification, deps.now());
}

/**
 * A collaborative goal exists for the change an agent or person submitted: merging that
 * change achieves it. (Planned goals are achieved by their plan.)
 */
async function achieveCollaborativeGoal(trx: Transaction<Database>, goalId: string): Promise<void> {
  const goal = await trx.selectFrom('goals').select(['status', 'kind']).where('id', '=', goalId).executeTakeFirst();
  if (goal?.kind !== 'collaborative-change') return;
  if (goal.status === 'active') await transitionGoal(trx, goalId, { type: 'goal.start' }, { actor: ACTOR });
  if (goal.status === 'active' || goal.status === 'in_progress') await transitionGoal(trx, goalId, { type: 'goal.achieve' }, { actor: ACTOR });
}

/** The approval that licenses this merge, read back from the store: no merge without it. */
async function storedApproval(deps: StepDeps, m: Modification): Promise<string> {
  const approval = await deps.db
    .selectFrom('approvals')
    .select(['approver', 'head_commit'])
    .where('subject_kind', '=', 'modification')
    .where('subject_id', '=', m.id)
    .where('decision', '=', 'approve')
    .executeTakeFirst();
  if (!approval) throw new TetherError('INVALID_TRANSITION', `Modification ${m.id} has no recorded approval.`, { op: 'merge', id: m.id });
  if (approval.approver === m.author) {
    throw new TetherError('SELF_APPROVAL_FORBIDDEN', `The author of ${m.id} approved it.`, { op: 'merge', id: m.id });
  }
  if (approval.head_commit !== m.head) {
    throw new TetherError('STALE_APPROVAL', `The approval of ${m.id} is for another head.`, { op: 'merge', id: m.id });
  }
  return approval.approver;
}

const MERGE_ATTEMPTS = 3;

export async function mergeApproved(deps: StepDeps, id: string): Promise<StepOutcome> {
  const m = await getModification(deps.db, id);
  if (m.state !== 'approved') return outcomeOf(m);
  let approver: string;
  try {
    approver = await storedApproval(deps, m);
  } catch (error) {
    return fail(deps, m, 'approved', errorOf(error));
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const merge = () => mergeBranch({
        fs: deps.repo.fs,
        gitdir: deps.repo.gitdir,
        cache: deps.repo.cache,
        ref: m.targetRef,
        source: m.head!,
        message: `Merge ${m.branch}: ${m.title}`,
        author: identity(approver),
        trailers: { 'Tether-Goal': m.goalId, 'Tether-Modification': m.id, 'Tether-Approved-By': approver },
        ...(deps.repo.hasWorktree ? { worktree: { dir: deps.repo.dir } } : {}),
      });
      const merged = await (deps.exclusive ? deps.exclusive(`merge:${m.targetRef}`, merge) : merge());
      failpoint('modification.merge.before-record');
      const stored = await deps.db.transaction().execute(async (trx) => {
        const result = await transition(trx, {
          id,
          from: ['approved'],
          to: 'merged',
          event: 'modification.merge',
          actor: ACTOR,
          set: { merge_commit: merged.commit, error: null },
          payload: { mergeCommit: merged.commit, previous: merged.previous, approvedBy: approver, alreadyMerged: merged.alreadyMerged },
        });
        if (result.applied) await achieveCollaborativeGoal(trx, m.goalId);
        return result;
      });
      await deleteBranch(deps.repo, stored.modification);
      // The target moved: get the next base's sandbox ready while nobody waits for it.
      void deps.tests.prepare?.(deps.repo, merged.commit).catch(() => {});
      return outcomeOf(stored.modification);
    } catch (error) {
      if (isTetherError(error, 'REF_CHANGED') && attempt < MERGE_ATTEMPTS) continue;
      if (isTetherError(error, 'MERGE_CONFLICT')) {
        const paths = (error.data.paths as string[] | undefined) ?? [];
        const stored = await deps.db.transaction().execute((trx) =>
          transition(trx, {
            id,
            from: ['approved'],
            to: 'conflicted',
            event: 'modification.merge',
            actor: ACTOR,
            set: { conflict_paths: paths, error: errorOf(error) },
            payload: { paths },
          }),
        );
        await deleteBranch(deps.repo, stored.modification);
        return outcomeOf(stored.modification);
      }
      if (isTetherError(error, 'DIRTY_WORKTREE')) {
        // Still approved: the person cleans their tree and asks again.
        await deps.db.transaction().execute(async (trx) => {
          await trx.updateTable('modifications').set({ error: JSON.stringify(errorOf(error)) }).where('id', '=', id).execute();
          await appendEntry(trx, {
            actor: ACTOR,
            type: 'modification.merge_refused',
            subjects: { goal: m.goalId, modification: id },
            payload: { code: error.code, message: error.message, paths: error.data.paths ?? [] },
          });
        });
        return { state: 'approved', error: errorOf(error) };
      }
      if (isTetherError(error)) return fail(deps, m, 'approved', errorOf(error));
      throw error;
    }
  }
}

/** The deadline passed: abandoned, unless a person decided first. */
export async function expire(deps: StepDeps, id: string): Promise<StepOutcome> {
  const result = await deps.db.transaction().execute((trx) =>
    transition(trx, { id, from: ['tested'], to: 'abandoned', event: 'modification.expire', actor: ACTOR, payload: { reason: 'EXPIRED' } }),
  );
  if (result.applied) await deleteBranch(deps.repo, result.modification);
  return outcomeOf(result.modification);
}
