import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schedulerInput, schedulerLogic, startScheduler, stopScheduler, type SchedulerActor, type SchedulerInput } from '../actors/scheduler.ts';
import { createActor } from 'xstate';
import { TetherError } from '../src/errors.ts';
import { SimulatedClock } from '../src/ports/clock.ts';
import { createTaskQueue, type TaskQueue } from '../src/scheduler/task-queue.ts';
import type { Settlement } from '../src/scheduler/task-types.ts';
import type { Store } from '../src/store/open-store.ts';
import { backends } from './support/stores.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (real time) until `condition` holds, advancing a simulated clock if given. */
async function until(condition: () => boolean | Promise<boolean>, options: { clock?: SimulatedClock; stepMs?: number; timeoutMs?: number } = {}) {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    options.clock?.advance(options.stepMs ?? 100);
    await sleep(10);
  }
}

/** A promise with its resolve function, to hold handlers until the test lets them go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

for (const backend of backends) {
  describe(`scheduler actor on ${backend.name}`, () => {
    let store: Store;
    let queue: TaskQueue;
    let running: SchedulerActor[] = [];

    beforeAll(async () => {
      store = await backend.open();
      queue = createTaskQueue(store.db);
    });
    afterAll(async () => {
      await store?.close();
    });
    beforeEach(async () => {
      for (const actor of running) actor.stop();
      running = [];
      await sql`delete from tasks`.execute(store.db);
      await sql`delete from task_executions`.execute(store.db);
    });

    function start(input: Omit<SchedulerInput, 'db'>) {
      const actor = startScheduler({ db: store.db, pollMs: 20, ...input });
      running.push(actor);
      const settled: Settlement[] = [];
      actor.on('task.settled', (event) => settled.push(event.settlement));
      return { actor, settled };
    }
    const history = (taskId?: string) => {
      let query = store.db.selectFrom('task_executions').selectAll().orderBy('id');
      if (taskId) query = query.where('task_id', '=', taskId);
      return query.execute();
    };
    const statusOf = async (id: string) => (await store.db.selectFrom('tasks').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

    it('runs an enqueued task through its handler and records it once', async () => {
      const seen: unknown[] = [];
      const { actor, settled } = start({ handlers: { NOOP: async (task) => (seen.push(task.payload), { ok: true }) } });
      actor.send({ type: 'scheduler.enqueue', task: { type: 'NOOP', payload: { n: 7 } } });
      await until(() => settled.length === 1);
      expect(settled[0]!.outcome).toBe('succeeded');
      expect(seen).toEqual([{ n: 7 }]);
      expect((await history()).map((e) => e.status)).toEqual(['succeeded']);
      await stopScheduler(actor);
      expect(actor.getSnapshot().status).toBe('done');
    });

    it('dispatches by type, with prefix handlers such as CODE_*, and fails a type nobody handles at once', async () => {
      const calls: string[] = [];
      const { actor, settled } = start({
        handlers: {
          'CODE_*': async (task) => void calls.push(`code:${task.type}`),
          CODE_TEST: async (task) => void calls.push(`test:${task.type}`),
        },
      });
      const read = await queue.enqueue({ type: 'CODE_READ' });
      const test = await queue.enqueue({ type: 'CODE_TEST' });
      const odd = await queue.enqueue({ type: 'UNKNOWN', maxAttempts: 3 });
      actor.send({ type: 'scheduler.tick' });
      await until(() => settled.length === 3);
      expect(calls.sort()).toEqual(['code:CODE_READ', 'test:CODE_TEST']);
      expect(await statusOf(read.id)).toBe('succeeded');
      expect(await statusOf(test.id)).toBe('succeeded');
      expect(await statusOf(odd.id)).toBe('failed');
      expect((await history(odd.id)).map((e) => e.error_class)).toEqual(['NOT_FOUND']);
      await stopScheduler(actor);
    });

    it('turns a throwing handler into retries with backoff and then a failure, each attempt in history', async () => {
      let attempts = 0;
      const { actor, settled } = start({
        backoff: { baseMs: 10 },
        handlers: {
          FLAKY: async () => {
            attempts++;
            throw new RangeError(`out of range on attempt ${attempts}`);
          },
        },
      });
      const queued = await queue.enqueue({ type: 'FLAKY', maxAttempts: 3 });
      actor.send({ type: 'scheduler.tick' });
      await until(() => settled.some((s) => s.outcome === 'failed'));
      expect(settled.map((s) => s.outcome)).toEqual(['retry_scheduled', 'retry_scheduled', 'failed']);
      const rows = await history(queued.id);
      expect(rows.map((e) => [e.status, e.error_class, e.error_message])).toEqual([
        ['failed', 'RangeError', 'out of range on attempt 1'],
        ['failed', 'RangeError', 'out of range on attempt 2'],
        ['failed', 'RangeError', 'out of range on attempt 3'],
      ]);
      await stopScheduler(actor);
    });

    it('records a TetherError by its code and does not retry a configuration error', async () => {
      const { actor, settled } = start({
        handlers: { CONF: async () => Promise.reject(new TetherError('CONFIG_INVALID', 'port must be a number')) },
      });
      const queued = await queue.enqueue({ type: 'CONF', maxAttempts: 3 });
      actor.send({ type: 'scheduler.tick' });
      await until(() => settled.length === 1);
      expect(settled[0]!.outcome).toBe('failed');
      expect((await history(queued.id)).map((e) => [e.error_class, e.error_message])).toEqual([['CONFIG_INVALID', 'port must be a number']]);
      await stopScheduler(actor);
    });

    it('never runs more tasks at once than its concurrency limit', async () => {
      let active = 0;
      let peak = 0;
      const hold = gate();
      const { actor, settled } = start({
        concurrency: 3,
        handlers: {
          SLOW: async () => {
            active++;
            peak = Math.max(peak, active);
            await hold.opened;
            active--;
          },
        },
      });
      await queue.enqueueMany(Array.from({ length: 10 }, () => ({ type: 'SLOW' })));
      actor.send({ type: 'scheduler.tick' });
      await until(() => active === 3);
      await sleep(150); // several poll intervals: still three
      expect(active).toBe(3);
      expect(actor.getSnapshot().context.running).toHaveLength(3);
      hold.open();
      await until(() => settled.length === 10);
      expect(peak).toBe(3);
      await stopScheduler(actor);
    });

    it('runs higher-priority tasks first', async () => {
      const order: number[] = [];
      await queue.enqueueMany([1, 5, 3, 9].map((priority) => ({ type: 'P', priority, payload: { priority } })));
      const { actor, settled } = start({ concurrency: 1, handlers: { P: async (task) => void order.push(task.priority) } });
      await until(() => settled.length === 4);
      expect(order).toEqual([9, 5, 3, 1]);
      await stopScheduler(actor);
    });

    it('reclaims the lease of a dead runner on its reaper timer and completes the task exactly once', async () => {
      const clock = new SimulatedClock();
      const queued = await queue.enqueue({ type: 'NOOP' });
      // A runner that leased the task and died: it never reports.
      const [dead] = await queue.lease('w-dead', 1, 50);
      await sleep(100); // lease expiry is database time, so real time must pass
      let runs = 0;
      const { actor, settled } = start({ clock, pollMs: 60_000, reclaimMs: 5_000, handlers: { NOOP: async () => void runs++ } });
      await sleep(50);
      expect(runs).toBe(0);
      // Advance the simulated clock past the reaper's interval: it requeues, then leases.
      await until(() => settled.length === 1, { clock, stepMs: 1_000 });
      expect(settled[0]).toMatchObject({ taskId: queued.id, outcome: 'succeeded' });
      expect(runs).toBe(1);
      expect((await queue.complete(dead!)).outcome).toBe('rejected');
      expect((await history(queued.id)).map((e) => e.status)).toEqual(['succeeded']);
      await stopScheduler(actor);
    });

    it('drains: stops leasing, lets running tasks finish, then ends', async () => {
      const hold = gate();
      const { actor, settled } = start({ concurrency: 2, handlers: { SLOW: () => hold.opened } });
      const tasks = await queue.enqueueMany(Array.from({ length: 4 }, () => ({ type: 'SLOW' })));
      actor.send({ type: 'scheduler.tick' });
      await until(() => actor.getSnapshot().context.running.length === 2);
      const stopped = stopScheduler(actor, 'drain');
      await sleep(50);
      expect(actor.getSnapshot().value).toBe('draining');
      hold.open();
      await stopped;
      expect(settled.map((s) => s.outcome)).toEqual(['succeeded', 'succeeded']);
      const statuses = await Promise.all(tasks.map((t) => statusOf(t.id)));
      expect(statuses.sort()).toEqual(['queued', 'queued', 'succeeded', 'succeeded']);
    });

    it('stops: gives running leases back at once, aborting the handlers, so the process can exit', async () => {
      let aborted = 0;
      const { actor } = start({
        handlers: {
          FOREVER: (_task, { signal }) =>
            new Promise((_, reject) => signal.addEventListener('abort', () => (aborted++, reject(signal.reason)))),
        },
      });
      const queued = await queue.enqueue({ type: 'FOREVER' });
      actor.send({ type: 'scheduler.tick' });
      await until(() => actor.getSnapshot().context.running.length === 1);
      await stopScheduler(actor, 'stop');
      expect(aborted).toBe(1);
      const row = await store.db.selectFrom('tasks').selectAll().where('id', '=', queued.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'queued', attempts: 0, lease_owner: null });
      expect(await history(queued.id)).toEqual([]);
    });

    it('gives leases back after the drain timeout when tasks do not finish', async () => {
      const clock = new SimulatedClock();
      const { actor } = start({ clock, drainTimeoutMs: 1_000, handlers: { STUCK: () => new Promise(() => {}) } });
      const queued = await queue.enqueue({ type: 'STUCK' });
      actor.send({ type: 'scheduler.tick' });
      await until(() => actor.getSnapshot().context.running.length === 1);
      const stopped = stopScheduler(actor, 'drain');
      await until(() => actor.getSnapshot().status === 'done', { clock, stepMs: 500 });
      await stopped;
      expect(await statusOf(queued.id)).toBe('queued');
    });

    it('fails a task that runs past its time limit', async () => {
      const clock = new SimulatedClock();
      const { actor, settled } = start({ clock, taskTimeoutMs: 5_000, handlers: { STUCK: () => new Promise(() => {}) } });
      const queued = await queue.enqueue({ type: 'STUCK', maxAttempts: 1 });
      actor.send({ type: 'scheduler.tick' });
      await until(() => actor.getSnapshot().context.running.length === 1);
      await until(() => settled.length === 1, { clock, stepMs: 1_000 });
      expect(settled[0]!.outcome).toBe('failed');
      expect((await history(queued.id)).map((e) => e.error_class)).toEqual(['TaskTimeout']);
      await stopScheduler(actor);
    });

    it('runs as an invokable logic with systemId scheduler under a parent system', async () => {
      const actor = createActor(schedulerLogic, {
        systemId: 'scheduler',
        input: schedulerInput({ db: store.db, handlers: { NOOP: async () => 1 }, pollMs: 20 }),
      }).start();
      running.push(actor);
      expect(actor.system.get('scheduler')).toBe(actor);
      expect(actor.getSnapshot().context.workerId).toMatch(/^worker_/);
      await stopScheduler(actor);
    });
  });
}
