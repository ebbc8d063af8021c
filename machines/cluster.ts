/**
 * The cluster statechart: one per process on a shared PostgreSQL database. Every
 * `syncMs` it runs `sync` (renew this process's modification leases, read back decisions
 * taken in other processes, claim modifications nobody holds or whose owner died) and
 * applies the resulting plan: track the claimed ones, forward missed decisions, drop the
 * ones whose lease was lost. Pure: `sync` and `apply` are provided by actors/cluster.ts.
 */
import { assign, fromPromise, setup } from 'xstate';
import type { ModificationEvent, ModificationInput } from './modification.ts';

export interface ClusterPlan {
  /** Modifications this process claimed: start their actors. */
  track: ModificationInput[];
  /** Decisions recorded elsewhere that a live actor here has not seen. */
  forward: { id: string; event: ModificationEvent }[];
  /** Live actors whose lease another process holds now: stop them. */
  drop: string[];
}

export interface ClusterContext {
  syncMs: number;
  syncs: number;
  lastError: string | null;
}

export const clusterMachine = setup({
  types: {
    context: {} as ClusterContext,
    input: {} as { syncMs: number },
  },
  actors: {
    sync: fromPromise<ClusterPlan>(async () => ({ track: [], forward: [], drop: [] })),
  },
  actions: {
    apply: (_args, _params: { plan: ClusterPlan }) => {},
  },
  delays: {
    syncMs: ({ context }) => context.syncMs,
  },
}).createMachine({
  id: 'cluster',
  context: ({ input }) => ({ syncMs: input.syncMs, syncs: 0, lastError: null }),
  initial: 'waiting',
  states: {
    waiting: { after: { syncMs: 'syncing' } },
    syncing: {
      invoke: {
        src: 'sync',
        onDone: {
          target: 'waiting',
          actions: [
            { type: 'apply', params: ({ event }) => ({ plan: event.output }) },
            assign({ syncs: ({ context }) => context.syncs + 1, lastError: null }),
          ],
        },
        // The store hiccuped: leases are retried next time (they outlast several syncs).
        onError: { target: 'waiting', actions: assign({ lastError: ({ event }) => String(event.error) }) },
      },
    },
  },
});
