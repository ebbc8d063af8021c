/**
 * Opens the configured store for a one-off command, or reports that a server holds it:
 * commands that can ask the server instead get `undefined` back and do so.
 */
import { resolve } from 'node:path';
import type { TetherConfig } from '../config.ts';
import { isTetherError } from '../errors.ts';
import { openStore, type Store } from '../store/open-store.ts';

export async function openLocalStore(config: TetherConfig): Promise<Store | undefined> {
  try {
    return await openStore({ url: config.databaseUrl, dataDir: resolve(config.dataDir) });
  } catch (error) {
    if (isTetherError(error, 'STORE_LOCKED')) return undefined;
    throw error;
  }
}
