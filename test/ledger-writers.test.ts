/**
 * How entries reach the chain: the embedded store's inline writer (head in memory, group
 * commit of standalone appends) and PostgreSQL's queue with its integrators.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEntry } from '../src/ledger/append-entry.ts';
import { flushLedger, forgetLedgerHead, syncLedgerHead } from '../src/ledger/ledger-writer.ts';
import { verifyLedger } from '../src/ledger/verify-ledger.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { backends, createPostgresDatabase, postgresUrl } from './support/stores.ts';

async function seqs(store: Store): Promise<number[]> {
  const rows = await sql<{ seq: string }>`select seq from ledger_entries order by seq`.execute(store.db);
  return rows.rows.map((r) => Number(r.seq));
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

for (const backend of backends) {
  describe(`ledger writer on ${backend.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('fails only the bad one of many concurrent appends, and chains the rest', async () => {
      // A text column refuses a NUL character: that append's insert fails.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          appendEntry(store.db, { actor: i === 17 ? 'bad\u0000' : 'load', type: 'load.append', payload: { i } }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
      expect(outcomes[17]!.status).toBe('rejected');
      await flushLedger(store.db);
      expect(await seqs(store)).toEqual(upTo(39));
      const payloads = await sql<{ i: number }>`select (payload->>'i')::int as i from ledger_entries order by (payload->>'i')::int`.execute(store.db);
      expect(payloads.rows.map((r) => r.i)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 17));
      expect(await verifyLedger(store.db)).toMatchObject({ ok: true, checked: 39, headSeq: 39 });
    });

    it('keeps the chain right across a failed statement inside a transaction that appended', async () => {
      await expect(
        store.db.transaction().execute(async (trx) => {
          await appendEntry(trx, { actor: 'a', type: 'will.roll.back' });
          await sql`select 1 / 0`.execute(trx);
        }),
      ).rejects.toThrow();
      await appendEntry(store.db, { actor: 'a', type: 'after.rollback' });
      await flushLedger(store.db);
      const types = await sql<{ type: string }>`select type from ledger_entries order by seq desc limit 1`.execute(store.db);
      expect(types.rows[0]!.type).toBe('after.rollback');
      expect(await sql`select * from ledger_entries where type = 'will.roll.back'`.execute(store.db)).toMatchObject({ rows: [] });
      expect(await verifyLedger(store.db)).toMatchObject({ ok: true, checked: 40 });
    });

    it('never moves the head row back: entries deleted at the end stay visible after a restart', async () => {
      await syncLedgerHead(store.db);
      const head = await sql<{ seq: string }>`select seq from ledger_head`.execute(store.db);
      expect(Number(head.rows[0]!.seq)).toBe(40);
      await sql`delete from ledger_entries where seq > 37`.execute(store.db);
      // As a new process would: nothing in memory, the head read from the database.
      forgetLedgerHead(store.db);
      await appendEntry(store.db, { actor: 'a', type: 'after.truncation' });
      await flushLedger(store.db);
      // The new entry goes after the head row (41), not into the deleted seqs: the gap shows.
      expect((await seqs(store)).slice(-2)).toEqual([37, 41]);
      expect(await verifyLedger(store.db)).toMatchObject({ ok: false, code: 'SEQ_GAP', seq: 38 });
    });
  });
}

describe.runIf(postgresUrl)('ledger queue on PostgreSQL', () => {
  let url: string;
  let drop: () => Promise<void>;
  let first: Store;
  let second: Store;
  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase());
    first = await openStore({ url });
    second = await openStore({ url });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await drop?.();
  });

  it('lets an append commit while another transaction that appended is still open', async () => {
    let finish!: () => void;
    const open = new Promise<void>((r) => (finish = r));
    const long = first.db.transaction().execute(async (trx) => {
      await appendEntry(trx, { actor: 'slow', type: 'long.transaction' });
      await open;
    });
    // With one head row locked until commit this append would wait for the transaction above,
    // which waits for it: the test would hang.
    await appendEntry(first.db, { actor: 'fast', type: 'short.append' });
    finish();
    await long;
    await flushLedger(first.db);
    const types = await sql<{ type: string }>`select type from ledger_entries order by seq`.execute(first.db);
    expect(types.rows.map((r) => r.type).sort()).toEqual(['long.transaction', 'short.append']);
    expect(await verifyLedger(first.db)).toMatchObject({ ok: true, checked: 2 });
  });

  it('leaves nothing queued when the appending transaction rolls back', async () => {
    await expect(
      first.db.transaction().execute(async (trx) => {
        await appendEntry(trx, { actor: 'a', type: 'rolled.back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await sql`select * from ledger_queue`.execute(first.db)).toMatchObject({ rows: [] });
  });

  it('chains entries another process left queued when it died', async () => {
    // What a process killed between its commit and its integration leaves behind.
    await sql`insert into ledger_queue (actor, type, subject, subjects, payload)
      values ('dead', 'left.queued', 'g9', '{"goal":"g9"}', '{"n":1}'), ('dead', 'left.queued', 'g9', '{"goal":"g9"}', '{"n":2}')`.execute(first.db);
    await flushLedger(second.db);
    const rows = await sql<{ seq: string; n: string }>`select seq, payload->>'n' as n from ledger_entries where type = 'left.queued' order by seq`.execute(second.db);
    expect(rows.rows.map((r) => [Number(r.seq), r.n])).toEqual([
      [3, '1'],
      [4, '2'],
    ]);
    expect(await verifyLedger(first.db)).toMatchObject({ ok: true, checked: 4 });
  });

  it('never forks or chains an entry twice with two processes appending and integrating at once', async () => {
    const work = (store: Store, name: string) =>
      Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 60; i++) {
            if (i % 3 === 0) {
              await store.db.transaction().execute((trx) => appendEntry(trx, { actor: name, type: 'race.append', payload: { w, i } }));
            } else {
              await appendEntry(store.db, { actor: name, type: 'race.append', payload: { w, i } });
            }
            if (i % 10 === 0) await flushLedger(store.db);
          }
        }),
      );
    await Promise.all([work(first, 'first'), work(second, 'second')]);
    await Promise.all([flushLedger(first.db), flushLedger(second.db)]);
    expect(await seqs(first)).toEqual(upTo(484));
    const counts = await sql<{ n: string; prevs: string }>`
      select count(*) as n, count(distinct prev_hash) as prevs from ledger_entries where type = 'race.append'`.execute(first.db);
    expect(counts.rows[0]).toEqual({ n: '480', prevs: '480' });
    expect(await sql`select * from ledger_queue`.execute(first.db)).toMatchObject({ rows: [] });
    expect(await verifyLedger(second.db)).toMatchObject({ ok: true, checked: 484, headSeq: 484 });
  });
});
