/**
 * Several Tether processes on one PostgreSQL database (issue 8). The end-to-end part runs
 * real `tether serve` processes and needs a server: it runs when TETHER_TEST_DATABASE_URL
 * is set (CI sets it) and is reported as skipped otherwise. The rest always runs.
 */
import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createCluster } from '../actors/cluster.ts';
import { advisoryLockElection, GENERATOR_LOCK_KEY } from '../src/cluster/leader-election.ts';
import { claimModification, claimModifications, releaseModifications, renewModifications } from '../src/cluster/modification-leases.ts';
import { pendingDecision } from '../src/cluster/pending-decision.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { enqueueTasks } from '../src/scheduler/enqueue-task.ts';
import { NOOP_TASK } from '../src/scheduler/noop-handler.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { makeRepo } from './git-fixtures.ts';
import { exited } from './support/cli.ts';
import { AGENT_SECRET, api, APPROVER_SECRET, startNode, waitUntil, type Node } from './support/cluster.ts';
import { createPostgresDatabase, openPGliteTestStore, postgresUrl } from './support/stores.ts';

const NEEDS_POSTGRES = 'needs a PostgreSQL server: set TETHER_TEST_DATABASE_URL';

describe('decisions taken in another process', () => {
  const held = { id: 'm1', head: 'abc', decision: null, approver: null };

  it('are forwarded to the owner only while its actor still waits in tested', () => {
    expect(pendingDecision({ ...held, state: 'approved', decision: 'approve', approver: 'alice' }, 'tested')).toEqual({
      type: 'modification.approve',
      approver: 'alice',
      head: 'abc',
    });
    expect(pendingDecision({ ...held, state: 'rejected', decision: 'reject', approver: 'bob' }, 'tested')).toEqual({ type: 'modification.reject', by: 'bob' });
    // Already seen (the actor moved on) or nothing decided: nothing to send.
    expect(pendingDecision({ ...held, state: 'approved', decision: 'approve', approver: 'alice' }, 'approved')).toBeUndefined();
    expect(pendingDecision({ ...held, state: 'tested' }, 'tested')).toBeUndefined();
    expect(pendingDecision({ ...held, state: 'abandoned' }, 'branched')).toEqual({ type: 'modification.withdraw', by: 'unknown' });
  });
});

describe('the embedded store', () => {
  it('is single-process, so its process always leads and leases nothing', { timeout: 60_000 }, async () => {
    const store = await openPGliteTestStore();
    try {
      const cluster = await createCluster(store, 'proc_a', () => Date.now());
      expect(cluster.clustered).toBe(false);
      expect(cluster.election.isLeader()).toBe(true);
      expect(cluster.claim).toBeUndefined();
      await cluster.stop();
    } finally {
      await store.close();
    }
  });
});

