/**
 * The ledger writer for the embedded store. PGlite has one connection and one process
 * (the data dir is locked), so nothing can append between this writer's appends and no
 * database lock is needed to keep the chain linear: the head lives here, and an append is
 * one insert, like a plain insert of the row plus the hashing.
 *
 * The head follows the store's transactions (store-events.ts): an append inside a
 * transaction moves it, a rollback puts it back, and a failed statement makes it unknown,
 * so the next append reads it from the database again. Concurrent standalone appends are
 * written as one insert (group commit). Unique seq and prev_hash remain
 * the database's guard against a fork. `ledger_head` is written at a flush (verify,
 * checkpoint, seal, close) as a watermark: after a crash the chain may run past it, and
 * it never moves back, so deleted entries at the end still show.
 */
import { CompiledQuery, sql, type DatabaseConnection, type Kysely, type QueryResult, type RawBuilder } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { StoreEvents, StoreListener, TransactionEvent } from '../store/store-events.ts';
import { CHAIN_HEAD_QUERY, chainHeadOf } from './chain-head.ts';
import type { LedgerDb } from './ledger-tables.ts';
import { newEntry, type ChainHead, type LedgerEntry, type LedgerInput } from './new-entry.ts';

/** Runs one statement: in the caller's transaction, or on the connection held exclusively. */
type Run = <R>(query: RawBuilder<R> | CompiledQuery<R>) => Promise<QueryResult<R>>;

const compiled = <R>(db: LedgerDb, query: RawBuilder<R> | CompiledQuery<R>): CompiledQuery<R> =>
  'compile' in query ? query.compile(db) : query;

function inTransaction(db: LedgerDb): Run {
  return (query) => db.executeQuery(compiled(db, query));
}

function onConnection(db: LedgerDb, connection: DatabaseConnection): Run {
  return (query) => connection.executeQuery(compiled(db, query));
}

const ENTRY_COLUMNS = 9;

/**
 * The insert of `n` entries as SQL text, built once per size: an append is the hot path,
 * and building the statement through Kysely's query builder cost more than hashing it.
 */
const insertTexts = new Map<number, string>();
function insertText(n: number): string {
  let text = insertTexts.get(n);
  if (text === undefined) {
    const rows = Array.from({ length: n }, (_, r) => {
      const p = (c: number) => `$${r * ENTRY_COLUMNS + c}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}::json, ${p(7)}::json, ${p(8)}, ${p(9)})`;
    });
    text = `insert into ledger_entries (seq, at, actor, type, subject, subjects, payload, prev_hash, hash) values ${rows.join(', ')}`;
    insertTexts.set(n, text);
  }
  return text;
}

/** Most standalone appends written by one insert. */
const GROUP_MAX = 256;

interface Waiting {
  input: LedgerInput;
  resolve(entry: LedgerEntry): void;
  reject(error: unknown): void;
}

interface State {
  head: ChainHead | undefined;
  /** Canonical bytes appended since the head row was last written. */
  bytes: number;
  /** The head the row was last written with, to skip writing it again. */
  written: ChainHead | undefined;
}

export class InlineWriter implements StoreListener {
  readonly #events: StoreEvents;
  #now: State = { head: undefined, bytes: 0, written: undefined };
  /** The state as of the last commit, restored by a rollback. */
  #committed: State = { ...this.#now };
  #inTransaction = false;
  #waiting: Waiting[] = [];
  #grouping: Promise<void> | undefined;

  constructor(events: StoreEvents) {
    this.#events = events;
  }

