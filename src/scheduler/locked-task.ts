/**
 * Reads a task under its row lock, so the decision taken on it (retry or fail, requeue)
 * cannot race another worker's. Also checks that a lease still holds.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { LeaseRef } from './task-types.ts';

export interface LockedTask {
  id: string;
  type: string;
  goalId: string | null;
  planId: string | null;
  status: string;
  attempts: number;
  maxAttempts: number;
  owner: string | null;
  /** When the current attempt started: a lease sets updated_at, heartbeats leave it. */
  startedAt: Date;
}

interface Row {
  id: string;
  type: string;
  goal_id: string | null;
  plan_id: string | null;
  status: string;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  updated_at: Date;
}

function toLocked(row: Row): LockedTask {
  return {
    id: row.id,
    type: row.type,
    goalId: row.goal_id,
    planId: row.plan_id,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    owner: row.lease_owner,
    startedAt: new Date(row.updated_at),
  };
}

const COLUMNS = sql`id, type, goal_id, plan_id, status, attempts, max_attempts, lease_owner, updated_at`;

export async function lockTask(trx: Transaction<Database>, taskId: string): Promise<LockedTask | undefined> {
  const result = await sql<Row>`select ${COLUMNS} from tasks where id = ${taskId} for update`.execute(trx);
  return result.rows[0] && toLocked(result.rows[0]);
}

/** Locks running tasks matching `where`, skipping rows another transaction is settling. */
export async function lockRunning(trx: Transaction<Database>, where: ReturnType<typeof sql>, limit: number): Promise<LockedTask[]> {
  const result = await sql<Row>`
    select ${COLUMNS} from tasks
     where status = 'running' and ${where}
     order by lease_expires_at, id
     limit ${limit}
     for update skip locked`.execute(trx);
  return result.rows.map(toLocked);
}

/** Why a lease no longer holds, or undefined when it does. */
export function leaseProblem(task: LockedTask | undefined, lease: LeaseRef): string | undefined {
  if (!task) return `task ${lease.id} does not exist`;
  if (task.status !== 'running') return `task ${lease.id} is ${task.status}`;
  if (task.owner !== lease.owner || task.attempts !== lease.attempt) {
    return `the lease of attempt ${lease.attempt} by ${lease.owner} was taken over (now attempt ${task.attempts} by ${task.owner ?? 'nobody'})`;
  }
  return undefined;
}
