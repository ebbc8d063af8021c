/**
 * Kysely's PGliteDialect hands every caller the one PGlite connection at once: a query
 * issued while another caller's transaction is open runs *inside* that transaction, and a
 * second transaction overwrites the first one's handle. This dialect queues callers so a
 * connection (and so a transaction) belongs to one caller at a time, as a pool of one.
 */
import {
  PGliteDialect,
  type DatabaseConnection,
  type Driver,
  type PGliteDialectConfig,
  type TransactionSettings,
} from 'kysely';

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

class SerialDriver implements Driver {
  readonly #inner: Driver;
  readonly #mutex = new Mutex();
  #release: (() => void) | undefined;

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.lock();
    this.#release = release;
    try {
      return await this.#inner.acquireConnection();
    } catch (error) {
      this.#release = undefined;
      release();
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.releaseConnection(connection);
    } finally {
      const release = this.#release;
      this.#release = undefined;
      release?.();
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  savepoint: Driver['savepoint'] = (connection, name, compile) =>
    this.#inner.savepoint!(connection, name, compile);

  rollbackToSavepoint: Driver['rollbackToSavepoint'] = (connection, name, compile) =>
    this.#inner.rollbackToSavepoint!(connection, name, compile);

  releaseSavepoint: Driver['releaseSavepoint'] = (connection, name, compile) =>
    this.#inner.releaseSavepoint!(connection, name, compile);

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

export class SerialPGliteDialect extends PGliteDialect {
  constructor(config: PGliteDialectConfig) {
    super(config);
  }

  override createDriver(): Driver {
    return new SerialDriver(super.createDriver());
  }
}
