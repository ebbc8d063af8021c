import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendChained, appendEntry } from '../src/ledger/append-entry.ts';
import { canonicalJson } from '../src/ledger/canonical-json.ts';
import { exportCheckpoint } from '../src/ledger/checkpoint.ts';
import { entryHash, GENESIS_HASH, hashedJson } from '../src/ledger/entry-hash.ts';
import { flushLedger, forgetLedgerHead } from '../src/ledger/ledger-writer.ts';
import { readLedger } from '../src/ledger/read-ledger.ts';
import { verifyLedger } from '../src/ledger/verify-ledger.ts';
import { migrate } from '../src/store/migrate.ts';
import * as ledgerJsonText from '../src/store/migrations/0005-ledger-json-text.ts';
import type { Store } from '../src/store/open-store.ts';
import { backends } from './support/stores.ts';
import { verifyBoth } from './support/verify-both.ts';

async function appendMany(store: Store, n: number, prefix = 'e'): Promise<void> {
  for (let i = 0; i < n; i++) {
    await appendEntry(store.db, {
      actor: 'scheduler',
      type: i % 2 === 0 ? 'task.started' : 'task.finished',
      subjects: { task: `${prefix}${i % 3}` },
      payload: { i, note: `entry ${i}`, nested: { z: 1, a: [i, 'x'] } },
    });
  }
  // On PostgreSQL appends are queued: chain them before the tests edit rows by seq.
  await flushLedger(store.db);
}

async function reset(store: Store): Promise<void> {
  await sql`delete from ledger_queue`.execute(store.db);
  await sql`delete from ledger_entries`.execute(store.db);
  await sql`delete from ledger_seals`.execute(store.db);
  await sql`update ledger_head set seq = 0, hash = ${GENESIS_HASH}, segment_bytes = 0 where id = 1`.execute(store.db);
  forgetLedgerHead(store.db);
}

