import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { isTetherError } from '../src/errors.ts';
import {
  approveGoal,
  createGoal,
  getGoal,
  listGoals,
  nextGoalStatus,
  rejectGoal,
  transitionGoal,
} from '../src/goals/goal-store.ts';
import type { Store } from '../src/store/open-store.ts';
import { goalMachine } from '../machines/goal.ts';
import { backends } from './support/stores.ts';
import { flushLedger } from '../src/ledger/ledger-writer.ts';

const code = (c: string) => (e: unknown) => isTetherError(e) && e.code === c;

describe('the goal statechart', () => {
  it('walks proposed → active → in_progress → achieved', () => {
    expect(nextGoalStatus('proposed', { type: 'goal.approve', approver: 'alice' })).toBe('active');
    expect(nextGoalStatus('active', { type: 'goal.start' })).toBe('in_progress');
    expect(nextGoalStatus('in_progress', { type: 'goal.achieve' })).toBe('achieved');
  });

  it('ends in failed, abandoned or rejected, and nothing leaves a final state', () => {
    expect(nextGoalStatus('in_progress', { type: 'goal.fail', reason: 'tests keep failing' })).toBe('failed');
    expect(nextGoalStatus('active', { type: 'goal.abandon' })).toBe('abandoned');
    expect(nextGoalStatus('proposed', { type: 'goal.reject', approver: 'bob' })).toBe('rejected');
    for (const status of ['achieved', 'failed', 'abandoned', 'rejected'] as const) {
      expect(nextGoalStatus(status, { type: 'goal.start' })).toBeUndefined();
      expect(nextGoalStatus(status, { type: 'goal.approve', approver: 'alice' })).toBeUndefined();
    }
  });

  it('refuses skipping a step and an approval without an approver', () => {
    expect(nextGoalStatus('proposed', { type: 'goal.start' })).toBeUndefined();
    expect(nextGoalStatus('active', { type: 'goal.achieve' })).toBeUndefined();
    expect(nextGoalStatus('proposed', { type: 'goal.approve', approver: '  ' })).toBeUndefined();
  });

  it('records who decided in the machine context', () => {
    const snapshot = goalMachine.resolveState({ value: 'proposed', context: { autoApproved: false, decidedBy: null, reason: null } });
    const [next] = transition(goalMachine, snapshot, { type: 'goal.reject', approver: 'bob', comment: 'not now' });
    expect(next.value).toBe('rejected');
    expect(next.context).toMatchObject({ decidedBy: 'bob', reason: 'not now' });
  });
});

