/** A failed attempt of a locked task, as one task-history row (failTask and lease expiry alike). */
import type { Transaction } from 'kysely';
import { recordExecution } from '../history/record-execution.ts';
import type { Database } from '../store/schema.ts';
import type { LockedTask } from './locked-task.ts';
import type { TaskErrorInfo } from './task-types.ts';

export function recordFailedAttempt(trx: Transaction<Database>, task: LockedTask, error: TaskErrorInfo, finishedAt: Date) {
  return recordExecution(trx, {
    taskId: task.id,
    type: task.type,
    goalId: task.goalId,
    status: 'failed',
    errorClass: error.class,
    errorMessage: error.message,
    startedAt: task.startedAt,
    finishedAt,
  });
}
