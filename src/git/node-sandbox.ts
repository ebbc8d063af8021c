/**
 * The Node test sandbox: a commit's tree materialized into a directory outside the
 * repository, and the repository's test command run there with a time limit and an output
 * cap. Node adapter: uses node:fs and node:child_process directly.
 *
 * A sandbox directory is reused: the first materialize writes the whole tree, later ones
 * (other modifications on the same base) write only the files that differ from what the
 * directory holds, found by comparing trees by hash. The caller picks one directory per base
 * commit and must not materialize into one directory from two places at once.
 */
import { spawn } from 'node:child_process';
import { setImmediate } from 'node:timers';
import { inflateSync } from 'node:zlib';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import git from 'isomorphic-git';
import { TetherError } from '../errors.ts';
import { isGitInternalSegment } from '../policy/git-internals.ts';
import { isContainedLink } from '../policy/resolve-link.ts';
import { changedPaths } from './changed-paths.ts';
import type { GitContext } from './git-context.ts';
import { nodeFs } from './node-fs.ts';
import { fasterInJs, inflateKnownSize } from './inflate.ts';
import { ObjectReader, parseTree } from './object-reader.ts';
import { EMPTY_TREE, readTreeEntries, resolveTree, type TreeEntry } from './tree-entries.ts';

/** Arguments of {@link materialize}. */
export interface MaterializeArgs {
  gitdir: string;
  /** The commit (or tree) to materialize: an object id or a ref name. */
  commit: string;
  /** The sandbox directory: outside the repository, one per base commit. */
  sandboxDir: string;
  /** isomorphic-git cache; pass one across calls to reuse pack indexes. */
  cache?: object;
}

/** What {@link materialize} did. */
export interface MaterializeResult {
  dir: string;
  tree: string;
  /** `full` on first use (or after an interrupted update), `incremental` afterwards. */
  mode: 'full' | 'incremental';
  /** Files (re)written. */
  written: number;
  deleted: number;
  /** Symlinks not created because they lead outside the tree. */
  skippedSymlinks: string[];
  durationMs: number;
}

interface SandboxState {
  owner: 'tether';
  /** The tree the directory holds; null while an update is in progress. */
  tree: string | null;
}

const OP = 'materialize';

function stateFile(sandboxDir: string): string {
  // Beside the sandbox, not in it: the test command sees only the tree's files.
  return join(dirname(sandboxDir), `.${basename(sandboxDir)}.tether-sandbox.json`);
}

async function readState(sandboxDir: string): Promise<SandboxState | null> {
  try {
    const state = JSON.parse(await readFile(stateFile(sandboxDir), 'utf8')) as SandboxState;
    return state.owner === 'tether' ? state : null;
  } catch {
    return null;
  }
}

async function writeState(sandboxDir: string, state: SandboxState): Promise<void> {
  const file = stateFile(sandboxDir);
  await writeFile(`${file}.tmp`, JSON.stringify(state));
  await rename(`${file}.tmp`, file);
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

/** Refuses a sandbox inside the repository, or one that contains it. */
function assertOutsideRepo(gitdir: string, sandboxDir: string): void {
  const git = resolve(gitdir);
  const repo = basename(git) === '.git' ? dirname(git) : git;
  if (isInside(sandboxDir, repo) || isInside(repo, sandboxDir)) {
    throw new TetherError('PATH_DENIED', `the sandbox must be outside the repository: ${sandboxDir}`, { op: OP, sandboxDir, repo });
  }
}

function assertEntryName(name: string, path: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') || isGitInternalSegment(name)) {
    throw new TetherError('PATH_INVALID', `the tree holds an unsafe entry: ${path}`, { op: OP, path });
  }
}

/** Writes one tree entry's file at `full`; returns false for a symlink that was skipped. */
async function writeEntry(ctx: GitContext, root: string, path: string, entry: TreeEntry): Promise<boolean> {
  const full = join(root, path);
  if (entry.type === 'commit') {
    await mkdir(full, { recursive: true });
    return true;
  }
  const { blob } = await git.readBlob({ fs: ctx.fs, gitdir: ctx.gitdir, oid: entry.oid, cache: ctx.cache ?? {} });
  if (entry.mode === '120000') {
    const target = new TextDecoder().decode(blob);
    const parent = path.split('/').slice(0, -1);
    // The test command runs in here: a link out of the tree would let it read the host.
    if (!isContainedLink(parent, target)) return false;
    await symlink(target, full);
    return true;
  }
  await writeFile(full, blob, { mode: entry.mode === '100755' ? 0o755 : 0o644 });
  return true;
}

