/**
 * The planner statechart: rests, and on every tick (or `planner.run`) makes one pass:
 * plan the active goals that have none, and move running plans forward. Pure: the pass
 * is an actor (`pass`) the planner actor provides; its interval is the named delay `tick`.
 */
import { assign, fromPromise, setup } from 'xstate';

export interface PlannerContext {
  tickMs: number;
  passes: number;
  lastError: string | null;
}

export const plannerMachine = setup({
  types: {
    context: {} as PlannerContext,
    input: {} as { tickMs?: number },
    events: {} as { type: 'planner.run' },
  },
  actors: {
    pass: fromPromise<{ planned: number; advanced: number }>(async () => ({ planned: 0, advanced: 0 })),
  },
  actions: {
    countPass: assign({ passes: ({ context }) => context.passes + 1, lastError: null }),
    noteError: assign({ lastError: ({ event }) => String((event as { error?: unknown }).error) }),
  },
  guards: {
    /** Something moved: look again at once rather than after a whole tick. */
    progressed: ({ event }) => {
      const output = (event as { output?: { planned: number; advanced: number } }).output;
      return !!output && output.planned + output.advanced > 0;
    },
  },
  delays: {
    tick: ({ context }) => context.tickMs,
  },
}).createMachine({
  id: 'planner',
  context: ({ input }) => ({ tickMs: input?.tickMs ?? 1000, passes: 0, lastError: null }),
  initial: 'resting',
  states: {
    resting: {
      after: { tick: 'passing' },
      on: { 'planner.run': 'passing' },
    },
    passing: {
      invoke: {
        src: 'pass',
        onDone: [
          { guard: 'progressed', target: 'passing', reenter: true, actions: 'countPass' },
          { target: 'resting', actions: 'countPass' },
        ],
        onError: { target: 'resting', actions: 'noteError' },
      },
    },
  },
});
