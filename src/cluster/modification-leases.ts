/**
 * Leases on modifications, so each open modification's actor lives in exactly one
 * process. The lease is two columns of the row (lease_owner, lease_expires_at), written
 * with database time so processes whose clocks disagree still agree on expiry.
 *
 * - claim: a process takes open modifications nobody holds, or whose lease ran out (its
 *   owner died), with FOR UPDATE SKIP LOCKED so two claimers never take the same row;
 * - renew: the owner pushes its leases on and, in the same statement, reads each one's
 *   stored state and recorded decision, which is how a decision taken in another process
 *   reaches the owner (polling, see actors/cluster.ts);
 * - release: on a clean stop, so the next process need not wait for expiry.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, ModificationRow } from '../store/schema.ts';
import { OPEN_STATES } from '../../machines/modification.ts';

type Db = Kysely<Database>;

const openStates = sql.join(OPEN_STATES.map((s) => sql`${s}`));

/** Open modifications this process now holds (oldest first), at most `limit`. */
export async function claimModifications(db: Db, owner: string, leaseMs: number, limit = 50): Promise<ModificationRow[]> {
  const result = await sql<ModificationRow>`
    with free as (
      select id from modifications
       where state in (${openStates})
         and (lease_owner is null or lease_expires_at < now())
       order by created_at, id
       limit ${limit}
       for update skip locked
    )
    update modifications as m
       set lease_owner = ${owner}, lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
      from free
     where m.id = free.id
    returning m.*`.execute(db);
  return result.rows.sort((a, b) => +new Date(a.created_at) - +new Date(b.created_at) || (a.id < b.id ? -1 : 1));
}

/** Takes one modification (just submitted here) unless another process holds it. */
export async function claimModification(db: Db, owner: string, id: string, leaseMs: number): Promise<boolean> {
  const result = await sql`
    update modifications
       set lease_owner = ${owner}, lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
     where id = ${id}
       and (lease_owner is null or lease_owner = ${owner} or lease_expires_at < now())`.execute(db);
  return Number(result.numAffectedRows ?? 0) === 1;
}

export interface HeldModification {
  id: string;
  state: string;
  head: string | null;
  /** The recorded decision (approvals row), if any. */
  decision: string | null;
  approver: string | null;
}

/**
 * Renews this process's leases on `ids` and reads them back. An id missing from the
 * answer is no longer ours: our lease ran out and another process took it.
 */
export async function renewModifications(db: Db, owner: string, ids: readonly string[], leaseMs: number): Promise<HeldModification[]> {
  if (ids.length === 0) return [];
  const result = await sql<HeldModification>`
    with renewed as (
      update modifications
         set lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
       where lease_owner = ${owner} and id in (${sql.join(ids.map((id) => sql`${id}`))})
      returning id, state, head_commit
    )
    select r.id, r.state, r.head_commit as head, a.decision, a.approver
      from renewed r
      left join approvals a on a.subject_kind = 'modification' and a.subject_id = r.id`.execute(db);
  return result.rows;
}

/** Gives back every lease this process holds (clean shutdown). */
export async function releaseModifications(db: Db, owner: string): Promise<number> {
  const result = await sql`update modifications set lease_owner = null, lease_expires_at = null where lease_owner = ${owner}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
