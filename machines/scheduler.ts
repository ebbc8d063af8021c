/**
 * The scheduler's statechart: lease ready tasks up to a concurrency limit, run each in a
 * child actor, reclaim leases whose runners died, and on the way out finish (drain) or
 * give back (stop) what it holds so the process can exit.
 *
 * Pure: the effects (leasing, running, reclaiming, releasing, enqueueing) are named child
 * actors that actors/scheduler.ts provides, and every wait is a named delay, so the
 * actor system's injected clock drives it and tests use a simulated one.
 */
import { assign, emit, enqueueActions, fromCallback, fromPromise, setup, type EventObject } from 'xstate';
import type { EnqueueInput, LeasedTask, QueuedTask, Reclaimed, Settlement, TaskErrorInfo } from '../src/scheduler/task-types.ts';

/** Limits and intervals, all in milliseconds except the counts. */
export interface SchedulerConfig {
  /** The lease owner name: unique per scheduler, across processes. */
  workerId: string;
  /** Tasks running at once in this scheduler. */
  concurrency: number;
  /** How long a lease holds without a heartbeat. */
  leaseMs: number;
  /** How often to look for ready tasks when nothing says there are some. */
  pollMs: number;
  /** How often to look for expired leases (any worker's). */
  reclaimMs: number;
  /** How long `scheduler.drain` waits for running tasks before giving their leases back. */
  drainTimeoutMs: number;
}

export const DEFAULT_SCHEDULER_CONFIG: Omit<SchedulerConfig, 'workerId'> = {
  concurrency: 4,
  leaseMs: 60_000,
  pollMs: 1_000,
  reclaimMs: 15_000,
  drainTimeoutMs: 30_000,
};

/**
 * The machine's input: the config, plus whatever the provided actors need (store,
 * handlers, clock …), kept as `deps` and handed to them untouched.
 */
export interface SchedulerMachineInput extends Partial<SchedulerConfig> {
  workerId: string;
  readonly [dependency: string]: unknown;
}

export interface SchedulerContext extends SchedulerConfig {
  deps: SchedulerMachineInput;
  /** Child actor ids of the tasks in flight. */
  running: string[];
  /** How many tasks the lease in progress asked for. */
  asked: number;
  /** The last lease got all it asked for: more are probably waiting. */
  lastLeaseFull: boolean;
  /** A tick (new work) arrived while leasing or at capacity: lease again when possible. */
  tickPending: boolean;
  /** Numbers the enqueue children. */
  enqueueSeq: number;
}

export type SchedulerEvent =
  | { type: 'scheduler.enqueue'; task: EnqueueInput }
  /** New work may be ready: lease now rather than at the next poll. */
  | { type: 'scheduler.tick' }
  /** Stop leasing, let running tasks finish (up to drainTimeoutMs), then stop. */
  | { type: 'scheduler.drain' }
  /** Stop leasing, give running tasks' leases back, stop. */
  | { type: 'scheduler.stop' }
  /** From a task's child actor: the attempt is settled (or settling failed: `error`). */
  | { type: 'scheduler.settled'; actorId: string; settlement: Settlement | null; error?: TaskErrorInfo }
  /** From an enqueue child actor. */
  | { type: 'scheduler.enqueued'; actorId: string; task: QueuedTask | null; error?: TaskErrorInfo };

/** What observers hear (`actor.on(type, …)`). */
export type SchedulerEmitted =
  | { type: 'task.settled'; settlement: Settlement }
  | { type: 'task.enqueued'; task: QueuedTask }
  | { type: 'tasks.reclaimed'; reclaimed: Reclaimed[] }
  | { type: 'scheduler.error'; operation: string; error: TaskErrorInfo };

export interface LeaseTasksInput {
  deps: SchedulerMachineInput;
  workerId: string;
  count: number;
  leaseMs: number;
}

export interface RunTaskInput {
  deps: SchedulerMachineInput;
  actorId: string;
  task: LeasedTask;
  workerId: string;
  leaseMs: number;
}

export interface EnqueueTaskInput {
  deps: SchedulerMachineInput;
  actorId: string;
  task: EnqueueInput;
}

