/**
 * One call builds the runtime: configuration, store and migrations, the root actor system
 * with its systemIds, and the Hono app. `stop()` drains and closes everything so the
 * process exits by itself.
 */
import { resolve } from 'node:path';
import { createActor, type AnyActorRef, type InspectionEvent, type Observer } from 'xstate';
import type { Hono } from 'hono';
import { resolveConfig, type RawSettings, type TetherConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { newId } from '../ids.ts';
import { logger } from '../log.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { tetherMachine } from '../../machines/tether.ts';
import type { TetherServices } from './services.ts';

export interface TetherOptions {
  /** Settings as flags would give them (`data-dir`, `database-url`, …), or a full config. */
  settings?: RawSettings;
  config?: TetherConfig;
  /** An open store to use instead of opening one from the config (tests, embedders). */
  store?: Store;
  clock?: Clock;
  /** XState inspection: receives every actor event and snapshot (Stately's inspector). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

export interface Tether {
  config: TetherConfig;
  services: TetherServices;
  /** The root actor; children found with `system.system.get('ledger')`. */
  system: AnyActorRef;
  app: Hono;
  stop(): Promise<void>;
}

export async function createTether(options: TetherOptions = {}): Promise<Tether> {
  const log = logger('runtime');
  const config = options.config ?? resolveConfig(options.settings ?? {});
  const store =
    options.store ??
    (await openStore({
      url: config.databaseUrl,
      dataDir: resolve(config.dataDir),
    }));
  const ownsStore = !options.store;
  const services: TetherServices = {
    config,
    store,
    clock: options.clock ?? systemClock,
    processId: newId('proc'),
  };
  const system = createActor(tetherMachine, {
    systemId: 'tether',
    clock: services.clock,
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  system.start();
  const app = createApp({ services, system });
  log.info('Tether started on the {backend} store', { backend: store.backend });

  let stopped = false;
  return {
    config,
    services,
    system,
    app,
    async stop() {
      if (stopped) return;
      stopped = true;
      system.send({ type: 'tether.stop' });
      system.stop();
      if (ownsStore) await store.close();
      log.info('Tether stopped');
    },
  };
}
