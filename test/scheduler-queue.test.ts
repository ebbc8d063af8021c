import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTetherError } from '../src/errors.ts';
import { createTaskQueue, type TaskQueue } from '../src/scheduler/task-queue.ts';
import type { Store } from '../src/store/open-store.ts';
import { backends } from './support/stores.ts';
import { flushLedger } from '../src/ledger/ledger-writer.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of backends) {
  describe(`task queue on ${backend.name}`, () => {
    let store: Store;
    let queue: TaskQueue;

    beforeAll(async () => {
      store = await backend.open();
      queue = createTaskQueue(store.db, { backoff: { baseMs: 40, factor: 2 } });
    });
    afterAll(async () => {
      await store?.close();
    });
    beforeEach(async () => {
      // Tests share one store; each starts with an empty queue and history.
      await sql`delete from tasks`.execute(store.db);
      await sql`delete from task_executions`.execute(store.db);
    });

    const history = (taskId: string) =>
      store.db.selectFrom('task_executions').selectAll().where('task_id', '=', taskId).orderBy('id').execute();
    // On PostgreSQL entries are queued at commit and chained shortly after: flush before reading.
    const ledgerTypes = async (taskId: string) => {
      await flushLedger(store.db);
      const entries = await store.db.selectFrom('ledger_entries').select(['type']).where('subject', '=', taskId).orderBy('seq').execute();
      return entries.map((e) => e.type);
    };
    const task = (id: string) => store.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    it('enqueues, leases and completes a task, recording it once in history', async () => {
      const queued = await queue.enqueue({ type: 'NOOP', payload: { n: 1 }, goalId: 'g1', planId: 'p1' });
      const [leased] = await queue.lease('w1', 5, 30_000);
      expect(leased).toMatchObject({ id: queued.id, type: 'NOOP', payload: { n: 1 }, goalId: 'g1', planId: 'p1', attempt: 1, owner: 'w1' });
      expect(leased!.leaseExpiresAt.getTime()).toBeGreaterThan(leased!.startedAt.getTime());

      expect(await queue.complete(leased!, { answer: 42 })).toEqual({ taskId: queued.id, outcome: 'succeeded' });
      const again = await queue.complete(leased!, { answer: 43 });
      expect(again.outcome).toBe('rejected');

      const row = await task(queued.id);
      expect(row).toMatchObject({ status: 'succeeded', result: { answer: 42 }, lease_owner: null, attempts: 1 });
      const executions = await history(queued.id);
      expect(executions).toHaveLength(1);
      expect(executions[0]).toMatchObject({ type: 'NOOP', goal_id: 'g1', status: 'succeeded', error_class: null });
      expect(await ledgerTypes(queued.id)).toEqual(['task.queued', 'task.started', 'task.succeeded']);
    });

    it('writes the ledger entries of a task in order, naming its goal and plan', async () => {
      const queued = await queue.enqueue({ type: 'NOOP', goalId: 'g2', planId: 'p2' });
      const [leased] = await queue.lease('w1', 1, 30_000);
      await queue.complete(leased!);
      await flushLedger(store.db);
      const entries = await store.db.selectFrom('ledger_entries').select(['seq', 'type', 'actor', 'subjects']).where('subject', '=', queued.id).orderBy('seq').execute();
      expect(entries.map((e) => e.type)).toEqual(['task.queued', 'task.started', 'task.succeeded']);
      const seqs = entries.map((e) => Number(e.seq));
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      for (const entry of entries) {
        expect(entry.actor).toBe('scheduler');
        expect(entry.subjects).toEqual({ task: queued.id, goal: 'g2', plan: 'p2' });
      }
    });

    it('retries a failing task with exponential backoff, then fails it, with every attempt in history', async () => {
      // Long enough that the lease right after a failure is surely early, even on PGlite.
      const slow = createTaskQueue(store.db, { backoff: { baseMs: 250, factor: 2 } });
      const queued = await slow.enqueue({ type: 'FLAKY', maxAttempts: 3 });
      const outcomes: string[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        let leased = await slow.lease('w1', 1, 30_000);
        // Not before the backoff has passed (database time).
        if (attempt > 1) expect(leased).toEqual([]);
        for (let i = 0; leased.length === 0 && i < 100; i++) {
          await sleep(25);
          leased = await slow.lease('w1', 1, 30_000);
        }
        expect(leased[0]!.attempt).toBe(attempt);
        const settlement = await slow.fail(leased[0]!, { class: 'TypeError', message: `attempt ${attempt} broke` });
        outcomes.push(settlement.outcome);
      }
      expect(outcomes).toEqual(['retry_scheduled', 'retry_scheduled', 'failed']);

      const row = await task(queued.id);
      expect(row).toMatchObject({ status: 'failed', attempts: 3, error: { class: 'TypeError', message: 'attempt 3 broke' } });
      const executions = await history(queued.id);
      expect(executions.map((e) => [e.status, e.error_class, e.error_message])).toEqual([
        ['failed', 'TypeError', 'attempt 1 broke'],
        ['failed', 'TypeError', 'attempt 2 broke'],
        ['failed', 'TypeError', 'attempt 3 broke'],
      ]);
      await flushLedger(store.db);
      const retries = await store.db.selectFrom('ledger_entries').select('payload').where('subject', '=', queued.id).where('type', '=', 'task.retry_scheduled').orderBy('seq').execute();
      expect(retries.map((r) => r.payload.delayMs)).toEqual([250, 500]);
      expect(await ledgerTypes(queued.id)).toEqual([
        'task.queued',
        'task.started',
        'task.retry_scheduled',
        'task.started',
        'task.retry_scheduled',
        'task.started',
        'task.failed',
      ]);
    });

    it('fails at once, with one history row, when the error is not retryable', async () => {
      const queued = await queue.enqueue({ type: 'COGNITIVE', maxAttempts: 3 });
      const [leased] = await queue.lease('w1', 1, 30_000);
      const settlement = await queue.fail(leased!, { class: 'MODEL_NOT_CONFIGURED', message: 'no model', retryable: false });
      expect(settlement.outcome).toBe('failed');
      expect(await history(queued.id)).toHaveLength(1);
    });

    it('leases by priority, then by due time and age', async () => {
      const low = await queue.enqueue({ type: 'NOOP', priority: 0 });
      const high = await queue.enqueue({ type: 'NOOP', priority: 10 });
      const mid1 = await queue.enqueue({ type: 'NOOP', priority: 5 });
      const mid2 = await queue.enqueue({ type: 'NOOP', priority: 5 });
      const order: string[] = [];
      for (let i = 0; i < 4; i++) {
        const [leased] = await queue.lease('w1', 1, 30_000);
        order.push(leased!.id);
      }
      expect(order).toEqual([high.id, mid1.id, mid2.id, low.id]);

      await sql`delete from tasks`.execute(store.db);
      const a = await queue.enqueue({ type: 'NOOP', priority: 1 });
      const b = await queue.enqueue({ type: 'NOOP', priority: 3 });
      const batch = await queue.lease('w1', 10, 30_000);
      expect(batch.map((t) => t.id)).toEqual([b.id, a.id]);
    });

    it('does not lease a task before its delay has passed', async () => {
      const later = await queue.enqueue({ type: 'NOOP', delayMs: 60_000 });
      const now = await queue.enqueue({ type: 'NOOP' });
      const leased = await queue.lease('w1', 10, 30_000);
      expect(leased.map((t) => t.id)).toEqual([now.id]);
      expect((await task(later.id)).status).toBe('queued');
    });

    it('leases only the task types asked for', async () => {
      const code = await queue.enqueue({ type: 'CODE_READ' });
      await queue.enqueue({ type: 'COGNITIVE' });
      const leased = await queue.lease('w1', 10, 30_000, { types: ['CODE_READ'] });
      expect(leased.map((t) => t.id)).toEqual([code.id]);
      expect(await queue.lease('w1', 10, 30_000, { types: [] })).toEqual([]);
    });

    it('re-queues an expired lease; another worker completes it once and the dead one is rejected', async () => {
      const queued = await queue.enqueue({ type: 'NOOP', maxAttempts: 3 });
      // The "dead runner": leases and never reports.
      const [dead] = await queue.lease('w-dead', 1, 50);
      expect(await queue.reclaimExpired()).toEqual([]);
      await sleep(120);
      expect(await queue.reclaimExpired()).toEqual([{ taskId: queued.id, owner: 'w-dead', outcome: 'requeued' }]);

      const [alive] = await queue.lease('w-alive', 1, 30_000);
      expect(alive).toMatchObject({ id: queued.id, attempt: 2, owner: 'w-alive' });
      // The old runner wakes up while the new one holds the lease, and again after it finished.
      expect((await queue.complete(dead!, 'late')).outcome).toBe('rejected');
      expect((await queue.fail(dead!, { class: 'Error', message: 'late' })).outcome).toBe('rejected');
      expect(await queue.complete(alive!, 'fresh')).toMatchObject({ outcome: 'succeeded' });
      const late = await queue.complete(dead!, 'late');
      expect(late.outcome).toBe('rejected');
      expect(late.reason).toContain('succeeded');

      expect(await task(queued.id)).toMatchObject({ status: 'succeeded', result: 'fresh', attempts: 2 });
      const executions = await history(queued.id);
      expect(executions.map((e) => e.status)).toEqual(['succeeded']);
      expect(await ledgerTypes(queued.id)).toEqual(['task.queued', 'task.started', 'task.lease_expired', 'task.started', 'task.succeeded']);
    });

    it('rejects a completion from an earlier lease of the same worker', async () => {
      await queue.enqueue({ type: 'NOOP' });
      const [first] = await queue.lease('w1', 1, 30);
      await sleep(80);
      await queue.reclaimExpired();
      const [second] = await queue.lease('w1', 1, 30_000);
      expect(second!.attempt).toBe(2);
      expect((await queue.complete(first!)).outcome).toBe('rejected');
      expect((await queue.complete(second!)).outcome).toBe('succeeded');
    });

    it('fails an expired task whose attempts are spent, recording LEASE_EXPIRED in history', async () => {
      const queued = await queue.enqueue({ type: 'NOOP', maxAttempts: 1 });
      await queue.lease('w-dead', 1, 30);
      await sleep(80);
      expect(await queue.reclaimExpired()).toEqual([{ taskId: queued.id, owner: 'w-dead', outcome: 'failed' }]);
      expect((await task(queued.id)).status).toBe('failed');
      const executions = await history(queued.id);
      expect(executions.map((e) => [e.status, e.error_class])).toEqual([['failed', 'LEASE_EXPIRED']]);
      expect(await ledgerTypes(queued.id)).toEqual(['task.queued', 'task.started', 'task.lease_expired', 'task.failed']);
    });

    it('keeps a lease alive with heartbeats and reports a lost one', async () => {
      await queue.enqueue({ type: 'NOOP' });
      const [leased] = await queue.lease('w1', 1, 100);
      const extended = await queue.heartbeat(leased!, 60_000);
      expect(extended!.getTime()).toBeGreaterThan(leased!.leaseExpiresAt.getTime());
      await sleep(150);
      expect(await queue.reclaimExpired()).toEqual([]);
      expect(await queue.heartbeat({ ...leased!, owner: 'someone-else' }, 60_000)).toBeNull();
    });

    it('releases leases without spending the attempt', async () => {
      const queued = await queue.enqueue({ type: 'NOOP' });
      await queue.enqueue({ type: 'NOOP' });
      const leased = await queue.lease('w1', 2, 30_000);
      expect((await queue.release(leased[0]!)).outcome).toBe('released');
      expect((await queue.releaseAll('w1')).map((s) => s.outcome)).toEqual(['released']);
      expect((await queue.complete(leased[1]!)).outcome).toBe('rejected');
      expect(await task(queued.id)).toMatchObject({ status: 'queued', attempts: 0, lease_owner: null });
      expect(await ledgerTypes(queued.id)).toEqual(['task.queued', 'task.started', 'task.released']);
    });

    it('re-queues a failed task on request, and refuses to re-queue one that did not fail', async () => {
      const queued = await queue.enqueue({ type: 'NOOP', maxAttempts: 1 });
      const [leased] = await queue.lease('w1', 1, 30_000);
      await queue.fail(leased!, { class: 'Error', message: 'boom' });
      expect(await queue.retry(queued.id, { actor: 'alice' })).toMatchObject({ id: queued.id, maxAttempts: 2 });
      const [again] = await queue.lease('w1', 1, 30_000);
      expect(again!.attempt).toBe(2);
      await expect(queue.retry(queued.id, { actor: 'alice' })).rejects.toSatisfy((e) => isTetherError(e, 'INVALID_TRANSITION'));
      await expect(queue.retry('task_missing', { actor: 'alice' })).rejects.toSatisfy((e) => isTetherError(e, 'NOT_FOUND'));
    });

    it('enqueues inside the caller transaction: a rollback leaves no task and no ledger entry', async () => {
      await flushLedger(store.db);
      const before = await store.db.selectFrom('ledger_entries').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      await expect(
        store.db.transaction().execute(async (trx) => {
          await queue.enqueue({ type: 'NOOP', id: 'task_rolled_back' }, trx);
          throw new Error('the planner changed its mind');
        }),
      ).rejects.toThrow('changed its mind');
      expect(await store.db.selectFrom('tasks').selectAll().where('id', '=', 'task_rolled_back').execute()).toEqual([]);
      await flushLedger(store.db);
      const after = await store.db.selectFrom('ledger_entries').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('refuses an invalid task with VALIDATION_FAILED and queues none of a batch', async () => {
      await expect(queue.enqueueMany([{ type: 'NOOP' }, { type: '' }])).rejects.toSatisfy((e) => isTetherError(e, 'VALIDATION_FAILED'));
      await expect(queue.enqueue({ type: 'NOOP', maxAttempts: 0 })).rejects.toSatisfy((e) => isTetherError(e, 'VALIDATION_FAILED'));
      expect(await store.db.selectFrom('tasks').selectAll().execute()).toEqual([]);
    });
  });
}
