import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTetherError } from '../src/errors.ts';
import { migrate } from '../src/store/migrate.ts';
import { migrations as builtIn } from '../src/store/migrations/index.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { runCli } from './support/cli.ts';
import { dbSnapshot } from './support/db-snapshot.ts';
import { backends, createPostgresDatabase, postgresUrl } from './support/stores.ts';

/** A migration that does real work and then fails halfway. */
const broken: Migration = {
  async up(db) {
    await db.schema.createTable('half_done').addColumn('id', 'integer').execute();
    await sql`insert into half_done values (1)`.execute(db);
    await sql`alter table goals add column wrecked text`.execute(db);
    await sql`update goals set title = 'overwritten'`.execute(db);
    throw new Error('deliberate failure in the middle of a migration');
  },
};

for (const backend of backends) {
  describe(`migrations on ${backend.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await backend.open();
      await store.db
        .insertInto('goals')
        .values({
          id: 'g-keep',
          title: 'kept as it was',
          description: '',
          kind: 'user-goal',
          status: 'active',
          source: 'user',
          created_by: 'alice',
          proposal_id: null,
          auto_approved: false,
          priority: 0,
          evidence: '{}',
          fingerprint: null,
          detector: null,
          confidence: null,
        })
        .execute();
    });
    afterAll(async () => store?.close());

    it('leaves schema and data identical when a migration fails, and names the migration', async () => {
      const before = await dbSnapshot(store.db);
      const error = await migrate(store.db, { ...builtIn, '0900-broken': broken }).catch((e: unknown) => e);
      expect(isTetherError(error, 'MIGRATION_FAILED')).toBe(true);
      expect((error as Error).message).toContain('0900-broken');
      expect((error as Error).message).toContain('deliberate failure');
      expect(await dbSnapshot(store.db)).toEqual(before);
    });

    it('is a no-op when every migration has run', async () => {
      const result = await migrate(store.db);
      expect(result.applied).toEqual([]);
    });

    it('refuses a database written by a newer version with STORE_TOO_NEW', async () => {
      await migrate(store.db, { ...builtIn, '9000-from-the-future': { up: async () => {} } });
      const error = await migrate(store.db).catch((e: unknown) => e);
      expect(isTetherError(error, 'STORE_TOO_NEW')).toBe(true);
      expect((error as Error).message).toContain('9000-from-the-future');
      await sql`delete from tether_migration where name = '9000-from-the-future'`.execute(store.db);
    });
  });
}

describe('tether migrate as a process', () => {
  it('exits non-zero naming the failing migration, leaving a conflicting database as it was', { timeout: 180_000 }, async () => {
    // A database that already has a `goals` table of its own: 0001-core cannot create it.
    const dir = mkdtempSync(join(tmpdir(), 'tether-migrate-'));
    const target = postgresUrl ? await createPostgresDatabase() : undefined;
    const env: Record<string, string> = target ? { TETHER_DATABASE_URL: target.url } : { TETHER_DATA_DIR: dir };
    try {
      const store = await openStore(target ? { url: target.url, migrate: false } : { dataDir: dir, migrate: false });
      await sql`create table goals (id int primary key, note text)`.execute(store.db);
      await sql`insert into goals values (1, 'user data')`.execute(store.db);
      const before = await dbSnapshot(store.db);
      await store.close();

      const result = await runCli(['migrate'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('MIGRATION_FAILED');
      expect(result.stderr).toContain('0001-core');

      const after = await openStore(target ? { url: target.url, migrate: false } : { dataDir: dir, migrate: false });
      expect(await dbSnapshot(after.db)).toEqual(before);
      await after.close();
    } finally {
      await target?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
