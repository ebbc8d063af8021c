/**
 * Gives leases back unfinished, for a worker that shuts down: the task is queued again at
 * once and the attempt does not count (machines/task.ts: task.release). A handler still
 * running finds its lease gone; its late completion is rejected.
 */
import { sql } from 'kysely';
import { decideTransition } from './decide-transition.ts';
import { appendEntry } from '../ledger/append-entry.ts';
import type { BackoffPolicy } from '../../machines/task.ts';
import { inTransaction, type DbOrTrx } from './in-transaction.ts';
import { SCHEDULER_ACTOR, taskSubjects } from './ledger-subjects.ts';
import { leaseProblem, lockRunning, lockTask, type LockedTask } from './locked-task.ts';
import type { LeaseRef, Settlement } from './task-types.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

async function release(trx: Transaction<Database>, task: LockedTask, backoff: BackoffPolicy): Promise<Settlement> {
  const next = decideTransition(task, { type: 'task.release' }, backoff);
  await sql`
    update tasks
       set status = ${next.status}, attempts = ${next.context.attempts}, lease_owner = null, lease_expires_at = null,
           run_after = now(), updated_at = now()
     where id = ${task.id}`.execute(trx);
  await appendEntry(trx, {
    actor: SCHEDULER_ACTOR,
    type: 'task.released',
    subjects: taskSubjects(task),
    payload: { type: task.type, attempt: task.attempts, owner: task.owner },
  });
  return { taskId: task.id, outcome: 'released' };
}

/** Releases one lease; rejected when it no longer holds. */
export async function releaseTask(db: DbOrTrx, lease: LeaseRef, backoff: BackoffPolicy): Promise<Settlement> {
  return inTransaction(db, async (trx) => {
    const task = await lockTask(trx, lease.id);
    const problem = leaseProblem(task, lease);
    if (problem || !task) return { taskId: lease.id, outcome: 'rejected', reason: problem };
    return release(trx, task, backoff);
  });
}

/**
 * Releases every lease `owner` holds. Rows locked by a completion in progress are skipped:
 * that task is being finished, which is as good as released.
 */
export async function releaseLeases(db: DbOrTrx, owner: string, backoff: BackoffPolicy, limit = 1_000): Promise<Settlement[]> {
  return inTransaction(db, async (trx) => {
    const tasks = await lockRunning(trx, sql`lease_owner = ${owner}`, limit);
    const results: Settlement[] = [];
    for (const task of tasks) results.push(await release(trx, task, backoff));
    return results;
  });
}
