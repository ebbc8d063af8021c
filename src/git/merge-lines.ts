/**
 * A line-level three-way merge of text, clean only when the two sides changed separate
 * regions of the base: as git's merge, changes that overlap or touch are a conflict unless
 * both sides made the identical change.
 */
import { diffArrays } from 'diff';

interface Hunk {
  /** First base line replaced. */
  start: number;
  /** One past the last base line replaced (start for a pure insertion). */
  end: number;
  lines: string[];
  side: 0 | 1;
}

function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

function hunksOf(base: string[], other: string[], side: 0 | 1): Hunk[] {
  const hunks: Hunk[] = [];
  let at = 0;
  let open: Hunk | null = null;
  for (const change of diffArrays(base, other)) {
    if (!change.added && !change.removed) {
      if (open) hunks.push(open);
      open = null;
      at += change.count ?? change.value.length;
      continue;
    }
    open ??= { start: at, end: at, lines: [], side };
    if (change.removed) {
      at += change.value.length;
      open.end = at;
    } else {
      open.lines.push(...change.value);
    }
  }
  if (open) hunks.push(open);
  return hunks;
}

function sameChange(a: readonly Hunk[], b: readonly Hunk[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((h, i) => {
    const o = b[i]!;
    return h.start === o.start && h.end === o.end && h.lines.length === o.lines.length && h.lines.every((l, j) => l === o.lines[j]);
  });
}

/** The merged text, or null when the sides conflict. */
export function mergeLines(base: string, ours: string, theirs: string): string | null {
  const baseLines = splitLines(base);
  const all = [...hunksOf(baseLines, splitLines(ours), 0), ...hunksOf(baseLines, splitLines(theirs), 1)].sort(
    (a, b) => a.start - b.start || a.end - b.end || a.side - b.side,
  );
  const out: string[] = [];
  let at = 0;
  let i = 0;
  while (i < all.length) {
    // Gather a cluster of hunks that overlap or touch each other.
    const cluster = [all[i]!];
    let end = all[i]!.end;
    for (i++; i < all.length && all[i]!.start <= end; i++) {
      cluster.push(all[i]!);
      end = Math.max(end, all[i]!.end);
    }
    const mine = cluster.filter((h) => h.side === 0);
    const yours = cluster.filter((h) => h.side === 1);
    if (mine.length > 0 && yours.length > 0 && !sameChange(mine, yours)) return null;
    const applied = mine.length > 0 ? mine : yours;
    for (const hunk of applied) {
      out.push(...baseLines.slice(at, hunk.start), ...hunk.lines);
      at = hunk.end;
    }
  }
  out.push(...baseLines.slice(at));
  return out.join('');
}
