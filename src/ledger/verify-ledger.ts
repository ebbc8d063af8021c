/**
 * Verifies the ledger still in the database, from the oldest retained entry to the head,
 * streaming pages by seq. Pruned segments are vouched for by their seals: the seal chain
 * is checked from segment 1, and the first retained entry must carry the last pruned
 * seal and link to its last hash. Ends by checking the head row and, if given, a
 * checkpoint. Reports the first bad seq; never throws for a broken ledger.
 *
 * Outside a transaction, queued entries are chained and the head row written first
 * (syncLedgerHead), so the check covers everything committed. Inside one, the head row may
 * be a watermark behind the chain's end (the embedded store writes it lazily): it must then
 * match the entry at its seq.
 */
import { sql } from 'kysely';
import { storeEventsOf } from '../store/store-events.ts';
import { checkSealLink } from './chain-checker.ts';
import { ChainScan, type ScanEnd, type ScanStart } from './chain-scan.ts';
import { readCheckpoint, type Checkpoint } from './checkpoint.ts';
import { GENESIS_HASH } from './entry-hash.ts';
import { pageTexts, storedPages } from './entry-pages.ts';
import type { LedgerDb } from './ledger-tables.ts';
import { syncLedgerHead } from './ledger-writer.ts';
import { readSeals } from './read-seals.ts';
import { scanInWorker, verifyThreadRunning } from './verify-thread.ts';
import { failure, type VerifyResult } from './verify-result.ts';

export interface VerifyOptions {
  /** A checkpoint, or the path of a checkpoint file (`tether ledger verify --checkpoint FILE`). */
  checkpoint?: Checkpoint | string;
  /** Rows per page (default 2000, see storedPages). */
  pageSize?: number;
  /**
   * Read everything in one repeatable-read snapshot (default true), so a prune or seal
   * committing midway cannot look like a gap. On PGlite this holds the one connection for
   * the whole verification; pass false to let other work interleave between pages.
   */
  snapshot?: boolean;
  /**
   * Parse and hash in a worker thread while this one reads (default: on the embedded store,
   * when at least WORKER_MIN_ENTRIES are retained or the worker is already loaded). It
   * falls back to this thread if the worker cannot run.
   */
  worker?: boolean;
}

/**
 * Below this, a fresh process gains nothing from the worker: it loads in about 0.3 s on
 * Node (tsx first), and until PGlite's WebAssembly warms up both threads are slow. Measured
 * (tmp scripts, 100,000 entries, in-memory PGlite): fresh process 0.85–0.90 s in this
 * thread, 0.85–0.89 s with a worker started while the store opened; warm, 0.65 s with the
 * worker and 0.7–1.1 s without.
 */
export const WORKER_MIN_ENTRIES = 50_000;

/**
 * The worker pays off where the database runs in this thread (PGlite): 1.3–1.9× in every
 * run of bench/ledger.bench.ts so far. On PostgreSQL the server's own process already
 * reads in parallel, and on two cores a worker only competes with it (0.90–1.02× there),
 * so it is opt-in.
 */
function workerByDefault(db: LedgerDb, retained: number): boolean {
  if (storeEventsOf(db)?.backend !== 'pglite') return false;
  return retained >= WORKER_MIN_ENTRIES || verifyThreadRunning();
}

/** Walks the retained entries in the worker or, failing that, here. */
async function scanEntries(db: LedgerDb, start: ScanStart, retained: number, options: VerifyOptions): Promise<ScanEnd> {
  const after = start.checker.startSeq - 1;
  const useWorker = options.worker ?? workerByDefault(db, retained);
  if (useWorker) {
    const end = await scanInWorker(pageTexts(db, { after, pageSize: options.pageSize }), start);
    if (end) return end;
  }
  const scan = new ChainScan(start);
  for await (const page of storedPages(db, { after, pageSize: options.pageSize })) {
    if (scan.push(page)) break;
  }
  return scan.end();
}

export async function verifyLedger(db: LedgerDb, options: VerifyOptions = {}): Promise<VerifyResult> {
  if (db.isTransaction) return verifyIn(db, options);
  await syncLedgerHead(db);
  if (options.snapshot === false) return verifyIn(db, options);
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => verifyIn(trx, options));
}

