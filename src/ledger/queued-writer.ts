/**
 * The ledger writer for PostgreSQL, which several connections and processes share. An
 * append is one insert into `ledger_queue` inside the caller's transaction; it takes no
 * lock, so concurrent appenders commit side by side (sharing WAL flushes) instead of one
 * after another behind the head row. A background integrator chains committed entries in
 * batches shortly after (integrate-queue.ts): after a standalone append, and after any
 * commit that may have carried one. Readers call flush() to see every committed entry
 * chained; close() chains what is left. Entries a crash left queued are chained by the next
 * flush, by any process.
 */
import { sql, type Kysely } from 'kysely';
import { logger } from '../log.ts';
import type { Database } from '../store/schema.ts';
import type { StoreEvents, StoreListener, TransactionEvent } from '../store/store-events.ts';
import { drainQueue } from './integrate-queue.ts';
import type { LedgerDb } from './ledger-tables.ts';
import { inputJson, mainSubject, type LedgerInput } from './new-entry.ts';

/**
 * How long the integrator waits after a poke, so one batch gathers what arrives meanwhile.
 * Each batch costs two statements and a commit whatever its size: measured with 8
 * appenders, 5 ms batches cost 1.5× a plain insert, 25–50 ms ones about 1.25×. Readers do
 * not wait for it (they flush).
 */
const INTEGRATE_DELAY_MS = 25;
/** How long after an append inside a transaction every commit still pokes (it may be that one). */
const TRANSACTION_WINDOW_MS = 60_000;
const RETRY_MS = 1000;


export class QueuedWriter implements StoreListener {
  readonly #events: StoreEvents;
  #lastInTransaction = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(events: StoreEvents) {
    this.#events = events;
  }

  async append(db: LedgerDb, input: LedgerInput): Promise<undefined> {
    const { subjects, subjectsJson, payloadJson } = inputJson(input);
    const subject = mainSubject(subjects);
    await sql`insert into ledger_queue (at, actor, type, subject, subjects, payload)
      values (${new Date().toISOString()}, ${input.actor}, ${input.type}, ${subject}, ${subjectsJson}::json, ${payloadJson}::json)`.execute(db);
    if (db.isTransaction) this.#lastInTransaction = Date.now();
    else this.poke();
    return undefined;
  }

  on(event: TransactionEvent): void {
    if (event === 'commit' && Date.now() - this.#lastInTransaction < TRANSACTION_WINDOW_MS) this.poke();
  }

  /** Integrate soon; a poke during a run makes one more run after it. */
  poke(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, INTEGRATE_DELAY_MS);
    this.#timer.unref?.();
  }

  #run(): void {
    const db = this.#events.db as Kysely<Database> | undefined;
    if (!db) return;
    this.#running = drainQueue(db)
      .catch((error: Error) => {
        logger('ledger').warn('Chaining queued ledger entries failed, retrying: {message}', { message: error.message });
        this.#again = false;
        setTimeout(() => this.poke(), RETRY_MS).unref?.();
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.poke();
        }
      });
  }

  /** Chains every entry committed so far (in the caller's transaction when given one). */
  async flush(db: LedgerDb): Promise<void> {
    if (!db.isTransaction) await this.#running;
    await drainQueue(db);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    const db = this.#events.db as Kysely<Database> | undefined;
    if (db) await this.flush(db);
  }
}
