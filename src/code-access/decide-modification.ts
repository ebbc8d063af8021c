/**
 * A person's decision on a modification: approve, reject or withdraw. The decision is
 * checked against the modification statechart itself (the same guards the live actor
 * runs), then the approval row, the new state and the ledger entry commit together. One
 * decision per modification is enforced by a unique index, so of racing approvals exactly
 * one is recorded. Refusals are ledger entries too.
 */
import { getNextSnapshot } from 'xstate';
import type { Kysely } from 'kysely';
import type { WithinTransaction } from './submit-modification.ts';
import { isTetherError, TetherError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Database } from '../store/schema.ts';
import { modificationMachine, type ModificationEvent, type ModificationState } from '../../machines/modification.ts';
import { getModification, transition, type Modification } from './modification-store.ts';
import { recordDenial } from './record-denial.ts';

export type Decision =
  | { kind: 'approve'; by: string; head?: string; comment?: string }
  | { kind: 'reject'; by: string; comment?: string }
  | { kind: 'withdraw'; by: string; comment?: string };

const TARGET: Record<Decision['kind'], ModificationState> = { approve: 'approved', reject: 'rejected', withdraw: 'abandoned' };

function machineEvent(decision: Decision): ModificationEvent {
  if (decision.kind === 'approve') {
    return { type: 'modification.approve', approver: decision.by, ...(decision.head ? { head: decision.head } : {}) };
  }
  if (decision.kind === 'reject') return { type: 'modification.reject', by: decision.by, ...(decision.comment ? { comment: decision.comment } : {}) };
  return { type: 'modification.withdraw', by: decision.by };
}

/** The statechart for checking decisions: its notifications to a parent are left out. */
const checker = modificationMachine.provide({ actions: { notifyFinished: () => {} } });

/** What the statechart does with this event from the stored state. */
function nextState(m: Modification, event: ModificationEvent): string {
  const snapshot = checker.resolveState({
    value: m.state,
    context: {
      id: m.id,
      goalId: m.goalId,
      author: m.author,
      branch: m.branch,
      baseCommit: m.baseCommit,
      head: m.head,
      expiresInMs: 0,
      error: m.error,
      conflictPaths: m.conflictPaths ?? [],
      approver: null,
    },
  });
  return String(getNextSnapshot(checker, snapshot, event).value);
}

function refusal(m: Modification, decision: Decision): TetherError {
  if (m.state !== 'tested' && !(decision.kind === 'withdraw' && (m.state === 'proposed' || m.state === 'branched'))) {
    return new TetherError('INVALID_TRANSITION', `Modification ${m.id} is ${m.state}: it cannot be ${TARGET[decision.kind]}.`, {
      id: m.id,
      state: m.state,
    });
  }
  if (decision.kind === 'approve' && decision.by === m.author) {
    return new TetherError('SELF_APPROVAL_FORBIDDEN', `${decision.by} wrote modification ${m.id} and cannot approve it.`, { id: m.id });
  }
  if (decision.kind === 'approve' && decision.head && decision.head !== m.head) {
    return new TetherError('STALE_APPROVAL', `The approval names head ${decision.head}, but the tested head is ${m.head}.`, {
      id: m.id,
      head: m.head,
      approvedHead: decision.head,
    });
  }
  return new TetherError('INVALID_TRANSITION', `Modification ${m.id} cannot be ${TARGET[decision.kind]} now.`, { id: m.id, state: m.state });
}

export async function decideModification(db: Kysely<Database>, id: string, decision: Decision, within?: WithinTransaction<Modification>): Promise<Modification> {
  const event = machineEvent(decision);
  try {
    return await db.transaction().execute(async (trx) => {
      const m = await getModification(trx, id);
      const target = TARGET[decision.kind];
      if (nextState(m, event) !== target) throw refusal(m, decision);
      if (decision.kind !== 'withdraw') {
        const inserted = await trx
          .insertInto('approvals')
          .values({
            id: newId('appr'),
            subject_kind: 'modification',
            subject_id: id,
            decision: decision.kind,
            approver: decision.by,
            head_commit: m.head,
            comment: decision.comment ?? null,
          })
          .onConflict((oc) => oc.columns(['subject_kind', 'subject_id']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) throw new TetherError('INVALID_TRANSITION', `Modification ${id} was decided already.`, { id });
      }
      const result = await transition(trx, {
        id,
        from: [m.state],
        to: target,
        event: event.type,
        actor: decision.by,
        payload: { head: m.head, ...(decision.comment ? { comment: decision.comment } : {}) },
      });
      if (!result.applied) throw new TetherError('INVALID_TRANSITION', `Modification ${id} changed meanwhile.`, { id });
      await within?.(trx, result.modification);
      return result.modification;
    });
  } catch (error) {
    if (isTetherError(error) && error.code !== 'NOT_FOUND') {
      await recordDenial(db, error, { actor: decision.by, type: `modification.${decision.kind}_refused`, subjects: { modification: id }, op: decision.kind });
    }
    throw error;
  }
}
