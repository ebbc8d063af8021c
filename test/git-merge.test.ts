import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TetherError } from '../src/errors.ts';
import { mergeBranch } from '../src/git/merge-branch.ts';
import { mergeLines } from '../src/git/merge-lines.ts';
import { mergeTrees } from '../src/git/merge-trees.ts';
import { updateCheckedOut } from '../src/git/update-checked-out.ts';
import { wouldOverwrite } from '../src/git/would-overwrite.ts';
import { changedPaths } from '../src/git/changed-paths.ts';
import { backends, git, gitInput, makeRepo, nativeCommitOn, onBackend, type DiskRepo } from './git-fixtures.ts';

const author = { name: 'Tether', email: 'tether@example.com', timestamp: 1700000200 };
const lines = (n: number, tag = '') => Array.from({ length: n }, (_, i) => `line ${i}${tag}\n`).join('');
const files = {
  'README.md': 'hello\n',
  'src/a.ts': lines(20),
  'src/b.ts': 'b\n',
  'src/deep/c.ts': 'c\n',
  'lib/d.ts': 'd\n',
  'docs/e.md': 'e\n',
};

let repo: DiskRepo;
afterEach(() => repo?.cleanup());

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** ours = main with `oursFiles`, theirs = branch from the same base with `theirsFiles`. */
function diverge(oursFiles: Record<string, string | null>, theirsFiles: Record<string, string | null>) {
  repo = makeRepo(files);
  const base = repo.head;
  const theirs = nativeCommitOn(repo, 'feature', base, theirsFiles, 'theirs');
  const ours = nativeCommitOn(repo, 'ours-tmp', base, oursFiles, 'ours');
  repo.git('reset', '-q', '--hard', ours);
  repo.git('branch', '-D', 'ours-tmp');
  return { base, ours, theirs };
}

const clean = {
  ours: { 'src/a.ts': lines(20).replace('line 2\n', 'line 2 ours\n'), 'lib/d.ts': null, 'new/ours.ts': 'o\n', 'docs/e.md': 'same\n' },
  theirs: { 'src/a.ts': lines(20).replace('line 15\n', 'line 15 theirs\n'), 'src/deep/c.ts': 'c2\n', 'src/deep/x/y.ts': 'y\n', 'docs/e.md': 'same\n' },
};

