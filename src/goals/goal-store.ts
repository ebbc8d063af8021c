/**
 * Goals in the store. Every write runs in one transaction with its ledger entry, and every
 * status change is first put to the goal statechart (machines/goal.ts): the store never
 * decides on its own which transitions exist.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { transition } from 'xstate';
import { TetherError } from '../errors.ts';
import { newId } from '../ids.ts';
import { appendEntry } from '../ledger/append-entry.ts';
import type { Database, GoalRow } from '../store/schema.ts';
import { GOAL_STATUSES, goalMachine, type GoalEvent, type GoalStatus } from '../../machines/goal.ts';

export type { GoalEvent, GoalStatus } from '../../machines/goal.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type GoalSource = 'user' | 'system' | 'collaborative';
export const GOAL_SOURCES: readonly GoalSource[] = ['user', 'system', 'collaborative'];

export interface Goal {
  id: string;
  title: string;
  description: string;
  /** What kind of work, e.g. `fix-task-failure`: the planner picks its method by kind. */
  kind: string;
  status: GoalStatus;
  source: GoalSource;
  /** A person's or agent's name, or the detector's for system goals. */
  createdBy: string;
  /** The goal proposal it came from (system goals). */
  proposalId: string | null;
  /** True when it became active without a person's decision. */
  autoApproved: boolean;
  priority: number;
  evidence: Record<string, unknown>;
  fingerprint: string | null;
  detector: string | null;
  confidence: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewGoal {
  title: string;
  description?: string;
  kind: string;
  source: GoalSource;
  createdBy: string;
  /** `proposed` (default: waits for a person) or `active`. */
  status?: 'proposed' | 'active';
  proposalId?: string | null;
  autoApproved?: boolean;
  priority?: number;
  evidence?: Record<string, unknown>;
  fingerprint?: string | null;
  detector?: string | null;
  confidence?: number | null;
  /** The id to use; generated when absent. */
  id?: string;
}

export interface GoalFilter {
  status?: GoalStatus | GoalStatus[];
  source?: GoalSource;
  limit?: number;
  offset?: number;
}

export interface Decision {
  /** The person deciding. */
  approver: string;
  comment?: string;
}

/** Runs `fn` in the caller's transaction, or in a new one. */
export function inTransaction<T>(db: Db, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Database>) : (db as Kysely<Database>).transaction().execute(fn);
}

