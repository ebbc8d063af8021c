/**
 * `tether status`: counts of goals, modifications and tasks by state, and the ledger head.
 * Reads the store directly; while a server holds the embedded store, asks the server.
 */
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { isTetherError } from '../errors.ts';
import { syncLedgerHead } from '../ledger/ledger-writer.ts';
import { openStore, type Store } from '../store/open-store.ts';
import type { Command } from './main.ts';
import { loadConfig, SETTING_OPTIONS, settingsHelp } from './settings.ts';

export interface StatusReport {
  goals: Record<string, number>;
  modifications: Record<string, number>;
  tasks: Record<string, number>;
  ledger: { seq: number; hash: string };
}

async function countBy(store: Store, table: 'goals' | 'modifications' | 'tasks', column: string): Promise<Record<string, number>> {
  const rows = await sql<{ k: string; n: string }>`select ${sql.ref(column)} as k, count(*) as n from ${sql.table(table)} group by 1 order by 1`.execute(store.db);
  return Object.fromEntries(rows.rows.map((r) => [r.k, Number(r.n)]));
}

export async function readStatus(store: Store): Promise<StatusReport> {
  await syncLedgerHead(store.db);
  const head = await store.db.selectFrom('ledger_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
  return {
    goals: await countBy(store, 'goals', 'status'),
    modifications: await countBy(store, 'modifications', 'state'),
    tasks: await countBy(store, 'tasks', 'status'),
    ledger: { seq: Number(head.seq), hash: head.hash },
  };
}

export const statusCommand: Command = {
  summary: 'show goals, modifications, tasks and the ledger head',
  usage: `Usage: tether status [options]\n\nOptions:\n  --json                     print JSON\n${settingsHelp()}`,
  options: { ...SETTING_OPTIONS, json: { type: 'boolean' } },
  async run({ flags, io }) {
    const config = loadConfig(flags, io.env);
    let report: StatusReport;
    try {
      const store = await openStore({ url: config.databaseUrl, dataDir: resolve(config.dataDir) });
      try {
        report = await readStatus(store);
      } finally {
        await store.close();
      }
    } catch (error) {
      if (!isTetherError(error, 'STORE_LOCKED')) throw error;
      const res = await fetch(`http://${config.host}:${config.port}/api/status`);
      if (!res.ok) throw error;
      report = (await res.json()) as StatusReport;
    }
    if (flags.json) {
      io.out(JSON.stringify(report, null, 2));
      return 0;
    }
    const line = (label: string, counts: Record<string, number>) =>
      `${label.padEnd(14)} ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`;
    io.out(line('goals', report.goals));
    io.out(line('modifications', report.modifications));
    io.out(line('tasks', report.tasks));
    io.out(`${'ledger'.padEnd(14)} seq ${report.ledger.seq}, head ${report.ledger.hash.slice(0, 16)}…`);
    return 0;
  },
};
