/**
 * The one schema every backend shares. Column types are PostgreSQL's (PGlite speaks the
 * same SQL), so one set of migrations serves the embedded store and a PostgreSQL server.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A timestamp column: written as Date or ISO string, read as Date. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A JSON column: PostgreSQL returns jsonb parsed. */
export type Json<T = unknown> = ColumnType<T, string, string>;

export interface LedgerEntriesTable {
  seq: ColumnType<string | number, number, never>;
  at: Timestamp;
  actor: string;
  type: string;
  /** The entry's main subject id (goal, modification, task …), for reads by subject. */
  subject: string | null;
  /** All subject ids by kind, e.g. {"goal":"g1","modification":"m1"}. */
  subjects: Json<Record<string, string>>;
  payload: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
}

/** The single row that serializes appenders: the chain's head. */
export interface LedgerHeadTable {
  id: ColumnType<number, number, never>;
  seq: ColumnType<string | number, number, number>;
  hash: string;
}

export interface GoalsTable {
  id: string;
  title: string;
  description: string;
  kind: string;
  status: string;
  source: string;
  created_by: string;
  proposal_id: string | null;
  auto_approved: boolean;
  priority: number;
  evidence: Json<Record<string, unknown>>;
  fingerprint: string | null;
  detector: string | null;
  confidence: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GoalProposalsTable {
  id: string;
  detector: string;
  fingerprint: string;
  confidence: number;
  outcome: string;
  reason: string;
  goal_id: string | null;
  finding: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface TasksTable {
  id: string;
  goal_id: string | null;
  plan_id: string | null;
  type: string;
  payload: Json<Record<string, unknown>>;
  status: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  run_after: Timestamp;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  result: Json<unknown> | null;
  error: Json<Record<string, unknown>> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TaskExecutionsTable {
  id: Generated<string>;
  task_id: string;
  type: string;
  goal_id: string | null;
  status: string;
  error_class: string | null;
  error_message: string | null;
  started_at: Timestamp;
  finished_at: Timestamp;
  duration_ms: number;
}

export interface PlansTable {
  id: string;
  goal_id: string;
  method: string;
  steps: Json<unknown[]>;
  status: string;
  attempt: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ModificationsTable {
  id: string;
  goal_id: string;
  title: string;
  reason: string;
  author: string;
  state: string;
  branch: string;
  target_ref: string;
  base_commit: string | null;
  head_commit: string | null;
  merge_commit: string | null;
  /** The requested changes, kept so a restart can redo the branch step. */
  changes: Json<unknown[]>;
  files: Json<string[]>;
  test_result: Json<Record<string, unknown>> | null;
  conflict_paths: Json<string[]> | null;
  error: Json<Record<string, unknown>> | null;
  expires_at: Date | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ModificationHistoryTable {
  id: Generated<string>;
  modification_id: string;
  from_state: string | null;
  to_state: string;
  event: string;
  actor: string;
  at: Timestamp;
}

export interface ApprovalsTable {
  id: string;
  subject_kind: string;
  subject_id: string;
  decision: string;
  approver: string;
  head_commit: string | null;
  comment: string | null;
  at: Timestamp;
}

export interface IdempotencyKeysTable {
  key: string;
  principal: string;
  request_hash: string;
  status: number;
  response: Json<unknown>;
  created_at: Timestamp;
}

export interface DetectorWatermarksTable {
  detector: string;
  watermark: ColumnType<string | number, number, number>;
  updated_at: Timestamp;
}

export interface Database {
  ledger_entries: LedgerEntriesTable;
  ledger_head: LedgerHeadTable;
  goals: GoalsTable;
  goal_proposals: GoalProposalsTable;
  tasks: TasksTable;
  task_executions: TaskExecutionsTable;
  plans: PlansTable;
  modifications: ModificationsTable;
  modification_history: ModificationHistoryTable;
  approvals: ApprovalsTable;
  idempotency_keys: IdempotencyKeysTable;
  detector_watermarks: DetectorWatermarksTable;
}

export type GoalRow = Selectable<GoalsTable>;
export type NewGoalRow = Insertable<GoalsTable>;
export type GoalUpdate = Updateable<GoalsTable>;
export type TaskRow = Selectable<TasksTable>;
export type ModificationRow = Selectable<ModificationsTable>;
export type LedgerEntryRow = Selectable<LedgerEntriesTable>;
