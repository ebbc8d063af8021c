/**
 * Seals the open segment, in one transaction holding the head's lock: re-verifies the
 * segment's entries (a broken segment is never sealed, since the seal would vouch for it),
 * computes its Merkle root, stores the seal row and appends a `ledger.sealed` entry that
 * carries the whole seal, so the next segment's first entry commits to it. A crash at any
 * point rolls all of it back: no half seal, no fork.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { failpoint } from '../faults/failpoint.ts';
import { appendChained, type LedgerEntry } from './append-entry.ts';
import { readHeadRow } from './chain-head.ts';
import { syncLedgerHead } from './ledger-writer.ts';
import { ChainChecker } from './chain-checker.ts';
import { GENESIS_HASH } from './entry-hash.ts';
import { storedPages } from './entry-pages.ts';
import { ledgerDb, type LedgerDb } from './ledger-tables.ts';
import { SEALED_ENTRY_TYPE, sealHash, toSeal, type Seal, type SealFields } from './seal.ts';
import { DEFAULT_SEGMENT_POLICY, type SegmentPolicy } from './segment-policy.ts';
import { failure, type VerifyFailure } from './verify-result.ts';

export interface SealOptions {
  /** When the open segment is due (defaults: 10,000 entries or 8 MiB). */
  policy?: Partial<SegmentPolicy>;
  /** Seal even if not due (a segment holding at least one entry besides its opening seal). */
  force?: boolean;
  /** Who seals, for the `ledger.sealed` entry (default `ledger`). */
  actor?: string;
}

export type SealOutcome =
  | { sealed: true; seal: Seal; entry: LedgerEntry }
  | { sealed: false; reason: 'not-due' | 'empty'; count: number; bytes: number }
  | { sealed: false; reason: 'broken'; verification: VerifyFailure };

async function sealLocked(trx: Transaction<Database>, options: SealOptions): Promise<SealOutcome> {
  const policy = { ...DEFAULT_SEGMENT_POLICY, ...options.policy };
  // Every committed entry chained and counted in the head row first, then the row locked.
  await syncLedgerHead(trx);
  const head = await readHeadRow(trx, true);
  const headSeq = head.seq;
  const lastRow = await ledgerDb(trx).selectFrom('ledger_seals').selectAll().orderBy('segment', 'desc').limit(1).executeTakeFirst();
  const last = lastRow ? toSeal(lastRow) : undefined;
  const first = last ? last.last_seq + 1 : 1;
  const count = headSeq - first + 1;
  const openBytes = head.segmentBytes;
  // After a seal, the open segment always starts with the entry carrying it.
  if (count <= (last ? 1 : 0)) return { sealed: false, reason: 'empty', count: Math.max(count, 0), bytes: openBytes };
  if (!options.force && count < policy.maxEntries && openBytes < policy.maxBytes) {
    return { sealed: false, reason: 'not-due', count, bytes: openBytes };
  }

  const checker = new ChainChecker({ startSeq: first, prevHash: last?.last_hash ?? GENESIS_HASH, openingSeal: last });
  for await (const page of storedPages(trx, { after: first - 1, through: headSeq })) {
    for (const entry of page) {
      const bad = checker.push(entry);
      if (bad) return { sealed: false, reason: 'broken', verification: bad };
    }
  }
  if (checker.next !== headSeq + 1 || checker.lastHash !== head.hash) {
    return { sealed: false, reason: 'broken', verification: failure('TRUNCATED', checker.next, `Entries ${checker.next}–${headSeq} are missing.`) };
  }

  const fields: SealFields = {
    segment: (last?.segment ?? 0) + 1,
    first_seq: first,
    last_seq: headSeq,
    count,
    bytes: checker.segmentBytes,
    last_hash: head.hash,
    merkle_root: checker.merkle.root(),
    prev_seal_hash: last?.seal_hash ?? GENESIS_HASH,
    sealed_at: new Date().toISOString(),
  };
  const seal: Seal = { ...fields, seal_hash: sealHash(fields) };
  await ledgerDb(trx).insertInto('ledger_seals').values(seal).execute();
  await sql`update ledger_head set segment_bytes = 0 where id = 1`.execute(trx);
  // Entries queued since the sync above (PostgreSQL appenders do not wait for the head's
  // lock) stay queued: chained now, they would land between the segment and its seal.
  const entry = await appendChained(
    trx,
    { actor: options.actor ?? 'ledger', type: SEALED_ENTRY_TYPE, subjects: { segment: `segment-${seal.segment}` }, payload: { seal } },
    { drainQueue: false },
  );
  if (entry.seq !== headSeq + 1) throw new Error(`seal entry landed at seq ${entry.seq}, not ${headSeq + 1}`);
  failpoint('ledger.seal.before-commit');
  return { sealed: true, seal, entry };
}

export async function sealSegment(db: LedgerDb, options: SealOptions = {}): Promise<SealOutcome> {
  if (db.isTransaction) return sealLocked(db as Transaction<Database>, options);
  return db.transaction().execute((trx) => sealLocked(trx, options));
}
