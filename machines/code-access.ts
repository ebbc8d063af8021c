/**
 * The code-access statechart: keeps one child actor per live modification (systemId
 * `modification.<id>`), restores them from the store when it starts, forwards people's
 * decisions to them, and lets go of each when it finishes. Pure: loading the open
 * modifications is an actor (`loadOpen`) the code-access actor provides.
 */
import { assign, enqueueActions, fromPromise, setup, type ActorRefFrom } from 'xstate';
import { modificationMachine, type ModificationEvent, type ModificationInput, type ModificationState } from './modification.ts';

export type CodeAccessEvent =
  | { type: 'codeAccess.track'; modification: ModificationInput }
  | { type: 'codeAccess.forward'; id: string; event: ModificationEvent }
  | { type: 'codeAccess.finished'; id: string; state: ModificationState };

export interface CodeAccessContext {
  modifications: Record<string, ActorRefFrom<typeof modificationMachine>>;
  finished: number;
}

export const codeAccessMachine = setup({
  types: {
    context: {} as CodeAccessContext,
    events: {} as CodeAccessEvent,
  },
  actors: {
    modification: modificationMachine,
    loadOpen: fromPromise<ModificationInput[]>(async () => []),
  },
  actions: {
    track: assign({
      modifications: ({ context, event, spawn }, params: { inputs: ModificationInput[] }) => {
        const next = { ...context.modifications };
        for (const input of params.inputs) {
          if (next[input.id]) continue;
          next[input.id] = spawn('modification', { id: `modification.${input.id}`, systemId: `modification.${input.id}`, input });
        }
        return next;
      },
    }),
    forward: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'codeAccess.forward') return;
      const child = context.modifications[event.id];
      if (child) enqueue.sendTo(child, event.event);
    }),
    release: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'codeAccess.finished') return;
      const child = context.modifications[event.id];
      if (child) enqueue.stopChild(child);
      const { [event.id]: _gone, ...rest } = context.modifications;
      enqueue.assign({ modifications: rest, finished: context.finished + 1 });
    }),
  },
}).createMachine({
  id: 'codeAccess',
  context: { modifications: {}, finished: 0 },
  initial: 'restoring',
  // Handled in every state, so nothing sent while restoring is lost.
  on: {
    'codeAccess.track': {
      actions: { type: 'track', params: ({ event }) => ({ inputs: [event.modification] }) },
    },
    'codeAccess.forward': { actions: 'forward' },
    'codeAccess.finished': { actions: 'release' },
  },
  states: {
    /** Resumes every modification the store says is still open. */
    restoring: {
      invoke: {
        src: 'loadOpen',
        onDone: {
          target: 'ready',
          actions: { type: 'track', params: ({ event }) => ({ inputs: event.output }) },
        },
        onError: 'ready',
      },
    },
    ready: {},
  },
});