/** Hands the event loop back this often during a full checkout (writes are synchronous). */
const YIELD_MS = 10;
const yieldToLoop = () => new Promise<void>((resolvePromise) => setImmediate(resolvePromise));

/**
 * Writes the whole tree into an empty `root`, in one depth-first pass: each directory is
 * created once, each object read once (packed ones synchronously) and each file written
 * with synchronous calls. For thousands of small files that costs about as
 * much as git's own checkout; promise-based writes measured 1.2 to 3 times slower (three
 * thread-pool round trips per file, and two cores). The event loop gets a turn every few
 * milliseconds.
 */
async function fullCheckout(ctx: GitContext, root: string, tree: string, skipped: string[]): Promise<number> {
  // Small objects in JavaScript (a node:zlib call costs more), others with an output buffer
  // of the known size: zlib's default of 16 KiB per call was most of a checkout's garbage.
  const inflate = (data: Uint8Array, size?: number) =>
    size === undefined ? inflateSync(data) : fasterInJs(data, size) ? inflateKnownSize(data, size) : inflateSync(data, { chunkSize: Math.max(64, size + 1) });
  const reader = await new ObjectReader(ctx.fs, ctx.gitdir, inflate).open();
  await rm(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  let files = 0;
  let lastYield = performance.now();
  const walk = async (dir: string, content: Uint8Array): Promise<void> => {
    for (const entry of parseTree(content)) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      assertEntryName(entry.name, path);
      const full = `${root}/${path}`;
      if (entry.mode === 0o160000) {
        // A submodule: git leaves an empty directory.
        mkdirSync(full);
        files++;
        continue;
      }
      const object = reader.readBytes(content, entry.oid);
      const { type, content: data } = object instanceof Promise ? await object : object;
      if (entry.mode === 0o40000) {
        if (type !== 'tree') throw new TetherError('INTERNAL', `the tree entry ${path} is a ${type}, not a tree`, { op: OP, path });
        mkdirSync(full);
        await walk(path, data);
        continue;
      }
      if (type !== 'blob') throw new TetherError('INTERNAL', `the tree entry ${path} is a ${type}, not a blob`, { op: OP, path });
      files++;
      if (entry.mode === 0o120000) {
        // The test command runs in here: a link out of the tree would let it read the host.
        const target = new TextDecoder().decode(data);
        if (!isContainedLink(dir ? dir.split('/') : [], target)) skipped.push(path);
        else symlinkSync(target, full);
      } else writeFileSync(full, data, { mode: entry.mode & 0o100 ? 0o755 : 0o644 });
      if (performance.now() - lastYield > YIELD_MS) {
        await yieldToLoop();
        lastYield = performance.now();
      }
    }
  };
  if (tree !== EMPTY_TREE) await walk('', (await reader.read(tree)).content);
  return files;
}

async function removePath(root: string, path: string): Promise<boolean> {
  const full = join(root, path);
  const stat = await lstat(full).catch(() => null);
  if (!stat) return false;
  if (stat.isDirectory()) await rm(full, { recursive: true, force: true });
  else await unlink(full);
  // Git has no empty directories: prune the parents a delete emptied.
  for (let dir = dirname(full); dir !== root && isInside(dir, root); dir = dirname(dir)) {
    if ((await readdir(dir).catch(() => ['?'])).length > 0) break;
    await rmdir(dir).catch(() => undefined);
  }
  return true;
}

async function incrementalUpdate(ctx: GitContext, root: string, from: string, to: string, skipped: string[]): Promise<{ written: number; deleted: number }> {
  const paths = await changedPaths(ctx.fs, ctx.gitdir, from, to, ctx.cache);
  let written = 0;
  let deleted = 0;
  const targets = await Promise.all(
    paths.map(async (path) => {
      const segments = path.split('/');
      segments.forEach((name) => assertEntryName(name, path));
      let oid = to;
      let entry: TreeEntry | undefined;
      for (const name of segments) {
        entry = (await readTreeEntries(ctx, oid)).find((e) => e.path === name);
        if (!entry || entry.type !== 'tree') break;
        oid = entry.oid;
      }
      const found = entry && entry.path === segments[segments.length - 1] && entry.type !== 'tree' ? entry : null;
      return { path, entry: found };
    }),
  );
  // Removals first: a file may become a directory or the other way round.
  for (const { path, entry } of targets) if ((await removePath(root, path)) && !entry) deleted++;
  for (const { path, entry } of targets) {
    if (!entry) continue;
    await mkdir(dirname(join(root, path)), { recursive: true });
    if (await writeEntry(ctx, root, path, entry)) written++;
    else skipped.push(path);
  }
  return { written, deleted };
}

