/**
 * The ledger's tables as this folder sees them: the shared schema plus the seal table and
 * the head's segment size from migration 0003. Kept here, beside the code that uses them,
 * so the shared schema file stays the foundation's.
 */
import type { ColumnType, Kysely, Transaction } from 'kysely';
import type { Database, LedgerHeadTable, Timestamp } from '../store/schema.ts';

type BigIntColumn = ColumnType<string | number | bigint, number, number>;

export interface LedgerSealsTable {
  segment: BigIntColumn;
  first_seq: BigIntColumn;
  last_seq: BigIntColumn;
  count: BigIntColumn;
  bytes: BigIntColumn;
  last_hash: string;
  merkle_root: string;
  prev_seal_hash: string;
  sealed_at: string;
  seal_hash: string;
  archive_file: string | null;
  archive_sha256: string | null;
  pruned_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface LedgerDatabase extends Omit<Database, 'ledger_head'> {
  ledger_head: LedgerHeadTable & { segment_bytes: BigIntColumn };
  ledger_seals: LedgerSealsTable;
}

/** What every ledger function accepts: the store's db or a caller's transaction. */
export type LedgerDb = Kysely<Database> | Transaction<Database>;

/** The same connection, typed with the ledger's extra tables. */
export function ledgerDb(db: LedgerDb): Kysely<LedgerDatabase> {
  return db as unknown as Kysely<LedgerDatabase>;
}

export type { Timestamp };
