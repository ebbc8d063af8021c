/** The `planner` actor: the planner statechart with its pass over the store. */
import { fromPromise } from 'xstate';
import { plannerMachine } from '../machines/planner.ts';
import { plannerPass, type PlannerDeps } from '../src/planner/advance-plans.ts';

export function createPlannerLogic(deps: PlannerDeps) {
  return plannerMachine.provide({
    actors: {
      pass: fromPromise(() => plannerPass(deps)),
    },
  });
}
