/**
 * The `scheduler` actor: machines/scheduler.ts with its effects supplied by the durable
 * queue (src/scheduler/). Each leased task runs in a child actor that dispatches it by
 * type to a handler from `input.handlers`, keeps its lease alive with heartbeats, and
 * settles it: a handler's throw becomes a task failure with its error class and message
 * in task history, never an unhandled rejection. Heartbeats and task time limits use the
 * injected clock; pass the same clock to `createActor` so the machine's delays follow it.
 */
import { createActor, fromCallback, fromPromise, type Actor, type EventObject } from 'xstate';
import type { Kysely } from 'kysely';
import {
  schedulerMachine,
  type EnqueueTaskInput,
  type LeaseTasksInput,
  type RunTaskInput,
  type SchedulerConfig,
  type SchedulerEvent,
  type SchedulerMachineInput,
  type WorkerInput,
} from '../machines/scheduler.ts';
import type { BackoffPolicy } from '../machines/task.ts';
import { TetherError } from '../src/errors.ts';
import { newId } from '../src/ids.ts';
import { systemClock, type Clock } from '../src/ports/clock.ts';
import type { Database } from '../src/store/schema.ts';
import { describeFailure } from '../src/scheduler/describe-failure.ts';
import { resolveHandler, type TaskHandlers } from '../src/scheduler/task-handler.ts';
import { createTaskQueue, type TaskQueue } from '../src/scheduler/task-queue.ts';
import type { LeasedTask, Settlement } from '../src/scheduler/task-types.ts';

export interface SchedulerInput extends Partial<Omit<SchedulerConfig, 'workerId'>> {
  /** The store's database; tasks are leased from its `tasks` table. */
  db: Kysely<Database>;
  /** Handlers by task type (`CODE_*`, `COGNITIVE`, …). A type without one fails at once. */
  handlers: TaskHandlers;
  /** Lease owner name (default a fresh `worker_…` id). Unique per scheduler. */
  workerId?: string;
  /** Time for heartbeats and task time limits (default the system clock). */
  clock?: Clock;
  /** Heartbeat period (default a third of leaseMs). */
  heartbeatMs?: number;
  /** A running task is aborted and fails after this long (default: no limit). */
  taskTimeoutMs?: number;
  /** Retry backoff of failed attempts. */
  backoff?: Partial<BackoffPolicy>;
}

// One queue per input object: the input is the scheduler's dependency bundle.
const queues = new WeakMap<object, TaskQueue>();

function queueOf(deps: SchedulerMachineInput): TaskQueue {
  const input = deps as unknown as SchedulerInput;
  let queue = queues.get(input);
  if (!queue) {
    queue = createTaskQueue(input.db, input.backoff ? { backoff: input.backoff } : {});
    queues.set(input, queue);
  }
  return queue;
}

/** Rejects when `signal` aborts, so a handler that ignores its signal still cannot hang the slot. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Runs one attempt and reports its settlement to the scheduler. */
const runTask = fromCallback<EventObject, RunTaskInput>(({ input, sendBack }) => {
  const deps = input.deps as unknown as SchedulerInput;
  const queue = queueOf(input.deps);
  const clock = deps.clock ?? systemClock;
  const task: LeasedTask = input.task;
  const controller = new AbortController();
  let stopped = false;
  let finished = false;
  const timers = new Set<unknown>();
  const later = (ms: number, fn: () => void) => {
    const handle = clock.setTimeout(() => {
      timers.delete(handle);
      fn();
    }, ms);
    timers.add(handle);
  };

  // Heartbeats keep a long task's lease; a lost lease aborts the handler, whose late
  // result the queue would reject anyway.
  const heartbeatMs = deps.heartbeatMs ?? Math.max(1, Math.floor(input.leaseMs / 3));
  const beat = () =>
    later(heartbeatMs, () => {
      if (finished || stopped) return;
      queue.heartbeat(task, input.leaseMs).then(
        (expiry) => {
          if (expiry === null) controller.abort(new TetherError('INVALID_TRANSITION', `Task ${task.id} lost its lease.`, { taskId: task.id }));
          else beat();
        },
        () => beat(), // the store hiccuped: try again; the lease may still hold
      );
    });
  beat();
  if (deps.taskTimeoutMs) {
    const limit = deps.taskTimeoutMs;
    later(limit, () => {
      const error = new Error(`Task ${task.id} (${task.type}) ran longer than ${limit} ms.`);
      error.name = 'TaskTimeout';
      controller.abort(error);
    });
  }

  const attempt = async (): Promise<Settlement | undefined> => {
    let result: unknown;
    try {
      const handler = resolveHandler(deps.handlers, task.type);
      if (!handler) {
        throw new TetherError('NOT_FOUND', `No handler for task type ${task.type}.`, { type: task.type, retryable: false });
      }
      result = await untilAborted(Promise.resolve().then(() => handler(task, { signal: controller.signal, workerId: input.workerId })), controller.signal);
    } catch (error) {
      // Stopped: the lease was given back (or is being); the next runner owns the task.
      if (stopped) return undefined;
      return queue.fail(task, describeFailure(error));
    }
    if (stopped) return undefined;
    try {
      return await queue.complete(task, result);
    } catch (error) {
      // The result could not be stored (not JSON, too large): a failure of the task.
      if (error instanceof TypeError || error instanceof RangeError) return queue.fail(task, describeFailure(error));
      throw error;
    }
  };

  attempt().then(
    (settlement) => {
      finished = true;
      if (settlement) sendBack({ type: 'scheduler.settled', actorId: input.actorId, settlement } satisfies SchedulerEvent);
    },
    (error: unknown) => {
      // Settling failed (the store is down): the lease stays and expires, then another
      // runner, or this one, takes the task again.
      finished = true;
      sendBack({ type: 'scheduler.settled', actorId: input.actorId, settlement: null, error: describeFailure(error) } satisfies SchedulerEvent);
    },
  );

  return () => {
    stopped = true;
    for (const handle of timers) clock.clearTimeout(handle);
    timers.clear();
    if (!finished) controller.abort(new TetherError('INVALID_TRANSITION', 'The scheduler stopped.', { taskId: task.id }));
  };
});

