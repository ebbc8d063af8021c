/**
 * A store's transaction events, for code that keeps per-store state in memory (the ledger
 * writer keeps the chain head). The dialects report begin, commit and rollback; "invalidate"
 * means in-memory state may no longer match the database (a failed statement, a rollback to
 * a savepoint), so it must be read again.
 *
 * It is installed as a Kysely plugin that changes nothing, because plugins travel with a
 * Kysely instance into its transactions and connections: any `db` or `trx` leads back to
 * its store's events (storeEventsOf).
 */
import type { DatabaseConnection, Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, Transaction, UnknownRow } from 'kysely';
import type { Backend } from './open-store.ts';

export type TransactionEvent = 'begin' | 'commit' | 'rollback' | 'invalidate';

export interface StoreListener {
  on(event: TransactionEvent): void;
  /** Called before the store's connections close: last writes go here. */
  close?(): Promise<void>;
}

export class StoreEvents implements KyselyPlugin {
  readonly backend: Backend;
  /** The store's root Kysely (set once opened), for work that must outlive a transaction. */
  db: Kysely<any> | undefined;
  /**
   * Embedded store only: runs `fn` holding the one connection, so no other statement or
   * transaction runs in between (cheaper than Kysely's connection(), which builds a new
   * Kysely per call). Set by the serial PGlite driver.
   */
  exclusive: (<T>(fn: (connection: DatabaseConnection) => Promise<T>) => Promise<T>) | undefined;
  readonly #listeners = new Set<StoreListener>();
  /** Per-store singletons of other modules, by name (e.g. the ledger writer). */
  readonly #slots = new Map<string, unknown>();

  constructor(backend: Backend) {
    this.backend = backend;
  }

  slot<T extends StoreListener>(name: string, create: () => T): T {
    let value = this.#slots.get(name) as T | undefined;
    if (!value) {
      value = create();
      this.#slots.set(name, value);
      this.#listeners.add(value);
    }
    return value;
  }

  emit(event: TransactionEvent): void {
    for (const listener of this.#listeners) listener.on(event);
  }

  async close(): Promise<void> {
    for (const listener of this.#listeners) await listener.close?.();
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/**
 * The events of the store `db` belongs to, or undefined for a Kysely opened elsewhere.
 * getExecutor() is marked internal in Kysely's typings but is how its own raw `sql`
 * builder reaches the executor; transactions share their parent's plugin list.
 */
export function storeEventsOf(db: Kysely<any> | Transaction<any>): StoreEvents | undefined {
  const plugins = (db as unknown as { getExecutor(): { plugins: readonly KyselyPlugin[] } }).getExecutor().plugins;
  for (const plugin of plugins) if (plugin instanceof StoreEvents) return plugin;
  return undefined;
}
