/**
 * The Node adapter: the real disk, through node:fs's promise API. Its exclusive create
 * (`flag: 'wx'`) is atomic, so ref locks work across processes.
 */
import { promises } from 'node:fs';
import type { GitFs, GitFsPromises } from './git-fs.ts';

/** The real disk for the git layer and isomorphic-git. */
export const nodeFs: GitFs = {
  promises: promises as unknown as GitFsPromises,
  exclusiveCreate: true,
};
