/**
 * Detector scan cost against history length: one incremental scan of the task-failure
 * detector (and of the duration-regression detector) over 10,000 and over 1,000,000 rows
 * of history holding the same window contents, on PGlite and PostgreSQL, in one run.
 * Target: the larger history costs at most 1.2× the smaller.
 *
 * Setup per backend and size: old history (older than 9 days, outside every window) is
 * bulk-inserted with generate_series and the detectors' watermarks are set past it, as
 * after earlier scans; then the same 600 executions of the last 24 hours and the same
 * baseline week are inserted as new rows. Each timed scan starts from that watermark
 * (reset between repetitions); the figure is the median of the repetitions, the two sizes
 * timed alternately so that load from other processes falls on both alike.
 */
import { sql } from 'kysely';
import { cpus, loadavg } from 'node:os';
import { Client } from 'pg';
import { createDurationRegressionDetector } from '../actors/detectors/duration-regression.ts';
import { createTaskFailureDetector } from '../actors/detectors/task-failure.ts';
import type { Detector } from '../src/goals/detector.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import type { BenchRow, BenchSection } from './types.ts';

const SIZES = [10_000, 1_000_000] as const;
const REPEAT = 41;
const WARMUP = 5;
const TYPES = 20;

async function seed(store: Store, history: number): Promise<number> {
  // Old history: every type, 10% failures with varied messages, 9 to ~400 days ago.
  await sql`
    insert into task_executions (task_id, type, goal_id, status, error_class, error_message, started_at, finished_at, duration_ms)
    select 'old-' || g, 'type-' || (g % ${TYPES}), null,
           case when g % 10 = 0 then 'failed' else 'succeeded' end,
           case when g % 10 = 0 then 'Error' end,
           case when g % 10 = 0 then 'failure ' || (g % 97) || ' at /srv/job/' || g end,
           now() - interval '9 days' - g * interval '30 seconds' - interval '100 milliseconds',
           now() - interval '9 days' - g * interval '30 seconds',
           100
      from generate_series(1, ${history}) as g`.execute(store.db);
  await sql`analyze task_executions`.execute(store.db);
  const high = await sql<{ high: string }>`select coalesce(max(id), 0) as high from task_executions`.execute(store.db);
  return Number(high.rows[0]!.high);
}

async function addWindow(store: Store): Promise<void> {
  // The same window contents for every size: the baseline week and the last 24 hours.
  await sql`
    insert into task_executions (task_id, type, goal_id, status, error_class, error_message, started_at, finished_at, duration_ms)
    select 'base-' || g, 'type-' || (g % ${TYPES}), null, 'succeeded', null, null,
           now() - interval '2 days' - g * interval '10 minutes' - interval '100 milliseconds',
           now() - interval '2 days' - g * interval '10 minutes', 100
      from generate_series(1, 600) as g`.execute(store.db);
  await sql`
    insert into task_executions (task_id, type, goal_id, status, error_class, error_message, started_at, finished_at, duration_ms)
    select 'new-' || g, 'type-' || (g % ${TYPES}), null,
           case when g % 4 = 0 then 'failed' else 'succeeded' end,
           case when g % 4 = 0 then 'TimeoutError' end,
           case when g % 4 = 0 then 'Timeout after ' || (g * 7) || ' ms in /tmp/run-' || g end,
           now() - g * interval '2 minutes' - (100 + (g % 5) * 100) * interval '1 millisecond',
           now() - g * interval '2 minutes', 100 + (g % 5) * 100
      from generate_series(1, 600) as g`.execute(store.db);
}

/** Sets the detector's watermark back to where the timed scan starts. */
async function rewind(store: Store, detector: Detector, watermark: number): Promise<void> {
  await sql`insert into detector_watermarks (detector, watermark) values (${detector.name}, ${watermark})
            on conflict (detector) do update set watermark = excluded.watermark`.execute(store.db);
}

