/**
 * Real git repositories for the git-layer tests: made with the native git CLI in temp
 * directories, optionally copied into LightningFS, and checked with git afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, lstatSync, readlinkSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createMemoryFs } from '../src/git/memory-fs.ts';
import type { GitFs } from '../src/git/git-fs.ts';
import { nodeFs } from '../src/git/node-fs.ts';

export const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Native',
  GIT_AUTHOR_EMAIL: 'native@example.com',
  GIT_COMMITTER_NAME: 'Native',
  GIT_COMMITTER_EMAIL: 'native@example.com',
  GIT_AUTHOR_DATE: '1700000000 +0000',
  GIT_COMMITTER_DATE: '1700000000 +0000',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** Runs git in `cwd` and returns its trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

/** Runs git with stdin. */
export function gitInput(cwd: string, input: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', input }).trim();
}

/** A temp directory removed by cleanup(). */
export function tempDir(prefix = 'tether-git-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes files (`path → content`) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A repository on disk with one commit on `main` holding `files`. */
export interface DiskRepo {
  root: string;
  dir: string;
  gitdir: string;
  head: string;
  git: (...args: string[]) => string;
  cleanup: () => void;
}

export function makeRepo(files: Record<string, string>, name = 'repo'): DiskRepo {
  const root = tempDir();
  const dir = join(root, name);
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return {
    root,
    dir,
    gitdir: join(dir, '.git'),
    head: git(dir, 'rev-parse', 'HEAD'),
    git: (...args) => git(dir, ...args),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Commits `files` on `branch` (created from `from`) with native git, without leaving main. */
export function nativeCommitOn(repo: DiskRepo, branch: string, from: string, files: Record<string, string | null>, message = 'change'): string {
  const tmp = tempDir('tether-wt-');
  try {
    git(repo.dir, 'worktree', 'add', '-q', '-b', branch, join(tmp, 'wt'), from);
    const wt = join(tmp, 'wt');
    for (const [path, content] of Object.entries(files)) {
      if (content === null) git(wt, 'rm', '-q', path);
      else writeFiles(wt, { [path]: content });
    }
    git(wt, 'add', '-A');
    git(wt, 'commit', '-q', '-m', message);
    return git(wt, 'rev-parse', 'HEAD');
  } finally {
    git(repo.dir, 'worktree', 'remove', '--force', join(tmp, 'wt'));
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function copyIn(fs: GitFs, from: string, to: string): Promise<void> {
  await fs.promises.mkdir(to).catch(() => undefined);
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = `${to}/${name}`;
    const stat = lstatSync(src);
    if (stat.isDirectory()) await copyIn(fs, src, dst);
    else if (stat.isSymbolicLink()) await fs.promises.symlink(readlinkSync(src), dst);
    else await fs.promises.writeFile(dst, readFileSync(src));
  }
}

async function copyOut(fs: GitFs, from: string, to: string): Promise<void> {
  mkdirSync(to, { recursive: true });
  for (const name of await fs.promises.readdir(from)) {
    const src = `${from}/${name}`;
    const dst = join(to, name);
    const stat = await fs.promises.lstat(src);
    if (stat.isDirectory()) await copyOut(fs, src, dst);
    else if (stat.isSymbolicLink()) symlinkSync(await fs.promises.readlink(src), dst);
    else writeFileSync(dst, (await fs.promises.readFile(src)) as Uint8Array);
  }
}

/** The same repository, on the real disk or copied into LightningFS. */
export interface Backend {
  name: 'disk' | 'memory';
  fs: GitFs;
  dir: string;
  gitdir: string;
  /** A directory on disk where native git can inspect the repository as it is now. */
  snapshot: () => Promise<string>;
}

let memoryCount = 0;

/** Puts the repository on the named backend. */
export async function onBackend(name: 'disk' | 'memory', repo: DiskRepo): Promise<Backend> {
  if (name === 'disk') return { name, fs: nodeFs, dir: repo.dir, gitdir: repo.gitdir, snapshot: async () => repo.dir };
  const fs = createMemoryFs(`test-${process.pid}-${memoryCount++}`);
  await copyIn(fs, repo.dir, '/repo');
  return {
    name,
    fs,
    dir: '/repo',
    gitdir: '/repo/.git',
    snapshot: async () => {
      const out = join(repo.root, `snapshot-${memoryCount++}`);
      await copyOut(fs, '/repo', out);
      return out;
    },
  };
}

export const backends = ['disk', 'memory'] as const;
