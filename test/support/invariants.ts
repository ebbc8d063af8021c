/**
 * SPEC §4's invariants, read back after a crash and a restart (with the server stopped, so
 * the embedded store can be opened). Each check that runs is counted; each one that fails
 * is a violation with enough detail to find it. Nothing here trusts the server's answers:
 * it reads the store, the ledger and the repository directly, and runs `tether ledger verify`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import git from 'isomorphic-git';
import { sql } from 'kysely';
import { nodeFs } from '../../src/git/node-fs.ts';
import { verifyLedger } from '../../src/ledger/verify-ledger.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { gitEnv } from '../git-fixtures.ts';
import { runCli } from './cli.ts';
import { USER_EDITS, type World } from './fault-harness.ts';

export interface Report {
  checks: number;
  violations: string[];
}

const OPEN_STATES = new Set(['proposed', 'branched', 'tested', 'approved']);
const STATES = new Set([...OPEN_STATES, 'merged', 'rejected', 'failed', 'conflicted', 'abandoned']);

export function openWorldStore(world: World): Promise<Store> {
  return openStore(world.databaseUrl ? { url: world.databaseUrl } : { dataDir: world.dataDir });
}

/** Runs every check; the server must be stopped (the embedded store has one owner). */
export async function checkInvariants(world: World): Promise<Report> {
  const report: Report = { checks: 0, violations: [] };
  const check = (ok: boolean, violation: () => string) => {
    report.checks++;
    if (!ok) report.violations.push(violation());
  };
  const store = await openWorldStore(world);
  try {
    await checkLedger(store, check);
    await checkModifications(store, world, check);
    await checkGoals(store, world, check);
    await checkTasks(store, check);
  } finally {
    await store.close();
  }
  checkWorkingTree(world, check);
  checkGitIntegrity(world, check);
  // And as an operator would ask: the command's own exit code.
  const cli = await runCli(['ledger', 'verify'], world.env, 120_000);
  check(cli.code === 0, () => `tether ledger verify exited ${cli.code}: ${cli.stdout.slice(-500)} ${cli.stderr.slice(-500)}`);
  return report;
}

type Check = (ok: boolean, violation: () => string) => void;

async function checkLedger(store: Store, check: Check): Promise<void> {
  const result = await verifyLedger(store.db);
  check(result.ok, () => `ledger does not verify: ${JSON.stringify(result)}`);
  const seals = await sql<{ segment: number }>`select segment from ledger_seals order by segment`.execute(store.db);
  seals.rows.forEach((s, i) => check(Number(s.segment) === i + 1, () => `seal segments are not contiguous: ${JSON.stringify(seals.rows)}`));
}

interface Entry {
  seq: number;
  type: string;
  payload: Record<string, any>;
}

async function entriesAbout(store: Store, kind: 'goal' | 'modification' | 'task'): Promise<Map<string, Entry[]>> {
  const rows = await sql<{ seq: string; type: string; id: string; payload: Record<string, any> }>`
    select seq, type, subjects->>${kind} as id, payload from ledger_entries
    where subjects->>${kind} is not null and type like ${kind + '.%'} order by seq`.execute(store.db);
  const byId = new Map<string, Entry[]>();
  for (const r of rows.rows) {
    const list = byId.get(r.id) ?? [];
    list.push({ seq: Number(r.seq), type: r.type, payload: r.payload });
    byId.set(r.id, list);
  }
  return byId;
}

async function checkModifications(store: Store, world: World, check: Check): Promise<void> {
  const mods = await store.db.selectFrom('modifications').selectAll().execute();
  const byId = new Map(mods.map((m) => [m.id, m]));
  const ledger = await entriesAbout(store, 'modification');
  const historyRows = await store.db.selectFrom('modification_history').select(['modification_id', 'to_state']).orderBy('id').execute();
  const approvals = await store.db.selectFrom('approvals').selectAll().where('subject_kind', '=', 'modification').execute();
  const approvalOf = new Map(approvals.filter((a) => a.decision === 'approve').map((a) => [a.subject_id, a]));

  for (const m of mods) {
    // The ledger replays to the stored state, one transition at a time.
    const transitions = (ledger.get(m.id) ?? []).filter((e) => STATES.has(e.type.slice('modification.'.length)));
    const states = transitions.map((e) => e.type.slice('modification.'.length));
    check(states[0] === 'proposed', () => `modification ${m.id}: first ledger entry is ${states[0]}, not proposed`);
    for (let i = 1; i < transitions.length; i++) {
      check(transitions[i]!.payload.from === states[i - 1], () => `modification ${m.id}: ledger goes ${states[i - 1]} → ${states[i]} but says from ${transitions[i]!.payload.from}`);
    }
    check(states.at(-1) === m.state, () => `modification ${m.id}: stored ${m.state}, ledger ends at ${states.at(-1)}`);
    const history = historyRows.filter((h) => h.modification_id === m.id).map((h) => h.to_state);
    check(JSON.stringify(history) === JSON.stringify(states), () => `modification ${m.id}: history ${history} differs from ledger ${states}`);
    if (m.state === 'merged') {
      const approval = approvalOf.get(m.id);
      check(approval !== undefined && approval.head_commit === m.head_commit && approval.approver !== m.author, () => `modification ${m.id}: merged without a matching approval`);
    }
  }
  // Acknowledged writes are all there, once.
  for (const [id, title] of world.acked.modifications) {
    check(byId.get(id)?.title === title, () => `acknowledged modification ${id} (${title}) is missing`);
  }
  for (const id of world.acked.approvals) {
    check(approvalOf.has(id), () => `acknowledged approval of ${id} is missing`);
  }
  const titles = mods.map((m) => m.title);
  check(new Set(titles).size === titles.length, () => `duplicated modifications: ${titles.filter((t, i) => titles.indexOf(t) !== i)}`);

  await checkRefs(world, byId, approvalOf, check);
}

