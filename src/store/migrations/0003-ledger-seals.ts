/**
 * Ledger segments. A seal closes a run of entries (first..last seq) with its count, byte
 * size, last hash and Merkle root, and links to the previous seal, so retention can drop
 * whole segments from the database and still prove what was dropped. The seal row is an
 * index: the seal itself is also written, hashed, into the chain as the next segment's
 * first entry, so editing a seal row is detected. `ledger_head.segment_bytes` counts the
 * open segment's bytes, so "seal by size" needs no scan.
 *
 * `tether_ledger_append` moves the head and inserts the entry in one call, only if the head
 * still is the entry's predecessor (seq and hash): a PL/pgSQL function because its plans
 * are cached, so an append costs about what a plain insert does instead of a CTE planned
 * afresh every time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ledger_seals')
    .addColumn('segment', 'bigint', (c) => c.primaryKey())
    .addColumn('first_seq', 'bigint', (c) => c.notNull().unique())
    .addColumn('last_seq', 'bigint', (c) => c.notNull().unique())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('last_hash', 'text', (c) => c.notNull())
    .addColumn('merkle_root', 'text', (c) => c.notNull())
    .addColumn('prev_seal_hash', 'text', (c) => c.notNull().unique())
    .addColumn('sealed_at', 'text', (c) => c.notNull())
    .addColumn('seal_hash', 'text', (c) => c.notNull().unique())
    // Bookkeeping outside the seal's hash: where the segment was archived, when pruned.
    .addColumn('archive_file', 'text')
    .addColumn('archive_sha256', 'text')
    .addColumn('pruned_at', 'timestamptz')
    .execute();
  await sql`alter table ledger_head add column segment_bytes bigint not null default 0`.execute(db);
  await sql`
    create function tether_ledger_append(
      p_seq bigint, p_at timestamptz, p_actor text, p_type text, p_subject text,
      p_subjects jsonb, p_payload jsonb, p_prev_hash text, p_hash text, p_bytes bigint
    ) returns boolean language plpgsql as $fn$
    begin
      update ledger_head set seq = p_seq, hash = p_hash, segment_bytes = segment_bytes + p_bytes
        where id = 1 and seq = p_seq - 1 and hash = p_prev_hash;
      if not found then
        return false;
      end if;
      insert into ledger_entries (seq, at, actor, type, subject, subjects, payload, prev_hash, hash)
        values (p_seq, p_at, p_actor, p_type, p_subject, p_subjects, p_payload, p_prev_hash, p_hash);
      return true;
    end
    $fn$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists tether_ledger_append(bigint, timestamptz, text, text, text, jsonb, jsonb, text, text, bigint)`.execute(db);
  await sql`alter table ledger_head drop column if exists segment_bytes`.execute(db);
  await db.schema.dropTable('ledger_seals').ifExists().execute();
}
