/**
 * Loads `<gitdir>/index` with the file's own mtime, which racy-git detection needs.
 */
import { joinPath, lstatOrNull, readFileOrNull, type GitFs } from './git-fs.ts';
import { parseIndex, type GitIndex, type ParseIndexOptions } from './git-index.ts';

/** The index and the second its file was last written (0 when there is no index). */
export interface LoadedIndex extends GitIndex {
  mtimeSeconds: number;
}

/** Reads the index; a repository without one has an empty index. */
export async function readIndex(fs: GitFs, gitdir: string, options: ParseIndexOptions = {}): Promise<LoadedIndex> {
  const path = joinPath(gitdir, 'index');
  const [bytes, stat] = await Promise.all([readFileOrNull(fs, path), lstatOrNull(fs, path)]);
  if (!bytes || bytes.byteLength === 0) return { version: 2, entries: [], optionalExtensions: [], mtimeSeconds: 0 };
  return { ...parseIndex(bytes, options), mtimeSeconds: Math.floor((stat?.mtimeMs ?? 0) / 1000) };
}
