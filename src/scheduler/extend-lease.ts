/**
 * Extends a lease while its handler still works, so a long task (a test run) is not taken
 * for dead. Leaves updated_at alone: it marks when the attempt started. No ledger entry:
 * a heartbeat changes no state anyone decides on.
 */
import { sql } from 'kysely';
import type { DbOrTrx } from './in-transaction.ts';
import type { LeaseRef } from './task-types.ts';

/** The new expiry, or null when the lease no longer holds (the handler should stop). */
export async function extendLease(db: DbOrTrx, lease: LeaseRef, leaseMs: number): Promise<Date | null> {
  const result = await sql<{ lease_expires_at: Date }>`
    update tasks set lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
     where id = ${lease.id} and status = 'running' and lease_owner = ${lease.owner} and attempts = ${lease.attempt}
    returning lease_expires_at`.execute(db);
  const row = result.rows[0];
  return row ? new Date(row.lease_expires_at) : null;
}
