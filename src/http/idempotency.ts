/**
 * `Idempotency-Key` on every write. A key's answer is stored in the same transaction as
 * the state change it answers (the handler calls `commitAnswer` inside its transaction), so
 * the two exist together or not at all: a crash after the commit but before the answer was
 * sent leaves the answer stored, and the client's retry gets it replayed instead of a
 * second goal or an approval refused as a repeat. A crash before the commit leaves neither,
 * and the retry simply runs. Two concurrent requests with one key both run, but only one
 * can insert the key's row (primary key); the other's transaction rolls back and it
 * replays the winner's answer.
 *
 * The same key with another body is 422 IDEMPOTENCY_KEY_REUSED. Refusals (4xx) and
 * failures are not stored: nothing changed, so a retry is decided afresh. Keys are scoped
 * to the token's name.
 */
import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Kysely, Transaction } from 'kysely';
import { TetherError } from '../errors.ts';
import { canonicalJson } from '../ledger/canonical-json.ts';
import type { Database } from '../store/schema.ts';
import type { HttpEnv } from './principal.ts';

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** What a write handler needs to store its answer under the request's key. */
export interface IdempotentRequest {
  key: string;
  principal: string;
  hash: string;
  status: number;
}

/** Thrown inside the handler's transaction when another request stored this key first. */
class KeyTaken extends Error {
  constructor() {
    super('idempotency key taken by a concurrent request');
  }
}

async function requestHash(c: Context<HttpEnv>): Promise<string> {
  const text = await c.req.text();
  let body = text;
  try {
    body = canonicalJson(JSON.parse(text));
  } catch {
    // not JSON: the validator answers; hash the text as it came
  }
  return createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex');
}

function stored(db: Kysely<Database>, request: IdempotentRequest) {
  return db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'response'])
    .where('principal', '=', request.principal)
    .where('key', '=', request.key)
    .where('status', '>', 0)
    .executeTakeFirst();
}

function replay(c: Context<HttpEnv>, row: { status: number; response: unknown }): Response {
  return c.json(row.response as object, row.status as 200, { 'Idempotency-Replayed': 'true' });
}

/**
 * Stores `answer` (the JSON the route is about to send with `request.status`) under the
 * key, inside the handler's transaction. Does nothing for a request without a key.
 */
export async function commitAnswer(trx: Transaction<Database>, request: IdempotentRequest | undefined, answer: unknown): Promise<void> {
  if (!request) return;
  const inserted = await trx
    .insertInto('idempotency_keys')
    .values({ key: request.key, principal: request.principal, request_hash: request.hash, status: request.status, response: JSON.stringify(answer) })
    .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (!inserted) throw new KeyTaken();
}

export function idempotency(db: Kysely<Database>, successStatus: number): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new TetherError('VALIDATION_FAILED', 'Idempotency-Key must be 1–200 printable ASCII characters.');
    }
    const request: IdempotentRequest = { key, principal: c.get('principal')?.name ?? 'anonymous', hash: await requestHash(c), status: successStatus };
    const answered = async (): Promise<Response | undefined> => {
      const row = await stored(db, request);
      if (!row) return undefined;
      if (row.request_hash !== request.hash) {
        throw new TetherError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request body.', { key });
      }
      return replay(c, row);
    };
    const earlier = await answered();
    if (earlier) return earlier;
    c.set('idempotency', request);
    await next();
    // Refused or failed: perhaps because a concurrent request with this key won (its
    // answer is then stored), perhaps for its own reasons (then nothing is stored).
    if (c.error || c.res.status >= 400) {
      const winner = await answered();
      if (winner) c.res = winner;
      else if (c.error instanceof KeyTaken) throw new TetherError('INVALID_TRANSITION', 'A request with this Idempotency-Key is still running; retry shortly.', { key });
    }
  };
}