describe.runIf(postgresUrl)(`coordination primitives on PostgreSQL (${NEEDS_POSTGRES})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const urls = new WeakMap<Store, string>();
  const urlOf = (store: Store) => urls.get(store)!;
  async function freshStores(n: number): Promise<Store[]> {
    const database = await createPostgresDatabase('tether_cl');
    const stores: Store[] = [];
    for (let i = 0; i < n; i++) {
      const store = await openStore({ url: database.url, poolSize: 3 });
      urls.set(store, database.url);
      stores.push(store);
    }
    cleanups.push(async () => {
      for (const s of stores) await s.close();
      await database.drop();
    });
    return stores;
  }

  it('elects one leader, and another takes over when the leader’s connection dies', { timeout: 60_000 }, async () => {
    const [a, b] = await freshStores(2);
    // One with a connection of its own (as serve runs it), one borrowing from the pool (an embedder's store).
    const first = advisoryLockElection(a!.db, { pollMs: 100, url: urlOf(a!) });
    const second = advisoryLockElection(b!.db, { pollMs: 100 });
    await first.start();
    await second.start();
    expect([first.isLeader(), second.isLeader()]).toEqual([true, false]);
    // Kill the leader's session from outside, as a crash would.
    await sql`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and objid = ${GENERATOR_LOCK_KEY} and granted`.execute(b!.db);
    await waitUntil('the follower to lead', async () => second.isLeader(), 10_000, 50);
    await waitUntil('the old leader to notice', async () => !first.isLeader(), 10_000, 50);
    await first.stop();
    await second.stop();
  });

  it('lets exactly one process claim a modification, and another take it over once the lease expires', { timeout: 60_000 }, async () => {
    const [a, b] = await freshStores(2);
    const db = a!.db;
    await sql`insert into goals (id, title, description, kind, status, source, created_by, evidence) values ('g1', 't', 'd', 'manual', 'active', 'person', 'p', '{}')`.execute(db);
    for (const id of ['m1', 'm2', 'm3']) {
      await sql`insert into modifications (id, goal_id, title, reason, author, state, branch, target_ref, changes, files)
                values (${id}, 'g1', 't', '', 'agent', 'proposed', ${`tether/${id}`}, 'refs/heads/main', '[]', '[]')`.execute(db);
    }
    const [x, y] = await Promise.all([claimModifications(a!.db, 'A', 300), claimModifications(b!.db, 'B', 300)]);
    expect([...x, ...y].map((r) => r.id).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(await claimModification(b!.db, 'B', 'm1', 300)).toBe(x.some((r) => r.id === 'm1') ? false : true);
    // A stops renewing; after the lease runs out B claims everything A held.
    await new Promise((r) => setTimeout(r, 400));
    await renewModifications(b!.db, 'B', y.map((r) => r.id), 5000);
    const taken = await claimModifications(b!.db, 'B', 5000);
    expect(taken.map((r) => r.id).sort()).toEqual(x.map((r) => r.id).sort());
    expect(await renewModifications(a!.db, 'A', x.map((r) => r.id), 5000)).toEqual([]);
    expect(await releaseModifications(b!.db, 'B')).toBe(3);
  });
});

describe.runIf(postgresUrl)(`three tether serve processes on one PostgreSQL database (${NEEDS_POSTGRES})`, () => {
  it(
    'complete 1,000 tasks exactly once and bring 50 modifications to their decided states while one process is SIGKILLed midway, and the ledger verifies as one chain',
    { timeout: 300_000 },
    async () => {
      const database = await createPostgresDatabase('tether_cluster');
      const repo = makeRepo({ 'README.md': '# cluster\n' });
      // Migrated once up front: three processes starting at once would race on creating the schema.
      const store = await openStore({ url: database.url, poolSize: 4 });
      const nodes: Node[] = [];
      try {
        // The first process starts alone, so it is the generator's leader; it is the one killed.
        nodes.push(await startNode('a', database.url, repo.dir));
        nodes.push(...(await Promise.all([startNode('b', database.url, repo.dir), startNode('c', database.url, repo.dir)])));
        const leaders = async () =>
          Number((await sql<{ n: string }>`select count(*) as n from pg_locks where locktype = 'advisory' and objid = ${GENERATOR_LOCK_KEY} and granted`.execute(store.db)).rows[0]!.n);
        expect(await leaders()).toBe(1);

        const TASKS = 1000;
        const alive = () => nodes.filter((n) => n.alive);
        const pick = (i: number) => alive()[i % alive().length]!;
        const stateOf = async (id: string, i: number) => (await api(pick(i), 'GET', `/api/modifications/${id}`, APPROVER_SECRET)).body?.state as string | undefined;

        // Modifications go in waves below the open-branch cap (10): submit, wait for tested, decide.
        const expected = new Map<string, 'merged' | 'rejected'>();
        const submitWave = async (wave: number) => {
          const ids: string[] = [];
          for (let k = 0; k < 10; k++) {
            const i = wave * 10 + k;
            const res = await api(pick(i), 'POST', '/api/modifications', AGENT_SECRET, {
              title: `change ${i}`,
              changes: [{ path: `files/f${i}.txt`, content: `file ${i}\n` }],
            });
            expect(res.status, JSON.stringify(res.body)).toBe(201);
            ids.push(res.body.id);
          }
          return ids;
        };
        const settleWave = async (wave: number, ids: string[]) => {
          for (const [k, id] of ids.entries()) {
            const i = wave * 10 + k;
            await waitUntil(`${id} tested`, async () => (await stateOf(id, i)) === 'tested', 120_000);
            // Decided through another process than the one it was submitted to; every fifth is rejected.
            const approve = i % 5 !== 0;
            const res = await api(pick(i + 1), 'POST', `/api/modifications/${id}/${approve ? 'approve' : 'reject'}`, APPROVER_SECRET, {});
            expect(res.status, JSON.stringify(res.body)).toBe(200);
            expected.set(id, approve ? 'merged' : 'rejected');
          }
          for (const [k, id] of ids.entries()) {
            await waitUntil(`${id} finished`, async () => ['merged', 'rejected', 'failed', 'conflicted', 'abandoned'].includes((await stateOf(id, k)) ?? ''), 120_000);
          }
        };

        // The first wave is spread over all three processes; then the tasks go in.
        const firstIds = await submitWave(0);
        for (let i = 0; i < TASKS; i += 100) {
          await enqueueTasks(store.db, Array.from({ length: 100 }, (_, j) => ({ type: NOOP_TASK, payload: { n: i + j } })));
        }
        const succeeded = async () =>
          Number((await sql<{ n: string }>`select count(*) as n from tasks where status = 'succeeded'`.execute(store.db)).rows[0]!.n);
        // SIGKILL the leader midway through the tasks, while it holds task and modification leases.
        await waitUntil('a third of the tasks done', async () => (await succeeded()) >= TASKS / 3, 120_000, 50);
        const victim = nodes[0]!;
        // The victim's process id: the lease owner of the first modification, submitted to it (and taken at submission).
        const owner = async (id: string) => (await sql<{ o: string | null }>`select lease_owner as o from modifications where id = ${id}`.execute(store.db)).rows[0]?.o;
        const victimId = await owner(firstIds[0]!);
        // Undecided until after the kill, so these must be taken over by a survivor to finish.
        const orphans = (await sql<{ id: string }>`select id from modifications where lease_owner = ${victimId} and state in ('proposed', 'branched', 'tested')`.execute(store.db)).rows.map((r) => r.id);
        victim.child.kill('SIGKILL');
        victim.alive = false;
        await exited(victim.child);
        const tasksAtKill = await succeeded();
        await settleWave(0, firstIds);
        for (let wave = 1; wave < 5; wave++) await settleWave(wave, await submitWave(wave));

        // Every task done, each recorded as succeeded exactly once, despite the dead worker's leases.
        await waitUntil('all tasks succeeded', async () => (await succeeded()) === TASKS, 150_000, 500);
        const executions = await sql<{ task_id: string; n: string }>`
          select task_id, count(*) as n from task_executions where status = 'succeeded' group by task_id`.execute(store.db);
        expect(executions.rows.length).toBe(TASKS);
        expect(executions.rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
        expect(tasksAtKill).toBeLessThan(TASKS);

        // Every modification in its expected state; the repository has every approved file.
        const states = await sql<{ id: string; state: string; error: unknown }>`select id, state, error from modifications order by created_at`.execute(store.db);
        expect(states.rows.length).toBe(50);
        // Listed with their errors, so a failure says why.
        expect(states.rows.filter((r) => r.state !== expected.get(r.id)).map((r) => ({ ...r, expected: expected.get(r.id) }))).toEqual([]);
        // A rejection is committed by whichever process receives it; a merge needs the actor, so a survivor took those over.
        const mergedOrphans = orphans.filter((id) => expected.get(id) === 'merged');
        expect(mergedOrphans.length).toBeGreaterThan(0);
        for (const id of mergedOrphans) expect(await owner(id)).not.toBe(victimId);
        const merged = states.rows.filter((r) => r.state === 'merged').length;
        expect(repo.git('ls-tree', '-r', '--name-only', 'main').split('\n').filter((p) => p.startsWith('files/')).length).toBe(merged);

        // Leadership moved to a survivor: one leader again.
        await waitUntil('a new leader', async () => (await leaders()) === 1, 30_000);

        const verified = await verifyLedger(store.db);
        expect(verified).toMatchObject({ ok: true });
      } finally {
        for (const n of nodes) n.child.kill('SIGKILL');
        await Promise.all(nodes.map((n) => exited(n.child)));
        await store.close();
        await database.drop();
        rmSync(repo.root, { recursive: true, force: true });
      }
    },
  );
});
