/** Every seal row, oldest first, with archive and prune bookkeeping. */
import { ledgerDb, type LedgerDb } from './ledger-tables.ts';
import { toSeal, type Seal } from './seal.ts';

export interface SealRecord extends Seal {
  archive_file: string | null;
  archive_sha256: string | null;
  pruned: boolean;
}

export async function readSeals(db: LedgerDb): Promise<SealRecord[]> {
  const rows = await ledgerDb(db).selectFrom('ledger_seals').selectAll().orderBy('segment').execute();
  return rows.map((row) => ({
    ...toSeal(row),
    archive_file: row.archive_file,
    archive_sha256: row.archive_sha256,
    pruned: row.pruned_at !== null,
  }));
}
