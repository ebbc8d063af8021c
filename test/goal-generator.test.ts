import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { startGoalGenerator } from '../actors/goal-generator.ts';
import { createTaskFailureDetector } from '../actors/detectors/task-failure.ts';
import { evaluateFinding, type GateOptions, type GateResult } from '../src/goals/evaluate-finding.ts';
import type { Finding } from '../src/goals/finding.ts';
import { fingerprintFinding } from '../src/goals/fingerprint.ts';
import { approveGoal, createGoal, rejectGoal } from '../src/goals/goal-store.ts';
import { recordExecution } from '../src/history/record-execution.ts';
import { SimulatedClock } from '../src/ports/clock.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { backends, createPostgresDatabase, postgresUrl } from './support/stores.ts';
import { flushLedger } from '../src/ledger/ledger-writer.ts';

const HOUR = 3_600_000;

function finding(over: Partial<Finding> = {}): Finding {
  return {
    detector: 'd1',
    kind: 'fix-task-failure',
    title: 'Fix the build',
    subject: 'build.test',
    evidence: { count: 3, errors: ['Timeout after 3000 ms'] },
    confidence: 0.8,
    ...over,
  };
}

/** Distinct subjects so only the rate limits, not duplicates, decide. */
let serial = 0;
const fresh = (over: Partial<Finding> = {}) => finding({ subject: `type-${++serial}`, ...over });

async function ledgerFor(store: Store, proposalId: string) {
  await flushLedger(store.db);
  return store.db
    .selectFrom('ledger_entries')
    .select(['type', 'actor', 'payload', 'subjects'])
    .where(sql<boolean>`subjects->>'proposal' = ${proposalId}`)
    .orderBy('seq')
    .execute();
}

describe('finding fingerprints', () => {
  it('match across whitespace, field order, error order and ids in messages', () => {
    const a = finding({ subject: 'build.test', evidence: { count: 3, errors: ['Timeout after 3000 ms', 'ENOENT /tmp/a'] } });
    const b = {
      evidence: { errors: ['ENOENT   /var/b', '  Timeout after 12 ms'], count: 7 },
      confidence: 0.9,
      subject: '  build.test ',
      title: 'Another title',
      kind: 'fix-task-failure',
      detector: 'd1 ',
    } as Finding;
    expect(fingerprintFinding(b)).toBe(fingerprintFinding(a));
  });

  it('differ when the subject, detector or error set differ', () => {
    const base = fingerprintFinding(finding());
    expect(fingerprintFinding(finding({ subject: 'other' }))).not.toBe(base);
    expect(fingerprintFinding(finding({ detector: 'd2' }))).not.toBe(base);
    expect(fingerprintFinding(finding({ evidence: { errors: ['disk full'] } }))).not.toBe(base);
  });
});

