/**
 * `tether demo`: the whole loop on a sample project, through the production code paths.
 * A task fails until the task-failure detector fires; the goal is planned, a fix is
 * branched and tested, and the demo waits for a person to approve it (review page, HTTP or
 * `tether approve`). After the merge it verifies the ledger. Only the author is scripted.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { TetherConfig, TokenConfig } from '../config.ts';
import { createTether, type Tether } from '../runtime/create-tether.ts';
import { scriptedAuthor } from '../author/author.ts';
import { enqueueTasks } from '../scheduler/enqueue-task.ts';
import { getGoal, listGoals } from '../goals/goal-store.ts';
import { listModifications } from '../code-access/modification-store.ts';
import { verifyLedger } from '../ledger/index.ts';
import { repoFromConfig } from '../runtime/repo-from-config.ts';
import { demoPublishHandler } from './demo-task.ts';
import { ensureSampleProject, FIXED_SLUG } from './sample-project.ts';

export interface DemoIo {
  out(line: string): void;
  listen(tether: Tether): Promise<{ port: number; close(): Promise<void> }>;
  /** Resolves when the person stops the demo. */
  stopSignal: Promise<string>;
}

/** Failures it takes for the detector's confidence to pass 0.9 (auto-approval). */
const FAILING_RUNS = 7;

function generateTokens(): TokenConfig[] {
  const secret = () => randomBytes(18).toString('base64url');
  return [
    { name: 'demo-approver', role: 'approver', secret: secret() },
    { name: 'demo-viewer', role: 'viewer', secret: secret() },
    { name: 'demo-agent', role: 'agent', secret: secret() },
  ];
}

async function until<T>(what: () => Promise<T | undefined>, stop: Promise<string>, intervalMs = 200): Promise<T | undefined> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  for (;;) {
    const value = await what();
    if (value !== undefined) return value;
    if (stopped) return undefined;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function runDemo(baseConfig: TetherConfig, io: DemoIo): Promise<number> {
  const repoDir = resolve(baseConfig.repo === '.' ? resolve(baseConfig.dataDir, 'demo') : baseConfig.repo);
  const { created } = await ensureSampleProject(repoDir);
  io.out(`demo: sample project ${created ? 'created' : 'reused'} at ${repoDir}`);
  const tokens = baseConfig.tokens.length ? baseConfig.tokens : generateTokens();
  const config: TetherConfig = { ...baseConfig, repo: repoDir, tokens };
  const tether = await createTether({
    config,
    repo: repoFromConfig(config, { testCommand: config.testCommand ?? 'node test/slug.test.js' }),
    author: scriptedAuthor('demo-author', () => ({
      title: 'Join every word of a slug with a dash',
      reason: 'slugify replaced only the first space, so titles of three words or more got wrong slugs.',
      changes: [{ path: 'src/slug.js', content: FIXED_SLUG }],
    })),
    handlers: { 'demo.publish': demoPublishHandler(repoDir) },
    scheduler: { pollMs: 100 },
    plannerTickMs: 200,
  });
  const server = await io.listen(tether);
  const base = `http://${config.host}:${server.port}`;
  const db = tether.services.store.db;
  try {
    const existing = (await listGoals(db, { status: ['active', 'in_progress', 'achieved'] })).find((g) => g.kind === 'fix-task-failure');
    if (!existing) {
      await enqueueTasks(
        db,
        Array.from({ length: FAILING_RUNS }, (_, i) => ({ type: 'demo.publish', payload: { title: `Hello Big World ${i + 1}` }, maxAttempts: 1 })),
      );
      tether.system.system.get('scheduler')?.send({ type: 'scheduler.tick' });
      const failures = await until(async () => {
        const row = await db
          .selectFrom('task_executions')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('type', '=', 'demo.publish')
          .where('status', '=', 'failed')
          .executeTakeFirst();
        return Number(row?.n ?? 0) >= FAILING_RUNS ? Number(row!.n) : undefined;
      }, io.stopSignal);
      if (failures === undefined) return 0;
      io.out(`demo: task demo.publish failed ${failures} times`);
      tether.system.system.get('goalGenerator')?.send({ type: 'goalGenerator.run' });
    }
    const goal = await until(async () => (await listGoals(db, {})).find((g) => g.kind === 'fix-task-failure'), io.stopSignal);
    if (!goal) return 0;
    io.out(`demo: goal ${goal.id} "${goal.title}" (${goal.status}, confidence ${goal.confidence ?? 'n/a'})`);
    const waiting = await until(async () => {
      const [m] = await listModifications(db, { goalId: goal.id, limit: 1 });
      return m && m.state !== 'proposed' && m.state !== 'branched' ? m : undefined;
    }, io.stopSignal);
    if (!waiting) return 0;
    const approver = tokens.find((t) => t.role === 'approver');
    if (waiting.state === 'tested') {
      io.out(`demo: modification ${waiting.id} tested on branch ${waiting.branch}: waiting for approval`);
      io.out(`Review page:    ${base}/`);
      if (approver) {
        io.out(`Approver token: ${approver.secret}   (name: ${approver.name})`);
        io.out(`Approve with:   TETHER_TOKEN=${approver.secret} npx tether approve ${waiting.id} --port ${server.port}`);
        io.out(`or:             curl -X POST -H 'Authorization: Bearer ${approver.secret}' -H 'Content-Type: application/json' -d '{}' ${base}/api/modifications/${waiting.id}/approve`);
      }
    }
    const done = await until(async () => {
      const m = await tether.services.codeAccess.get(waiting.id);
      return ['merged', 'rejected', 'failed', 'conflicted', 'abandoned'].includes(m.state) ? m : undefined;
    }, io.stopSignal, 300);
    if (done) {
      io.out(`demo: modification ${done.id} ${done.state}${done.mergeCommit ? ` (merge commit ${done.mergeCommit.slice(0, 12)})` : ''}`);
      // The planner closes the goal on its next tick after the merge: wait for it, so the
      // story (and the ledger verified below) ends with the goal's outcome.
      const closed = await until(async () => {
        const g = await getGoal(db, goal.id);
        return ['achieved', 'failed', 'abandoned', 'rejected'].includes(g.status) ? g : undefined;
      }, io.stopSignal);
      if (closed) io.out(`demo: goal ${closed.id} ${closed.status}`);
      const verification = await verifyLedger(db, { snapshot: false });
      io.out(`demo: ledger verify: ${verification.ok ? `ok (${verification.checked} entries)` : `${verification.code} at ${verification.seq}`}`);
      io.out('demo: still serving; Ctrl-C to stop.');
      await io.stopSignal;
    }
    return 0;
  } finally {
    await server.close();
    await tether.stop();
  }
}
