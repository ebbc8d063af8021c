import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendEntry } from '../src/ledger/append-entry.ts';
import { flushLedger, forgetLedgerHead } from '../src/ledger/ledger-writer.ts';
import { archiveAndPrune } from '../src/ledger/archive-and-prune.ts';
import { exportCheckpoint } from '../src/ledger/checkpoint.ts';
import { GENESIS_HASH } from '../src/ledger/entry-hash.ts';
import { EMPTY_MERKLE_ROOT, merkleRoot } from '../src/ledger/merkle.ts';
import { readLedger } from '../src/ledger/read-ledger.ts';
import { readSeals } from '../src/ledger/read-seals.ts';
import { sealHash } from '../src/ledger/seal.ts';
import { sealSegment } from '../src/ledger/seal-segment.ts';
import { verifyArchive } from '../src/ledger/verify-archive.ts';
import type { Store } from '../src/store/open-store.ts';
import { backends } from './support/stores.ts';
import { verifyBoth } from './support/verify-both.ts';

/** RFC 9162 section 2.1.1, written the obvious recursive way, to check the streaming one. */
function referenceRoot(leaves: Buffer[]): Buffer {
  const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
  if (leaves.length === 0) return sha();
  if (leaves.length === 1) return sha(Buffer.from([0]), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Buffer.from([1]), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

describe('Merkle tree hash', () => {
  it('matches the recursive RFC 9162 definition for every size from 0 to 70', () => {
    const hashes = Array.from({ length: 70 }, (_, i) => createHash('sha256').update(`leaf ${i}`).digest('hex'));
    for (let n = 0; n <= 70; n++) {
      const leaves = hashes.slice(0, n).map((h) => Buffer.from(h, 'hex'));
      expect(merkleRoot(hashes.slice(0, n))).toBe(referenceRoot(leaves).toString('hex'));
    }
    expect(merkleRoot([])).toBe(EMPTY_MERKLE_ROOT);
  });
});

async function appendMany(store: Store, n: number, bytes = 0): Promise<void> {
  for (let i = 0; i < n; i++) {
    await appendEntry(store.db, { actor: 'planner', type: 'plan.step', subjects: { plan: `p${i % 4}` }, payload: { i, pad: 'x'.repeat(bytes) } });
  }
  // On PostgreSQL appends are queued: chain them before the tests edit rows by seq.
  await flushLedger(store.db);
}

for (const backend of backends) {
  describe(`ledger segments on ${backend.name}`, () => {
    let store: Store;
    let dir: string;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
    });
    beforeEach(async () => {
      await sql`delete from ledger_queue`.execute(store.db);
      await sql`delete from ledger_entries`.execute(store.db);
      await sql`delete from ledger_seals`.execute(store.db);
      await sql`update ledger_head set seq = 0, hash = ${GENESIS_HASH}, segment_bytes = 0 where id = 1`.execute(store.db);
      forgetLedgerHead(store.db);
      dir = mkdtempSync(join(tmpdir(), 'tether-ledger-'));
      return () => rmSync(dir, { recursive: true, force: true });
    });

    it('seals a segment once it reaches the entry count, and the next segment opens with the seal', async () => {
      await appendMany(store, 9);
      expect(await sealSegment(store.db, { policy: { maxEntries: 10 } })).toMatchObject({ sealed: false, reason: 'not-due', count: 9 });
      await appendMany(store, 1);
      const outcome = await sealSegment(store.db, { policy: { maxEntries: 10 } });
      if (!outcome.sealed) throw new Error(`not sealed: ${outcome.reason}`);
      const entries = (await readLedger(store.db, { limit: 10 })).entries;
      expect(outcome.seal).toMatchObject({ segment: 1, first_seq: 1, last_seq: 10, count: 10, last_hash: entries[9]!.hash, prev_seal_hash: GENESIS_HASH });
      expect(outcome.seal.merkle_root).toBe(merkleRoot(entries.map((e) => e.hash)));
      expect(outcome.seal.seal_hash).toBe(sealHash(outcome.seal));
      expect(outcome.entry).toMatchObject({ seq: 11, type: 'ledger.sealed', prev_hash: entries[9]!.hash, payload: { seal: outcome.seal } });
      // The open segment holds only the seal's entry: nothing to seal yet.
      expect(await sealSegment(store.db, { force: true })).toMatchObject({ sealed: false, reason: 'empty' });
      expect(await verifyBoth(store.db)).toMatchObject({ ok: true, headSeq: 11, seals: 1 });
    });

    it('puts each seal entry right after its segment while other appenders commit during the seal', { timeout: 60_000 }, async () => {
      // On PostgreSQL appends commit to a queue without the head's lock, so they land while
      // a seal re-verifies its segment; a seal entry chained after them would vouch for a
      // segment that no longer ends where the seal says (found by the crash suite).
      let appending = true;
      const appenders = Array.from({ length: 4 }, async (_, a) => {
        for (let i = 0; i < 150; i++) {
          await appendEntry(store.db, { actor: `appender-${a}`, type: 'plan.step', subjects: { plan: `p${a}` }, payload: { i } });
        }
      });
      const all = Promise.all(appenders).finally(() => (appending = false));
      // Outcomes are checked once the appenders are done, so none runs on past the test.
      const outcomes: { reason: string; sealSeq?: number; entrySeq?: number }[] = [];
      while (appending) {
        const outcome = await sealSegment(store.db, { force: true });
        if (outcome.sealed) outcomes.push({ reason: 'sealed', sealSeq: outcome.seal.last_seq, entrySeq: outcome.entry.seq });
        else outcomes.push({ reason: outcome.reason });
      }
      await all;
      await flushLedger(store.db);
      const seals = outcomes.filter((o) => o.reason === 'sealed');
      expect(outcomes.filter((o) => o.reason === 'broken')).toEqual([]);
      expect(seals.filter((o) => o.entrySeq !== o.sealSeq! + 1)).toEqual([]);
      const sealed = seals.length;
      expect(sealed).toBeGreaterThan(1);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: true, headSeq: 600 + sealed, seals: sealed });
    });

    it('seals a segment once it reaches the byte size', async () => {
      await appendMany(store, 3, 400);
      expect(await sealSegment(store.db, { policy: { maxEntries: 1000, maxBytes: 2000 } })).toMatchObject({ sealed: false, reason: 'not-due' });
      await appendMany(store, 2, 400);
      const outcome = await sealSegment(store.db, { policy: { maxEntries: 1000, maxBytes: 2000 } });
      expect(outcome).toMatchObject({ sealed: true, seal: { count: 5 } });
      if (outcome.sealed) expect(outcome.seal.bytes).toBeGreaterThanOrEqual(2000);
    });

    it('refuses to seal a segment whose entries were tampered with', async () => {
      await appendMany(store, 5);
      await sql`update ledger_entries set actor = 'mallory' where seq = 3`.execute(store.db);
      expect(await sealSegment(store.db, { force: true })).toMatchObject({ sealed: false, reason: 'broken', verification: { code: 'HASH_MISMATCH', seq: 3 } });
      expect(await readSeals(store.db)).toEqual([]);
    });

    it('reports SEAL_MISMATCH when a seal row is altered, even with its seal hash recomputed', async () => {
      await appendMany(store, 6);
      await sealSegment(store.db, { force: true });
      await appendMany(store, 3);
      await sql`update ledger_seals set merkle_root = ${'ab'.repeat(32)} where segment = 1`.execute(store.db);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: false, code: 'SEAL_MISMATCH', seq: 6 });
      // A careful forger also recomputes the seal's own hash: the chain's copy still differs.
      const [seal] = await readSeals(store.db);
      await sql`update ledger_seals set seal_hash = ${sealHash(seal!)} where segment = 1`.execute(store.db);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: false, code: 'SEAL_MISMATCH' });
    });

    it('reports SEAL_MISMATCH when a seal row is deleted', async () => {
      await appendMany(store, 4);
      await sealSegment(store.db, { force: true });
      await sql`delete from ledger_seals`.execute(store.db);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: false, code: 'SEAL_MISMATCH', seq: 5 });
    });

    it('keeps verification passing after archiving and pruning old segments', async () => {
      for (let s = 0; s < 4; s++) {
        await appendMany(store, 8);
        expect(await sealSegment(store.db, { policy: { maxEntries: 8 } })).toMatchObject({ sealed: true });
      }
      await appendMany(store, 3);
      const before = await exportCheckpoint(store.db);
      const result = await archiveAndPrune(store.db, { archiveDir: dir, keepSegments: 2 });
      expect(result.segments.map((s) => `${s.segment}:${s.status}`)).toEqual(['1:archived', '2:archived', '3:archived', '4:archived', '1:pruned', '2:pruned']);
      expect(result.entry).toMatchObject({ type: 'ledger.pruned', payload: { from_seq: 1, through_seq: 17 } });
      const seals = await readSeals(store.db);
      expect(seals.map((s) => s.pruned)).toEqual([true, true, false, false]);
      const oldest = (await readLedger(store.db, { limit: 1 })).entries[0]!;
      expect(oldest).toMatchObject({ seq: 18, type: 'ledger.sealed' });
      const verified = await verifyBoth(store.db, { checkpoint: before });
      expect(verified).toMatchObject({ ok: true, firstSeq: 18, seals: 4, checkpoint: 'matched' });
      // A checkpoint at a pruned segment's last entry is checked against its seal.
      expect(await verifyBoth(store.db, { checkpoint: { seq: seals[0]!.last_seq, hash: seals[0]!.last_hash, at: '' } })).toMatchObject({
        ok: true,
        checkpoint: 'matched',
      });
      for (const seal of seals) expect(await verifyArchive(join(dir, seal.archive_file!), seal)).toMatchObject({ ok: true, checked: seal.count });
      // A second run has nothing left to do.
      expect((await archiveAndPrune(store.db, { archiveDir: dir, keepSegments: 2 })).segments).toEqual([]);
    });

    it('reports SEQ_GAP when retained entries are deleted beyond what was pruned', async () => {
      for (let s = 0; s < 3; s++) {
        await appendMany(store, 5);
        await sealSegment(store.db, { force: true });
      }
      await archiveAndPrune(store.db, { archiveDir: dir, keepSegments: 1 });
      const oldest = (await readLedger(store.db, { limit: 1 })).entries[0]!.seq;
      await sql`delete from ledger_entries where seq <= ${oldest + 2}`.execute(store.db);
      expect(await verifyBoth(store.db)).toMatchObject({ ok: false, code: 'SEQ_GAP', seq: oldest });
    });

    it('fails an archive whose entry was altered, cut short, or checked against another seal', async () => {
      for (let s = 0; s < 2; s++) {
        await appendMany(store, 6);
        await sealSegment(store.db, { force: true });
      }
      await archiveAndPrune(store.db, { archiveDir: dir, keepSegments: 0 });
      const [first, second] = await readSeals(store.db);
      const file = join(dir, second!.archive_file!);
      expect(await verifyArchive(file, second!)).toMatchObject({ ok: true });

      const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
      const altered = [...lines];
      altered[3] = altered[3]!.replace('"actor":"planner"', '"actor":"plannes"');
      expect(altered[3]).not.toBe(lines[3]);
      const tampered = join(dir, 'tampered.jsonl.gz');
      writeFileSync(tampered, gzipSync(`${altered.join('\n')}\n`));
      expect(await verifyArchive(tampered, second!)).toMatchObject({ ok: false, code: 'HASH_MISMATCH', seq: second!.first_seq + 2 });

      const short = join(dir, 'short.jsonl.gz');
      writeFileSync(short, gzipSync(`${lines.slice(0, -1).join('\n')}\n`));
      expect(await verifyArchive(short, second!)).toMatchObject({ ok: false, code: 'TRUNCATED', seq: second!.last_seq });

      const cut = join(dir, 'cut.jsonl.gz');
      const gz = readFileSync(file);
      writeFileSync(cut, gz.subarray(0, gz.length - 40));
      expect(await verifyArchive(cut, second!)).toMatchObject({ ok: false });

      expect(await verifyArchive(file, first!)).toMatchObject({ ok: false, code: 'SEAL_MISMATCH' });
      expect(await verifyArchive(file, { ...second!, merkle_root: first!.merkle_root })).toMatchObject({ ok: false, code: 'SEAL_MISMATCH' });
    });
  });
}
