/**
 * An entry's fields, hash and size for an append at a given head. Subjects and payload are
 * round-tripped through JSON so the hashed values are exactly what the database keeps.
 */
import { entryDigest, type HashedFields } from './entry-hash.ts';

export interface LedgerInput {
  /** Who decided: an actor systemId (`codeAccess`) or a person's token name. */
  actor: string;
  /** Dot-namespaced, e.g. `modification.approved`, `code.denied`. */
  type: string;
  /** Subject ids by kind, e.g. { goal: 'g1', modification: 'm1' }. */
  subjects?: Record<string, string>;
  payload?: Record<string, unknown>;
}

export interface LedgerEntry extends HashedFields {
  hash: string;
}

/** Where the chain ends: the last entry's seq and hash (seq 0 and the genesis hash if none). */
export interface ChainHead {
  seq: number;
  hash: string;
}

export interface NewEntry {
  entry: LedgerEntry;
  /** Canonical size in bytes, what "seal by size" counts. */
  bytes: number;
  subjectsJson: string;
  payloadJson: string;
}

/** The main subject, for reads by subject: the most specific id the entry names. */
const SUBJECT_ORDER = ['modification', 'task', 'plan', 'goal', 'proposal', 'approval'];

export function mainSubject(subjects: Record<string, string>): string | null {
  for (const kind of SUBJECT_ORDER) if (subjects[kind]) return subjects[kind]!;
  const first = Object.values(subjects)[0];
  return first ?? null;
}

/** The JSON texts an entry's subjects and payload are stored as. */
export function inputJson(input: LedgerInput): { subjectsJson: string; payloadJson: string } {
  return { subjectsJson: JSON.stringify(input.subjects ?? {}), payloadJson: JSON.stringify(input.payload ?? {}) };
}

export function newEntry(input: LedgerInput, head: ChainHead, at = new Date().toISOString()): NewEntry {
  const { subjectsJson, payloadJson } = inputJson(input);
  const subjects = JSON.parse(subjectsJson) as Record<string, string>;
  const fields: HashedFields = {
    seq: head.seq + 1,
    at,
    actor: input.actor,
    type: input.type,
    subject: mainSubject(subjects),
    subjects,
    payload: JSON.parse(payloadJson) as Record<string, unknown>,
    prev_hash: head.hash,
  };
  const { hash, bytes } = entryDigest(fields);
  return { entry: { ...fields, hash }, bytes, subjectsJson, payloadJson };
}
