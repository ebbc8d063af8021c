/**
 * Re-queues a failed task with a fresh attempt budget, on a person's or the planner's
 * word (machines/task.ts: failed --task.retry--> queued). Anything but a failed task is
 * an INVALID_TRANSITION; a missing one is NOT_FOUND.
 */
import { sql } from 'kysely';
import { decideTransition } from './decide-transition.ts';
import { appendEntry } from '../ledger/append-entry.ts';
import { TetherError } from '../errors.ts';
import type { BackoffPolicy } from '../../machines/task.ts';
import { inTransaction, type DbOrTrx } from './in-transaction.ts';
import { taskSubjects } from './ledger-subjects.ts';
import { lockTask } from './locked-task.ts';
import type { QueuedTask } from './task-types.ts';

export interface RetryOptions {
  /** Who asked: a person's token name or an actor's systemId. */
  actor: string;
  /** Attempts granted on top of those spent (default: the task's original budget). */
  attempts?: number;
}

export async function retryTask(db: DbOrTrx, taskId: string, options: RetryOptions, backoff: BackoffPolicy): Promise<QueuedTask> {
  return inTransaction(db, async (trx) => {
    const task = await lockTask(trx, taskId);
    if (!task) throw new TetherError('NOT_FOUND', `Task ${taskId} does not exist.`, { taskId });
    const next = decideTransition(task, { type: 'task.retry', ...(options.attempts ? { maxAttempts: options.attempts } : {}) }, backoff);
    const result = await sql<{ priority: number }>`
      update tasks set status = ${next.status}, max_attempts = ${next.context.maxAttempts}, run_after = now(), updated_at = now()
       where id = ${taskId}
      returning priority`.execute(trx);
    await appendEntry(trx, {
      actor: options.actor,
      type: 'task.queued',
      subjects: taskSubjects(task),
      payload: { type: task.type, retry: true, attempts: task.attempts, maxAttempts: next.context.maxAttempts },
    });
    return { id: taskId, type: task.type, priority: result.rows[0]!.priority, maxAttempts: next.context.maxAttempts };
  });
}
