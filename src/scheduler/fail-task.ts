/**
 * Records a failed attempt: task history gets a row for every attempt (the detectors count
 * them), and the task statechart decides between a retry after backoff and failing for
 * good. Rejected, with nothing written, when the lease no longer holds.
 */
import { sql } from 'kysely';
import { decideTransition } from './decide-transition.ts';
import { appendEntry } from '../ledger/append-entry.ts';
import { recordFailedAttempt } from './record-failed-attempt.ts';
import type { BackoffPolicy } from '../../machines/task.ts';
import { inTransaction, type DbOrTrx } from './in-transaction.ts';
import { SCHEDULER_ACTOR, taskSubjects } from './ledger-subjects.ts';
import { leaseProblem, lockTask } from './locked-task.ts';
import type { LeaseRef, Settlement, TaskErrorInfo } from './task-types.ts';

export async function failTask(db: DbOrTrx, lease: LeaseRef, error: TaskErrorInfo, backoff: BackoffPolicy): Promise<Settlement> {
  return inTransaction(db, async (trx) => {
    const task = await lockTask(trx, lease.id);
    const problem = leaseProblem(task, lease);
    if (problem || !task) return { taskId: lease.id, outcome: 'rejected', reason: problem };
    const next = decideTransition(task, { type: 'task.fail', error }, backoff);
    const errorJson = JSON.stringify({ class: error.class, message: error.message });
    const delayMs = next.context.retryDelayMs ?? 0;
    const runAfter = next.status === 'queued' ? sql`now() + ${delayMs} * interval '1 millisecond'` : sql`run_after`;
    const done = await sql<{ finished_at: Date }>`
      update tasks
         set status = ${next.status}, error = ${errorJson}::jsonb, lease_owner = null, lease_expires_at = null,
             run_after = ${runAfter},
             updated_at = now()
       where id = ${lease.id}
      returning now() as finished_at`.execute(trx);
    const finishedAt = done.rows[0]!.finished_at;
    await recordFailedAttempt(trx, task, error, finishedAt);
    const retrying = next.status === 'queued';
    await appendEntry(trx, {
      actor: SCHEDULER_ACTOR,
      type: retrying ? 'task.retry_scheduled' : 'task.failed',
      subjects: taskSubjects(task),
      payload: {
        type: task.type,
        attempt: task.attempts,
        maxAttempts: task.maxAttempts,
        owner: lease.owner,
        error: { class: error.class, message: error.message },
        ...(retrying ? { delayMs, runAfter: new Date(new Date(finishedAt).getTime() + delayMs).toISOString() } : {}),
      },
    });
    return retrying ? { taskId: lease.id, outcome: 'retry_scheduled', retryDelayMs: delayMs } : { taskId: lease.id, outcome: 'failed' };
  });
}
