/**
 * A page of entries as ONE text value built by the database, parsed here: the drivers'
 * row-by-row parsing was most of the read time (PGlite: ~11 µs a row with to_char).
 *
 * Fast form, tab-separated lines: `seq, to_json(at), actor, type, '=' || subject or '',
 * subjects, payload, prev_hash, hash`. Text goes out unescaped, which is what makes it cheap
 * (json_build_array's escaping of every character cost PGlite ~1 µs a row). It is only
 * trusted if the page has exactly `n` lines of exactly 9 fields: with no escaping, a tab or
 * newline inside a field (possible in a tampered row) can only add fields or lines, so an
 * exact count proves there is none. Canonical JSON never holds a raw tab or newline.
 *
 * Safe form, for a page that fails that check: json_build_array rows, subjects and payload
 * as JSON strings of their text, one JSON.parse.
 *
 * Either way subjects and payload stay the stored text (StoredEntry): verification hashes it
 * as it is, and readers that want values parse it (parsedEntry).
 *
 * `at` is read as a UTC timestamp (no zone) in its JSON form, which ignores DateStyle and
 * TimeZone: `YYYY-MM-DDTHH:MM:SS` plus only the fraction's significant digits.
 */
import type { StoredEntry } from './new-entry.ts';

export const TSV_LINE = `concat_ws(E'\\t', seq, to_json(at at time zone 'UTC'), actor, type, coalesce('=' || subject, ''), subjects, payload, prev_hash, hash)`;
export const JSON_ROW = `json_build_array(seq, at at time zone 'UTC', actor, type, subject, subjects::text, payload::text, prev_hash, hash)`;

/** A UTC timestamp's JSON form as the hashed ISO form: milliseconds cut (not rounded), as to_char's MS does. */
export function isoMillisFromJson(t: string): string {
  const dot = t.indexOf('.', 19);
  if (dot < 0) return `${t}.000Z`;
  const digits = t.length - dot - 1;
  return digits === 3 ? `${t}Z` : digits > 3 ? `${t.slice(0, dot + 4)}Z` : `${t}${'00'.slice(digits - 1)}Z`;
}

/** The aggregate keeps the subquery's order in practice; should it not, sort (the chain checks need seq order). */
function inSeqOrder(entries: StoredEntry[]): StoredEntry[] {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.seq < entries[i - 1]!.seq) return entries.sort((a, b) => a.seq - b.seq);
  }
  return entries;
}

/** Entries from `n` lines of TSV_LINE joined by newlines; undefined if any line is not 9 clean fields. */
export function tsvPageEntries(n: number, text: string): StoredEntry[] | undefined {
  try {
    return inSeqOrder(tsvLines(n, text));
  } catch (error) {
    if (error === NOT_CLEAN) return undefined;
    throw error;
  }
}

const NOT_CLEAN = Symbol('not clean');

function tsvLines(n: number, text: string): StoredEntry[] {
  const entries = new Array<StoredEntry>(n);
  const f = new Array<string>(9);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const nl = text.indexOf('\n', pos);
    const end = i === n - 1 ? text.length : nl;
    if (end < 0 || (i === n - 1 && nl >= 0)) throw NOT_CLEAN;
    let p = pos;
    for (let k = 0; k < 8; k++) {
      const tab = text.indexOf('\t', p);
      if (tab < 0 || tab > end) throw NOT_CLEAN;
      f[k] = text.slice(p, tab);
      p = tab + 1;
    }
    const extra = text.indexOf('\t', p);
    if (extra >= 0 && extra < end) throw NOT_CLEAN;
    f[8] = text.slice(p, end);
    pos = end + 1;
    const subject = f[4]!;
    entries[i] = {
      seq: Number(f[0]),
      at: isoMillisFromJson(f[1]!.slice(1, -1)),
      actor: f[2]!,
      type: f[3]!,
      subject: subject === '' ? null : subject.slice(1),
      subjectsJson: f[5]!,
      payloadJson: f[6]!,
      prev_hash: f[7]!,
      hash: f[8]!,
    };
  }
  return entries;
}

/** Entries from `json_agg(JSON_ROW)` text. */
export function jsonPageEntries(text: string | null | undefined): StoredEntry[] {
  if (!text) return [];
  const rows = JSON.parse(text) as unknown[][];
  const entries = new Array<StoredEntry>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    entries[i] = {
      seq: Number(r[0]),
      // A NULL at (possible only in a tampered row) becomes text that cannot hash right.
      at: typeof r[1] === 'string' ? isoMillisFromJson(r[1]) : String(r[1]),
      actor: r[2] as string,
      type: r[3] as string,
      subject: r[4] as string | null,
      subjectsJson: r[5] as string,
      payloadJson: r[6] as string,
      prev_hash: r[7] as string,
      hash: r[8] as string,
    };
  }
  return inSeqOrder(entries);
}
