// Deno: ledger verification in the worker thread (Deno loads verify-worker.ts directly),
// with the same report as in the calling thread, and a tampered entry found by both.
import { sql } from 'kysely';
import { appendEntry } from '../../src/ledger/append-entry.ts';
import { verifyLedger } from '../../src/ledger/verify-ledger.ts';
import { verifyThreadRunning } from '../../src/ledger/verify-thread.ts';
import { openStore } from '../../src/store/open-store.ts';
import { assertEquals } from './assert.ts';

declare const Deno: any;

Deno.test({
  name: 'verifies the ledger in a worker thread as in the calling thread',
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const store = await openStore({ url: 'memory://' });
    try {
      for (let i = 0; i < 50; i++) {
        await appendEntry(store.db, { actor: 'deno', type: 'task.started', subjects: { task: `t${i % 4}` }, payload: { i } });
      }
      const here = await verifyLedger(store.db, { worker: false, pageSize: 8 });
      const there = await verifyLedger(store.db, { worker: true, pageSize: 8 });
      assertEquals(verifyThreadRunning(), true, 'worker running');
      assertEquals(there, here, 'worker report');
      assertEquals(here.ok, true, 'intact ledger');
      await sql`update ledger_entries set actor = 'mallory' where seq = 17`.execute(store.db);
      const tampered = await verifyLedger(store.db, { worker: true, pageSize: 8 });
      assertEquals([tampered.ok, (tampered as { code?: string }).code, (tampered as { seq?: number }).seq], [false, 'HASH_MISMATCH', 17], 'tampered');
    } finally {
      await store.close();
    }
  },
});
