/**
 * Coordination of several Tether processes on one PostgreSQL database, wired for
 * createTether: leader election for the goal generator (src/cluster/leader-election.ts)
 * and modification leases (src/cluster/modification-leases.ts) driving the `cluster`
 * statechart (machines/cluster.ts).
 *
 * The codeAccess actor is given a `loadOpen` that claims instead of loading every open
 * modification, and CodeAccess a `claim` for modifications submitted here, so an actor
 * runs only where its lease is held. Decisions reach the owner by polling: the sync that
 * renews the leases also reads each one's stored state and decision.
 *
 * On the embedded store there is one process (STORE_LOCKED refuses a second): no leases,
 * always the leader, and nothing here changes how the runtime behaves.
 */
import { createActor, fromPromise, type Actor, type AnyActorRef } from 'xstate';
import type { Kysely } from 'kysely';
import { clusterMachine, type ClusterPlan } from '../machines/cluster.ts';
import type { codeAccessMachine } from '../machines/code-access.ts';
import { advisoryLockElection, alwaysLeader, type LeaderElection } from '../src/cluster/leader-election.ts';
import { leaderOnly } from '../src/cluster/leader-detectors.ts';
import { claimModification, claimModifications, releaseModifications, renewModifications } from '../src/cluster/modification-leases.ts';
import { pendingDecision } from '../src/cluster/pending-decision.ts';
import { advisoryExclusive, type Exclusive } from '../src/cluster/exclusive.ts';
import { DEFAULT_CLUSTER_OPTIONS, type ClusterOptions } from '../src/cluster/cluster-options.ts';
import { modificationInput } from '../src/code-access/modification-input.ts';
import { toModification } from '../src/code-access/modification-store.ts';
import type { Detector } from '../src/goals/detector.ts';
import type { Store } from '../src/store/open-store.ts';
import type { Database } from '../src/store/schema.ts';
import { logger } from '../src/log.ts';

interface LeaseDeps {
  db: Kysely<Database>;
  owner: string;
  leaseMs: number;
  now(): number;
}

async function claimInputs(deps: LeaseDeps) {
  const rows = await claimModifications(deps.db, deps.owner, deps.leaseMs);
  const now = deps.now();
  return rows.map((row) => modificationInput(toModification(row), now));
}

/** Renews, reads back decisions, claims: what the `cluster` statechart should do next. */
async function sync(deps: LeaseDeps, codeAccess: AnyActorRef | undefined): Promise<ClusterPlan> {
  const live = ((codeAccess?.getSnapshot() as { context?: { modifications?: Record<string, AnyActorRef> } })?.context?.modifications ?? {});
  const ids = Object.keys(live);
  const held = await renewModifications(deps.db, deps.owner, ids, deps.leaseMs);
  const kept = new Set(held.map((h) => h.id));
  const forward: ClusterPlan['forward'] = [];
  for (const h of held) {
    const event = pendingDecision(h, live[h.id]?.getSnapshot().value);
    if (event) forward.push({ id: h.id, event });
  }
  return { track: await claimInputs(deps), forward, drop: ids.filter((id) => !kept.has(id)) };
}

export interface Cluster {
  readonly clustered: boolean;
  readonly election: LeaderElection;
  /** For CodeAccess: take the lease of a modification submitted in this process. */
  claim?: (id: string) => Promise<boolean>;
  /** For the code-access steps: merges into the shared repository, one process at a time. */
  exclusive?: Exclusive;
  /** The detectors, scanning only while this process leads. */
  detectors(detectors: Detector[]): Detector[];
  /** The codeAccess logic, restoring only the modifications this process claims. */
  codeAccess<L extends typeof codeAccessMachine>(logic: L): L;
  /** Starts the lease sync once the system runs. */
  start(codeAccess: () => AnyActorRef | undefined): void;
  /** Stops syncing (call before stopping the system). */
  halt(): void;
  /** Gives back leases and leadership (call after stopping the system). */
  stop(): Promise<void>;
}

export async function createCluster(
  store: Store,
  owner: string,
  now: () => number,
  options: Partial<ClusterOptions> & { url?: string } = {},
): Promise<Cluster> {
  if (store.backend !== 'postgres') {
    return { clustered: false, election: alwaysLeader(), detectors: (d) => d, codeAccess: (l) => l, start() {}, halt() {}, async stop() {} };
  }
  const log = logger('cluster');
  const o = { ...DEFAULT_CLUSTER_OPTIONS, ...options };
  const deps: LeaseDeps = { db: store.db, owner, leaseMs: o.leaseMs, now };
  const election = advisoryLockElection(store.db, { pollMs: o.electionMs, ...(options.url ? { url: options.url } : {}) });
  await election.start();
  let actor: Actor<typeof clusterMachine> | undefined;
  return {
    clustered: true,
    election,
    claim: (id) => claimModification(store.db, owner, id, o.leaseMs),
    exclusive: advisoryExclusive(store.db),
    detectors: (detectors) => leaderOnly(detectors, election.isLeader),
    codeAccess: (logic) => logic.provide({ actors: { loadOpen: fromPromise(() => claimInputs(deps)) } }) as typeof logic,
    start(codeAccess) {
      const logic = clusterMachine.provide({
        actors: { sync: fromPromise(() => sync(deps, codeAccess())) },
        actions: {
          apply: (_args, { plan }) => {
            const ref = codeAccess();
            if (!ref) return;
            for (const input of plan.track) ref.send({ type: 'codeAccess.track', modification: input });
            for (const { id, event } of plan.forward) ref.send({ type: 'codeAccess.forward', id, event });
            for (const id of plan.drop) {
              log.warn('lost the lease of modification {id} to another process: stopping its actor here', { id });
              ref.send({ type: 'codeAccess.finished', id, state: 'suspended' });
            }
          },
        },
      });
      actor = createActor(logic, { systemId: 'cluster', input: { syncMs: o.syncMs } });
      actor.start();
    },
    halt() {
      actor?.stop();
    },
    async stop() {
      actor?.stop();
      await releaseModifications(store.db, owner).catch((error: unknown) => log.warn('releasing leases: {error}', { error: String(error) }));
      await election.stop();
    },
  };
}
