/**
 * Checks on a whole modification that need no I/O: how many files, how large, and whether
 * it would create a symlink.
 */
import { TetherError } from '../errors.ts';
import { toPathPolicy, type PathPolicy, type PathPolicyOptions } from './path-policy.ts';

/** The parts of a change these checks look at. */
export interface CheckedChange {
  path: string;
  content?: string | Uint8Array;
  /** Git file mode; `120000` (symlink) is refused. */
  mode?: string;
}

const encoder = new TextEncoder();

/** Size in bytes of content as it will be stored (strings as UTF-8). */
export function contentBytes(content: string | Uint8Array): number {
  return typeof content === 'string' ? encoder.encode(content).byteLength : content.byteLength;
}

/** Throws FILE_TOO_LARGE when content exceeds the policy's limit. */
export function checkFileSize(path: string, content: string | Uint8Array, policy: PathPolicy | PathPolicyOptions = {}, op = 'checkFileSize'): void {
  const { maxFileBytes } = toPathPolicy(policy);
  const bytes = contentBytes(content);
  if (bytes > maxFileBytes) {
    throw new TetherError('FILE_TOO_LARGE', `${path} is ${bytes} bytes, over the ${maxFileBytes}-byte limit`, { op, path, bytes, maxFileBytes });
  }
}

/** Throws SYMLINK_CREATE_DENIED for a symlink mode. */
export function checkChangeMode(path: string, mode: string | undefined, op = 'checkChangeMode'): void {
  if (mode === undefined) return;
  if (mode === '120000' || mode === '0120000') {
    throw new TetherError('SYMLINK_CREATE_DENIED', `a change may not create a symlink: ${path}`, { op, path, mode });
  }
  if (mode !== '100644' && mode !== '100755') {
    throw new TetherError('VALIDATION_FAILED', `unsupported file mode ${mode} for ${path}`, { op, path, mode });
  }
}

/**
 * TOO_MANY_FILES when the modification touches more files than allowed, then per change
 * SYMLINK_CREATE_DENIED and FILE_TOO_LARGE. Paths are checked separately by checkPath.
 */
export function checkChanges(changes: readonly CheckedChange[], policy: PathPolicy | PathPolicyOptions = {}, op = 'checkChanges'): void {
  const compiled = toPathPolicy(policy);
  if (changes.length > compiled.maxFiles) {
    throw new TetherError('TOO_MANY_FILES', `${changes.length} files in one modification, over the limit of ${compiled.maxFiles}`, {
      op,
      count: changes.length,
      maxFiles: compiled.maxFiles,
    });
  }
  for (const change of changes) {
    checkChangeMode(change.path, change.mode, op);
    if (change.content !== undefined) checkFileSize(change.path, change.content, compiled, op);
  }
}
