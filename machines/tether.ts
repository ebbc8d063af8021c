/**
 * The root statechart: the whole Tether system as one actor. While running it invokes one
 * child per subsystem, each found by its systemId (`system.get('ledger')`). The children
 * here are placeholders that do nothing; the runtime provides the real actors with
 * `.provide({ actors })`, which keeps this definition pure and lets another XState system
 * invoke it with its own implementations.
 */
import { fromCallback, setup } from 'xstate';

/** The subsystems, by systemId. */
export const SUBSYSTEMS = ['ledger', 'scheduler', 'planner', 'goalGenerator', 'codeAccess', 'detector.taskFailure'] as const;

const idle = fromCallback(() => () => {});

export const tetherMachine = setup({
  types: {
    context: {} as { startedAt: number | null },
    events: {} as { type: 'tether.stop' } | { type: 'tether.started'; at: number },
  },
  actors: {
    ledger: idle,
    scheduler: idle,
    planner: idle,
    goalGenerator: idle,
    codeAccess: idle,
    taskFailureDetector: idle,
  },
}).createMachine({
  id: 'tether',
  context: { startedAt: null },
  initial: 'running',
  states: {
    running: {
      invoke: [
        { id: 'ledger', systemId: 'ledger', src: 'ledger' },
        { id: 'scheduler', systemId: 'scheduler', src: 'scheduler' },
        { id: 'planner', systemId: 'planner', src: 'planner' },
        { id: 'goalGenerator', systemId: 'goalGenerator', src: 'goalGenerator' },
        { id: 'codeAccess', systemId: 'codeAccess', src: 'codeAccess' },
        { id: 'detector.taskFailure', systemId: 'detector.taskFailure', src: 'taskFailureDetector' },
      ],
      on: { 'tether.stop': 'stopped' },
    },
    stopped: { type: 'final' },
  },
});
