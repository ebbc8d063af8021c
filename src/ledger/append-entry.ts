/**
 * Appends one entry inside the caller's transaction, so the entry commits or rolls back
 * with the state change it records. The head row's lock serializes concurrent appenders:
 * seq stays contiguous and no two entries share a prev_hash.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { entryHash, type HashedFields } from './entry-hash.ts';

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

export async function appendEntry(db: Transaction<Database> | Kysely<Database>, input: LedgerInput): Promise<LedgerEntry> {
  if (!db.isTransaction) {
    return (db as Kysely<Database>).transaction().execute((trx) => appendEntry(trx, input));
  }
  const head = await sql<{ seq: string; hash: string }>`select seq, hash from ledger_head where id = 1 for update`.execute(db);
  const row = head.rows[0];
  if (!row) throw new Error('ledger_head is missing: the store was not migrated');
  const subjects = input.subjects ?? {};
  const fields: HashedFields = {
    seq: Number(row.seq) + 1,
    at: new Date().toISOString(),
    actor: input.actor,
    type: input.type,
    subject: mainSubject(subjects),
    subjects,
    // Round-trip through JSON so the hashed payload is exactly what the database keeps.
    payload: JSON.parse(JSON.stringify(input.payload ?? {})),
    prev_hash: row.hash,
  };
  const hash = entryHash(fields);
  await db
    .insertInto('ledger_entries')
    .values({
      seq: fields.seq,
      at: fields.at,
      actor: fields.actor,
      type: fields.type,
      subject: fields.subject,
      subjects: JSON.stringify(fields.subjects),
      payload: JSON.stringify(fields.payload),
      prev_hash: fields.prev_hash,
      hash,
    })
    .execute();
  await db.updateTable('ledger_head').set({ seq: fields.seq, hash }).where('id', '=', 1).execute();
  return { ...fields, hash };
}
