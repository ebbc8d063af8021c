/**
 * The ledger: an append-only hash chain. `ledger_head` is one row that every appender
 * updates inside its transaction, so appends serialize on its row lock and seq stays
 * contiguous; unique seq and unique prev_hash make a fork impossible to commit.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ledger_entries')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('subjects', 'jsonb', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull().unique())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema.createIndex('ledger_subject').on('ledger_entries').columns(['subject', 'seq']).execute();
  await db.schema.createIndex('ledger_type').on('ledger_entries').columns(['type', 'seq']).execute();

  await db.schema
    .createTable('ledger_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  // The genesis head: the first entry's prev_hash is 64 zeros.
  await sql`insert into ledger_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ledger_head').ifExists().execute();
  await db.schema.dropTable('ledger_entries').ifExists().execute();
}
