/**
 * Ledger costs, on embedded PGlite (in memory) and on PostgreSQL, in one run:
 * - appends/s through appendEntry, with 1 appender and with 8 concurrent ones, beside a
 *   plain insert of the same row (same table shape and indexes, no hashing, no head lock);
 * - verification speed over 100,000 entries, beside reading the same rows in the same pages
 *   without hashing (where the time goes): one open segment, then sealed every 10,000
 *   entries as the default policy does (seals and Merkle roots checked too).
 * PostgreSQL: TETHER_BENCH_DATABASE_URL, else the local server; the bench creates and drops
 * a database of its own, and skips PostgreSQL when no server answers.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { appendEntry, type LedgerInput } from '../src/ledger/append-entry.ts';
import { canonicalJson } from '../src/ledger/canonical-json.ts';
import { entryDigest, GENESIS_HASH, type HashedFields } from '../src/ledger/entry-hash.ts';
import { storedPages } from '../src/ledger/entry-pages.ts';
import { flushLedger, forgetLedgerHead } from '../src/ledger/ledger-writer.ts';
import { sealSegment } from '../src/ledger/seal-segment.ts';
import { verifyLedger, type VerifyOptions } from '../src/ledger/verify-ledger.ts';
import { startVerifyThread } from '../src/ledger/verify-thread.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import type { BenchRow, BenchSection } from './types.ts';
import { benchPostgresStore } from './support/postgres-store.ts';

const VERIFY_ENTRIES = 100_000;
/** The default segment policy's entry count, for the sealed-ledger verification case. */
const SEAL_EVERY = 10_000;

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
  await flushLedger(store.db);
  await sql`truncate ledger_entries, ledger_queue`.execute(store.db);
  await sql`update ledger_head set seq = 0, hash = ${GENESIS_HASH}, segment_bytes = 0 where id = 1`.execute(store.db);
  forgetLedgerHead(store.db);
}

/**
 * The baseline: the same row into a table of the same shape and indexes, with no hashing
 * and no chain. Its prev_hash and hash are 64 random hex characters like a real entry's,
 * drawn before the timing starts: the row, and its two unique indexes, hold what a ledger
 * row holds, only nothing is computed or checked. (Until stop 3 the baseline inserted
 * `p1`/`h1`-style counters there, a smaller row whose keys arrive in order.)
 */
async function plainInserter(store: Store, rows: number): Promise<(i: number) => Promise<void>> {
  await sql`drop table if exists ledger_plain`.execute(store.db);
  await sql`create table ledger_plain (like ledger_entries including all)`.execute(store.db);
  const hex = Array.from({ length: 2 * rows + 2 }, () => randomBytes(32).toString('hex'));
  let seq = 0;
  return async (i: number) => {
    const n = ++seq;
    const row = input(i);
    const subjects = row.subjects ?? {};
    await sql`insert into ledger_plain (seq, at, actor, type, subject, subjects, payload, prev_hash, hash)
      values (${n}, ${new Date().toISOString()}, ${row.actor}, ${row.type}, ${subjects.modification ?? null},
        ${JSON.stringify(subjects)}::json, ${JSON.stringify(row.payload)}::json, ${hex[2 * n - 1]}, ${hex[2 * n]})`.execute(store.db);
  };
}