const enqueueTask = fromCallback<EventObject, EnqueueTaskInput>(({ input, sendBack }) => {
  queueOf(input.deps)
    .enqueue(input.task)
    .then(
      (task) => sendBack({ type: 'scheduler.enqueued', actorId: input.actorId, task } satisfies SchedulerEvent),
      (error: unknown) =>
        sendBack({ type: 'scheduler.enqueued', actorId: input.actorId, task: null, error: describeFailure(error) } satisfies SchedulerEvent),
    );
});

/** The scheduler's logic with its effects provided. Input: SchedulerInput. */
export const schedulerLogic = schedulerMachine.provide({
  actors: {
    leaseTasks: fromPromise(({ input }: { input: LeaseTasksInput }) => queueOf(input.deps).lease(input.workerId, input.count, input.leaseMs)),
    reclaimLeases: fromPromise(({ input }: { input: WorkerInput }) => queueOf(input.deps).reclaimExpired()),
    releaseLeases: fromPromise(({ input }: { input: WorkerInput }) => queueOf(input.deps).releaseAll(input.workerId)),
    runTask,
    enqueueTask,
  },
});

export type SchedulerActor = Actor<typeof schedulerLogic>;

/** The machine input for `input`, with a worker id chosen when none is given. */
export function schedulerInput(input: SchedulerInput): SchedulerMachineInput {
  return { ...input, workerId: input.workerId ?? newId('worker') } as unknown as SchedulerMachineInput;
}

/**
 * Starts a scheduler as a root actor with systemId `scheduler`. Send `scheduler.tick`
 * after enqueueing outside it, `scheduler.drain` or `scheduler.stop` to end it; wait for
 * the end with `stopScheduler`.
 */
export function startScheduler(input: SchedulerInput, options: { systemId?: string } = {}): SchedulerActor {
  const actor = createActor(schedulerLogic, {
    systemId: options.systemId ?? 'scheduler',
    input: schedulerInput(input),
    clock: input.clock ?? systemClock,
  });
  actor.start();
  return actor;
}

/**
 * Drains (`drain`: running tasks finish, up to drainTimeoutMs) or stops (`stop`: leases
 * given back at once) and resolves when the scheduler has let go of every lease.
 */
export function stopScheduler(actor: SchedulerActor, how: 'drain' | 'stop' = 'drain'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      const snapshot = actor.getSnapshot();
      if (snapshot.status === 'done' || snapshot.status === 'stopped') {
        subscription.unsubscribe();
        resolve();
      } else if (snapshot.status === 'error') {
        subscription.unsubscribe();
        reject(snapshot.error);
      }
    };
    const subscription = actor.subscribe({ next: check, error: reject, complete: check });
    actor.send({ type: how === 'drain' ? 'scheduler.drain' : 'scheduler.stop' });
    check();
  });
}
