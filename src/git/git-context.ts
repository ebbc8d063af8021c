/**
 * What every object-database operation needs: the injected fs, the git directory and
 * isomorphic-git's cache (pack indexes are parsed once per cache object, not per read).
 */
import type { GitFs } from './git-fs.ts';

export interface GitContext {
  fs: GitFs;
  /** The git directory (`<repo>/.git` or a bare repository). */
  gitdir: string;
  /** isomorphic-git's cache object; pass the same one across calls to reuse pack indexes. */
  cache?: object;
}

/** A context with a cache, creating one when the caller gave none. */
export function withCache(ctx: GitContext): Required<GitContext> {
  return { fs: ctx.fs, gitdir: ctx.gitdir, cache: ctx.cache ?? {} };
}