describe('mergeLines', () => {
  it('merges separate regions and refuses overlapping or touching ones, as git does', () => {
    const base = 'a\nb\nc\nd\ne\n';
    expect(mergeLines(base, 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n')).toBe('A\nb\nc\nd\nE\n');
    expect(mergeLines(base, 'a\nB\nc\nd\ne\n', 'a\nb\nC\nd\ne\n')).toBeNull();
    expect(mergeLines(base, 'a\nX\nc\nd\ne\n', 'a\nY\nc\nd\ne\n')).toBeNull();
    expect(mergeLines(base, 'a\nX\nc\nd\ne\n', 'a\nX\nc\nd\ne\n')).toBe('a\nX\nc\nd\ne\n');
  });
});

describe.each(backends)('mergeTrees on %s', (backendName) => {
  it('produces the same tree as git merge-tree --write-tree for non-conflicting changes', async () => {
    const { base, ours, theirs } = diverge(clean.ours, clean.theirs);
    const b = await onBackend(backendName, repo);
    const result = await mergeTrees({ fs: b.fs, gitdir: b.gitdir, base, ours, theirs });
    expect(result.conflicts).toEqual([]);
    const disk = await b.snapshot();
    expect(result.tree).toBe(git(disk, 'merge-tree', '--write-tree', ours, theirs));
    expect(() => git(disk, 'fsck', '--strict', '--no-dangling')).not.toThrow();
  });

  it('reports conflicting paths: same lines, modify/delete and add/add', async () => {
    const { base, ours, theirs } = diverge(
      { 'src/b.ts': 'ours\n', 'lib/d.ts': null, 'added.ts': 'one\n', 'README.md': 'fine\n' },
      { 'src/b.ts': 'theirs\n', 'lib/d.ts': 'changed\n', 'added.ts': 'two\n' },
    );
    const b = await onBackend(backendName, repo);
    const result = await mergeTrees({ fs: b.fs, gitdir: b.gitdir, base, ours, theirs });
    expect(result).toEqual({ tree: null, conflicts: ['added.ts', 'lib/d.ts', 'src/b.ts'] });
  });
});

describe.each(backends)('mergeBranch on %s', (backendName) => {
  it('creates a two-parent merge commit with trailers when the target is not checked out', async () => {
    const { ours, theirs } = diverge(clean.ours, clean.theirs);
    repo.git('checkout', '-q', '-b', 'elsewhere');
    const b = await onBackend(backendName, repo);
    const result = await mergeBranch({
      fs: b.fs, gitdir: b.gitdir, ref: 'main', source: theirs, message: 'Merge tether/g1/m1', author,
      trailers: { 'Tether-Goal': 'g1', 'Tether-Modification': 'm1', 'Tether-Approved-By': 'alice' },
      worktree: { dir: b.dir },
    });
    expect(result.updatedWorktree).toBe(false);
    const disk = await b.snapshot();
    expect(git(disk, 'rev-parse', 'main')).toBe(result.commit);
    expect(git(disk, 'log', '-1', '--format=%P', result.commit)).toBe(`${ours} ${theirs}`);
    expect(result.tree).toBe(git(disk, 'merge-tree', '--write-tree', ours, theirs));
    expect(gitInput(disk, git(disk, 'log', '-1', '--format=%B', result.commit), 'interpret-trailers', '--parse')).toContain('Tether-Approved-By: alice');
    expect(() => git(disk, 'fsck', '--strict', '--no-dangling')).not.toThrow();
    expect(result.changedPaths).toEqual(git(disk, 'diff', '--name-only', ours, result.commit).split('\n'));
  });

  it('refuses a conflicting merge with MERGE_CONFLICT and leaves the ref alone', async () => {
    const { ours, theirs } = diverge({ 'src/b.ts': 'ours\n' }, { 'src/b.ts': 'theirs\n' });
    const b = await onBackend(backendName, repo);
    const error = await mergeBranch({ fs: b.fs, gitdir: b.gitdir, ref: 'main', source: theirs, message: 'm', author }).catch((e) => e);
    expect(error).toBeInstanceOf(TetherError);
    expect(error.code).toBe('MERGE_CONFLICT');
    expect(error.data.paths).toEqual(['src/b.ts']);
    expect(git(await b.snapshot(), 'rev-parse', 'main')).toBe(ours);
  });

  it('lets one of two racing merges into the same target win and the other get REF_CHANGED', async () => {
    const { ours, theirs } = diverge(clean.ours, clean.theirs);
    const other = nativeCommitOn(repo, 'other', ours, { 'README.md': 'other\n' });
    repo.git('checkout', '-q', '-b', 'elsewhere');
    const b = await onBackend(backendName, repo);
    const results = await Promise.allSettled([
      mergeBranch({ fs: b.fs, gitdir: b.gitdir, ref: 'main', source: theirs, message: 'one', author, expectedOld: ours }),
      mergeBranch({ fs: b.fs, gitdir: b.gitdir, ref: 'main', source: other, message: 'two', author, expectedOld: ours }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason.code).toBe('REF_CHANGED');
  });
});

describe('mergeBranch into the checked-out branch on disk', () => {
  it('updates the changed files and leaves git status clean', async () => {
    const { ours, theirs } = diverge(clean.ours, clean.theirs);
    writeFileSync(join(repo.dir, 'README.md'), 'uncommitted but not touched by the merge\n');
    const result = await mergeBranch({
      fs: (await onBackend('disk', repo)).fs, gitdir: repo.gitdir, ref: 'main', source: theirs, message: 'merge', author,
      worktree: { dir: repo.dir },
    });
    expect(result.updatedWorktree).toBe(true);
    expect(repo.git('rev-parse', 'HEAD')).toBe(result.commit);
    // Only the unrelated uncommitted edit remains, unstaged; the merged files are clean.
    expect(repo.git('diff', '--name-only')).toBe('README.md');
    expect(repo.git('checkout', '--', 'README.md')).toBe('');
    expect(repo.git('status', '--porcelain')).toBe('');
    expect(readFileSync(join(repo.dir, 'src/deep/x/y.ts'), 'utf8')).toBe('y\n');
    expect(readFileSync(join(repo.dir, 'src/a.ts'), 'utf8')).toContain('line 15 theirs');
    expect(repo.git('diff', '--cached', '--name-only')).toBe('');
    expect(() => repo.git('fsck', '--strict', '--no-dangling')).not.toThrow();
    void ours;
  });

  it('refuses a dirty tree with DIRTY_WORKTREE and leaves every file byte-identical', async () => {
    const { ours, theirs } = diverge(clean.ours, clean.theirs);
    writeFileSync(join(repo.dir, 'src/a.ts'), 'unstaged work\n');
    writeFileSync(join(repo.dir, 'src/deep/c.ts'), 'staged work\n');
    repo.git('add', 'src/deep/c.ts');
    writeFileSync(join(repo.dir, 'src/deep/x/y.ts'.replace('x/y.ts', 'untracked.ts')), 'not in the way\n');
    const watched = ['src/a.ts', 'src/deep/c.ts', 'README.md', 'new/ours.ts'];
    const before = Object.fromEntries(watched.map((p) => [p, sha(join(repo.dir, p))]));
    const indexBefore = sha(join(repo.gitdir, 'index'));
    const error = await mergeBranch({
      fs: (await onBackend('disk', repo)).fs, gitdir: repo.gitdir, ref: 'main', source: theirs, message: 'merge', author,
      worktree: { dir: repo.dir },
    }).catch((e) => e);
    expect(error.code).toBe('DIRTY_WORKTREE');
    expect(error.data.paths).toEqual(['src/a.ts', 'src/deep/c.ts']);
    expect(Object.fromEntries(watched.map((p) => [p, sha(join(repo.dir, p))]))).toEqual(before);
    expect(sha(join(repo.gitdir, 'index'))).toBe(indexBefore);
    expect(repo.git('rev-parse', 'main')).toBe(ours);
  });

  it('counts an untracked file where the merge adds one as dirty', async () => {
    const { theirs } = diverge(clean.ours, clean.theirs);
    const { nodeFs } = await import('../src/git/node-fs.ts');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(repo.dir, 'src/deep/x'), { recursive: true });
    writeFileSync(join(repo.dir, 'src/deep/x/y.ts'), 'mine\n');
    const head = repo.git('rev-parse', 'HEAD^{tree}');
    const paths = await changedPaths(nodeFs, repo.gitdir, head, (await mergeTrees({ fs: nodeFs, gitdir: repo.gitdir, base: repo.git('merge-base', 'HEAD', theirs), ours: head, theirs })).tree!);
    expect(await wouldOverwrite({ fs: nodeFs, dir: repo.dir, gitdir: repo.gitdir, paths, headTree: head })).toEqual(['src/deep/x/y.ts']);
  });
});

describe('a merge retried after a crash that left the checked-out files behind', () => {
  it('brings the files the merge changed up to date and leaves a person\'s later edit alone', async () => {
    const { ours, theirs } = diverge(clean.ours, clean.theirs);
    const fs = (await onBackend('disk', repo)).fs;
    // The first attempt moved main and died before touching the working tree: the same
    // state as a merge made without the worktree argument while main is checked out.
    const first = await mergeBranch({ fs, gitdir: repo.gitdir, ref: 'main', source: theirs, message: 'merge', author });
    expect(repo.git('status', '--porcelain')).not.toBe('');
    writeFileSync(join(repo.dir, 'src/deep/c.ts'), 'a person edited this after the crash\n');
    const retry = await mergeBranch({ fs, gitdir: repo.gitdir, ref: 'main', source: theirs, message: 'merge', author, worktree: { dir: repo.dir } });
    expect(retry).toMatchObject({ alreadyMerged: true, updatedWorktree: true, commit: first.commit });
    expect(retry.changedPaths).toEqual(['src/a.ts', 'src/deep/x/y.ts']);
    expect(readFileSync(join(repo.dir, 'src/deep/c.ts'), 'utf8')).toBe('a person edited this after the crash\n');
    // That file and its index entry stay as the crash left them (pre-merge index, the
    // person's content); git shows it, and nothing else, for the person to resolve.
    expect(repo.git('status', '--porcelain')).toBe('MM src/deep/c.ts');
    expect(repo.git('rev-parse', 'HEAD')).toBe(first.commit);
    void ours;
  });
});

describe('wouldOverwrite and updateCheckedOut on LightningFS', () => {
  it('reports only dirty given paths, then updates files and index so the status is clean', async () => {
    const { ours, theirs } = diverge(clean.ours, clean.theirs);
    const b = await onBackend('memory', repo);
    const headTree = git(repo.dir, 'rev-parse', `${ours}^{tree}`);
    const merged = await mergeTrees({ fs: b.fs, gitdir: b.gitdir, base: repo.git('merge-base', ours, theirs), ours, theirs });
    const paths = await changedPaths(b.fs, b.gitdir, headTree, merged.tree!);
    expect(await wouldOverwrite({ fs: b.fs, dir: b.dir, gitdir: b.gitdir, paths, headTree, fileMode: false })).toEqual([]);
    await b.fs.promises.writeFile('/repo/src/a.ts', 'dirty\n');
    await b.fs.promises.writeFile('/repo/README.md', 'dirty but not merged\n');
    expect(await wouldOverwrite({ fs: b.fs, dir: b.dir, gitdir: b.gitdir, paths, headTree, fileMode: false })).toEqual(['src/a.ts']);
    await b.fs.promises.writeFile('/repo/src/a.ts', readFileSync(join(repo.dir, 'src/a.ts')));
    await b.fs.promises.writeFile('/repo/README.md', readFileSync(join(repo.dir, 'README.md')));
    await updateCheckedOut({ fs: b.fs, dir: b.dir, gitdir: b.gitdir, oldTree: headTree, newTree: merged.tree!, paths });
    const disk = await b.snapshot();
    // The snapshot's files have new stat data: refresh stat info, then nothing may differ.
    expect(git(disk, 'diff-index', '--cached', '--name-only', merged.tree!)).toBe('');
    git(disk, 'update-index', '-q', '--refresh');
    expect(git(disk, 'diff-files', '--name-only')).toBe('');
  });
});