  on(event: TransactionEvent): void {
    switch (event) {
      case 'begin':
        this.#inTransaction = true;
        this.#committed = { ...this.#now };
        break;
      case 'commit':
        this.#inTransaction = false;
        this.#committed = { ...this.#now };
        break;
      case 'rollback':
        this.#inTransaction = false;
        this.#now = { ...this.#committed };
        break;
      case 'invalidate':
        this.#now = { ...this.#now, head: undefined, written: undefined };
        if (!this.#inTransaction) this.#committed = { ...this.#now };
        break;
    }
  }

  #settle(): void {
    if (!this.#inTransaction) this.#committed = { ...this.#now };
  }

  async append(db: LedgerDb, input: LedgerInput): Promise<LedgerEntry> {
    if (db.isTransaction) return (await this.#insert(inTransaction(db), [input]))[0]!;
    return new Promise<LedgerEntry>((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject });
      if (!this.#grouping) this.#grouping = this.#insertWaiting(db as Kysely<Database>);
    });
  }

  /**
   * Standalone appends (each its own transaction) that arrive while one is being written
   * are written together, as one multi-row insert: group commit. The connection is held
   * from reading the head to the insert, so nothing appends in between. If a group fails,
   * its entries are written one by one, so only the bad one fails.
   */
  async #insertWaiting(db: Kysely<Database>): Promise<void> {
    try {
      await this.#exclusive(db, async (run) => {
        while (this.#waiting.length > 0) {
          const group = this.#waiting.splice(0, GROUP_MAX);
          try {
            const entries = await this.#insert(run, group.map((w) => w.input));
            group.forEach((w, i) => w.resolve(entries[i]!));
          } catch (error) {
            if (group.length === 1) group[0]!.reject(error);
            else for (const w of group) await this.#insert(run, [w.input]).then(([e]) => w.resolve(e!), w.reject);
          }
        }
      });
    } catch (error) {
      for (const w of this.#waiting.splice(0)) w.reject(error);
    } finally {
      this.#grouping = undefined;
      if (this.#waiting.length > 0) this.#grouping = this.#insertWaiting(db);
    }
  }

  /** Runs `fn` holding the store's one connection (Kysely's connection() where there is no hook). */
  #exclusive<T>(db: Kysely<Database>, fn: (run: Run) => Promise<T>): Promise<T> {
    const exclusive = this.#events.exclusive;
    if (exclusive) return exclusive((connection) => fn(onConnection(db, connection)));
    return db.connection().execute((conn) => fn(inTransaction(conn)));
  }

  async #readHead(run: Run): Promise<ChainHead> {
    return this.#now.head ?? chainHeadOf((await run(CHAIN_HEAD_QUERY)).rows);
  }

  /** Chains and inserts `inputs` in one statement at the head, then moves the head. */
  async #insert(run: Run, inputs: LedgerInput[]): Promise<LedgerEntry[]> {
    let head = await this.#readHead(run);
    let bytes = 0;
    const entries: LedgerEntry[] = [];
    const params: unknown[] = [];
    for (const input of inputs) {
      const made = newEntry(input, head);
      const e = made.entry;
      entries.push(e);
      bytes += made.bytes;
      head = { seq: e.seq, hash: e.hash };
      params.push(e.seq, e.at, e.actor, e.type, e.subject, made.subjectsJson, made.payloadJson, e.prev_hash, e.hash);
    }
    await run(CompiledQuery.raw(insertText(inputs.length), params));
    this.#now = { ...this.#now, head, bytes: this.#now.bytes + bytes };
    this.#settle();
    return entries;
  }

  /** Nothing waits to be chained here: every append is chained when it returns. */
  async flush(): Promise<void> {}

  /** Writes the head row: the head and the bytes appended since (never moving it back). */
  async writeHead(db: LedgerDb): Promise<void> {
    if (db.isTransaction) return this.#writeHeadOn(inTransaction(db));
    await this.#exclusive(db as Kysely<Database>, (run) => this.#writeHeadOn(run));
  }

  async #writeHeadOn(run: Run): Promise<void> {
    const head = await this.#readHead(run);
    const { written, bytes } = this.#now;
    if (bytes === 0 && written && written.seq === head.seq && written.hash === head.hash) return;
    const result = await run(sql`update ledger_head set seq = ${head.seq}, hash = ${head.hash}, segment_bytes = segment_bytes + ${bytes}
      where id = 1 and (seq < ${head.seq} or (seq = ${head.seq} and hash = ${head.hash}))`);
    if (Number(result.numAffectedRows ?? 0) === 1) this.#now = { head, bytes: 0, written: head };
    else this.#now = { ...this.#now, head };
    this.#settle();
  }

  async close(): Promise<void> {
    const db = this.#events.db;
    if (db) await this.writeHead(db);
  }
}
