import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskQueue } from '../src/scheduler/task-queue.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { createPostgresDatabase, postgresUrl } from './support/stores.ts';
import { flushLedger } from '../src/ledger/ledger-writer.ts';

// Four connection pools on one database stand for four processes leasing at once.
describe.skipIf(!postgresUrl)('task leasing on PostgreSQL under concurrency', () => {
  let stores: Store[] = [];
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const database = await createPostgresDatabase('tether_sched');
    drop = database.drop;
    // Durability is not what this test checks: commits skip the disk flush to keep it quick.
    const admin = await openStore({ url: database.url, migrate: false });
    await sql.raw(`alter database "${new URL(database.url).pathname.slice(1)}" set synchronous_commit = off`).execute(admin.db);
    await admin.close();
    stores.push(await openStore({ url: database.url, poolSize: 3 }));
    for (let i = 1; i < 4; i++) stores.push(await openStore({ url: database.url, poolSize: 3, migrate: false }));
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    stores = [];
    await drop?.();
  });

  it('never leases one task to two workers: 1,000 tasks, 4 concurrent lease loops, each completed exactly once', async () => {
    const total = 1_000;
    const setup = createTaskQueue(stores[0]!.db);
    for (let i = 0; i < total; i += 250) {
      await setup.enqueueMany(Array.from({ length: 250 }, (_, j) => ({ type: 'NOOP', payload: { n: i + j } })));
    }

    const leasedBy = await Promise.all(
      stores.map(async (store, w) => {
        const queue = createTaskQueue(store.db);
        const workerId = `worker-${w}`;
        const mine: string[] = [];
        for (;;) {
          const leased = await queue.lease(workerId, 10, 60_000);
          if (leased.length === 0) break;
          // Complete concurrently, as a scheduler with free slots would.
          const settled = await Promise.all(leased.map((task) => queue.complete(task, { by: workerId })));
          for (const s of settled) expect(s.outcome).toBe('succeeded');
          mine.push(...leased.map((t) => t.id));
        }
        return mine;
      }),
    );

    const all = leasedBy.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    // Every loop got work: the leasing really was concurrent.
    for (const mine of leasedBy) expect(mine.length).toBeGreaterThan(0);

    const db = stores[0]!.db;
    const tasks = await db.selectFrom('tasks').select(['status', 'attempts']).execute();
    expect(tasks.every((t) => t.status === 'succeeded' && t.attempts === 1)).toBe(true);
    const history = await sql<{ runs: string; tasks: string }>`
      select count(*) as runs, count(distinct task_id) as tasks from task_executions where status = 'succeeded'`.execute(db);
    expect(history.rows[0]).toEqual({ runs: String(total), tasks: String(total) });
    await flushLedger(db);
    const ledger = await sql<{ type: string; n: string }>`
      select type, count(*) as n from ledger_entries group by type order by type`.execute(db);
    expect(ledger.rows).toEqual([
      { type: 'task.queued', n: String(total) },
      { type: 'task.started', n: String(total) },
      { type: 'task.succeeded', n: String(total) },
    ]);
  }, 180_000);
});
