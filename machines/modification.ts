/**
 * The modification statechart (SPEC §3). A modification is proposed, committed to its own
 * branch, tested in a sandbox, waits for a person, and merges only after a recorded
 * approval. Pure: the work of each state is an invoked actor referenced by name
 * (`createBranch`, `runTests`, `merge`, `recordOutcome`), which the code-access actor
 * provides. Each of those actors commits the state it leads to, with its ledger entry, in
 * one transaction before it resolves, so the store is always at or ahead of the machine and
 * a restart resumes from the store.
 */
import { assign, fromPromise, sendParent, setup } from 'xstate';

export const MODIFICATION_STATES = [
  'proposed',
  'branched',
  'tested',
  'approved',
  'merged',
  'rejected',
  'failed',
  'conflicted',
  'abandoned',
] as const;
export type ModificationState = (typeof MODIFICATION_STATES)[number];

export const FINISHED_STATES: readonly ModificationState[] = ['merged', 'rejected', 'failed', 'conflicted', 'abandoned'];
export const OPEN_STATES: readonly ModificationState[] = ['proposed', 'branched', 'tested', 'approved'];

export interface ModificationContext {
  id: string;
  goalId: string;
  author: string;
  branch: string;
  baseCommit: string | null;
  head: string | null;
  /** Milliseconds from (re)start until a tested modification expires. */
  expiresInMs: number;
  error: { code: string; message: string } | null;
  conflictPaths: string[];
  approver: string | null;
}

export interface ModificationInput {
  id: string;
  goalId: string;
  author: string;
  branch: string;
  baseCommit?: string | null;
  head?: string | null;
  /** The stored state to resume from; a fresh modification starts as `proposed`. */
  state?: ModificationState;
  expiresInMs: number;
}

/** What each work actor resolves with: the state it has committed, and what it learned. */
export interface StepOutcome {
  state: ModificationState;
  head?: string | null;
  baseCommit?: string | null;
  error?: { code: string; message: string } | null;
  conflictPaths?: string[];
  /** Set when tests pass: the time left before the modification expires. */
  expiresInMs?: number;
}

export type ModificationEvent =
  | { type: 'modification.approve'; approver: string; head?: string }
  | { type: 'modification.reject'; by: string; comment?: string }
  | { type: 'modification.withdraw'; by: string }
  | { type: 'modification.merge' };

export interface RecordOutcomeInput {
  id: string;
  to: ModificationState;
  event: string;
  reason: string;
}

/** Placeholder work: the code-access actor provides the real actors. */
function provided<I>() {
  return fromPromise<StepOutcome, I>(async () => {
    throw new Error('provided by the code-access actor');
  });
}

