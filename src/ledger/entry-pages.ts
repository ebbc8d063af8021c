/**
 * Streams entries in seq order, a page at a time by keyset (seq > last), so a ledger of
 * any length is read in bounded memory. The next page is requested while the caller works
 * through the current one, which overlaps the database's work with the hashing. Time comes
 * back already in the hashed ISO form, which spares the driver's date parsing.
 */
import { sql } from 'kysely';
import type { LedgerEntry } from './append-entry.ts';
import { toEntry, type RawEntryRow } from './entry-row.ts';
import type { LedgerDb } from './ledger-tables.ts';

export interface EntryPagesOptions {
  /** Entries with seq greater than this. */
  after: number;
  /** Entries with seq at most this (default: all). */
  through?: number;
  /** Rows per page (default 5000). */
  pageSize?: number;
}

function fetchPage(db: LedgerDb, after: number, through: number | undefined, limit: number): Promise<RawEntryRow[]> {
  const upper = through === undefined ? sql`` : sql`and seq <= ${through}`;
  return sql<RawEntryRow>`
    select seq, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
      actor, type, subject, subjects, payload, prev_hash, hash
    from ledger_entries where seq > ${after} ${upper} order by seq limit ${limit}`
    .execute(db)
    .then((r) => r.rows);
}

export async function* entryPages(db: LedgerDb, options: EntryPagesOptions): AsyncGenerator<LedgerEntry[]> {
  const limit = options.pageSize ?? 5000;
  let pending: Promise<RawEntryRow[]> | undefined = fetchPage(db, options.after, options.through, limit);
  while (pending) {
    const rows = await pending;
    pending = undefined;
    if (rows.length === limit) {
      pending = fetchPage(db, Number(rows[rows.length - 1]!.seq), options.through, limit);
      // If the caller stops early, a failing prefetch must not become an unhandled rejection.
      pending.catch(() => undefined);
    }
    if (rows.length > 0) yield rows.map(toEntry);
  }
}
