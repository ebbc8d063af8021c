import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { afterEach, describe, expect, it } from 'vitest';
import { TetherError } from '../src/errors.ts';
import { commitChanges } from '../src/git/commit-changes.ts';
import { changedPaths } from '../src/git/changed-paths.ts';
import { backends, git, gitInput, makeRepo, onBackend, type DiskRepo } from './git-fixtures.ts';
import { rejectionCode } from './support/error-code.ts';

const author = { name: 'Agent', email: 'agent@tether.local', timestamp: 1700000100 };
const trailers = { 'Tether-Goal': 'g1', 'Tether-Modification': 'm1' };
const files = {
  'README.md': 'hello\n',
  'src/a.ts': 'export const a = 1;\n',
  'src/deep/b.ts': 'line1\nline2\nline3\n',
  'lib/c.ts': 'c\n',
  'bin/run.sh': '#!/bin/sh\necho hi\n',
};

let repo: DiskRepo;
afterEach(() => repo?.cleanup());

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe.each(backends)('commitChanges on %s', (backendName) => {
  it('commits to a new branch without touching the working tree or the index', async () => {
    repo = makeRepo(files);
    repo.git('update-index', '--refresh');
    const indexBefore = sha256(join(repo.gitdir, 'index'));
    const b = await onBackend(backendName, repo);
    const result = await commitChanges({
      fs: b.fs,
      gitdir: b.gitdir,
      baseCommit: repo.head,
      branch: 'tether/g1/m1',
      changes: [
        { path: 'src/a.ts', content: 'export const a = 2;\n' },
        { path: 'src/new/d.ts', content: 'new\n' },
        { path: 'lib/c.ts', delete: true },
      ],
      message: 'Change a, add d, drop c',
      author,
      trailers,
    });
    expect(result.changedPaths).toEqual(['lib/c.ts', 'src/a.ts', 'src/new/d.ts']);
    const disk = await b.snapshot();
    expect(git(disk, 'rev-parse', 'refs/heads/tether/g1/m1')).toBe(result.commit);
    expect(git(disk, 'rev-parse', `${result.commit}^`)).toBe(repo.head);
    expect(git(disk, 'show', `${result.commit}:src/a.ts`)).toBe('export const a = 2;');
    expect(git(disk, 'show', `${result.commit}:src/new/d.ts`)).toBe('new');
    expect(() => git(disk, 'cat-file', '-e', `${result.commit}:lib/c.ts`)).toThrow();
    // Untouched subtrees keep their ids.
    expect(git(disk, 'rev-parse', `${result.commit}:src/deep`)).toBe(repo.git('rev-parse', 'HEAD:src/deep'));
    expect(git(disk, 'rev-parse', `${result.commit}:bin`)).toBe(repo.git('rev-parse', 'HEAD:bin'));
    expect(() => git(disk, 'fsck', '--strict', '--no-dangling')).not.toThrow();
    expect(git(disk, 'diff', '--name-only', repo.head, result.commit).split('\n')).toEqual(result.changedPaths);
    // The user's side: same branch, clean status, byte-identical index.
    expect(repo.git('status', '--porcelain')).toBe('');
    expect(repo.git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(sha256(join(repo.gitdir, 'index'))).toBe(indexBefore);
  });

  it('writes the trailers that git interpret-trailers parses', async () => {
    repo = makeRepo(files);
    const b = await onBackend(backendName, repo);
    const { commit } = await commitChanges({
      fs: b.fs, gitdir: b.gitdir, baseCommit: repo.head, branch: 'tether/g1/m1',
      changes: [{ path: 'README.md', content: 'bye\n' }], message: 'Say bye\n\nLonger body.', author, trailers,
    });
    const disk = await b.snapshot();
    const message = git(disk, 'log', '-1', '--format=%B', commit);
    expect(gitInput(disk, message, 'interpret-trailers', '--parse')).toBe('Tether-Goal: g1\nTether-Modification: m1');
    expect(git(disk, 'log', '-1', '--format=%an <%ae> %at', commit)).toBe('Agent <agent@tether.local> 1700000100');
  });

  it('continues the branch on a second commit and preserves the executable bit', async () => {
    repo = makeRepo(files);
    repo.git('update-index', '--chmod=+x', 'bin/run.sh');
    repo.git('commit', '-q', '-m', 'exec');
    const base = repo.git('rev-parse', 'HEAD');
    const b = await onBackend(backendName, repo);
    const first = await commitChanges({
      fs: b.fs, gitdir: b.gitdir, baseCommit: base, branch: 'tether/g1/m1',
      changes: [{ path: 'README.md', content: 'one\n' }], message: 'one', author, trailers,
    });
    const second = await commitChanges({
      fs: b.fs, gitdir: b.gitdir, baseCommit: base, branch: 'tether/g1/m1',
      changes: [{ path: 'bin/run.sh', content: '#!/bin/sh\necho two\n' }], message: 'two', author, trailers,
    });
    expect(second.parent).toBe(first.commit);
    const disk = await b.snapshot();
    expect(git(disk, 'ls-tree', second.commit, 'bin/run.sh').split(' ')[0]).toBe('100755');
    expect(git(disk, 'show', `${second.commit}:README.md`)).toBe('one');
  });

  it('applies a unified patch to the base blob', async () => {
    repo = makeRepo(files);
    const b = await onBackend(backendName, repo);
    const patch = createTwoFilesPatch('a/src/deep/b.ts', 'b/src/deep/b.ts', files['src/deep/b.ts'], 'line1\nLINE2\nline3\n');
    const { commit } = await commitChanges({
      fs: b.fs, gitdir: b.gitdir, baseCommit: repo.head, branch: 'tether/g1/m1',
      changes: [{ path: 'src/deep/b.ts', patch }], message: 'patch', author, trailers,
    });
    expect(git(await b.snapshot(), 'show', `${commit}:src/deep/b.ts`)).toBe('line1\nLINE2\nline3');
  });

  it('refuses a patch that does not apply with PATCH_FAILED and leaves no branch', async () => {
    repo = makeRepo(files);
    const b = await onBackend(backendName, repo);
    const patch = createTwoFilesPatch('a', 'b', 'other\ncontent\n', 'changed\ncontent\n');
    const run = commitChanges({
      fs: b.fs, gitdir: b.gitdir, baseCommit: repo.head, branch: 'tether/g1/m1',
      changes: [{ path: 'src/deep/b.ts', patch }], message: 'patch', author, trailers,
    });
    expect(await rejectionCode(run)).toBe('PATCH_FAILED');
    const disk = await b.snapshot();
    expect(() => git(disk, 'rev-parse', '--verify', '-q', 'refs/heads/tether/g1/m1')).toThrow();
  });

  it('refuses protected, internal and oversized changes before writing anything', async () => {
    repo = makeRepo(files);
    const b = await onBackend(backendName, repo);
    const attempt = (changes: { path: string; content: string; mode?: string }[]) =>
      rejectionCode(commitChanges({ fs: b.fs, gitdir: b.gitdir, baseCommit: repo.head, branch: 'tether/g1/m1', changes, message: 'x', author }));
    expect(await attempt([{ path: '.env', content: 'SECRET=1' }])).toBe('PATH_PROTECTED');
    expect(await attempt([{ path: '.git/hooks/pre-commit', content: 'rm -rf /' }])).toBe('GIT_INTERNALS_DENIED');
    expect(await attempt([{ path: '../x', content: 'x' }])).toBe('PATH_OUTSIDE_ROOT');
    expect(await attempt([{ path: 'big', content: 'x'.repeat(100 * 1024 + 1) }])).toBe('FILE_TOO_LARGE');
    expect(await attempt([{ path: 'link', content: '/etc', mode: '120000' }])).toBe('SYMLINK_CREATE_DENIED');
    expect(await attempt(Array.from({ length: 51 }, (_, i) => ({ path: `f${i}`, content: '' })))).toBe('TOO_MANY_FILES');
  });

  it('refuses writing through a symlinked directory in the tree with SYMLINK_ESCAPE', async () => {
    repo = makeRepo(files);
    // A tree with `etc -> /etc`, made with native git so the working tree never has it.
    const link = gitInput(repo.dir, '/etc', 'hash-object', '-w', '--stdin');
    const tree = gitInput(repo.dir, `${repo.git('ls-tree', 'HEAD')}\n120000 blob ${link}\tetc\n`, 'mktree');
    const base = repo.git('commit-tree', tree, '-p', 'HEAD', '-m', 'link');
    const b = await onBackend(backendName, repo);
    const run = commitChanges({
      fs: b.fs, gitdir: b.gitdir, baseCommit: base, branch: 'tether/g1/m1',
      changes: [{ path: 'etc/cron.d/evil', content: 'x' }], message: 'x', author,
    });
    expect(await rejectionCode(run)).toBe('SYMLINK_ESCAPE');
  });

  it('loses a race for a new branch with REF_CHANGED', async () => {
    repo = makeRepo(files);
    const b = await onBackend(backendName, repo);
    const args = { fs: b.fs, gitdir: b.gitdir, baseCommit: repo.head, branch: 'tether/g1/m1', message: 'x', author, expectedOld: null };
    const results = await Promise.allSettled([
      commitChanges({ ...args, changes: [{ path: 'README.md', content: 'one\n' }] }),
      commitChanges({ ...args, changes: [{ path: 'README.md', content: 'two\n' }] }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(TetherError);
    expect(lost.reason.code).toBe('REF_CHANGED');
  });
});

describe.each(backends)('changedPaths on %s', (backendName) => {
  it('lists exactly the files git diff lists', async () => {
    repo = makeRepo(files);
    const b = await onBackend(backendName, repo);
    const { commit } = await commitChanges({
      fs: b.fs, gitdir: b.gitdir, baseCommit: repo.head, branch: 'tether/g1/m1',
      changes: [{ path: 'src/deep/b.ts', delete: true }, { path: 'x/y/z.ts', content: 'z' }, { path: 'README.md', content: 'r' }],
      message: 'x', author,
    });
    const paths = await changedPaths(b.fs, b.gitdir, repo.head, commit);
    expect(paths).toEqual(git(await b.snapshot(), 'diff', '--name-only', repo.head, commit).split('\n'));
  });
});
