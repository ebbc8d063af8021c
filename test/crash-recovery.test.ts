/**
 * Crash recovery (issue 9): a real `tether serve` is SIGKILLed at each failpoint and in
 * each modification state, restarted, made to finish its work, then stopped and checked
 * against every invariant of SPEC §4 (test/support/invariants.ts). Runs on the embedded
 * store, and on PostgreSQL when TETHER_TEST_DATABASE_URL is set (CI sets it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT, APPROVER, createWorld, type BackendName, type World } from './support/fault-harness.ts';
import { checkInvariants } from './support/invariants.ts';
import { approve, finish, reach, stateOf, submit, untilKilled } from './support/fault-workload.ts';
import { runCli } from './support/cli.ts';
import { postgresUrl } from './support/stores.ts';

async function listTables(url: string): Promise<string[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query("select tablename from pg_tables where schemaname = 'public' order by 1");
    return result.rows.map((r: { tablename: string }) => r.tablename);
  } finally {
    await client.end();
  }
}

interface Scenario {
  name: string;
  failpoint?: string;
  /** For the run that is killed and for the restart. */
  env?: Record<string, string>;
  /** Runs until the process dies; returns the modification to finish after the restart. */
  act(world: World): Promise<string>;
  /** Where the modification must end (default: driven on to `merged`). */
  ends?: 'rejected' | 'failed' | 'conflicted' | 'merged';
}

/** Lets `act` bring a modification to a final state, then kills the server in it. */
const killAfter = (act: (world: World) => Promise<string>) => async (world: World) => {
  const id = await act(world);
  await world.kill();
  return id;
};

/** Seal every 3 entries, looking every 150 ms. */
const SEALING = { TETHER_LEDGER_SEGMENT_ENTRIES: '3', TETHER_LEDGER_MAINTENANCE_INTERVAL_MS: '150' };

const guideChange = (text: string) => ({ title: `guide says ${text}`, changes: [{ path: 'docs/guide.md', content: `${text}\n` }] });

/** Submits a change and lets the armed failpoint fire while Tether branches and tests it. */
const whileBranching = async (world: World) => {
  let id = '';
  await untilKilled(world, async (s) => {
    id = await submit(s, 'branching');
    await reach(s, id, ['tested']);
  });
  return id;
};

/** Gets a change tested, then approves it so that the failpoint fires while merging. */
const whileMerging = async (world: World) => {
  const s = world.server!;
  const id = await submit(s, 'merging');
  await reach(s, id, ['tested']);
  await untilKilled(world, async (server) => {
    await approve(server, id);
    await reach(server, id, ['merged']);
  });
  return id;
};

/** Kills from outside once the modification is seen in `state`. */
const killIn = (state: string) => async (world: World) => {
  const s = world.server!;
  const id = await submit(s, `in-${state}`);
  await reach(s, id, [state], 30_000);
  await world.kill();
  return id;
};

const SCENARIOS: Scenario[] = [
  { name: 'between writing a branch’s objects and moving its ref', failpoint: 'git.branch.objects-written', act: whileBranching },
  { name: 'while committing `branched`', failpoint: 'modification.transition.before-commit@1', act: whileBranching },
  { name: 'in `branched`, while the tests run', env: { CHECK_DELAY_MS: '4000' }, act: killIn('branched') },
  { name: 'while committing `tested`', failpoint: 'modification.transition.before-commit@2', act: whileBranching },
  { name: 'in `tested`, waiting for a person', act: killIn('tested') },
  { name: 'while committing `approved`', failpoint: 'modification.transition.before-commit@3', act: whileMerging },
  { name: 'between writing the merge commit and moving main', failpoint: 'git.merge.commit-written', act: whileMerging },
  { name: 'after main moved, before the working tree is updated', failpoint: 'git.merge.ref-moved', act: whileMerging },
  { name: 'halfway through updating the working tree', failpoint: 'git.merge.worktree-partly-written', act: whileMerging },
  { name: 'after the merge, before the store records it', failpoint: 'modification.merge.before-record', act: whileMerging },
  { name: 'deleting the merged branch, holding its ref lock', failpoint: 'git.ref-deleted.lock-held', act: whileMerging },
  { name: 'while committing `merged`', failpoint: 'modification.transition.before-commit@4', act: whileMerging },
  {
    name: 'in `rejected`',
    ends: 'rejected',
    act: killAfter(async (world) => {
      const s = world.server!;
      const id = await submit(s, 'to-reject');
      await reach(s, id, ['tested']);
      expect((await s.call('POST', `/api/modifications/${id}/reject`, APPROVER, {})).status).toBe(200);
      return id;
    }),
  },
  {
    name: 'in `failed`, its tests having failed',
    ends: 'failed',
    act: killAfter(async (world) => {
      const s = world.server!;
      const answer = await s.call('POST', '/api/modifications', AGENT, { title: `breaks add ${Date.now()}`, changes: [{ path: 'src/math.js', content: 'exports.add = (a, b) => a - b;\n' }] });
      await reach(s, answer.body.id, ['failed']);
      return answer.body.id;
    }),
  },
  {
    name: 'in `conflicted` and in `merged`',
    ends: 'conflicted',
    act: killAfter(async (world) => {
      const s = world.server!;
      const first = (await s.call('POST', '/api/modifications', AGENT, guideChange(`first ${Date.now()}`))).body.id;
      const second = (await s.call('POST', '/api/modifications', AGENT, guideChange(`second ${Date.now()}`))).body.id;
      await reach(s, first, ['tested']);
      await reach(s, second, ['tested']);
      await approve(s, first);
      await reach(s, first, ['merged']);
      await approve(s, second);
      await reach(s, second, ['conflicted']);
      return second;
    }),
  },
  {
    name: 'while sealing a ledger segment',
    env: SEALING,
    act: async (world) => {
      // This run seals whatever earlier scenarios left; the next one is armed for the first
      // seal after that, which the submission's entries make due.
      await new Promise((r) => setTimeout(r, 1_000));
      await world.stop();
      await world.start({ failpoints: 'ledger.seal.before-commit', env: SEALING });
      let id = '';
      await untilKilled(world, async (s) => {
        id = await submit(s, 'sealing');
        await reach(s, id, ['tested']);
        await new Promise((r) => setTimeout(r, 5_000));
      });
      return id;
    },
  },
];

