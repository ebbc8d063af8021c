/**
 * Retention: every sealed segment is archived (and the archive read back and verified
 * against its seal before it counts), then the oldest archived segments beyond
 * `keepSegments` are deleted from the database in one transaction that marks their seals
 * pruned and appends a `ledger.pruned` entry naming the archives. Only a prefix of
 * segments is ever pruned, so the retained history stays one verifiable run that starts
 * with the entry carrying the last pruned seal. Returns one outcome per segment touched.
 */
import { mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import { sql } from 'kysely';
import { appendChained, type LedgerEntry } from './append-entry.ts';
import { writeArchive } from './archive-file.ts';
import { ledgerDb, type LedgerDb } from './ledger-tables.ts';
import { readSeals, type SealRecord } from './read-seals.ts';
import type { RetentionPolicy } from './segment-policy.ts';
import { verifyArchive } from './verify-archive.ts';
import type { VerifyFailure } from './verify-result.ts';

export interface SegmentOutcome {
  segment: number;
  /** What happened to it in this call. */
  status: 'archived' | 'pruned' | 'archive-failed';
  file?: string;
  sha256?: string;
  /** Why its archive did not verify (the segment is then neither marked nor pruned). */
  verification?: VerifyFailure;
}

export interface ArchiveAndPruneResult {
  segments: SegmentOutcome[];
  /** The `ledger.pruned` entry, when something was pruned. */
  entry?: LedgerEntry;
}

export async function archiveAndPrune(db: LedgerDb, policy: RetentionPolicy): Promise<ArchiveAndPruneResult> {
  mkdirSync(policy.archiveDir, { recursive: true });
  const outcomes: SegmentOutcome[] = [];
  const seals = await readSeals(db);
  const ldb = ledgerDb(db);
  for (const seal of seals) {
    if (seal.archive_file || seal.pruned) continue;
    const { file, sha256 } = await writeArchive(db, seal, policy.archiveDir);
    const check = await verifyArchive(file, seal);
    if (!check.ok) {
      outcomes.push({ segment: seal.segment, status: 'archive-failed', file, verification: check });
      break; // later segments must not be pruned past one that failed
    }
    await ldb
      .updateTable('ledger_seals')
      .set({ archive_file: basename(file), archive_sha256: sha256 })
      .where('segment', '=', seal.segment)
      .execute();
    seal.archive_file = basename(file);
    seal.archive_sha256 = sha256;
    outcomes.push({ segment: seal.segment, status: 'archived', file, sha256 });
  }

  const newest = seals.at(-1)?.segment ?? 0;
  const prunable: SealRecord[] = [];
  for (const seal of seals) {
    if (seal.pruned) continue;
    if (!seal.archive_file || seal.segment > newest - policy.keepSegments) break;
    prunable.push(seal);
  }
  if (prunable.length === 0) return { segments: outcomes };

  const run = async (trx: LedgerDb) => {
    const t = ledgerDb(trx);
    const segments = prunable.map((s) => s.segment);
    // Lock the seals: a concurrent pruner waits, then finds them pruned and does nothing.
    const locked = await t.selectFrom('ledger_seals').select(['segment', 'pruned_at']).where('segment', 'in', segments).forUpdate().execute();
    if (locked.some((r) => r.pruned_at !== null)) return undefined;
    const from = prunable[0]!.first_seq;
    const through = prunable.at(-1)!.last_seq;
    await sql`delete from ledger_entries where seq >= ${from} and seq <= ${through}`.execute(trx);
    await t.updateTable('ledger_seals').set({ pruned_at: new Date().toISOString() }).where('segment', 'in', segments).execute();
    return appendChained(trx, {
      actor: 'ledger',
      type: 'ledger.pruned',
      payload: {
        from_seq: from,
        through_seq: through,
        archives: prunable.map((s) => ({ segment: s.segment, file: s.archive_file, sha256: s.archive_sha256, seal_hash: s.seal_hash })),
      },
    });
  };
  const entry = db.isTransaction ? await run(db) : await db.transaction().execute(run);
  if (entry) for (const s of prunable) outcomes.push({ segment: s.segment, status: 'pruned', file: s.archive_file ?? undefined });
  return entry ? { segments: outcomes, entry } : { segments: outcomes };
}
