/**
 * The `ledger` actor's effects: the pure statechart of machines/ledger.ts with its named
 * actors provided over the store it is given as input. Most appends never come here (other
 * actors call appendEntry inside their own transactions); this actor serves standalone
 * appends, sealing, verification and the periodic maintenance (seal when due, archive and
 * prune under the retention policy). Every effect's failure becomes an `onError` event.
 */
import { fromPromise } from 'xstate';
import { appendChained } from '../src/ledger/append-entry.ts';
import { archiveAndPrune } from '../src/ledger/archive-and-prune.ts';
import { sealSegment } from '../src/ledger/seal-segment.ts';
import type { RetentionPolicy, SegmentPolicy } from '../src/ledger/segment-policy.ts';
import { verifyLedger } from '../src/ledger/verify-ledger.ts';
import { ledgerMachine, type EffectInput, type LedgerRequest, type MaintenanceOutcome } from '../machines/ledger.ts';

export interface LedgerActorDeps {
  /** When a segment is due for sealing (defaults: 10,000 entries or 8 MiB). */
  segments?: Partial<SegmentPolicy>;
  /** Archive sealed segments and keep only the newest in the database; absent: keep all. */
  retention?: RetentionPolicy;
}

type Req<K extends LedgerRequest['kind']> = EffectInput<Extract<LedgerRequest, { kind: K }>>;

export function createLedgerActorLogic(deps: LedgerActorDeps = {}) {
  return ledgerMachine.provide({
    actors: {
      // A standalone append is answered with its seq and hash, so it is chained at once.
      appendEntry: fromPromise(({ input }: { input: Req<'append'> }) => appendChained(input.store.db, input.request.input)),
      sealSegment: fromPromise(({ input }: { input: Req<'seal'> }) =>
        sealSegment(input.store.db, { policy: deps.segments, force: input.request.force }),
      ),
      verifyLedger: fromPromise(({ input }: { input: Req<'verify'> }) =>
        verifyLedger(input.store.db, input.request.checkpoint ? { checkpoint: input.request.checkpoint } : {}),
      ),
      maintain: fromPromise(async ({ input }: { input: Req<'maintain'> }): Promise<MaintenanceOutcome> => {
        const seal = await sealSegment(input.store.db, { policy: deps.segments });
        if (!deps.retention || (!seal.sealed && seal.reason === 'broken')) return { seal };
        return { seal, retention: await archiveAndPrune(input.store.db, deps.retention) };
      }),
    },
  });
}

export { ledgerMachine };
