/**
 * Verifies a ledger in this thread and in the verification worker and expects the same
 * report from both, so every tampering test covers both paths.
 */
import { expect } from 'vitest';
import type { LedgerDb } from '../../src/ledger/ledger-tables.ts';
import { verifyLedger, type VerifyOptions } from '../../src/ledger/verify-ledger.ts';
import type { VerifyResult } from '../../src/ledger/verify-result.ts';
import { verifyThreadRunning } from '../../src/ledger/verify-thread.ts';

export async function verifyBoth(db: LedgerDb, options: Omit<VerifyOptions, 'worker'> = {}): Promise<VerifyResult> {
  const here = await verifyLedger(db, { ...options, worker: false });
  const there = await verifyLedger(db, { ...options, worker: true });
  // The worker really ran: a fallback to this thread would hide a broken worker path.
  expect(verifyThreadRunning()).toBe(true);
  expect(there).toEqual(here);
  return here;
}