async function verifyIn(db: LedgerDb, options: VerifyOptions): Promise<VerifyResult> {
  const checkpoint = typeof options.checkpoint === 'string' ? readCheckpoint(options.checkpoint) : options.checkpoint;
  const headRows = await sql<{ seq: string | number; hash: string }>`select seq, hash from ledger_head where id = 1`.execute(db);
  const head = headRows.rows[0];
  if (!head) return failure('TRUNCATED', 1, 'The ledger head row is missing.');
  const headSeq = Number(head.seq);
  const seals = await readSeals(db);
  const oldestRows = await sql<{ seq: string | number | null }>`select min(seq) as seq from ledger_entries`.execute(db);
  const oldest = oldestRows.rows[0]?.seq == null ? undefined : Number(oldestRows.rows[0]!.seq);

  // Where retained history must begin: right after the last pruned segment.
  let prunedThrough = 0;
  for (const seal of seals) if (seal.pruned) prunedThrough = Math.max(prunedThrough, seal.last_seq);
  const start = oldest ?? headSeq + 1;
  if (oldest === undefined && headSeq > prunedThrough) {
    return failure('TRUNCATED', prunedThrough + 1, `The head is at ${headSeq} but no entries after ${prunedThrough} remain.`);
  }
  if (start > prunedThrough + 1 && start <= headSeq) {
    return failure('SEQ_GAP', prunedThrough + 1, `Entries ${prunedThrough + 1}–${start - 1} are missing and were never pruned.`);
  }

  // Seals before the retained range are all that is left of their segments: check their chain.
  let prevSealHash = GENESIS_HASH;
  let sealsChecked = 0;
  const retainedSeals = [];
  for (const seal of seals) {
    if (seal.last_seq < start) {
      const bad = checkSealLink(seal, prevSealHash);
      if (bad) return bad;
      prevSealHash = seal.seal_hash;
      sealsChecked++;
    } else {
      retainedSeals.push(seal);
    }
  }
  let prevHash = GENESIS_HASH;
  let openingSeal;
  if (start > 1) {
    openingSeal = seals.find((s) => s.last_seq === start - 1);
    if (!openingSeal) {
      return failure('SEQ_GAP', start - 1, `Entries before ${start} are missing and no seal covers them.`);
    }
    prevHash = openingSeal.last_hash;
  }

  const scanStart: ScanStart = {
    checker: { startSeq: start, prevHash, seals: retainedSeals, openingSeal, prevSealHash, openSegmentMerkle: false },
    headSeq,
    ...(checkpoint ? { checkpointSeq: checkpoint.seq } : {}),
  };
  const scanned = await scanEntries(db, scanStart, headSeq - start + 1, options);
  if (scanned.failure) return scanned.failure;
  const { checkpointHash, hashAtHead } = scanned;

  const lastSeq = scanned.next - 1;
  if (headSeq > lastSeq) {
    return failure('TRUNCATED', lastSeq + 1, `The head is at ${headSeq} but entries end at ${lastSeq}: entries were deleted.`);
  }
  // A head row behind the end is a watermark; at its seq it must name the same entry.
  const atHead = headSeq === lastSeq ? scanned.lastHash : headSeq === 0 ? GENESIS_HASH : hashAtHead;
  if (atHead !== undefined && head.hash !== atHead) {
    return failure('HASH_MISMATCH', headSeq, `The head's hash differs from entry ${headSeq}'s hash.`);
  }
  const unreached = retainedSeals.find((s) => s.last_seq > lastSeq);
  if (unreached) {
    return failure('SEAL_MISMATCH', unreached.last_seq, `The seal of segment ${unreached.segment} covers entries that do not exist.`);
  }
  if (scanned.pendingSeal) {
    const s = scanned.pendingSeal;
    return failure('SEAL_MISMATCH', s.last_seq + 1, `The seal of segment ${s.segment} was never written into the chain.`);
  }

  let checkpointOutcome: 'matched' | 'pruned' | undefined;
  if (checkpoint) {
    if (checkpoint.seq > lastSeq) {
      return failure('TRUNCATED', lastSeq + 1, `The checkpoint is at ${checkpoint.seq} but the ledger ends at ${lastSeq}: it was truncated.`);
    }
    if (checkpoint.seq >= start || checkpoint.seq === 0) {
      const found = checkpoint.seq === 0 ? GENESIS_HASH : checkpointHash;
      if (found !== checkpoint.hash) {
        return failure('HASH_MISMATCH', checkpoint.seq, `Entry ${checkpoint.seq} differs from the checkpoint: history up to it was rewritten.`);
      }
      checkpointOutcome = 'matched';
    } else {
      const seal = seals.find((s) => s.last_seq === checkpoint.seq);
      if (seal && seal.last_hash !== checkpoint.hash) {
        return failure('HASH_MISMATCH', checkpoint.seq, `Entry ${checkpoint.seq} differs from the checkpoint: history up to it was rewritten.`);
      }
      checkpointOutcome = seal ? 'matched' : 'pruned';
    }
  }
  return {
    ok: true,
    checked: scanned.checked,
    headSeq: lastSeq,
    firstSeq: start,
    seals: sealsChecked + scanned.sealsChecked,
    ...(checkpointOutcome ? { checkpoint: checkpointOutcome } : {}),
  };
}
