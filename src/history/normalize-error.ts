/**
 * Error messages normalized for grouping: two failures with the same cause but different
 * ids, numbers or file paths read the same. The order matters: uuids and paths are taken
 * out whole before their digits could be replaced one by one.
 */
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
// Windows paths (C:\a\b), rooted Unix paths (/a, ./a, ../a, ~/a) and relative ones with a
// separator (src/a.ts).
const PATH = /[a-z]:\\[^\s'"]*|(?:~|\.{1,2})?\/[\w.@+-]+(?:\/[\w.@+-]*)*|[\w.@+-]+(?:\/[\w.@+-]+)+/gi;
// 0x-prefixed hex, or bare hex runs of 8+ characters holding a digit (commit ids, hashes).
const HEX = /\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi;
const NUMBER = /[-+]?\d+(?:[.,]\d+)*/g;

/** The grouping key of an error message: ids, numbers and paths stripped, spaces collapsed. */
export function normalizeErrorMessage(message: string | null | undefined): string {
  if (!message) return '';
  return message
    .replace(UUID, '<id>')
    .replace(PATH, '<path>')
    .replace(HEX, '<id>')
    .replace(NUMBER, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}
