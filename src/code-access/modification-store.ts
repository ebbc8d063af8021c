/**
 * Modifications in the store. Every state change is a conditional update (it applies only
 * from the state the caller saw), written with its history row and its ledger entry in one
 * transaction, so a lost race changes nothing and state and ledger always agree.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { appendEntry } from '../ledger/append-entry.ts';
import { TetherError } from '../errors.ts';
import { failpoint } from '../faults/failpoint.ts';
import type { Database, ModificationRow } from '../store/schema.ts';
import { OPEN_STATES, type ModificationState } from '../../machines/modification.ts';
import type { FileChange } from '../git/commit-changes.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface TestResult {
  exitCode: number | null;
  durationMs: number;
  outputTail: string;
  timedOut: boolean;
  command: string | null;
}

export interface Modification {
  id: string;
  goalId: string;
  title: string;
  reason: string;
  author: string;
  state: ModificationState;
  branch: string;
  targetRef: string;
  baseCommit: string | null;
  head: string | null;
  mergeCommit: string | null;
  files: string[];
  testResult: TestResult | null;
  conflictPaths: string[] | null;
  error: { code: string; message: string } | null;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toModification(row: ModificationRow): Modification {
  return {
    id: row.id,
    goalId: row.goal_id,
    title: row.title,
    reason: row.reason,
    author: row.author,
    state: row.state as ModificationState,
    branch: row.branch,
    targetRef: row.target_ref,
    baseCommit: row.base_commit,
    head: row.head_commit,
    mergeCommit: row.merge_commit,
    files: row.files as unknown as string[],
    testResult: row.test_result as unknown as TestResult | null,
    conflictPaths: row.conflict_paths as unknown as string[] | null,
    error: row.error as unknown as Modification['error'],
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The stored changes of a modification, to (re)build its branch. */
export async function storedChanges(db: Db, id: string): Promise<FileChange[]> {
  const row = await db.selectFrom('modifications').select('changes').where('id', '=', id).executeTakeFirstOrThrow();
  return row.changes as unknown as FileChange[];
}

export async function findModification(db: Db, id: string): Promise<Modification | undefined> {
  const row = await db.selectFrom('modifications').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toModification(row) : undefined;
}

export async function getModification(db: Db, id: string): Promise<Modification> {
  const found = await findModification(db, id);
  if (!found) throw new TetherError('NOT_FOUND', `No modification ${id}.`, { id });
  return found;
}

export async function listModifications(
  db: Db,
  filter: { state?: string; goalId?: string; limit?: number; offset?: number } = {},
): Promise<Modification[]> {
  let query = db.selectFrom('modifications').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.goalId) query = query.where('goal_id', '=', filter.goalId);
  const rows = await query.limit(filter.limit ?? 100).offset(filter.offset ?? 0).execute();
  return rows.map(toModification);
}

export async function countOpen(db: Db): Promise<number> {
  const row = await db
    .selectFrom('modifications')
    .select(sql<string>`count(*)`.as('n'))
    .where('state', 'in', [...OPEN_STATES])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function history(db: Db, id: string) {
  return db
    .selectFrom('modification_history')
    .select(['from_state', 'to_state', 'event', 'actor', 'at'])
    .where('modification_id', '=', id)
    .orderBy('id')
    .execute();
}

export interface NewModification {
  id: string;
  goalId: string;
  title: string;
  reason: string;
  author: string;
  branch: string;
  targetRef: string;
  baseCommit: string;
  changes: FileChange[];
  files: string[];
}

export async function insertModification(trx: Transaction<Database>, m: NewModification): Promise<void> {
  await trx
    .insertInto('modifications')
    .values({
      id: m.id,
      goal_id: m.goalId,
      title: m.title,
      reason: m.reason,
      author: m.author,
      state: 'proposed',
      branch: m.branch,
      target_ref: m.targetRef,
      base_commit: m.baseCommit,
      head_commit: null,
      merge_commit: null,
      changes: JSON.stringify(m.changes),
      files: JSON.stringify(m.files),
      test_result: null,
      conflict_paths: null,
      error: null,
      expires_at: null,
      lease_owner: null,
      lease_expires_at: null,
    })
    .execute();
  await trx
    .insertInto('modification_history')
    .values({ modification_id: m.id, from_state: null, to_state: 'proposed', event: 'modification.propose', actor: m.author })
    .execute();
  await appendEntry(trx, {
    actor: m.author,
    type: 'modification.proposed',
    subjects: { goal: m.goalId, modification: m.id },
    payload: { title: m.title, branch: m.branch, base: m.baseCommit, files: m.files },
  });
}

export interface Transition {
  id: string;
  /** The states the change may start from; anything else is a lost race. */
  from: readonly ModificationState[];
  to: ModificationState;
  event: string;
  actor: string;
  set?: Partial<{
    head_commit: string | null;
    base_commit: string | null;
    merge_commit: string | null;
    test_result: TestResult | null;
    conflict_paths: string[] | null;
    error: { code: string; message: string } | null;
    expires_at: Date | null;
  }>;
  payload?: Record<string, unknown>;
}

/**
 * Applies a transition if the modification is still in one of `from`. Returns the stored
 * modification afterwards and whether this call changed it.
 */
export async function transition(trx: Transaction<Database>, t: Transition): Promise<{ applied: boolean; modification: Modification }> {
  const current = await trx.selectFrom('modifications').selectAll().where('id', '=', t.id).forUpdate().executeTakeFirst();
  if (!current) throw new TetherError('NOT_FOUND', `No modification ${t.id}.`, { id: t.id });
  if (!t.from.includes(current.state as ModificationState)) return { applied: false, modification: toModification(current) };
  const set: Record<string, unknown> = { state: t.to, updated_at: new Date().toISOString() };
  for (const [key, value] of Object.entries(t.set ?? {})) {
    set[key] = value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value;
  }
  const row = await trx.updateTable('modifications').set(set).where('id', '=', t.id).returningAll().executeTakeFirstOrThrow();
  await trx
    .insertInto('modification_history')
    .values({ modification_id: t.id, from_state: current.state, to_state: t.to, event: t.event, actor: t.actor })
    .execute();
  await appendEntry(trx, {
    actor: t.actor,
    type: `modification.${t.to}`,
    subjects: { goal: current.goal_id, modification: t.id },
    payload: { from: current.state, event: t.event, ...(t.payload ?? {}) },
  });
  failpoint('modification.transition.before-commit');
  return { applied: true, modification: toModification(row) };
}