for (const backend of backends) {
  describe(`goal generator gates on ${backend.name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await backend.open();
    });
    afterEach(async () => {
      await store?.close();
    });

    it('makes 0.95 active and auto-approved, 0.8 proposed, and refuses 0.6 as LOW_CONFIDENCE', async () => {
      const high = await evaluateFinding(store, fresh({ confidence: 0.95 }));
      const mid = await evaluateFinding(store, fresh({ confidence: 0.8 }));
      const low = await evaluateFinding(store, fresh({ confidence: 0.6 }));
      expect(high).toMatchObject({ accepted: true, outcome: 'active', goal: { status: 'active', autoApproved: true, source: 'system' } });
      expect(mid).toMatchObject({ accepted: true, outcome: 'proposed', goal: { status: 'proposed', autoApproved: false } });
      expect(low).toMatchObject({ accepted: false, outcome: 'LOW_CONFIDENCE', error: { code: 'LOW_CONFIDENCE' } });
      expect(low.goal).toBeUndefined();
      expect(high.goal).toMatchObject({ createdBy: 'd1', detector: 'd1', proposalId: high.proposalId, confidence: 0.95 });
    });

    it('treats exactly 0.7 as enough and exactly 0.9 as not enough to skip a person', async () => {
      expect((await evaluateFinding(store, fresh({ confidence: 0.7 }))).outcome).toBe('proposed');
      expect((await evaluateFinding(store, fresh({ confidence: 0.9 }))).outcome).toBe('proposed');
    });

    it('writes a proposal row and a ledger entry with its reason for every outcome', async () => {
      const results: GateResult[] = [
        await evaluateFinding(store, fresh({ confidence: 0.95 })),
        await evaluateFinding(store, fresh({ confidence: 0.8 })),
        await evaluateFinding(store, fresh({ confidence: 0.5 })),
      ];
      // The same subject as the first: a duplicate of its open goal.
      results.push(await evaluateFinding(store, finding({ subject: results[0]!.goal!.evidence.subject as string })));
      results.push(await evaluateFinding(store, fresh({ kind: 'rewrite-everything' }), { policy: { allowedKinds: ['fix-task-failure'] } }));
      const outcomes = results.map((r) => r.outcome);
      expect(outcomes).toEqual(['active', 'proposed', 'LOW_CONFIDENCE', 'DUPLICATE_GOAL', 'POLICY_MISALIGNED']);
      for (const result of results) {
        const row = await store.db.selectFrom('goal_proposals').selectAll().where('id', '=', result.proposalId).executeTakeFirstOrThrow();
        expect(row).toMatchObject({ outcome: result.outcome, reason: result.reason, goal_id: result.goal?.id ?? null });
        expect(row.reason.length).toBeGreaterThan(5);
        const entries = await ledgerFor(store, result.proposalId);
        const decision = entries.find((e) => e.type.startsWith('goal.proposal.'))!;
        expect(decision.type).toBe(result.accepted ? 'goal.proposal.accepted' : 'goal.proposal.refused');
        expect(decision.payload).toMatchObject({ outcome: result.outcome, reason: result.reason });
        expect(entries.some((e) => e.type === 'goal.created')).toBe(result.accepted);
      }
    });

    it('refuses whitespace and field-order variants of a finding as DUPLICATE_GOAL', async () => {
      const first = await evaluateFinding(store, finding({ evidence: { count: 3, errors: ['Timeout after 3000 ms', 'disk full'] } }));
      expect(first.accepted).toBe(true);
      const variant = {
        confidence: 0.85,
        evidence: { errors: ['disk   full', 'Timeout after 10 ms '], count: 4 },
        subject: ' build.test  ',
        title: 'Fix the build',
        kind: 'fix-task-failure',
        detector: 'd1',
      } as Finding;
      const again = await evaluateFinding(store, variant);
      expect(again).toMatchObject({ accepted: false, outcome: 'DUPLICATE_GOAL', error: { code: 'DUPLICATE_GOAL' } });
      expect(again.fingerprint).toBe(first.fingerprint);
      expect(again.reason).toContain(first.goal!.id);
    });

    it('refuses a duplicate of a recent proposal after its goal closed, but not of one older than 7 days', async () => {
      const first = await evaluateFinding(store, finding());
      await rejectGoal(store.db, first.goal!.id, { approver: 'alice' });
      const recent = await evaluateFinding(store, finding());
      expect(recent.outcome).toBe('DUPLICATE_GOAL');
      expect(recent.reason).toContain(first.proposalId);
      await sql`update goal_proposals set created_at = now() - interval '8 days' where id = ${first.proposalId}`.execute(store.db);
      expect((await evaluateFinding(store, finding())).accepted).toBe(true);
    });

    it('does not count a refused proposal as a duplicate', async () => {
      expect((await evaluateFinding(store, finding({ confidence: 0.5 }))).outcome).toBe('LOW_CONFIDENCE');
      expect((await evaluateFinding(store, finding({ confidence: 0.8 }))).accepted).toBe(true);
    });

    it('refuses the 4th proposal of one detector within 24 hours while another detector still gets its own', async () => {
      for (let i = 0; i < 3; i++) expect((await evaluateFinding(store, fresh({ detector: 'd1' }))).accepted).toBe(true);
      const fourth = await evaluateFinding(store, fresh({ detector: 'd1' }));
      expect(fourth).toMatchObject({ accepted: false, outcome: 'DETECTOR_RATE_LIMITED' });
      expect((await evaluateFinding(store, fresh({ detector: 'd2' }))).accepted).toBe(true);
    });

    it('refuses the 11th system goal within 24 hours, counting no person’s goals', async () => {
      await createGoal(store.db, { title: 'A person’s goal', kind: 'k', source: 'user', createdBy: 'alice' });
      for (let i = 0; i < 10; i++) {
        const r = await evaluateFinding(store, fresh({ detector: `d${Math.floor(i / 3)}` }));
        expect(r.accepted).toBe(true);
      }
      const eleventh = await evaluateFinding(store, fresh({ detector: 'd9' }));
      expect(eleventh).toMatchObject({ accepted: false, outcome: 'GOAL_RATE_LIMITED', error: { code: 'GOAL_RATE_LIMITED' } });
    });

    it('frees quota once the oldest goal leaves the rolling 24-hour window', async () => {
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await evaluateFinding(store, fresh()));
      expect((await evaluateFinding(store, fresh())).outcome).toBe('DETECTOR_RATE_LIMITED');
      await sql`update goals set created_at = now() - interval '25 hours' where id = ${results[0]!.goal!.id}`.execute(store.db);
      expect((await evaluateFinding(store, fresh())).accepted).toBe(true);
    });

    it('adds no quota when a clock is moved back: goals stamped in the future still count', async () => {
      for (let i = 0; i < 3; i++) await evaluateFinding(store, fresh());
      // As if the database clock had been stepped back a day after these goals were made.
      await sql`update goals set created_at = now() + interval '1 day'`.execute(store.db);
      expect((await evaluateFinding(store, fresh())).outcome).toBe('DETECTOR_RATE_LIMITED');
    });

    it('refuses findings outside the policy with POLICY_MISALIGNED, after the earlier gates', async () => {
      const policy: GateOptions['policy'] = {
        allowedKinds: ['fix-task-failure'],
        forbiddenAreas: ['src/policy'],
        maxRisk: 'medium',
        check: (f) => (f.subject.includes('secret') ? { reason: 'touches secrets' } : true),
      };
      const refuse = async (f: Finding) => (await evaluateFinding(store, f, { policy })).reason;
      expect(await refuse(fresh({ kind: 'rewrite' }))).toContain('allowed kinds');
      expect(await refuse(fresh({ areas: ['src/policy/rules.ts'] }))).toContain('forbidden area');
      expect(await refuse(fresh({ risk: 'high' }))).toContain('exceeds');
      expect(await refuse(fresh({ subject: 'secret-rotation' }))).toBe('touches secrets');
      // Confidence comes first.
      expect((await evaluateFinding(store, fresh({ kind: 'rewrite', confidence: 0.1 }), { policy })).outcome).toBe('LOW_CONFIDENCE');
      expect((await evaluateFinding(store, fresh({ risk: 'low' }), { policy })).accepted).toBe(true);
    });

    it('accepts exactly one of 20 concurrent proposals at a system count of 9', async () => {
      for (let i = 0; i < 9; i++) expect((await evaluateFinding(store, fresh({ detector: `base${i % 3}` }))).accepted).toBe(true);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => evaluateFinding(store, fresh({ detector: `burst${i}` }))));
      expect(results.filter((r) => r.accepted)).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'GOAL_RATE_LIMITED')).toHaveLength(19);
      const count = await store.db.selectFrom('goals').select((eb) => eb.fn.countAll().as('n')).where('source', '=', 'system').executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(10);
    });

    it('accepts one of 10 concurrent copies of the same finding and refuses the rest as duplicates', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => evaluateFinding(store, finding())));
      expect(results.filter((r) => r.accepted)).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'DUPLICATE_GOAL')).toHaveLength(9);
    });

    it('rejects a malformed finding before writing anything', async () => {
      await expect(evaluateFinding(store, { ...finding(), confidence: 2 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await store.db.selectFrom('goal_proposals').select('id').execute()).toEqual([]);
    });

    it('lets a person approve a proposed system goal', async () => {
      const r = await evaluateFinding(store, fresh());
      expect((await approveGoal(store.db, r.goal!.id, { approver: 'alice' })).status).toBe('active');
    });
  });

  describe(`goal generator actor on ${backend.name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await backend.open();
    });
    afterEach(async () => {
      await store?.close();
    });

    const fail = (type: string) =>
      recordExecution(store.db, { taskId: `t-${Math.random()}`, type, status: 'failed', errorMessage: 'Timeout after 30 s' });

    it('runs hourly on the injected clock, with no real waiting', async () => {
      const clock = new SimulatedClock();
      const actor = startGoalGenerator({ store, clock, detectors: [createTaskFailureDetector()] });
      for (let i = 0; i < 3; i++) await fail('nightly');
      clock.advance(59 * 60_000);
      expect(actor.getSnapshot().value).toBe('idle');
      expect(actor.getSnapshot().context.runs).toBe(0);
      clock.advance(60_000);
      expect(actor.getSnapshot().matches('running')).toBe(true);
      const done = await waitFor(actor, (s) => s.context.runs === 1 && s.matches('idle'), { timeout: 15_000 });
      expect(done.context.lastRun).toMatchObject({ evaluated: 1, accepted: 1, refused: 0 });
      expect(await store.db.selectFrom('goals').select('status').execute()).toEqual([{ status: 'proposed' }]);
      // The next hour: nothing new, nothing proposed.
      clock.advance(HOUR);
      const second = await waitFor(actor, (s) => s.context.runs === 2 && s.matches('idle'), { timeout: 15_000 });
      expect(second.context.lastRun).toMatchObject({ evaluated: 0 });
      actor.stop();
    });

    it('runs on demand with goalGenerator.run and takes configurable intervals', async () => {
      const clock = new SimulatedClock();
      const actor = startGoalGenerator({ store, clock, intervalMs: 10 * 60_000, detectors: [createTaskFailureDetector()] });
      expect(actor.system.get('detector.taskFailure')).toBeDefined();
      for (let i = 0; i < 3; i++) await fail('on-demand');
      actor.send({ type: 'goalGenerator.run' });
      await waitFor(actor, (s) => s.context.runs === 1 && s.matches('idle'), { timeout: 15_000 });
      expect(actor.getSnapshot().context.lastRun!.outcomes[0]).toMatchObject({ subject: 'on-demand', outcome: 'proposed' });
      clock.advance(10 * 60_000);
      await waitFor(actor, (s) => s.context.runs === 2 && s.matches('idle'), { timeout: 15_000 });
      actor.stop();
    });

    it('gates findings submitted from outside on the next run, and keeps counting across a clock moved back', async () => {
      const clock = new SimulatedClock();
      const actor = startGoalGenerator({ store, clock, detectors: [] });
      for (let i = 0; i < 4; i++) actor.send({ type: 'goalGenerator.submit', finding: fresh({ detector: 'external' }) });
      actor.send({ type: 'goalGenerator.run' });
      const first = await waitFor(actor, (s) => s.context.runs === 1 && s.matches('idle'), { timeout: 15_000 });
      expect(first.context.lastRun).toMatchObject({ evaluated: 4, accepted: 3, refused: 1 });
      expect(first.context.queue).toEqual([]);
      // Stepping the process clock back a day opens no quota: the next scheduled run (which
      // now fires a day later on that clock) is still refused, since the gates count in
      // database time.
      clock.set(clock.now() - 24 * HOUR);
      actor.send({ type: 'goalGenerator.submit', finding: fresh({ detector: 'external' }) });
      clock.advance(HOUR);
      expect(actor.getSnapshot().context.runs).toBe(1);
      clock.advance(24 * HOUR);
      const second = await waitFor(actor, (s) => s.context.runs === 2 && s.matches('idle'), { timeout: 15_000 });
      expect(second.context.lastRun!.outcomes[0]!.outcome).toBe('DETECTOR_RATE_LIMITED');
      actor.stop();
    });

    it('finishes a run when a detector fails, recording why', async () => {
      const clock = new SimulatedClock();
      const broken = { name: 'broken', scan: async (): Promise<Finding[]> => Promise.reject(new Error('no history')) };
      const actor = startGoalGenerator({ store, clock, detectors: [broken, createTaskFailureDetector()] });
      for (let i = 0; i < 3; i++) await fail('still-found');
      actor.send({ type: 'goalGenerator.run' });
      const done = await waitFor(actor, (s) => s.context.runs === 1 && s.matches('idle'), { timeout: 15_000 });
      expect(done.context.detectorErrors.broken).toContain('no history');
      expect(done.context.lastRun).toMatchObject({ accepted: 1 });
      actor.stop();
    });

    it('remembers a run requested while one is going and runs it next', async () => {
      const clock = new SimulatedClock();
      const actor = startGoalGenerator({ store, clock, detectors: [createTaskFailureDetector()] });
      actor.send({ type: 'goalGenerator.run' });
      actor.send({ type: 'goalGenerator.run' });
      await waitFor(actor, (s) => s.context.runs === 2 && s.matches('idle'), { timeout: 15_000 });
      actor.stop();
    });
  });
}

