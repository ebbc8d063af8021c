/**
 * The `ledger` actor's statechart: pure (no I/O), everything named in `setup()` so
 * Stately's editor and inspector can read it; actors/ledger.ts provides the effects.
 *
 * Requests (`ledger.append`, `ledger.seal`, `ledger.verify`, `ledger.maintain`) are queued
 * and run one at a time in the `work` region, so none is dropped while another runs. Each
 * outcome is emitted and, when the request named a `replyTo`, sent back to it; a failed
 * effect lands in `work.failed` (the next request leaves it). The `integrity` region
 * records what the last verification or seal found (`tampered` once a check fails), and
 * `schedule` enqueues maintenance (seal when due, archive and prune) on a named delay.
 */
import { assign, enqueueActions, fromPromise, raise, setup, type AnyActorRef } from 'xstate';
import type { LedgerEntry, LedgerInput } from '../src/ledger/append-entry.ts';
import type { ArchiveAndPruneResult } from '../src/ledger/archive-and-prune.ts';
import type { Checkpoint } from '../src/ledger/checkpoint.ts';
import type { SealOutcome } from '../src/ledger/seal-segment.ts';
import type { VerifyResult } from '../src/ledger/verify-result.ts';
import type { Store } from '../src/store/open-store.ts';

export type LedgerRequest =
  | { kind: 'append'; input: LedgerInput; replyTo?: AnyActorRef }
  | { kind: 'seal'; force: boolean; replyTo?: AnyActorRef }
  | { kind: 'verify'; checkpoint?: Checkpoint; replyTo?: AnyActorRef }
  | { kind: 'maintain'; replyTo?: AnyActorRef };

export type LedgerEvent =
  | { type: 'ledger.append'; input: LedgerInput; replyTo?: AnyActorRef }
  | { type: 'ledger.seal'; force?: boolean; replyTo?: AnyActorRef }
  | { type: 'ledger.verify'; checkpoint?: Checkpoint; replyTo?: AnyActorRef }
  | { type: 'ledger.maintain'; replyTo?: AnyActorRef }
  | { type: 'ledger.integrity.intact' }
  | { type: 'ledger.integrity.tampered' };

/** What maintenance did: the seal attempt, then retention when configured. */
export interface MaintenanceOutcome {
  seal: SealOutcome;
  retention?: ArchiveAndPruneResult;
}

/** Events sent to a request's `replyTo` and emitted to `actor.on(…)` listeners. */
export type LedgerReply =
  | { type: 'ledger.appended'; entry: LedgerEntry }
  | { type: 'ledger.sealed'; outcome: SealOutcome }
  | { type: 'ledger.verified'; result: VerifyResult }
  | { type: 'ledger.maintained'; outcome: MaintenanceOutcome }
  | { type: 'ledger.failed'; request: LedgerRequest['kind']; error: { message: string; code?: string } };

export interface LedgerMachineInput {
  store: Store;
  /** How often maintenance runs; 0 or absent: only on `ledger.maintain`. */
  maintenanceIntervalMs?: number;
}

export interface LedgerContext {
  store: Store;
  maintenanceIntervalMs: number;
  queue: LedgerRequest[];
  current: LedgerRequest | null;
  appended: number;
  lastEntry: LedgerEntry | null;
  lastSeal: SealOutcome | null;
  lastVerification: VerifyResult | null;
  lastError: { message: string; code?: string } | null;
}

/** What every effect receives: the store and the request it serves. */
export interface EffectInput<R extends LedgerRequest = LedgerRequest> {
  store: Store;
  request: R;
}

function notProvided(name: string): never {
  throw new Error(`The ledger machine's "${name}" actor was not provided: use createLedgerActorLogic().`);
}

function requestOf(event: LedgerEvent): LedgerRequest | undefined {
  switch (event.type) {
    case 'ledger.append':
      return { kind: 'append', input: event.input, replyTo: event.replyTo };
    case 'ledger.seal':
      return { kind: 'seal', force: event.force ?? false, replyTo: event.replyTo };
    case 'ledger.verify':
      return { kind: 'verify', checkpoint: event.checkpoint, replyTo: event.replyTo };
    case 'ledger.maintain':
      return { kind: 'maintain', replyTo: event.replyTo };
    default:
      return undefined;
  }
}

