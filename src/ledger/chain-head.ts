/**
 * The chain's head, as the database holds it. `ledger_head` is one row: its lock
 * serializes whoever extends the chain on PostgreSQL (the queue's integrator, a seal), and
 * its seq and hash are a watermark no later than the chain's end. The embedded store's
 * writer moves it lazily (at a flush), so after a crash the last entry may be past it.
 */
import { sql } from 'kysely';
import { GENESIS_HASH } from './entry-hash.ts';
import type { LedgerDb } from './ledger-tables.ts';
import type { ChainHead } from './new-entry.ts';

export interface HeadRow extends ChainHead {
  segmentBytes: number;
}

function toHeadRow(row: { seq: string | number; hash: string; segment_bytes: string | number } | undefined): HeadRow {
  if (!row) throw new Error('ledger_head is missing: the store was not migrated');
  return { seq: Number(row.seq), hash: row.hash, segmentBytes: Number(row.segment_bytes) };
}

/** Reads the head row, locking it until the transaction ends when `lock` is set. */
export async function readHeadRow(db: LedgerDb, lock = false): Promise<HeadRow> {
  const rows = lock
    ? await sql<{ seq: string; hash: string; segment_bytes: string }>`select seq, hash, segment_bytes from ledger_head where id = 1 for update`.execute(db)
    : await sql<{ seq: string; hash: string; segment_bytes: string }>`select seq, hash, segment_bytes from ledger_head where id = 1`.execute(db);
  return toHeadRow(rows.rows[0]);
}

/**
 * Where the next entry goes: after the last entry, or after the head row if that is
 * further on. The head row can only be further on when entries at the end were deleted;
 * chaining after it then leaves the gap for verification to report, instead of silently
 * reusing the deleted seqs.
 */
export const CHAIN_HEAD_QUERY = sql<{ seq: string | number; hash: string }>`
  (select seq, hash from ledger_entries order by seq desc limit 1)
  union all (select seq, hash from ledger_head where id = 1)`;

export function chainHeadOf(rows: { seq: string | number; hash: string }[]): ChainHead {
  let head: ChainHead = { seq: 0, hash: GENESIS_HASH };
  for (const row of rows) if (Number(row.seq) > head.seq) head = { seq: Number(row.seq), hash: row.hash };
  return head;
}