export interface WorkerInput {
  deps: SchedulerMachineInput;
  workerId: string;
}

function notProvided(name: string): never {
  throw new Error(`The scheduler machine's "${name}" actor is provided by actors/scheduler.ts`);
}

/** The child actor id of a task attempt. */
export function taskActorId(task: Pick<LeasedTask, 'id' | 'attempt'>): string {
  return `task:${task.id}:${task.attempt}`;
}

function errorInfo(error: unknown): TaskErrorInfo {
  return error instanceof Error ? { class: error.name, message: error.message } : { class: 'NonError', message: String(error) };
}

export const schedulerMachine = setup({
  types: {
    context: {} as SchedulerContext,
    events: {} as SchedulerEvent,
    input: {} as SchedulerMachineInput,
    emitted: {} as SchedulerEmitted,
  },
  actors: {
    leaseTasks: fromPromise<LeasedTask[], LeaseTasksInput>(async () => notProvided('leaseTasks')),
    reclaimLeases: fromPromise<Reclaimed[], WorkerInput>(async () => notProvided('reclaimLeases')),
    releaseLeases: fromPromise<Settlement[], WorkerInput>(async () => notProvided('releaseLeases')),
    runTask: fromCallback<EventObject, RunTaskInput>(() => notProvided('runTask')),
    enqueueTask: fromCallback<EventObject, EnqueueTaskInput>(() => notProvided('enqueueTask')),
  },
  delays: {
    pollInterval: ({ context }) => context.pollMs,
    reclaimInterval: ({ context }) => context.reclaimMs,
    drainTimeout: ({ context }) => context.drainTimeoutMs,
  },
  guards: {
    hasCapacity: ({ context }) => context.running.length < context.concurrency,
    // Lease again at once when told there is work, or when the last lease came back full
    // and half the slots are free: batches stay large instead of one lease per task.
    shouldLeaseNow: ({ context }) =>
      context.running.length < context.concurrency &&
      (context.tickPending || (context.lastLeaseFull && context.running.length <= Math.floor(context.concurrency / 2))),
    nothingInFlight: ({ context }) => context.running.length === 0,
  },
  actions: {
    askForFreeSlots: assign({
      asked: ({ context }) => context.concurrency - context.running.length,
      tickPending: false,
    }),
    markTickPending: assign({ tickPending: true }),
    startTasks: enqueueActions(({ context, event, enqueue }) => {
      const tasks = (event as unknown as { output: LeasedTask[] }).output;
      const ids = tasks.map(taskActorId);
      enqueue.assign({ running: [...context.running, ...ids], lastLeaseFull: tasks.length > 0 && tasks.length >= context.asked });
      for (const [i, task] of tasks.entries()) {
        enqueue.spawnChild('runTask', {
          id: ids[i]!,
          input: { deps: context.deps, actorId: ids[i]!, task, workerId: context.workerId, leaseMs: context.leaseMs },
        });
      }
    }),
    noteLeaseFailed: assign({ lastLeaseFull: false }),
    forgetTask: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'scheduler.settled') return;
      enqueue.assign({ running: context.running.filter((id) => id !== event.actorId) });
      enqueue.stopChild(event.actorId);
      if (event.settlement) enqueue.emit({ type: 'task.settled', settlement: event.settlement });
      if (event.error) enqueue.emit({ type: 'scheduler.error', operation: 'settle', error: event.error });
    }),
    spawnEnqueue: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'scheduler.enqueue') return;
      const actorId = `enqueue:${context.enqueueSeq}`;
      enqueue.assign({ enqueueSeq: context.enqueueSeq + 1 });
      enqueue.spawnChild('enqueueTask', { id: actorId, input: { deps: context.deps, actorId, task: event.task } });
    }),
    forgetEnqueue: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'scheduler.enqueued') return;
      enqueue.stopChild(event.actorId);
      if (event.task) {
        enqueue.assign({ tickPending: true });
        enqueue.emit({ type: 'task.enqueued', task: event.task });
      }
      if (event.error) enqueue.emit({ type: 'scheduler.error', operation: 'enqueue', error: event.error });
    }),
    noteReclaimed: enqueueActions(({ event, enqueue }) => {
      const reclaimed = (event as unknown as { output: Reclaimed[] }).output;
      if (reclaimed.length === 0) return;
      enqueue.emit({ type: 'tasks.reclaimed', reclaimed });
      if (reclaimed.some((r) => r.outcome === 'requeued')) enqueue.assign({ tickPending: true });
    }),
    emitEffectError: emit(({ event }, params: { operation: string }) => ({
      type: 'scheduler.error' as const,
      operation: params.operation,
      error: errorInfo((event as unknown as { error: unknown }).error),
    })),
  },
}).createMachine({
  id: 'scheduler',
  context: ({ input }) => ({
    workerId: input.workerId,
    concurrency: input.concurrency ?? DEFAULT_SCHEDULER_CONFIG.concurrency,
    leaseMs: input.leaseMs ?? DEFAULT_SCHEDULER_CONFIG.leaseMs,
    pollMs: input.pollMs ?? DEFAULT_SCHEDULER_CONFIG.pollMs,
    reclaimMs: input.reclaimMs ?? DEFAULT_SCHEDULER_CONFIG.reclaimMs,
    drainTimeoutMs: input.drainTimeoutMs ?? DEFAULT_SCHEDULER_CONFIG.drainTimeoutMs,
    deps: input,
    running: [],
    asked: 0,
    lastLeaseFull: false,
    tickPending: false,
    enqueueSeq: 0,
  }),
  initial: 'active',
  on: {
    'scheduler.settled': { actions: 'forgetTask' },
    'scheduler.enqueue': { actions: 'spawnEnqueue' },
    'scheduler.enqueued': { actions: 'forgetEnqueue' },
  },
  states: {
    active: {
      type: 'parallel',
      on: {
        'scheduler.drain': 'draining',
        'scheduler.stop': 'releasing',
      },
      states: {
        poller: {
          initial: 'leasing',
          states: {
            idle: {
              always: { guard: 'shouldLeaseNow', target: 'leasing' },
              after: { pollInterval: [{ guard: 'hasCapacity', target: 'leasing' }, { target: 'idle', reenter: true }] },
              on: {
                'scheduler.tick': [{ guard: 'hasCapacity', target: 'leasing' }, { actions: 'markTickPending' }],
              },
            },
            leasing: {
              entry: 'askForFreeSlots',
              invoke: {
                src: 'leaseTasks',
                input: ({ context }) => ({ deps: context.deps, workerId: context.workerId, count: context.asked, leaseMs: context.leaseMs }),
                onDone: { target: 'idle', actions: 'startTasks' },
                onError: { target: 'idle', actions: ['noteLeaseFailed', { type: 'emitEffectError', params: { operation: 'lease' } }] },
              },
              on: { 'scheduler.tick': { actions: 'markTickPending' } },
            },
          },
        },
        reaper: {
          initial: 'waiting',
          states: {
            waiting: { after: { reclaimInterval: 'reclaiming' } },
            reclaiming: {
              invoke: {
                src: 'reclaimLeases',
                input: ({ context }) => ({ deps: context.deps, workerId: context.workerId }),
                onDone: { target: 'waiting', actions: 'noteReclaimed' },
                onError: { target: 'waiting', actions: { type: 'emitEffectError', params: { operation: 'reclaim' } } },
              },
            },
          },
        },
      },
    },
    draining: {
      always: { guard: 'nothingInFlight', target: 'stopped' },
      after: { drainTimeout: 'releasing' },
      on: { 'scheduler.stop': 'releasing' },
    },
    releasing: {
      invoke: {
        src: 'releaseLeases',
        input: ({ context }) => ({ deps: context.deps, workerId: context.workerId }),
        onDone: 'stopped',
        onError: { target: 'stopped', actions: { type: 'emitEffectError', params: { operation: 'release' } } },
      },
    },
    // Final: XState stops every child, which aborts the handlers still running.
    stopped: { type: 'final' },
  },
});
