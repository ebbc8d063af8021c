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
