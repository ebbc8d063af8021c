import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TetherError } from '../src/errors.ts';
import { casDeleteRef, casRef } from '../src/git/cas-ref.ts';
import { readRef } from '../src/git/read-ref.ts';
import { backends, git, makeRepo, onBackend, type DiskRepo } from './git-fixtures.ts';

let repo: DiskRepo;
afterEach(() => repo?.cleanup());

function twoCommits(r: DiskRepo): [string, string] {
  r.git('commit', '-q', '--allow-empty', '-m', 'second');
  r.git('commit', '-q', '--allow-empty', '-m', 'third');
  return [r.git('rev-parse', 'HEAD~1'), r.git('rev-parse', 'HEAD')];
}

describe.each(backends)('casRef on %s', (backendName) => {
  it('creates a ref that must not exist and moves it from its old value', async () => {
    repo = makeRepo({ a: 'a' });
    const [x, y] = twoCommits(repo);
    const b = await onBackend(backendName, repo);
    const ref = 'refs/heads/tether/g1/m1';
    await casRef({ fs: b.fs, gitdir: b.gitdir, ref, expectedOld: null, newOid: x });
    await casRef({ fs: b.fs, gitdir: b.gitdir, ref, expectedOld: x, newOid: y });
    expect(git(await b.snapshot(), 'rev-parse', ref)).toBe(y);
  });

  it('refuses a stale expected value with REF_CHANGED carrying expected and actual', async () => {
    repo = makeRepo({ a: 'a' });
    const [x, y] = twoCommits(repo);
    const b = await onBackend(backendName, repo);
    const error = await casRef({ fs: b.fs, gitdir: b.gitdir, ref: 'refs/heads/main', expectedOld: x, newOid: y }).catch((e) => e);
    expect(error).toBeInstanceOf(TetherError);
    expect(error.code).toBe('REF_CHANGED');
    expect(error.data).toMatchObject({ op: 'casRef', expected: x, actual: y });
    const created = await casRef({ fs: b.fs, gitdir: b.gitdir, ref: 'refs/heads/main', expectedOld: null, newOid: x }).catch((e) => e);
    expect(created.code).toBe('REF_CHANGED');
    expect(await b.fs.promises.readdir(`${b.gitdir}/refs/heads`)).not.toContain('main.lock');
  });

  it('lets exactly one of two concurrent swaps with the same expected value win', async () => {
    repo = makeRepo({ a: 'a' });
    const [x, y] = twoCommits(repo);
    const base = repo.git('rev-parse', 'HEAD~2');
    const b = await onBackend(backendName, repo);
    for (let round = 0; round < 10; round++) {
      const ref = `refs/heads/race-${round}`;
      await casRef({ fs: b.fs, gitdir: b.gitdir, ref, expectedOld: null, newOid: base });
      const results = await Promise.allSettled([
        casRef({ fs: b.fs, gitdir: b.gitdir, ref, expectedOld: base, newOid: x }),
        casRef({ fs: b.fs, gitdir: b.gitdir, ref, expectedOld: base, newOid: y }),
      ]);
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [[x, y][i]] : []));
      expect(winners).toHaveLength(1);
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(loser.reason.code).toBe('REF_CHANGED');
      expect(loser.reason.data.actual).toBe(winners[0]);
      expect((await readRef(b.fs, b.gitdir, ref))?.value).toBe(winners[0]);
    }
  });

  it('compares against packed refs when there is no loose file', async () => {
    repo = makeRepo({ a: 'a' });
    const [x] = twoCommits(repo);
    repo.git('branch', 'packed', x);
    repo.git('pack-refs', '--all');
    expect(existsSync(join(repo.gitdir, 'refs/heads/packed'))).toBe(false);
    const b = await onBackend(backendName, repo);
    const head = repo.git('rev-parse', 'HEAD');
    const stale = await casRef({ fs: b.fs, gitdir: b.gitdir, ref: 'refs/heads/packed', expectedOld: null, newOid: head }).catch((e) => e);
    expect(stale.code).toBe('REF_CHANGED');
    await casRef({ fs: b.fs, gitdir: b.gitdir, ref: 'refs/heads/packed', expectedOld: x, newOid: head });
    expect(git(await b.snapshot(), 'rev-parse', 'packed')).toBe(head);
  });

  it('deletes a ref only from its expected value, loose or packed, and prunes empty folders', async () => {
    repo = makeRepo({ a: 'a' });
    const [x, y] = twoCommits(repo);
    repo.git('branch', 'tether/g1/m1', x);
    repo.git('branch', 'tether/g1/m2', y);
    repo.git('pack-refs', '--all');
    repo.git('branch', '-f', 'tether/g1/m2', x); // loose m2 shadows packed m2
    const b = await onBackend(backendName, repo);
    const stale = await casDeleteRef({ fs: b.fs, gitdir: b.gitdir, ref: 'refs/heads/tether/g1/m1', expectedOld: y }).catch((e) => e);
    expect(stale.code).toBe('REF_CHANGED');
    await casDeleteRef({ fs: b.fs, gitdir: b.gitdir, ref: 'refs/heads/tether/g1/m1', expectedOld: x });
    await casDeleteRef({ fs: b.fs, gitdir: b.gitdir, ref: 'refs/heads/tether/g1/m2', expectedOld: x });
    const disk = await b.snapshot();
    expect(git(disk, 'branch', '--list', 'tether/*')).toBe('');
    expect(() => git(disk, 'fsck', '--no-dangling')).not.toThrow();
    // main was packed too: the emptied tether/g1 folders are gone, refs/heads stays.
    if (backendName === 'disk') expect(readdirSync(join(repo.gitdir, 'refs/heads'))).toEqual([]);
    const gone = await casDeleteRef({ fs: b.fs, gitdir: b.gitdir, ref: 'refs/heads/tether/g1/m1', expectedOld: x }).catch((e) => e);
    expect(gone.code).toBe('REF_CHANGED');
  });

  it('rejects invalid ref names before touching the ref store', async () => {
    repo = makeRepo({ a: 'a' });
    const b = await onBackend(backendName, repo);
    for (const ref of ['refs/heads/../../config', 'HEAD', 'refs/heads/a.lock', 'refs/heads/x y']) {
      const error = await casRef({ fs: b.fs, gitdir: b.gitdir, ref, expectedOld: null, newOid: repo.head }).catch((e) => e);
      expect(error.code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('casRef across processes on disk', () => {
  it('treats a lock held by native git as a lost race, and removes nothing it did not create', async () => {
    repo = makeRepo({ a: 'a' });
    const [x] = twoCommits(repo);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(repo.gitdir, 'refs/heads/main.lock'), '');
    const { nodeFs } = await import('../src/git/node-fs.ts');
    const error = await casRef({ fs: nodeFs, gitdir: repo.gitdir, ref: 'refs/heads/main', expectedOld: repo.git('rev-parse', 'HEAD'), newOid: x, timeoutMs: 100 }).catch((e) => e);
    expect(error.code).toBe('REF_CHANGED');
    expect(error.data.locked).toBe(true);
    expect(existsSync(join(repo.gitdir, 'refs/heads/main.lock'))).toBe(true);
  });
});

describe('a ref lock left behind', () => {
  it('by a dead Tether process on this host is removed; git\'s own and a live process\'s stay', async () => {
    repo = makeRepo({ a: 'a' });
    const [x, y] = twoCommits(repo);
    const { nodeFs } = await import('../src/git/node-fs.ts');
    const { hostname } = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const lock = join(repo.gitdir, 'refs/heads/main.lock');
    const ref = 'refs/heads/main';
    // A pid that surely exited: a child that already ran.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, `tether-lock pid=${dead} host=${hostname()}\n`);
    await casRef({ fs: nodeFs, gitdir: repo.gitdir, ref, expectedOld: y, newOid: x, timeoutMs: 100 });
    expect(repo.git('rev-parse', 'main')).toBe(x);
    expect(existsSync(lock)).toBe(false);

    for (const held of ['', `tether-lock pid=${process.pid} host=${hostname()}\n`, `tether-lock pid=${dead} host=elsewhere\n`]) {
      writeFileSync(lock, held);
      const error = await casRef({ fs: nodeFs, gitdir: repo.gitdir, ref, expectedOld: x, newOid: y, timeoutMs: 100 }).catch((e) => e);
      expect(error.code).toBe('REF_CHANGED');
      expect(existsSync(lock)).toBe(true);
      expect(repo.git('rev-parse', 'main')).toBe(x);
    }
  });
  it('is swept at start-up wherever it lies, when a dead Tether process on this host left it', async () => {
    repo = makeRepo({ a: 'a' });
    const { nodeFs } = await import('../src/git/node-fs.ts');
    const { createRepo } = await import('../src/code-access/repo.ts');
    const { sweepLocks } = await import('../src/code-access/sweep-branches.ts');
    const { hostname } = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    mkdirSync(join(repo.gitdir, 'refs/heads/tether/g1'), { recursive: true });
    const orphan = join(repo.gitdir, 'refs/heads/tether/g1/m1.lock');
    const gits = join(repo.gitdir, 'refs/heads/feature.lock');
    const live = join(repo.gitdir, 'index.lock');
    writeFileSync(orphan, `tether-lock pid=${dead} host=${hostname()}\n`);
    writeFileSync(gits, '');
    writeFileSync(live, `tether-lock pid=${process.pid} host=${hostname()}\n`);
    const removed = await sweepLocks(createRepo({ fs: nodeFs, dir: repo.dir }));
    expect(removed).toEqual([orphan]);
    expect([existsSync(orphan), existsSync(gits), existsSync(live)]).toEqual([false, true, true]);
  });
});