export const modificationMachine = setup({
  types: {
    context: {} as ModificationContext,
    input: {} as ModificationInput,
    events: {} as ModificationEvent,
  },
  actors: {
    createBranch: provided<{ id: string }>(),
    runTests: provided<{ id: string }>(),
    merge: provided<{ id: string }>(),
    recordOutcome: provided<RecordOutcomeInput>(),
  },
  guards: {
    resumesAs: ({ context }, params: { state: ModificationState }) => (context as { resumeState?: string }).resumeState === params.state,
    outcomeIs: ({ event }, params: { state: ModificationState }) => (event as unknown as { output: StepOutcome }).output?.state === params.state,
    /** A person other than the author approves. */
    isSelfApproval: ({ context, event }) => event.type === 'modification.approve' && event.approver === context.author,
    /** The approval names a head other than the tested one: a newer commit voids it. */
    isStaleApproval: ({ context, event }) =>
      event.type === 'modification.approve' && event.head !== undefined && event.head !== context.head,
  },
  actions: {
    applyOutcome: assign(({ event }) => {
      const output = (event as unknown as { output: StepOutcome }).output;
      return {
        ...(output.head !== undefined ? { head: output.head } : {}),
        ...(output.baseCommit !== undefined ? { baseCommit: output.baseCommit } : {}),
        error: output.error ?? null,
        conflictPaths: output.conflictPaths ?? [],
        ...(output.expiresInMs !== undefined ? { expiresInMs: output.expiresInMs } : {}),
      };
    }),
    recordApprover: assign({
      approver: ({ event }) => (event.type === 'modification.approve' ? event.approver : null),
    }),
    /** Tells the code-access actor this modification is finished (it stops tracking it). */
    notifyFinished: sendParent(({ context, self }) => ({
      type: 'codeAccess.finished',
      id: context.id,
      state: String(self.getSnapshot().value),
    })),
    noteStoreError: assign({
      error: ({ event }) => ({ code: 'INTERNAL', message: String((event as { error?: unknown }).error) }),
    }),
  },
  delays: {
    /** Computed from the stored deadline at (re)start: XState does not restore timers. */
    untilExpiry: ({ context }) => Math.max(0, context.expiresInMs),
  },
}).createMachine({
  id: 'modification',
  context: ({ input }) =>
    ({
      id: input.id,
      goalId: input.goalId,
      author: input.author,
      branch: input.branch,
      baseCommit: input.baseCommit ?? null,
      head: input.head ?? null,
      expiresInMs: input.expiresInMs,
      error: null,
      conflictPaths: [],
      approver: null,
      resumeState: input.state ?? 'proposed',
    }) as ModificationContext,
  initial: 'resuming',
  states: {
    /** Enters the stored state: a fresh modification is `proposed`. */
    resuming: {
      always: [
        { guard: { type: 'resumesAs', params: { state: 'branched' } }, target: 'branched' },
        { guard: { type: 'resumesAs', params: { state: 'tested' } }, target: 'tested' },
        { guard: { type: 'resumesAs', params: { state: 'approved' } }, target: 'approved' },
        { guard: { type: 'resumesAs', params: { state: 'merged' } }, target: 'merged' },
        { guard: { type: 'resumesAs', params: { state: 'rejected' } }, target: 'rejected' },
        { guard: { type: 'resumesAs', params: { state: 'failed' } }, target: 'failed' },
        { guard: { type: 'resumesAs', params: { state: 'conflicted' } }, target: 'conflicted' },
        { guard: { type: 'resumesAs', params: { state: 'abandoned' } }, target: 'abandoned' },
        { target: 'proposed' },
      ],
    },
    /** Scope checked; the changes are committed to the branch. */
    proposed: {
      invoke: {
        src: 'createBranch',
        input: ({ context }) => ({ id: context.id }),
        onDone: [
          { guard: { type: 'outcomeIs', params: { state: 'branched' } }, target: 'branched', actions: 'applyOutcome' },
          { target: 'failed', actions: 'applyOutcome' },
        ],
        onError: { target: 'suspended', actions: 'noteStoreError' },
      },
      on: { 'modification.withdraw': 'abandoned' },
    },
    /** The branch exists; its tests run in a sandbox copy. */
    branched: {
      invoke: {
        src: 'runTests',
        input: ({ context }) => ({ id: context.id }),
        onDone: [
          { guard: { type: 'outcomeIs', params: { state: 'tested' } }, target: 'tested', actions: 'applyOutcome' },
          { target: 'failed', actions: 'applyOutcome' },
        ],
        onError: { target: 'suspended', actions: 'noteStoreError' },
      },
      on: { 'modification.withdraw': 'abandoned' },
    },
    /**
     * Tests passed: waits for a person. A person's decision is committed to the store
     * (approval row, state, ledger entry) by the code-access actor, after checking it
     * against this very transition, before the event is sent here.
     */
    tested: {
      after: { untilExpiry: 'expiring' },
      on: {
        'modification.approve': [
          // Refused: nothing is recorded and the state does not change.
          { guard: 'isSelfApproval' },
          { guard: 'isStaleApproval' },
          { target: 'approved', actions: 'recordApprover' },
        ],
        'modification.reject': 'rejected',
        'modification.withdraw': 'abandoned',
      },
    },
    /** A person approved: merge by compare-and-swap on the target ref. */
    approved: {
      invoke: {
        src: 'merge',
        input: ({ context }) => ({ id: context.id }),
        onDone: [
          { guard: { type: 'outcomeIs', params: { state: 'merged' } }, target: 'merged', actions: 'applyOutcome' },
          { guard: { type: 'outcomeIs', params: { state: 'conflicted' } }, target: 'conflicted', actions: 'applyOutcome' },
          { guard: { type: 'outcomeIs', params: { state: 'failed' } }, target: 'failed', actions: 'applyOutcome' },
          // Still approved (the checked-out tree is dirty): wait for a retry.
          { target: 'waitingToMerge', actions: 'applyOutcome' },
        ],
        onError: { target: 'suspended', actions: 'noteStoreError' },
      },
    },
    /** Approved, but the merge was refused for now (DIRTY_WORKTREE): retry on request. */
    waitingToMerge: {
      on: { 'modification.merge': 'approved' },
    },
    /** The deadline passed: recorded as abandoned unless a decision got there first. */
    expiring: {
      invoke: {
        src: 'recordOutcome',
        input: ({ context }) => ({ id: context.id, to: 'abandoned', event: 'modification.expire', reason: 'EXPIRED' }),
        onDone: [
          { guard: { type: 'outcomeIs', params: { state: 'abandoned' } }, target: 'abandoned', actions: 'applyOutcome' },
          { guard: { type: 'outcomeIs', params: { state: 'approved' } }, target: 'approved', actions: 'applyOutcome' },
          { guard: { type: 'outcomeIs', params: { state: 'rejected' } }, target: 'rejected', actions: 'applyOutcome' },
          { target: 'suspended' },
        ],
        onError: { target: 'suspended', actions: 'noteStoreError' },
      },
    },
    /** The store could not be written: nothing more happens here; a restart resumes from the store. */
    suspended: {},
    merged: { type: 'final', entry: 'notifyFinished' },
    rejected: { type: 'final', entry: 'notifyFinished' },
    failed: { type: 'final', entry: 'notifyFinished' },
    conflicted: { type: 'final', entry: 'notifyFinished' },
    abandoned: { type: 'final', entry: 'notifyFinished' },
  },
});
