/**
 * Reads one ref's value straight from the ref store (loose file, then packed-refs), without
 * isomorphic-git's ref cache, because compare-and-swap must see what is on disk now.
 */
import { joinPath, readFileOrNull, type GitFs } from './git-fs.ts';

const decoder = new TextDecoder();

/** Where a ref's value was found. */
export interface RefValue {
  /** The object id, or `ref: <target>` for a symbolic ref. */
  value: string;
  /** Whether it came from a loose file or from packed-refs. */
  source: 'loose' | 'packed';
}

/** The value of `ref` in packed-refs, if any. */
export async function readPackedRef(fs: GitFs, gitdir: string, ref: string): Promise<string | null> {
  const packed = await readFileOrNull(fs, joinPath(gitdir, 'packed-refs'));
  if (!packed) return null;
  for (const line of decoder.decode(packed).split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(space + 1).trimEnd() === ref) return line.slice(0, space);
  }
  return null;
}

/** The current value of `ref`, or null when it does not exist. */
export async function readRef(fs: GitFs, gitdir: string, ref: string): Promise<RefValue | null> {
  const loose = await readFileOrNull(fs, joinPath(gitdir, ref));
  if (loose) return { value: decoder.decode(loose).trim(), source: 'loose' };
  const packed = await readPackedRef(fs, gitdir, ref);
  return packed === null ? null : { value: packed, source: 'packed' };
}
