/**
 * Which event a modification's live actor is missing, given what the store says. A
 * person's decision is committed in whichever process the request reached; only the
 * owner's actor can act on it. The owner compares the stored state with its actor's state
 * on every lease renewal and sends the decision the actor has not seen yet. Sending one
 * twice is harmless: the statechart ignores a decision outside `tested`.
 */
import type { ModificationEvent } from '../../machines/modification.ts';
import type { HeldModification } from './modification-leases.ts';

const UNDECIDED = new Set(['proposed', 'branched', 'tested']);

export function pendingDecision(held: HeldModification, actorState: unknown): ModificationEvent | undefined {
  if (actorState === 'tested' && held.state === 'approved' && held.decision === 'approve' && held.approver) {
    return { type: 'modification.approve', approver: held.approver, ...(held.head ? { head: held.head } : {}) };
  }
  if (actorState === 'tested' && held.state === 'rejected') {
    return { type: 'modification.reject', by: held.approver ?? 'unknown' };
  }
  // Withdrawn elsewhere (an expiry is this actor's own doing and never reaches here).
  if (typeof actorState === 'string' && UNDECIDED.has(actorState) && held.state === 'abandoned') {
    return { type: 'modification.withdraw', by: 'unknown' };
  }
  return undefined;
}
