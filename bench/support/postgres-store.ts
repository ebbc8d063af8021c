/**
 * A throwaway PostgreSQL database for a benchmark: created on the server at
 * TETHER_BENCH_DATABASE_URL (default: the local one), opened as a Tether store, dropped
 * afterwards. Undefined when the server cannot be reached.
 */
import { Client } from 'pg';
import { openStore, type Store, type StoreOptions } from '../../src/store/open-store.ts';

export const benchPostgresUrl = process.env.TETHER_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function benchPostgresStore(prefix: string, options: Omit<StoreOptions, 'url'> = {}): Promise<{ store: Store; drop(): Promise<void> } | undefined> {
  const admin = new Client({ connectionString: benchPostgresUrl });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const name = `tether_bench_${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(benchPostgresUrl);
  url.pathname = `/${name}`;
  const store = await openStore({ ...options, url: url.toString() });
  return {
    store,
    async drop() {
      await store.close();
      const c = new Client({ connectionString: benchPostgresUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
