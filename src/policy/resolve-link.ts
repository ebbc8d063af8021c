/**
 * Lexical resolution of a symlink's target against the directory holding the link, within
 * a root: the shared step of the on-disk and in-tree symlink checks.
 */

/**
 * The root-relative segments a link at `parent` (root-relative segments) points to, or null
 * when the target is absolute outside `root` or climbs above it.
 */
export function resolveLinkTarget(parent: readonly string[], target: string, root?: string): string[] | null {
  let base: string[];
  let rest = target;
  if (target.startsWith('/')) {
    const prefix = root?.replace(/\/+$/, '');
    if (prefix === undefined || prefix === '' || !(target === prefix || target.startsWith(`${prefix}/`))) return null;
    base = [];
    rest = target.slice(prefix.length);
  } else {
    base = [...parent];
  }
  for (const segment of rest.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (base.length === 0) return null;
      base.pop();
    } else base.push(segment);
  }
  return base;
}

/**
 * Whether a link may be created in a checkout (the test sandbox) without any chain of links
 * leading out of it. Lexical resolution alone is not enough there: with `d -> .` and
 * `e -> d/..`, `e` resolves lexically to the root but on disk to the root's parent, since
 * `d/..` climbs from where `d` leads. So `..` is allowed only before the first named
 * segment, where it climbs the link's own directories, which are real directories of the
 * tree; after that the target only descends, and whatever links it descends through obey
 * the same rule, so by induction every link stays inside.
 */
export function isContainedLink(parent: readonly string[], target: string): boolean {
  if (target.startsWith('/') || resolveLinkTarget(parent, target) === null) return false;
  let named = false;
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (named) return false;
    } else named = true;
  }
  return true;
}
