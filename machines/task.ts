/**
 * One task's lifecycle: queued → running → succeeded | failed, with retries.
 *
 * The durable queue (src/scheduler/) keeps tasks as rows, not as live actors: thousands
 * of them may wait at once. It asks this machine what an event does to a row (through
 * XState's pure `transition()`), so the retry rule and the backoff live here, in one
 * statechart the inspector can show, instead of in SQL scattered over the queue.
 * Pure: no I/O, no timers; the queue turns `retryDelayMs` into a database `run_after`.
 */
import { assign, setup } from 'xstate';

/** What went wrong in one attempt, in the shape task history stores. */
export interface TaskErrorInfo {
  /** A TetherError code (`MODEL_NOT_CONFIGURED`) or an error's class name (`TypeError`). */
  class: string;
  message: string;
  /** False when retrying cannot help (configuration, policy): the task fails at once. */
  retryable?: boolean;
}

/** Exponential backoff: attempt n waits base × factor^(n-1), at most maxMs. */
export interface BackoffPolicy {
  baseMs: number;
  factor: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, factor: 2, maxMs: 5 * 60_000 };

export interface TaskContext {
  /** Attempts started so far; a lease starts one. */
  attempts: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Set when the last failure scheduled a retry: how long to wait before it. */
  retryDelayMs: number | null;
  /** The last attempt's error, if it failed. */
  error: TaskErrorInfo | null;
}

export type TaskEvent =
  | { type: 'task.lease' }
  | { type: 'task.succeed' }
  | { type: 'task.fail'; error: TaskErrorInfo }
  /** The runner's lease ran out before it reported: it is presumed dead. */
  | { type: 'task.expire' }
  /** The runner gives the task back unfinished (shutdown): the attempt does not count. */
  | { type: 'task.release' }
  /** A person or the planner re-queues a failed task with a fresh attempt budget. */
  | { type: 'task.retry'; maxAttempts?: number };

export type TaskStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface TaskInput {
  attempts?: number;
  maxAttempts?: number;
  backoff?: BackoffPolicy;
}

/** The delay before retry number `attempt + 1`, after `attempt` failed attempts. */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.min(policy.maxMs, Math.round(policy.baseMs * policy.factor ** exponent));
}

export const taskMachine = setup({
  types: {
    context: {} as TaskContext,
    events: {} as TaskEvent,
    input: {} as TaskInput,
  },
  guards: {
    hasAttemptsLeft: ({ context }) => context.attempts < context.maxAttempts,
    canRetry: ({ context, event }) =>
      context.attempts < context.maxAttempts && !(event.type === 'task.fail' && event.error.retryable === false),
  },
  actions: {
    countAttempt: assign({ attempts: ({ context }) => context.attempts + 1, retryDelayMs: null }),
    giveAttemptBack: assign({ attempts: ({ context }) => Math.max(0, context.attempts - 1), retryDelayMs: null }),
    recordSuccess: assign({ error: null, retryDelayMs: null }),
    recordError: assign({
      error: ({ event }) => (event.type === 'task.fail' ? event.error : { class: 'LEASE_EXPIRED', message: 'The runner did not report before its lease expired.' }),
    }),
    scheduleRetry: assign({ retryDelayMs: ({ context }) => backoffDelay(context.backoff, context.attempts) }),
    // An expired runner is presumed dead, not the task at fault: run again without waiting.
    retryNow: assign({ retryDelayMs: 0 }),
    grantAttempts: assign({
      maxAttempts: ({ context, event }) =>
        context.attempts + (event.type === 'task.retry' && event.maxAttempts ? event.maxAttempts : context.maxAttempts),
      retryDelayMs: 0,
    }),
  },
}).createMachine({
  id: 'task',
  initial: 'queued',
  context: ({ input }) => ({
    attempts: input.attempts ?? 0,
    maxAttempts: input.maxAttempts ?? 3,
    backoff: input.backoff ?? DEFAULT_BACKOFF,
    retryDelayMs: null,
    error: null,
  }),
  states: {
    queued: {
      on: { 'task.lease': { target: 'running', actions: 'countAttempt' } },
    },
    running: {
      on: {
        'task.succeed': { target: 'succeeded', actions: 'recordSuccess' },
        'task.fail': [
          { guard: 'canRetry', target: 'queued', actions: ['recordError', 'scheduleRetry'] },
          { target: 'failed', actions: 'recordError' },
        ],
        'task.expire': [
          { guard: 'hasAttemptsLeft', target: 'queued', actions: ['recordError', 'retryNow'] },
          { target: 'failed', actions: 'recordError' },
        ],
        'task.release': { target: 'queued', actions: 'giveAttemptBack' },
      },
    },
    succeeded: { type: 'final' },
    failed: {
      on: { 'task.retry': { target: 'queued', actions: 'grantAttempts' } },
    },
  },
});
