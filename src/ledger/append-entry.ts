/**
 * Appends one entry inside the caller's transaction, so the entry commits or rolls back
 * with the state change it records. How it reaches the chain depends on the store
 * (ledger-writer.ts): on the embedded store it is chained at once and returned with its seq
 * and hash; on PostgreSQL it is queued and chained shortly after its transaction commits,
 * and appendEntry returns undefined. appendChained always chains at once, under the head
 * row's lock: for the ledger's own entries (seals, prunes) and for callers that need the seq.
 *
 * Seq stays contiguous and no two entries share a prev_hash (both unique in the schema).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { readHeadRow } from './chain-head.ts';
import { InlineWriter } from './inline-writer.ts';
import { ledgerWriter } from './ledger-writer.ts';
import { newEntry, type LedgerEntry, type LedgerInput } from './new-entry.ts';

export { mainSubject, type LedgerEntry, type LedgerInput } from './new-entry.ts';

type Db = Kysely<Database> | Transaction<Database>;

export async function appendEntry(db: Db, input: LedgerInput): Promise<LedgerEntry | undefined> {
  const writer = ledgerWriter(db);
  if (writer) return writer.append(db, input);
  return appendChained(db, input);
}

export interface ChainedOptions {
  /**
   * Chain entries that are queued first (default true: they committed earlier). A seal
   * passes false: it has already chained the queue and read the head, and its entry must
   * directly follow the segment it seals, not whatever was queued in the meantime.
   */
  drainQueue?: boolean;
}

/**
 * Under the head row's lock: queued entries first (they committed earlier), then this one,
 * moving the head row with it (tether_ledger_append, migrations 0003 and 0005, checks the head did
 * not move and then moves it and inserts, in one call).
 */
async function appendLocked(trx: Transaction<Database>, input: LedgerInput, options: ChainedOptions): Promise<LedgerEntry> {
  const writer = ledgerWriter(trx);
  if (writer && options.drainQueue !== false) await writer.flush(trx);
  const head = await readHeadRow(trx, true);
  const { entry: e, bytes, subjectsJson, payloadJson } = newEntry(input, head);
  const result = await sql<{ ok: boolean }>`
    select tether_ledger_append(${e.seq}, ${e.at}, ${e.actor}, ${e.type}, ${e.subject},
      ${subjectsJson}::json, ${payloadJson}::json, ${e.prev_hash}, ${e.hash}, ${bytes}) as ok`.execute(trx);
  // Unreachable while we hold the head's lock; kept so a broken invariant is loud.
  if (result.rows[0]?.ok !== true) throw new Error('ledger_head moved while locked');
  return e;
}

export async function appendChained(db: Db, input: LedgerInput, options: ChainedOptions = {}): Promise<LedgerEntry> {
  const writer = ledgerWriter(db);
  if (writer instanceof InlineWriter) return writer.append(db, input);
  if (db.isTransaction) return appendLocked(db as Transaction<Database>, input, options);
  return (db as Kysely<Database>).transaction().execute((trx) => appendLocked(trx, input, options));
}
