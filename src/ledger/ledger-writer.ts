/**
 * Each store's ledger writer, found from any `db` or `trx` of it: inline on the embedded
 * store (one connection, the head kept in memory), queued on PostgreSQL (shared, so
 * appenders must not wait for each other). A Kysely opened outside openStore has none;
 * appends then take the head row's lock (append-entry.ts).
 */
import { storeEventsOf } from '../store/store-events.ts';
import { InlineWriter } from './inline-writer.ts';
import type { LedgerDb } from './ledger-tables.ts';
import { QueuedWriter } from './queued-writer.ts';

export type LedgerWriter = InlineWriter | QueuedWriter;

export function ledgerWriter(db: LedgerDb): LedgerWriter | undefined {
  const events = storeEventsOf(db);
  if (!events) return undefined;
  return events.slot<LedgerWriter>('ledger', () => (events.backend === 'pglite' ? new InlineWriter(events) : new QueuedWriter(events)));
}

/** Chains every entry committed so far, so a read sees them all. */
export async function flushLedger(db: LedgerDb): Promise<void> {
  await ledgerWriter(db)?.flush(db);
}

/** flushLedger, and the head row brought up to the chain's end (verify, checkpoint, seal). */
export async function syncLedgerHead(db: LedgerDb): Promise<void> {
  const writer = ledgerWriter(db);
  if (!writer) return;
  await writer.flush(db);
  if (writer instanceof InlineWriter) await writer.writeHead(db);
}

/**
 * Forgets the in-memory head, so the next append reads it from the database: for code that
 * changed the ledger's tables by hand (tests, repairs).
 */
export function forgetLedgerHead(db: LedgerDb): void {
  storeEventsOf(db)?.emit('invalidate');
}
