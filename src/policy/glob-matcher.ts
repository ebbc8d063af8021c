/**
 * Compiles policy globs into one case-insensitive predicate over repository-relative paths.
 */
import picomatch from 'picomatch';

/** A predicate over normalized, repository-relative paths. */
export type PathMatcher = (path: string) => boolean;

/**
 * A pattern ending in `/` names a directory and everything under it (`secrets/` →
 * `secrets` and `secrets/**`), which is how people write protected folders. Matching is
 * case-insensitive and dotfiles match `*`, so `**` cannot be dodged by a leading dot.
 */
export function compileGlobs(patterns: readonly string[]): PathMatcher {
  const expanded = patterns.flatMap((p) => {
    const trimmed = p.replace(/^\.\//, '');
    return trimmed.endsWith('/') ? [trimmed.slice(0, -1), `${trimmed}**`] : [trimmed];
  });
  if (expanded.length === 0) return () => false;
  const match = picomatch(expanded, { dot: true, nocase: true });
  return (path) => match(path.toLowerCase());
}
