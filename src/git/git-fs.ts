/**
 * The file system port of the git layer: the promise API that isomorphic-git accepts
 * (`{ promises }`), plus a capability flag. Node's fs and LightningFS both fit; adapters
 * live in node-fs.ts and memory-fs.ts.
 */

/** The subset of a stat result the git layer reads. */
export interface GitFsStats {
  mode: number;
  size: number;
  ino: number;
  dev: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  ctimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** The promise-returning calls the git layer and isomorphic-git make. */
export interface GitFsPromises {
  readFile(path: string, options?: 'utf8' | { encoding?: 'utf8' }): Promise<Uint8Array | string>;
  writeFile(path: string, data: Uint8Array | string, options?: { mode?: number; flag?: string; encoding?: 'utf8' }): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string, options?: { mode?: number }): Promise<unknown>;
  rmdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<GitFsStats>;
  lstat(path: string): Promise<GitFsStats>;
  readlink(path: string): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
  chmod?(path: string, mode: number): Promise<void>;
  /** A hard link; where present, lock files are created with their content in one step. */
  link?(existingPath: string, newPath: string): Promise<void>;
}

/** An injected file system. */
export interface GitFs {
  promises: GitFsPromises;
  /**
   * True when `writeFile(path, data, { flag: 'wx' })` fails with EEXIST on an existing file
   * (an atomic exclusive create, as on a real disk). When false or absent, lock files fall
   * back to an in-process mutex: correct within one process only (LightningFS).
   */
  exclusiveCreate?: boolean;
}

/** The error code a file system put on a failure (`ENOENT`, `EEXIST`, …), if any. */
export function fsErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** True for "no such file" (and "a path component is not a directory"). */
export function isNotFound(error: unknown): boolean {
  const code = fsErrorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reads a file, or returns null when it does not exist. */
export async function readFileOrNull(fs: GitFs, path: string): Promise<Uint8Array | null> {
  try {
    const data = await fs.promises.readFile(path);
    // LightningFS resolves a directory read to undefined instead of failing.
    if (data == null) return null;
    return typeof data === 'string' ? new TextEncoder().encode(data) : data;
  } catch (error) {
    if (isNotFound(error) || fsErrorCode(error) === 'EISDIR') return null;
    throw error;
  }
}

/** lstat, or null when the path does not exist. */
export async function lstatOrNull(fs: GitFs, path: string): Promise<GitFsStats | null> {
  try {
    return await fs.promises.lstat(path);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** mkdir -p, for file systems whose mkdir is not recursive (LightningFS). */
export async function mkdirp(fs: GitFs, dir: string): Promise<void> {
  try {
    await fs.promises.mkdir(dir);
    return;
  } catch (error) {
    const code = fsErrorCode(error);
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT') throw error;
  }
  const parent = dir.slice(0, dir.lastIndexOf('/'));
  if (parent === '' || parent === dir) throw new Error(`cannot create ${dir}`);
  await mkdirp(fs, parent);
  try {
    await fs.promises.mkdir(dir);
  } catch (error) {
    if (fsErrorCode(error) !== 'EEXIST') throw error;
  }
}

/** Joins a directory and a repository-relative path with `/`, as isomorphic-git does. */
export function joinPath(dir: string, relative: string): string {
  if (relative === '') return dir;
  return dir.endsWith('/') ? `${dir}${relative}` : `${dir}/${relative}`;
}
