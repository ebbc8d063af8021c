import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/open-store.ts';
import { backends } from './support/stores.ts';

for (const backend of backends) {
  describe(`store on ${backend.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('has every table of the schema after migration', async () => {
      const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public' order by tablename`.execute(store.db);
      const names = tables.rows.map((r) => r.tablename);
      for (const t of ['goals', 'tasks', 'task_executions', 'modifications', 'ledger_entries', 'approvals']) {
        expect(names).toContain(t);
      }
    });

    it('round-trips a goal with its JSON evidence', async () => {
      await store.db
        .insertInto('goals')
        .values({
          id: 'g-round-trip',
          title: 'Fix flaky task',
          description: '',
          kind: 'fix-task-failure',
          status: 'proposed',
          source: 'user',
          created_by: 'alice',
          proposal_id: null,
          auto_approved: false,
          priority: 1,
          evidence: JSON.stringify({ count: 3, errors: ['boom'] }),
          fingerprint: null,
          detector: null,
          confidence: null,
        })
        .execute();
      const goal = await store.db.selectFrom('goals').selectAll().where('id', '=', 'g-round-trip').executeTakeFirstOrThrow();
      expect(goal.evidence).toEqual({ count: 3, errors: ['boom'] });
      expect(goal.created_at).toBeInstanceOf(Date);
    });

    it('keeps concurrent transactions apart: a rolled-back one leaves nothing', async () => {
      const failing = store.db.transaction().execute(async (trx) => {
        await trx.insertInto('detector_watermarks').values({ detector: 'rolled-back', watermark: 1 }).execute();
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('roll me back');
      });
      const other = store.db.insertInto('detector_watermarks').values({ detector: 'kept', watermark: 2 }).execute();
      await expect(failing).rejects.toThrow('roll me back');
      await other;
      const rows = await store.db.selectFrom('detector_watermarks').select('detector').execute();
      expect(rows.map((r) => r.detector)).toEqual(['kept']);
    });
  });
}
