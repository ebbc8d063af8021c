/**
 * The root statechart: the whole Tether system as one actor. While running it invokes one
 * child per subsystem, each found by its systemId (`system.get('ledger')`); the goal
 * generator spawns the detectors (`detector.<name>`) and code access the modifications
 * (`modification.<id>`). The children here are placeholders that do nothing; the runtime
 * provides the real actors with `.provide({ actors })` and their inputs through this
 * machine's input, which keeps the definition pure and lets another XState system invoke
 * it with its own implementations.
 */
import { fromCallback, setup, type AnyActorLogic } from 'xstate';

/** The subsystems, by systemId. */
export const SUBSYSTEMS = ['ledger', 'scheduler', 'planner', 'goalGenerator', 'codeAccess'] as const;
export type Subsystem = (typeof SUBSYSTEMS)[number];

/** Does nothing until provided; typed loosely so any subsystem's logic can replace it. */
const idle = fromCallback(() => () => {}) as AnyActorLogic;

export interface TetherMachineInput {
  /** Each subsystem's input, by systemId. */
  inputs?: Partial<Record<Subsystem, unknown>>;
}

interface TetherContext {
  inputs: Partial<Record<Subsystem, unknown>>;
}

export const tetherMachine = setup({
  types: {
    context: {} as TetherContext,
    input: {} as TetherMachineInput,
    events: {} as { type: 'tether.stop' },
  },
  actors: {
    ledger: idle,
    scheduler: idle,
    planner: idle,
    goalGenerator: idle,
    codeAccess: idle,
  },
}).createMachine({
  id: 'tether',
  context: ({ input }) => ({ inputs: input?.inputs ?? {} }),
  initial: 'running',
  states: {
    running: {
      invoke: [
        { id: 'ledger', systemId: 'ledger', src: 'ledger', input: ({ context }: { context: TetherContext }) => context.inputs.ledger },
        { id: 'scheduler', systemId: 'scheduler', src: 'scheduler', input: ({ context }: { context: TetherContext }) => context.inputs.scheduler },
        { id: 'planner', systemId: 'planner', src: 'planner', input: ({ context }: { context: TetherContext }) => context.inputs.planner },
        { id: 'goalGenerator', systemId: 'goalGenerator', src: 'goalGenerator', input: ({ context }: { context: TetherContext }) => context.inputs.goalGenerator },
        { id: 'codeAccess', systemId: 'codeAccess', src: 'codeAccess', input: ({ context }: { context: TetherContext }) => context.inputs.codeAccess },
      ],
      on: { 'tether.stop': 'stopped' },
    },
    stopped: { type: 'final' },
  },
});
