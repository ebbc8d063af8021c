/**
 * The ledger's queue, for PostgreSQL shared by several connections and processes. An
 * appender writes its entry here, in its own transaction (so the entry commits or rolls
 * back with the state change it records), without taking the chain's head: appenders no
 * longer wait for each other's commits, and their commits share WAL flushes as plain
 * inserts do. An integrator moves committed entries into the chain in batches, under the
 * head's lock (src/ledger/integrate-queue.ts). Only the id is indexed: the row is written
 * once and read once.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ledger_queue')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('subjects', 'jsonb', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ledger_queue').ifExists().execute();
}