export function toGoal(row: GoalRow): Goal {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    kind: row.kind,
    status: row.status as GoalStatus,
    source: row.source as GoalSource,
    createdBy: row.created_by,
    proposalId: row.proposal_id,
    autoApproved: row.auto_approved,
    priority: row.priority,
    evidence: (row.evidence ?? {}) as Record<string, unknown>,
    fingerprint: row.fingerprint,
    detector: row.detector,
    confidence: row.confidence === null ? null : Number(row.confidence),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function validateNewGoal(input: NewGoal): void {
  const problems: string[] = [];
  if (!input.title?.trim()) problems.push('title is required');
  if (!input.kind?.trim()) problems.push('kind is required');
  if (!input.createdBy?.trim()) problems.push('createdBy is required');
  if (!GOAL_SOURCES.includes(input.source)) problems.push('source must be user, system or collaborative');
  if (input.status !== undefined && input.status !== 'proposed' && input.status !== 'active') {
    problems.push('a new goal is proposed or active');
  }
  if (input.autoApproved && input.status !== 'active') problems.push('an auto-approved goal starts active');
  if (input.priority !== undefined && !Number.isInteger(input.priority)) problems.push('priority must be an integer');
  if (problems.length) throw new TetherError('VALIDATION_FAILED', `Invalid goal: ${problems.join('; ')}`, { problems });
}

/** Creates a goal with its `goal.created` ledger entry, in the caller's transaction if any. */
export async function createGoal(db: Db, input: NewGoal, options: { actor?: string } = {}): Promise<Goal> {
  validateNewGoal(input);
  return inTransaction(db, async (trx) => {
    const row = await trx
      .insertInto('goals')
      .values({
        id: input.id ?? newId('goal'),
        title: input.title.trim(),
        description: input.description ?? '',
        kind: input.kind.trim(),
        status: input.status ?? 'proposed',
        source: input.source,
        created_by: input.createdBy,
        proposal_id: input.proposalId ?? null,
        auto_approved: input.autoApproved ?? false,
        priority: input.priority ?? 0,
        evidence: JSON.stringify(input.evidence ?? {}),
        fingerprint: input.fingerprint ?? null,
        detector: input.detector ?? null,
        confidence: input.confidence ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const goal = toGoal(row);
    await appendEntry(trx, {
      actor: options.actor ?? input.createdBy,
      type: 'goal.created',
      subjects: { goal: goal.id, ...(goal.proposalId ? { proposal: goal.proposalId } : {}) },
      payload: {
        title: goal.title,
        kind: goal.kind,
        status: goal.status,
        source: goal.source,
        createdBy: goal.createdBy,
        autoApproved: goal.autoApproved,
        priority: goal.priority,
        fingerprint: goal.fingerprint,
        detector: goal.detector,
        confidence: goal.confidence,
      },
    });
    return goal;
  });
}

export async function findGoal(db: Db, id: string): Promise<Goal | undefined> {
  const row = await db.selectFrom('goals').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toGoal(row) : undefined;
}

/** The goal, or NOT_FOUND. */
export async function getGoal(db: Db, id: string): Promise<Goal> {
  const goal = await findGoal(db, id);
  if (!goal) throw new TetherError('NOT_FOUND', `No goal ${id}`, { goal: id });
  return goal;
}

/** Goals, newest first, optionally filtered by status (one or several) and source. */
export async function listGoals(db: Db, filter: GoalFilter = {}): Promise<Goal[]> {
  const statuses = filter.status === undefined ? undefined : Array.isArray(filter.status) ? filter.status : [filter.status];
  for (const s of statuses ?? []) {
    if (!GOAL_STATUSES.includes(s)) {
      throw new TetherError('VALIDATION_FAILED', `Unknown goal status ${s}`, { status: s, allowed: GOAL_STATUSES });
    }
  }
  let query = db.selectFrom('goals').selectAll();
  if (statuses) query = statuses.length ? query.where('status', 'in', statuses) : query.where(sql<boolean>`false`);
  if (filter.source) query = query.where('source', '=', filter.source);
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 100)
    .offset(filter.offset ?? 0)
    .execute();
  return rows.map(toGoal);
}

/** The ledger entry type each event writes. */
const ENTRY_TYPE: Record<GoalEvent['type'], string> = {
  'goal.approve': 'goal.approved',
  'goal.reject': 'goal.rejected',
  'goal.start': 'goal.started',
  'goal.achieve': 'goal.achieved',
  'goal.fail': 'goal.failed',
  'goal.abandon': 'goal.abandoned',
};

/** Asks the statechart where `event` takes a goal in `status`; undefined when nowhere. */
export function nextGoalStatus(status: GoalStatus, event: GoalEvent, autoApproved = false): GoalStatus | undefined {
  const snapshot = goalMachine.resolveState({
    value: status,
    context: { autoApproved, decidedBy: null, reason: null },
  });
  const [next] = transition(goalMachine, snapshot, event);
  return next.value === snapshot.value ? undefined : (next.value as GoalStatus);
}

async function applyEvent(
  trx: Transaction<Database>,
  id: string,
  event: GoalEvent,
  actor: string,
): Promise<{ goal: Goal; from: GoalStatus }> {
  // The row lock serializes racing transitions of one goal: the second sees the first's result.
  const row = await trx.selectFrom('goals').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw new TetherError('NOT_FOUND', `No goal ${id}`, { goal: id });
  const from = row.status as GoalStatus;
  const to = nextGoalStatus(from, event, row.auto_approved);
  if (!to) {
    throw new TetherError('INVALID_TRANSITION', `A ${from} goal does not accept ${event.type}`, {
      goal: id,
      status: from,
      event: event.type,
    });
  }
  const updated = await trx
    .updateTable('goals')
    .set({ status: to, updated_at: new Date().toISOString() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const { type: _type, ...details } = event;
  await appendEntry(trx, {
    actor,
    type: ENTRY_TYPE[event.type],
    subjects: { goal: id },
    payload: { from, to, event: event.type, ...details },
  });
  return { goal: toGoal(updated), from };
}

/** Moves a goal by one statechart event, with its ledger entry; INVALID_TRANSITION if the chart refuses. */
export async function transitionGoal(db: Db, id: string, event: GoalEvent, options: { actor: string }): Promise<Goal> {
  if (event.type === 'goal.approve' || event.type === 'goal.reject') {
    return decideGoal(db, id, event.type === 'goal.approve' ? 'approved' : 'rejected', event);
  }
  return inTransaction(db, async (trx) => (await applyEvent(trx, id, event, options.actor)).goal);
}

async function decideGoal(db: Db, id: string, decision: 'approved' | 'rejected', input: Decision): Promise<Goal> {
  if (typeof input.approver !== 'string' || !input.approver.trim()) {
    throw new TetherError('VALIDATION_FAILED', 'A goal decision names the person who made it', { goal: id });
  }
  const event: GoalEvent =
    decision === 'approved'
      ? { type: 'goal.approve', approver: input.approver, ...(input.comment ? { comment: input.comment } : {}) }
      : { type: 'goal.reject', approver: input.approver, ...(input.comment ? { comment: input.comment } : {}) };
  return inTransaction(db, async (trx) => {
    const { goal } = await applyEvent(trx, id, event, input.approver);
    // The decision is also an approval record, so "who let this goal in" survives on its own.
    await trx
      .insertInto('approvals')
      .values({
        id: newId('appr'),
        subject_kind: 'goal',
        subject_id: id,
        decision,
        approver: input.approver,
        head_commit: null,
        comment: input.comment ?? null,
      })
      .execute();
    return goal;
  });
}

/** A person approves a proposed goal: it becomes active. */
export function approveGoal(db: Db, id: string, decision: Decision): Promise<Goal> {
  return decideGoal(db, id, 'approved', decision);
}

/** A person rejects a proposed goal. */
export function rejectGoal(db: Db, id: string, decision: Decision): Promise<Goal> {
  return decideGoal(db, id, 'rejected', decision);
}
