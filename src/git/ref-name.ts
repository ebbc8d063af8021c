/**
 * Validation of full ref names, after `git check-ref-format`, so a branch name built from
 * ids can never become a path outside `refs/` or a name git rejects.
 */
import { TetherError } from '../errors.ts';

const FORBIDDEN = /[\u0000-\u0020\u007f~^:?*[\\]/;

/** Throws VALIDATION_FAILED unless `ref` is a valid full ref name under `refs/`. */
export function assertRefName(ref: string, op = 'assertRefName'): void {
  const bad = (why: string): never => {
    throw new TetherError('VALIDATION_FAILED', `invalid ref name ${JSON.stringify(ref)}: ${why}`, { op, ref, reason: why });
  };
  if (!ref.startsWith('refs/')) bad('must start with refs/');
  if (FORBIDDEN.test(ref)) bad('contains a forbidden character');
  if (ref.includes('..') || ref.includes('@{') || ref.includes('//')) bad('contains .., @{ or //');
  if (ref.endsWith('/') || ref.endsWith('.')) bad('ends with / or .');
  for (const part of ref.split('/')) {
    if (part === '' || part.startsWith('.') || part.endsWith('.lock')) bad('has an empty, dot-led or .lock component');
  }
}

/** `main` → `refs/heads/main`; full names are kept. */
export function toBranchRef(branch: string): string {
  return branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
}
