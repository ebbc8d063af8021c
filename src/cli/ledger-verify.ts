/**
 * `tether ledger verify [--checkpoint FILE]`: checks the hash chain, the seals and, with a
 * checkpoint kept elsewhere, that nothing before it was truncated or rewritten. Exits 0
 * when the ledger verifies, 1 with the first bad seq and its code otherwise. While a
 * server holds the embedded store, asks the server (GET /api/ledger/verify).
 */
import { readCheckpoint, verifyLedger, type VerifyResult } from '../ledger/index.ts';
import { startVerifyThread } from '../ledger/verify-thread.ts';
import { isPostgresUrl } from '../store/open-store.ts';
import type { Command } from './main.ts';
import { openLocalStore } from './open-local-store.ts';
import { loadConfig, SETTING_OPTIONS, settingsHelp } from './settings.ts';

export const ledgerVerifyCommand: Command = {
  summary: 'verify the ledger (hash chain, seals, optional checkpoint)',
  usage: `Usage: tether ledger verify [--checkpoint FILE] [--json] [options]\n\nOptions:\n  --checkpoint FILE          a checkpoint exported earlier (tether ledger checkpoint)\n  --json                     print the result as JSON\n${settingsHelp()}`,
  options: { ...SETTING_OPTIONS, checkpoint: { type: 'string' }, json: { type: 'boolean' } },
  async run({ flags, io }) {
    const config = loadConfig(flags, io.env);
    const checkpoint = typeof flags.checkpoint === 'string' ? readCheckpoint(flags.checkpoint) : undefined;
    let result: VerifyResult;
    // Loads while the embedded store opens; used if the ledger is long enough (verify-ledger.ts).
    if (!isPostgresUrl(config.databaseUrl)) startVerifyThread();
    const store = await openLocalStore(config);
    if (store) {
      try {
        result = await verifyLedger(store.db, { snapshot: false, ...(checkpoint ? { checkpoint } : {}) });
      } finally {
        await store.close();
      }
    } else {
      const query = checkpoint ? `?seq=${checkpoint.seq}&hash=${checkpoint.hash}` : '';
      const token = io.env.TETHER_TOKEN;
      const res = await fetch(`http://${config.host}:${config.port}/api/ledger/verify${query}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
      result = (await res.json()) as VerifyResult;
    }
    if (flags.json) io.out(JSON.stringify(result, null, 2));
    else if (result.ok) io.out(`ledger ok: ${result.checked} entries verified, head seq ${result.headSeq}`);
    else io.err(`ledger BROKEN: ${result.code} at seq ${result.seq}: ${result.message}`);
    return result.ok ? 0 : 1;
  },
};

export const ledgerCheckpointCommand: Command = {
  summary: 'export the ledger head (seq and hash) to keep elsewhere',
  usage: `Usage: tether ledger checkpoint [--out FILE] [options]\n\nPrints (or writes) the head's seq and hash. Keep it outside this machine: a later\n\`tether ledger verify --checkpoint FILE\` detects truncation or rewriting before it.\n\nOptions:\n  --out FILE                 write the checkpoint to FILE\n${settingsHelp()}`,
  options: { ...SETTING_OPTIONS, out: { type: 'string' } },
  async run({ flags, io }) {
    const { exportCheckpoint } = await import('../ledger/index.ts');
    const config = loadConfig(flags, io.env);
    const store = await openLocalStore(config);
    if (!store) {
      io.err('tether ledger checkpoint: the embedded store is held by a running server; stop it first.');
      return 1;
    }
    try {
      const checkpoint = await exportCheckpoint(store.db, typeof flags.out === 'string' ? flags.out : undefined);
      io.out(JSON.stringify(checkpoint));
      return 0;
    } finally {
      await store.close();
    }
  },
};
