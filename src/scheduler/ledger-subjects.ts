/** The ledger subjects of a task entry: the task, and the goal and plan it serves. */
export function taskSubjects(task: { id: string; goalId?: string | null; planId?: string | null }): Record<string, string> {
  return {
    task: task.id,
    ...(task.goalId ? { goal: task.goalId } : {}),
    ...(task.planId ? { plan: task.planId } : {}),
  };
}

/** The actor name scheduler entries carry. */
export const SCHEDULER_ACTOR = 'scheduler';
