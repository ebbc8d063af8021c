import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActor, type AnyActorRef } from 'xstate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCodeAccessLogic } from '../actors/code-access.ts';
import { CodeAccess } from '../src/code-access/code-access.ts';
import { nodeTestRunner } from '../src/code-access/node-test-runner.ts';
import { createRepo, type Repo } from '../src/code-access/repo.ts';
import type { StepDeps } from '../src/code-access/steps.ts';
import { noTestRunner } from '../src/code-access/test-runner.ts';
import { isTetherError } from '../src/errors.ts';
import { SimulatedClock } from '../src/ports/clock.ts';
import type { Store } from '../src/store/open-store.ts';
import { backends as repoBackends, makeRepo, onBackend, tempDir, type DiskRepo } from './git-fixtures.ts';
import { openPGliteTestStore } from './support/stores.ts';

const FILES = {
  'package.json': '{"name":"sample","scripts":{"test":"node check.js"}}\n',
  'check.js': "const { add } = require('./src/math.js');\nif (add(2, 2) !== 4) { console.error('add is broken'); process.exit(1); }\nconsole.log('ok');\n",
  'src/math.js': 'exports.add = (a, b) => a - b;\n',
  'README.md': 'sample\n',
};

const FIX = 'exports.add = (a, b) => a + b;\n';

interface Harness {
  store: Store;
  repo: Repo;
  disk: DiskRepo;
  clock: SimulatedClock;
  actor: AnyActorRef;
  code: CodeAccess;
  restart(): void;
}

let store: Store;
beforeAll(async () => {
  store = await openPGliteTestStore();
});
afterAll(async () => store?.close());

const started: AnyActorRef[] = [];
afterEach(() => {
  for (const a of started.splice(0)) a.stop();
});

async function harness(options: { backend?: 'disk' | 'memory'; tests?: boolean; maxOpenBranches?: number } = {}): Promise<Harness> {
  const disk = makeRepo(FILES);
  const backend = await onBackend(options.backend ?? 'disk', disk);
  const onDisk = backend.name === 'disk';
  const repo = createRepo({
    fs: backend.fs,
    dir: backend.dir,
    gitdir: backend.gitdir,
    testCommand: onDisk && options.tests !== false ? 'node check.js' : undefined,
    sandboxRoot: tempDir('tether-sandbox-'),
    hasWorktree: onDisk,
    maxOpenBranches: options.maxOpenBranches ?? 1000,
    approvalTtlMs: 60_000,
  });
  const clock = new SimulatedClock(Date.now());
  const deps: StepDeps = { db: store.db, repo, tests: onDisk ? nodeTestRunner() : noTestRunner, now: () => clock.now() };
  const h = { store, repo, disk, clock } as Harness;
  const start = () => {
    h.actor = createActor(createCodeAccessLogic(deps), { clock, systemId: 'codeAccess' });
    started.push(h.actor);
    h.actor.start();
  };
  h.restart = () => {
    h.actor.stop();
    start();
  };
  start();
  h.code = new CodeAccess({ db: store.db, repo, now: () => clock.now(), actor: () => h.actor });
  return h;
}

async function ledgerTypes(modificationId: string): Promise<string[]> {
  const rows = await store.db.selectFrom('ledger_entries').select('type').where('subject', '=', modificationId).orderBy('seq').execute();
  return rows.map((r) => r.type);
}

