/**
 * Kysely's PostgresDialect, reporting each committed transaction to the store's events:
 * work queued inside a transaction (ledger entries) becomes visible to others only then.
 */
import { PostgresDialect, type DatabaseConnection, type Driver, type PostgresDialectConfig } from 'kysely';
import type { StoreEvents } from './store-events.ts';

export class ReportingPostgresDialect extends PostgresDialect {
  readonly #events: StoreEvents;

  constructor(config: PostgresDialectConfig, events: StoreEvents) {
    super(config);
    this.#events = events;
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const commit = driver.commitTransaction.bind(driver);
    const events = this.#events;
    driver.commitTransaction = async (connection: DatabaseConnection) => {
      await commit(connection);
      events.emit('commit');
    };
    return driver;
  }
}
