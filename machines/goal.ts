/**
 * A goal's lifecycle, as a pure statechart (no I/O): the goal store restores a goal's
 * stored status into this machine and asks it whether an event is allowed, so the store
 * and the chart can never disagree about which transitions exist.
 *
 *   proposed ─approve→ active ─start→ in_progress ─achieve→ achieved
 *      │                 │                 ├─fail→ failed
 *      └─reject→ rejected├─fail→ failed    └─abandon→ abandoned
 *                        └─abandon→ abandoned
 */
import { assign, setup } from 'xstate';

export type GoalStatus = 'proposed' | 'active' | 'in_progress' | 'achieved' | 'failed' | 'abandoned' | 'rejected';

export const GOAL_STATUSES: readonly GoalStatus[] = [
  'proposed',
  'active',
  'in_progress',
  'achieved',
  'failed',
  'abandoned',
  'rejected',
];

/** Statuses of goals still open: a new finding matching one of these is a duplicate. */
export const OPEN_GOAL_STATUSES: readonly GoalStatus[] = ['proposed', 'active', 'in_progress'];

export interface GoalContext {
  /** Whether the goal skipped the person's decision (confidence above the threshold). */
  autoApproved: boolean;
  /** The person who approved or rejected it. */
  decidedBy: string | null;
  /** Why it failed, was abandoned or rejected. */
  reason: string | null;
}

export type GoalEvent =
  | { type: 'goal.approve'; approver: string; comment?: string }
  | { type: 'goal.reject'; approver: string; comment?: string }
  | { type: 'goal.start' }
  | { type: 'goal.achieve' }
  | { type: 'goal.fail'; reason?: string }
  | { type: 'goal.abandon'; reason?: string };

export interface GoalInput {
  autoApproved?: boolean;
}

export const goalMachine = setup({
  types: {
    context: {} as GoalContext,
    events: {} as GoalEvent,
    input: {} as GoalInput,
  },
  guards: {
    /** A decision names the person who made it; an anonymous one is not a decision. */
    hasApprover: ({ event }) =>
      (event.type === 'goal.approve' || event.type === 'goal.reject') && event.approver.trim().length > 0,
  },
  actions: {
    recordDecision: assign({
      decidedBy: ({ event }) => (event.type === 'goal.approve' || event.type === 'goal.reject' ? event.approver : null),
      reason: ({ event, context }) => (event.type === 'goal.reject' ? (event.comment ?? null) : context.reason),
    }),
    recordReason: assign({
      reason: ({ event, context }) =>
        event.type === 'goal.fail' || event.type === 'goal.abandon' ? (event.reason ?? null) : context.reason,
    }),
  },
}).createMachine({
  id: 'goal',
  initial: 'proposed',
  context: ({ input }) => ({ autoApproved: input?.autoApproved ?? false, decidedBy: null, reason: null }),
  states: {
    proposed: {
      on: {
        'goal.approve': { target: 'active', guard: 'hasApprover', actions: 'recordDecision' },
        'goal.reject': { target: 'rejected', guard: 'hasApprover', actions: 'recordDecision' },
      },
    },
    active: {
      on: {
        'goal.start': { target: 'in_progress' },
        'goal.fail': { target: 'failed', actions: 'recordReason' },
        'goal.abandon': { target: 'abandoned', actions: 'recordReason' },
      },
    },
    in_progress: {
      on: {
        'goal.achieve': { target: 'achieved' },
        'goal.fail': { target: 'failed', actions: 'recordReason' },
        'goal.abandon': { target: 'abandoned', actions: 'recordReason' },
      },
    },
    achieved: { type: 'final' },
    failed: { type: 'final' },
    abandoned: { type: 'final' },
    rejected: { type: 'final' },
  },
});
