/**
 * The store: embedded PGlite beside PostgreSQL, in one run. Open time (fresh and reopen),
 * single-statement and one-transaction insert throughput into task_executions (PGlite
 * file-backed with fsync on and off, PGlite in memory, PostgreSQL), and the resident memory
 * of a process holding the store, idle and after 1,000,000 rows of task history, measured
 * in child processes (bench/store/rss-child.ts) so this process's memory does not count.
 *
 * PostgreSQL: TETHER_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
 * the bench creates its own databases there and drops them at the end.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore, type Store, type StoreOptions } from '../src/store/open-store.ts';
import type { RssChildConfig, RssChildReport } from './store/rss-child.ts';
import type { BenchRow, BenchSection } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const adminUrl = process.env.TETHER_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `tether_bench_${process.pid}`;
const HISTORY_ROWS = 1_000_000;
const AUTOCOMMIT_ROWS = 2_000;
const TX_ROWS = 10_000;
const MB = 2 ** 20;

const PG = 'PostgreSQL';

function dbUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const created: string[] = [];
async function createDatabase(name: string): Promise<string> {
  await admin((c) => c.query(`create database ${name}`));
  created.push(name);
  return dbUrl(name);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

// ---- open time -------------------------------------------------------------------------

async function openTimes(work: string): Promise<{ pgliteFresh: number; pgliteReopen: number; pgFresh: number; pgReopen: number }> {
  const reps = [0, 1, 2];
  const pgliteFresh: number[] = [];
  const pgliteReopen: number[] = [];
  const pgFresh: number[] = [];
  const pgReopen: number[] = [];
  for (const rep of reps) {
    const dir = join(work, `open-${rep}`);
    pgliteFresh.push(await timed(async () => (await openStore({ dataDir: dir })).close()));
    pgliteReopen.push(await timed(async () => (await openStore({ dataDir: dir })).close()));
    // PostgreSQL's fresh store: a new database, connect, migrations (create database included,
    // as PGlite's fresh figure includes initializing its data dir).
    const name = `${prefix}_open${rep}`;
    pgFresh.push(await timed(async () => (await openStore({ url: await createDatabase(name) })).close()));
    pgReopen.push(await timed(async () => (await openStore({ url: dbUrl(name) })).close()));
  }
  return { pgliteFresh: median(pgliteFresh), pgliteReopen: median(pgliteReopen), pgFresh: median(pgFresh), pgReopen: median(pgReopen) };
}

// ---- insert throughput -----------------------------------------------------------------

function execution(i: number) {
  const finished = new Date(Date.now() - i * 1000);
  return {
    task_id: `task-${i}`,
    type: ['build', 'test', 'lint', 'deploy'][i % 4]!,
    goal_id: `goal-${i % 100}`,
    status: i % 10 === 0 ? 'failed' : 'succeeded',
    error_class: i % 10 === 0 ? 'TimeoutError' : null,
    error_message: i % 10 === 0 ? 'timed out after 30 s' : null,
    started_at: new Date(finished.getTime() - 1500),
    finished_at: finished,
    duration_ms: 1500,
  };
}

interface Throughput {
  autocommit: number;
  transaction: number;
}

async function insertThroughput(options: StoreOptions): Promise<Throughput> {
  const store: Store = await openStore(options);
  try {
    const db = store.db;
    // Warm-up: plans, catalog caches, the first WAL segment.
    for (let i = 0; i < 50; i++) await db.insertInto('task_executions').values(execution(i)).execute();
    const autocommitMs = await timed(async () => {
      for (let i = 0; i < AUTOCOMMIT_ROWS; i++) await db.insertInto('task_executions').values(execution(i)).execute();
    });
    const transactionMs = await timed(() =>
      db.transaction().execute(async (tx) => {
        for (let i = 0; i < TX_ROWS; i++) await tx.insertInto('task_executions').values(execution(i)).execute();
      }),
    );
    return { autocommit: (AUTOCOMMIT_ROWS / autocommitMs) * 1000, transaction: (TX_ROWS / transactionMs) * 1000 };
  } finally {
    await store.close();
  }
}

// ---- resident memory (child processes) ---------------------------------------------------

function rssChild(config: RssChildConfig): Promise<RssChildReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(here, 'store', 'rss-child.ts'), JSON.stringify(config)],
      { cwd: root, maxBuffer: 16 * MB, timeout: 300_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`rss-child ${JSON.stringify(config)} failed: ${error.message}\n${stderr}`));
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as RssChildReport);
        } catch {
          reject(new Error(`rss-child printed no report: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

const mb = (bytes: number | undefined) => (bytes ?? 0) / MB;

// ---- the section ---------------------------------------------------------------------------

export default async function storeBench(): Promise<BenchSection> {
  const work = mkdtempSync(join(tmpdir(), 'tether-store-bench-'));
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    const step = (what: string) => process.stderr.write(`  store: ${what}\n`);

    step('open times');
    const open = await openTimes(work);
    rows.push(
      { case: 'open fresh store (new data dir / new database, incl. migrations), median of 3', tether: open.pgliteFresh, baseline: open.pgFresh, baselineName: PG, unit: 'ms' },
      { case: 'reopen existing store (migration check), median of 3', tether: open.pgliteReopen, baseline: open.pgReopen, baselineName: PG, unit: 'ms' },
    );

    step('insert throughput');
    const pgInsertUrl = await createDatabase(`${prefix}_insert`);
    const pgT = await insertThroughput({ url: pgInsertUrl });
    const fileOn = await insertThroughput({ dataDir: join(work, 'insert-fsync-on') });
    const fileOff = await insertThroughput({ dataDir: join(work, 'insert-fsync-off'), fsync: false });
    const memory = await insertThroughput({ url: 'memory://' });
    const tp = (c: string, tether: number, baseline: number, baselineName = PG): BenchRow => ({
      case: c, tether, baseline, baselineName, unit: 'rows/s', higherIsBetter: true,
    });
    rows.push(
      tp(`autocommit inserts (${AUTOCOMMIT_ROWS.toLocaleString('en-US')}), PGlite file, fsync on`, fileOn.autocommit, pgT.autocommit),
      tp(`autocommit inserts, PGlite file, fsync off`, fileOff.autocommit, pgT.autocommit),
      tp(`autocommit inserts, PGlite in memory`, memory.autocommit, pgT.autocommit),
      tp(`autocommit inserts: fsync cost (PGlite file, on vs off)`, fileOn.autocommit, fileOff.autocommit, 'PGlite fsync off'),
      tp(`inserts in one transaction (${TX_ROWS.toLocaleString('en-US')}), PGlite file, fsync on`, fileOn.transaction, pgT.transaction),
      tp(`inserts in one transaction, PGlite file, fsync off`, fileOff.transaction, pgT.transaction),
      tp(`inserts in one transaction, PGlite in memory`, memory.transaction, pgT.transaction),
    );

    step('resident memory: PostgreSQL client process, 1M rows');
    const pgRss = await rssChild({ backend: 'postgres', url: await createDatabase(`${prefix}_rss`), rows: HISTORY_ROWS });
    step('resident memory: PGlite file-backed (Tether settings), fresh + 1M rows');
    const fileDir = join(work, 'rss-file');
    const file = await rssChild({ backend: 'file', dir: fileDir, rows: HISTORY_ROWS });
    step('resident memory: PGlite file-backed (Tether settings), reopen');
    const fileReopen = await rssChild({ backend: 'file', dir: fileDir, rows: 0 });
    step('resident memory: PGlite file-backed (PGlite defaults), fresh + 1M rows');
    const fileDefaults = await rssChild({ backend: 'file', dir: join(work, 'rss-file-defaults'), rows: HISTORY_ROWS, startParams: 'defaults' });
    step('resident memory: PGlite in memory (Tether settings), 1M rows');
    const mem = await rssChild({ backend: 'memory', rows: HISTORY_ROWS, checkpoint: true });

    const pgClient = `${PG} (client process)`;
    const rss = (c: string, tether: number | undefined, target: string | undefined, baseline?: number, baselineName?: string): BenchRow => ({
      case: c, tether: mb(tether), ...(baseline === undefined ? {} : { baseline: mb(baseline), baselineName }), unit: 'MB RSS', ...(target ? { target } : {}),
    });
    rows.push(
      rss('process idle after reopening a file-backed store', fileReopen.idle, '≤ 250 MB', pgRss.idle, pgClient),
      rss('process idle after opening a fresh file-backed store (first start, incl. initdb)', file.idle, '≤ 250 MB', pgRss.idle, pgClient),
      rss(`process after ${HISTORY_ROWS.toLocaleString('en-US')} rows inserted + 24 h window query, file-backed`, file.afterQuery, '≤ 600 MB', pgRss.afterQuery, pgClient),
      rss('  peak during that run (fresh open + insert + query), file-backed', file.peak, '≤ 600 MB', pgRss.peak, pgClient),
      rss('  file-backed after 1M rows + query: Tether settings vs PGlite defaults', file.afterQuery, '≤ 600 MB', fileDefaults.afterQuery, 'PGlite defaults'),
      rss('  file-backed idle on fresh open: Tether settings vs PGlite defaults', file.idle, '≤ 250 MB', fileDefaults.idle, 'PGlite defaults'),
      rss('  file-backed peak: Tether settings vs PGlite defaults', file.peak, '≤ 600 MB', fileDefaults.peak, 'PGlite defaults'),
      rss(`in-memory PGlite after 1M rows + query (comparison)`, mem.afterQuery, undefined, pgRss.afterQuery, pgClient),
      rss(`in-memory PGlite after 1M rows + query + CHECKPOINT`, mem.afterCheckpoint, undefined, pgRss.afterQuery, pgClient),
    );
    rows.push(
      { case: `insert ${HISTORY_ROWS.toLocaleString('en-US')} rows (insert … select generate_series), file-backed`, tether: file.insertMs! / 1000, baseline: pgRss.insertMs! / 1000, baselineName: PG, unit: 's' },
      { case: '24 h window query over 1M rows (first run), file-backed', tether: file.queryMs!, baseline: pgRss.queryMs!, baselineName: PG, unit: 'ms' },
    );

    notes.push(
      `PostgreSQL at ${adminUrl.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@')} (server ${await admin(async (c) => (await c.query('show server_version')).rows[0].server_version)}), its own databases created and dropped by the bench. PGlite ${(JSON.parse(readFileSync(join(root, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version}, file-backed with fsync on unless stated (Tether's default).`,
      'Open: fresh = new data dir (PGlite initdb + start + migrations) / `create database` + connect + migrations; reopen = start on the existing dir / connect + migration check. Median of 3.',
      `Inserts: one Kysely \`insertInto(task_executions)\` per row; autocommit = ${AUTOCOMMIT_ROWS} statements each its own transaction, transaction = ${TX_ROWS} statements in one transaction. Throughput is rows/s (higher is better).`,
      `RSS: each figure is a fresh child process (node --import tsx bench/store/rss-child.ts) opening the store through openStore; process.memoryUsage().rss after gc. Node + tsx + Kysely alone are ${mb(file.base).toFixed(0)} MB before the store opens. The PostgreSQL baseline is the Tether process only; the server's own memory is not counted.`,
      `1M rows: \`insert … select … from generate_series\` (one statement), then \`select type, count(*) … where status='failed' and finished_at > now() - interval '24 hours' group by type\` (answered ${file.failedLast24h} failed rows in PGlite, ${pgRss.failedLast24h} in PostgreSQL).`,
      `PGlite wasm memory at the end: ${mb(file.wasmMemory).toFixed(0)} MB with Tether's settings, ${mb(fileDefaults.wasmMemory).toFixed(0)} MB with PGlite's defaults (it never shrinks). In memory, the data dir lives in JS ArrayBuffers: ${mb(mem.arrayBuffers).toFixed(0)} MB after 1M rows; PGlite runs PostgreSQL single-user, with no checkpointer, so WAL segments pile up until an explicit CHECKPOINT (${mb(mem.arrayBuffersAfterCheckpoint).toFixed(0)} MB after one).`,
    );
    return { title: 'Store: embedded PGlite vs PostgreSQL', rows, notes };
  } finally {
    for (const name of created.reverse()) {
      await admin((c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => undefined);
    }
    rmSync(work, { recursive: true, force: true });
  }
}
