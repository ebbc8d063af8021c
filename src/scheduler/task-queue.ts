/**
 * The durable task queue: tasks are rows in the store, leased by workers in any number of
 * processes. Every transition commits with its ledger entry and, when an attempt ends,
 * its task-history row, in one transaction (SPEC §4.5): after a crash the queue, the
 * ledger and the history agree. The statechart in machines/task.ts decides retries.
 */
import type { Kysely } from 'kysely';
import { DEFAULT_BACKOFF, type BackoffPolicy } from '../../machines/task.ts';
import type { Database } from '../store/schema.ts';
import { completeTask } from './complete-task.ts';
import { enqueueTask, enqueueTasks } from './enqueue-task.ts';
import { extendLease } from './extend-lease.ts';
import { failTask } from './fail-task.ts';
import type { DbOrTrx } from './in-transaction.ts';
import { leaseTasks, type LeaseOptions } from './lease-tasks.ts';
import { reclaimExpired } from './reclaim-expired.ts';
import { releaseLeases, releaseTask } from './release-task.ts';
import { retryTask, type RetryOptions } from './retry-task.ts';
import type { EnqueueInput, LeasedTask, LeaseRef, QueuedTask, Reclaimed, Settlement, TaskErrorInfo } from './task-types.ts';

export { enqueueTask, enqueueTasks };

export interface TaskQueueOptions {
  /** The wait before retry n is baseMs × factor^(n-1), capped at maxMs. */
  backoff?: Partial<BackoffPolicy>;
}

export interface TaskQueue {
  readonly db: Kysely<Database>;
  readonly backoff: BackoffPolicy;
  /** Queues a task (`task.queued`), in `trx` when given so it commits with the caller's work. */
  enqueue(input: EnqueueInput, trx?: DbOrTrx): Promise<QueuedTask>;
  /** Queues several tasks in one transaction: all or none. */
  enqueueMany(inputs: readonly EnqueueInput[], trx?: DbOrTrx): Promise<QueuedTask[]>;
  /** Leases up to `limit` ready tasks, highest priority first (`task.started` each). */
  lease(workerId: string, limit: number, leaseMs: number, options?: LeaseOptions): Promise<LeasedTask[]>;
  /** Records success once; `rejected` if the lease no longer holds. */
  complete(lease: LeaseRef, result?: unknown): Promise<Settlement>;
  /** Records a failed attempt: a retry after backoff, or failed for good. */
  fail(lease: LeaseRef, error: TaskErrorInfo): Promise<Settlement>;
  /** Gives a lease back unfinished; the attempt does not count. */
  release(lease: LeaseRef): Promise<Settlement>;
  /** Gives back every lease a worker holds (shutdown). */
  releaseAll(workerId: string): Promise<Settlement[]>;
  /** Pushes a lease's expiry on; null when the lease was lost. */
  heartbeat(lease: LeaseRef, leaseMs: number): Promise<Date | null>;
  /** Requeues or fails tasks whose leases ran out. */
  reclaimExpired(limit?: number): Promise<Reclaimed[]>;
  /** Requeues a failed task with a fresh attempt budget. */
  retry(taskId: string, options: RetryOptions): Promise<QueuedTask>;
}

export function createTaskQueue(db: Kysely<Database>, options: TaskQueueOptions = {}): TaskQueue {
  const backoff: BackoffPolicy = { ...DEFAULT_BACKOFF, ...options.backoff };
  return {
    db,
    backoff,
    enqueue: (input, trx) => enqueueTask(trx ?? db, input),
    enqueueMany: (inputs, trx) => enqueueTasks(trx ?? db, inputs),
    lease: (workerId, limit, leaseMs, leaseOptions) => leaseTasks(db, workerId, limit, leaseMs, leaseOptions),
    complete: (lease, result) => completeTask(db, lease, result),
    fail: (lease, error) => failTask(db, lease, error, backoff),
    release: (lease) => releaseTask(db, lease, backoff),
    releaseAll: (workerId) => releaseLeases(db, workerId, backoff),
    heartbeat: (lease, leaseMs) => extendLease(db, lease, leaseMs),
    reclaimExpired: (limit) => reclaimExpired(db, backoff, limit),
    retry: (taskId, retryOptions) => retryTask(db, taskId, retryOptions, backoff),
  };
}
