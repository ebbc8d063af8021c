/**
 * Recognizes a path segment that some file system would resolve to the `.git` directory.
 */

/** `git~1` is the 8.3 short name Windows gives `.git`; other `~N` suffixes can too. */
const SHORT_NAME = /^git~\d+$/;

/**
 * True when the segment names `.git` on any platform git runs on: any case (case-insensitive
 * file systems), trailing dots and spaces (Windows strips them), an NTFS stream suffix
 * (`.git::$INDEX_ALLOCATION`) or the 8.3 short name (`git~1`).
 */
export function isGitInternalSegment(segment: string): boolean {
  const folded = segment.toLowerCase();
  const withoutStream = folded.split(':', 1)[0] ?? folded;
  const trimmed = withoutStream.replace(/[. ]+$/, '');
  return trimmed === '.git' || SHORT_NAME.test(trimmed);
}
