/**
 * Puts tasks in the durable queue, each with its `task.queued` ledger entry, in the
 * caller's transaction when given one (a planner stores its plan and its tasks together).
 */
import { sql } from 'kysely';
import { appendEntry } from '../ledger/append-entry.ts';
import { newId } from '../ids.ts';
import { TetherError } from '../errors.ts';
import { inTransaction, type DbOrTrx } from './in-transaction.ts';
import { SCHEDULER_ACTOR, taskSubjects } from './ledger-subjects.ts';
import type { EnqueueInput, QueuedTask } from './task-types.ts';

function validate(input: EnqueueInput, index: number): void {
  const problems: string[] = [];
  if (typeof input.type !== 'string' || input.type.length === 0) problems.push('type is required');
  if (input.maxAttempts !== undefined && (!Number.isInteger(input.maxAttempts) || input.maxAttempts < 1)) {
    problems.push('maxAttempts must be an integer ≥ 1');
  }
  if (input.priority !== undefined && !Number.isInteger(input.priority)) problems.push('priority must be an integer');
  if (input.delayMs !== undefined && !(input.delayMs >= 0)) problems.push('delayMs must be ≥ 0');
  if (problems.length) {
    throw new TetherError('VALIDATION_FAILED', `enqueue: task ${index}: ${problems.join('; ')}`, { index, problems });
  }
}

/** Enqueues several tasks in one transaction; all or none are queued. */
export async function enqueueTasks(db: DbOrTrx, inputs: readonly EnqueueInput[]): Promise<QueuedTask[]> {
  inputs.forEach(validate);
  if (inputs.length === 0) return [];
  const rows = inputs.map((input) => ({
    id: input.id ?? newId('task'),
    goal_id: input.goalId ?? null,
    plan_id: input.planId ?? null,
    type: input.type,
    payload: JSON.stringify(input.payload ?? {}),
    status: 'queued',
    priority: input.priority ?? 0,
    attempts: 0,
    max_attempts: input.maxAttempts ?? 3,
    // Database time, like every other queue timestamp: process clocks may disagree.
    run_after: sql<Date>`now() + ${input.delayMs ?? 0} * interval '1 millisecond'`,
  }));
  return inTransaction(db, async (trx) => {
    await trx.insertInto('tasks').values(rows).execute();
    // Ledger last: its head row is the one lock every writer shares, so hold it briefly.
    for (const [i, row] of rows.entries()) {
      const input = inputs[i]!;
      await appendEntry(trx, {
        actor: SCHEDULER_ACTOR,
        type: 'task.queued',
        subjects: taskSubjects({ id: row.id, goalId: row.goal_id, planId: row.plan_id }),
        payload: { type: row.type, priority: row.priority, maxAttempts: row.max_attempts, ...(input.delayMs ? { delayMs: input.delayMs } : {}) },
      });
    }
    return rows.map((row) => ({ id: row.id, type: row.type, priority: row.priority, maxAttempts: row.max_attempts }));
  });
}

/** Enqueues one task with its `task.queued` ledger entry. */
export async function enqueueTask(db: DbOrTrx, input: EnqueueInput): Promise<QueuedTask> {
  const [task] = await enqueueTasks(db, [input]);
  return task!;
}
