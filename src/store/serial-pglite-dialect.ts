/**
 * Kysely's PGliteDialect hands every caller the one PGlite connection at once: a query
 * issued while another caller's transaction is open runs *inside* that transaction, and a
 * second transaction overwrites the first one's handle. This dialect queues callers so a
 * connection (and so a transaction) belongs to one caller at a time, as a pool of one.
 * It also reports transactions and failed statements to the store's events.
 */
import {
  PGliteDialect,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type PGliteDialectConfig,
  type TransactionSettings,
} from 'kysely';
import type { StoreEvents } from './store-events.ts';

class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves with a release function once every earlier holder has released. */
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const acquired = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return acquired;
  }
}

/** The one connection, reporting every failed statement: the transaction it was in is lost. */
function reportingFailures(connection: DatabaseConnection, events: StoreEvents | undefined): DatabaseConnection {
  if (!events) return connection;
  return {
    async executeQuery<R>(query: CompiledQuery, options?: Parameters<DatabaseConnection['executeQuery']>[1]) {
      try {
        return await connection.executeQuery<R>(query, options);
      } catch (error) {
        events.emit('invalidate');
        throw error;
      }
    },
    streamQuery: (query, chunkSize, options) => connection.streamQuery(query, chunkSize, options),
  };
}

class SerialDriver implements Driver {
  readonly #inner: Driver;
  readonly #events: StoreEvents | undefined;
  readonly #mutex = new Mutex();
  #release: (() => void) | undefined;
  readonly #wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  /** Kysely's PGlite driver needs its own connection object back. */
  readonly #inners = new WeakMap<DatabaseConnection, DatabaseConnection>();

  #unwrap(connection: DatabaseConnection): DatabaseConnection {
    return this.#inners.get(connection) ?? connection;
  }

  constructor(inner: Driver, events: StoreEvents | undefined) {
    this.#inner = inner;
    this.#events = events;
    if (events) events.exclusive = (fn) => this.#exclusive(fn);
  }

  async #exclusive<T>(fn: (connection: DatabaseConnection) => Promise<T>): Promise<T> {
    const connection = await this.acquireConnection();
    try {
      return await fn(connection);
    } finally {
      await this.releaseConnection(connection);
    }
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.lock();
    this.#release = release;
    try {
      const connection = await this.#inner.acquireConnection();
      let wrapped = this.#wrapped.get(connection);
      if (!wrapped) {
        wrapped = reportingFailures(connection, this.#events);
        this.#wrapped.set(connection, wrapped);
        this.#inners.set(wrapped, connection);
      }
      return wrapped;
    } catch (error) {
      this.#release = undefined;
      release();
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.releaseConnection(this.#unwrap(connection));
    } finally {
      const release = this.#release;
      this.#release = undefined;
      release?.();
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.#inner.beginTransaction(this.#unwrap(connection), settings);
    this.#events?.emit('begin');
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#inner.commitTransaction(this.#unwrap(connection));
    this.#events?.emit('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.rollbackTransaction(this.#unwrap(connection));
    } finally {
      this.#events?.emit('rollback');
    }
  }

  savepoint: Driver['savepoint'] = (connection, name, compile) =>
    this.#inner.savepoint!(this.#unwrap(connection), name, compile);

  rollbackToSavepoint: Driver['rollbackToSavepoint'] = async (connection, name, compile) => {
    try {
      await this.#inner.rollbackToSavepoint!(this.#unwrap(connection), name, compile);
    } finally {
      this.#events?.emit('invalidate');
    }
  };

  releaseSavepoint: Driver['releaseSavepoint'] = (connection, name, compile) =>
    this.#inner.releaseSavepoint!(this.#unwrap(connection), name, compile);

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

export class SerialPGliteDialect extends PGliteDialect {
  readonly #events: StoreEvents | undefined;

  constructor(config: PGliteDialectConfig, events?: StoreEvents) {
    super(config);
    this.#events = events;
  }

  override createDriver(): Driver {
    return new SerialDriver(super.createDriver(), this.#events);
  }
}