describe('a modification on a repository on disk', () => {
  it('goes proposed → branched → tested → approved → merged, never touching the working tree before the merge', async () => {
    const h = await harness();
    const statusBefore = h.disk.git('status', '--porcelain');
    const indexBefore = readFileSync(join(h.disk.gitdir, 'index'));
    const m = await h.code.submit({ title: 'Fix add', reason: 'add subtracts', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    expect(m.state).toBe('proposed');
    expect(m.branch).toBe(`tether/${m.goalId}/${m.id}`);

    const tested = await h.code.waitFor(m.id, ['tested', 'failed']);
    expect(tested.state).toBe('tested');
    expect(tested.testResult?.exitCode).toBe(0);
    expect(h.disk.git('status', '--porcelain')).toBe(statusBefore);
    expect(readFileSync(join(h.disk.gitdir, 'index')).equals(indexBefore)).toBe(true);
    expect(readFileSync(join(h.disk.dir, 'src/math.js'), 'utf8')).toBe(FILES['src/math.js']);
    expect(h.disk.git('log', '-1', '--format=%(trailers:key=Tether-Modification,valueonly)', tested.head!)).toBe(m.id);

    const diff = await h.code.diff(m.id);
    expect(diff).toContain('-exports.add = (a, b) => a - b;');
    expect(diff).toContain('+exports.add = (a, b) => a + b;');

    await h.code.decide(m.id, { kind: 'approve', by: 'bob', head: tested.head! });
    const merged = await h.code.waitFor(m.id);
    expect(merged.state).toBe('merged');
    expect(h.disk.git('rev-parse', 'main')).toBe(merged.mergeCommit);
    expect(h.disk.git('log', '-1', '--format=%(trailers:key=Tether-Approved-By,valueonly)', 'main')).toBe('bob');
    expect(readFileSync(join(h.disk.dir, 'src/math.js'), 'utf8')).toBe(FIX);
    expect(h.disk.git('status', '--porcelain')).toBe('');
    await expect.poll(() => h.disk.git('branch', '--list', 'tether/*')).toBe('');
    h.disk.git('fsck', '--strict');
    const goal = await store.db.selectFrom('goals').select(['status', 'source']).where('id', '=', m.goalId).executeTakeFirstOrThrow();
    expect(goal).toEqual({ status: 'achieved', source: 'collaborative' });
    expect(await ledgerTypes(m.id)).toEqual([
      'modification.proposed',
      'modification.branched',
      'modification.tested',
      'modification.approved',
      'modification.merged',
    ]);
  });

  it('fails when the tests fail on the branch, merges nothing and deletes the branch', async () => {
    const h = await harness();
    const main = h.disk.git('rev-parse', 'main');
    const m = await h.code.submit({ title: 'Break more', author: 'agent-a', changes: [{ path: 'src/math.js', content: 'exports.add = () => 0;\n' }] });
    const done = await h.code.waitFor(m.id);
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('TESTS_FAILED');
    expect(done.testResult?.outputTail).toContain('add is broken');
    expect(h.disk.git('rev-parse', 'main')).toBe(main);
    await expect.poll(() => h.disk.git('branch', '--list', 'tether/*')).toBe('');
    const refused = await h.code.decide(m.id, { kind: 'approve', by: 'bob' }).catch((e: unknown) => e);
    expect(isTetherError(refused, 'INVALID_TRANSITION')).toBe(true);
  });

  it('is rejected by a person, and the branch is gone', async () => {
    const h = await harness();
    const m = await h.code.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    await h.code.waitFor(m.id, ['tested']);
    await h.code.decide(m.id, { kind: 'reject', by: 'bob', comment: 'not like this' });
    expect((await h.code.waitFor(m.id)).state).toBe('rejected');
    expect(await ledgerTypes(m.id)).toContain('modification.rejected');
  });

  it('refuses self-approval and a stale head, and records both refusals', async () => {
    const h = await harness();
    const m = await h.code.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    await h.code.waitFor(m.id, ['tested']);
    const self = await h.code.decide(m.id, { kind: 'approve', by: 'agent-a' }).catch((e: unknown) => e);
    expect(isTetherError(self, 'SELF_APPROVAL_FORBIDDEN')).toBe(true);
    const stale = await h.code.decide(m.id, { kind: 'approve', by: 'bob', head: '0'.repeat(40) }).catch((e: unknown) => e);
    expect(isTetherError(stale, 'STALE_APPROVAL')).toBe(true);
    expect((await h.code.get(m.id)).state).toBe('tested');
    const refusals = await store.db.selectFrom('ledger_entries').select('payload').where('type', '=', 'modification.approve_refused').execute();
    const codes = refusals.map((r) => (r.payload as { code: string }).code);
    expect(codes).toEqual(expect.arrayContaining(['SELF_APPROVAL_FORBIDDEN', 'STALE_APPROVAL']));
  });

  it('lets exactly one of two racing approvals through', async () => {
    const h = await harness();
    const m = await h.code.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    await h.code.waitFor(m.id, ['tested']);
    const results = await Promise.allSettled([h.code.decide(m.id, { kind: 'approve', by: 'bob' }), h.code.decide(m.id, { kind: 'approve', by: 'carol' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isTetherError(loser.reason, 'INVALID_TRANSITION')).toBe(true);
    expect((await h.code.waitFor(m.id)).state).toBe('merged');
  });

  it('expires to abandoned when nobody decides before the deadline', async () => {
    const h = await harness();
    const m = await h.code.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    await h.code.waitFor(m.id, ['tested']);
    h.clock.advance(60_001);
    const done = await h.code.waitFor(m.id);
    expect(done.state).toBe('abandoned');
    expect(await ledgerTypes(m.id)).toContain('modification.abandoned');
  });

  it('refuses to merge over uncommitted changes, leaves them byte-identical, and merges once the tree is clean', async () => {
    const h = await harness();
    const m = await h.code.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    await h.code.waitFor(m.id, ['tested']);
    const dirty = 'exports.add = (a, b) => a * b; // work in progress\n';
    writeFileSync(join(h.disk.dir, 'src/math.js'), dirty);
    const main = h.disk.git('rev-parse', 'main');
    await h.code.decide(m.id, { kind: 'approve', by: 'bob' });
    await expect.poll(async () => (await h.code.get(m.id)).error?.code, { timeout: 20_000 }).toBe('DIRTY_WORKTREE');
    expect((await h.code.get(m.id)).state).toBe('approved');
    expect(readFileSync(join(h.disk.dir, 'src/math.js'), 'utf8')).toBe(dirty);
    expect(h.disk.git('rev-parse', 'main')).toBe(main);

    h.disk.git('checkout', '--', 'src/math.js');
    h.code.retryMerge(m.id);
    expect((await h.code.waitFor(m.id)).state).toBe('merged');
    expect(readFileSync(join(h.disk.dir, 'src/math.js'), 'utf8')).toBe(FIX);
  });

  it('ends conflicted when the target moved with a clashing change, naming the paths', async () => {
    const h = await harness();
    const m = await h.code.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    await h.code.waitFor(m.id, ['tested']);
    writeFileSync(join(h.disk.dir, 'src/math.js'), 'exports.add = (a, b) => b + a;\n');
    h.disk.git('commit', '-qam', 'someone else fixed it differently');
    await h.code.decide(m.id, { kind: 'approve', by: 'bob' });
    const done = await h.code.waitFor(m.id);
    expect(done.state).toBe('conflicted');
    expect(done.conflictPaths).toEqual(['src/math.js']);
    expect(h.disk.git('status', '--porcelain')).toBe('');
  });

  it('refuses paths outside the policy before writing anything, with a ledger entry', async () => {
    const h = await harness();
    for (const [path, code] of [
      ['../../etc/passwd', 'PATH_OUTSIDE_ROOT'],
      ['/etc/passwd', 'PATH_ABSOLUTE'],
      ['.git/config', 'GIT_INTERNALS_DENIED'],
      ['.ENV', 'PATH_PROTECTED'],
      ['src\\..\\..\\x', 'PATH_INVALID'],
    ] as const) {
      const error = await h.code.submit({ title: 'attack', author: 'agent-a', changes: [{ path, content: 'x' }] }).catch((e: unknown) => e);
      expect(isTetherError(error, code), `${path} → ${code}`).toBe(true);
    }
    const denied = await store.db.selectFrom('ledger_entries').select('payload').where('type', '=', 'code.denied').execute();
    expect(denied.length).toBeGreaterThanOrEqual(5);
    expect(h.disk.git('branch', '--list', 'tether/*')).toBe('');
  });

  it('refuses a proposal past the open-branch cap with BRANCH_CAP', async () => {
    const capped = await harness({ maxOpenBranches: 0 });
    const error = await capped.code.submit({ title: 'one too many', author: 'agent-a', changes: [{ path: 'README.md', content: 'x\n' }] }).catch((e: unknown) => e);
    expect(isTetherError(error, 'BRANCH_CAP')).toBe(true);
  });

  it('resumes after a restart while waiting for approval and while approved', async () => {
    const h = await harness();
    const m = await h.code.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    await h.code.waitFor(m.id, ['tested']);
    h.restart();
    // Recorded while no actor runs: the approval survives, and the restarted actor merges.
    h.actor.stop();
    const offline = new CodeAccess({ db: store.db, repo: h.repo, now: () => h.clock.now(), actor: () => undefined });
    await offline.decide(m.id, { kind: 'approve', by: 'bob' });
    expect((await h.code.get(m.id)).state).toBe('approved');
    h.restart();
    expect((await h.code.waitFor(m.id)).state).toBe('merged');
  });

  it('resumes a proposal whose process died before branching', async () => {
    const h = await harness();
    h.actor.stop();
    const offline = new CodeAccess({ db: store.db, repo: h.repo, now: () => h.clock.now(), actor: () => undefined });
    const m = await offline.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    expect((await h.code.get(m.id)).state).toBe('proposed');
    h.restart();
    expect((await h.code.waitFor(m.id, ['tested'])).state).toBe('tested');
  });
});

describe('a restart while the branch is being tested', () => {
  it('resumes a branched modification: the tests run again and it reaches tested', async () => {
    const h = await harness();
    // The first process hangs in its test run, then dies.
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const hanging: StepDeps = { db: store.db, repo: h.repo, tests: { run: () => (started(), new Promise(() => {})) }, now: () => h.clock.now() };
    h.actor.stop();
    const first = createActor(createCodeAccessLogic(hanging), { clock: h.clock });
    first.start();
    const m = await h.code.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    first.send({ type: 'codeAccess.track', modification: { id: m.id, goalId: m.goalId, author: m.author, branch: m.branch, baseCommit: m.baseCommit, head: null, state: 'proposed', expiresInMs: 60_000 } });
    await running;
    expect((await h.code.get(m.id)).state).toBe('branched');
    first.stop();
    // The next process resumes it from the store.
    h.restart();
    const done = await h.code.waitFor(m.id, ['tested', 'failed']);
    expect(done.state).toBe('tested');
    expect(done.testResult?.exitCode).toBe(0);
  });
});

describe('a modification on an in-memory repository (LightningFS)', () => {
  it('goes from proposed to merged without a working tree', async () => {
    const h = await harness({ backend: 'memory' });
    const m = await h.code.submit({ title: 'Fix add', author: 'agent-a', changes: [{ path: 'src/math.js', content: FIX }] });
    const tested = await h.code.waitFor(m.id, ['tested', 'failed']);
    expect(tested.state).toBe('tested');
    await h.code.decide(m.id, { kind: 'approve', by: 'bob' });
    const merged = await h.code.waitFor(m.id);
    expect(merged.state).toBe('merged');
    const read = await h.code.read('src/math.js', { actor: 'test' });
    expect(read.content).toBe(FIX);
  });
});

it('the backends the git fixtures offer are the two this file uses', () => {
  expect([...repoBackends]).toEqual(['disk', 'memory']);
});
