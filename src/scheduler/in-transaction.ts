/**
 * Runs `fn` in the caller's transaction when given one, else in a new one: every task
 * change commits together with its ledger entry and history row (SPEC §4.5).
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

export type DbOrTrx = Kysely<Database> | Transaction<Database>;

export function inTransaction<T>(db: DbOrTrx, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<Database>);
  return (db as Kysely<Database>).transaction().execute(fn);
}