/** Every commit on main after the world's base is an approved, recorded merge; no branch outlives its modification. */
async function checkRefs(
  world: World,
  byId: Map<string, { state: string; merge_commit: string | null; head_commit: string | null; branch: string }>,
  approvalOf: Map<string, { head_commit: string | null }>,
  check: Check,
): Promise<void> {
  const { gitdir } = world.disk;
  const onMain = new Set<string>();
  let oid = await git.resolveRef({ fs: nodeFs, gitdir, ref: 'refs/heads/main' });
  for (;;) {
    if (oid === world.base) break;
    const { commit } = await git.readCommit({ fs: nodeFs, gitdir, oid });
    const id = /Tether-Modification: (\S+)/.exec(commit.message)?.[1];
    const m = id ? byId.get(id) : undefined;
    check(m?.state === 'merged' && m.merge_commit === oid, () => `main moved to ${oid} (${id ?? 'no trailer'}) but the store says ${m ? `${m.state}, merge ${m.merge_commit}` : 'nothing'}`);
    check(commit.parent.length === 2 && approvalOf.get(id ?? '')?.head_commit === commit.parent[1], () => `merge ${oid} of ${id} does not merge the approved head`);
    if (id) onMain.add(id);
    oid = commit.parent[0]!;
  }
  for (const [id, m] of byId) {
    if (m.state === 'merged') check(onMain.has(id), () => `modification ${id} is recorded merged but its merge is not on main`);
  }
  const branches = await git.listBranches({ fs: nodeFs, gitdir });
  for (const branch of branches.filter((b) => b.startsWith('tether/'))) {
    const m = [...byId.values()].find((x) => x.branch === branch);
    check(m !== undefined && OPEN_STATES.has(m.state), () => `branch ${branch} outlives its modification (${m?.state ?? 'unknown'})`);
  }
  for (const lock of ['refs/heads/main.lock', 'index.lock', 'HEAD.lock']) {
    check(!existsSync(join(gitdir, lock)), () => `${lock} was left behind`);
  }
}

async function checkGoals(store: Store, world: World, check: Check): Promise<void> {
  const goals = await store.db.selectFrom('goals').select(['id', 'title', 'status']).execute();
  const byId = new Map(goals.map((g) => [g.id, g]));
  const ledger = await entriesAbout(store, 'goal');
  for (const g of goals) {
    const entries = ledger.get(g.id) ?? [];
    check(entries[0]?.type === 'goal.created', () => `goal ${g.id} has no goal.created entry`);
    const last = entries.filter((e) => e.payload.to !== undefined).at(-1);
    const status = last ? last.payload.to : entries[0]?.payload.status;
    check(status === g.status, () => `goal ${g.id}: stored ${g.status}, ledger says ${status}`);
  }
  for (const [id, title] of world.acked.goals) {
    check(byId.get(id)?.title === title, () => `acknowledged goal ${id} (${title}) is missing`);
  }
  const titles = goals.map((g) => g.title);
  check(new Set(titles).size === titles.length, () => `duplicated goals: ${[...new Set(titles.filter((t, i) => titles.indexOf(t) !== i))].slice(0, 5)}`);
}

async function checkTasks(store: Store, check: Check): Promise<void> {
  const done = await sql<{ task_id: string; n: string }>`
    select task_id, count(*) as n from task_executions where status = 'succeeded' group by task_id having count(*) > 1`.execute(store.db);
  check(done.rows.length === 0, () => `tasks recorded done more than once: ${JSON.stringify(done.rows.slice(0, 5))}`);
}

/** Tracked files equal main's tree, except the person's edits, which are byte-identical. */
function checkWorkingTree(world: World, check: Check): void {
  const { dir } = world.disk;
  for (const [path, content] of Object.entries(USER_EDITS)) {
    check(readFileSync(join(dir, path), 'utf8') === content, () => `the person's ${path} changed`);
  }
  const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, env: gitEnv, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .sort();
  check(JSON.stringify(status) === JSON.stringify([' M README.md', '?? scratch.txt']), () => `git status is not just the person's edits: ${status.join(' | ')}`);
  const files = walk(dir).filter((f) => !f.startsWith('.git/'));
  const tracked = execFileSync('git', ['ls-files'], { cwd: dir, env: gitEnv, encoding: 'utf8' }).split('\n').filter(Boolean);
  const expected = [...tracked, 'scratch.txt'].sort();
  check(JSON.stringify(files.sort()) === JSON.stringify(expected), () => `working tree files differ from main's: ${files.filter((f) => !expected.includes(f))}`);
}

function checkGitIntegrity(world: World, check: Check): void {
  let problem = '';
  try {
    execFileSync('git', ['fsck', '--no-dangling', '--no-progress'], { cwd: world.disk.dir, env: gitEnv, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    problem = String((error as { stderr?: string }).stderr ?? error);
  }
  check(problem === '', () => `git fsck: ${problem}`);
}

function walk(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = join(dir, d.name);
    return d.isDirectory() ? walk(root, full) : [relative(root, full)];
  });
}