describe('gates across a restart', () => {
  const stores: Array<{ name: string; open(): Promise<Store>; cleanup(): Promise<void> }> = [];
  {
    let dir: string | undefined;
    stores.push({
      name: 'file-backed pglite',
      open: async () => {
        dir ??= mkdtempSync(join(tmpdir(), 'tether-gates-'));
        return openStore({ dataDir: dir });
      },
      cleanup: async () => {
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    });
  }
  if (postgresUrl) {
    let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
    stores.push({
      name: 'postgres',
      open: async () => {
        database ??= await createPostgresDatabase();
        return openStore({ url: database.url });
      },
      cleanup: async () => {
        await database?.drop();
      },
    });
  }

  for (const s of stores) {
    it(`keeps the per-detector and duplicate counts after closing and reopening the ${s.name} store`, async () => {
      try {
        let store = await s.open();
        expect((await evaluateFinding(store, finding({ subject: 'r1', detector: 'restart' }))).accepted).toBe(true);
        expect((await evaluateFinding(store, finding({ subject: 'r2', detector: 'restart' }))).accepted).toBe(true);
        await store.close();

        store = await s.open();
        expect((await evaluateFinding(store, finding({ subject: 'r3', detector: 'restart' }))).accepted).toBe(true);
        expect((await evaluateFinding(store, finding({ subject: 'r1 ', detector: 'restart2' }))).accepted).toBe(true);
        await store.close();

        store = await s.open();
        expect((await evaluateFinding(store, finding({ subject: 'r4', detector: 'restart' }))).outcome).toBe('DETECTOR_RATE_LIMITED');
        expect((await evaluateFinding(store, finding({ subject: ' r1', detector: 'restart' }))).outcome).toBe('DUPLICATE_GOAL');
        await store.close();
      } finally {
        await s.cleanup();
      }
    });
  }
});
