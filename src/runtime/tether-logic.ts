/**
 * The whole runtime as XState actor logic, so another agent's machine can `invoke` or
 * `spawn` Tether and talk to it by events. It builds the runtime from the same options as
 * createTether and stops it when the actor stops.
 *
 * In:  `goal.submit` (optionally with changes: a modification for the new goal),
 *      `modification.submit`, `modification.approve`, `modification.reject`.
 * Out (to the parent): `tether.ready`, `tether.goal.created`, `tether.modification`
 *      (every state the modification statechart enters: proposed, branched, tested,
 *      approved, merged …) and `tether.error` (a refused request, with its code).
 *
 * State changes come from the runtime's own inspection stream (a modification actor's
 * snapshot), not from polling: the store is committed before the statechart moves, so
 * what the parent hears is already durable.
 */
import { fromCallback, type AnyActorRef, type InspectionEvent, type Observer } from 'xstate';
import { isTetherError } from '../errors.ts';
import type { FileChange } from '../git/commit-changes.ts';
import { createGoal, type Goal } from '../goals/goal-store.ts';
import { MODIFICATION_STATES, type ModificationState } from '../../machines/modification.ts';
import { createTether, type Tether, type TetherOptions } from './create-tether.ts';

export type TetherLogicEvent =
  | { type: 'goal.submit'; title: string; description?: string; kind?: string; by: string; reason?: string; changes?: FileChange[] }
  | { type: 'modification.submit'; goalId?: string; title: string; reason?: string; changes: FileChange[]; by: string }
  | { type: 'modification.approve'; id: string; by: string; head?: string; comment?: string }
  | { type: 'modification.reject'; id: string; by: string; comment?: string };

export type TetherParentEvent =
  | { type: 'tether.ready' }
  | { type: 'tether.goal.created'; goal: Goal }
  | { type: 'tether.modification'; id: string; goalId: string; state: ModificationState; head: string | null }
  | { type: 'tether.error'; request: TetherLogicEvent['type']; code: string; message: string };

const PUBLIC_STATES = new Set<string>(MODIFICATION_STATES);

/** Feeds modification statechart snapshots to `report`, and everything to the embedder's own inspector. */
function modificationWatcher(
  report: (e: TetherParentEvent) => void,
  downstream: TetherOptions['inspect'],
): (event: InspectionEvent) => void {
  const last = new Map<string, string>();
  return (event) => {
    if (typeof downstream === 'function') downstream(event);
    else (downstream as Observer<InspectionEvent> | undefined)?.next?.(event);
    if (event.type !== '@xstate.snapshot' && event.type !== '@xstate.actor') return;
    const ref = event.actorRef as AnyActorRef & { systemId?: string };
    if (!ref.systemId?.startsWith('modification.')) return;
    const snapshot = (event.type === '@xstate.snapshot' ? event.snapshot : ref.getSnapshot()) as {
      value?: unknown;
      context?: { id: string; goalId: string; head: string | null };
    };
    const state = typeof snapshot?.value === 'string' ? snapshot.value : undefined;
    const context = snapshot?.context;
    if (!state || !context || !PUBLIC_STATES.has(state) || last.get(context.id) === state) return;
    last.set(context.id, state);
    report({ type: 'tether.modification', id: context.id, goalId: context.goalId, state: state as ModificationState, head: context.head });
  };
}

async function handle(tether: Tether, event: TetherLogicEvent, report: (e: TetherParentEvent) => void): Promise<void> {
  const code = tether.services.codeAccess;
  if (event.type === 'goal.submit') {
    const goal = await createGoal(tether.services.store.db, {
      title: event.title,
      description: event.description ?? '',
      kind: event.kind ?? 'request',
      source: 'collaborative',
      createdBy: event.by,
      status: 'active',
    });
    report({ type: 'tether.goal.created', goal });
    if (event.changes?.length) {
      await code.submit({ goalId: goal.id, title: event.title, reason: event.reason ?? event.description ?? '', changes: event.changes, author: event.by });
    }
  } else if (event.type === 'modification.submit') {
    await code.submit({ ...(event.goalId ? { goalId: event.goalId } : {}), title: event.title, reason: event.reason ?? '', changes: event.changes, author: event.by });
  } else if (event.type === 'modification.approve') {
    await code.decide(event.id, { kind: 'approve', by: event.by, ...(event.head ? { head: event.head } : {}), ...(event.comment ? { comment: event.comment } : {}) });
  } else if (event.type === 'modification.reject') {
    await code.decide(event.id, { kind: 'reject', by: event.by, ...(event.comment ? { comment: event.comment } : {}) });
  }
}

/** Tether as actor logic: `invoke: { src: tetherLogic({ store, repo }) }`. */
export function tetherLogic(options: TetherOptions = {}) {
  return fromCallback<TetherLogicEvent>(({ sendBack, receive }) => {
    let stopped = false;
    const report = (e: TetherParentEvent) => {
      if (!stopped) sendBack(e);
    };
    const started = createTether({ ...options, inspect: modificationWatcher(report, options.inspect) });
    started.then(
      () => report({ type: 'tether.ready' }),
      (error: unknown) => report({ type: 'tether.error', request: 'goal.submit', code: isTetherError(error) ? error.code : 'INTERNAL', message: String((error as Error)?.message ?? error) }),
    );
    // Requests run one at a time, in the order they were sent.
    let queue: Promise<unknown> = started;
    receive((event) => {
      queue = queue
        .then((tether) => handle(tether as Tether, event, report))
        .catch((error: unknown) =>
          report({ type: 'tether.error', request: event.type, code: isTetherError(error) ? error.code : 'INTERNAL', message: String((error as Error)?.message ?? error) }),
        )
        .then(() => started);
    });
    return () => {
      stopped = true;
      void started.then((tether) => tether.stop()).catch(() => {});
    };
  });
}
