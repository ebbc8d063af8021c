/**
 * Moves plans forward, from the store. For each running plan, its first unfinished step:
 * a pending step is scheduled (its task id is derived from the plan and step, and the plan
 * row is locked, so it is scheduled once); a running step takes its task's outcome; the
 * planner's own AWAIT_APPROVAL step follows the modification. A failed step ends the plan
 * and re-plans with the next applicable method, at most `maxPlans` plans per goal; then
 * the goal fails. A finished plan achieves its goal. Everything is derived from stored rows,
 * so a restart (or another process) carries on where this one stopped.
 */
import type { Kysely, Transaction } from 'kysely';
import { appendEntry } from '../ledger/append-entry.ts';
import { getGoal, transitionGoal, type Goal } from '../goals/goal-store.ts';
import { enqueueTask } from '../scheduler/enqueue-task.ts';
import type { Database } from '../store/schema.ts';
import { decompose, type Method, type PlanningFacts } from './htn.ts';
import { insertPlan, lockPlan, planContext, plansOf, runningPlans, savePlan, type Plan } from './plan-store.ts';

export interface PlannerDeps {
  db: Kysely<Database>;
  methods: readonly Method[];
  /** Facts a method's precondition reads besides the goal (repository analysis, model). */
  facts(goal: Goal): Promise<Omit<PlanningFacts, 'goal'>>;
  /** Plans per goal, re-plans included (default 3). */
  maxPlans?: number;
}

const FINISHED_MODIFICATION = ['merged', 'rejected', 'failed', 'conflicted', 'abandoned'];

export async function planFacts(deps: PlannerDeps, goal: Goal): Promise<PlanningFacts> {
  return { goal: { id: goal.id, kind: goal.kind, title: goal.title, description: goal.description, evidence: goal.evidence }, ...(await deps.facts(goal)) };
}

/** Plans an active goal that has no plan yet: its first applicable method. */
export async function planGoal(deps: PlannerDeps, goalId: string): Promise<Plan | undefined> {
  const goal = await getGoal(deps.db, goalId);
  if (goal.status !== 'active') return undefined;
  if ((await plansOf(deps.db, goalId)).length > 0) return undefined;
  const facts = await planFacts(deps, goal);
  const decomposition = decompose(facts, deps.methods);
  if (!decomposition) {
    await transitionGoal(deps.db, goalId, { type: 'goal.fail', reason: `No method applies to a ${goal.kind} goal.` }, { actor: 'planner' });
    return undefined;
  }
  return deps.db.transaction().execute(async (trx) => {
    const plan = await insertPlan(trx, goalId, decomposition.method, decomposition.steps, 1);
    await transitionGoal(trx, goalId, { type: 'goal.start' }, { actor: 'planner' });
    return plan;
  });
}

/** Active goals of the given kinds that have no plan yet. */
export async function goalsToPlan(db: Kysely<Database>, kinds: string[]): Promise<string[]> {
  if (kinds.length === 0) return [];
  const rows = await db
    .selectFrom('goals')
    .select('id')
    .where('status', '=', 'active')
    .where('kind', 'in', kinds)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('plans').select('plans.id').whereRef('plans.goal_id', '=', 'goals.id'))))
    .orderBy('priority', 'desc')
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.id);
}

async function endPlan(trx: Transaction<Database>, plan: Plan, status: 'succeeded' | 'failed', detail: Record<string, unknown>): Promise<void> {
  plan.status = status;
  await savePlan(trx, plan);
  await appendEntry(trx, { actor: 'planner', type: `plan.${status}`, subjects: { goal: plan.goalId, plan: plan.id }, payload: { method: plan.method, ...detail } });
}

