import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitChanges } from '../src/git/commit-changes.ts';
import { nodeFs } from '../src/git/node-fs.ts';
import { materialize, runTests } from '../src/git/node-sandbox.ts';
import { git, gitInput, makeRepo, type DiskRepo } from './git-fixtures.ts';

const author = { name: 'Agent', email: 'agent@example.com' };
let repo: DiskRepo;
afterEach(() => repo?.cleanup());

const files = {
  'package.json': '{"name":"x"}\n',
  'test.sh': '#!/bin/sh\ngrep -q ok src/status.txt\n',
  'src/status.txt': 'ok\n',
  'src/old/gone.txt': 'bye\n',
};

describe('materialize', () => {
  it('writes the full tree outside the repository, then only the changed files', async () => {
    repo = makeRepo(files);
    repo.git('update-index', '--chmod=+x', 'test.sh');
    repo.git('commit', '-q', '-m', 'exec');
    const base = repo.git('rev-parse', 'HEAD');
    const sandboxDir = join(repo.root, 'sandboxes', base);
    const first = await materialize({ gitdir: repo.gitdir, commit: base, sandboxDir });
    expect(first).toMatchObject({ mode: 'full', written: 4 });
    expect(readFileSync(join(sandboxDir, 'src/status.txt'), 'utf8')).toBe('ok\n');
    expect(lstatSync(join(sandboxDir, 'test.sh')).mode & 0o111).not.toBe(0);
    expect(existsSync(join(sandboxDir, '.git'))).toBe(false);

    const change = await commitChanges({
      fs: nodeFs, gitdir: repo.gitdir, baseCommit: base, branch: 'tether/g/m', author, message: 'm',
      changes: [{ path: 'src/status.txt', content: 'broken\n' }, { path: 'src/old/gone.txt', delete: true }, { path: 'src/new/n.txt', content: 'n\n' }],
    });
    const second = await materialize({ gitdir: repo.gitdir, commit: change.commit, sandboxDir });
    expect(second).toMatchObject({ mode: 'incremental', written: 2, deleted: 1 });
    expect(readFileSync(join(sandboxDir, 'src/status.txt'), 'utf8')).toBe('broken\n');
    expect(existsSync(join(sandboxDir, 'src/old'))).toBe(false);
    expect(readFileSync(join(sandboxDir, 'src/new/n.txt'), 'utf8')).toBe('n\n');
    // The sandbox equals a native checkout of the commit.
    const native = join(repo.root, 'native');
    mkdirSync(native);
    gitInput(repo.dir, '', '--work-tree', native, 'checkout', change.commit, '--', '.');
    repo.git('reset', '-q'); // the checkout above staged into the repo's index; undo that
    expect(git(repo.root, 'diff', '--no-index', '--stat', native, sandboxDir).trim()).toBe('');
  });

  it('reads packed, deltified objects exactly as git checks them out', async () => {
    repo = makeRepo(files);
    for (let i = 0; i < 15; i++) {
      writeFileSync(join(repo.dir, 'src/status.txt'), `ok\n${'shared line\n'.repeat(200)}version ${i}\n`);
      writeFileSync(join(repo.dir, `src/v${i % 3}.txt`), `${'x'.repeat(3000)}${i}\n`);
      repo.git('add', '-A');
      repo.git('commit', '-q', '-m', `v${i}`);
    }
    repo.git('gc', '-q', '--aggressive');
    expect(repo.git('count-objects', '-v')).toContain('count: 0');
    for (const commit of ['HEAD', 'HEAD~7']) {
      const oid = repo.git('rev-parse', commit);
      const sandboxDir = join(repo.root, `sb-${oid}`);
      await materialize({ gitdir: repo.gitdir, commit: oid, sandboxDir });
      const native = join(repo.root, `native-${oid}`);
      repo.git('worktree', 'add', '-q', '--detach', native, oid);
      rmSync(join(native, '.git'));
      expect(git(repo.root, 'diff', '--no-index', '--stat', native, sandboxDir)).toBe('');
    }
  });

  it('refuses a sandbox inside the repository or a foreign non-empty directory', async () => {
    repo = makeRepo(files);
    await expect(materialize({ gitdir: repo.gitdir, commit: repo.head, sandboxDir: join(repo.dir, 'sb') })).rejects.toMatchObject({ code: 'PATH_DENIED' });
    await expect(materialize({ gitdir: repo.gitdir, commit: repo.head, sandboxDir: repo.root })).rejects.toMatchObject({ code: 'PATH_DENIED' });
    const foreign = join(repo.root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'keep.txt'), 'mine');
    await expect(materialize({ gitdir: repo.gitdir, commit: repo.head, sandboxDir: foreign })).rejects.toMatchObject({ code: 'PATH_DENIED' });
    expect(readFileSync(join(foreign, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('does not create a symlink that leads out of the tree', async () => {
    repo = makeRepo(files);
    const link = gitInput(repo.dir, '/etc', 'hash-object', '-w', '--stdin');
    const tree = gitInput(repo.dir, `${repo.git('ls-tree', 'HEAD')}\n120000 blob ${link}\tetc\n`, 'mktree');
    const commit = repo.git('commit-tree', tree, '-p', 'HEAD', '-m', 'link');
    const result = await materialize({ gitdir: repo.gitdir, commit, sandboxDir: join(repo.root, 'sb') });
    expect(result.skippedSymlinks).toEqual(['etc']);
    expect(existsSync(join(repo.root, 'sb', 'etc'))).toBe(false);
  });

  it('does not create a link that escapes through another link (d -> ., e -> d/..)', async () => {
    repo = makeRepo(files);
    const blob = (text: string) => gitInput(repo.dir, text, 'hash-object', '-w', '--stdin');
    const links = [`120000 blob ${blob('.')}\td`, `120000 blob ${blob('d/..')}\te`, `120000 blob ${blob('src/../d')}\tf`, `120000 blob ${blob('../src')}\tsub-up`];
    const sub = gitInput(repo.dir, `${links[3]}\n`, 'mktree');
    const tree = gitInput(repo.dir, `${repo.git('ls-tree', 'HEAD')}\n${links.slice(0, 3).join('\n')}\n040000 tree ${sub}\tsub\n`, 'mktree');
    const commit = repo.git('commit-tree', tree, '-p', 'HEAD', '-m', 'links');
    const sandboxDir = join(repo.root, 'sb');
    const result = await materialize({ gitdir: repo.gitdir, commit, sandboxDir });
    // Lexically each stays inside; on disk e would be the sandbox's parent.
    expect(result.skippedSymlinks.sort()).toEqual(['e', 'f']);
    expect(existsSync(join(sandboxDir, 'e'))).toBe(false);
    // A link that climbs only its own directories is kept: sub/sub-up -> ../src.
    expect(readFileSync(join(sandboxDir, 'sub/sub-up/status.txt'), 'utf8')).toBe('ok\n');
  });
});

describe('runTests', () => {
  it('runs a real test command in the sandbox and reports its exit code and output', async () => {
    repo = makeRepo(files);
    repo.git('update-index', '--chmod=+x', 'test.sh');
    repo.git('commit', '-q', '-m', 'exec');
    const { dir } = await materialize({ gitdir: repo.gitdir, commit: 'HEAD', sandboxDir: join(repo.root, 'sb') });
    const pass = await runTests({ dir, command: './test.sh && echo passed', timeoutMs: 10_000 });
    expect(pass).toMatchObject({ exitCode: 0, timedOut: false });
    expect(pass.outputTail).toBe('passed\n');
    writeFileSync(join(dir, 'src/status.txt'), 'no\n');
    const fail = await runTests({ dir, command: './test.sh', timeoutMs: 10_000 });
    expect(fail.exitCode).toBe(1);
  });

  it('kills the whole process group when the time limit passes', async () => {
    const started = Date.now();
    const marker = join(process.env.TMPDIR ?? '/tmp', `tether-orphan-${process.pid}-${started}`);
    const result = await runTests({ dir: process.cwd(), command: `(sleep 2; touch ${marker}) & sleep 30`, timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(existsSync(marker)).toBe(false); // the background child died with the group
  });

  it('keeps only the tail of the output under the cap', async () => {
    const result = await runTests({ dir: process.cwd(), command: 'seq 1 100000', timeoutMs: 10_000, outputCapBytes: 100 });
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.outputTail)).toBe(100);
    expect(result.outputTail.endsWith('99999\n100000\n')).toBe(true);
  });
});