function errorOf(error: unknown): { message: string; code?: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    message: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

export const ledgerMachine = setup({
  types: {
    context: {} as LedgerContext,
    events: {} as LedgerEvent,
    input: {} as LedgerMachineInput,
    emitted: {} as LedgerReply,
  },
  actors: {
    appendEntry: fromPromise<LedgerEntry, EffectInput<Extract<LedgerRequest, { kind: 'append' }>>>(async () => notProvided('appendEntry')),
    sealSegment: fromPromise<SealOutcome, EffectInput<Extract<LedgerRequest, { kind: 'seal' }>>>(async () => notProvided('sealSegment')),
    verifyLedger: fromPromise<VerifyResult, EffectInput<Extract<LedgerRequest, { kind: 'verify' }>>>(async () => notProvided('verifyLedger')),
    maintain: fromPromise<MaintenanceOutcome, EffectInput<Extract<LedgerRequest, { kind: 'maintain' }>>>(async () => notProvided('maintain')),
  },
  delays: {
    maintenanceInterval: ({ context }) => context.maintenanceIntervalMs,
  },
  guards: {
    nextIsAppend: ({ context }) => context.queue[0]?.kind === 'append',
    nextIsSeal: ({ context }) => context.queue[0]?.kind === 'seal',
    nextIsVerify: ({ context }) => context.queue[0]?.kind === 'verify',
    nextIsMaintain: ({ context }) => context.queue[0]?.kind === 'maintain',
    scheduleDisabled: ({ context }) => !(context.maintenanceIntervalMs > 0),
    maintenanceNotQueued: ({ context }) =>
      !context.queue.some((r) => r.kind === 'maintain') && context.current?.kind !== 'maintain',
    verificationPassed: (_, params: { result: VerifyResult }) => params.result.ok,
    sealFoundNoBreak: (_, params: { outcome: SealOutcome }) => params.outcome.sealed || params.outcome.reason !== 'broken',
  },
  actions: {
    enqueue: assign({
      queue: ({ context, event }) => {
        const request = requestOf(event);
        return request ? [...context.queue, request] : context.queue;
      },
    }),
    enqueueMaintenance: assign({ queue: ({ context }) => [...context.queue, { kind: 'maintain' as const }] }),
    dequeue: assign({ current: ({ context }) => context.queue[0] ?? null, queue: ({ context }) => context.queue.slice(1) }),
    finish: assign({ current: null }),
    recordAppend: assign({
      appended: ({ context }) => context.appended + 1,
      lastEntry: (_, params: { entry: LedgerEntry }) => params.entry,
    }),
    recordSeal: assign({ lastSeal: (_, params: { outcome: SealOutcome }) => params.outcome }),
    recordVerification: assign({ lastVerification: (_, params: { result: VerifyResult }) => params.result }),
    recordError: assign({ lastError: (_, params: { error: unknown }) => errorOf(params.error) }),
    reply: enqueueActions(({ context, enqueue }, params: { reply: LedgerReply }) => {
      enqueue.emit(params.reply);
      const replyTo = context.current?.replyTo;
      if (replyTo) enqueue.sendTo(replyTo, params.reply);
    }),
    replyFailed: enqueueActions(({ context, enqueue }, params: { error: unknown }) => {
      const reply: LedgerReply = { type: 'ledger.failed', request: context.current?.kind ?? 'append', error: errorOf(params.error) };
      enqueue.emit(reply);
      const replyTo = context.current?.replyTo;
      if (replyTo) enqueue.sendTo(replyTo, reply);
    }),
    markIntact: raise({ type: 'ledger.integrity.intact' }),
    markTampered: raise({ type: 'ledger.integrity.tampered' }),
  },
}).createMachine({
  id: 'ledger',
  type: 'parallel',
  context: ({ input }) => ({
    store: input.store,
    maintenanceIntervalMs: input.maintenanceIntervalMs ?? 0,
    queue: [],
    current: null,
    appended: 0,
    lastEntry: null,
    lastSeal: null,
    lastVerification: null,
    lastError: null,
  }),
  on: {
    'ledger.append': { actions: 'enqueue' },
    'ledger.seal': { actions: 'enqueue' },
    'ledger.verify': { actions: 'enqueue' },
    'ledger.maintain': { actions: 'enqueue' },
  },
  states: {
    work: {
      initial: 'idle',
      states: {
        idle: {
          always: [
            { guard: 'nextIsAppend', target: 'appending', actions: 'dequeue' },
            { guard: 'nextIsSeal', target: 'sealing', actions: 'dequeue' },
            { guard: 'nextIsVerify', target: 'verifying', actions: 'dequeue' },
            { guard: 'nextIsMaintain', target: 'maintaining', actions: 'dequeue' },
          ],
        },
        failed: {
          always: [
            { guard: 'nextIsAppend', target: 'appending', actions: 'dequeue' },
            { guard: 'nextIsSeal', target: 'sealing', actions: 'dequeue' },
            { guard: 'nextIsVerify', target: 'verifying', actions: 'dequeue' },
            { guard: 'nextIsMaintain', target: 'maintaining', actions: 'dequeue' },
          ],
        },
        appending: {
          invoke: {
            src: 'appendEntry',
            input: ({ context }) => ({ store: context.store, request: context.current as Extract<LedgerRequest, { kind: 'append' }> }),
            onDone: {
              target: 'idle',
              actions: [
                { type: 'recordAppend', params: ({ event }) => ({ entry: event.output }) },
                { type: 'reply', params: ({ event }) => ({ reply: { type: 'ledger.appended', entry: event.output } }) },
                'finish',
              ],
            },
            onError: {
              target: 'failed',
              actions: [
                { type: 'recordError', params: ({ event }) => ({ error: event.error }) },
                { type: 'replyFailed', params: ({ event }) => ({ error: event.error }) },
                'finish',
              ],
            },
          },
        },
        sealing: {
          invoke: {
            src: 'sealSegment',
            input: ({ context }) => ({ store: context.store, request: context.current as Extract<LedgerRequest, { kind: 'seal' }> }),
            onDone: [
              {
                guard: { type: 'sealFoundNoBreak', params: ({ event }) => ({ outcome: event.output }) },
                target: 'idle',
                actions: [
                  { type: 'recordSeal', params: ({ event }) => ({ outcome: event.output }) },
                  { type: 'reply', params: ({ event }) => ({ reply: { type: 'ledger.sealed', outcome: event.output } }) },
                  'finish',
                ],
              },
              {
                target: 'idle',
                actions: [
                  { type: 'recordSeal', params: ({ event }) => ({ outcome: event.output }) },
                  { type: 'reply', params: ({ event }) => ({ reply: { type: 'ledger.sealed', outcome: event.output } }) },
                  'markTampered',
                  'finish',
                ],
              },
            ],
            onError: {
              target: 'failed',
              actions: [
                { type: 'recordError', params: ({ event }) => ({ error: event.error }) },
                { type: 'replyFailed', params: ({ event }) => ({ error: event.error }) },
                'finish',
              ],
            },
          },
        },
        verifying: {
          invoke: {
            src: 'verifyLedger',
            input: ({ context }) => ({ store: context.store, request: context.current as Extract<LedgerRequest, { kind: 'verify' }> }),
            onDone: [
              {
                guard: { type: 'verificationPassed', params: ({ event }) => ({ result: event.output }) },
                target: 'idle',
                actions: [
                  { type: 'recordVerification', params: ({ event }) => ({ result: event.output }) },
                  { type: 'reply', params: ({ event }) => ({ reply: { type: 'ledger.verified', result: event.output } }) },
                  'markIntact',
                  'finish',
                ],
              },
              {
                target: 'idle',
                actions: [
                  { type: 'recordVerification', params: ({ event }) => ({ result: event.output }) },
                  { type: 'reply', params: ({ event }) => ({ reply: { type: 'ledger.verified', result: event.output } }) },
                  'markTampered',
                  'finish',
                ],
              },
            ],
            onError: {
              target: 'failed',
              actions: [
                { type: 'recordError', params: ({ event }) => ({ error: event.error }) },
                { type: 'replyFailed', params: ({ event }) => ({ error: event.error }) },
                'finish',
              ],
            },
          },
        },
        maintaining: {
          invoke: {
            src: 'maintain',
            input: ({ context }) => ({ store: context.store, request: context.current as Extract<LedgerRequest, { kind: 'maintain' }> }),
            onDone: [
              {
                guard: { type: 'sealFoundNoBreak', params: ({ event }) => ({ outcome: event.output.seal }) },
                target: 'idle',
                actions: [
                  { type: 'recordSeal', params: ({ event }) => ({ outcome: event.output.seal }) },
                  { type: 'reply', params: ({ event }) => ({ reply: { type: 'ledger.maintained', outcome: event.output } }) },
                  'finish',
                ],
              },
              {
                target: 'idle',
                actions: [
                  { type: 'recordSeal', params: ({ event }) => ({ outcome: event.output.seal }) },
                  { type: 'reply', params: ({ event }) => ({ reply: { type: 'ledger.maintained', outcome: event.output } }) },
                  'markTampered',
                  'finish',
                ],
              },
            ],
            onError: {
              target: 'failed',
              actions: [
                { type: 'recordError', params: ({ event }) => ({ error: event.error }) },
                { type: 'replyFailed', params: ({ event }) => ({ error: event.error }) },
                'finish',
              ],
            },
          },
        },
      },
    },
    integrity: {
      initial: 'unverified',
      states: {
        unverified: {},
        intact: {},
        tampered: {},
      },
      on: {
        'ledger.integrity.intact': { target: '.intact' },
        'ledger.integrity.tampered': { target: '.tampered' },
      },
    },
    schedule: {
      initial: 'waiting',
      states: {
        waiting: {
          always: { guard: 'scheduleDisabled', target: 'off' },
          after: {
            maintenanceInterval: [
              { guard: 'maintenanceNotQueued', target: 'waiting', reenter: true, actions: 'enqueueMaintenance' },
              { target: 'waiting', reenter: true },
            ],
          },
        },
        off: {},
      },
    },
  },
});
