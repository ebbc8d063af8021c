/**
 * The `codeAccess` actor: the code-access statechart with its effects. Each modification
 * child gets the git and store work of its states (createBranch, runTests, merge,
 * recordOutcome); on start it reloads every open modification from the store, with the
 * time left before expiry computed from the stored deadline (XState does not restore
 * timers).
 */
import { fromPromise } from 'xstate';
import { codeAccessMachine } from '../machines/code-access.ts';
import { modificationMachine, OPEN_STATES, type RecordOutcomeInput } from '../machines/modification.ts';
import { createBranch, expire, mergeApproved, runBranchTests, type StepDeps } from '../src/code-access/steps.ts';
import { toModification } from '../src/code-access/modification-store.ts';
import { modificationInput } from '../src/code-access/modification-input.ts';

export function createCodeAccessLogic(deps: StepDeps) {
  const modification = modificationMachine.provide({
    actors: {
      createBranch: fromPromise(({ input }: { input: { id: string } }) => createBranch(deps, input.id)),
      runTests: fromPromise(({ input }: { input: { id: string } }) => runBranchTests(deps, input.id)),
      merge: fromPromise(({ input }: { input: { id: string } }) => mergeApproved(deps, input.id)),
      recordOutcome: fromPromise(({ input }: { input: RecordOutcomeInput }) => expire(deps, input.id)),
    },
  });
  return codeAccessMachine.provide({
    actors: {
      modification,
      loadOpen: fromPromise(async () => {
        const rows = await deps.db.selectFrom('modifications').selectAll().where('state', 'in', [...OPEN_STATES]).orderBy('created_at').execute();
        const now = deps.now();
        return rows.map((row) => modificationInput(toModification(row), now));
      }),
    },
  });
}