/** Advances one plan by at most one step change. Returns what happened, for logs and tests. */
export async function advancePlan(deps: PlannerDeps, planId: string): Promise<string> {
  let replan: { goalId: string; failedStep: string } | undefined;
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const plan = await lockPlan(trx, planId);
    if (!plan || plan.status !== 'running') return 'idle';
    const index = plan.steps.findIndex((s) => s.status !== 'succeeded');
    if (index === -1) {
      await endPlan(trx, plan, 'succeeded', {});
      await transitionGoal(trx, plan.goalId, { type: 'goal.achieve' }, { actor: 'planner' });
      return 'achieved';
    }
    const step = plan.steps[index]!;
    if (step.type === 'AWAIT_APPROVAL') {
      const id = planContext(plan).modificationId as string | undefined;
      const m = id ? await trx.selectFrom('modifications').select('state').where('id', '=', id).executeTakeFirst() : undefined;
      if (!m || !FINISHED_MODIFICATION.includes(m.state)) return 'waiting';
      if (m.state === 'merged') {
        step.status = 'succeeded';
        step.result = { merged: id };
        await savePlan(trx, plan);
        return 'step-succeeded';
      }
      step.status = 'failed';
      step.error = { code: 'MODIFICATION_NOT_MERGED', message: `Modification ${id} ended ${m.state}.` };
    } else if (step.status === 'pending') {
      const taskId = `${plan.id}-s${index}`;
      await enqueueTask(trx, {
        id: taskId,
        type: step.type,
        goalId: plan.goalId,
        planId: plan.id,
        payload: { ...step.params, context: planContext(plan) },
        maxAttempts: step.type === 'CODE_MODIFY' ? 1 : 2,
      });
      step.status = 'running';
      step.taskId = taskId;
      await savePlan(trx, plan);
      return 'scheduled';
    } else {
      const task = await trx.selectFrom('tasks').select(['status', 'result', 'error']).where('id', '=', step.taskId!).executeTakeFirst();
      if (!task || (task.status !== 'succeeded' && task.status !== 'failed')) return 'waiting';
      if (task.status === 'succeeded') {
        step.status = 'succeeded';
        step.result = task.result;
        await savePlan(trx, plan);
        return 'step-succeeded';
      }
      step.status = 'failed';
      const error = task.error as { class?: string; message?: string } | null;
      step.error = { code: error?.class ?? 'TASK_FAILED', message: error?.message ?? 'The task failed.' };
    }
    await endPlan(trx, plan, 'failed', { step: index, type: step.type, error: step.error });
    replan = { goalId: plan.goalId, failedStep: step.type };
    return 'plan-failed';
  });
  if (replan) await replanGoal(deps, replan.goalId);
  return outcome;
}

/** After a failed plan: the next applicable method, within the bound; else the goal fails. */
export async function replanGoal(deps: PlannerDeps, goalId: string): Promise<Plan | undefined> {
  const goal = await getGoal(deps.db, goalId);
  const previous = await plansOf(deps.db, goalId);
  const maxPlans = deps.maxPlans ?? 3;
  const decomposition =
    previous.length < maxPlans
      ? decompose(
          await planFacts(deps, goal),
          deps.methods,
          previous.map((p) => p.method),
        )
      : undefined;
  if (!decomposition) {
    await deps.db.transaction().execute(async (trx) => {
      await appendEntry(trx, {
        actor: 'planner',
        type: 'plan.exhausted',
        subjects: { goal: goalId },
        payload: { plans: previous.length, maxPlans, tried: previous.map((p) => p.method) },
      });
      await transitionGoal(trx, goalId, { type: 'goal.fail', reason: `${previous.length} plan(s) failed; no method left within the bound.` }, { actor: 'planner' });
    });
    return undefined;
  }
  return deps.db.transaction().execute((trx) => insertPlan(trx, goalId, decomposition.method, decomposition.steps, previous.length + 1));
}

/** One planner pass: plan new active goals, then advance every running plan until it rests. */
export async function plannerPass(deps: PlannerDeps): Promise<{ planned: number; advanced: number }> {
  let planned = 0;
  // Only goals of a kind some method decomposes: a collaborative goal carries its own
  // modification and is not the planner's to fail.
  const kinds = [...new Set(deps.methods.map((m) => m.task))];
  for (const goalId of await goalsToPlan(deps.db, kinds)) if (await planGoal(deps, goalId)) planned++;
  let advanced = 0;
  for (const plan of await runningPlans(deps.db)) {
    // A few steps per pass: finishing one step usually lets the next be scheduled at once.
    for (let i = 0; i < 4; i++) {
      const what = await advancePlan(deps, plan.id);
      if (what === 'waiting' || what === 'idle') break;
      advanced++;
      if (what === 'plan-failed' || what === 'achieved') break;
    }
  }
  return { planned, advanced };
}
