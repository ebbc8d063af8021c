/**
 * The backends every store test loops over, as Kysely's own tests loop over dialects.
 * PGlite always runs; PostgreSQL runs when TETHER_TEST_DATABASE_URL is set (CI sets it).
 *
 * PGlite: a fresh instance takes seconds to initialize, so a migrated template is built
 * once per worker and each test starts from a copy of its data dir.
 * PostgreSQL: each test gets a database of its own, dropped on close.
 */
import { Client } from 'pg';
import { openStore, type Store } from '../../src/store/open-store.ts';

export interface TestBackend {
  name: 'pglite' | 'postgres';
  open(): Promise<Store>;
}

let template: Promise<Blob> | undefined;

function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const store = await openStore({ url: 'memory://' });
    const blob = (await store.pglite!.dumpDataDir('none')) as Blob;
    await store.close();
    return blob;
  })();
  return template;
}

export async function openPGliteTestStore(): Promise<Store> {
  return openStore({ url: 'memory://', loadDataDir: await pgliteTemplate() });
}

export const postgresUrl = process.env.TETHER_TEST_DATABASE_URL;

/** Creates an empty database on the test server and returns its URL and a drop function. */
export async function createPostgresDatabase(prefix = 'tether_t'): Promise<{ url: string; drop(): Promise<void> }> {
  if (!postgresUrl) throw new Error('TETHER_TEST_DATABASE_URL is not set');
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function openPostgresTestStore(): Promise<Store> {
  const database = await createPostgresDatabase();
  const store = await openStore({ url: database.url });
  return {
    ...store,
    db: store.db,
    backend: store.backend,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

export const backends: TestBackend[] = [
  { name: 'pglite', open: openPGliteTestStore },
  ...(postgresUrl ? [{ name: 'postgres' as const, open: openPostgresTestStore }] : []),
];
