/**
 * Git layer beside native git, in one run, on generated 10,000- and 50,000-file repositories
 * (bench/.work/, reused between runs). Figures are medians of several repetitions; ratios
 * are tether / native.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { commitChanges } from '../src/git/commit-changes.ts';
import { changedPaths } from '../src/git/changed-paths.ts';
import { mergeTrees } from '../src/git/merge-trees.ts';
import { nodeFs } from '../src/git/node-fs.ts';
import { materialize } from '../src/git/node-sandbox.ts';
import { wouldOverwrite } from '../src/git/would-overwrite.ts';
import type { BenchRow, BenchSection } from './types.ts';
import { benchContent, benchFileName, benchWork, generateRepo, runGit } from './support/generate-repo.ts';

const work = benchWork;
const sandboxes = join(work, 'sandboxes');
const author = { name: 'Bench', email: 'bench@example.com' };
const run = runGit;
const fileName = benchFileName;
const content = benchContent;
const generate = (count: number) => generateRepo(count);

/**
 * Medians of tether and native over the same repetitions, alternating which runs first, so
 * load from other processes on a shared machine hits both sides alike.
 */
async function paired(
  reps: number,
  tether: (rep: number) => Promise<unknown> | unknown,
  native: (rep: number) => Promise<unknown> | unknown,
  before?: (rep: number) => Promise<unknown> | unknown,
): Promise<[number, number]> {
  const t: number[] = [];
  const n: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    await before?.(rep);
    const order: [(r: number) => unknown, number[]][] = rep % 2 === 0 ? [[tether, t], [native, n]] : [[native, n], [tether, t]];
    for (const [fn, out] of order) {
      const start = performance.now();
      await fn(rep);
      out.push(performance.now() - start);
    }
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return [mid(t), mid(n)];
}

async function median(reps: number, fn: (rep: number) => Promise<unknown> | unknown, before?: (rep: number) => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    await before?.(rep);
    const t = performance.now();
    await fn(rep);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** The native plumbing for a 3-file commit: hash-object, ls-tree + mktree up each path, commit-tree, update-ref. */
function nativeCommit(dir: string, base: string, branch: string, files: Record<string, string>): string {
  const blobs: Record<string, string> = {};
  for (const [path, data] of Object.entries(files)) blobs[path] = run(dir, ['hash-object', '-w', '--stdin'], data);
  // Rebuild trees bottom-up: each changed directory gets ls-tree → edit → mktree.
  const dirs = new Map<string, Map<string, string>>(); // dir → name → entry line
  const ensure = (d: string) => {
    if (!dirs.has(d)) {
      const listing = run(dir, ['ls-tree', d === '' ? base : `${base}:${d}`]);
      dirs.set(d, new Map(listing.split('\n').filter(Boolean).map((line) => [line.slice(line.indexOf('\t') + 1), line])));
    }
    return dirs.get(d)!;
  };
  for (const [path, oid] of Object.entries(blobs)) {
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i++) ensure(parts.slice(0, i).join('/'));
    ensure(parts.slice(0, -1).join('/')).set(parts.at(-1)!, `100644 blob ${oid}\t${parts.at(-1)}`);
  }
  const order = [...dirs.keys()].sort((a, b) => b.split('/').length - a.split('/').length || (b.length - a.length));
  let root = '';
  for (const d of order) {
    const oid = run(dir, ['mktree'], `${[...dirs.get(d)!.values()].join('\n')}\n`);
    if (d === '') root = oid;
    else {
      const name = d.split('/').at(-1)!;
      dirs.get(d.split('/').slice(0, -1).join('/'))!.set(name, `040000 tree ${oid}\t${name}`);
    }
  }
  const commit = run(dir, ['commit-tree', root, '-p', base, '-m', 'native']);
  run(dir, ['update-ref', `refs/heads/${branch}`, commit, '']);
  return commit;
}