async function timedScan(store: Store, detector: Detector, watermark: number): Promise<{ ms: number; findings: number }> {
  await rewind(store, detector, watermark);
  const started = performance.now();
  const findings = (await detector.scan(store)).length;
  return { ms: performance.now() - started, findings };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Prepared {
  store: Store;
  watermark: number;
  drop(): Promise<void>;
}

async function prepare(open: () => Promise<{ store: Store; drop(): Promise<void> }>, history: number): Promise<Prepared> {
  const { store, drop } = await open();
  const watermark = await seed(store, history);
  await addWindow(store);
  // Vacuum now, so neither autovacuum nor first-read hint-bit writes land inside a timed scan.
  await sql`vacuum analyze task_executions`.execute(store.db);
  return { store, watermark, drop };
}

interface Pair {
  small: number;
  large: number;
  findings: string;
}

/**
 * Times a detector on both stores alternately (small, large, large, small, …), so load
 * from anything else on the machine falls on both sizes alike.
 */
async function interleaved(small: Prepared, large: Prepared, make: () => Detector): Promise<Pair> {
  const detector = make();
  const times = { small: [] as number[], large: [] as number[] };
  const findings = { small: 0, large: 0 };
  for (let i = 0; i < WARMUP + REPEAT; i++) {
    const order = i % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const);
    for (const which of order) {
      const target = which === 'small' ? small : large;
      const { ms, findings: n } = await timedScan(target.store, detector, target.watermark);
      findings[which] = n;
      if (i >= WARMUP) times[which].push(ms);
    }
  }
  return { small: median(times.small), large: median(times.large), findings: `${findings.small} at 10k, ${findings.large} at 1M` };
}

async function coldScan(store: Store): Promise<number> {
  const started = performance.now();
  await createTaskFailureDetector({ name: 'cold' }).scan(store);
  return performance.now() - started;
}

async function openPGlite() {
  const store = await openStore({ url: 'memory://' });
  return { store, drop: async () => {} };
}

const pgUrl = process.env.TETHER_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function openPostgres() {
  const name = `tether_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const admin = new Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  const store = await openStore({ url: url.toString() });
  return {
    store,
    drop: async () => {
      const c = new Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

async function postgresReachable(): Promise<boolean> {
  const c = new Client({ connectionString: pgUrl });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export default async function detectorBench(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const backends: Array<[string, () => Promise<{ store: Store; drop(): Promise<void> }>]> = [['PGlite', openPGlite]];
  if (await postgresReachable()) backends.push(['PostgreSQL', openPostgres]);
  else notes.push(`PostgreSQL at ${pgUrl.replace(/\/\/[^@]*@/, '//…@')} was not reachable: its rows are missing.`);

  for (const [name, open] of backends) {
    const small = await prepare(open, SIZES[0]);
    const large = await prepare(open, SIZES[1]);
    try {
      const tf = await interleaved(small, large, () => createTaskFailureDetector());
      const dr = await interleaved(small, large, () => createDurationRegressionDetector());
      const cold = { small: await coldScan(small.store), large: await coldScan(large.store) };
      rows.push({
        case: `${name}: task-failure scan, 1M vs 10k rows of history`,
        tether: tf.large,
        baseline: tf.small,
        baselineName: '10k rows',
        unit: 'ms (median)',
        target: '≤ 1.2×',
      });
      rows.push({
        case: `${name}: duration-regression scan, 1M vs 10k rows`,
        tether: dr.large,
        baseline: dr.small,
        baselineName: '10k rows',
        unit: 'ms (median)',
        target: '≤ 1.2×',
      });
      rows.push({
        case: `${name}: first scan ever (no watermark), 1M vs 10k rows`,
        tether: cold.large,
        baseline: cold.small,
        baselineName: '10k rows',
        unit: 'ms (one run)',
        target: '≤ 1.2× (not required)',
      });
      notes.push(`${name}: findings per scan, task-failure ${tf.findings}; duration-regression ${dr.findings}.`);
    } finally {
      for (const p of [small, large]) {
        await p.store.close();
        await p.drop();
      }
    }
  }
  notes.push(
    `Each timed scan reads the 1,200 executions past the watermark and evaluates the windows of ${TYPES} task types; median of ${REPEAT} after ${WARMUP} warm-ups, the two sizes timed alternately.`,
    `Load average at the end of the run: ${loadavg().map((l) => l.toFixed(1)).join(', ')} on ${cpus().length} CPUs (other work shares this machine).`,
    'The first-scan row is a detector that has never run: it starts at the first execution inside its window (found through the finished_at index), so it too reads the window, not the history.',
  );
  return { title: 'Detector scan cost vs history length', rows, notes };
}
