/**
 * Turns a raw, caller-supplied path into the segments of a repository-relative path, or
 * refuses it. Pure string work, no I/O: it runs before anything touches a file system.
 */
import { TetherError } from '../errors.ts';

/**
 * Characters some file systems silently ignore (HFS+ drops them when comparing names), so
 * `.g\u200cit` would open `.git` there. Git refuses them in `.git` look-alikes; we refuse
 * them everywhere because no legitimate source path needs them.
 */
const IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/u;
/** C0 and C1 control characters, DEL included. NUL is one of them. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** A lone surrogate cannot be encoded as UTF-8, so it cannot name a file git can store. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;
/** `C:`, `c:foo`: a drive letter is absolute (or drive-relative) on Windows. */
const DRIVE = /^[a-z]:/i;

/** Options naming the calling operation, stamped on every error. */
export interface NormalizeOptions {
  /** The operation that asked, e.g. `readFile`; goes into the error data. */
  op?: string;
}

/**
 * Returns the normalized segments (NFC, `.` and empty segments dropped, `..` resolved) of a
 * path that stays strictly inside the root. Throws PATH_INVALID, PATH_ABSOLUTE or
 * PATH_OUTSIDE_ROOT.
 *
 * Percent-encoding is deliberately not decoded: the HTTP edge decodes once, and decoding
 * again here would turn a literal file name such as `..%2fx` into a traversal.
 */
export function normalizePathSegments(rawPath: unknown, options: NormalizeOptions = {}): string[] {
  const op = options.op ?? 'checkPath';
  const fail = (code: 'PATH_INVALID' | 'PATH_ABSOLUTE' | 'PATH_OUTSIDE_ROOT', why: string): never => {
    throw new TetherError(code, `${why}: ${JSON.stringify(rawPath)}`, { op, path: rawPath, reason: why });
  };
  if (typeof rawPath !== 'string') return fail('PATH_INVALID', 'path is not a string');
  if (rawPath.length === 0) return fail('PATH_INVALID', 'path is empty');
  if (rawPath.length > 4096) return fail('PATH_INVALID', 'path is too long');
  if (CONTROL.test(rawPath)) return fail('PATH_INVALID', 'path contains a control character');
  if (LONE_SURROGATE.test(rawPath)) return fail('PATH_INVALID', 'path is not valid Unicode');
  // Backslash is a separator on Windows: `src\..\..\x`, `C:\x` and `\\srv\share` all change
  // meaning depending on the platform, so a backslash anywhere is refused outright.
  if (rawPath.includes('\\')) return fail('PATH_INVALID', 'path contains a backslash');
  if (IGNORABLE.test(rawPath)) return fail('PATH_INVALID', 'path contains an ignorable character');
  if (rawPath.startsWith('/')) return fail('PATH_ABSOLUTE', 'path is absolute');
  if (DRIVE.test(rawPath)) return fail('PATH_ABSOLUTE', 'path starts with a drive letter');

  const segments: string[] = [];
  for (const segment of rawPath.normalize('NFC').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return fail('PATH_OUTSIDE_ROOT', 'path leaves the repository root');
      segments.pop();
      continue;
    }
    if (segment.length > 255) return fail('PATH_INVALID', 'path segment is too long');
    // Windows strips trailing dots and spaces, so `...` or `. .` could collapse into `.`/`..`.
    if (/^[. ]+$/.test(segment)) return fail('PATH_INVALID', 'path segment is only dots and spaces');
    segments.push(segment);
  }
  if (segments.length === 0) return fail('PATH_INVALID', 'path names the repository root itself');
  return segments;
}
