import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scriptedAuthor } from '../src/author/author.ts';
import { nodeTestRunner } from '../src/code-access/node-test-runner.ts';
import { createRepo } from '../src/code-access/repo.ts';
import { SAMPLE_FILES, FIXED_SLUG } from '../src/demo/sample-project.ts';
import { demoPublishHandler } from '../src/demo/demo-task.ts';
import { nodeFs } from '../src/git/node-fs.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { fixFromTrace } from '../src/planner/methods.ts';
import { createTether, type Tether } from '../src/runtime/create-tether.ts';
import { enqueueTasks } from '../src/scheduler/enqueue-task.ts';
import { makeRepo, tempDir } from './git-fixtures.ts';
import { openPGliteTestStore } from './support/stores.ts';

const APPROVER = { name: 'alice', role: 'approver' as const, secret: 'alice-secret-0123456789' };
const running: Tether[] = [];
afterEach(async () => {
  for (const t of running.splice(0)) {
    await t.stop();
    await t.services.store.close();
  }
});

async function loop(fix: string, options: { methods?: typeof fixFromTrace[] } = {}) {
  const disk = makeRepo(SAMPLE_FILES);
  const store = await openPGliteTestStore();
  const tether = await createTether({
    store,
    settings: { tokens: [APPROVER], repo: disk.dir, 'data-dir': tempDir('tether-data-') },
    repo: createRepo({ fs: nodeFs, dir: disk.dir, testCommand: 'node test/slug.test.js', sandboxRoot: tempDir('tether-sandbox-') }),
    testRunner: nodeTestRunner(),
    author: scriptedAuthor('fixer-bot', () => ({ title: 'Fix slugify', reason: 'join every word', changes: [{ path: 'src/slug.js', content: fix }] })),
    handlers: { 'demo.publish': demoPublishHandler(disk.dir) },
    scheduler: { pollMs: 50 },
    plannerTickMs: 50,
    ...(options.methods ? { methods: options.methods } : {}),
  });
  running.push(tether);
  return { disk, store, tether };
}

async function until<T>(what: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const auth = { Authorization: `Bearer ${APPROVER.secret}`, 'Content-Type': 'application/json' };

async function failThreeTimesAndDetect(tether: Tether) {
  const db = tether.services.store.db;
  await enqueueTasks(db, [1, 2, 3].map((i) => ({ type: 'demo.publish', payload: { title: `Hello Big World ${i}` }, maxAttempts: 1 })));
  tether.system.system.get('scheduler')!.send({ type: 'scheduler.tick' });
  await until(async () => {
    const rows = await db.selectFrom('task_executions').select('id').where('type', '=', 'demo.publish').where('status', '=', 'failed').execute();
    return rows.length >= 3 ? rows : undefined;
  });
  tether.system.system.get('goalGenerator')!.send({ type: 'goalGenerator.run' });
  return until(async () => db.selectFrom('goals').selectAll().where('kind', '=', 'fix-task-failure').executeTakeFirst());
}

describe('the whole loop on a real repository', () => {
  it('turns 3 failures into a goal, a plan, a tested branch, and after approval over HTTP a merge, with every step in the ledger', { timeout: 240_000 }, async () => {
    const { disk, tether } = await loop(FIXED_SLUG);
    const db = tether.services.store.db;
    const goal = await failThreeTimesAndDetect(tether);
    expect(goal.status).toBe('proposed'); // 3 failures: confidence 0.766, a person decides
    const approveGoal = await tether.app.request(`/api/goals/${goal.id}/approve`, { method: 'POST', headers: auth, body: '{}' });
    expect(approveGoal.status).toBe(200);

    const m = await until(async () => db.selectFrom('modifications').selectAll().where('goal_id', '=', goal.id).where('state', 'in', ['tested', 'failed']).executeTakeFirst(), 120_000);
    expect(m.state).toBe('tested');
    expect(readFileSync(join(disk.dir, 'src/slug.js'), 'utf8')).toBe(SAMPLE_FILES['src/slug.js']);

    const approve = await tether.app.request(`/api/modifications/${m.id}/approve`, { method: 'POST', headers: auth, body: JSON.stringify({ head: m.head_commit }) });
    expect(approve.status).toBe(200);
    await until(async () => ((await db.selectFrom('goals').select('status').where('id', '=', goal.id).executeTakeFirst())?.status === 'achieved' ? true : undefined));
    expect(readFileSync(join(disk.dir, 'src/slug.js'), 'utf8')).toBe(FIXED_SLUG);
    expect(disk.git('log', '-1', '--format=%(trailers:key=Tether-Approved-By,valueonly)', 'main')).toBe('alice');

    const types = (await db.selectFrom('ledger_entries').select('type').orderBy('seq').execute()).map((r) => r.type);
    const order = ['task.failed', 'goal.created', 'goal.proposal.accepted', 'goal.approved', 'plan.created', 'goal.started', 'modification.proposed', 'modification.branched', 'modification.tested', 'modification.approved', 'modification.merged', 'plan.succeeded', 'goal.achieved'];
    let at = -1;
    for (const type of order) {
      const next = types.indexOf(type, at + 1);
      expect(next, `${type} after position ${at} in ${types.join(', ')}`).toBeGreaterThan(at);
      at = next;
    }
    expect((await verifyLedger(db, { snapshot: false })).ok).toBe(true);
  });

  it('fails the modification when the branch tests fail, merges nothing, and stops re-planning at its bound', { timeout: 240_000 }, async () => {
    const broken = SAMPLE_FILES['src/slug.js']!.replace("replace(' ', '-')", "replace(' ', '_')");
    const methods = ['a', 'b', 'c', 'd'].map((n) => ({ ...fixFromTrace, name: `fix-from-trace-${n}` }));
    const { disk, tether } = await loop(broken, { methods });
    const db = tether.services.store.db;
    const main = disk.git('rev-parse', 'main');
    const goal = await failThreeTimesAndDetect(tether);
    await tether.app.request(`/api/goals/${goal.id}/approve`, { method: 'POST', headers: auth, body: '{}' });
    await until(async () => ((await db.selectFrom('goals').select('status').where('id', '=', goal.id).executeTakeFirst())?.status === 'failed' ? true : undefined), 180_000);

    const plans = await db.selectFrom('plans').select(['method', 'status']).where('goal_id', '=', goal.id).orderBy('attempt').execute();
    expect(plans.map((p) => p.status)).toEqual(['failed', 'failed', 'failed']);
    const mods = await db.selectFrom('modifications').select(['state', 'error']).where('goal_id', '=', goal.id).execute();
    expect(mods).toHaveLength(3);
    expect(mods.every((x) => x.state === 'failed')).toBe(true);
    expect(disk.git('rev-parse', 'main')).toBe(main);
    const exhausted = await db.selectFrom('ledger_entries').select('payload').where('type', '=', 'plan.exhausted').execute();
    expect(exhausted).toHaveLength(1);
    expect((await verifyLedger(db, { snapshot: false })).ok).toBe(true);
  });
});
