/**
 * Ledger costs, on embedded PGlite (in memory) and on PostgreSQL, in one run:
 * - appends/s through appendEntry, with 1 appender and with 8 concurrent ones, beside a
 *   plain insert of the same row (same table shape and indexes, no hashing, no head lock);
 * - verification speed over 100,000 entries, beside reading the same rows in the same pages
 *   without hashing (where the time goes).
 * PostgreSQL: TETHER_BENCH_DATABASE_URL, else the local server; the bench creates and drops
 * a database of its own, and skips PostgreSQL when no server answers.
 */
import { sql } from 'kysely';
import { appendEntry, type LedgerInput } from '../src/ledger/append-entry.ts';
import { entryDigest, GENESIS_HASH, type HashedFields } from '../src/ledger/entry-hash.ts';
import { entryPages } from '../src/ledger/entry-pages.ts';
import { setHeadHint } from '../src/ledger/head-hint.ts';
import { verifyLedger } from '../src/ledger/verify-ledger.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import type { BenchRow, BenchSection } from './types.ts';
import { benchPostgresStore } from './support/postgres-store.ts';

const VERIFY_ENTRIES = 100_000;

function input(i: number): LedgerInput {
  return {
    actor: 'codeAccess',
    type: 'modification.transition',
    subjects: { goal: `g_${i % 97}`, modification: `m_${i % 1013}` },
    payload: { from: 'branched', to: 'tested', attempt: i, files: ['src/a.ts', 'src/b.ts'], ok: true },
  };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function workers(count: number, total: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      while (next < total) await work(next++);
    }),
  );
}

async function resetLedger(store: Store): Promise<void> {
  await sql`truncate ledger_entries`.execute(store.db);
  await sql`update ledger_head set seq = 0, hash = ${GENESIS_HASH}, segment_bytes = 0 where id = 1`.execute(store.db);
  setHeadHint(undefined);
}

/** The baseline: the same row into a table of the same shape, seq and "hashes" from a counter. */
async function plainInserter(store: Store): Promise<(i: number) => Promise<void>> {
  await sql`drop table if exists ledger_plain`.execute(store.db);
  await sql`create table ledger_plain (like ledger_entries including all)`.execute(store.db);
  let seq = 0;
  return async (i: number) => {
    const n = ++seq;
    const row = input(i);
    const subjects = row.subjects ?? {};
    await sql`insert into ledger_plain (seq, at, actor, type, subject, subjects, payload, prev_hash, hash)
      values (${n}, ${new Date().toISOString()}, ${row.actor}, ${row.type}, ${subjects.modification ?? null},
        ${JSON.stringify(subjects)}::jsonb, ${JSON.stringify(row.payload)}::jsonb, ${`p${n}`}, ${`h${n}`})`.execute(store.db);
  };
}

async function appendRates(store: Store, name: string, n: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const concurrency of [1, 8]) {
    await resetLedger(store);
    const plain = await plainInserter(store);
    // Warm both paths so neither pays for first-use planning.
    for (let i = 0; i < 50; i++) {
      await appendEntry(store.db, input(i));
      await plain(i);
    }
    // Alternate batches of both, so a noisy machine slows both alike.
    let ledgerSeconds = 0;
    let plainSeconds = 0;
    for (let done = 0; done < n; done += 100) {
      ledgerSeconds += await timed(() => workers(concurrency, 100, (i) => appendEntry(store.db, input(done + i))));
      plainSeconds += await timed(() => workers(concurrency, 100, (i) => plain(done + i)));
    }
    rows.push({
      case: `${name}: append, ${concurrency} appender${concurrency > 1 ? 's' : ''} (${n.toLocaleString('en-US')} entries)`,
      tether: n / ledgerSeconds,
      baseline: n / plainSeconds,
      baselineName: 'plain insert',
      unit: 'entries/s',
      target: '≥ 0.77× (cost ≤ 1.3×)',
      higherIsBetter: true,
    });
  }
  await sql`drop table if exists ledger_plain`.execute(store.db);
  return rows;
}

/** Writes a valid chain of `n` entries directly, in batches (setup, not measured). */
async function buildChain(store: Store, n: number): Promise<void> {
  await resetLedger(store);
  let prev = GENESIS_HASH;
  const start = Date.UTC(2026, 0, 1);
  for (let base = 0; base < n; base += 1000) {
    const values = [];
    for (let i = base; i < Math.min(n, base + 1000); i++) {
      const row = input(i);
      const subjects = row.subjects ?? {};
      const fields: HashedFields = {
        seq: i + 1,
        at: new Date(start + i).toISOString(),
        actor: row.actor,
        type: row.type,
        subject: subjects.modification ?? null,
        subjects,
        payload: row.payload ?? {},
        prev_hash: prev,
      };
      const { hash } = entryDigest(fields);
      values.push(
        sql`(${fields.seq}::bigint, ${fields.at}::timestamptz, ${fields.actor}, ${fields.type}, ${fields.subject}, ${JSON.stringify(subjects)}::jsonb, ${JSON.stringify(fields.payload)}::jsonb, ${prev}, ${hash})`,
      );
      prev = hash;
    }
    await sql`insert into ledger_entries (seq, at, actor, type, subject, subjects, payload, prev_hash, hash) values ${sql.join(values)}`.execute(store.db);
  }
  await sql`update ledger_head set seq = ${n}, hash = ${prev} where id = 1`.execute(store.db);
  await sql`vacuum analyze ledger_entries`.execute(store.db);
}

async function verifyRate(store: Store, name: string): Promise<BenchRow> {
  await buildChain(store, VERIFY_ENTRIES);
  let result: Awaited<ReturnType<typeof verifyLedger>> | undefined;
  const verifySeconds = await timed(async () => {
    result = await verifyLedger(store.db);
  });
  if (!result?.ok || result.checked !== VERIFY_ENTRIES) throw new Error(`verification failed: ${JSON.stringify(result)}`);
  let read = 0;
  const readSeconds = await timed(async () => {
    for await (const page of entryPages(store.db, { after: 0 })) read += page.length;
  });
  return {
    case: `${name}: verify ${VERIFY_ENTRIES.toLocaleString('en-US')} entries`,
    tether: VERIFY_ENTRIES / verifySeconds,
    baseline: read / readSeconds,
    baselineName: 'read the same pages, no hashing',
    unit: 'entries/s',
    target: '≥ 150,000 entries/s',
    higherIsBetter: true,
  };
}

const postgresStore = () => benchPostgresStore('ledger');

export default async function ledgerBench(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const pglite = await openStore({ url: 'memory://' });
  try {
    rows.push(...(await appendRates(pglite, 'PGlite (memory)', 2000)));
    rows.push(await verifyRate(pglite, 'PGlite (memory)'));
  } finally {
    await pglite.close();
  }
  const pg = await postgresStore();
  if (pg) {
    try {
      rows.push(...(await appendRates(pg.store, 'PostgreSQL', 2000)));
      rows.push(await verifyRate(pg.store, 'PostgreSQL'));
    } finally {
      await pg.drop();
    }
  } else {
    notes.push('PostgreSQL skipped: no server at TETHER_BENCH_DATABASE_URL or 127.0.0.1:5432.');
  }
  return { title: 'Ledger: append and verification', rows, notes };
}
