/** A stored modification as the input of its actor, with the time left before it expires. */
import type { ModificationInput } from '../../machines/modification.ts';
import type { Modification } from './modification-store.ts';

export function modificationInput(m: Modification, now: number): ModificationInput {
  return {
    id: m.id,
    goalId: m.goalId,
    author: m.author,
    branch: m.branch,
    baseCommit: m.baseCommit,
    head: m.head,
    state: m.state,
    expiresInMs: m.expiresAt ? m.expiresAt.getTime() - now : Number.MAX_SAFE_INTEGER,
  };
}
