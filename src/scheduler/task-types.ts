/** The shapes the durable task queue takes and returns. */
import type { TaskErrorInfo } from '../../machines/task.ts';

export type { TaskErrorInfo };

/** A task to put in the queue. */
export interface EnqueueInput {
  /** The handler that runs it: `CODE_READ`, `COGNITIVE`, … */
  type: string;
  payload?: Record<string, unknown>;
  goalId?: string | null;
  planId?: string | null;
  /** Higher runs first (default 0). */
  priority?: number;
  /** Attempts before the task fails for good (default 3). */
  maxAttempts?: number;
  /** Not before this many milliseconds from now (database time). */
  delayMs?: number;
  /** A caller-chosen id, e.g. to make a plan step's task id predictable. */
  id?: string;
}

/** A queued task, as enqueue returns it. */
export interface QueuedTask {
  id: string;
  type: string;
  priority: number;
  maxAttempts: number;
}

/** A task leased to one worker: everything a handler needs, and the lease that proves it. */
export interface LeasedTask {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  goalId: string | null;
  planId: string | null;
  priority: number;
  /** This attempt's number, from 1. With `owner` it identifies the lease. */
  attempt: number;
  maxAttempts: number;
  owner: string;
  /** Database time at which this attempt started. */
  startedAt: Date;
  /** Database time at which the lease runs out unless extended. */
  leaseExpiresAt: Date;
}

/** What identifies one lease: a completion must present it. */
export type LeaseRef = Pick<LeasedTask, 'id' | 'owner' | 'attempt'> & Partial<Pick<LeasedTask, 'startedAt'>>;

/**
 * What a completion, failure or release did. `rejected` means nothing was written: the
 * lease was no longer this worker's (it expired and was taken over, or the task was
 * already finished), so a task is recorded done exactly once.
 */
export type SettleOutcome = 'succeeded' | 'retry_scheduled' | 'failed' | 'released' | 'rejected';

export interface Settlement {
  taskId: string;
  outcome: SettleOutcome;
  /** Set for `retry_scheduled`: the wait before the next attempt. */
  retryDelayMs?: number;
  /** Set for `rejected`: why. */
  reason?: string;
}

/** What reclaiming one expired lease did. */
export interface Reclaimed {
  taskId: string;
  /** The owner that went silent. */
  owner: string | null;
  outcome: 'requeued' | 'failed';
}
