/**
 * Records a task's success, once. The update only matches while this worker's lease holds
 * (running, same owner, same attempt): a late completion from a worker whose lease expired
 * and was taken over matches nothing and is rejected, so a task is recorded done once.
 * One statement on the fast path; the reason for a rejection is read only when needed.
 */
import { sql } from 'kysely';
import { appendEntry } from '../ledger/append-entry.ts';
import { recordExecution } from '../history/record-execution.ts';
import { inTransaction, type DbOrTrx } from './in-transaction.ts';
import { SCHEDULER_ACTOR, taskSubjects } from './ledger-subjects.ts';
import { leaseProblem, lockTask } from './locked-task.ts';
import type { LeaseRef, Settlement } from './task-types.ts';

interface CompletedRow {
  type: string;
  goal_id: string | null;
  plan_id: string | null;
  started_at: Date;
  finished_at: Date;
}

export async function completeTask(db: DbOrTrx, lease: LeaseRef, result?: unknown): Promise<Settlement> {
  return inTransaction(db, async (trx) => {
    // machines/task.ts: running --task.succeed--> succeeded. The FROM subquery reads the
    // row as it was, so started_at is the lease time (updated_at before this update).
    const updated = await sql<CompletedRow>`
      update tasks as t
         set status = 'succeeded', result = ${JSON.stringify(result ?? null)}::jsonb, error = null,
             lease_owner = null, lease_expires_at = null, updated_at = now()
        from (select id, updated_at as started_at from tasks where id = ${lease.id} for update) as before
       where t.id = before.id and t.status = 'running' and t.lease_owner = ${lease.owner} and t.attempts = ${lease.attempt}
      returning t.type, t.goal_id, t.plan_id, before.started_at, now() as finished_at`.execute(trx);
    const row = updated.rows[0];
    if (!row) {
      return { taskId: lease.id, outcome: 'rejected', reason: leaseProblem(await lockTask(trx, lease.id), lease) ?? 'lease lost' };
    }
    const execution = await recordExecution(trx, {
      taskId: lease.id,
      type: row.type,
      goalId: row.goal_id,
      status: 'succeeded',
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    });
    await appendEntry(trx, {
      actor: SCHEDULER_ACTOR,
      type: 'task.succeeded',
      subjects: taskSubjects({ id: lease.id, goalId: row.goal_id, planId: row.plan_id }),
      payload: { type: row.type, attempt: lease.attempt, owner: lease.owner, durationMs: execution.durationMs },
    });
    return { taskId: lease.id, outcome: 'succeeded' };
  });
}
