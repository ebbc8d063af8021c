/**
 * A refusal is part of the record: every denied code access (bad path, too large, branch
 * cap, self-approval …) gets a ledger entry with its code, in a transaction of its own,
 * since the refused request writes nothing else.
 */
import type { Kysely } from 'kysely';
import { appendEntry } from '../ledger/append-entry.ts';
import type { TetherError } from '../errors.ts';
import type { Database } from '../store/schema.ts';

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;

/** The refused input as jsonb can hold it: NUL and lone surrogates (an attack's favourites) become U+FFFD. */
function storable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null), (_key, v: unknown) => (typeof v === 'string' ? v.replace(UNSTORABLE, '\uFFFD') : v));
}

export async function recordDenial(
  db: Kysely<Database>,
  error: TetherError,
  context: { actor: string; type?: string; subjects?: Record<string, string>; op: string },
): Promise<void> {
  await appendEntry(db, {
    actor: context.actor,
    type: context.type ?? 'code.denied',
    subjects: context.subjects ?? {},
    payload: storable({ op: context.op, code: error.code, message: error.message, data: error.data }) as Record<string, unknown>,
  });
}
