/**
 * The path policy: which repository-relative paths an agent may read or change. `checkPath`
 * is pure and runs before any I/O; the on-disk and in-tree checks live beside it.
 */
import { TetherError } from '../errors.ts';
import { isGitInternalSegment } from './git-internals.ts';
import { compileGlobs, type PathMatcher } from './glob-matcher.ts';
import { normalizePathSegments } from './normalize-path.ts';

/** Configuration and secrets that are protected whatever the caller configures. */
export const ALWAYS_PROTECTED: readonly string[] = [
  '.env*',
  '**/.env*',
  // Submodule URLs and paths are configuration git acts on at checkout time.
  '.gitmodules',
  '**/.gitmodules',
  // Tether's own state directory.
  '.tether/',
];

/** The caller-facing policy settings; every field has a default. */
export interface PathPolicyOptions {
  /** Globs a path must match to be accessible. Default `['**']`. */
  allowed?: readonly string[];
  /** Globs that are refused with PATH_DENIED. Default none. */
  denied?: readonly string[];
  /**
   * Globs refused with PATH_PROTECTED, added to {@link ALWAYS_PROTECTED}: e.g. Tether's own
   * source and policy files when Tether manages its own repository.
   */
  protected?: readonly string[];
  /** Largest file content, in bytes, a change may write. Default 100 KiB. */
  maxFileBytes?: number;
  /** Most files one modification may touch. Default 50. */
  maxFiles?: number;
}

/** A compiled policy: the settings with defaults applied, plus matchers. */
export interface PathPolicy {
  readonly allowed: readonly string[];
  readonly denied: readonly string[];
  /** The protected globs including {@link ALWAYS_PROTECTED}. */
  readonly protected: readonly string[];
  readonly maxFileBytes: number;
  readonly maxFiles: number;
  /** Compiled matchers; treat as opaque. */
  readonly matchers: { allowed: PathMatcher; denied: PathMatcher; protected: PathMatcher };
}

export const DEFAULT_MAX_FILE_BYTES = 100 * 1024;
export const DEFAULT_MAX_FILES = 50;

/** Applies defaults and compiles the globs once, so checking many paths stays cheap. */
export function createPathPolicy(options: PathPolicyOptions = {}): PathPolicy {
  const allowed = options.allowed ?? ['**'];
  const denied = options.denied ?? [];
  const protectedGlobs = [...ALWAYS_PROTECTED, ...(options.protected ?? [])];
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  if (!(maxFileBytes >= 0) || !(maxFiles >= 0)) {
    throw new TetherError('CONFIG_INVALID', 'maxFileBytes and maxFiles must be non-negative', { maxFileBytes, maxFiles });
  }
  return {
    allowed,
    denied,
    protected: protectedGlobs,
    maxFileBytes,
    maxFiles,
    matchers: { allowed: compileGlobs(allowed), denied: compileGlobs(denied), protected: compileGlobs(protectedGlobs) },
  };
}

function isCompiled(policy: PathPolicy | PathPolicyOptions): policy is PathPolicy {
  return 'matchers' in policy;
}

/** Accepts either form, so one-off callers need not compile. */
export function toPathPolicy(policy: PathPolicy | PathPolicyOptions = {}): PathPolicy {
  return isCompiled(policy) ? policy : createPathPolicy(policy);
}

/** Options for {@link checkPath}. */
export interface CheckPathOptions {
  /** The operation being checked, stamped on errors (`readFile`, `commitChanges`, …). */
  op?: string;
}

/**
 * Returns the normalized repository-relative path (NFC, `/`-separated, no `.` or `..`,
 * original case) or throws a TetherError: PATH_INVALID, PATH_ABSOLUTE, PATH_OUTSIDE_ROOT,
 * GIT_INTERNALS_DENIED, PATH_PROTECTED or PATH_DENIED, in that order of precedence.
 * Protected paths are refused for reading too: they include secrets.
 */
export function checkPath(rawPath: unknown, policy: PathPolicy | PathPolicyOptions = {}, options: CheckPathOptions = {}): string {
  const op = options.op ?? 'checkPath';
  const compiled = toPathPolicy(policy);
  const segments = normalizePathSegments(rawPath, { op });
  const path = segments.join('/');
  if (segments.some(isGitInternalSegment)) {
    throw new TetherError('GIT_INTERNALS_DENIED', `path reaches into git internals: ${path}`, { op, path });
  }
  if (compiled.matchers.protected(path)) {
    throw new TetherError('PATH_PROTECTED', `path is protected: ${path}`, { op, path });
  }
  if (compiled.matchers.denied(path)) {
    throw new TetherError('PATH_DENIED', `path is denied by policy: ${path}`, { op, path, reason: 'denied' });
  }
  if (!compiled.matchers.allowed(path)) {
    throw new TetherError('PATH_DENIED', `path is not in the allowed paths: ${path}`, { op, path, reason: 'not-allowed' });
  }
  return path;
}
