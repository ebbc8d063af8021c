import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor, fromCallback, waitFor, type Actor } from 'xstate';
import { createLedgerActorLogic } from '../actors/ledger.ts';
import type { LedgerReply } from '../machines/ledger.ts';
import { ledgerMachine } from '../machines/ledger.ts';
import { SimulatedClock } from '../src/ports/clock.ts';
import type { Store } from '../src/store/open-store.ts';
import { openPGliteTestStore } from './support/stores.ts';

type LedgerActor = Actor<ReturnType<typeof createLedgerActorLogic>>;

function collect(actor: LedgerActor): LedgerReply[] {
  const replies: LedgerReply[] = [];
  for (const type of ['ledger.appended', 'ledger.sealed', 'ledger.verified', 'ledger.maintained', 'ledger.failed'] as const) {
    actor.on(type, (e) => replies.push(e as LedgerReply));
  }
  return replies;
}

async function until(replies: LedgerReply[], count: number): Promise<void> {
  for (let i = 0; i < 500 && replies.length < count; i++) await new Promise((r) => setTimeout(r, 10));
  expect(replies.length).toBeGreaterThanOrEqual(count);
}

describe('the ledger actor', () => {
  let store: Store;
  let dir: string;
  beforeAll(async () => {
    store = await openPGliteTestStore();
    dir = mkdtempSync(join(tmpdir(), 'tether-ledger-actor-'));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a pure machine whose effects are named, so it runs only once they are provided', () => {
    expect(Object.keys(ledgerMachine.implementations.actors).sort()).toEqual(['appendEntry', 'maintain', 'sealSegment', 'verifyLedger']);
    expect(ledgerMachine.id).toBe('ledger');
  });

  it('appends queued requests in order, seals, verifies and replies to each', async () => {
    const actor = createActor(createLedgerActorLogic({ segments: { maxEntries: 3 } }), { input: { store } });
    const replies = collect(actor);
    actor.start();
    for (let i = 0; i < 5; i++) actor.send({ type: 'ledger.append', input: { actor: 'alice', type: 'goal.proposed', subjects: { goal: `g${i}` }, payload: { i } } });
    actor.send({ type: 'ledger.seal' });
    actor.send({ type: 'ledger.verify' });
    await until(replies, 7);
    expect(replies.map((r) => r.type)).toEqual([...Array(5).fill('ledger.appended'), 'ledger.sealed', 'ledger.verified']);
    expect(replies.slice(0, 5).map((r) => (r.type === 'ledger.appended' ? r.entry.payload.i : -1))).toEqual([0, 1, 2, 3, 4]);
    expect(replies[5]).toMatchObject({ outcome: { sealed: true, seal: { segment: 1, count: 5 } } });
    expect(replies[6]).toMatchObject({ result: { ok: true, headSeq: 6 } });
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toMatchObject({ work: 'idle', integrity: 'intact' });
    expect(snapshot.context.appended).toBe(5);
    actor.stop();
  });

  it('moves to tampered when verification finds a break', async () => {
    const actor = createActor(createLedgerActorLogic(), { input: { store } });
    const replies = collect(actor);
    actor.start();
    await sql`update ledger_entries set payload = '{"i": 99}' where seq = 2`.execute(store.db);
    actor.send({ type: 'ledger.verify' });
    await waitFor(actor, (s) => s.matches({ integrity: 'tampered' }));
    expect(replies.at(-1)).toMatchObject({ type: 'ledger.verified', result: { ok: false, code: 'HASH_MISMATCH', seq: 2 } });
    actor.stop();
    await sql`update ledger_entries set payload = '{"i": 1}' where seq = 2`.execute(store.db);
  });

  it('runs maintenance on its schedule: seals when due, archives and prunes', async () => {
    const clock = new SimulatedClock();
    const logic = createLedgerActorLogic({ segments: { maxEntries: 2 }, retention: { archiveDir: dir, keepSegments: 0 } });
    const actor = createActor(logic, { input: { store, maintenanceIntervalMs: 60_000 }, clock });
    const replies = collect(actor);
    actor.start();
    actor.send({ type: 'ledger.append', input: { actor: 'bob', type: 'task.queued', subjects: { task: 't1' } } });
    actor.send({ type: 'ledger.append', input: { actor: 'bob', type: 'task.started', subjects: { task: 't1' } } });
    await until(replies, 2);
    clock.advance(60_000);
    await until(replies, 3);
    expect(replies[2]).toMatchObject({
      type: 'ledger.maintained',
      outcome: { seal: { sealed: true, seal: { segment: 2 } }, retention: { segments: [{ segment: 1, status: 'archived' }, { segment: 2, status: 'archived' }, { segment: 1, status: 'pruned' }, { segment: 2, status: 'pruned' }] } },
    });
    actor.send({ type: 'ledger.verify' });
    await until(replies, 4);
    expect(replies[3]).toMatchObject({ type: 'ledger.verified', result: { ok: true } });
    actor.stop();
  });

  it('turns a failing effect into a failed state and a reply, and keeps serving', async () => {
    const actor = createActor(createLedgerActorLogic(), { input: { store } });
    const replies = collect(actor);
    const received: unknown[] = [];
    const requester = createActor(fromCallback(({ receive }) => receive((e) => received.push(e)))).start();
    actor.start();
    // A payload with no JSON form (a BigInt): the effect rejects, the actor does not.
    actor.send({ type: 'ledger.append', input: { actor: 'x', type: 'bad', payload: { n: 1n } }, replyTo: requester });
    await waitFor(actor, (s) => s.matches({ work: 'failed' }));
    expect(replies.at(-1)).toMatchObject({ type: 'ledger.failed', request: 'append', error: { message: expect.stringContaining('BigInt') } });
    expect(received).toEqual([replies.at(-1)]);
    expect(actor.getSnapshot().context.lastError).toMatchObject({ message: expect.any(String) });
    actor.send({ type: 'ledger.append', input: { actor: 'x', type: 'good' } });
    await waitFor(actor, (s) => s.context.appended === 1 && s.matches({ work: 'idle' }));
    actor.stop();
    requester.stop();
  });
});
