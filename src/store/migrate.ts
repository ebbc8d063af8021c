/**
 * Runs the migrations with Kysely's Migrator. All pending migrations run in one
 * transaction (so each is in one transaction, and a batch is all or nothing), so a failing one leaves the database exactly as it was; the result names
 * each migration's outcome. A database written by a newer Tether (it has migrations this
 * build does not know) is refused before anything runs.
 */
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResult } from 'kysely/migration';
import { TetherError } from '../errors.ts';
import { failpoint } from '../faults/failpoint.ts';
import { migrations as builtIn } from './migrations/index.ts';

export const MIGRATION_TABLE = 'tether_migration';
export const MIGRATION_LOCK_TABLE = 'tether_migration_lock';

export interface MigrateResult {
  /** Names of the migrations applied by this call, in order. */
  applied: string[];
  /** Every migration's outcome as Kysely reports it. */
  results: MigrationResult[];
}

async function executedNames(db: Kysely<any>): Promise<string[]> {
  const exists = await sql<{ present: boolean }>`select to_regclass(${MIGRATION_TABLE}) is not null as present`.execute(db);
  if (!exists.rows[0]?.present) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/** Carries a failed run out of the transaction, so the transaction rolls back. */
class MigrationRun extends Error {
  constructor(
    readonly error: unknown,
    readonly results: MigrationResult[],
  ) {
    super('migration failed');
  }
}

export async function migrate(
  db: Kysely<any>,
  migrations: Record<string, Migration> = builtIn,
): Promise<MigrateResult> {
  const known = new Set(Object.keys(migrations));
  const unknown = (await executedNames(db)).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new TetherError(
      'STORE_TOO_NEW',
      `The database was migrated by a newer Tether (it has migration ${unknown.join(', ')} that this version does not know). Upgrade Tether, or point it at another database.`,
      { unknown },
    );
  }
  // The migrator runs inside our own transaction so that even its bookkeeping tables are
  // rolled back when a migration fails: the database is left exactly as it was.
  // Kysely reports the failing migration by name only while the transaction still accepts
  // queries; record the running migration and its error ourselves so we can always name it.
  let running: { name: string; error?: unknown } | undefined;
  const tracked: Record<string, Migration> = Object.fromEntries(
    Object.entries(migrations).map(([name, m]) => [
      name,
      {
        ...m,
        async up(trx) {
          running = { name };
          try {
            await m.up(trx);
          } catch (error) {
            running.error = error;
            throw error;
          }
        },
      } satisfies Migration,
    ]),
  );
  const outcome = await db
    .transaction()
    .execute(async (trx) => {
      const migrator = new Migrator({
        db: trx,
        provider: { getMigrations: async () => tracked },
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: MIGRATION_LOCK_TABLE,
      });
      const result = await migrator.migrateToLatest();
      if (result.error) throw new MigrationRun(result.error, result.results ?? []);
      if (result.results?.length) failpoint('store.migrate.before-commit');
      return result.results ?? [];
    })
    .catch((error: unknown) => {
      if (!(error instanceof MigrationRun)) throw error;
      return error;
    });
  if (outcome instanceof MigrationRun) {
    const results = outcome.results;
    const failed = running?.name ?? results.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const original = running?.error ?? outcome.error;
    const cause = original instanceof Error ? original.message : String(original);
    throw new TetherError(
      'MIGRATION_FAILED',
      `Migration ${failed} failed: ${cause}. Nothing was changed: the database is as it was before.`,
      { migration: failed, cause, results: results.map((r) => ({ name: r.migrationName, status: r.status })) },
      { cause: outcome.error },
    );
  }
  const results = outcome;
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName), results };
}
