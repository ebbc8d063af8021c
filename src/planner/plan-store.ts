/**
 * Plans in the store. A plan is a goal's decomposition by one method: its steps, which
 * step runs, and each step's task and result. Creating a plan, advancing it and ending it
 * each commit with their ledger entries in one transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import { appendEntry } from '../ledger/append-entry.ts';
import { newId } from '../ids.ts';
import type { Database } from '../store/schema.ts';
import type { PlanStep } from './htn.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface StoredStep extends PlanStep {
  status: StepStatus;
  taskId?: string;
  result?: unknown;
  error?: { code: string; message: string };
}

export interface Plan {
  id: string;
  goalId: string;
  method: string;
  steps: StoredStep[];
  status: 'running' | 'succeeded' | 'failed';
  attempt: number;
  createdAt: Date;
}

export function toPlan(row: import('kysely').Selectable<Database['plans']>): Plan {
  return {
    id: row.id,
    goalId: row.goal_id,
    method: row.method,
    steps: row.steps as unknown as StoredStep[],
    status: row.status as Plan['status'],
    attempt: row.attempt,
    createdAt: row.created_at,
  };
}

export async function insertPlan(trx: Transaction<Database>, goalId: string, method: string, steps: PlanStep[], attempt: number): Promise<Plan> {
  const id = newId('plan');
  const stored: StoredStep[] = steps.map((s) => ({ ...s, status: 'pending' }));
  const row = await trx
    .insertInto('plans')
    .values({ id, goal_id: goalId, method, steps: JSON.stringify(stored), status: 'running', attempt })
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEntry(trx, {
    actor: 'planner',
    type: 'plan.created',
    subjects: { goal: goalId, plan: id },
    payload: { method, attempt, steps: steps.map((s) => s.type) },
  });
  return toPlan(row);
}

export async function plansOf(db: Db, goalId: string): Promise<Plan[]> {
  const rows = await db.selectFrom('plans').selectAll().where('goal_id', '=', goalId).orderBy('attempt').execute();
  return rows.map(toPlan);
}

export async function runningPlans(db: Db): Promise<Plan[]> {
  const rows = await db.selectFrom('plans').selectAll().where('status', '=', 'running').orderBy('created_at').execute();
  return rows.map(toPlan);
}

export async function lockPlan(trx: Transaction<Database>, id: string): Promise<Plan | undefined> {
  const row = await trx.selectFrom('plans').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? toPlan(row) : undefined;
}

export async function savePlan(trx: Transaction<Database>, plan: Plan): Promise<void> {
  await trx
    .updateTable('plans')
    .set({ steps: JSON.stringify(plan.steps), status: plan.status, updated_at: new Date().toISOString() })
    .where('id', '=', plan.id)
    .execute();
}

/** Results of the finished steps, merged: what later steps read (`payload.context`). */
export function planContext(plan: Plan): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const step of plan.steps) {
    if (step.status === 'succeeded' && step.result && typeof step.result === 'object') Object.assign(context, step.result);
  }
  return context;
}
