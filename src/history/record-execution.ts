/**
 * Task history: one row per task execution. The scheduler calls this when a task run
 * ends; tests call it directly. A caller inside a transaction passes its transaction, so
 * the history row commits with the task's state change.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { TetherError } from '../errors.ts';
import type { Database } from '../store/schema.ts';

export type ExecutionStatus = 'succeeded' | 'failed';

export interface ExecutionInput {
  /** The task that ran. */
  taskId: string;
  /** The task type detectors group by, e.g. `code.test`. */
  type: string;
  /** The goal the task served, if any. */
  goalId?: string | null;
  status: ExecutionStatus;
  /** The error's class or code when the run failed, e.g. `TimeoutError`. */
  errorClass?: string | null;
  /** The error's message as thrown; detectors normalize it for grouping. */
  errorMessage?: string | null;
  /** When the run started; defaults to `finishedAt`. */
  startedAt?: Date | string;
  /**
   * When the run ended; defaults to the database's `now()`, so windows measured in
   * database time agree with rows stamped by it whatever the process clock says.
   */
  finishedAt?: Date | string;
}

export interface RecordedExecution {
  /** The row's id: monotonically assigned, the detectors' watermark unit. */
  id: number;
  finishedAt: Date;
  durationMs: number;
}

const STATUSES: readonly string[] = ['succeeded', 'failed'];

function validate(input: ExecutionInput): void {
  const problems: string[] = [];
  if (!input.taskId) problems.push('taskId is required');
  if (!input.type) problems.push('type is required');
  if (!STATUSES.includes(input.status)) problems.push(`status must be succeeded or failed, not ${String(input.status)}`);
  for (const key of ['startedAt', 'finishedAt'] as const) {
    const value = input[key];
    if (value !== undefined && Number.isNaN(new Date(value).getTime())) problems.push(`${key} is not a date`);
  }
  if (problems.length) {
    throw new TetherError('VALIDATION_FAILED', `recordExecution: ${problems.join('; ')}`, { problems });
  }
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

export async function recordExecution(
  db: Kysely<Database> | Transaction<Database>,
  input: ExecutionInput,
): Promise<RecordedExecution> {
  validate(input);
  const finished = input.finishedAt === undefined ? sql<Date>`now()` : sql<Date>`${iso(input.finishedAt)}::timestamptz`;
  const started = input.startedAt === undefined ? finished : sql<Date>`${iso(input.startedAt)}::timestamptz`;
  // One statement computes the duration from the stored timestamps, so a defaulted
  // finish time and the duration always agree.
  const result = await sql<{ id: string; finished_at: Date; duration_ms: number }>`
    insert into task_executions
      (task_id, type, goal_id, status, error_class, error_message, started_at, finished_at, duration_ms)
    select ${input.taskId}, ${input.type}, ${input.goalId ?? null}, ${input.status},
           ${input.errorClass ?? null}, ${input.errorMessage ?? null}, s, f,
           greatest(0, extract(epoch from (f - s)) * 1000)
      from (select ${started} as s, ${finished} as f) as t
    returning id, finished_at, duration_ms`.execute(db);
  const row = result.rows[0]!;
  return { id: Number(row.id), finishedAt: new Date(row.finished_at), durationMs: Number(row.duration_ms) };
}
