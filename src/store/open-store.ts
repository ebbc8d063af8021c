/**
 * Opens the store: embedded PGlite (file-backed in the data dir, or in memory) by default,
 * PostgreSQL through `pg` when given a postgres:// URL. Both get the same Kysely schema.
 */
import { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TetherError } from '../errors.ts';
import { logger } from '../log.ts';
import { lockDir, type DirLock } from './dir-lock.ts';
import { migrate, type MigrateResult } from './migrate.ts';
import type { Database } from './schema.ts';
import { ReportingPostgresDialect } from './reporting-postgres-dialect.ts';
import { SerialPGliteDialect } from './serial-pglite-dialect.ts';
import { StoreEvents } from './store-events.ts';

export type Backend = 'pglite' | 'postgres';

export interface StoreOptions {
  /** `postgres://…` for PostgreSQL, `memory://` for in-memory PGlite; else embedded. */
  url?: string;
  /** Where the embedded store lives: `<dataDir>/store`. */
  dataDir?: string;
  /** Run migrations on open (default true). */
  migrate?: boolean;
  /** An existing data dir image (PGlite dumpDataDir) to start an in-memory store from. */
  loadDataDir?: Blob;
  /** Pool size for PostgreSQL (default 10). */
  poolSize?: number;
  /**
   * Embedded store only: ask PostgreSQL to fsync at commit (default true for a file-backed
   * store; PGlite starts it with `-F`, which we drop). Measured, it changes nothing: PGlite's
   * Node file system layer does not flush, so commits survive a process crash, not a power
   * loss (README, Storage).
   */
  fsync?: boolean;
  /** The migrations to run (default: Tether's own). */
  migrations?: Record<string, Migration>;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly backend: Backend;
  /** Present for PGlite stores: the raw instance (dumps, clones). */
  readonly pglite?: import('@electric-sql/pglite').PGlite;
  readonly migration?: MigrateResult;
  close(): Promise<void>;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

// Memory settings for the embedded store. PGlite's defaults (128 MB shared buffers) grow
// the process past 1 GB with a million rows of history; these keep an idle server small.
const PGLITE_MEMORY_PARAMS = [
  '-c', 'shared_buffers=8MB', '-c', 'work_mem=2MB', '-c', 'maintenance_work_mem=16MB',
  // PGlite runs PostgreSQL single-user, without a checkpointer: WAL is only trimmed at a
  // checkpoint (e.g. at close), and then kept up to max_wal_size; in memory it is RAM.
  '-c', 'max_wal_size=64MB', '-c', 'min_wal_size=32MB',
];

function pgliteStartParams(defaults: string[], fsync: boolean): string[] {
  const params = fsync ? defaults.filter((p) => p !== '-F') : defaults;
  return [...params, ...PGLITE_MEMORY_PARAMS];
}

async function openPGlite(options: StoreOptions, events: StoreEvents): Promise<{ db: Kysely<Database>; pglite: any; lock?: DirLock }> {
  const { PGlite } = await import('@electric-sql/pglite');
  const inMemory = options.url === 'memory://' || (!options.dataDir && !options.url);
  let lock: DirLock | undefined;
  let dataDir: string | undefined;
  if (!inMemory) {
    const base = resolve(options.dataDir ?? '.tether');
    mkdirSync(base, { recursive: true });
    lock = lockDir(base);
    dataDir = join(base, 'store');
  }
  try {
    const pglite = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      startParams: pgliteStartParams((PGlite as any).defaultStartParams ?? [], !inMemory && options.fsync !== false),
    } as any);
    const db = new Kysely<Database>({ dialect: new SerialPGliteDialect({ pglite }, events), plugins: [events] });
    return { db, pglite, lock };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function openPostgres(options: StoreOptions & { url: string }, events: StoreEvents): Promise<Kysely<Database>> {
  const pg = await import('pg');
  const Pool = pg.default?.Pool ?? (pg as any).Pool;
  const pool = new Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // An idle client losing its connection (server restart, admin termination) must not
  // crash the process: the pool drops it and the next query gets a fresh one.
  pool.on('error', (error: Error) => logger('store').warn('PostgreSQL idle client error: {message}', { message: error.message }));
  // Fail fast with a clear message instead of on the first query.
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end();
    throw new TetherError('CONFIG_INVALID', `Cannot connect to PostgreSQL at ${redact(options.url)}: ${(error as Error).message}`, {
      url: redact(options.url),
    });
  }
  return new Kysely<Database>({ dialect: new ReportingPostgresDialect({ pool }, events), plugins: [events] });
}

/** A URL with its password hidden, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  let db: Kysely<Database>;
  let backend: Backend;
  let pglite: any;
  let lock: DirLock | undefined;
  const events = new StoreEvents(isPostgresUrl(options.url) ? 'postgres' : 'pglite');
  if (isPostgresUrl(options.url)) {
    db = await openPostgres({ ...options, url: options.url }, events);
    backend = 'postgres';
  } else {
    ({ db, pglite, lock } = await openPGlite(options, events));
    backend = 'pglite';
  }
  events.db = db;
  let migration: MigrateResult | undefined;
  try {
    if (options.migrate !== false) migration = await migrate(db, options.migrations);
  } catch (error) {
    await db.destroy();
    lock?.release();
    throw error;
  }
  let closed = false;
  return {
    db,
    backend,
    pglite,
    migration,
    async close() {
      if (closed) return;
      closed = true;
      try {
        // Last writes of per-store state (the ledger's queue and head), before the connections go.
        await events.close().catch((error: Error) => logger('store').warn('Closing the store: {message}', { message: error.message }));
        await db.destroy();
      } finally {
        lock?.release();
      }
    },
  };
}
