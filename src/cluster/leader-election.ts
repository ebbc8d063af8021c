/**
 * Leader election among Tether processes on one PostgreSQL database, for work that must
 * run in one process at a time (scheduled goal-generator passes).
 *
 * The leader holds a session-level `pg_advisory_lock` key on one connection it keeps out
 * of the pool for as long as it runs. A session lock, unlike a transaction lock, outlives
 * every transaction and ends with the session: when the leader dies (SIGKILL, crash, lost
 * network) PostgreSQL ends its backend and the lock is free, with no lease to wait out.
 * Followers poll with `pg_try_advisory_lock` on their own held connection (never blocking
 * a pooled one), and the leader checks its connection on the same period, so a leader
 * whose connection broke steps down instead of believing it still leads.
 *
 * The embedded PGlite store is single-process (its directory lock refuses a second one),
 * so there the process is always the leader.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { logger } from '../log.ts';

export interface LeaderElection {
  isLeader(): boolean;
  /** Makes the first attempt, so a lone process leads as soon as start() resolves. */
  start(): Promise<void>;
  /** Steps down (unlocks) and gives the connection back. */
  stop(): Promise<void>;
}

/** The advisory lock key of the goal generator: any fixed 64-bit number, named here once. */
export const GENERATOR_LOCK_KEY = 0x7e7e_0001;

export function alwaysLeader(): LeaderElection {
  return { isLeader: () => true, start: async () => {}, stop: async () => {} };
}

export interface AdvisoryElectionOptions {
  key?: number;
  /**
   * The database URL, for a connection of the election's own (recommended). Without it a
   * connection is borrowed from the store's pool for good; a pooled client that loses its
   * server while borrowed has no error listener, so prefer the URL.
   */
  url?: string;
  /** How often a follower tries the lock and a leader checks its connection (default 2 s). */
  pollMs?: number;
  /** Told of every change of leadership. */
  onChange?(leading: boolean): void;
}

/** The one connection the election holds: the lock belongs to its session. */
interface Session {
  query(text: string): Promise<Record<string, unknown>[]>;
  end(): Promise<void>;
}

async function ownSession(url: string, onError: (error: Error) => void): Promise<Session> {
  const pg = await import('pg');
  const Client = pg.default?.Client ?? (pg as unknown as { Client: typeof pg.default.Client }).Client;
  const client = new Client({ connectionString: url, application_name: 'tether-election' });
  // A dropped connection must not crash the process: it only means we no longer lead.
  client.on('error', onError);
  await client.connect();
  return { query: async (text) => (await client.query(text)).rows, end: () => client.end().catch(() => {}) };
}

export function advisoryLockElection(db: Kysely<Database>, options: AdvisoryElectionOptions = {}): LeaderElection {
  const log = logger('cluster', 'election');
  const key = Math.trunc(options.key ?? GENERATOR_LOCK_KEY);
  const pollMs = options.pollMs ?? 2000;
  let leading = false;
  let stopping = false;
  let wake: (() => void) | undefined;
  let first: (() => void) | undefined;
  const firstAttempt = new Promise<void>((resolve) => (first = resolve));
  let done: Promise<void> | undefined;

  const setLeading = (next: boolean) => {
    if (next === leading) return;
    leading = next;
    log.info(next ? 'this process leads (advisory lock {key})' : 'this process no longer leads', { key });
    options.onChange?.(next);
  };
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Tries the lock, then keeps checking the connection, until stop or an error. */
  const hold = async (session: Session) => {
    try {
      while (!stopping) {
        if (!leading) {
          const rows = await session.query(`select pg_try_advisory_lock(${key}) as ok`);
          setLeading(rows[0]?.ok === true);
        } else {
          await session.query('select 1');
        }
        first?.();
        if (!stopping) await pause();
      }
      if (leading) await session.query(`select pg_advisory_unlock(${key})`);
    } finally {
      setLeading(false);
    }
  };

  const session = async () => {
    if (!options.url) {
      return db.connection().execute((conn) => hold({ query: async (text) => (await sql.raw<Record<string, unknown>>(text).execute(conn)).rows, end: async () => {} }));
    }
    const s = await ownSession(options.url, (error) => {
      log.warn('election connection lost: {error}', { error: error.message });
      setLeading(false);
      wake?.();
    });
    try {
      await hold(s);
    } finally {
      await s.end();
    }
  };

  const run = async () => {
    while (!stopping) {
      try {
        await session();
      } catch (error) {
        // The connection broke: whatever we held is gone with its session. Try again.
        setLeading(false);
        log.warn('election connection failed: {error}', { error: String(error) });
        first?.();
        if (!stopping) await pause();
      }
    }
  };

  return {
    isLeader: () => leading,
    async start() {
      done ??= run();
      await firstAttempt;
    },
    async stop() {
      stopping = true;
      wake?.();
      await done;
    },
  };
}
