/**
 * Scheduler throughput: no-op tasks per second through the real path (lease with SKIP
 * LOCKED, handler, completion with its history row and ledger entries, all transactional),
 * with 1 scheduler actor against 4 concurrent ones in one process, on PGlite and on
 * PostgreSQL. The ratio is 4 loops / 1 loop. Several processes are measured elsewhere.
 *
 * PostgreSQL: TETHER_BENCH_DATABASE_URL, else the local server; a database is created
 * for the run and dropped after it. Skipped when no server answers.
 */
import { sql } from 'kysely';
import { startScheduler, stopScheduler, type SchedulerActor } from '../actors/scheduler.ts';
import { createTaskQueue } from '../src/scheduler/task-queue.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import type { BenchRow, BenchSection } from './types.ts';
import { benchPostgresStore } from './support/postgres-store.ts';

const CONCURRENCY = 8;

async function throughput(store: Store, loops: number, tasks: number): Promise<number> {
  await sql`delete from tasks`.execute(store.db);
  const queue = createTaskQueue(store.db);
  for (let i = 0; i < tasks; i += 500) {
    await queue.enqueueMany(Array.from({ length: Math.min(500, tasks - i) }, () => ({ type: 'NOOP' })));
  }
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const started = performance.now();
  const actors: SchedulerActor[] = [];
  for (let i = 0; i < loops; i++) {
    const actor = startScheduler({ db: store.db, workerId: `bench-${loops}-${i}`, concurrency: CONCURRENCY, pollMs: 50, handlers: { NOOP: async () => null } });
    actor.on('task.settled', (event) => {
      if (event.settlement.outcome === 'succeeded' && ++done === tasks) finish();
    });
    actors.push(actor);
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(actors.map((actor) => stopScheduler(actor)));
  return tasks / seconds;
}

async function rows(store: Store, label: string, tasks: number): Promise<BenchRow> {
  await throughput(store, 1, Math.min(50, tasks)); // warm-up: JIT, plans, pool
  const one = await throughput(store, 1, tasks);
  const four = await throughput(store, 4, tasks);
  return {
    case: `no-op tasks, 4 scheduler loops vs 1 (concurrency ${CONCURRENCY} each), ${label}, ${tasks} tasks`,
    tether: four,
    baseline: one,
    baselineName: '1 loop',
    unit: 'tasks/s',
    higherIsBetter: true,
  };
}

const postgresStore = () => benchPostgresStore('sched', { poolSize: 16 });

export default async function schedulerBench(): Promise<BenchSection> {
  const result: BenchRow[] = [];
  const notes = [
    'Each task costs three ledger entries (queued, started, succeeded) and one history row, each written with its state change in one transaction.',
    'On PostgreSQL ledger entries go to the ledger queue and are chained in batches, so appenders do not wait for each other; PGlite has one connection, so loops only interleave.',
  ];
  const pglite = await openStore({ url: 'memory://' });
  try {
    result.push(await rows(pglite, 'PGlite (memory)', 400));
  } finally {
    await pglite.close();
  }
  const pg = await postgresStore();
  if (pg) {
    try {
      result.push(await rows(pg.store, 'PostgreSQL', 1000));
    } finally {
      await pg.drop();
    }
  } else {
    notes.push('PostgreSQL skipped: no server at TETHER_BENCH_DATABASE_URL or 127.0.0.1:5432.');
  }
  return { title: 'Scheduler: no-op task throughput, one process', rows: result, notes };
}