/**
 * Makes `sandboxDir` hold exactly the tree of `commit` (files written by earlier test runs
 * at paths the trees do not name are left alone). Refuses a directory that is inside the
 * repository, or that holds files and was not created by materialize.
 */
export async function materialize(args: MaterializeArgs): Promise<MaterializeResult> {
  const started = performance.now();
  const root = resolve(args.sandboxDir);
  assertOutsideRepo(args.gitdir, root);
  const ctx: GitContext = { fs: nodeFs, gitdir: args.gitdir, cache: args.cache ?? {} };
  const oid = /^[0-9a-f]{40}$/.test(args.commit) ? args.commit : await git.resolveRef({ fs: nodeFs, gitdir: args.gitdir, ref: args.commit });
  const tree = await resolveTree(ctx, oid);
  await mkdir(dirname(root), { recursive: true });
  const state = await readState(root);
  if (!state) {
    const existing = await readdir(root).catch(() => [] as string[]);
    if (existing.length > 0) {
      throw new TetherError('PATH_DENIED', `${root} is not empty and is not a Tether sandbox`, { op: OP, sandboxDir: root });
    }
  }
  const skippedSymlinks: string[] = [];
  // Mark the update as in progress first: if it is interrupted, the next call starts over
  // with a full checkout instead of trusting a half-updated directory.
  await writeState(root, { owner: 'tether', tree: null });
  let result: Pick<MaterializeResult, 'mode' | 'written' | 'deleted'>;
  if (state?.tree) {
    const counts = await incrementalUpdate(ctx, root, state.tree, tree, skippedSymlinks);
    result = { mode: 'incremental', ...counts };
  } else {
    const written = await fullCheckout(ctx, root, tree, skippedSymlinks);
    result = { mode: 'full', written, deleted: 0 };
  }
  await writeState(root, { owner: 'tether', tree });
  return { dir: root, tree, ...result, skippedSymlinks, durationMs: performance.now() - started };
}

/** Arguments of {@link runTests}. */
export interface RunTestsArgs {
  /** Working directory: the sandbox. */
  dir: string;
  /** A shell command line (the repository's TETHER_TEST_COMMAND). */
  command: string;
  /** Time limit; the whole process group is killed when it passes. */
  timeoutMs: number;
  /** Bytes of combined output kept (the tail). Default 64 KiB. */
  outputCapBytes?: number;
  /** Environment; defaults to this process's environment. */
  env?: Record<string, string | undefined>;
}

/** The outcome of a test run. */
export interface RunTestsResult {
  /** The exit code, or null when the process was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** The last `outputCapBytes` of stdout and stderr, interleaved as they arrived. */
  outputTail: string;
  /** Whether output was dropped from the front to respect the cap. */
  truncated: boolean;
  timedOut: boolean;
}

/** Keeps the last `cap` bytes of a stream of chunks. */
class Tail {
  private chunks: Uint8Array[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    while (this.size > this.cap && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.cap;
      this.truncated = true;
      if (first.byteLength <= excess) {
        this.chunks.shift();
        this.size -= first.byteLength;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }
  text(): string {
    return new TextDecoder().decode(Buffer.concat(this.chunks));
  }
}

/**
 * Runs the command in its own process group and resolves when it ends, or when the time
 * limit kills the group (SIGTERM, then SIGKILL after a second). Never rejects for a failing
 * command: the exit code says so.
 */
export function runTests(args: RunTestsArgs): Promise<RunTestsResult> {
  const started = performance.now();
  const tail = new Tail(args.outputCapBytes ?? 64 * 1024);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(args.command, {
      cwd: args.dir,
      shell: true,
      // A new process group, so the kill reaches everything the command started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: args.env ?? process.env,
    });
    let timedOut = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), 1000);
    }, args.timeoutMs);
    child.stdout.on('data', (chunk: Uint8Array) => tail.push(chunk));
    child.stderr.on('data', (chunk: Uint8Array) => tail.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      reject(new TetherError('INTERNAL', `could not start the test command: ${error.message}`, { op: 'runTests' }, { cause: error }));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      // Whatever the command left running in its group goes with it.
      killGroup('SIGKILL');
      const finish = () =>
        resolvePromise({
          exitCode: code,
          signal,
          durationMs: performance.now() - started,
          outputTail: tail.text(),
          truncated: tail.truncated,
          timedOut,
        });
      // Wait briefly for the pipes to drain; a daemon outside the group may hold them open.
      let done = false;
      const once = () => {
        if (!done) {
          done = true;
          finish();
        }
      };
      child.once('close', once);
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        once();
      }, 500).unref();
    });
  });
}