const BACKENDS: { name: BackendName; enabled: boolean }[] = [
  { name: 'embedded', enabled: true },
  { name: 'postgres', enabled: postgresUrl !== undefined },
];

for (const backend of BACKENDS) {
  describe.runIf(backend.enabled)(`SIGKILL and restart on the ${backend.name} store`, () => {
    let world: World;
    let checks = 0;
    let violations = 0;
    beforeAll(async () => {
      world = await createWorld(backend.name);
    });
    afterAll(async () => {
      console.log(`[crash-recovery ${backend.name}] kills=${world?.kills ?? 0} checks=${checks} violations=${violations}`);
      await world?.dispose();
    });

    it('loses nothing when `tether migrate` is killed before its transaction commits', { timeout: 180_000 }, async () => {
      const fresh = await createWorld(backend.name);
      try {
        const killed = await runCli(['migrate'], { ...fresh.env, TETHER_FAILPOINTS: 'store.migrate.before-commit' });
        expect([killed.signal, killed.stderr]).toEqual(['SIGKILL', expect.stringContaining('failpoint store.migrate.before-commit')]);
        fresh.kills++;
        world.kills++;
        if (fresh.databaseUrl) {
          const tables = await listTables(fresh.databaseUrl);
          expect(tables).toEqual([]);
        }
        const again = await runCli(['migrate'], fresh.env);
        expect(again.code, again.stderr).toBe(0);
        await fresh.start();
        await finish(fresh, await submit(fresh.server!, 'after-migrate'));
        await fresh.stop();
        const report = await checkInvariants(fresh);
        checks += report.checks;
        violations += report.violations.length;
        expect(report.violations).toEqual([]);
      } finally {
        await fresh.dispose();
      }
    });

    it('replays writes whose answers a crash swallowed, with no duplicate and no stuck key', { timeout: 180_000 }, async () => {
      // A goal: committed, then killed before the 201 went out.
      const goal = { title: `swallowed goal ${backend.name}` };
      const goalKey = { 'Idempotency-Key': `swallowed-goal-${backend.name}` };
      await world.start({ failpoints: 'http.write.before-answer' });
      await untilKilled(world, (s) => s.call('POST', '/api/goals', AGENT, goal, goalKey));
      // An approval: the second write of the run (the submission is the first).
      await world.start({ failpoints: 'http.write.before-answer@2' });
      const id = await submit(world.server!, 'swallowed-approval');
      await reach(world.server!, id, ['tested']);
      const approveKey = { 'Idempotency-Key': `swallowed-approve-${id}` };
      await untilKilled(world, (s) => s.call('POST', `/api/modifications/${id}/approve`, APPROVER, {}, approveKey));

      const s = await world.start();
      const retriedGoal = await s.call('POST', '/api/goals', AGENT, goal, goalKey);
      expect([retriedGoal.status, retriedGoal.headers.get('idempotency-replayed')]).toEqual([201, 'true']);
      const retriedApproval = await s.call('POST', `/api/modifications/${id}/approve`, APPROVER, {}, approveKey);
      expect([retriedApproval.status, retriedApproval.headers.get('idempotency-replayed')]).toEqual([200, 'true']);
      await reach(s, id, ['merged']);
      const goals = await s.call('GET', '/api/goals?limit=1000', APPROVER);
      expect(goals.body.goals.filter((g: { title: string }) => g.title === goal.title)).toHaveLength(1);
      await world.stop();
      const report = await checkInvariants(world);
      checks += report.checks;
      violations += report.violations.length;
      expect(report.violations).toEqual([]);
    });

    for (const scenario of SCENARIOS) {
      it(`loses nothing when killed ${scenario.name}`, { timeout: 180_000 }, async () => {
        await world.start({ ...(scenario.failpoint ? { failpoints: scenario.failpoint } : {}), ...(scenario.env ? { env: scenario.env } : {}) });
        const id = await scenario.act(world);
        const restarted = await world.start(scenario.env ? { env: scenario.env } : {});
        if (scenario.ends && scenario.ends !== 'merged') expect(await stateOf(restarted, id)).toBe(scenario.ends);
        else await finish(world, id);
        await world.stop();
        const report = await checkInvariants(world);
        checks += report.checks;
        violations += report.violations.length;
        expect(report.violations).toEqual([]);
      });
    }
  });
}
