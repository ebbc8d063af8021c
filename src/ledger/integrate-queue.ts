/**
 * Moves committed entries from the queue into the chain, oldest first. Two statements, in
 * the caller's transaction or each on its own: one reads the head row and a batch of the
 * queue; one moves the batch into ledger_entries and the head past it, but only if the head
 * is still what was read and every entry of the batch is still queued (a compare-and-set on
 * the head row). Two integrators (two processes) therefore never chain an entry twice or
 * fork: the later one's head update waits for the earlier one's commit, finds the head
 * moved, changes nothing, and reads again. Entries are hashed from their stored subjects
 * and payload text, which the queued writer wrote canonical, and which moves into the chain
 * unchanged: exactly what verification will hash.
 */
import { sql } from 'kysely';
import { storedDigest } from './entry-hash.ts';
import type { LedgerDb } from './ledger-tables.ts';
import type { ChainHead } from './new-entry.ts';
import { isoMillisFromJson } from './page-text.ts';

export const INTEGRATE_BATCH = 1000;

export interface Integrated {
  /** Entries chained by this call (0: the queue was empty). */
  count: number;
  head: ChainHead;
}

/** id, at, actor, type, subject, subjects text, payload text. */
type QueueRow = [number, string, string, string, string | null, string, string];

interface Batch {
  head: ChainHead;
  rows: QueueRow[];
}

async function readBatch(db: LedgerDb, limit: number): Promise<Batch> {
  const result = await sql<{ seq: string | number; hash: string; rows: string | null }>`
    select h.seq, h.hash,
      (select json_agg(json_build_array(id, at at time zone 'UTC', actor, type, subject, subjects::text, payload::text))::text
       from (select * from ledger_queue order by id limit ${limit}) q) as rows
    from ledger_head h where h.id = 1`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('ledger_head is missing: the store was not migrated');
  const head = { seq: Number(row.seq), hash: row.hash };
  return { head, rows: row.rows ? (JSON.parse(row.rows) as QueueRow[]).sort((a, b) => a[0] - b[0]) : [] };
}

/** Chains one batch; undefined if another integrator moved the head first (read again). */
async function moveBatch(db: LedgerDb, { head, rows }: Batch): Promise<Integrated | undefined> {
  const n = rows.length;
  const ids = new Array<number>(n);
  const seqs = new Array<number>(n);
  const prevs = new Array<string>(n);
  const hashes = new Array<string>(n);
  let seq = head.seq;
  let prev = head.hash;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    seq++;
    const at = isoMillisFromJson(r[1]);
    const digest = storedDigest({ seq, at, actor: r[2], type: r[3], subject: r[4], subjectsJson: r[5], payloadJson: r[6], prev_hash: prev });
    ids[i] = r[0];
    seqs[i] = seq;
    prevs[i] = prev;
    hashes[i] = digest.hash;
    bytes += digest.bytes;
    prev = digest.hash;
  }
  const result = await sql`
    with h as (
      update ledger_head set seq = ${seq}, hash = ${prev}, segment_bytes = segment_bytes + ${bytes}
      where id = 1 and seq = ${head.seq} and hash = ${head.hash}
        and (select count(*) from ledger_queue where id = any(${ids}::bigint[])) = ${n}
      returning 1
    ),
    v as (select * from unnest(${ids}::bigint[], ${seqs}::bigint[], ${prevs}::text[], ${hashes}::text[]) as v(id, seq, prev_hash, hash)),
    moved as (
      delete from ledger_queue q using v where q.id = v.id and exists (select 1 from h)
      returning v.seq, q.at, q.actor, q.type, q.subject, q.subjects, q.payload, v.prev_hash, v.hash
    )
    insert into ledger_entries (seq, at, actor, type, subject, subjects, payload, prev_hash, hash)
    select * from moved`.execute(db);
  const moved = Number(result.numAffectedRows ?? 0);
  if (moved === 0) return undefined;
  // The head moved only if all n were still queued, and then all n were moved.
  if (moved !== n) throw new Error(`ledger: moved ${moved} of ${n} queued entries`);
  return { count: n, head: { seq, hash: prev } };
}

export async function integrateQueue(db: LedgerDb, limit = INTEGRATE_BATCH): Promise<Integrated> {
  for (;;) {
    const batch = await readBatch(db, limit);
    if (batch.rows.length === 0) return { count: 0, head: batch.head };
    const done = await moveBatch(db, batch);
    if (done) return done;
  }
}

/** Chains everything queued and committed so far, a batch at a time. */
export async function drainQueue(db: LedgerDb): Promise<void> {
  while ((await integrateQueue(db)).count === INTEGRATE_BATCH);
}
