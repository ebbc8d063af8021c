/**
 * Reads for people and the API: entries after a seq, optionally only one subject's or one
 * type's, oldest first, a page at a time. `next` is the `after` of the following page.
 */
import type { LedgerEntry } from './append-entry.ts';
import { ENTRY_COLUMNS, toEntry, type RawEntryRow } from './entry-row.ts';
import type { LedgerDb } from './ledger-tables.ts';
import { flushLedger } from './ledger-writer.ts';

export interface ReadLedgerOptions {
  /** Entries with seq greater than this (default 0). */
  after?: number;
  /** Page size (default 100, at most 1000). */
  limit?: number;
  /** Only entries whose main subject is this id. */
  subject?: string;
  /** Only entries of this type, e.g. `modification.approved`. */
  type?: string;
}

export interface LedgerPage {
  entries: LedgerEntry[];
  /** Pass as `after` for the next page; null when this page was the last. */
  next: number | null;
}

export async function readLedger(db: LedgerDb, options: ReadLedgerOptions = {}): Promise<LedgerPage> {
  // Queued entries that committed before this read are chained first, so the read sees them.
  await flushLedger(db);
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1000);
  let query = db
    .selectFrom('ledger_entries')
    .select([...ENTRY_COLUMNS])
    .where('seq', '>', Math.max(0, Math.trunc(options.after ?? 0)) as never)
    .orderBy('seq')
    .limit(limit + 1);
  if (options.subject !== undefined) query = query.where('subject', '=', options.subject);
  if (options.type !== undefined) query = query.where('type', '=', options.type);
  const rows = (await query.execute()) as RawEntryRow[];
  const entries = rows.slice(0, limit).map(toEntry);
  return { entries, next: rows.length > limit ? entries.at(-1)!.seq : null };
}
