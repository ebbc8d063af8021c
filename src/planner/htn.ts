/**
 * A small HTN planner. A compound task (a goal's kind) is decomposed by the first of its
 * methods whose precondition holds on the current facts and that has not been tried for
 * this goal yet; each method yields primitive steps, which are scheduler task types (or
 * the planner's own AWAIT_APPROVAL step). Pure: facts in, steps out.
 */

/** What a method's precondition can read: the goal, its evidence, and repository facts. */
export interface PlanningFacts {
  goal: { id: string; kind: string; title: string; description: string; evidence: Record<string, unknown> };
  /** Whether a model is configured (cognitive steps can succeed). */
  modelConfigured: boolean;
  /** Repository files the goal's evidence points at (from a quick analysis), if known. */
  suspectFiles: string[];
}

/** One primitive step: a task type and its parameters (JSON). */
export interface PlanStep {
  type: string;
  params: Record<string, unknown>;
}

export interface Method {
  /** Unique name, e.g. `fix-from-trace`. */
  name: string;
  /** The compound task it decomposes: a goal kind, e.g. `fix-task-failure`. */
  task: string;
  /** Reads the current facts; the method applies only when this holds. */
  precondition(facts: PlanningFacts): boolean;
  decompose(facts: PlanningFacts): PlanStep[];
}

export interface Decomposition {
  method: string;
  steps: PlanStep[];
}

/** The next applicable method's decomposition, skipping those already tried; undefined when none is left. */
export function decompose(facts: PlanningFacts, methods: readonly Method[], tried: readonly string[] = []): Decomposition | undefined {
  for (const method of methods) {
    if (method.task !== facts.goal.kind || tried.includes(method.name)) continue;
    if (!method.precondition(facts)) continue;
    return { method: method.name, steps: method.decompose(facts) };
  }
  return undefined;
}
