/**
 * Entry rows as the drivers return them (bigint as string or bigint, jsonb parsed, time as
 * Date) turned back into exactly the fields that were hashed. The hashed `at` is the ISO
 * string with milliseconds; timestamptz keeps microseconds, so it round-trips unchanged.
 */
import type { LedgerEntry } from './append-entry.ts';

export interface RawEntryRow {
  seq: string | number | bigint;
  at: Date | string;
  actor: string;
  type: string;
  subject: string | null;
  subjects: Record<string, string> | string;
  payload: Record<string, unknown> | string;
  prev_hash: string;
  hash: string;
}

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export const ENTRY_COLUMNS = ['seq', 'at', 'actor', 'type', 'subject', 'subjects', 'payload', 'prev_hash', 'hash'] as const;

export function toEntry(row: RawEntryRow): LedgerEntry {
  return {
    seq: Number(row.seq),
    at: row.at instanceof Date ? row.at.toISOString() : ISO_MS.test(row.at) ? row.at : new Date(row.at).toISOString(),
    actor: row.actor,
    type: row.type,
    subject: row.subject,
    subjects: typeof row.subjects === 'string' ? JSON.parse(row.subjects) : row.subjects,
    payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}