for (const backend of backends) {
  describe(`goal store on ${backend.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    // On PostgreSQL entries are queued at commit and chained shortly after: flush before reading.
    const entriesFor = async (id: string) => {
      await flushLedger(store.db);
      return store.db.selectFrom('ledger_entries').select(['type', 'actor', 'payload']).where('subject', '=', id).orderBy('seq').execute();
    };

    it('creates a goal with its source, creator, evidence and a goal.created ledger entry', async () => {
      const goal = await createGoal(store.db, {
        title: 'Speed up the nightly build',
        kind: 'improve',
        source: 'user',
        createdBy: 'alice',
        priority: 2,
        evidence: { note: 'takes 40 minutes' },
      });
      expect(goal).toMatchObject({ status: 'proposed', source: 'user', createdBy: 'alice', autoApproved: false, priority: 2 });
      expect(goal.evidence).toEqual({ note: 'takes 40 minutes' });
      expect(await getGoal(store.db, goal.id)).toEqual(goal);
      const entries = await entriesFor(goal.id);
      expect(entries.map((e) => e.type)).toEqual(['goal.created']);
      expect(entries[0]!.actor).toBe('alice');
    });

    it('refuses a goal without a title or with an unknown source', async () => {
      await expect(createGoal(store.db, { title: '', kind: 'k', source: 'user', createdBy: 'a' })).rejects.toSatisfy(code('VALIDATION_FAILED'));
      await expect(
        createGoal(store.db, { title: 't', kind: 'k', source: 'robot' as 'user', createdBy: 'a' }),
      ).rejects.toSatisfy(code('VALIDATION_FAILED'));
    });

    it('lets a person approve a proposed goal, recording the approval and its ledger entry', async () => {
      const goal = await createGoal(store.db, { title: 'Approve me', kind: 'k', source: 'collaborative', createdBy: 'agent-7' });
      const approved = await approveGoal(store.db, goal.id, { approver: 'alice', comment: 'go ahead' });
      expect(approved.status).toBe('active');
      const approval = await store.db.selectFrom('approvals').selectAll().where('subject_id', '=', goal.id).executeTakeFirstOrThrow();
      expect(approval).toMatchObject({ subject_kind: 'goal', decision: 'approved', approver: 'alice', comment: 'go ahead' });
      const entries = await entriesFor(goal.id);
      expect(entries.map((e) => e.type)).toEqual(['goal.created', 'goal.approved']);
      expect(entries[1]!.payload).toMatchObject({ from: 'proposed', to: 'active', approver: 'alice' });
    });

    it('lets a person reject a proposed goal, and a decided goal cannot be decided again', async () => {
      const goal = await createGoal(store.db, { title: 'Reject me', kind: 'k', source: 'user', createdBy: 'bob' });
      expect((await rejectGoal(store.db, goal.id, { approver: 'alice' })).status).toBe('rejected');
      await expect(approveGoal(store.db, goal.id, { approver: 'carol' })).rejects.toSatisfy(code('INVALID_TRANSITION'));
      const approvals = await store.db.selectFrom('approvals').select('decision').where('subject_id', '=', goal.id).execute();
      expect(approvals).toEqual([{ decision: 'rejected' }]);
    });

    it('refuses a decision that names no approver', async () => {
      const goal = await createGoal(store.db, { title: 'Nobody', kind: 'k', source: 'user', createdBy: 'bob' });
      await expect(approveGoal(store.db, goal.id, { approver: ' ' })).rejects.toSatisfy(code('VALIDATION_FAILED'));
    });

    it('runs an active goal to achieved, writing each step to the ledger', async () => {
      const goal = await createGoal(store.db, { title: 'Run me', kind: 'k', source: 'system', createdBy: 'taskFailure', status: 'active', autoApproved: true });
      await transitionGoal(store.db, goal.id, { type: 'goal.start' }, { actor: 'planner' });
      const done = await transitionGoal(store.db, goal.id, { type: 'goal.achieve' }, { actor: 'planner' });
      expect(done.status).toBe('achieved');
      expect((await entriesFor(goal.id)).map((e) => e.type)).toEqual(['goal.created', 'goal.started', 'goal.achieved']);
    });

    it('refuses an invalid transition with INVALID_TRANSITION and changes nothing', async () => {
      const goal = await createGoal(store.db, { title: 'Stay', kind: 'k', source: 'user', createdBy: 'bob' });
      await expect(transitionGoal(store.db, goal.id, { type: 'goal.achieve' }, { actor: 'planner' })).rejects.toSatisfy(
        code('INVALID_TRANSITION'),
      );
      expect((await getGoal(store.db, goal.id)).status).toBe('proposed');
      expect((await entriesFor(goal.id)).map((e) => e.type)).toEqual(['goal.created']);
    });

    it('answers NOT_FOUND for an unknown goal', async () => {
      await expect(getGoal(store.db, 'goal_missing')).rejects.toSatisfy(code('NOT_FOUND'));
      await expect(transitionGoal(store.db, 'goal_missing', { type: 'goal.start' }, { actor: 'x' })).rejects.toSatisfy(code('NOT_FOUND'));
    });

    it('lets only one of two racing approvals through', async () => {
      const goal = await createGoal(store.db, { title: 'Race', kind: 'k', source: 'user', createdBy: 'bob' });
      const results = await Promise.allSettled([
        approveGoal(store.db, goal.id, { approver: 'alice' }),
        approveGoal(store.db, goal.id, { approver: 'carol' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const approvals = await store.db.selectFrom('approvals').select('approver').where('subject_id', '=', goal.id).execute();
      expect(approvals).toHaveLength(1);
    });

    it('lists goals filtered by status and source', async () => {
      const g = await createGoal(store.db, { title: 'Listed', kind: 'k', source: 'collaborative', createdBy: 'agent-1', status: 'active' });
      const active = await listGoals(store.db, { status: 'active' });
      expect(active.every((x) => x.status === 'active')).toBe(true);
      expect(active.map((x) => x.id)).toContain(g.id);
      const collaborative = await listGoals(store.db, { status: ['active', 'proposed'], source: 'collaborative' });
      expect(collaborative.every((x) => x.source === 'collaborative')).toBe(true);
      await expect(listGoals(store.db, { status: 'done' as 'active' })).rejects.toSatisfy(code('VALIDATION_FAILED'));
    });
  });
}
