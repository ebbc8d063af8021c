/**
 * A unified diff as structured files and hunks (the `diff` library's parsePatch), so the
 * review page renders lines as text nodes instead of parsing or injecting diff text.
 */
import { parsePatch } from 'diff';

export interface DiffFile {
  oldPath: string | null;
  newPath: string | null;
  hunks: { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[] }[];
}

function stripPrefix(name: string | undefined, prefix: string): string | null {
  if (!name || name === '/dev/null') return null;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

export function diffFiles(unified: string): DiffFile[] {
  if (!unified.trim()) return [];
  return parsePatch(unified).map((patch) => ({
    oldPath: stripPrefix(patch.oldFileName, 'a/'),
    newPath: stripPrefix(patch.newFileName, 'b/'),
    hunks: patch.hunks.map((h) => ({ oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, lines: h.lines })),
  }));
}
