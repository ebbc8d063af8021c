/**
 * An entry's fields, hash and size for an append at a given head. Subjects and payload are
 * round-tripped through JSON (dates become strings, undefined members go) and stored as
 * their canonical JSON text, which is exactly what was hashed.
 */
import { canonicalJson } from './canonical-json.ts';
import { storedDigest, type HashedFields, type StoredFields } from './entry-hash.ts';

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

/** An entry as read for checking: subjects and payload as their stored JSON text. */
export interface StoredEntry extends StoredFields {
  hash: string;
}

/** A stored entry with its subjects and payload parsed. */
export function parsedEntry(e: StoredEntry): LedgerEntry {
  return {
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    type: e.type,
    subject: e.subject,
    subjects: JSON.parse(e.subjectsJson) as Record<string, string>,
    payload: JSON.parse(e.payloadJson) as Record<string, unknown>,
    prev_hash: e.prev_hash,
    hash: e.hash,
  };
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
  /** Canonical JSON of subjects and payload: what the json columns store. */
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

/** An input's subjects and payload as values and as the canonical JSON text stored. */
export function inputJson(input: LedgerInput): {
  subjects: Record<string, string>;
  payload: Record<string, unknown>;
  subjectsJson: string;
  payloadJson: string;
} {
  const subjects = JSON.parse(JSON.stringify(input.subjects ?? {})) as Record<string, string>;
  const payload = JSON.parse(JSON.stringify(input.payload ?? {})) as Record<string, unknown>;
  return { subjects, payload, subjectsJson: canonicalJson(subjects), payloadJson: canonicalJson(payload) };
}

export function newEntry(input: LedgerInput, head: ChainHead, at = new Date().toISOString()): NewEntry {
  const { subjects, payload, subjectsJson, payloadJson } = inputJson(input);
  const fields: HashedFields = {
    seq: head.seq + 1,
    at,
    actor: input.actor,
    type: input.type,
    subject: mainSubject(subjects),
    subjects,
    payload,
    prev_hash: head.hash,
  };
  const { hash, bytes } = storedDigest({ ...fields, subjectsJson, payloadJson });
  return { entry: { ...fields, hash }, bytes, subjectsJson, payloadJson };
}
