/**
 * Leases up to `limit` ready tasks to one worker. `FOR UPDATE SKIP LOCKED` lets workers in
 * other transactions, connections or processes lease at the same moment without waiting
 * for each other and without ever picking the same row; the update then marks the rows
 * running under this worker's name. All times are the database's, so workers whose
 * clocks disagree still agree on which leases ran out.
 */
import { sql } from 'kysely';
import { appendEntry } from '../ledger/append-entry.ts';
import { TetherError } from '../errors.ts';
import { inTransaction, type DbOrTrx } from './in-transaction.ts';
import { SCHEDULER_ACTOR, taskSubjects } from './ledger-subjects.ts';
import type { LeasedTask } from './task-types.ts';

interface LeasedRow {
  id: string;
  type: string;
  payload: Record<string, unknown> | string;
  goal_id: string | null;
  plan_id: string | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  run_after: Date;
  created_at: Date;
  leased_at: Date;
  lease_expires_at: Date;
}

export interface LeaseOptions {
  /** Lease only these task types (a worker that handles only some). */
  types?: readonly string[];
}

export async function leaseTasks(db: DbOrTrx, owner: string, limit: number, leaseMs: number, options: LeaseOptions = {}): Promise<LeasedTask[]> {
  if (!owner) throw new TetherError('VALIDATION_FAILED', 'lease: a worker id is required', {});
  if (!(leaseMs > 0)) throw new TetherError('VALIDATION_FAILED', 'lease: leaseMs must be > 0', { leaseMs });
  if (!(limit > 0) || options.types?.length === 0) return [];
  const typeFilter = options.types ? sql`and type in (${sql.join(options.types.map((t) => sql`${t}`))})` : sql``;
  return inTransaction(db, async (trx) => {
    // The order is the machine's "queued" pick order: priority, then due time, then age.
    // The update, not the CTE, is the transition queued → running (machines/task.ts:
    // task.lease counts an attempt).
    const result = await sql<LeasedRow>`
      with picked as (
        select id from tasks
        where status = 'queued' and run_after <= now() ${typeFilter}
        order by priority desc, run_after, created_at, id
        limit ${Math.floor(limit)}
        for update skip locked
      )
      update tasks as t
         set status = 'running',
             lease_owner = ${owner},
             lease_expires_at = now() + ${leaseMs} * interval '1 millisecond',
             attempts = t.attempts + 1,
             updated_at = now()
        from picked
       where t.id = picked.id
      returning t.id, t.type, t.payload, t.goal_id, t.plan_id, t.priority, t.attempts, t.max_attempts,
                t.run_after, t.created_at, now() as leased_at, t.lease_expires_at`.execute(trx);
    const rows = result.rows.sort(
      (a, b) =>
        b.priority - a.priority ||
        +new Date(a.run_after) - +new Date(b.run_after) ||
        +new Date(a.created_at) - +new Date(b.created_at) ||
        (a.id < b.id ? -1 : 1),
    );
    const tasks = rows.map(
      (row): LeasedTask => ({
        id: row.id,
        type: row.type,
        payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
        goalId: row.goal_id,
        planId: row.plan_id,
        priority: row.priority,
        attempt: row.attempts,
        maxAttempts: row.max_attempts,
        owner,
        startedAt: new Date(row.leased_at),
        leaseExpiresAt: new Date(row.lease_expires_at),
      }),
    );
    for (const task of tasks) {
      await appendEntry(trx, {
        actor: SCHEDULER_ACTOR,
        type: 'task.started',
        subjects: taskSubjects(task),
        payload: { type: task.type, attempt: task.attempt, owner, leaseExpiresAt: task.leaseExpiresAt.toISOString() },
      });
    }
    return tasks;
  });
}