describe('canonical JSON', () => {
  it('gives the same hash whatever order the keys were written in', () => {
    const base = { seq: 1, at: '2026-01-01T00:00:00.000Z', actor: 'a', type: 't', subject: null, prev_hash: GENESIS_HASH };
    const one = entryHash({ ...base, subjects: { goal: 'g', task: 't' }, payload: { b: 1, a: { y: [1, { q: 1, p: 2 }], x: 2 } } });
    const two = entryHash({ ...base, payload: { a: { x: 2, y: [1, { p: 2, q: 1 }] }, b: 1 }, subjects: { task: 't', goal: 'g' } });
    expect(one).toBe(two);
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('writes the entry fields exactly as the generic canonical form does', () => {
    const fields = { seq: 7, at: '2026-01-01T00:00:00.000Z', actor: 'a"b', type: 't', subject: null, subjects: { z: 'ü', a: '1' }, payload: { q: [1, null, { b: true, a: 'x' }] }, prev_hash: GENESIS_HASH };
    expect(hashedJson(fields)).toBe(canonicalJson(fields));
    expect(hashedJson({ ...fields, subject: 's' })).toBe(canonicalJson({ ...fields, subject: 's' }));
  });

  it('changes the hash when any value changes', () => {
    const base = { seq: 1, at: '2026-01-01T00:00:00.000Z', actor: 'a', type: 't', subject: null, subjects: {}, prev_hash: GENESIS_HASH };
    expect(entryHash({ ...base, payload: { a: 1 } })).not.toBe(entryHash({ ...base, payload: { a: 2 } }));
  });
});

for (const backend of backends) {
  describe(`ledger chain on ${backend.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('verifies an empty ledger and a freshly written one', async () => {
      await reset(store);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: true, checked: 0, headSeq: 0 });
      await appendMany(store, 30);
      expect(await verifyBoth(store.db, { pageSize: 7 })).toMatchObject({ ok: true, checked: 30, headSeq: 30 });
    });

    it('stores entries whose reordered JSON keys hash the same as written', async () => {
      await reset(store);
      const entry = await appendChained(store.db, { actor: 'a', type: 'goal.proposed', subjects: { goal: 'g1' }, payload: { z: 1, a: { d: 2, c: 3 } } });
      const [stored] = (await readLedger(store.db)).entries;
      expect(entryHash({ ...stored!, payload: { a: { c: 3, d: 2 }, z: 1 } })).toBe(entry.hash);
      expect(stored!.hash).toBe(entry.hash);
    });

    for (const column of ['actor', 'type', 'payload', 'hash'] as const) {
      it(`reports HASH_MISMATCH at entry k when one byte of its ${column} is flipped`, async () => {
        await reset(store);
        await appendMany(store, 20);
        const k = 13;
        if (column === 'payload') {
          // One byte of the stored JSON text: "entry 12" becomes "entrz 12".
          await sql`update ledger_entries set payload = replace(payload::text, '"note":"entry', '"note":"entrz')::json where seq = ${k}`.execute(store.db);
        } else {
          await sql`update ledger_entries set ${sql.ref(column)} = overlay(${sql.ref(column)} placing (case when substr(${sql.ref(column)}, 2, 1) = 'a' then 'b' else 'a' end) from 2 for 1) where seq = ${k}`.execute(store.db);
        }
        expect(await verifyBoth(store.db, { pageSize: 4 })).toMatchObject({ ok: false, code: 'HASH_MISMATCH', seq: k });
      });
    }

    it('reports SEQ_GAP at the deleted entry when a row in the middle is deleted', async () => {
      await reset(store);
      await appendMany(store, 20);
      await sql`delete from ledger_entries where seq = 7`.execute(store.db);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: false, code: 'SEQ_GAP', seq: 7 });
    });

    it('reports PREV_HASH_MISMATCH when two rows are swapped', async () => {
      await reset(store);
      await appendMany(store, 20);
      // Swap the contents of seq 8 and 9 (seq stays in place, as a reordering attack would).
      await sql`alter table ledger_entries drop constraint ledger_entries_prev_hash_key, drop constraint ledger_entries_hash_key`.execute(store.db);
      try {
        await sql`
          update ledger_entries e set at = o.at, actor = o.actor, type = o.type, subject = o.subject, subjects = o.subjects,
            payload = o.payload, prev_hash = o.prev_hash, hash = o.hash
          from ledger_entries o where (e.seq, o.seq) in ((8, 9), (9, 8))`.execute(store.db);
        expect(await verifyBoth(store.db)).toMatchObject({ ok: false, code: 'PREV_HASH_MISMATCH', seq: 8 });
      } finally {
        await reset(store);
        await sql`alter table ledger_entries add constraint ledger_entries_prev_hash_key unique (prev_hash), add constraint ledger_entries_hash_key unique (hash)`.execute(store.db);
      }
    });

    it('reports PREV_HASH_MISMATCH when a row is duplicated at the end', async () => {
      await reset(store);
      await appendMany(store, 20);
      await sql`alter table ledger_entries drop constraint ledger_entries_prev_hash_key, drop constraint ledger_entries_hash_key`.execute(store.db);
      try {
        await sql`
          insert into ledger_entries (seq, at, actor, type, subject, subjects, payload, prev_hash, hash)
          select 21, at, actor, type, subject, subjects, payload, prev_hash, hash from ledger_entries where seq = 12`.execute(store.db);
        await sql`update ledger_head set seq = 21, hash = (select hash from ledger_entries where seq = 12) where id = 1`.execute(store.db);
        expect(await verifyBoth(store.db)).toMatchObject({ ok: false, code: 'PREV_HASH_MISMATCH', seq: 21 });
      } finally {
        await reset(store);
        await sql`alter table ledger_entries add constraint ledger_entries_prev_hash_key unique (prev_hash), add constraint ledger_entries_hash_key unique (hash)`.execute(store.db);
      }
    });

    it('reports TRUNCATED when the last rows are deleted but the head was not moved back', async () => {
      await reset(store);
      await appendMany(store, 20);
      await sql`delete from ledger_entries where seq > 15`.execute(store.db);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: false, code: 'TRUNCATED', seq: 16 });
    });

    it('reports TRUNCATED against a checkpoint when the last 5 rows are deleted and the head is fixed', async () => {
      await reset(store);
      await appendMany(store, 25);
      const checkpoint = await exportCheckpoint(store.db);
      expect(checkpoint.seq).toBe(25);
      await sql`delete from ledger_entries where seq > 20`.execute(store.db);
      await sql`update ledger_head set seq = 20, hash = (select hash from ledger_entries where seq = 20) where id = 1`.execute(store.db);
      // As a later process would see it: this one's writer still knows the head was 25.
      forgetLedgerHead(store.db);
      // Without the checkpoint the shortened chain is self-consistent: that is what checkpoints are for.
      expect(await verifyBoth(store.db)).toMatchObject({ ok: true, headSeq: 20 });
      expect(await verifyBoth(store.db, { checkpoint })).toMatchObject({ ok: false, code: 'TRUNCATED', seq: 21 });
    });

    it('detects history rewritten up to a checkpoint, and accepts history that only grew after it', async () => {
      await reset(store);
      await appendMany(store, 10);
      const checkpoint = await exportCheckpoint(store.db);
      await appendMany(store, 5, 'later');
      expect(await verifyBoth(store.db, { checkpoint })).toMatchObject({ ok: true, checkpoint: 'matched' });
      // A consistent rewrite: a whole new chain of the same length and more.
      await reset(store);
      await appendMany(store, 15, 'forged');
      expect(await verifyBoth(store.db)).toMatchObject({ ok: true });
      expect(await verifyBoth(store.db, { checkpoint })).toMatchObject({ ok: false, code: 'HASH_MISMATCH', seq: 10 });
    });

    it('keeps verifications that share the worker apart', async () => {
      await reset(store);
      await appendMany(store, 10);
      const kept = await exportCheckpoint(store.db);
      await appendMany(store, 30, 'more');
      const forged = { ...kept, hash: 'f'.repeat(64) };
      // Pages of 3 interleave the jobs' pages in the one worker (on PostgreSQL each
      // verification has its own connection, so they truly run at once).
      const [intact, rewritten, plain] = await Promise.all([
        verifyLedger(store.db, { worker: true, pageSize: 3, checkpoint: kept }),
        verifyLedger(store.db, { worker: true, pageSize: 3, checkpoint: forged }),
        verifyLedger(store.db, { worker: true, pageSize: 4 }),
      ]);
      expect(intact).toMatchObject({ ok: true, checked: 40, checkpoint: 'matched' });
      expect(rewritten).toMatchObject({ ok: false, code: 'HASH_MISMATCH', seq: 10 });
      expect(plain).toMatchObject({ ok: true, checked: 40 });
    });

    it('reads entries paged by seq, by subject and by type', async () => {
      await reset(store);
      await appendMany(store, 12);
      const first = await readLedger(store.db, { limit: 5 });
      expect(first.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(first.next).toBe(5);
      const second = await readLedger(store.db, { after: first.next!, limit: 5 });
      expect(second.entries.map((e) => e.seq)).toEqual([6, 7, 8, 9, 10]);
      const last = await readLedger(store.db, { after: 10, limit: 5 });
      expect(last).toMatchObject({ next: null });
      expect(last.entries.map((e) => e.seq)).toEqual([11, 12]);
      const bySubject = await readLedger(store.db, { subject: 'e1' });
      expect(bySubject.entries.map((e) => e.seq)).toEqual([2, 5, 8, 11]);
      const byType = await readLedger(store.db, { type: 'task.finished', after: 6 });
      expect(byType.entries.map((e) => e.seq)).toEqual([8, 10, 12]);
      expect(byType.entries[0]).toMatchObject({ actor: 'scheduler', subjects: { task: 'e1' }, payload: { i: 7 } });
    });

    it('leaves no entry when the transaction that appended it throws', async () => {
      await reset(store);
      await appendMany(store, 3);
      await expect(
        store.db.transaction().execute(async (trx) => {
          await appendEntry(trx, { actor: 'codeAccess', type: 'modification.merged', subjects: { modification: 'm1' } });
          await trx.insertInto('detector_watermarks').values({ detector: 'atomic', watermark: 1 }).execute();
          throw new Error('merge failed after the ledger entry');
        }),
      ).rejects.toThrow('merge failed');
      expect((await readLedger(store.db)).entries.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(await store.db.selectFrom('detector_watermarks').selectAll().where('detector', '=', 'atomic').execute()).toEqual([]);
      // The next append (the rolled-back one moved the embedded writer's head) lands right after seq 3.
      const next = await appendChained(store.db, { actor: 'a', type: 't' });
      expect(next.seq).toBe(4);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: true, headSeq: 4 });
    });

    it('stores subjects and payload as the canonical JSON text that was hashed', async () => {
      await reset(store);
      await appendEntry(store.db, { actor: 'a', type: 't', subjects: { task: 't1', goal: 'g1' }, payload: { z: 1, a: { d: 'x"y', c: [2, null] } } });
      await flushLedger(store.db);
      const row = await sql<{ s: string; p: string }>`select subjects::text as s, payload::text as p from ledger_entries`.execute(store.db);
      expect(row.rows[0]).toEqual({ s: '{"goal":"g1","task":"t1"}', p: '{"a":{"c":[2,null],"d":"x\\"y"},"z":1}' });
    });

    it('accepts subjects and payload stored in another form with the same values, and nothing else', async () => {
      await reset(store);
      await appendMany(store, 12);
      // jsonb's own formatting (spaces, keys by length): what rows written before migration 0005 held.
      await sql`update ledger_entries set payload = payload::jsonb::json, subjects = subjects::jsonb::json where seq between 3 and 6`.execute(store.db);
      const reformatted = await sql<{ p: string }>`select payload::text as p from ledger_entries where seq = 3`.execute(store.db);
      expect(reformatted.rows[0]!.p).toContain('": ');
      expect(await verifyBoth(store.db, { pageSize: 5 })).toMatchObject({ ok: true, checked: 12 });
      // A raw newline between JSON tokens is valid JSON, and moves the page to the escaped read.
      await sql`update ledger_entries set payload = replace(payload::text, ', ', E',\n\t')::json where seq = 4`.execute(store.db);
      expect(await verifyBoth(store.db, { pageSize: 5 })).toMatchObject({ ok: true, checked: 12 });
      await sql`update ledger_entries set payload = replace(payload::text, '"i": 5', '"i": 5.5')::json where seq = 6`.execute(store.db);
      expect(await verifyBoth(store.db, { pageSize: 5 })).toMatchObject({ ok: false, code: 'HASH_MISMATCH', seq: 6 });
    });

    it('migration 0005 rewrites jsonb-era rows and queued entries as canonical text, and the chain still verifies', async () => {
      await reset(store);
      await appendMany(store, 15);
      // Let a pending integration run first: none may run on the old columns below.
      await new Promise((r) => setTimeout(r, 100));
      // Back to the jsonb columns of migration 0004, with an entry left queued (PostgreSQL).
      await ledgerJsonText.down(store.db as unknown as Kysely<unknown>);
      await sql`insert into ledger_queue (at, actor, type, subject, subjects, payload)
        values (now(), 'a', 'queued.before.upgrade', null, '{"task": "t9", "goal": "g"}', '{"b": [1, 2], "a": {"y": 1, "x": 2}}')`.execute(store.db);
      await sql`delete from tether_migration where name = '0005-ledger-json-text'`.execute(store.db);
      expect((await migrate(store.db)).applied).toEqual(['0005-ledger-json-text']);
      // The integrator may chain it as soon as the migration commits: look in both tables.
      const queued = await sql<{ s: string; p: string }>`
        select subjects::text as s, payload::text as p from ledger_queue
        union all select subjects::text, payload::text from ledger_entries where type = 'queued.before.upgrade'`.execute(store.db);
      expect(queued.rows).toEqual([{ s: '{"goal":"g","task":"t9"}', p: '{"a":{"x":2,"y":1},"b":[1,2]}' }]);
      const texts = await sql<{ p: string }>`select payload::text as p from ledger_entries where seq <= 15 order by seq`.execute(store.db);
      expect(texts.rows).toHaveLength(15);
      for (const { p } of texts.rows) expect(p).toBe(canonicalJson(JSON.parse(p)));
      forgetLedgerHead(store.db);
      await flushLedger(store.db);
      // The queued entry is chained from its canonical text (the embedded store has no integrator: it stays queued there).
      const after = await verifyBoth(store.db);
      expect(after).toMatchObject({ ok: true });
      await appendChained(store.db, { actor: 'a', type: 'after.upgrade', payload: { k: 1 } });
      expect(await verifyBoth(store.db)).toMatchObject({ ok: true });
    });

    it('keeps seq contiguous and unique with no fork under 100 concurrent appenders', async () => {
      await reset(store);
      const appends = Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0
          ? appendEntry(store.db, { actor: `agent${i}`, type: 'load.append', payload: { i } })
          : store.db.transaction().execute(async (trx) => {
              const entry = await appendEntry(trx, { actor: `agent${i}`, type: 'load.append', payload: { i } });
              await new Promise((r) => setTimeout(r, i % 5));
              return entry;
            }),
      );
      await Promise.all(appends);
      await flushLedger(store.db);
      const seqs = await sql<{ seq: string }>`select seq from ledger_entries order by seq`.execute(store.db);
      expect(seqs.rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      const rows = await sql<{ n: string; seqs: string; prevs: string }>`
        select count(*) as n, count(distinct seq) as seqs, count(distinct prev_hash) as prevs from ledger_entries`.execute(store.db);
      expect(Number(rows.rows[0]!.n)).toBe(100);
      expect(Number(rows.rows[0]!.seqs)).toBe(100);
      expect(Number(rows.rows[0]!.prevs)).toBe(100);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: true, checked: 100, headSeq: 100 });
    });
  });
}
