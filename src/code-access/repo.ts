/**
 * The repository Tether manages, as the code-access layer sees it: an injected git file
 * system (node:fs for a repository on disk, LightningFS in memory), where its objects are,
 * which branch changes merge into, the path policy, and how branches are tested.
 */
import type { GitFs } from '../git/git-fs.ts';
import { createPathPolicy, type PathPolicy, type PathPolicyOptions } from '../policy/path-policy.ts';

export interface RepoOptions {
  fs: GitFs;
  /** The working tree root (absolute). For a bare or in-memory repository, the gitdir's parent. */
  dir: string;
  /** Defaults to `<dir>/.git`. */
  gitdir?: string;
  /** The branch modifications merge into; defaults to the branch HEAD names. */
  targetBranch?: string;
  policy?: PathPolicyOptions;
  /** The shell command that tests a branch; undefined: no tests are run (the step passes). */
  testCommand?: string;
  testTimeoutMs?: number;
  testOutputCapBytes?: number;
  /** Where test sandboxes live: outside the repository. */
  sandboxRoot?: string;
  /** Open modification branches allowed at once (as Renovate's prConcurrentLimit). */
  maxOpenBranches?: number;
  /** How long a tested modification waits for a person before it is abandoned. */
  approvalTtlMs?: number;
  /** Whether the target may be checked out in `dir` (true for a repository on disk). */
  hasWorktree?: boolean;
}

export interface Repo {
  fs: GitFs;
  dir: string;
  gitdir: string;
  targetBranch: string | undefined;
  policy: PathPolicy;
  testCommand: string | undefined;
  testTimeoutMs: number;
  testOutputCapBytes: number;
  sandboxRoot: string | undefined;
  maxOpenBranches: number;
  approvalTtlMs: number;
  hasWorktree: boolean;
  /** isomorphic-git's cache: shared across calls so pack indexes are read once. */
  cache: object;
}

export const DEFAULT_MAX_OPEN_BRANCHES = 10;
export const DEFAULT_APPROVAL_TTL_MS = 7 * 24 * 3600 * 1000;

export function createRepo(options: RepoOptions): Repo {
  return {
    fs: options.fs,
    dir: options.dir,
    gitdir: options.gitdir ?? `${options.dir.replace(/\/+$/, '')}/.git`,
    targetBranch: options.targetBranch,
    policy: createPathPolicy(options.policy),
    testCommand: options.testCommand,
    testTimeoutMs: options.testTimeoutMs ?? 10 * 60 * 1000,
    testOutputCapBytes: options.testOutputCapBytes ?? 64 * 1024,
    sandboxRoot: options.sandboxRoot,
    maxOpenBranches: options.maxOpenBranches ?? DEFAULT_MAX_OPEN_BRANCHES,
    approvalTtlMs: options.approvalTtlMs ?? DEFAULT_APPROVAL_TTL_MS,
    hasWorktree: options.hasWorktree ?? true,
    cache: {},
  };
}
