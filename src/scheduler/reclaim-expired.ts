/**
 * Takes back leases whose runner went silent past its lease (it died, or lost the
 * database): the task is queued again at once, or fails when its attempts are spent
 * (machines/task.ts: task.expire). Any worker may reclaim any lease; SKIP LOCKED keeps two
 * reclaimers, or a reclaimer and a late completion, from deciding the same row twice.
 *
 * A requeued expiry is written to the ledger only: the attempt never finished, and counting
 * it as a task failure would let a crashed process make detectors blame the task. An
 * expiry that fails the task is a failed execution in history (LEASE_EXPIRED).
 */
import { sql } from 'kysely';
import { decideTransition } from './decide-transition.ts';
import { appendEntry } from '../ledger/append-entry.ts';
import { recordFailedAttempt } from './record-failed-attempt.ts';
import type { BackoffPolicy } from '../../machines/task.ts';
import { inTransaction, type DbOrTrx } from './in-transaction.ts';
import { SCHEDULER_ACTOR, taskSubjects } from './ledger-subjects.ts';
import { lockRunning } from './locked-task.ts';
import type { Reclaimed } from './task-types.ts';

export async function reclaimExpired(db: DbOrTrx, backoff: BackoffPolicy, limit = 100): Promise<Reclaimed[]> {
  return inTransaction(db, async (trx) => {
    const tasks = await lockRunning(trx, sql`lease_expires_at < now()`, limit);
    const results: Reclaimed[] = [];
    for (const task of tasks) {
      const next = decideTransition(task, { type: 'task.expire' }, backoff);
      const error = next.context.error!;
      const done = await sql<{ finished_at: Date }>`
        update tasks
           set status = ${next.status}, error = ${JSON.stringify(error)}::jsonb, lease_owner = null, lease_expires_at = null,
               run_after = now(), updated_at = now()
         where id = ${task.id}
        returning now() as finished_at`.execute(trx);
      const requeued = next.status === 'queued';
      await appendEntry(trx, {
        actor: SCHEDULER_ACTOR,
        type: 'task.lease_expired',
        subjects: taskSubjects(task),
        payload: { type: task.type, attempt: task.attempts, owner: task.owner, outcome: requeued ? 'requeued' : 'failed' },
      });
      if (!requeued) {
        await recordFailedAttempt(trx, task, error, done.rows[0]!.finished_at);
        await appendEntry(trx, {
          actor: SCHEDULER_ACTOR,
          type: 'task.failed',
          subjects: taskSubjects(task),
          payload: { type: task.type, attempt: task.attempts, maxAttempts: task.maxAttempts, owner: task.owner, error },
        });
      }
      results.push({ taskId: task.id, owner: task.owner, outcome: requeued ? 'requeued' : 'failed' });
    }
    return results;
  });
}