async function section(count: number, rows: BenchRow[], notes: string[]): Promise<void> {
  const label = `${count / 1000}k files`;
  const dir = generate(count);
  const gitdir = join(dir, '.git');
  const base = run(dir, ['rev-parse', 'main']);
  const cache = {};
  const reps = count >= 50_000 ? 5 : 7;
  const three = (rep: number, tag: string) => ({
    [fileName(7)]: content(7, `// ${tag} ${rep}\n`),
    [fileName(count / 2 + 3)]: content(count / 2 + 3, `// ${tag} ${rep}\n`),
    [fileName(count - 11)]: content(count - 11, `// ${tag} ${rep}\n`),
  });

  // 1. Commit 3 changed files to a new branch.
  await commitChanges({ fs: nodeFs, gitdir, cache, baseCommit: base, branch: 'bench/warm', author, message: 'warm', changes: [{ path: fileName(1), content: 'w' }] });
  const [tCommit, nCommit] = await paired(
    reps,
    (rep) =>
      commitChanges({
        fs: nodeFs, gitdir, cache, baseCommit: base, branch: `bench/t${count}-${rep}-${Date.now()}`, author, message: 'm',
        changes: Object.entries(three(rep, 'tether')).map(([path, c]) => ({ path, content: c })),
      }),
    (rep) => nativeCommit(dir, base, `bench/n${count}-${rep}-${Date.now()}`, three(rep, 'native')),
  );
  rows.push({ case: `commit 3 files to a branch, ${label}`, tether: tCommit, baseline: nCommit, baselineName: 'native plumbing', unit: 'ms', target: '≤ 0.5×' });

  // 2. Three-way merge of non-conflicting changes.
  const ours = (await commitChanges({ fs: nodeFs, gitdir, cache, baseCommit: base, branch: `bench/ours-${Date.now()}`, author, message: 'o', changes: Object.entries(three(0, 'ours')).map(([path, c]) => ({ path, content: c })) })).commit;
  const theirsFiles = { [fileName(20)]: 'x\n', [fileName(count / 2 + 30)]: 'y\n', [`new/dir/file-${count}.ts`]: 'z\n' };
  const theirs = (await commitChanges({ fs: nodeFs, gitdir, cache, baseCommit: base, branch: `bench/theirs-${Date.now()}`, author, message: 't', changes: Object.entries(theirsFiles).map(([path, c]) => ({ path, content: c })) })).commit;
  let merged = '';
  let nativeMerged = '';
  const [tMerge, nMerge] = await paired(
    reps,
    async () => {
      const { tree } = await mergeTrees({ fs: nodeFs, gitdir, cache, base, ours, theirs });
      merged = tree!;
      const who = { ...author, timestamp: 1700000000, timezoneOffset: 0 };
      await git.writeCommit({ fs: nodeFs, gitdir, commit: { message: 'merge\n', tree: tree!, parent: [ours, theirs], author: who, committer: who } });
    },
    () => {
      nativeMerged = run(dir, ['merge-tree', '--write-tree', ours, theirs]);
      run(dir, ['commit-tree', nativeMerged, '-p', ours, '-p', theirs, '-m', 'merge']);
    },
  );
  if (merged !== nativeMerged) notes.push(`MISMATCH: merged tree ${merged} ≠ native ${nativeMerged} (${label})`);
  rows.push({ case: `three-way merge (3+3 files) + commit, ${label}`, tether: tMerge, baseline: nMerge, baselineName: 'git merge-tree --write-tree + commit-tree', unit: 'ms', target: '≤ 2×' });

  // 3. Would-overwrite check on the checked-out main for the paths the merge changes.
  const headTree = run(dir, ['rev-parse', 'main^{tree}']);
  const paths = await changedPaths(nodeFs, gitdir, headTree, merged, cache);
  run(dir, ['status', '--porcelain']); // settle the index's racy entries once, as any user command would
  const [tCheck, nCheck] = await paired(
    reps,
    async () => {
      const dirty = await wouldOverwrite({ fs: nodeFs, dir, gitdir, cache, paths, headTree });
      if (dirty.length) throw new Error(`unexpected dirty paths ${dirty.join(', ')}`);
    },
    () => run(dir, ['status', '--porcelain']),
  );
  rows.push({ case: `would-overwrite check (${paths.length} paths), ${label}`, tether: tCheck, baseline: nCheck, baselineName: 'git status', unit: 'ms', target: '≤ 1×' });

  // 4. Sandbox: first materialization, then later modifications on the same base. Nothing
  // is deleted until every section is done: on ext4 without a journal (this machine), each
  // file created scans the inodes deleted in the last 30 s, so deleting tens of thousands of
  // files just before a timed checkout slows it by up to 10×, most for whichever runs first.
  const sreps = 3;
  const [tFirst, nFirst] = await paired(
    sreps,
    (rep) => materialize({ gitdir, cache, commit: ours, sandboxDir: join(sandboxes, `t-${count}-${rep}`) }),
    (rep) => run(dir, ['worktree', 'add', '-q', '--detach', join(sandboxes, `n-${count}-${rep}`), ours]),
    (rep) => {
      rmSync(join(sandboxes, `t-${count}-${rep}`), { recursive: true, force: true });
      rmSync(join(sandboxes, `.t-${count}-${rep}.tether-sandbox.json`), { force: true });
      rmSync(join(sandboxes, `n-${count}-${rep}`), { recursive: true, force: true });
      run(dir, ['worktree', 'prune']);
    },
  );
  rows.push({ case: `sandbox, first materialization, ${label}`, tether: tFirst, baseline: nFirst, baselineName: 'git worktree add', unit: 'ms', target: '≤ 1.5×' });

  const mods: string[] = [];
  for (let m = 0; m < 4; m++) {
    const { commit } = await commitChanges({ fs: nodeFs, gitdir, cache, baseCommit: base, branch: `bench/mod-${m}-${Date.now()}`, author, message: 'm', changes: Object.entries(three(m + 100, 'mod')).map(([path, c]) => ({ path, content: c })) });
    mods.push(commit);
  }
  const sandboxDir = join(sandboxes, `t-${count}-0`);
  const tLater = await median(reps, (rep) => materialize({ gitdir, cache, commit: mods[rep % mods.length]!, sandboxDir }));
  rows.push({ case: `sandbox, later modification (3 files), ${label}`, tether: tLater, unit: 'ms', target: count === 10_000 ? '≤ 100 ms' : undefined });
  // Keep the generated repository small for the next run: drop the bench branches.
  for (const ref of run(dir, ['for-each-ref', '--format=%(refname)', 'refs/heads/bench/']).split('\n').filter(Boolean)) run(dir, ['update-ref', '-d', ref]);
}

export default async function bench(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [
    'Repositories are generated once with git fast-import (one packed commit) and checked out; isomorphic-git reads from that pack.',
    'Tether keeps one isomorphic-git cache object per repository across operations (as the runtime does); the first, cold call is not timed.',
    'Each repetition runs Tether and native git back to back, alternating which goes first: the machine is shared, and load from other processes swings absolute times by up to 10×.',
    'Native commit = hash-object ×3, ls-tree + mktree for each changed folder up to the root, commit-tree, update-ref: one process each.',
    'Sandbox: a full checkout reads the pack with its own reader (node:zlib; small objects inflated in JavaScript) and writes files synchronously; later ones write only the changed files. Three repetitions, median.',
  ];
  rmSync(sandboxes, { recursive: true, force: true });
  for (const count of [10_000, 50_000]) await section(count, rows, notes);
  rmSync(sandboxes, { recursive: true, force: true });
  for (const count of [10_000, 50_000]) run(generate(count), ['worktree', 'prune']);
  return { title: 'Git layer (isomorphic-git over node:fs) vs native git', rows, notes };
}
