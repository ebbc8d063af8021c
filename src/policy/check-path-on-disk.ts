/**
 * The I/O half of the path policy for files in a working tree: follows every symlink on the
 * path (each component, not only the last) and refuses one that leads out of the root or
 * into a path the policy refuses.
 */
import { TetherError } from '../errors.ts';
import { joinPath, lstatOrNull, type GitFs } from '../git/git-fs.ts';
import { checkPath, toPathPolicy, type PathPolicy, type PathPolicyOptions } from './path-policy.ts';
import { resolveLinkTarget } from './resolve-link.ts';

/** Arguments of {@link checkPathOnDisk}. */
export interface CheckPathOnDiskArgs {
  fs: GitFs;
  /** Absolute path of the working tree root. */
  root: string;
  /** The raw path; checkPath runs on it first. */
  path: string;
  policy?: PathPolicy | PathPolicyOptions;
  op?: string;
}

/** The checked path and where it leads. */
export interface CheckedDiskPath {
  /** The normalized path as asked. */
  path: string;
  /** The path after following symlinks (equal to `path` when none was met). */
  resolvedPath: string;
  /** Whether the resolved path exists. */
  exists: boolean;
}

/** Linux's limit on links followed in one lookup. */
const MAX_LINKS = 40;

/**
 * Checks the path (as {@link checkPath}) and then its symlinks on disk: SYMLINK_ESCAPE when a
 * link leads outside the root (absolute or through `..`), or more than 40 links deep; the
 * policy codes when a link leads to a refused path (e.g. `docs/x -> ../.git/config`).
 * A path that does not exist yet is fine up to its first missing component, so a new file
 * under a symlinked directory is caught too.
 */
export async function checkPathOnDisk(args: CheckPathOnDiskArgs): Promise<CheckedDiskPath> {
  const op = args.op ?? 'checkPathOnDisk';
  const policy = toPathPolicy(args.policy);
  const path = checkPath(args.path, policy, { op });
  const pending = path.split('/');
  const resolved: string[] = [];
  let links = 0;
  let exists = true;
  while (pending.length > 0) {
    const segment = pending.shift()!;
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (resolved.pop() === undefined) {
        throw new TetherError('SYMLINK_ESCAPE', `${path} leads outside the repository through a symlink`, { op, path });
      }
      continue;
    }
    if (!exists) {
      resolved.push(segment);
      continue;
    }
    const stat = await lstatOrNull(args.fs, joinPath(args.root, [...resolved, segment].join('/')));
    if (stat === null) {
      exists = false;
      resolved.push(segment);
      continue;
    }
    if (!stat.isSymbolicLink()) {
      resolved.push(segment);
      continue;
    }
    if (++links > MAX_LINKS) throw new TetherError('SYMLINK_ESCAPE', `${path}: too many levels of symlinks`, { op, path });
    const link = [...resolved, segment].join('/');
    const target = await args.fs.promises.readlink(joinPath(args.root, link));
    const next = resolveLinkTarget(resolved, target, args.root);
    if (next === null) {
      throw new TetherError('SYMLINK_ESCAPE', `${path} leads outside the repository through the symlink ${link}`, { op, path, link, target });
    }
    resolved.length = 0;
    pending.unshift(...next);
  }
  const resolvedPath = resolved.join('/');
  // A link may stay inside the root and still land on `.git`, a secret or a denied path.
  if (links > 0) checkPath(resolvedPath, policy, { op });
  return { path, resolvedPath, exists };
}
