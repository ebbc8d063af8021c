/**
 * Child process for the store benchmark's memory figures: opens one store, reports the
 * process's resident set size idle, after inserting N rows of task history and after a
 * window query over them, and prints one JSON object on stdout. It runs in its own
 * process so the parent benchmark's memory does not count.
 *
 *   node --import tsx bench/store/rss-child.ts '{"backend":"file","dir":"/tmp/x","rows":1000000}'
 *
 * Without `startParams` the store is opened exactly as Tether opens it (openStore). With
 * `startParams` (and optionally `initialMemory`) PGlite is created directly with those
 * settings, to compare memory settings (e.g. PGlite's defaults) on the same schema.
 */
import { sql, type Kysely } from 'kysely';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Database } from '../../src/store/schema.ts';
import { SerialPGliteDialect } from '../../src/store/serial-pglite-dialect.ts';
import { historySql, windowSql } from './history.ts';

export interface RssChildConfig {
  backend: 'file' | 'memory' | 'postgres';
  /** Data dir for a file-backed store (must not exist yet, or hold a store). */
  dir?: string;
  /** PostgreSQL URL for backend 'postgres'. */
  url?: string;
  /** Rows of task history to insert (0: idle figure only). */
  rows: number;
  /** PGlite start parameters to use instead of openStore's; 'defaults' = PGlite's own. */
  startParams?: string[] | 'defaults';
  /** PGlite's initialMemory option, bytes (only with startParams). */
  initialMemory?: number;
  /** After the query, run CHECKPOINT (PGlite has no checkpointer: WAL piles up until one). */
  checkpoint?: boolean;
  /** Keep fsync on (file-backed, only with startParams): drops PGlite's '-F'. */
  fsync?: boolean;
}

export interface RssChildReport {
  /** RSS before the store is opened (Node + loaded modules), bytes. */
  base: number;
  /** RSS idle after open and migrations, bytes. */
  idle: number;
  /** RSS after the insert, bytes. */
  afterInsert?: number;
  /** RSS after the window query, bytes. */
  afterQuery?: number;
  /** RSS after a CHECKPOINT following the query, bytes (with `checkpoint`). */
  afterCheckpoint?: number;
  /** ArrayBuffer bytes after that CHECKPOINT. */
  arrayBuffersAfterCheckpoint?: number;
  /** Peak RSS of the process over its life, bytes. */
  peak: number;
  /** PGlite's WebAssembly memory size at the end, bytes. */
  wasmMemory?: number;
  /** ArrayBuffer bytes outside the wasm memory (PGlite's in-memory file system lives there). */
  arrayBuffers: number;
  insertMs?: number;
  queryMs?: number;
  failedLast24h?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<number> {
  gc?.();
  await sleep(300);
  gc?.();
  return process.memoryUsage().rss;
}

async function open(config: RssChildConfig): Promise<{ db: Kysely<Database>; pglite?: any; close(): Promise<void> }> {
  if (config.backend === 'postgres') return openStore({ url: config.url });
  if (config.startParams === undefined) {
    return openStore(config.backend === 'memory' ? { url: 'memory://' } : { dataDir: config.dir });
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const defaults: string[] = (PGlite as any).defaultStartParams ?? [];
  let params = config.startParams === 'defaults' ? defaults : [...defaults, ...config.startParams];
  if (config.fsync) params = params.filter((p) => p !== '-F');
  if (config.backend === 'file') mkdirSync(config.dir!, { recursive: true });
  const pglite = await PGlite.create({
    ...(config.backend === 'file' ? { dataDir: join(config.dir!, 'store') } : {}),
    ...(config.initialMemory ? { initialMemory: config.initialMemory } : {}),
    startParams: params,
  } as any);
  const db = new (await import('kysely')).Kysely<Database>({ dialect: new SerialPGliteDialect({ pglite }) });
  await migrate(db);
  return { db, pglite, close: () => db.destroy() };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as RssChildConfig;
  const base = await settle();
  const store = await open(config);
  const report: Partial<RssChildReport> = { base, idle: await settle() };
  if (config.rows > 0) {
    let t = performance.now();
    await historySql(config.rows).execute(store.db);
    report.insertMs = performance.now() - t;
    report.afterInsert = await settle();
    t = performance.now();
    const result = await windowSql.execute(store.db);
    report.queryMs = performance.now() - t;
    report.failedLast24h = result.rows.reduce((n, r) => n + Number(r.count), 0);
    report.afterQuery = await settle();
    report.arrayBuffers = process.memoryUsage().arrayBuffers;
    if (config.checkpoint) {
      await sql`checkpoint`.execute(store.db);
      report.afterCheckpoint = await settle();
      report.arrayBuffersAfterCheckpoint = process.memoryUsage().arrayBuffers;
    }
  }
  const wasm: WebAssembly.Memory | undefined = store.pglite?.mod?.wasmMemory;
  if (wasm) report.wasmMemory = wasm.buffer.byteLength;
  report.arrayBuffers ??= process.memoryUsage().arrayBuffers;
  report.peak = process.resourceUsage().maxRSS * 1024;
  await store.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
