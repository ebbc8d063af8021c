/**
 * The Node adapter: the real disk, through node:fs's promise API. Its exclusive create
 * (`flag: 'wx'`) is atomic, so ref locks work across processes.
 *
 * Loose objects are written atomically (a temporary file, then a rename), as git does.
 * isomorphic-git writes an object straight to its final name and skips the write when the
 * name exists, so a crash in the middle left a truncated object that no retry replaced:
 * the crash suite's random kills found modifications failing with "Invalid compressed
 * buffer" after a restart.
 */
import { promises } from 'node:fs';
import process from 'node:process';
import type { GitFs, GitFsPromises } from './git-fs.ts';

/** `…/objects/ab/<38 hex>`: a loose object's path. */
const LOOSE_OBJECT = /[\\/]objects[\\/][0-9a-f]{2}[\\/][0-9a-f]{38,62}$/;

let counter = 0;

async function writeFile(path: string, data: Uint8Array | string, options?: Parameters<GitFsPromises['writeFile']>[2]): Promise<void> {
  if (!LOOSE_OBJECT.test(path) || (typeof options === 'object' && options?.flag !== undefined)) {
    return promises.writeFile(path, data, options as never);
  }
  const temp = `${path}.tmp-${process.pid}-${++counter}`;
  try {
    await promises.writeFile(temp, data, options as never);
    await promises.rename(temp, path);
  } catch (error) {
    await promises.unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** The real disk for the git layer and isomorphic-git. */
export const nodeFs: GitFs = {
  promises: { ...(promises as unknown as GitFsPromises), writeFile },
  exclusiveCreate: true,
};
