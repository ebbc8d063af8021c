/**
 * Several processes on one PostgreSQL database (issue 8): no-op task throughput with 1, 2
 * and 3 real `tether serve` processes, each with its default scheduler (concurrency 4).
 * For each count a fresh database is created, the processes are started and answer
 * /health, then TASKS `NOOP` tasks are enqueued at once and the clock runs until the last
 * one is recorded as succeeded. The baseline of every row is the one-process figure.
 *
 * PostgreSQL: TETHER_BENCH_DATABASE_URL, else TETHER_TEST_DATABASE_URL, else the local
 * server; skipped (with a note) when none answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';
import { sql } from 'kysely';
import { enqueueTasks } from '../src/scheduler/enqueue-task.ts';
import { NOOP_TASK } from '../src/scheduler/noop-handler.ts';
import { openStore } from '../src/store/open-store.ts';
import type { BenchRow, BenchSection } from './types.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TASKS = 3000;
const SERVER = process.env.TETHER_BENCH_DATABASE_URL ?? process.env.TETHER_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: SERVER });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function serve(url: string, repo: string, dataDir: string, port: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, TETHER_DATABASE_URL: url, TETHER_REPO: repo, TETHER_DATA_DIR: dataDir, TETHER_PORT: String(port), TETHER_LOG_LEVEL: 'error' },
    stdio: 'ignore',
  });
}

/** CPU seconds a process has used so far (Linux /proc; 0 where unavailable). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

interface Measured {
  perSecond: number;
  /** CPU seconds per 1,000 tasks: the Tether processes, and the database backends. */
  nodeCpu: number;
  dbCpu: number;
}

/** Tasks per second with `n` processes on a fresh database, and the CPU they cost. */
async function run(n: number, repo: string): Promise<Measured> {
  const name = `tether_bench_cluster_${n}_${Date.now().toString(36)}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  const store = await openStore({ url: url.toString(), poolSize: 2 });
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'tether-bench-node-'));
      dirs.push(dir);
      const port = 20000 + Math.floor(Math.random() * 20000);
      children.push(serve(url.toString(), repo, dir, port));
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 120_000, 200);
    }
    const count = async () => Number((await sql<{ n: string }>`select count(*) as n from tasks where status = 'succeeded'`.execute(store.db)).rows[0]!.n);
    const backends = async () => (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(store.db)).rows.map((r) => r.pid);
    const cpu = async () => ({
      node: children.reduce((sum, c) => sum + cpuSeconds(c.pid), 0),
      db: new Map((await backends()).map((pid) => [pid, cpuSeconds(pid)])),
    });
    await enqueueTasks(store.db, Array.from({ length: TASKS }, () => ({ type: NOOP_TASK })));
    const before = await cpu();
    const started = performance.now();
    await waitFor(async () => (await count()) === TASKS, 600_000, 50);
    const seconds = (performance.now() - started) / 1000;
    const after = await cpu();
    let db = 0;
    for (const [pid, used] of after.db) db += used - (before.db.get(pid) ?? 0);
    return { perSecond: TASKS / seconds, nodeCpu: ((after.node - before.node) * 1000) / TASKS, dbCpu: (db * 1000) / TASKS };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await store.close();
    await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

export default async function clusterBench(): Promise<BenchSection> {
  const title = 'Several processes on one PostgreSQL database: no-op task throughput';
  try {
    await admin((c) => c.query('select 1'));
  } catch (error) {
    return { title, rows: [], notes: [`skipped: no PostgreSQL server at ${SERVER.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@')} (${(error as Error).message})`] };
  }
  const load = loadavg();
  const repo = mkdtempSync(join(tmpdir(), 'tether-bench-repo-'));
  try {
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    const measured: Measured[] = [];
    for (const n of [1, 2, 3]) measured.push(await run(n, repo));
    const figures = measured.map((m) => m.perSecond);
    const one = figures[0]!;
    const m1 = measured[0]!;
    const ceiling = (cpus().length * 1000) / (m1.nodeCpu + m1.dbCpu);
    const rows: BenchRow[] = figures.map((tether, i) => ({
      case: `${i + 1} process${i ? 'es' : ''}, ${TASKS} NOOP tasks`,
      tether,
      baseline: one,
      baselineName: '1 process',
      unit: 'tasks/s',
      ...(i === 2 ? { target: '≥ 2×' } : {}),
      higherIsBetter: true,
    }));
    for (const [i, m] of measured.entries()) {
      rows.push({
        case: `CPU per 1,000 tasks, ${i + 1} process${i ? 'es' : ''}: Tether processes (baseline: PostgreSQL backends)`,
        tether: m.nodeCpu,
        baseline: m.dbCpu,
        baselineName: 'PostgreSQL',
        unit: 'CPU s',
      });
    }
    return {
      title,
      rows,
      notes: [
        'Each process: `tether serve` with its default scheduler (concurrency 4, poll 1 s); all on one machine with the database.',
        `Load average before the runs: ${load.map((l) => l.toFixed(1)).join(', ')} on ${cpus().length} cores (shared with other work).`,
        `CPU bound: one process and its database backends spend ${(m1.nodeCpu + m1.dbCpu).toFixed(1)} CPU s per 1,000 tasks, so ${cpus().length} cores ` +
          `can complete at most ≈ ${ceiling.toFixed(0)} tasks/s (${(ceiling / one).toFixed(2)}× one process) however many processes run; ` +
          'the ≥ 2× target needs cores to spare (or the database on another machine).',
        'Timed from the commit of the enqueue until the last task is recorded succeeded (each completion: task row, history row, ledger entries, one transaction).',
      ],
    };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
