/**
 * Work that must not overlap across processes, keyed by name: merges into one target ref
 * of the shared repository. Each merge compare-and-swaps the ref and retries a few times
 * on REF_CHANGED, which is enough inside one process but not when several processes
 * approve at once. Here they queue instead: in memory within the process (so it borrows
 * at most one connection per key), then on a session-level advisory lock across
 * processes. A process that dies while holding it loses its session, and with it the lock.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export type Exclusive = <T>(key: string, work: () => Promise<T>) => Promise<T>;

export function advisoryExclusive(db: Kysely<Database>): Exclusive {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const lockKey = `tether:${key}`;
    const locked = () =>
      db.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(hashtext(${lockKey}))`.execute(conn);
        try {
          return await work();
        } finally {
          await sql`select pg_advisory_unlock(hashtext(${lockKey}))`.execute(conn);
        }
      });
    const previous = tails.get(key) ?? Promise.resolve();
    const next = previous.then(locked, locked);
    const tail = next.catch(() => {});
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}