async function appendRates(store: Store, name: string, n: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const concurrency of [1, 8]) {
    await resetLedger(store);
    const plain = await plainInserter(store, n + 50);
    // Warm both paths so neither pays for first-use planning.
    for (let i = 0; i < 50; i++) {
      await appendEntry(store.db, input(i));
      await plain(i);
    }
    // Alternate batches of both, so a noisy machine slows both alike.
    let ledgerSeconds = 0;
    let plainSeconds = 0;
    for (let done = 0; done < n; done += 100) {
      // Until every entry is chained: on PostgreSQL that includes the queue's integration.
      ledgerSeconds += await timed(async () => {
        await workers(concurrency, 100, (i) => appendEntry(store.db, input(done + i)));
        await flushLedger(store.db);
      });
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

/**
 * Writes a valid chain of `n` entries directly, in batches (setup, not measured). With
 * `sealEvery`, a segment is sealed (sealSegment, as in production) each time that many
 * entries are open, so verification also checks seals and Merkle roots.
 */
export async function buildChain(store: Store, n: number, sealEvery?: number): Promise<void> {
  await resetLedger(store);
  await sql`delete from ledger_seals`.execute(store.db);
  let prev = GENESIS_HASH;
  let seq = 0;
  let open = 0;
  const start = Date.UTC(2026, 0, 1);
  while (seq < n) {
    const values = [];
    const batchEnd = Math.min(n, seq + 1000, sealEvery ? seq + sealEvery - open : n);
    for (; seq < batchEnd; seq++) {
      const row = input(seq);
      const subjects = row.subjects ?? {};
      const fields: HashedFields = {
        seq: seq + 1,
        at: new Date(start + seq).toISOString(),
        actor: row.actor,
        type: row.type,
        subject: subjects.modification ?? null,
        subjects,
        payload: row.payload ?? {},
        prev_hash: prev,
      };
      const { hash } = entryDigest(fields);
      values.push(
        sql`(${fields.seq}::bigint, ${fields.at}::timestamptz, ${fields.actor}, ${fields.type}, ${fields.subject}, ${canonicalJson(subjects)}::json, ${canonicalJson(fields.payload)}::json, ${prev}, ${hash})`,
      );
      prev = hash;
      open++;
    }
    await sql`insert into ledger_entries (seq, at, actor, type, subject, subjects, payload, prev_hash, hash) values ${sql.join(values)}`.execute(store.db);
    await sql`update ledger_head set seq = ${seq}, hash = ${prev} where id = 1`.execute(store.db);
    if (sealEvery && open >= sealEvery && seq < n) {
      forgetLedgerHead(store.db);
      const outcome = await sealSegment(store.db, { force: true, actor: 'bench' });
      if (!outcome.sealed) throw new Error(`bench: sealing failed: ${JSON.stringify(outcome)}`);
      ({ seq, hash: prev } = outcome.entry);
      open = 1; // the entry carrying the seal opens the next segment
    }
  }
  forgetLedgerHead(store.db);
  await sql`vacuum analyze ledger_entries`.execute(store.db);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Warm runs of verification (and of the read baseline, alternated with it) after the cold first one. */
const VERIFY_RUNS = 5;

async function verifyRate(store: Store, name: string, notes: string[], sealEvery?: number): Promise<BenchRow> {
  await buildChain(store, VERIFY_ENTRIES, sealEvery);
  // Default options hash in the worker thread on PGlite, in this thread on PostgreSQL; the
  // other way is timed beside it.
  const verifyOnce = async (options: VerifyOptions = {}) => {
    let result: Awaited<ReturnType<typeof verifyLedger>> | undefined;
    const seconds = await timed(async () => {
      result = await verifyLedger(store.db, options);
    });
    if (!result?.ok || result.checked !== VERIFY_ENTRIES) throw new Error(`verification failed: ${JSON.stringify(result)}`);
    return { rate: VERIFY_ENTRIES / seconds, seals: result.seals };
  };
  const readOnce = async () => {
    let read = 0;
    const seconds = await timed(async () => {
      for await (const page of storedPages(store.db, { after: 0 })) read += page.length;
    });
    return read / seconds;
  };
  const cold = await verifyOnce();
  const verifyRates: number[] = [];
  const otherRates: number[] = [];
  const other: VerifyOptions = { worker: store.backend !== 'pglite' };
  const readRates: number[] = [];
  for (let i = 0; i < VERIFY_RUNS; i++) {
    verifyRates.push((await verifyOnce()).rate);
    otherRates.push((await verifyOnce(other)).rate);
    readRates.push(await readOnce());
  }
  const sealed = sealEvery ? `, sealed every ${sealEvery.toLocaleString('en-US')} (${cold.seals} seals)` : '';
  const caseName = `${name}: verify ${VERIFY_ENTRIES.toLocaleString('en-US')} entries${sealed}`;
  const list = (rates: number[]) => rates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ');
  notes.push(
    `${caseName}: the first, cold run verified ${Math.round(cold.rate).toLocaleString('en-US')} entries/s; warm runs ${list(verifyRates)}. ` +
      `The other way (worker: ${other.worker}), warm: ${list(otherRates)} (median ${Math.round(median(otherRates)).toLocaleString('en-US')}; the default is ${(median(verifyRates) / median(otherRates)).toFixed(2)}× as fast).`,
  );
  return {
    case: caseName,
    tether: median(verifyRates),
    baseline: median(readRates),
    baselineName: 'read the same pages, no hashing',
    unit: 'entries/s',
    target: '≥ 150,000 entries/s',
    higherIsBetter: true,
  };
}

const postgresStore = () => benchPostgresStore('ledger');

export default async function ledgerBench(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [
    'Append rows are timed until every entry is chained (on PostgreSQL that includes the integration of the queue, flushed at the end of each batch of 100).',
    'The plain insert writes 64 random hex characters as prev_hash and hash, like a real entry (before stop 3 it wrote short counters, a smaller row whose keys arrive in order).',
    `Verification rows: the median of ${VERIFY_RUNS} warm runs after a cold first one (given below), each followed by a verification the other way (worker thread on or off) and a read of the same pages; until stop 4 the rows gave the cold run alone.`,
    'Since stop 5, on PGlite, verification of 50,000 or more retained entries parses and hashes in a worker thread while the calling thread reads the pages (src/ledger/verify-thread.ts); the worker is started when the section begins, as `tether ledger verify` starts it while it opens the store.',
  ];
  // As `tether ledger verify` does while it opens the store: the worker loads meanwhile.
  startVerifyThread();
  const pglite = await openStore({ url: 'memory://' });
  try {
    rows.push(...(await appendRates(pglite, 'PGlite (memory)', 4000)));
    rows.push(await verifyRate(pglite, 'PGlite (memory)', notes));
    rows.push(await verifyRate(pglite, 'PGlite (memory)', notes, SEAL_EVERY));
  } finally {
    await pglite.close();
  }
  const pg = await postgresStore();
  if (pg) {
    try {
      rows.push(...(await appendRates(pg.store, 'PostgreSQL', 4000)));
      rows.push(await verifyRate(pg.store, 'PostgreSQL', notes));
      rows.push(await verifyRate(pg.store, 'PostgreSQL', notes, SEAL_EVERY));
    } finally {
      await pg.drop();
    }
  } else {
    notes.push('PostgreSQL skipped: no server at TETHER_BENCH_DATABASE_URL or 127.0.0.1:5432.');
  }
  return { title: 'Ledger: append and verification', rows, notes };
}
