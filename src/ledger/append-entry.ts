/**
 * Appends one entry inside the caller's transaction, so the entry commits or rolls back
 * with the state change it records. The head row serializes concurrent appenders: the
 * entry is inserted only if the head still is the entry's predecessor (seq and hash),
 * checked by the same call that moves the head under its row lock (tether_ledger_append,
 * migration 0003). Seq stays contiguous and no two entries share a prev_hash (both also
 * unique in the schema).
 *
 * Fast path: one call, from the process's head hint, which is advanced before the call
 * returns so concurrent appenders in this process chain onto each other instead of all
 * guessing the same head. On a miss (another process or transaction appended first, or a
 * guessed predecessor rolled back) the head is locked with FOR UPDATE and read, after which
 * the call cannot miss.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { entryDigest, type HashedFields } from './entry-hash.ts';
import { getHeadHint, setHeadHint, type HeadHint } from './head-hint.ts';

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

/** The main subject, for reads by subject: the most specific id the entry names. */
const SUBJECT_ORDER = ['modification', 'task', 'plan', 'goal', 'proposal', 'approval'];

export function mainSubject(subjects: Record<string, string>): string | null {
  for (const kind of SUBJECT_ORDER) if (subjects[kind]) return subjects[kind]!;
  const first = Object.values(subjects)[0];
  return first ?? null;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Inserts the entry after `head` if the head is still `head`; undefined if it moved. */
async function appendAfter(db: Db, head: HeadHint, input: LedgerInput): Promise<LedgerEntry | undefined> {
  const subjects = input.subjects ?? {};
  const subjectsJson = JSON.stringify(subjects);
  const payloadJson = JSON.stringify(input.payload ?? {});
  const fields: HashedFields = {
    seq: head.seq + 1,
    at: new Date().toISOString(),
    actor: input.actor,
    type: input.type,
    subject: mainSubject(subjects),
    subjects: JSON.parse(subjectsJson),
    // Round-trip through JSON so the hashed payload is exactly what the database keeps.
    payload: JSON.parse(payloadJson),
    prev_hash: head.hash,
  };
  const { hash, bytes } = entryDigest(fields);
  const mine = { seq: fields.seq, hash };
  setHeadHint(mine);
  let ok = false;
  try {
    const result = await sql<{ ok: boolean }>`
      select tether_ledger_append(${fields.seq}, ${fields.at}, ${fields.actor}, ${fields.type}, ${fields.subject},
        ${subjectsJson}::jsonb, ${payloadJson}::jsonb, ${fields.prev_hash}, ${hash}, ${bytes}) as ok`.execute(db);
    ok = result.rows[0]?.ok === true;
  } finally {
    if (!ok && getHeadHint() === mine) setHeadHint(undefined);
  }
  return ok ? { ...fields, hash } : undefined;
}

async function appendLocked(trx: Transaction<Database>, input: LedgerInput): Promise<LedgerEntry> {
  const head = await sql<{ seq: string | number; hash: string }>`select seq, hash from ledger_head where id = 1 for update`.execute(trx);
  const row = head.rows[0];
  if (!row) throw new Error('ledger_head is missing: the store was not migrated');
  const entry = await appendAfter(trx, { seq: Number(row.seq), hash: row.hash }, input);
  // Unreachable while we hold the head's lock; kept so a broken invariant is loud.
  if (!entry) throw new Error('ledger_head moved while locked');
  return entry;
}

export async function appendEntry(db: Transaction<Database> | Kysely<Database>, input: LedgerInput): Promise<LedgerEntry> {
  const hint = getHeadHint();
  if (hint) {
    const entry = await appendAfter(db, hint, input);
    if (entry) return entry;
  }
  if (db.isTransaction) return appendLocked(db as Transaction<Database>, input);
  return (db as Kysely<Database>).transaction().execute((trx) => appendLocked(trx, input));
}
