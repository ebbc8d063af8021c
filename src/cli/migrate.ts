/** `tether migrate`: brings the store's schema up to date, all or nothing. */
import { resolve } from 'node:path';
import { openStore } from '../store/open-store.ts';
import type { Command } from './main.ts';
import { loadConfig, SETTING_OPTIONS, settingsHelp } from './settings.ts';

export const migrateCommand: Command = {
  summary: 'apply pending store migrations',
  usage: `Usage: tether migrate [options]\n\nApplies pending migrations in one transaction. On failure nothing changes, the\nfailing migration is named, and the exit code is 1.\n\nOptions:\n${settingsHelp()}`,
  options: { ...SETTING_OPTIONS },
  async run({ flags, io }) {
    const config = loadConfig(flags, io.env);
    const store = await openStore({ url: config.databaseUrl, dataDir: resolve(config.dataDir) });
    try {
      const applied = store.migration?.applied ?? [];
      io.out(applied.length ? `Applied: ${applied.join(', ')}` : 'The store is up to date.');
      return 0;
    } finally {
      await store.close();
    }
  },
};
